import { randomUUID } from 'node:crypto';
import { IllegalTransitionError, RecoveryInputError } from '../errors';
import {
	OUTCOMES,
	type Attempt,
	type Case,
	type CaseCall,
	type CaseState,
	type FollowUp,
	type MissedCall,
	type Outcome,
	type OwnerAlert,
	type ThreadEntry,
	type Timing,
} from '../model';
import type { Classification } from '../classify';
import type { EscalationDecision, RouteDecision } from '../route';

/** The moves each state allows. `recovered` and `lost` are final: a new call opens a new case. */
export const MOVES: Record<CaseState, readonly CaseState[]> = {
	detected: ['acknowledged', 'ack-skipped', 'assigned', 'contacted', 'recovered', 'lost'],
	acknowledged: ['assigned', 'contacted', 'recovered', 'lost'],
	'ack-skipped': ['assigned', 'contacted', 'recovered', 'lost'],
	assigned: ['assigned', 'contacted', 'recovered', 'lost'],
	contacted: ['contacted', 'recovered', 'lost'],
	recovered: [],
	lost: [],
};

/**
 * The document keeps the latest moves; the store keeps the keys of older ones (see `earlierKeys`), so a replay is
 * recognised however long the case's history grows.
 */
export const HISTORY_LIMIT = 200;

/** Keys of moves that have left a case's bounded history, attached by the store to the cases it returns. */
const earlier = new WeakMap<Case, ReadonlySet<string>>();

/**
 * Attaches the keys the store keeps for moves that left the case's history (a case read with a full history).
 * Kept beside the document, never in it: they do not grow what is stored, sent or emitted.
 */
export function withEarlierKeys(c: Case, keys: Iterable<string>): Case {
	earlier.set(c, new Set(keys));
	return c;
}

/** The keys attached by `withEarlierKeys`, if any. */
export function earlierKeys(c: Case): ReadonlySet<string> | undefined {
	return earlier.get(c);
}

/** Whether a move was applied to the case: in its history, or earlier (the store's keys). */
export function hasApplied(c: Case, key: string): boolean {
	return c.history.some((h) => h.key === key) || earlier.get(c)?.has(key) === true;
}

/** The keys of moves that left the history between a stored version and the next (what the store must keep). */
export function droppedKeys(stored: Case, next: Case): string[] {
	const kept = new Set(next.history.map((h) => h.key));
	return [...new Set(stored.history.map((h) => h.key).filter((k) => !kept.has(k)))];
}

function record(c: Case, key: string, move: string, to: CaseState, at: string, note?: string): Case {
	const entry = { at, key, move, from: c.state, to, ...(note ? { note } : {}) };
	const history = [...c.history, entry];
	return { ...c, state: to, history: history.length > HISTORY_LIMIT ? history.slice(-HISTORY_LIMIT) : history };
}

/** Applies a move once per key: the same key again returns the case unchanged, an illegal move throws. */
export function transition(c: Case, to: CaseState, key: string, at: string, note?: string): Case {
	if (hasApplied(c, key)) return c;
	if (!MOVES[c.state].includes(to)) throw new IllegalTransitionError(c.caseId, c.state, to, MOVES[c.state]);
	return record(c, key, to, to, at, note);
}

/** Records an attribute change (classification, a deferred acknowledgment) in the history without moving. */
function note(c: Case, key: string, move: string, at: string, text?: string): Case {
	if (c.state === 'recovered' || c.state === 'lost') throw new IllegalTransitionError(c.caseId, c.state, move, []);
	return record(c, key, move, c.state, at, text);
}

/** What the pipeline knows when it opens a case: when the call came in relative to the business's week. */
export interface CaseOpening {
	timing?: Timing;
	/** The caller was offered voicemail (forward mode): its words may follow. */
	voicemailExpected?: boolean;
}

/** A voice AI's account of the call (transcript, summary, outcome), kept on the case's call for the owner. */
function voiceAiOf(event: MissedCall): Pick<CaseCall, 'answeredBy' | 'voiceAi'> {
	return event.answeredBy ? { answeredBy: event.answeredBy, ...(event.voiceAi ? { voiceAi: event.voiceAi } : {}) } : {};
}

export function newCase(event: MissedCall, at: string, opening: CaseOpening = {}): Case {
	return {
		caseId: randomUUID(),
		businessId: event.businessId,
		caller: event.from,
		calledNumber: event.to,
		channel: event.channel,
		state: 'detected',
		calls: [
			{
				eventId: event.eventId,
				callSid: event.callSid,
				reason: event.reason,
				startedAt: event.startedAt,
				durationSec: event.durationSec,
				...(event.voicemail ? { voicemail: event.voicemail } : {}),
				...voiceAiOf(event),
			},
		],
		reasons: [],
		owner: null,
		nobodyAvailable: false,
		dueAt: null,
		escalationLevel: 0,
		ack: { status: 'pending', tries: 0 },
		attempts: [],
		replies: [],
		outcome: null,
		flags: [],
		stamps: { detectedAt: at },
		history: [{ at, key: `detect:${event.eventId}`, move: 'detected', from: 'detected', to: 'detected' }],
		...(opening.timing ? { timing: opening.timing } : {}),
		voicemailExpected: !!opening.voicemailExpected,
		routeProvisional: false,
		linkRevision: 0,
		...(event.callerName ? { callerName: event.callerName } : {}),
		alertHoldUntil: null,
		alerts: [],
		followUps: [],
		reminders: 0,
		nextReminderAt: null,
		escalationEndedAt: null,
		claimedAt: null,
		claimedBy: null,
		thread: [],
		snoozedUntil: null,
		tickFailures: 0,
		version: 0,
	};
}

/** A repeat call joins the open case: the call is added, the state stays where it is. */
export function foldCall(c: Case, event: MissedCall, at: string, opening: CaseOpening = {}): Case {
	if (c.calls.some((k) => k.eventId === event.eventId)) return c;
	const calls = [
		...c.calls,
		{
			eventId: event.eventId,
			callSid: event.callSid,
			reason: event.reason,
			startedAt: event.startedAt,
			durationSec: event.durationSec,
			...(event.voicemail ? { voicemail: event.voicemail } : {}),
			...voiceAiOf(event),
		},
	];
	return note(
		{
			...c,
			calls,
			voicemailExpected: c.voicemailExpected || !!opening.voicemailExpected,
			...(!c.callerName && event.callerName ? { callerName: event.callerName } : {}),
		},
		`detect:${event.eventId}`,
		'repeat-call',
		at,
		`call ${calls.length} from this caller`,
	);
}

export function attachVoicemail(
	c: Case,
	callSid: string,
	vm: { url?: string; durationSec?: number; transcript?: string },
	key: string,
	at: string,
): Case {
	if (hasApplied(c, key)) return c;
	const calls = c.calls.map((k) =>
		k.callSid === callSid
			? {
					...k,
					reason: 'voicemail' as const,
					voicemail: { ...k.voicemail, ...Object.fromEntries(Object.entries(vm).filter(([, v]) => v !== undefined)) },
				}
			: k,
	);
	return note({ ...c, calls }, key, vm.transcript !== undefined ? 'transcript' : 'voicemail', at);
}

export type AckResult =
	| { status: 'sending'; body: string; channel: 'sms' | 'whatsapp'; from: string; claim: string }
	| { status: 'sent'; messageSid: string; body: string; channel: 'sms' | 'whatsapp'; segments: number }
	| { status: 'skipped'; reason: string }
	| { status: 'deferred'; sendAt: string; reason: string; body: string }
	| { status: 'failed'; error: { code?: number; message: string }; retryAt?: string };

export function recordAck(c: Case, r: AckResult, key: string, at: string): Case {
	if (hasApplied(c, key)) return c;
	const tries = c.ack.tries + (r.status === 'sent' || r.status === 'failed' ? 1 : 0);
	switch (r.status) {
		case 'sending':
			// Stored before the text goes out: if the process dies mid-send, the sweep asks the provider what happened.
			return note(
				{
					...c,
					ack: {
						status: 'sending',
						since: c.ack.status === 'failed' && c.ack.since ? c.ack.since : at,
						body: r.body,
						channel: r.channel,
						from: r.from,
						claim: r.claim,
						tries,
					},
				},
				key,
				'ack-sending',
				at,
			);
		case 'sent': {
			const next = {
				...c,
				ack: {
					status: 'sent' as const,
					messageSid: r.messageSid,
					body: r.body,
					channel: r.channel,
					segments: r.segments,
					tries,
				},
				stamps: { ...c.stamps, acknowledgedAt: at },
				flags: c.flags.filter((f) => f !== 'ack-failed' && f !== 'ack-unconfirmed'),
			};
			return c.state === 'detected' ? transition(next, 'acknowledged', key, at) : note(next, key, 'acknowledged', at);
		}
		case 'skipped': {
			const next = { ...c, ack: { status: 'skipped' as const, reason: r.reason, tries } };
			return c.state === 'detected'
				? transition(next, 'ack-skipped', key, at, r.reason)
				: note(next, key, 'ack-skipped', at, r.reason);
		}
		case 'deferred':
			return note(
				{ ...c, ack: { status: 'deferred', sendAt: r.sendAt, reason: r.reason, body: r.body, tries } },
				key,
				'ack-deferred',
				at,
				`${r.reason}; sends at ${r.sendAt}`,
			);
		case 'failed': {
			const flags = c.flags.includes('ack-failed') ? c.flags : [...c.flags, 'ack-failed'];
			// `since` stays: the next try asks the provider whether any earlier try left after all (a timed-out send may have).
			return note(
				{
					...c,
					flags,
					ack: {
						status: 'failed',
						error: r.error,
						tries,
						...(r.retryAt ? { sendAt: r.retryAt } : {}),
						...(c.ack.since ? { since: c.ack.since, body: c.ack.body, from: c.ack.from, channel: c.ack.channel } : {}),
					},
				},
				key,
				'ack-failed',
				at,
				r.error.message,
			);
		}
	}
}

export function applyClassification(c: Case, k: Classification, key: string, at: string): Case {
	if (hasApplied(c, key)) return c;
	return note(
		{
			...c,
			urgency: k.urgency,
			serviceType: k.serviceType,
			timing: k.timing,
			score: k.score,
			reasons: k.reasons,
			stamps: { ...c.stamps, classifiedAt: at },
		},
		key,
		'classified',
		at,
		`${k.urgency}, ${k.serviceType}`,
	);
}

export function applyRoute(c: Case, d: RouteDecision, key: string, at: string): Case {
	if (hasApplied(c, key)) return c;
	if (d.kind === 'nobody-available') {
		const flags = c.flags.includes('nobody-available') ? c.flags : [...c.flags, 'nobody-available'];
		return note(
			{ ...c, owner: null, nobodyAvailable: true, dueAt: d.dueAt, flags },
			key,
			'nobody-available',
			at,
			d.reasons[d.reasons.length - 1],
		);
	}
	const next = {
		...c,
		owner: d.owner,
		nobodyAvailable: false,
		dueAt: d.dueAt,
		escalationLevel: d.escalationLevel,
		flags: c.flags.filter((f) => f !== 'nobody-available'),
		stamps: { ...c.stamps, assignedAt: c.stamps.assignedAt ?? at },
	};
	if (c.state === 'contacted') return note(next, key, 'assigned', at, d.owner.name);
	return transition(next, 'assigned', key, at, d.owner.name);
}

/**
 * A provisional owner replaced, before anyone was told, once the caller's words are in (they may name another
 * service and so another pool). Nothing moves: the case stays assigned, with the new owner and deadline.
 */
export function rerouteOnWords(c: Case, d: RouteDecision, key: string, at: string): Case {
	if (hasApplied(c, key) || d.kind !== 'assigned') return { ...c, routeProvisional: false };
	const change =
		c.owner?.id === d.owner.id ? `${d.owner.name} kept` : `${c.owner?.name ?? 'nobody'} to ${d.owner.name}`;
	return note(
		{ ...c, owner: d.owner, dueAt: d.dueAt, routeProvisional: false },
		key,
		'routed-on-words',
		at,
		`${c.serviceType ?? 'service unknown'}: ${change}`,
	);
}

export function applyEscalation(c: Case, d: EscalationDecision, key: string, at: string): Case {
	if (hasApplied(c, key)) return c;
	if (d.kind === 'exhausted') {
		const flags = c.flags.includes('escalation-exhausted') ? c.flags : [...c.flags, 'escalation-exhausted'];
		return note({ ...c, flags }, key, 'escalation-exhausted', at);
	}
	const next = {
		...c,
		owner: d.owner,
		dueAt: d.dueAt,
		escalationLevel: d.level,
		nobodyAvailable: false,
		snoozedUntil: null,
	};
	return c.state === 'contacted'
		? note(next, key, `escalated-${d.level}`, at, d.owner.name)
		: transition(next, 'assigned', key, at, `escalated to ${d.owner.name}`);
}

const CONTACT_RESULTS: Attempt['result'][] = ['reached', 'replied', 'booked'];

export function recordAttempt(c: Case, a: Attempt, key: string): Case {
	if (hasApplied(c, key)) return c;
	const next = { ...c, attempts: [...c.attempts, a] };
	if (!CONTACT_RESULTS.includes(a.result)) return note(next, key, `attempt-${a.result}`, a.at, a.note);
	next.stamps = { ...c.stamps, firstContactAt: c.stamps.firstContactAt ?? a.at };
	return transition(next, 'contacted', key, a.at, `${a.channel} ${a.result} by ${a.by}`);
}

export function recordReply(c: Case, body: string, key: string, at: string): Case {
	if (hasApplied(c, key)) return c;
	const next = { ...c, replies: [...c.replies, { at, body: body.slice(0, 1000) }] };
	return recordAttempt(next, { at, channel: 'sms', by: 'caller', result: 'replied' }, key);
}

const RECOVERED: Outcome[] = ['booked', 'called-back', 'replied'];

export function recordOutcome(
	c: Case,
	outcome: { kind: Outcome; value?: number; note?: string },
	key: string,
	at: string,
): Case {
	if (hasApplied(c, key)) return c;
	if (!OUTCOMES.includes(outcome.kind))
		throw new RecoveryInputError('outcome', outcome.kind, `Use one of: ${OUTCOMES.join(', ')}.`);
	if (outcome.value !== undefined && (!Number.isFinite(outcome.value) || outcome.value < 0)) {
		throw new RecoveryInputError(
			'value',
			outcome.value,
			'The recovered value is an amount of money of 0 or more, such as 350.',
		);
	}
	const to: CaseState = RECOVERED.includes(outcome.kind) ? 'recovered' : 'lost';
	return transition({ ...c, outcome, stamps: { ...c.stamps, closedAt: at } }, to, key, at, outcome.kind);
}

/**
 * The caller's open case, settled by a later call a voice agent resolved: recovered, as the owner would close it
 * after calling back ("called-back": the caller was reached and helped; not "booked", which the platforms' success
 * verdicts do not tell apart from an answered question), with the history saying who settled it.
 */
export function settledByVoiceAgent(c: Case, platform: string, key: string, at: string): Case {
	if (hasApplied(c, key)) return c;
	const text = `settled by the voice agent (${platform}) when the caller called again`;
	// A gas smell or a flood is not settled by a bot's verdict: the owner keeps it, with the agent's call on record.
	if (c.urgency === 'emergency') return note(c, key, 'voice-agent-answered', at, `${text}; an emergency stays open`);
	const outcome = { kind: 'called-back' as const, note: text };
	return transition({ ...c, outcome, stamps: { ...c.stamps, closedAt: at } }, 'recovered', key, at, text);
}

/** An owner alert claimed (sending), sent or failed; a key already sent or being sent is left as it is. */
export function recordAlert(c: Case, alert: OwnerAlert, at: string): Case {
	const others = c.alerts.filter((a) => a.key !== alert.key);
	const next = {
		...c,
		alerts: [...others, alert],
		alertHoldUntil: alert.kind === 'new-case' || alert.kind === 'repeat' ? null : c.alertHoldUntil,
	};
	if (alert.status === 'sending') return next;
	const flags =
		alert.status === 'failed' && !c.flags.includes('owner-alert-failed') ? [...c.flags, 'owner-alert-failed'] : c.flags;
	return note(
		{ ...next, flags },
		`alert:${alert.key}:${alert.status}:${alert.claim ?? ''}`,
		`owner-${alert.kind}-${alert.status}`,
		at,
		alert.to,
	);
}

/** The owner's first alert waits (for the voicemail's words, or for opening time). */
export function holdAlert(c: Case, until: string, reason: string, at: string): Case {
	if (c.alertHoldUntil === until) return c;
	return note({ ...c, alertHoldUntil: until }, `hold:${until}`, 'owner-alert-held', at, `${reason}; until ${until}`);
}

/** Every case-page link to the case stops working: the links carry the revision they were made at. */
export function revokeLinks(c: Case, at: string): Case {
	const rev = c.linkRevision + 1;
	return note({ ...c, linkRevision: rev }, `links-revoked:${rev}`, 'links-revoked', at);
}

/** A reminder to the last owner once the ladder is spent, and when the next one is due. */
export function recordReminder(c: Case, reminder: number, nextAt: string, at: string): Case {
	if (c.reminders >= reminder) return c;
	return note(
		{ ...c, reminders: reminder, nextReminderAt: nextAt },
		`reminder:${reminder}`,
		'reminded',
		at,
		`reminder ${reminder}`,
	);
}

/** Escalation is over: the case stays open and owned, on the report, and nobody is texted about it again. */
export function endEscalation(c: Case, reason: string, at: string): Case {
	if (c.escalationEndedAt) return c;
	const flags = c.flags.includes('escalation-ended') ? c.flags : [...c.flags, 'escalation-ended'];
	return note(
		{ ...c, escalationEndedAt: at, nextReminderAt: null, flags },
		'escalation-ended',
		'escalation-ended',
		at,
		reason,
	);
}

/** A follow-up text to the caller (an emergency's safety step): sent, skipped or failed, once per key. */
export function recordFollowUp(c: Case, f: FollowUp): Case {
	if (c.followUps.some((x) => x.key === f.key)) return c;
	return note({ ...c, followUps: [...c.followUps, f] }, `follow-up:${f.key}`, `follow-up-${f.status}`, f.at, f.reason);
}

/** A periodic duty failed on this case: it waits until `until`, flagged, so the other cases go on. */
export function snooze(c: Case, until: string, error: string, at: string): Case {
	const next = { ...c, snoozedUntil: until, tickFailures: c.tickFailures + 1 };
	// The first failure goes into the history; later ones only push the snooze (the history keeps what matters).
	if (c.flags.includes('tick-failed')) return next;
	return note(
		{ ...next, flags: [...c.flags, 'tick-failed'] },
		`snooze:${until}`,
		'tick-failed',
		at,
		error.slice(0, 300),
	);
}

/** A periodic duty that had failed on this case went through: the flag and the failure count are cleared. */
export function recovered(c: Case, at: string): Case {
	if (!c.tickFailures && !c.flags.includes('tick-failed')) return c;
	const next = { ...c, snoozedUntil: null, tickFailures: 0, flags: c.flags.filter((f) => f !== 'tick-failed') };
	if (c.state === 'recovered' || c.state === 'lost') return next;
	return note(
		next,
		`recovered:${c.tickFailures}:${at}`,
		'tick-recovered',
		at,
		`after ${c.tickFailures} failed tick(s)`,
	);
}

/** An owner took the case from their phone: escalation and reminders stop; it stays open until its outcome. */
export function claimCase(c: Case, by: { id: string; name: string; phone?: string }, at: string): Case {
	if (c.claimedAt) return c;
	const owner = c.owner?.id === by.id ? c.owner : by;
	return note(
		{ ...c, owner, claimedAt: at, claimedBy: by.id, nextReminderAt: null },
		`claim:${by.id}`,
		'claimed',
		at,
		by.name,
	);
}

/** A message of the caller-owner thread, once per key. */
export function recordThread(c: Case, entry: ThreadEntry, key: string): Case {
	if (hasApplied(c, key)) return c;
	return note(
		{ ...c, thread: [...c.thread, entry] },
		key,
		`thread-${entry.from}-${entry.status}`,
		entry.at,
		entry.reason,
	);
}

/** Claims a once-per-case step for one runner: the first claim stays, later ones change nothing (see claimedBy). */
export function claimOnce(c: Case, step: string, claim: string, at: string): Case {
	const key = `claim:${step}`;
	if (hasApplied(c, key)) return c;
	return note(c, key, `claimed-${step}`, at, claim);
}

/** Who claimed a once-per-case step, if anyone. */
export function claimedBy(c: Case, step: string): string | undefined {
	return c.history.find((h) => h.key === `claim:${step}`)?.note;
}

/** The caller's intake answers the assistant read, merged over earlier ones (a later answer corrects an earlier). */
export function recordIntake(c: Case, answers: Record<string, string>, at: string): Case {
	const intake = { ...(c.intake ?? {}) };
	let changed = false;
	for (const [k, v] of Object.entries(answers)) {
		const clean = v
			.replace(/[\u0000-\u001f\u007f]/g, ' ')
			.trim()
			.slice(0, 300);
		if (clean && intake[k] !== clean) {
			intake[k] = clean;
			changed = true;
		}
	}
	if (!changed) return c;
	return note({ ...c, intake }, `intake:${at}:${Object.keys(answers).sort().join(',')}`, 'intake-recorded', at);
}

/** The assistant hands the case to its owner, once: a later hand-off changes nothing. */
export function recordAssistantHandoff(c: Case, reason: string, at: string): Case {
	if (c.assistantHandoff) return c;
	return note(
		{ ...c, assistantHandoff: { at, reason: reason.slice(0, 300) } },
		'assistant:handoff',
		'assistant-handoff',
		at,
		reason,
	);
}
