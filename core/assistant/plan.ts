import { quietHoursRelease } from '../acknowledge';
import { isOpen, type Case } from '../model';
import type { Profile } from '../profile/schema';
import { hazardsIn } from '../safety';

/**
 * The turn planner: decides, before any model is asked, whether the assistant may write at all, or must hand the case
 * to a person. Guards in code, in this order: off or closed; opted out; the owner has it (claimed, or wrote on the
 * thread); already handed off; nothing new from the caller; a hazard named, a person asked for, the turn limit or the
 * per-case cap (hand-offs: they text the owner, which quiet hours do not hold); then quiet hours and the caps on texts
 * to the caller and on the business's assistant texts per hour.
 */

export type HandoffReason = 'emergency' | 'asked-for-person' | 'turn-limit' | 'case-cap' | 'model' | 'model-failed';

export type TurnPlan =
	| { action: 'skip'; reason: string }
	| { action: 'handoff'; reason: HandoffReason; detail: string }
	| { action: 'ask'; turn: number };

export interface TurnContext {
	now: string;
	optedOut: boolean;
	/** Texts of any kind the caller got from the business in the last 24 hours (ISO times). */
	sentToCallerLast24h: string[];
	/** Assistant texts the business sent in the last hour, all cases together. */
	assistantLastHour: number;
}

// "Can I talk to a real person", "get me a human", "let me speak with the owner", "representative", "operator".
const ASKS_FOR_PERSON = new RegExp(
	[
		String.raw`\b(?:real|live|actual)\s+(?:person|human|people|someone)\b`,
		String.raw`\b(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|your\s+)?` +
			String.raw`(?:person|human|someone|somebody|owner|manager|boss|agent|technician|tech|plumber|electrician)\b`,
		String.raw`\b(?:human|representative|operator)\b`,
		String.raw`\bare you a (?:bot|robot|machine)\b`,
	].join('|'),
	'i',
);

/** The assistant's texts on a case (hand-off texts included). */
export function assistantTexts(c: Case): Case['thread'] {
	return c.thread.filter((t) => t.automated);
}

/** The caller's replies since the assistant last wrote: what this turn answers. */
export function newCallerTexts(c: Case): string[] {
	const last = assistantTexts(c).at(-1)?.at;
	return c.replies.filter((r) => !last || Date.parse(r.at) > Date.parse(last)).map((r) => r.body);
}

export function planTurn(profile: Profile, c: Case, ctx: TurnContext): TurnPlan {
	const cfg = profile.assistant;
	const skip = (reason: string): TurnPlan => ({ action: 'skip', reason });
	if (!cfg.enabled) return skip('the assistant is off for this business');
	if (!isOpen(c.state)) return skip(`the case is ${c.state}`);
	if (ctx.optedOut || c.flags.includes('opted-out')) return skip('the caller opted out of texts');
	if (c.claimedAt) return skip('the owner claimed the case');
	if (c.thread.some((t) => t.from === 'owner' && !t.automated)) return skip('the owner is writing to the caller');
	if (c.assistantHandoff) return skip(`handed to the owner already (${c.assistantHandoff.reason})`);
	const fresh = newCallerTexts(c);
	if (!fresh.length) return skip('no new text from the caller');
	// Each text on its own: a negation ending one text ("not draining") must not cancel a hazard opening the next.
	const hazards = fresh.flatMap((t) => hazardsIn([t]));
	if (hazards.length)
		return { action: 'handoff', reason: 'emergency', detail: `the caller names a hazard: ${hazards[0]}` };
	if (fresh.some((t) => ASKS_FOR_PERSON.test(t)))
		return { action: 'handoff', reason: 'asked-for-person', detail: 'the caller asked for a person' };
	const sent = assistantTexts(c).filter((t) => t.status === 'relayed').length;
	if (sent >= cfg.maxTurns)
		return { action: 'handoff', reason: 'turn-limit', detail: `${sent} assistant texts, the limit (maxTurns)` };
	if (assistantTexts(c).length >= cfg.perCaseCap)
		return { action: 'handoff', reason: 'case-cap', detail: `the case's cap of ${cfg.perCaseCap} assistant texts` };
	const release = quietHoursRelease(profile, c.caller, ctx.now, ctx.sentToCallerLast24h);
	if (release.at !== ctx.now) return skip(`${release.why ?? 'quiet hours'}; the owner has the caller's text`);
	if (ctx.sentToCallerLast24h.length >= profile.acknowledgment.perCallerDailyCap)
		return skip(`the caller got ${ctx.sentToCallerLast24h.length} texts today (perCallerDailyCap)`);
	if (ctx.assistantLastHour >= cfg.perHourCap)
		return skip(`the business sent ${ctx.assistantLastHour} assistant texts this hour (perHourCap)`);
	return { action: 'ask', turn: sent + 1 };
}
