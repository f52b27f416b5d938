import { normalizeText } from './optout';

/**
 * What an owner's text to the business number means, as paging tools read a reply to an alert (PagerDuty: reply to
 * acknowledge or resolve). A command may name its case by the short code every alert carries ("OK 1b17c34e", "#1b17
 * booked"); without one it is about the owner's latest open case. Anything that is not a command is an answer for the
 * caller, relayed from the business number.
 */
export type OwnerCommand =
	| { kind: 'claim'; caseCode?: string }
	| { kind: 'outcome'; outcome: 'booked' | 'called-back' | 'lost'; note?: string; caseCode?: string }
	| { kind: 'call'; caseCode?: string }
	| { kind: 'pass'; caseCode?: string }
	| { kind: 'list' }
	| { kind: 'relay'; text: string; caseCode?: string };

// A bare case code has a digit: words such as "face" or "added" are hex too, and must stay words. With a # any code
// counts ("#abcdefab"): one case id in a few thousand starts with eight letters.
const CODE = /^(?:#([0-9a-f]{4,8})|((?=[a-f]*\d)[0-9a-f]{4,8}))[:,.-]?$/;

const VERBS: [RegExp, (rest: string) => OwnerCommand][] = [
	[/^(1|ok|okay|claim|claimed|mine|on it|got it|ack)$/, () => ({ kind: 'claim' })],
	[
		/^(done booked|booked|book|scheduled)\b/,
		(rest) => ({ kind: 'outcome', outcome: 'booked', note: rest || undefined }),
	],
	[
		/^(called back|done called|called|done|reached|spoke)\b/,
		(rest) => ({ kind: 'outcome', outcome: 'called-back', note: rest || undefined }),
	],
	[
		/^(lost|no sale|gone|spam|wrong number)\b/,
		(rest) => ({ kind: 'outcome', outcome: 'lost', note: rest || undefined }),
	],
	[/^(call|bridge|connect|call them|call back now)$/, () => ({ kind: 'call' })],
	[/^(pass|skip|reassign|not me)$/, () => ({ kind: 'pass' })],
	[/^(\?|help|commands|list|cases)$/, () => ({ kind: 'list' })],
];

/** Reads an owner's text: a command (claim, outcome, call, pass, list) or an answer to relay to the caller. */
export function parseOwnerCommand(body: string): OwnerCommand {
	const trimmed = body.trim();
	const words = normalizeText(trimmed)
		.replace(/[.!]+$/, '')
		.split(' ')
		.filter(Boolean);
	// A case code may come first or last: "1b17 booked", "booked 1b17", "#1b17 OK".
	let caseCode: string | undefined;
	const codeOf = (w: string) => {
		const m = CODE.exec(w)!;
		return m[1] ?? m[2];
	};
	if (words.length && CODE.test(words[0])) caseCode = codeOf(words.shift()!);
	else if (words.length > 1 && CODE.test(words[words.length - 1])) caseCode = codeOf(words.pop()!);
	const text = words.join(' ');
	for (const [re, make] of VERBS) {
		const m = re.exec(text);
		if (!m) continue;
		const command = make(text.slice(m[0].length).trim());
		return command.kind === 'list' ? command : { ...command, caseCode };
	}
	// The answer keeps the owner's own wording (normalisation is only for reading commands); a leading code is dropped.
	const answer = caseCode
		? trimmed.replace(/^#?[0-9a-f]{4,8}\s*[:,.-]?\s*/i, '').replace(/\s+#?[0-9a-f]{4,8}[:,.-]?$/i, '')
		: trimmed;
	return { kind: 'relay', text: answer, caseCode };
}

/** The reply an owner gets to an unknown or empty command: what they can send. */
export const OWNER_HELP =
	'Reply 1 or OK to take the case, BOOKED, CALLED or LOST (with a note) to close it, CALL to be connected, PASS to ' +
	'hand it on; anything else is texted to the caller from the business number. Add the case code to pick a case.';
