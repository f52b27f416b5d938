import { datetimeRegex, z } from 'zod';
import { isoOfMs, msOfIso } from './instant';

export const PROVIDERS = [
	'twilio',
	'vonage',
	'telnyx',
	'plivo',
	'aircall',
	'openphone',
	'ringcentral',
	'dialpad',
	'vapi',
	'retell',
	'elevenlabs',
	'generic',
] as const;
export type Provider = (typeof PROVIDERS)[number];

export const MISSED_REASONS = [
	'no-answer',
	'busy',
	'failed',
	'canceled',
	'voicemail',
	'short-abandoned',
	'after-hours',
	'overflow',
	// A voice AI answered, and the call still needs a person (see VoiceAiSchema).
	'voice-ai',
] as const;
export type MissedReason = (typeof MISSED_REASONS)[number];

export const URGENCIES = ['emergency', 'high', 'normal', 'low'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const TIMINGS = ['business-hours', 'after-hours', 'weekend', 'holiday'] as const;
export type Timing = (typeof TIMINGS)[number];

export const CASE_STATES = [
	'detected',
	'acknowledged',
	'ack-skipped',
	'assigned',
	'contacted',
	'recovered',
	'lost',
] as const;
export type CaseState = (typeof CASE_STATES)[number];

export const OUTCOMES = ['booked', 'called-back', 'replied', 'lost', 'spam', 'opted-out'] as const;
export type Outcome = (typeof OUTCOMES)[number];

// zod's own datetime pattern, compiled once: `.datetime()` compiles it again on every check of every parse, and a case
// holds a dozen stamps (its calls, its history) and is parsed on every write.
const isoTime = z
	.string()
	.regex(
		datetimeRegex({ offset: true, precision: null, local: false }),
		'Expected an ISO 8601 time such as 2026-11-25T14:03:00Z',
	);
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'Expected an E.164 phone number such as +14155550100');

/** The most caller text (a transcript, a reply) a case keeps; longer text is cut with TRUNCATED_MARK at its end. */
export const CALLER_TEXT_MAX = 5000;
export const TRUNCATED_MARK = ' [truncated]';

/**
 * Caller text as a case keeps it: control characters other than tab and line breaks removed (PostgreSQL refuses
 * NUL), and cut to `max` characters with a marker rather than refused: the words are the caller's, the call is real.
 */
export function clipCallerText(text: string, max = CALLER_TEXT_MAX): string {
	const clean = text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
	if (clean.length <= max) return clean;
	return clean.slice(0, max - TRUNCATED_MARK.length) + TRUNCATED_MARK;
}

export const VoicemailSchema = z.object({
	url: z.string().optional(),
	durationSec: z.number().nonnegative().finite().optional(),
	// Clipped, not refused: a case saved with a longer transcript (before this limit held) must still read back.
	transcript: z
		.string()
		.transform((t) => clipCallerText(t))
		.optional(),
});
export type Voicemail = z.infer<typeof VoicemailSchema>;

/** Why a call a voice AI answered still needs a person; a booked or resolved call never becomes a case. */
export const VOICE_AI_OUTCOMES = ['not-booked', 'escalated', 'asked-for-person', 'failed'] as const;
export type VoiceAiOutcome = (typeof VOICE_AI_OUTCOMES)[number];

/** What a voice AI's end-of-call event tells about the conversation (core/normalize/voice-ai.ts). */
export const VoiceAiSchema = z.object({
	platform: z.enum(['vapi', 'retell', 'elevenlabs', 'twilio-conversation-relay']),
	outcome: z.enum(VOICE_AI_OUTCOMES),
	/** The platform's own words for how the call ended (endedReason, disconnection_reason, SessionStatus...). */
	endedBecause: z.string().max(200).optional(),
	summary: z
		.string()
		.transform((t) => clipCallerText(t))
		.optional(),
	transcript: z
		.string()
		.transform((t) => clipCallerText(t))
		.optional(),
	/** The caller's own turns only: what the classifier reads (the agent's questions name hazards it never saw). */
	callerWords: z
		.string()
		.transform((t) => clipCallerText(t))
		.optional(),
});
export type VoiceAi = z.infer<typeof VoiceAiSchema>;

/** One missed call, as every provider's webhook becomes it. */
export const MissedCallSchema = z.object({
	type: z.literal('missed-call').default('missed-call'),
	eventId: z.string().min(3).max(200),
	provider: z.enum(PROVIDERS),
	callSid: z.string().min(1).max(120),
	from: e164,
	to: e164.or(z.literal('')),
	businessId: z.string().min(1).max(120),
	reason: z.enum(MISSED_REASONS),
	startedAt: isoTime,
	// Finite: JSON keeps Infinity as null, and a case holding null would not read back.
	durationSec: z.number().nonnegative().finite().default(0),
	voicemail: VoicemailSchema.optional(),
	repeat: z.number().int().nonnegative().default(0),
	channel: z.enum(['sms', 'whatsapp']).default('sms'),
	/**
	 * The caller's name where the provider knows it (Twilio's CallerName with caller-name lookup on the number, or a
	 * provider's contact name): shown to owners, never texted to anyone else. Clipped; control characters removed.
	 */
	callerName: z
		.string()
		.transform((s) =>
			s
				.replace(/[\u0000-\u001f\u007f]/g, '')
				.trim()
				.slice(0, 80),
		)
		.optional(),
	/** Set when a voice AI took the call: the caller already talked to someone, and its transcript says why. */
	answeredBy: z.literal('voice-ai').optional(),
	voiceAi: VoiceAiSchema.optional(),
	raw: z.unknown().optional(),
});
export type MissedCall = z.infer<typeof MissedCallSchema>;

/** An SMS (or WhatsApp) message from a caller: a recovery signal, or STOP/START/HELP. */
export const InboundMessageSchema = z.object({
	type: z.literal('inbound-message').default('inbound-message'),
	eventId: z.string(),
	provider: z.enum(PROVIDERS),
	messageSid: z.string(),
	from: e164,
	to: e164,
	businessId: z.string(),
	body: z.string().max(5000),
	channel: z.enum(['sms', 'whatsapp']).default('sms'),
	keyword: z.enum(['stop', 'start', 'help']).optional(),
	receivedAt: isoTime,
	raw: z.unknown().optional(),
});
export type InboundMessage = z.infer<typeof InboundMessageSchema>;

/** Delivery news for a message we sent. */
export const MessageStatusSchema = z.object({
	type: z.literal('message-status').default('message-status'),
	eventId: z.string(),
	provider: z.enum(PROVIDERS),
	messageSid: z.string(),
	to: z.string(),
	status: z.string(),
	errorCode: z.number().int().optional(),
	businessId: z.string(),
	at: isoTime,
	raw: z.unknown().optional(),
});
export type MessageStatus = z.infer<typeof MessageStatusSchema>;

/** Twilio's final statuses for a text that never reached the phone. */
export const NOT_DELIVERED: readonly string[] = ['failed', 'undelivered'];

/** A delivery report saying the text never reached the phone. */
export function notDelivered(status: string): boolean {
	return NOT_DELIVERED.includes(status);
}

/** A voicemail recording or its transcription that belongs to a call already seen. */
export const VoicemailEventSchema = z.object({
	type: z.literal('voicemail').default('voicemail'),
	eventId: z.string(),
	provider: z.enum(PROVIDERS),
	callSid: z.string(),
	from: z.string(),
	to: z.string(),
	businessId: z.string(),
	voicemail: VoicemailSchema,
	at: isoTime,
	raw: z.unknown().optional(),
});
export type VoicemailEvent = z.infer<typeof VoicemailEventSchema>;

export const AttemptSchema = z.object({
	at: isoTime,
	channel: z.enum(['sms', 'whatsapp', 'call', 'email', 'other']),
	by: z.string().max(120),
	result: z.enum(['sent', 'failed', 'no-answer', 'voicemail', 'reached', 'replied', 'booked']),
	note: z.string().max(1000).optional(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const AckSchema = z.object({
	// sending: a send has started and its result is not recorded yet (the process may have died while it was out).
	status: z.enum(['pending', 'sending', 'sent', 'skipped', 'deferred', 'failed']),
	/** When the unfinished send started, from which number, and which attempt holds it (status sending). */
	since: isoTime.optional(),
	from: z.string().optional(),
	claim: z.string().optional(),
	reason: z.string().optional(),
	body: z.string().optional(),
	channel: z.enum(['sms', 'whatsapp']).optional(),
	messageSid: z.string().optional(),
	segments: z.number().int().optional(),
	sendAt: isoTime.optional(),
	tries: z.number().int().default(0),
	error: z.object({ code: z.number().optional(), message: z.string() }).optional(),
});
export type Ack = z.infer<typeof AckSchema>;

export const CaseCallSchema = z.object({
	eventId: z.string(),
	callSid: z.string(),
	reason: z.enum(MISSED_REASONS),
	startedAt: isoTime,
	durationSec: z.number(),
	voicemail: VoicemailSchema.optional(),
	answeredBy: z.literal('voice-ai').optional(),
	voiceAi: VoiceAiSchema.optional(),
});
export type CaseCall = z.infer<typeof CaseCallSchema>;

export const HistoryEntrySchema = z.object({
	at: isoTime,
	key: z.string(),
	move: z.string(),
	from: z.enum(CASE_STATES),
	to: z.enum(CASE_STATES),
	note: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

export const OWNER_ALERT_KINDS = ['new-case', 'emergency', 'escalation', 'reminder', 'repeat', 'handoff'] as const;
export type OwnerAlertKind = (typeof OWNER_ALERT_KINDS)[number];

/**
 * A text to staff about a case. Stored on the case, so two processes racing to send the same alert meet on the case's
 * version: one claims `key` (status sending) and sends, the other sees the claim and sends nothing.
 */
export const OwnerAlertSchema = z.object({
	/** One alert per case, kind and level: new-case:0, emergency:0, escalation:2, reminder:1, repeat:3 (third call). */
	key: z.string(),
	kind: z.enum(OWNER_ALERT_KINDS),
	level: z.number().int(),
	to: z.string(),
	ownerId: z.string(),
	at: isoTime,
	status: z.enum(['sending', 'sent', 'failed']),
	/** The urgency the text announced: an emergency alert follows only a lower one. */
	urgency: z.enum(URGENCIES).optional(),
	claim: z.string().optional(),
	sid: z.string().optional(),
	error: z.string().optional(),
	/** Sends tried: a failed alert, or one whose sender died mid-send, is tried again up to ALERT_TRIES times. */
	tries: z.number().int().default(1),
});
export type OwnerAlert = z.infer<typeof OwnerAlertSchema>;

/** How often an owner alert is tried, and how long a send in progress may take before it counts as cut off. */
export const ALERT_TRIES = 3;
export const ALERT_STALE_MS = 2 * 60e3;

/** An alert that has not reached the owner and is due another try (failed, or cut off mid-send). */
export function alertRetryAt(a: OwnerAlert): string | null {
	if (a.status === 'sent' || a.tries >= ALERT_TRIES) return null;
	return isoOfMs(msOfIso(a.at) + ALERT_STALE_MS);
}

/**
 * When the tick tries an alert on this case again: only one it would send, to the person who owns the case now (a first
 * alert goes to whoever owns it now). An alert meant for an earlier owner is not retried, so it must not wake the case
 * either: a wake that finds nothing to do leaves the case claimed for a whole lease, and its next step waits for that.
 */
export function alertRetryFor(c: Case, a: OwnerAlert): string | null {
	if (!c.owner?.phone || (a.kind !== 'new-case' && a.ownerId !== c.owner.id)) return null;
	return alertRetryAt(a);
}

/** One message of the caller-owner conversation a case carries. */
export const ThreadEntrySchema = z.object({
	at: isoTime,
	from: z.enum(['caller', 'owner']),
	/** The roster member who wrote or received it. */
	ownerId: z.string().optional(),
	body: z.string().max(1600),
	/** relayed: it reached the other side; refused: it did not (opted out, quiet hours, caps), with the reason. */
	status: z.enum(['relayed', 'refused', 'failed']),
	reason: z.string().optional(),
	sid: z.string().optional(),
	/** Written by the SMS assistant (core/assistant), not by a person: from 'owner' means from the business. */
	automated: z.boolean().optional(),
});
export type ThreadEntry = z.infer<typeof ThreadEntrySchema>;

/** A text to the caller after the acknowledgment (an emergency's safety step). */
export const FollowUpSchema = z.object({
	key: z.string(),
	at: isoTime,
	status: z.enum(['sent', 'skipped', 'failed']),
	reason: z.string().optional(),
	sid: z.string().optional(),
});
export type FollowUp = z.infer<typeof FollowUpSchema>;

export const CaseSchema = z.object({
	caseId: z.string(),
	businessId: z.string(),
	caller: e164,
	calledNumber: z.string(),
	channel: z.enum(['sms', 'whatsapp']).default('sms'),
	/** The caller's name where a provider gave one (see MissedCall.callerName). */
	callerName: z.string().max(80).optional(),
	/** Case-page links carry this; bumping it revokes every link to the case (see core/case-page.ts). */
	linkRevision: z.number().int().default(0),
	state: z.enum(CASE_STATES),
	calls: z.array(CaseCallSchema),
	urgency: z.enum(URGENCIES).optional(),
	serviceType: z.string().optional(),
	timing: z.enum(TIMINGS).optional(),
	score: z.number().optional(),
	reasons: z.array(z.string()).default([]),
	owner: z.object({ id: z.string(), name: z.string(), phone: z.string().optional() }).nullable().default(null),
	nobodyAvailable: z.boolean().default(false),
	dueAt: isoTime.nullable().default(null),
	escalationLevel: z.number().int().default(0),
	ack: AckSchema.default({ status: 'pending', tries: 0 }),
	attempts: z.array(AttemptSchema).default([]),
	replies: z.array(z.object({ at: isoTime, body: z.string() })).default([]),
	outcome: z
		.object({ kind: z.enum(OUTCOMES), value: z.number().optional(), note: z.string().optional() })
		.nullable()
		.default(null),
	flags: z.array(z.string()).default([]),
	stamps: z.object({
		detectedAt: isoTime,
		acknowledgedAt: isoTime.optional(),
		classifiedAt: isoTime.optional(),
		assignedAt: isoTime.optional(),
		firstContactAt: isoTime.optional(),
		closedAt: isoTime.optional(),
	}),
	history: z.array(HistoryEntrySchema).default([]),
	/** The caller was offered voicemail: the owner's first alert waits a little for its words (see core/notify.ts). */
	voicemailExpected: z.boolean().default(false),
	/**
	 * The owner was picked before the voicemail's words arrived (the first alert held for them): the words may name
	 * another service, so the case is routed again on them before anyone is told (see RecoveryLoop.route).
	 */
	routeProvisional: z.boolean().default(false),
	/** Until when the owner's first alert is held (for the voicemail's words, or until opening for a routine call). */
	alertHoldUntil: isoTime.nullable().default(null),
	alerts: z.array(OwnerAlertSchema).default([]),
	followUps: z.array(FollowUpSchema).default([]),
	/** Reminders sent to the last owner once the escalation ladder ran out, and when the next one is due. */
	reminders: z.number().int().default(0),
	nextReminderAt: isoTime.nullable().default(null),
	/** The ladder and its reminders are spent: the case stays open on the report, and nobody is texted again. */
	escalationEndedAt: isoTime.nullable().default(null),
	/** An owner took the case from their phone ("1", "OK"): escalation stops, the deadline stays theirs. */
	claimedAt: isoTime.nullable().default(null),
	claimedBy: z.string().nullable().default(null),
	/** Texts between the caller and the owner, relayed through the business number (the owner's number stays private). */
	thread: z.array(ThreadEntrySchema).default([]),
	/**
	 * The caller's answers to the trade's intake questions (what happened, address or ZIP code, best time), by question
	 * key, as the SMS assistant read them from the caller's texts (core/assistant). Caller words: shown, never obeyed.
	 */
	intake: z.record(z.string(), z.string().max(300)).optional(),
	/** When and why the SMS assistant handed the case to the owner; it writes to the caller no more after this. */
	assistantHandoff: z.object({ at: isoTime, reason: z.string().max(300) }).optional(),
	/** A periodic duty failed on this case: it is left alone until then, so it never holds up the others. */
	snoozedUntil: isoTime.nullable().default(null),
	/** Periodic duties that failed on this case in a row (each doubles the snooze). */
	tickFailures: z.number().int().default(0),
	version: z.number().int().default(0),
});
export type Case = z.infer<typeof CaseSchema>;

/**
 * When a case next needs the periodic tick: its deadline (until escalation ends), a held owner alert (cleared when it
 * is sent or no longer due), or a reminder;
 * never before a snooze set after a failure. Null when nothing is pending. The store indexes this time.
 */
export function wakeAt(c: Case): string | null {
	if (!isOpen(c.state)) return null;
	const times = [
		c.escalationEndedAt || c.claimedAt ? null : (c.nextReminderAt ?? c.dueAt),
		c.alertHoldUntil,
		...c.alerts.map((a) => alertRetryFor(c, a)),
	].filter((t): t is string => !!t);
	if (!times.length) return null;
	return notBeforeSnooze(
		c,
		times.reduce((a, b) => (msOfIso(a) <= msOfIso(b) ? a : b)),
	);
}

/** A time a periodic duty is due, pushed back to the case's snooze after a failure (see RecoveryLoop.tick). */
export function notBeforeSnooze<T extends string | null>(c: Case, at: T): T | string {
	if (at === null || !c.snoozedUntil) return at;
	return msOfIso(c.snoozedUntil) > msOfIso(at) ? c.snoozedUntil : at;
}

/**
 * Safety nets for a process that dies between stages (a killed worker, a crash): an acknowledgment still pending
 * this long after detection is picked up by the due-acknowledgment sweep, and a case still unrouted this long
 * after detection by the overdue sweep. A healthy pipeline finishes both in seconds.
 */
export const ACK_SAFETY_NET_MS = 2 * 60e3;
export const ROUTE_SAFETY_NET_MS = 5 * 60e3;

export const OPEN_STATES: readonly CaseState[] = ['detected', 'acknowledged', 'ack-skipped', 'assigned', 'contacted'];
export function isOpen(state: CaseState): boolean {
	return OPEN_STATES.includes(state);
}
