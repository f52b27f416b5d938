import { DateTime } from 'luxon';
import type { Case, Timing } from '../model';
import { phoneInfo } from '../phone';
import type { Profile } from '../profile/schema';
import { describeOpening, holidayOn, nextOpening } from '../profile/timing';
import { instant, utcIso, zoneOf } from '../profile/zone';
import { classifyKeyword } from '../optout';
import { renderTemplate } from './render';
import { countSegments } from './segments';

export { countSegments } from './segments';
export { renderTemplate, sanitizeCallerText } from './render';

export type LineType = 'mobile' | 'landline' | 'voip' | 'fixedVoip' | 'nonFixedVoip' | 'tollFree' | 'unknown';

/** What the store and the provider know about this caller, gathered before deciding. */
export interface AckContext {
	now: string;
	optedOut: boolean;
	/** When this caller was last acknowledged by this business, if ever. */
	lastAckAt?: string;
	/** Times of messages sent to this caller in the last 24 hours (for state limits). */
	sentToCallerLast24h: string[];
	/** Messages this business sent in the last hour, and in the last 24 hours. */
	businessSentLastHour: number;
	businessSentLastDay?: number;
	lineType?: LineType;
}

export type AckPlan =
	| {
			action: 'send';
			to: string;
			from: string;
			channel: 'sms' | 'whatsapp';
			body: string;
			segments: number;
			encoding: string;
			variant: string;
			reasons: string[];
	  }
	| { action: 'defer'; sendAt: string; reason: string; body: string; variant: string; reasons: string[] }
	| { action: 'skip'; reason: SkipReason; detail: string };

export type SkipReason =
	| 'disabled'
	| 'opted-out'
	| 'country-not-allowed'
	| 'short-abandoned'
	| 'already-acknowledged'
	| 'landline'
	| 'cap-reached'
	| 'caller-cap-reached'
	| 'empty-template';

/** Skips that point at SMS pumping (texts steered to numbers that pay the attacker): counted apart on the report. */
export const PUMPING_SKIPS: readonly SkipReason[] = ['country-not-allowed', 'cap-reached', 'caller-cap-reached'];

/** State texting rules that are stricter than the federal window. */
const STATE_RULES: Record<string, { start: number; end: number; maxPer24h?: number }> = {
	FL: { start: 8 * 60, end: 20 * 60, maxPer24h: 3 },
	OK: { start: 8 * 60, end: 20 * 60, maxPer24h: 3 },
};
const FEDERAL = { start: 8 * 60, end: 21 * 60 };

function minutes(hhmm: string): number {
	const [h, m] = hhmm.split(':').map(Number);
	return h * 60 + m;
}

/**
 * The earliest time a message may reach this caller at or after `now`, in the caller's local time
 * (from the number; the business's zone when the number does not tell). Returns `now` when allowed.
 */
export function quietHoursRelease(
	profile: Profile,
	caller: string,
	now: string,
	sentLast24h: string[],
): { at: string; why?: string } {
	const info = phoneInfo(caller);
	const zone = info.zone ?? profile.timeZone;
	const rule = (info.region && STATE_RULES[info.region]) || undefined;
	const q = profile.acknowledgment.quietHours;
	// The allowed window is the narrower of the law's and the business's own setting. A business that reads the law
	// as not covering a reply to the caller's own call (replyToCaller: send) keeps only its own window.
	const law = q.replyToCaller !== 'send';
	let start = law ? FEDERAL.start : 0;
	let end = law ? FEDERAL.end : 24 * 60;
	if (rule && law) {
		start = Math.max(start, rule.start);
		end = Math.min(end, rule.end);
	}
	if (q.enabled) {
		start = Math.max(start, minutes(q.end));
		end = Math.min(end, minutes(q.start));
	}
	let at = instant(now, zoneOf(zone));
	let why: string | undefined;
	if (rule?.maxPer24h && sentLast24h.length >= rule.maxPer24h) {
		const sorted = [...sentLast24h].sort();
		const freeAt = instant(sorted[sorted.length - rule.maxPer24h], zoneOf(zone)).plus({ hours: 24 });
		if (freeAt > at) {
			at = freeAt;
			why = `${info.region} allows ${rule.maxPer24h} messages in 24 hours`;
		}
	}
	const minute = at.hour * 60 + at.minute;
	if (minute < start || minute >= end) {
		const day = minute >= end ? at.plus({ days: 1 }) : at;
		const open = DateTime.fromObject(
			{ year: day.year, month: day.month, day: day.day, hour: Math.floor(start / 60), minute: start % 60 },
			{ zone: zoneOf(zone) },
		);
		const label = `${String(Math.floor(start / 60)).padStart(2, '0')}:${String(start % 60).padStart(2, '0')}-${String(Math.floor(end / 60)).padStart(2, '0')}:${String(end % 60).padStart(2, '0')}`;
		why = `${why ? `${why}; ` : ''}quiet hours: messages to ${info.region ?? info.country ?? 'this caller'} only ${label} caller's local time (${zone})`;
		return { at: utcIso(open), why };
	}
	return why ? { at: utcIso(at), why } : { at: now };
}

/** Picks the template for when the call came in; an emergency line overrides after hours when set. */
function variantFor(profile: Profile, timing: Timing): { name: string; template: string } {
	const m = profile.messages;
	if (timing === 'holiday' && m.holiday) return { name: 'holiday', template: m.holiday };
	if (timing === 'weekend' && m.weekend) return { name: 'weekend', template: m.weekend };
	if (timing === 'business-hours') return { name: 'business-hours', template: m.businessHours };
	return { name: 'after-hours', template: m.afterHours };
}

/** The time-dependent words of a message change once a minute at most: computed once per profile and minute. */
const timeWords = new WeakMap<Profile, { minute: string; nextOpen: string; holidayName: string }>();

function timeWordsFor(profile: Profile, now: string): { nextOpen: string; holidayName: string } {
	const minute = now.slice(0, 16);
	const cached = timeWords.get(profile);
	if (cached && cached.minute === minute) return cached;
	const local = instant(now, zoneOf(profile.timeZone));
	const words = {
		minute,
		nextOpen: describeOpening(profile, nextOpening(profile, now), now),
		holidayName: holidayOn(profile, local)?.name ?? '',
	};
	timeWords.set(profile, words);
	return words;
}

export function messageView(
	profile: Profile,
	c: Pick<Case, 'caller' | 'calledNumber'> & { timing?: Timing; caseId?: string },
	now: string,
): Record<string, unknown> {
	const { nextOpen, holidayName } = timeWordsFor(profile, new Date(now).toISOString());
	return {
		business: { name: profile.name, phone: profile.phone ?? '', id: profile.businessId },
		caller: c.caller,
		timing: c.timing,
		nextOpen,
		holidayName,
		// "{caseId}" in the booking link carries the case to the calendar and back in its booking webhook.
		bookingUrl: (profile.bookingUrl ?? '').replace(/\{caseId\}/g, c.caseId ? encodeURIComponent(c.caseId) : ''),
		emergencyLine: profile.emergencyLine ?? '',
	};
}

/** Renders the acknowledgment and guarantees it identifies the business and carries opt-out words. */
export function renderAcknowledgment(
	profile: Profile,
	c: Pick<Case, 'caller' | 'calledNumber'> & { timing?: Timing; caseId?: string },
	now: string,
): { body: string; variant: string } {
	const v = variantFor(profile, c.timing ?? 'business-hours');
	let body = renderTemplate(v.template, messageView(profile, c, now), `messages.${v.name}`);
	if (body && !body.includes(profile.name)) body = `${profile.name}: ${body}`;
	if (body && !/\bSTOP\b/.test(body)) body = `${body} Reply STOP to opt out.`;
	return { body, variant: v.name };
}

/**
 * Decides whether, what and when to text a caller whose call was missed. Every guard that stops a message
 * says why; quiet hours and state limits defer the message to a computed time instead of dropping it.
 */
export function planAcknowledgment(profile: Profile, c: Case, ctx: AckContext): AckPlan {
	const cfg = profile.acknowledgment;
	if (!cfg.enabled)
		return { action: 'skip', reason: 'disabled', detail: 'acknowledgments are turned off in the business profile' };
	if (ctx.optedOut)
		return {
			action: 'skip',
			reason: 'opted-out',
			detail: `${c.caller} replied STOP to ${profile.name}; only START re-subscribes them`,
		};
	const info = phoneInfo(c.caller);
	if (!info.country || !cfg.allowedCountries.includes(info.country)) {
		return {
			action: 'skip',
			reason: 'country-not-allowed',
			detail: `${info.country ?? 'unknown country'} is not in acknowledgment.allowedCountries (${cfg.allowedCountries.join(', ')}); this blocks SMS pumping to premium numbers`,
		};
	}
	const last = c.calls[c.calls.length - 1];
	if (
		last &&
		last.reason === 'short-abandoned' &&
		!cfg.textShortCalls &&
		c.calls.every((k) => k.reason === 'short-abandoned')
	) {
		return {
			action: 'skip',
			reason: 'short-abandoned',
			detail: `the call lasted ${last.durationSec} s, under ${cfg.minCallSeconds} s: likely a pocket dial or robocall`,
		};
	}
	if (ctx.lastAckAt) {
		const age = instant(ctx.now).diff(instant(ctx.lastAckAt), 'minutes').minutes;
		if (age < cfg.windowMinutes) {
			return {
				action: 'skip',
				reason: 'already-acknowledged',
				detail: `already texted ${Math.max(0, Math.round(age))} min ago; one acknowledgment per ${cfg.windowMinutes} min`,
			};
		}
	}
	if (cfg.checkLineType && ctx.lineType === 'landline') {
		return {
			action: 'skip',
			reason: 'landline',
			detail: 'the caller is on a landline, which cannot receive texts: call them back',
		};
	}
	if (ctx.businessSentLastHour >= cfg.hourlyCap) {
		return {
			action: 'skip',
			reason: 'cap-reached',
			detail: `${profile.name} sent ${ctx.businessSentLastHour} messages in the last hour (cap ${cfg.hourlyCap}); a burst like this is often SMS pumping`,
		};
	}
	if ((ctx.businessSentLastDay ?? 0) >= cfg.dailyCap) {
		return {
			action: 'skip',
			reason: 'cap-reached',
			detail: `${profile.name} sent ${ctx.businessSentLastDay} messages in the last 24 hours (cap ${cfg.dailyCap}); raise acknowledgment.dailyCap if this volume is real`,
		};
	}
	if (ctx.sentToCallerLast24h.length >= cfg.perCallerDailyCap) {
		return {
			action: 'skip',
			reason: 'caller-cap-reached',
			detail: `${c.caller} already got ${ctx.sentToCallerLast24h.length} texts from ${profile.name} in 24 hours (cap ${cfg.perCallerDailyCap})`,
		};
	}
	const { body, variant } = renderAcknowledgment(profile, c, ctx.now);
	if (!body)
		return {
			action: 'skip',
			reason: 'empty-template',
			detail: `the ${variant} message is empty in the business profile`,
		};
	const reasons = [`${variant} message`];
	const release = quietHoursRelease(profile, c.caller, ctx.now, ctx.sentToCallerLast24h);
	if (release.at !== ctx.now) {
		return { action: 'defer', sendAt: release.at, reason: release.why ?? 'quiet hours', body, variant, reasons };
	}
	const seg = countSegments(body);
	const channel = cfg.channel === 'same-as-call' ? c.channel : cfg.channel;
	return {
		action: 'send',
		to: c.caller,
		from: cfg.from ?? c.calledNumber,
		channel,
		body,
		segments: seg.segments,
		encoding: seg.encoding,
		variant,
		reasons: [...reasons, `${seg.segments} segment${seg.segments > 1 ? 's' : ''} (${seg.encoding})`],
	};
}

/**
 * STOP and its synonyms, START and HELP: kept for callers of the old name; `classifyKeyword` (core/optout) also says
 * what matched, in which language, and takes a business's own words.
 */
export function keywordOf(body: string): 'stop' | 'start' | 'help' | undefined {
	return classifyKeyword(body).keyword;
}
