import type { DateTime } from 'luxon';
import type { Case, Timing } from '../model';
import {
	FEDERAL_RULE,
	isFederalHoliday,
	STATE_RULES,
	type TextingRule,
	type Weekday,
	type Window,
} from '../data/texting-rules';
import { RecoveryInputError } from '../errors';
import { msOfIso, storedIso } from '../instant';
import { phoneInfo } from '../phone';
import type { Profile } from '../profile/schema';
import { describeOpening, holidayOn, nextOpening, timingOf } from '../profile/timing';
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
	| 'premium-rate'
	| 'short-abandoned'
	| 'answered-by-voice-ai'
	| 'already-acknowledged'
	| 'landline'
	| 'cap-reached'
	| 'caller-cap-reached'
	| 'empty-template';

/** Skips that point at SMS pumping (texts steered to numbers that pay the attacker): counted apart on the report. */
export const PUMPING_SKIPS: readonly SkipReason[] = [
	'country-not-allowed',
	'premium-rate',
	'cap-reached',
	'caller-cap-reached',
];

function minutes(hhmm: string): number {
	const [h, m] = hhmm.split(':').map(Number);
	return h * 60 + m;
}

function hhmm(m: number): string {
	return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Why one zone's clock does not allow a message at an instant, and the next instant worth trying. */
interface Closed {
	why: string;
	next: DateTime;
}

/** The law's and the business's windows, checked in one zone at one instant. */
interface QuietCheck {
	rules: TextingRule[];
	/** The business's own quiet span (start inclusive, end exclusive, may wrap midnight), when enabled. */
	own?: Window;
}

/**
 * Checks one clock at one instant. On the caller's clocks every rule and the business's quiet hours hold; on a clock
 * that only a statute names (`extra`), only that statute. Of several closures the one that opens last decides.
 */
function closedAt(check: QuietCheck, t: DateTime, zone: string, extra: boolean): Closed | undefined {
	const local = t.setZone(zoneOf(zone));
	const minute = local.hour * 60 + local.minute;
	const day = WEEKDAYS[local.weekday - 1];
	// Only a closed clock needs the next day's start: most checks find the clock open.
	const tomorrow = (): DateTime => local.startOf('day').plus({ days: 1 });
	const at = (m: number): DateTime =>
		local.set({ hour: Math.floor(m / 60), minute: m % 60, second: 0, millisecond: 0 });
	let worst: Closed | undefined;
	// On a tie the later check wins among laws (the state's over the federal), a law over the business's own hours.
	const close = (c: Closed, law = true): void => {
		if (!worst || c.next > worst.next || (law && c.next >= worst.next)) worst = c;
	};
	for (const rule of check.rules) {
		if (extra && rule.zone !== zone) continue;
		const window = rule.days && day in rule.days ? rule.days[day] : rule.hours;
		if (!window)
			close({ why: `${rule.region} allows no texts on ${local.weekdayLong} (${rule.law})`, next: tomorrow() });
		else if (rule.noHolidays && isFederalHoliday(local.toISODate() ?? '')) {
			close({ why: `${rule.region} allows no texts on a holiday (${rule.law})`, next: tomorrow() });
		} else if (minute < window.start || minute >= window.end) {
			const label = `${hhmm(window.start)}-${hhmm(window.end)}`;
			close({
				why: `messages to ${rule.region === 'federal' ? 'this caller' : rule.region} only ${label} (${rule.law})`,
				next: minute < window.start ? at(window.start) : tomorrow(),
			});
		}
	}
	const own = check.own;
	if (own && !extra) {
		const wraps = own.start > own.end;
		const quiet = wraps ? minute >= own.start || minute < own.end : minute >= own.start && minute < own.end;
		if (quiet) {
			close(
				{
					why: `the business's quiet hours ${hhmm(own.start)}-${hhmm(own.end)}`,
					next: minute < own.end ? at(own.end) : tomorrow(),
				},
				false,
			);
		}
	}
	return worst;
}

/** Enough tries to cross a weekend, a holiday and the zones' offsets; a profile whose windows never meet stops here. */
const MAX_STEPS = 64;

/**
 * The earliest time a message may reach this caller at or after `now`: a time allowed in every zone the number may be
 * in (the business's zone when the number does not tell), under the federal window, the caller's state rule (hours,
 * days, holidays, texts per 24 hours) and the business's own quiet hours. Returns `now` when allowed; otherwise the
 * reason names the rule and the zone that decided.
 */
export function quietHoursRelease(
	profile: Profile,
	caller: string,
	now: string,
	sentLast24h: string[],
): { at: string; why?: string } {
	const info = phoneInfo(caller);
	const zones = info.zones.length ? info.zones : [info.zone ?? profile.timeZone];
	const rule = info.region && info.country !== 'CA' ? STATE_RULES[info.region] : undefined;
	const q = profile.acknowledgment.quietHours;
	// A business that reads the laws as not covering a reply to the caller's own call (replyToCaller: send) keeps only
	// its own window and the per-24-hours limits.
	const law = q.replyToCaller !== 'send';
	const check: QuietCheck = {
		rules: law ? [FEDERAL_RULE, ...(rule ? [rule] : [])] : [],
		own: q.enabled ? { start: minutes(q.start), end: minutes(q.end) } : undefined,
	};
	// A statute that names its own clock (Mississippi's Central Standard Time) must hold on that clock too.
	const extraClock = law && rule?.zone && !zones.includes(rule.zone) ? rule.zone : undefined;
	const clocks = extraClock ? [...zones, extraClock] : zones;
	let t = instant(now);
	const whys: string[] = [];
	if (rule?.maxPer24h && sentLast24h.length >= rule.maxPer24h) {
		const sorted = [...sentLast24h].sort();
		const freeAt = instant(sorted[sorted.length - rule.maxPer24h]).plus({ hours: 24 });
		if (freeAt > t) {
			t = freeAt;
			whys.push(`${info.region} allows ${rule.maxPer24h} messages in 24 hours (${rule.law})`);
		}
	}
	// The first closure says why the message waits; a later one (the next day's own rule) is added when it differs.
	const decided: string[] = [];
	for (let step = 0; step < MAX_STEPS; step++) {
		let later: DateTime | undefined;
		let why = '';
		for (const zone of clocks) {
			const closed = closedAt(check, t, zone, zone === extraClock);
			if (closed && (!later || closed.next > later)) {
				later = closed.next;
				why = `${closed.why}, caller's local time (${zone})`;
			}
		}
		if (later && !decided.includes(why)) decided.splice(Math.min(decided.length, 1), 1, why);
		if (!later) {
			if (decided.length) whys.push(`quiet hours: ${decided.join('; then ')}`);
			const why = whys.length ? whys.join('; ') : undefined;
			return why ? { at: utcIso(t), why } : { at: now };
		}
		t = later;
	}
	throw new RecoveryInputError(
		'acknowledgment.quietHours',
		q,
		`No hour is allowed in every zone ${caller} may be in (${clocks.join(', ')}) under ${
			rule?.law ?? 'the federal window'
		} and these quiet hours: shorten the quiet hours.`,
		'Business profile',
	);
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
	const { nextOpen, holidayName } = timeWordsFor(profile, storedIso(now));
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

/** A text that goes out this long after the call speaks of the call as earlier, in the words of the sending time. */
const LATE_MS = 30 * 60e3;

/** "earlier today at 7:10 AM", "last night at 9:30 PM", "yesterday at 4:10 PM", "on Saturday at 2:10 PM". */
export function describeCallTime(profile: Profile, callAt: string, now: string): string {
	const call = instant(callAt, zoneOf(profile.timeZone));
	const days = Math.round(instant(now, zoneOf(profile.timeZone)).startOf('day').diff(call.startOf('day'), 'days').days);
	const time = call.toFormat('h:mm a');
	if (days <= 0) return `earlier today at ${time}`;
	if (days === 1) return call.hour >= 18 ? `last night at ${time}` : `yesterday at ${time}`;
	return `on ${call.toFormat('cccc')} at ${time}`;
}

type AckSubject = Pick<Case, 'caller' | 'calledNumber'> & { timing?: Timing; caseId?: string; calls?: Case['calls'] };

/**
 * Renders the acknowledgment and guarantees it identifies the business and carries opt-out words. The words match the
 * moment the caller reads them: sent at once, they follow the call's timing; held by quiet hours and sent later, they
 * say the call was earlier ("missedEarlier") when the business is open by then, or when it opens when it is still
 * closed.
 */
export function renderAcknowledgment(profile: Profile, c: AckSubject, now: string): { body: string; variant: string } {
	const callAt = c.calls?.[c.calls.length - 1]?.startedAt;
	const late = !!callAt && msOfIso(now) - msOfIso(callAt) > LATE_MS;
	const timingNow = late ? timingOf(profile, now) : undefined;
	const v =
		timingNow === 'business-hours' && profile.messages.missedEarlier
			? { name: 'missedEarlier', template: profile.messages.missedEarlier }
			: variantFor(profile, timingNow ?? c.timing ?? (callAt ? timingOf(profile, callAt) : 'business-hours'));
	// A getter: the words are worked out (luxon, in the business's zone) only when the template asks for them.
	const view = {
		...messageView(profile, c, now),
		get callWhen() {
			return callAt ? describeCallTime(profile, callAt, now) : 'earlier';
		},
	};
	let body = renderTemplate(v.template, view, `messages.${v.name}`);
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
	if (info.premiumRate) {
		return {
			action: 'skip',
			reason: 'premium-rate',
			detail:
				`${c.caller} is a premium-rate (pay-per-call 900) number, not a phone that can take a text; texts to ` +
				`such numbers are how SMS pumping bills the sender`,
		};
	}
	if (!info.country || !cfg.allowedCountries.includes(info.country)) {
		return {
			action: 'skip',
			reason: 'country-not-allowed',
			detail:
				`${info.country ?? 'unknown country'} is not in acknowledgment.allowedCountries ` +
				`(${cfg.allowedCountries.join(', ')}); this blocks SMS pumping to premium numbers`,
		};
	}
	const last = c.calls[c.calls.length - 1];
	if (last?.answeredBy === 'voice-ai')
		return {
			action: 'skip',
			reason: 'answered-by-voice-ai',
			detail:
				`the caller talked with a voice AI (${last.voiceAi?.platform ?? 'unknown platform'}) and was told what ` +
				`happens next; the owner calls them back with its transcript`,
		};
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
			detail:
				`${profile.name} sent ${ctx.businessSentLastHour} messages in the last hour (cap ${cfg.hourlyCap}); ` +
				`a burst like this is often SMS pumping`,
		};
	}
	if ((ctx.businessSentLastDay ?? 0) >= cfg.dailyCap) {
		return {
			action: 'skip',
			reason: 'cap-reached',
			detail:
				`${profile.name} sent ${ctx.businessSentLastDay} messages in the last 24 hours (cap ` +
				`${cfg.dailyCap}); raise acknowledgment.dailyCap if this volume is real`,
		};
	}
	if (ctx.sentToCallerLast24h.length >= cfg.perCallerDailyCap) {
		return {
			action: 'skip',
			reason: 'caller-cap-reached',
			detail:
				`${c.caller} already got ${ctx.sentToCallerLast24h.length} texts from ${profile.name} in 24 hours ` +
				`(cap ${cfg.perCallerDailyCap})`,
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
