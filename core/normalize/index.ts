import { RecoveryInputError } from '../errors';
import { PROVIDERS, type Provider } from '../model';
import type { NormalizeOptions, Normalized } from './common';
import {
	normalizeAircall,
	normalizeDialpad,
	normalizeGeneric,
	normalizeOpenPhone,
	normalizePlivo,
	normalizeRingCentral,
	normalizeTelnyx,
	normalizeVonage,
	type GenericMapping,
} from './others';
import { normalizeTwilio } from './twilio';
import { normalizeElevenLabs, normalizeRetell, normalizeVapi } from './voice-ai';

export type { AiResolved, NormalizeOptions, Normalized } from './common';
export { AI_RESOLVED_KEY } from './common';
export { GenericMappingSchema, type GenericMapping } from './others';

/** Bounds on a webhook body: provider webhooks carry a few dozen fields a few levels deep, in a few kilobytes. */
export const WEBHOOK_LIMITS = { bytes: 256 * 1024, fields: 500, depth: 12 } as const;

function tooMany(): RecoveryInputError {
	return new RecoveryInputError(
		'(body)',
		`more than ${WEBHOOK_LIMITS.fields} fields`,
		'Provider webhooks carry a few dozen fields; this is not one.',
		'Webhook',
	);
}

function countFields(value: unknown, depth: number, budget: { left: number }): void {
	if (depth > WEBHOOK_LIMITS.depth)
		throw new RecoveryInputError(
			'(body)',
			`nested more than ${WEBHOOK_LIMITS.depth} levels`,
			'Provider webhooks are shallow; this is not one.',
			'Webhook',
		);
	if (!value || typeof value !== 'object') return;
	// A list's length is known without reading it: a huge one is refused before any of it is walked.
	if (Array.isArray(value) && value.length > budget.left) throw tooMany();
	for (const key in value) {
		if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
		if (--budget.left < 0) throw tooMany();
		countFields((value as Record<string, unknown>)[key], depth + 1, budget);
	}
}

/**
 * Refuses a parsed body with more fields, or deeper nesting, than any provider sends, reading at most that many:
 * run before the signature check, whose cost grows with the body.
 */
export function checkBodyShape(payload: unknown): void {
	countFields(payload, 0, { left: WEBHOOK_LIMITS.fields });
}

/** One entry point: a provider's webhook body (parsed form or JSON) to a normalized event or a stated non-event. */
export function normalize(
	provider: Provider,
	payload: unknown,
	opts: NormalizeOptions = {},
	mapping?: GenericMapping,
): Normalized {
	if (!PROVIDERS.includes(provider))
		throw new RecoveryInputError('provider', provider, `Use one of: ${PROVIDERS.join(', ')}.`);
	if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
		throw new RecoveryInputError(
			'(body)',
			payload,
			'Expected the webhook body as an object of fields (form-encoded or JSON).',
			`${provider} webhook`,
		);
	}
	checkBodyShape(payload);
	const p = payload as Record<string, unknown>;
	switch (provider) {
		case 'twilio':
			return normalizeTwilio(p, opts);
		case 'vonage':
			return normalizeVonage(p, opts);
		case 'telnyx':
			return normalizeTelnyx(p, opts);
		case 'plivo':
			return normalizePlivo(p, opts);
		case 'aircall':
			return normalizeAircall(p, opts);
		case 'openphone':
			return normalizeOpenPhone(p, opts);
		case 'ringcentral':
			return normalizeRingCentral(p, opts);
		case 'dialpad':
			return normalizeDialpad(p, opts);
		case 'vapi':
			return normalizeVapi(p, opts);
		case 'retell':
			return normalizeRetell(p, opts);
		case 'elevenlabs':
			return normalizeElevenLabs(p, opts);
		case 'generic':
			return normalizeGeneric(p, opts, mapping);
	}
}
