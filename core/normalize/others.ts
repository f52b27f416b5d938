import { z } from 'zod';
import { parseOrThrow, RecoveryInputError } from '../errors';
import { clipCallerText, type MissedReason } from '../model';
import { redactPayload } from '../redact';
import {
	businessOf,
	calledNumber,
	get,
	id,
	inbound,
	isOutbound,
	isoOf,
	lookup,
	missed,
	num,
	str,
	type NormalizeOptions,
	type Normalized,
} from './common';
import { normalizeTwilio } from './twilio';

/** Vonage Voice API event webhook. */
export function normalizeVonage(payload: Record<string, unknown>, opts: NormalizeOptions): Normalized {
	const MISSED: Record<string, MissedReason> = {
		unanswered: 'no-answer',
		timeout: 'no-answer',
		busy: 'busy',
		failed: 'failed',
		rejected: 'busy',
		cancelled: 'canceled',
	};
	if (payload.message_uuid !== undefined && payload.text !== undefined) {
		const p = parseOrThrow(
			z.object({ message_uuid: id, from: str, to: str, text: str, timestamp: str.nullish() }).passthrough(),
			payload,
			'Vonage inbound message',
		);
		return inbound(
			'vonage',
			{ messageSid: p.message_uuid, from: p.from, to: p.to, body: p.text, at: p.timestamp, raw: payload },
			opts,
		);
	}
	const p = parseOrThrow(
		z
			.object({
				uuid: id,
				conversation_uuid: str.nullish(),
				status: str,
				from: str.nullish(),
				to: str.nullish(),
				direction: str.nullish(),
				timestamp: str.nullish(),
				start_time: str.nullish(),
				duration: num.nullish(),
			})
			.passthrough(),
		payload,
		'Vonage call event',
	);
	if (isOutbound(p.direction)) return { kind: 'not-missed', callSid: p.uuid, reason: `outbound call ${p.status}` };
	const reason = lookup(MISSED, p.status);
	if (!reason) {
		if (p.status === 'completed') {
			const d = p.duration ?? 0;
			if (d < (opts.minCallSeconds ?? 8))
				return missed(
					'vonage',
					{
						callSid: p.uuid,
						from: p.from,
						to: p.to,
						reason: 'short-abandoned',
						startedAt: p.start_time ?? p.timestamp,
						durationSec: d,
						raw: payload,
						fromField: 'from',
					},
					opts,
				);
			return { kind: 'not-missed', callSid: p.uuid, reason: `the call was answered (${d} s)` };
		}
		return { kind: 'ignored', reason: `call status ${p.status}` };
	}
	return missed(
		'vonage',
		{
			callSid: p.uuid,
			from: p.from,
			to: p.to,
			reason,
			startedAt: p.start_time ?? p.timestamp,
			durationSec: p.duration ?? 0,
			raw: payload,
			fromField: 'from',
		},
		opts,
	);
}

/** Telnyx Call Control (`call.hangup`) and its messaging webhooks; TeXML speaks Twilio's dialect. */
export function normalizeTelnyx(payload: Record<string, unknown>, opts: NormalizeOptions): Normalized {
	if (payload.CallSid !== undefined) return normalizeTwilio(payload, opts, 'telnyx');
	const MISSED: Record<string, MissedReason> = {
		no_answer: 'no-answer',
		timeout: 'no-answer',
		originator_cancel: 'canceled',
		user_busy: 'busy',
		call_rejected: 'busy',
	};
	const p = parseOrThrow(
		z
			.object({
				data: z
					.object({ event_type: str, id: str.nullish(), occurred_at: str.nullish(), payload: z.record(z.unknown()) })
					.passthrough(),
			})
			.passthrough(),
		payload,
		'Telnyx webhook',
	);
	const d = p.data;
	if (d.event_type === 'message.received') {
		const m = parseOrThrow(
			z
				.object({
					id,
					text: str.nullish(),
					from: z.object({ phone_number: str }).passthrough(),
					to: z.array(z.object({ phone_number: str }).passthrough()).min(1),
				})
				.passthrough(),
			d.payload,
			'Telnyx message.received',
			'data.payload',
		);
		return inbound(
			'telnyx',
			{
				messageSid: m.id,
				from: m.from.phone_number,
				to: m.to[0].phone_number,
				body: m.text ?? '',
				at: d.occurred_at,
				raw: payload,
			},
			opts,
		);
	}
	if (d.event_type !== 'call.hangup') return { kind: 'ignored', reason: `Telnyx event ${d.event_type}` };
	const c = parseOrThrow(
		z
			.object({
				call_session_id: id.nullish(),
				call_control_id: id,
				from: str,
				to: str.nullish(),
				hangup_cause: str,
				start_time: str.nullish(),
				end_time: str.nullish(),
				direction: str.nullish(),
			})
			.passthrough(),
		d.payload,
		'Telnyx call.hangup',
		'data.payload',
	);
	if (isOutbound(c.direction))
		return { kind: 'not-missed', callSid: c.call_session_id ?? c.call_control_id, reason: 'outgoing call' };
	const reason = lookup(MISSED, c.hangup_cause);
	// An unreadable start or end time gives NaN, which no stored case may hold: the duration is then unknown (0).
	const duration =
		c.start_time && c.end_time ? Math.max(0, (Date.parse(c.end_time) - Date.parse(c.start_time)) / 1000) || 0 : 0;
	if (!reason)
		return {
			kind: 'not-missed',
			callSid: c.call_session_id ?? c.call_control_id,
			reason: `hangup cause ${c.hangup_cause}`,
		};
	return missed(
		'telnyx',
		{
			callSid: c.call_session_id ?? c.call_control_id,
			from: c.from,
			to: c.to,
			reason,
			startedAt: c.start_time ?? d.occurred_at,
			durationSec: Math.round(duration),
			raw: payload,
			fromField: 'data.payload.from',
		},
		opts,
	);
}

/** Plivo answer/hangup callbacks (CallStatus) and Dial callbacks (DialStatus), and inbound SMS. */
export function normalizePlivo(payload: Record<string, unknown>, opts: NormalizeOptions): Normalized {
	const MISSED: Record<string, MissedReason> = {
		'no-answer': 'no-answer',
		busy: 'busy',
		cancel: 'canceled',
		timeout: 'no-answer',
		failed: 'failed',
	};
	if (payload.MessageUUID !== undefined && payload.Text !== undefined) {
		const p = parseOrThrow(
			z.object({ MessageUUID: id, From: str, To: str, Text: str }).passthrough(),
			payload,
			'Plivo inbound message',
		);
		return inbound('plivo', { messageSid: p.MessageUUID, from: p.From, to: p.To, body: p.Text, raw: payload }, opts);
	}
	const p = parseOrThrow(
		z
			.object({
				CallUUID: id,
				From: str.nullish(),
				To: str.nullish(),
				CallStatus: str.nullish(),
				DialStatus: str.nullish(),
				Duration: num.nullish(),
				DialBLegDuration: num.nullish(),
				StartTime: str.nullish(),
				Direction: str.nullish(),
			})
			.passthrough(),
		payload,
		'Plivo call callback',
	);
	const status = p.DialStatus ?? p.CallStatus;
	if (!status)
		throw new RecoveryInputError(
			'CallStatus',
			undefined,
			'A Plivo call callback carries CallStatus or DialStatus.',
			'Plivo call callback',
		);
	if (isOutbound(p.Direction)) return { kind: 'not-missed', callSid: p.CallUUID, reason: `outbound call ${status}` };
	const reason = lookup(MISSED, status);
	if (!reason) return { kind: 'not-missed', callSid: p.CallUUID, reason: `call ${status}` };
	return missed(
		'plivo',
		{
			callSid: p.CallUUID,
			from: p.From,
			to: p.To,
			reason,
			startedAt: p.StartTime,
			durationSec: p.DialBLegDuration ?? p.Duration ?? 0,
			raw: payload,
			fromField: 'From',
		},
		opts,
	);
}

/** Aircall `call.ended` (and `call.voicemail_left`) webhooks. */
export function normalizeAircall(payload: Record<string, unknown>, opts: NormalizeOptions): Normalized {
	const REASONS: Record<string, MissedReason> = {
		out_of_opening_hours: 'after-hours',
		short_abandoned: 'short-abandoned',
		abandoned_in_ivr: 'canceled',
		abandoned_in_classic: 'canceled',
		no_available_agent: 'overflow',
		agents_did_not_answer: 'no-answer',
	};
	const p = parseOrThrow(
		z
			.object({
				event: str,
				timestamp: num.nullish(),
				data: z
					.object({
						id,
						direction: str.nullish(),
						status: str.nullish(),
						missed_call_reason: str.nullish(),
						raw_digits: str.nullish(),
						number: z.object({ digits: str.nullish() }).passthrough().nullish(),
						started_at: num.nullish(),
						answered_at: num.nullish(),
						duration: num.nullish(),
						voicemail: str.nullish(),
						// The Aircall contact the number matched, when there is one.
						contact: z.object({ first_name: str.nullish(), last_name: str.nullish() }).passthrough().nullish(),
					})
					.passthrough(),
			})
			.passthrough(),
		payload,
		'Aircall webhook',
	);
	if (p.event !== 'call.ended' && p.event !== 'call.voicemail_left')
		return { kind: 'ignored', reason: `Aircall event ${p.event}` };
	const d = p.data;
	if (isOutbound(d.direction)) return { kind: 'not-missed', callSid: d.id, reason: 'outbound call' };
	const isMissed =
		!!d.missed_call_reason ||
		d.status === 'missed' ||
		d.status === 'voicemail' ||
		d.status === 'abandoned' ||
		!!d.voicemail ||
		(d.answered_at === null && d.status === 'done');
	if (!isMissed) return { kind: 'not-missed', callSid: d.id, reason: 'the call was answered' };
	let reason: MissedReason =
		lookup(REASONS, d.missed_call_reason) || (d.status === 'abandoned' ? 'canceled' : 'no-answer');
	if (d.voicemail) reason = 'voicemail';
	return missed(
		'aircall',
		{
			callSid: d.id,
			from: d.raw_digits,
			to: d.number?.digits,
			reason,
			startedAt: d.started_at ?? p.timestamp,
			durationSec: d.duration ?? 0,
			voicemail: d.voicemail ? { url: d.voicemail } : undefined,
			raw: payload,
			fromField: 'data.raw_digits',
			callerName: [d.contact?.first_name, d.contact?.last_name].filter(Boolean).join(' '),
		},
		opts,
	);
}

/** OpenPhone (Quo) `call.missed`, `call.completed` with no answer, and `message.received`. */
export function normalizeOpenPhone(payload: Record<string, unknown>, opts: NormalizeOptions): Normalized {
	const p = parseOrThrow(
		z.object({ type: str, data: z.object({ object: z.record(z.unknown()) }).passthrough() }).passthrough(),
		payload,
		'OpenPhone webhook',
	);
	const o = p.data.object;
	if (p.type === 'message.received') {
		const m = parseOrThrow(
			z
				.object({
					id,
					from: str,
					to: z.union([str, z.array(str)]),
					body: str.nullish(),
					createdAt: str.nullish(),
				})
				.passthrough(),
			o,
			'OpenPhone message.received',
			'data.object',
		);
		return inbound(
			'openphone',
			{
				messageSid: m.id,
				from: m.from,
				to: Array.isArray(m.to) ? m.to[0] : m.to,
				body: m.body ?? '',
				at: m.createdAt,
				raw: payload,
			},
			opts,
		);
	}
	if (p.type !== 'call.missed' && p.type !== 'call.completed')
		return { kind: 'ignored', reason: `OpenPhone event ${p.type}` };
	const c = parseOrThrow(
		z
			.object({
				id,
				from: str,
				to: z.union([str, z.array(str)]).nullish(),
				direction: str.nullish(),
				status: str.nullish(),
				answeredAt: str.nullish(),
				createdAt: str.nullish(),
				completedAt: str.nullish(),
				voicemail: z
					.object({ url: str.nullish(), duration: num.nullish(), transcript: str.nullish() })
					.passthrough()
					.nullish(),
			})
			.passthrough(),
		o,
		'OpenPhone call',
		'data.object',
	);
	if (isOutbound(c.direction)) return { kind: 'not-missed', callSid: c.id, reason: 'outgoing call' };
	if (p.type === 'call.completed' && c.answeredAt)
		return { kind: 'not-missed', callSid: c.id, reason: 'the call was answered' };
	const vm = c.voicemail
		? {
				url: c.voicemail.url ?? undefined,
				durationSec: c.voicemail.duration === null ? undefined : Math.max(0, c.voicemail.duration ?? 0) || undefined,
				transcript: typeof c.voicemail.transcript === 'string' ? clipCallerText(c.voicemail.transcript) : undefined,
			}
		: undefined;
	const to = Array.isArray(c.to) ? c.to[0] : c.to;
	return missed(
		'openphone',
		{
			callSid: c.id,
			from: c.from,
			to,
			reason: vm ? 'voicemail' : 'no-answer',
			startedAt: c.createdAt,
			durationSec: 0,
			voicemail: vm,
			raw: payload,
			fromField: 'data.object.from',
		},
		opts,
	);
}

/**
 * Dialpad call events (a call event subscription): `missed` and `voicemail` states, and a `hangup` that was
 * never connected. With a webhook secret Dialpad posts the event as a signed JWT; `verifyWebhook` unwraps it.
 */
export function normalizeDialpad(payload: Record<string, unknown>, opts: NormalizeOptions): Normalized {
	const p = parseOrThrow(
		z
			.object({
				call_id: id,
				state: str,
				direction: str.nullish(),
				external_number: str.nullish(),
				internal_number: str.nullish(),
				date_started: num.nullish(),
				date_connected: num.nullish(),
				duration: num.nullish(),
				voicemail_link: str.nullish(),
			})
			.passthrough(),
		payload,
		'Dialpad call event',
	);
	if (isOutbound(p.direction)) return { kind: 'not-missed', callSid: p.call_id, reason: `outbound call ${p.state}` };
	const vm = p.voicemail_link ? { url: p.voicemail_link } : undefined;
	const durationSec = Math.round((p.duration ?? 0) / 1000);
	const base = {
		callSid: p.call_id,
		from: p.external_number,
		to: p.internal_number,
		startedAt: p.date_started,
		durationSec,
		raw: payload,
		fromField: 'external_number',
	};
	if (p.state === 'missed') return missed('dialpad', { ...base, reason: 'no-answer' }, opts);
	if (p.state === 'voicemail' || p.state === 'voicemail_uploaded')
		return missed('dialpad', { ...base, reason: 'voicemail', voicemail: vm }, opts);
	if (p.state === 'hangup') {
		if (p.date_connected) {
			if (durationSec < (opts.minCallSeconds ?? 8))
				return missed('dialpad', { ...base, reason: 'short-abandoned' }, opts);
			return { kind: 'not-missed', callSid: p.call_id, reason: `the call was answered (${durationSec} s)` };
		}
		return missed('dialpad', { ...base, reason: 'canceled' }, opts);
	}
	return { kind: 'ignored', reason: `Dialpad call state ${p.state}` };
}

/** RingCentral telephony session notifications (`missedCall`) and call-log records (result Missed or Voicemail). */
export function normalizeRingCentral(payload: Record<string, unknown>, opts: NormalizeOptions): Normalized {
	// A party's name is RingCentral's caller ID name, where the carrier or the address book gives one.
	const party = z.object({ phoneNumber: str.nullish(), name: str.nullish() }).passthrough();
	const body = (payload.body && typeof payload.body === 'object' ? payload.body : payload) as Record<string, unknown>;
	if (Array.isArray(body.parties)) {
		const s = parseOrThrow(
			z
				.object({
					telephonySessionId: id,
					eventTime: str.nullish(),
					parties: z
						.array(
							z
								.object({
									direction: str.nullish(),
									from: party.nullish(),
									to: party.nullish(),
									missedCall: z.boolean().nullish(),
									status: z.object({ code: str }).passthrough().nullish(),
								})
								.passthrough(),
						)
						.min(1),
				})
				.passthrough(),
			body,
			'RingCentral telephony session',
			'body',
		);
		const pt = s.parties.find((x) => x.direction === 'Inbound') ?? s.parties[0];
		if (isOutbound(pt.direction)) return { kind: 'not-missed', callSid: s.telephonySessionId, reason: 'outbound call' };
		if (!pt.missedCall)
			return {
				kind: pt.status?.code === 'Disconnected' ? 'not-missed' : 'ignored',
				...(pt.status?.code === 'Disconnected' ? { callSid: s.telephonySessionId } : {}),
				reason: `session status ${pt.status?.code ?? 'unknown'}`,
			} as Normalized;
		return missed(
			'ringcentral',
			{
				callSid: s.telephonySessionId,
				from: pt.from?.phoneNumber,
				to: pt.to?.phoneNumber,
				reason: 'no-answer',
				startedAt: s.eventTime,
				durationSec: 0,
				raw: payload,
				fromField: 'body.parties.0.from.phoneNumber',
				callerName: pt.from?.name,
			},
			opts,
		);
	}
	const r = parseOrThrow(
		z
			.object({
				id,
				sessionId: id.nullish(),
				result: str,
				direction: str.nullish(),
				startTime: str.nullish(),
				duration: num.nullish(),
				from: party.nullish(),
				to: party.nullish(),
				message: z.object({ uri: str.nullish() }).passthrough().nullish(),
			})
			.passthrough(),
		body,
		'RingCentral call-log record',
	);
	if (isOutbound(r.direction)) return { kind: 'not-missed', callSid: r.sessionId ?? r.id, reason: 'outbound call' };
	const reason: MissedReason | undefined =
		r.result === 'Missed'
			? 'no-answer'
			: r.result === 'Voicemail'
				? 'voicemail'
				: r.result === 'Busy'
					? 'busy'
					: r.result === 'Rejected'
						? 'busy'
						: undefined;
	if (!reason) return { kind: 'not-missed', callSid: r.sessionId ?? r.id, reason: `call result ${r.result}` };
	return missed(
		'ringcentral',
		{
			callSid: r.sessionId ?? r.id,
			from: r.from?.phoneNumber,
			to: r.to?.phoneNumber,
			reason,
			startedAt: r.startTime,
			durationSec: r.duration ?? 0,
			voicemail: reason === 'voicemail' ? { url: r.message?.uri ?? undefined } : undefined,
			raw: payload,
			fromField: 'from.phoneNumber',
			callerName: r.from?.name,
		},
		opts,
	);
}

/** A mapping for any other system: dot paths into its JSON, and which status values mean missed. */
export const GenericMappingSchema = z.object({
	callId: z.string().default('id'),
	from: z.string().default('from'),
	to: z.string().default('to'),
	status: z.string().default('status'),
	/** Where the call's direction is: a call the business placed ("outbound", "outgoing") is never a missed call. */
	direction: z.string().default('direction'),
	missedValues: z.array(z.string()).default(['missed', 'no-answer', 'busy', 'failed', 'canceled', 'voicemail']),
	duration: z.string().optional(),
	startedAt: z.string().optional(),
	transcript: z.string().optional(),
	voicemailUrl: z.string().optional(),
});
export type GenericMapping = z.input<typeof GenericMappingSchema>;

export function normalizeGeneric(
	payload: Record<string, unknown>,
	opts: NormalizeOptions,
	mappingInput: GenericMapping = {},
): Normalized {
	const m = parseOrThrow(GenericMappingSchema, mappingInput, 'Generic mapping');
	const rawId = get(payload, m.callId);
	const checked = id.safeParse(rawId);
	if (!checked.success)
		throw new RecoveryInputError(
			m.callId,
			rawId,
			`The mapping reads the call id from "${m.callId}" as text of 1 to 120 characters without control characters: ` +
				"send it, or change the mapping's callId path.",
			'Generic webhook',
		);
	const callId = checked.data;
	const direction = get(payload, m.direction);
	if (typeof direction === 'string' && isOutbound(direction))
		return { kind: 'not-missed', callSid: callId, reason: `outbound call (${direction})` };
	const status = get(payload, m.status);
	if (typeof status !== 'string')
		throw new RecoveryInputError(
			m.status,
			status,
			`The mapping reads the call status from "${m.status}" as text: send it, or change the mapping's status path.`,
			'Generic webhook',
		);
	const s = status.toLowerCase();
	if (!m.missedValues.map((v) => v.toLowerCase()).includes(s))
		return { kind: 'not-missed', callSid: String(callId), reason: `status ${status}` };
	const transcript = m.transcript ? get(payload, m.transcript) : undefined;
	const vmUrl = m.voicemailUrl ? get(payload, m.voicemailUrl) : undefined;
	const reason: MissedReason =
		s === 'voicemail' || vmUrl
			? 'voicemail'
			: s === 'busy'
				? 'busy'
				: s === 'failed'
					? 'failed'
					: s === 'canceled' || s === 'cancelled'
						? 'canceled'
						: 'no-answer';
	const duration = m.duration ? Number(get(payload, m.duration) ?? 0) : 0;
	const voicemail =
		vmUrl || transcript
			? {
					url: typeof vmUrl === 'string' ? vmUrl : undefined,
					transcript: typeof transcript === 'string' ? clipCallerText(transcript) : undefined,
				}
			: undefined;
	return missed(
		'generic',
		{
			callSid: String(callId),
			from: get(payload, m.from),
			to: get(payload, m.to),
			reason,
			startedAt: m.startedAt ? get(payload, m.startedAt) : undefined,
			durationSec: Number.isFinite(duration) ? duration : 0,
			voicemail,
			raw: redactPayload(payload),
			fromField: m.from,
		},
		{ ...opts, now: opts.now },
	);
}

export { isoOf, businessOf, calledNumber };
