import Mustache from 'mustache';
import { RecoveryInputError } from '../errors';

const PLAIN = { escape: (s: unknown) => String(s) };
const HTML = { escape: (s: unknown) => Mustache.escape(String(s)) };

/**
 * Renders a message template. Values are inserted as text and never parsed as templates themselves,
 * so caller-provided text ("{{business.name}}" in a voicemail) stays inert.
 */
export function renderTemplate(
	template: string,
	view: Record<string, unknown>,
	field = 'template',
	mode: 'text' | 'html' = 'text',
): string {
	try {
		const out = Mustache.render(template, view, {}, mode === 'text' ? PLAIN : HTML);
		return mode === 'text'
			? out
					.replace(/[ \t]+/g, ' ')
					.replace(/ ([.,;!?])/g, '$1')
					.trim()
			: out;
	} catch (e) {
		throw new RecoveryInputError(
			field,
			template,
			`The template does not render: ${(e as Error).message}. Check its {{ }} pairs.`,
		);
	}
}

/** Caller text (a voicemail transcript) cut to fit a message and stripped of control characters. */
export function sanitizeCallerText(text: string | undefined, max = 160): string {
	if (!text) return '';
	const clean = text
		.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
		.replace(/\s+/g, ' ')
		.trim();
	return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
