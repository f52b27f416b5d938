import type { Profile } from '../profile/schema';
import { bookingLink } from './prompt';
import { MAX_REPLY_CHARS } from './schema';

/**
 * The output guard: what the model wrote is checked on the text itself before anyone reads it, whatever the prompt
 * asked. A price or amount, a guarantee or promised arrival time, or a link or phone number the profile does not
 * state is refused, and a safe fallback goes out instead. Figures, links and numbers the profile states (its booking
 * link, its lines, its FAQ answers) pass.
 */

export type GuardResult = { ok: true; text: string } | { ok: false; reason: string };

// A currency sign or word with a number, "20% off", "free of charge" or a free estimate, or a number close after a
// price word ("the price would be 150"): amounts a model may make up. English, Spanish and French, the languages the
// pack's callers write in (see core/optout).
const PRICE_WORDS =
	'costs?|price[sd]?|fees?|charges?|rates?|cuesta|cuestan|costo|coste|precio|tarifa|cobra(?:mos)?|' +
	'co[uû]te(?:nt)?|prix|tarif|frais';
const AMOUNT = new RegExp(
	[
		String.raw`[$€£]\s*\d[\d,.]*`,
		String.raw`\b\d[\d,.]*\s*(?:\$|dollars?|bucks|usd|eur|euros?|cents?|d[oó]lares|pesos|centavos)(?![a-z])`,
		String.raw`\b\d+\s*%\s*(?:off|de descuento|de r[ée]duction|de rabais)`,
		String.raw`\bfree of charge\b|\bfree (?:estimates?|quotes?|inspections?|visits?|service calls?)\b`,
		String.raw`\bgratis\b|\bsin (?:costo|cargo)\b|\bgratuit[es]*\b|\bsans frais\b`,
		String.raw`\b(?:${PRICE_WORDS})(?![a-z])[^.\d]{0,30}\d[\d,.]*`,
	].join('|'),
	'gi',
);
const PROMISE = new RegExp(
	[
		String.raw`\bguarantee[ds]?\b`,
		String.raw`\bpromise[ds]?\b`,
		String.raw`\bwarrant(?:y|ies|ied)\b`,
		String.raw`\b100\s*%`,
		String.raw`\bon (?:my|our|the) way\b`,
		String.raw`\b(?:within|in)\s+(?:\d+|an?|one|two|three|half an?)\s*(?:min(?:ute)?s?|hours?|hrs?)\b`,
		String.raw`\b(?:we|i|someone|a (?:tech|technician|plumber|electrician|person))(?:'ll| will| can)\s+` +
			String.raw`(?:be there|arrive|get there|show up|come (?:out|over|by) (?:today|tonight|now|at|by))`,
		String.raw`\b(?:arrive|be there|get there)\s+(?:at|by|before)\s+\d`,
		// Spanish: guarantees and promises, "on the way", "we'll arrive", "in an hour / 30 minutes".
		String.raw`\bgarantiza\w*|\bgarant[ií]a\b|\bprometo\b|\bprometemos\b|\ben camino\b|\bllegar(?:emos|[aá])\b`,
		String.raw`\ben (?:\d+|una|un|media)\s*(?:minutos?|horas?)\b`,
		// French: the same, "en route", "nous arrivons", "dans 30 minutes / une heure".
		String.raw`\bgaranti[es]*\b|\bgarantie\b|\bpromet\w*|\ben route\b|\bnous arriv\w*|\bon arrive\b`,
		String.raw`\bdans (?:\d+|une|un|une demi-)\s*(?:minutes?|heures?)\b`,
	].join('|'),
	'i',
);
const LINK = new RegExp(
	String.raw`\bhttps?:\/\/[^\s<>"]+|\bwww\.[^\s<>"]+|` +
		String.raw`\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|us|biz|info|ly|app|me)\b[^\s<>"]*`,
	'gi',
);
const PHONE = /\+?\d[\d\s().-]{5,}\d/g;

function digits(s: string): string {
	return s.replace(/\D/g, '');
}

/** The numbers in a text, as "89" or "89.5" (thousands separators and trailing zero cents dropped). */
function numbersIn(text: string): string[] {
	return [...text.matchAll(/\d[\d,]*(?:\.\d+)?/g)].map((m) => m[0].replace(/,/g, '').replace(/\.0+$/, ''));
}

function trimPunctuation(s: string): string {
	return s.replace(/[.,;:!?)\]]+$/, '');
}

/** Everything the profile lets the assistant say: its facts as one text, for figures and links found in it. */
function statedText(profile: Profile, caseId: string): string {
	return [
		bookingLink(profile, caseId) ?? '',
		profile.bookingUrl ?? '',
		...profile.assistant.faq.flatMap((f) => [f.q, f.a]),
		profile.assistant.area ?? '',
	]
		.join('\n')
		.toLowerCase();
}

function statedPhones(profile: Profile): string[] {
	const faq = profile.assistant.faq.flatMap((f) => f.a.match(PHONE) ?? []);
	return [profile.phone, profile.emergencyLine, ...profile.numbers, ...faq, '911']
		.filter((p): p is string => !!p)
		.map((p) => digits(p).slice(-10));
}

/** Checks one reply; the reason names what was refused, for the case's thread (never shown to the caller). */
export function guardReply(profile: Profile, caseId: string, text: string): GuardResult {
	const reply = text.replace(/\s+/g, ' ').trim();
	if (!reply) return { ok: false, reason: 'empty reply' };
	if (reply.length > MAX_REPLY_CHARS) return { ok: false, reason: `reply longer than ${MAX_REPLY_CHARS} characters` };
	const stated = statedText(profile, caseId);
	// Links are checked on their own (below); the rest is read without them, since a case id in the booking link
	// ("...=ce08da28-3a01-4322-920a-...") holds digit runs that read as a phone number or an amount.
	const words = reply.replace(LINK, ' ');
	const statedAmounts = new Set(numbersIn(stated));
	for (const m of words.matchAll(AMOUNT)) {
		const amount = trimPunctuation(m[0].trim());
		// A figure the profile states passes however it is worded ("the fee is $89", "a visit costs 89 dollars").
		const figures = numbersIn(amount);
		if (!figures.length ? !stated.includes(amount.toLowerCase()) : figures.some((n) => !statedAmounts.has(n)))
			return { ok: false, reason: `an amount the profile does not state (${amount})` };
	}
	const promise = PROMISE.exec(words);
	if (promise) return { ok: false, reason: `a promise or guarantee ("${promise[0]}")` };
	for (const m of reply.matchAll(LINK)) {
		const link = trimPunctuation(m[0]).toLowerCase();
		if (!stated.includes(link)) return { ok: false, reason: `a link the profile does not give (${link})` };
	}
	const phones = statedPhones(profile);
	for (const m of words.matchAll(PHONE)) {
		const d = digits(m[0]);
		if (d.length < 7) continue;
		if (!phones.includes(d.slice(-10))) return { ok: false, reason: 'a phone number the profile does not give' };
	}
	return { ok: true, text: reply };
}

/** What the caller gets instead of a refused or failed reply: no facts, so nothing to get wrong. */
export function fallbackText(profile: Profile): string {
	return `${profile.name}: thanks, we have your message. Someone from our team will get back to you to confirm.`;
}

/** What the caller gets when a person takes over. */
export function handoffText(profile: Profile, emergency: boolean): string {
	if (emergency)
		return (
			`${profile.name}: we are getting a person on this now. If anyone is in danger, leave and call 911` +
			(profile.emergencyLine ? ` or our emergency line ${profile.emergencyLine}.` : '.')
		);
	return `${profile.name}: thanks, I've passed this to our team; a person will get back to you soon.`;
}
