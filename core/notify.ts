import type { DateTime } from 'luxon';
import { renderTemplate, sanitizeCallerText, messageView } from './acknowledge';
import { alertRetryAt, isOpen, URGENCIES, type Case, type CaseCall, type OwnerAlertKind, type Urgency } from './model';
import { formatPhone } from './phone';
import type { Profile } from './profile/schema';
import { addBusinessMinutes, isOpenAt, nextOpening } from './profile/timing';
import { instant, utcIso, zoneOf } from './profile/zone';
import { deadlineFor, escalate, type EscalationDecision } from './route';

/**
 * When and what staff are texted about a case. The policy, in one place:
 * - one alert per case on the normal path, carrying the voicemail's words when the caller is leaving one (held up to
 *   `ownerAlerts.waitForVoicemailSeconds`), and, for a routine call while the business is closed, sent when it opens;
 * - one more when the caller's words make the case an emergency after that first alert;
 * - one per further call from the caller while the case is open (with that call's voicemail), up to
 *   `ownerAlerts.repeatCalls` per case;
 * - one per escalation level, saying it is an escalation; then at most `routing.reminders.max` reminders, spaced;
 *   then escalation ends: the case stays open on the report and nobody is texted about it again.
 * Every alert has a key (kind and level) stored on the case, so racing deliveries text once.
 */

export type AlertPlan =
	| { action: 'send'; kind: OwnerAlertKind; level: number; key: string; reasons: string[] }
	| { action: 'hold'; until: string; reasons: string[] }
	| { action: 'none'; reasons: string[] };

export type OverduePlan =
	| { action: 'none'; reasons: string[] }
	| { action: 'escalate'; decision: Extract<EscalationDecision, { kind: 'escalated' }> }
	| { action: 'remind'; reminder: number; nextAt: string; reasons: string[] }
	| { action: 'end'; reasons: string[] };

const LABELS: Record<Urgency, string> = { emergency: 'EMERGENCY', high: 'HIGH', normal: 'Normal', low: 'Low' };

/** A call's words are in, or will not come: a voicemail of 2 s or less is never transcribed by Twilio. */
function callSettled(k: CaseCall): boolean {
	return !!k.voicemail?.transcript || (k.voicemail?.durationSec !== undefined && k.voicemail.durationSec <= 2);
}

/** Whether the caller's words are in, or will not come. */
function wordsSettled(c: Case): boolean {
	return !c.voicemailExpected || c.calls.some(callSettled);
}

function later(a: string, b: string): string {
	return Date.parse(a) >= Date.parse(b) ? a : b;
}

function isRoutine(profile: Profile, urgency: Urgency): boolean {
	return profile.routing.businessClockFor.includes(urgency);
}

/** How long an alert waits: for a voicemail's words (from `waitFrom`), and for opening time when routine. */
function holdFor(profile: Profile, urgency: Urgency, waitFrom: string | null, now: string) {
	const cfg = profile.routing.ownerAlerts;
	let until: string | undefined;
	const reasons: string[] = [];
	if (waitFrom && cfg.waitForVoicemailSeconds > 0) {
		const wait = utcIso(instant(waitFrom).plus({ seconds: cfg.waitForVoicemailSeconds }));
		if (Date.parse(wait) > Date.parse(now)) {
			until = wait;
			reasons.push(`waiting up to ${cfg.waitForVoicemailSeconds} s for the voicemail's words`);
		}
	}
	if (cfg.holdRoutineWhileClosed && isRoutine(profile, urgency) && !isOpenAt(profile, now)) {
		const opens = nextOpening(profile, now);
		if (opens) {
			until = later(until ?? now, utcIso(opens));
			reasons.push(`a ${urgency} call while closed: the owner is told when the business opens`);
		}
	}
	return { until, reasons };
}

/**
 * Whether an owner picked now would be picked before the caller's words: nobody has been texted about the case, and
 * its first alert would wait for a voicemail still coming. Routing then is provisional (see RecoveryLoop.route).
 */
export function awaitingWords(profile: Profile, c: Case, now: string): boolean {
	const wait = profile.routing.ownerAlerts.waitForVoicemailSeconds;
	if (c.alerts.length || wordsSettled(c) || (c.urgency ?? 'normal') === 'emergency' || wait <= 0) return false;
	return Date.parse(c.stamps.detectedAt) + wait * 1000 > Date.parse(now);
}

/** The owner's alerts on the normal path: the first one (perhaps held), and the emergency update. */
export function planOwnerAlert(profile: Profile, c: Case, now: string): AlertPlan {
	if (!isOpen(c.state)) return { action: 'none', reasons: [`the case is ${c.state}`] };
	if (!c.owner) return { action: 'none', reasons: ['nobody owns the case'] };
	if (!c.owner.phone) return { action: 'none', reasons: [`${c.owner.name} has no phone number in the roster`] };
	const urgency = c.urgency ?? 'normal';
	const first = c.alerts.find((a) => a.kind === 'new-case');
	if (first && first.status !== 'sent' && alertRetryAt(first) && Date.parse(alertRetryAt(first)!) <= Date.parse(now)) {
		return {
			action: 'send',
			kind: 'new-case',
			level: 0,
			key: 'new-case:0',
			reasons: [`try ${first.tries + 1}: the first alert did not go out`],
		};
	}
	// An owner who got the case by escalation (a case that began with nobody available) was told already.
	const told = first ?? c.alerts.find((a) => a.kind === 'escalation' && a.ownerId === c.owner?.id);
	if (told) {
		const rose = urgency === 'emergency' && told.urgency !== 'emergency';
		if (rose && !c.alerts.some((a) => a.kind === 'emergency')) {
			return {
				action: 'send',
				kind: 'emergency',
				level: 0,
				key: 'emergency:0',
				reasons: ['urgency rose to emergency'],
			};
		}
		return planRepeatAlert(profile, c, now) ?? { action: 'none', reasons: ['the owner was already told'] };
	}
	if (urgency === 'emergency') {
		return { action: 'send', kind: 'new-case', level: 0, key: 'new-case:0', reasons: ['emergency: told at once'] };
	}
	const { until, reasons } = holdFor(profile, urgency, wordsSettled(c) ? null : c.stamps.detectedAt, now);
	if (until) return { action: 'hold', until, reasons };
	return { action: 'send', kind: 'new-case', level: 0, key: 'new-case:0', reasons: ['first alert for the case'] };
}

/**
 * A caller who rang again while the case is open, after the owner was told: one alert for that call, carrying its
 * voicemail (held for the words like a first alert, and for opening time when routine), up to the profile's cap.
 * Nothing when the owner was texted about the case after that call began: that text already covered it.
 */
function planRepeatAlert(profile: Profile, c: Case, now: string): AlertPlan | undefined {
	const call = c.calls.length;
	const last = c.calls[call - 1];
	const key = `repeat:${call}`;
	const cfg = profile.routing.ownerAlerts;
	if (call < 2 || !c.owner || c.alerts.some((a) => a.key === key)) return undefined;
	if (c.alerts.filter((a) => a.kind === 'repeat').length >= cfg.repeatCalls) return undefined;
	const began = Date.parse(last.startedAt);
	if (c.alerts.some((a) => a.ownerId === c.owner!.id && a.status === 'sent' && Date.parse(a.at) >= began)) return;
	const urgency = c.urgency ?? 'normal';
	const waiting = c.voicemailExpected && !callSettled(last) && urgency !== 'emergency';
	const { until, reasons } = holdFor(profile, urgency, waiting ? last.startedAt : null, now);
	if (until) return { action: 'hold', until, reasons: [`call ${call}`, ...reasons] };
	return { action: 'send', kind: 'repeat', level: call, key, reasons: [`the caller rang again (call ${call})`] };
}

/** What a periodic tick does about a case whose deadline or reminder time has come. */
export function planOverdue(profile: Profile, c: Case, now: string): OverduePlan {
	if (!isOpen(c.state) || c.escalationEndedAt) return { action: 'none', reasons: ['nothing to chase'] };
	if (c.claimedAt) return { action: 'none', reasons: ['the owner claimed the case'] };
	const at = Date.parse(now);
	const due = c.nextReminderAt ?? c.dueAt;
	if (!due || Date.parse(due) > at) return { action: 'none', reasons: ['not due yet'] };
	if (!c.nextReminderAt) {
		const d = escalate(profile, c, now);
		if (d.kind === 'escalated') return { action: 'escalate', decision: d };
	}
	const { everyMinutes, max } = profile.routing.reminders;
	if (c.owner?.phone && c.reminders < max) {
		const urgency = c.urgency ?? 'normal';
		const next = isRoutine(profile, urgency)
			? utcIso(addBusinessMinutes(profile, instant(now), everyMinutes))
			: utcIso(instant(now).plus({ minutes: everyMinutes }));
		return {
			action: 'remind',
			reminder: c.reminders + 1,
			nextAt: next,
			reasons: [`escalation ladder spent: reminder ${c.reminders + 1} of ${max} to ${c.owner.name}`],
		};
	}
	return {
		action: 'end',
		reasons: [
			c.owner
				? `escalation ended after ${c.reminders} reminder(s): ${c.owner.name} keeps the case, nobody is texted again`
				: 'escalation ended: nobody on the ladder to text',
		],
	};
}

/** Deadline for a case handed on by escalation: the urgency's deadline, on the business clock if routine. */
export function escalationDeadline(profile: Profile, urgency: Urgency | undefined, now: string): string {
	return deadlineFor(profile, urgency ?? 'normal', now);
}

function overdueBy(dueAt: string | null | undefined, now: string): string {
	const minutes = Math.max(0, Math.round((Date.parse(now) - Date.parse(dueAt ?? now)) / 60000));
	if (minutes < 90) return `${minutes} min`;
	const hours = Math.round(minutes / 60);
	return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

/** A local date's midnight as if it were UTC: the difference of two is a whole number of calendar days. */
function calendarDay(dt: DateTime): number {
	return Date.UTC(dt.year, dt.month - 1, dt.day);
}

/**
 * A time as the owner reads it on their phone, in the business's zone and relative to the text's own day: "4:00 PM
 * today", "9:15 AM tomorrow", "8:00 AM yesterday", else with its date ("4:06 PM Tue Dec 29"), since a weekday alone
 * reads as this week's when a holiday and a weekend push a routine deadline five days out.
 */
function localTime(profile: Profile, iso: string | null | undefined, now: string): string {
	if (!iso) return 'soon';
	const at = instant(iso, zoneOf(profile.timeZone));
	const today = instant(now, zoneOf(profile.timeZone));
	// Calendar days between the two local dates, from their fields: what luxon's startOf('day') and diff in days
	// answer, without building two more DateTimes and a Duration for every alert.
	const days = Math.round((calendarDay(at) - calendarDay(today)) / 86_400_000);
	const day = days === 0 ? 'today' : days === 1 ? 'tomorrow' : days === -1 ? 'yesterday' : at.toFormat('ccc LLL d');
	return `${at.toFormat('h:mm a')} ${day}`;
}

/** The words of an alert of each kind; the templates are the profile's (`messages.*`). */
export function ownerText(
	profile: Profile,
	c: Case,
	kind: OwnerAlertKind,
	now: string,
	extra: { previousOwner?: string; reminder?: number; missedDeadline?: string | null } = {},
): string {
	// A repeat alert is about the latest call: its words, not the first voicemail again.
	const calls = kind === 'repeat' ? c.calls.slice(-1) : c.calls;
	const transcript = sanitizeCallerText(
		calls
			.map((k) => k.voicemail?.transcript)
			.filter(Boolean)
			.join(' '),
		160,
	);
	const missed = extra.missedDeadline ?? c.dueAt;
	// Getters: a number's display form and local times (libphonenumber, luxon) are worked out only for the words a
	// template uses; each kind of alert uses a few of them.
	const view = {
		...messageView(profile, c, now),
		// Owners see the caller's name where a provider gave one: "(312) 555-0123 (Maria Lopez)".
		get caller() {
			return `${formatPhone(c.caller)}${c.callerName ? ` (${sanitizeCallerText(c.callerName, 40)})` : ''}`;
		},
		urgencyLabel: LABELS[c.urgency ?? 'normal'],
		serviceType: c.serviceType ?? 'general',
		timingLabel: c.timing ?? 'unknown timing',
		get dueLocal() {
			return localTime(profile, c.dueAt, now);
		},
		transcript,
		caseShort: c.caseId.slice(0, 8),
		ownerName: c.owner?.name ?? '',
		level: c.escalationLevel,
		previousOwner: extra.previousOwner ?? 'unassigned',
		get overdueBy() {
			return overdueBy(missed, now);
		},
		get missedDue() {
			return localTime(profile, missed, now);
		},
		reminder: extra.reminder ?? c.reminders,
		reminders: profile.routing.reminders.max,
		callNumber: c.calls.length,
		handoffReason: c.assistantHandoff?.reason ?? 'the assistant handed the case over',
		// The caller's latest text (a reply can be what made the case an emergency): the emergency update quotes it.
		get latestReply() {
			return sanitizeCallerText(c.replies.at(-1)?.body ?? '', 160);
		},
		// The caller's own words (intake answers): clipped and cleaned like a transcript; only the hand-off uses them.
		get intake() {
			return sanitizeCallerText(
				Object.entries(c.intake ?? {})
					.map(([k, v]) => `${k}: ${v}`)
					.join('; '),
				200,
			);
		},
	};
	const template = {
		'new-case': 'ownerAlert',
		emergency: 'emergencyUpdate',
		escalation: 'escalationAlert',
		reminder: 'reminder',
		repeat: 'repeatAlert',
		handoff: 'assistantHandoff',
	} as const;
	const name = template[kind];
	const text = renderTemplate(profile.messages[name], view, `messages.${name}`);
	// The owner must not text back a caller who opted out (the relay and the acknowledgment refuse): say so.
	return c.flags.includes('opted-out') ? `${text} Caller opted out of texts: call only.` : text;
}

/** True when `a` is more urgent than `b`. */
export function moreUrgent(a: Urgency, b: Urgency | undefined): boolean {
	return !b || URGENCIES.indexOf(a) < URGENCIES.indexOf(b);
}
