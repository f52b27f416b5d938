import { z } from 'zod';
import { parseOrThrow, RecoveryInputError } from '../errors';
import { clipCallerText, type MissedReason, type Provider } from '../model';
import { redactPayload } from '../redact';
import {
	businessOf,
	calledNumber,
	callerNumber,
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
import { normalizeConversationRelay } from './voice-ai';

const MISSED: Record<string, MissedReason> = {
	'no-answer': 'no-answer',
	busy: 'busy',
	failed: 'failed',
	canceled: 'canceled',
};

const base = z.object({ AccountSid: str.optional() }).passthrough();
const status = id.refine((s) => !(s in Object.prototype), 'A delivery status is a word such as delivered or failed');
const call = base.extend({ CallSid: id, From: str.optional(), To: str.optional() });
const message = base.extend({
	MessageSid: id.optional(),
	SmsSid: id.optional(),
	From: str.optional(),
	To: str.optional(),
});
// Built once: a schema built per webhook costs more than the parse itself.
const transcription = call.extend({
	TranscriptionText: str.optional(),
	TranscriptionStatus: str.optional(),
	TranscriptionSid: id.optional(),
	RecordingSid: id.optional(),
	RecordingUrl: str.optional(),
});
const recording = call.extend({ RecordingUrl: str, RecordingDuration: num, RecordingSid: id.optional() });
const messageEvent = message.extend({
	Body: str.optional(),
	// Part of the status report's key in the store, like an id; and looked up in tables, so never a name every object
	// has ("constructor", "toString"): the store's stage table would find Object.prototype's member.
	MessageStatus: status.optional(),
	SmsStatus: status.optional(),
	ErrorCode: num.optional(),
});
const voice = call.extend({
	CallStatus: str.optional(),
	DialCallStatus: str.optional(),
	DialCallDuration: num.optional(),
	CallDuration: num.optional(),
	Timestamp: str.optional(),
	Direction: str.optional(),
});

const RECORDING_MIN_SECONDS = 2;

/**
 * Twilio (and TeXML providers that speak its dialect): Dial action, call status callback, Record action,
 * transcription callback, inbound SMS and message status, told apart by the fields each one carries.
 */
export function normalizeTwilio(
	payload: Record<string, unknown>,
	opts: NormalizeOptions,
	provider: Provider = 'twilio',
): Normalized {
	// ConversationRelay's <Connect action> callback: a voice AI answered the call (core/normalize/voice-ai.ts).
	if (payload.SessionStatus !== undefined && payload.SessionId !== undefined)
		return normalizeConversationRelay(payload, opts, provider);
	if (payload.TranscriptionText !== undefined || payload.TranscriptionStatus !== undefined) {
		const p = parseOrThrow(transcription, payload, 'Twilio transcription callback');
		if (p.TranscriptionStatus && p.TranscriptionStatus !== 'completed')
			return { kind: 'ignored', reason: `transcription ${p.TranscriptionStatus}` };
		const to = calledNumber(p.To, opts);
		return {
			kind: 'voicemail',
			event: {
				type: 'voicemail',
				eventId: `${provider}:${p.CallSid}:transcription:${p.TranscriptionSid ?? p.RecordingSid ?? ''}`,
				provider,
				callSid: p.CallSid,
				from: callerNumber(p.From ?? 'anonymous', 'From', opts).e164 ?? '',
				to,
				businessId: businessOf(opts, to),
				voicemail: { url: p.RecordingUrl, transcript: clipCallerText(p.TranscriptionText ?? '') },
				at: isoOf(undefined, opts),
				raw: redactPayload(payload),
			},
		};
	}
	if (payload.RecordingUrl !== undefined && payload.RecordingDuration !== undefined) {
		const p = parseOrThrow(recording, payload, 'Twilio Record action');
		if (p.RecordingDuration < RECORDING_MIN_SECONDS)
			return { kind: 'ignored', reason: `recording of ${p.RecordingDuration} s is silence, not a voicemail` };
		const to = calledNumber(p.To, opts);
		return {
			kind: 'voicemail',
			event: {
				type: 'voicemail',
				eventId: `${provider}:${p.CallSid}:recording:${p.RecordingSid ?? ''}`,
				provider,
				callSid: p.CallSid,
				from: callerNumber(p.From ?? 'anonymous', 'From', opts).e164 ?? '',
				to,
				businessId: businessOf(opts, to),
				voicemail: { url: p.RecordingUrl, durationSec: p.RecordingDuration },
				at: isoOf(undefined, opts),
				raw: redactPayload(payload),
			},
		};
	}
	if (payload.MessageSid !== undefined || payload.SmsSid !== undefined) {
		const p = parseOrThrow(messageEvent, payload, 'Twilio message webhook');
		const sid = (p.MessageSid ?? p.SmsSid)!;
		const status = p.MessageStatus ?? (p.SmsStatus !== 'received' ? p.SmsStatus : undefined);
		if (p.Body !== undefined && (!status || status === 'received')) {
			return inbound(provider, { messageSid: sid, from: p.From, to: p.To, body: p.Body, raw: payload }, opts);
		}
		const to = calledNumber(p.From, opts);
		return {
			kind: 'message-status',
			event: {
				type: 'message-status',
				eventId: `${provider}:${sid}:${status ?? 'unknown'}`,
				provider,
				messageSid: sid,
				to: String(p.To ?? ''),
				status: status ?? 'unknown',
				errorCode: p.ErrorCode,
				businessId: businessOf(opts, to),
				at: isoOf(undefined, opts),
				raw: redactPayload(payload),
			},
		};
	}
	const p = parseOrThrow(voice, payload, 'Twilio voice webhook');
	// outbound-api and outbound-dial: the business called out, so nobody missed the business's call, whatever the status.
	if (isOutbound(p.Direction))
		return {
			kind: 'not-missed',
			callSid: p.CallSid,
			reason: `outbound call (${p.Direction}) ${p.DialCallStatus ?? p.CallStatus ?? ''}`.trim(),
		};
	if (p.DialCallStatus !== undefined) {
		const reason = lookup(MISSED, p.DialCallStatus);
		if (!reason)
			return {
				kind: 'not-missed',
				callSid: p.CallSid,
				reason: `the forwarded call was ${p.DialCallStatus} (${p.DialCallDuration ?? 0} s)`,
			};
		return missed(
			provider,
			{
				callSid: p.CallSid,
				from: p.From,
				to: p.To,
				reason,
				startedAt: p.Timestamp,
				durationSec: p.DialCallDuration ?? 0,
				raw: payload,
				fromField: 'From',
				callerName: payload.CallerName,
			},
			opts,
		);
	}
	const status = p.CallStatus;
	if (status === undefined) {
		throw new RecoveryInputError(
			'CallStatus',
			undefined,
			'A Twilio voice webhook carries CallStatus (status callback) or DialCallStatus (Dial action): point a voice ' +
				'event at the trigger.',
			'Twilio voice webhook',
		);
	}
	if (status === 'ringing' || status === 'in-progress' || status === 'queued' || status === 'initiated') {
		const caller = callerNumber(p.From, 'From', opts);
		const to = calledNumber(p.To, opts);
		return {
			kind: 'incoming-call',
			callSid: p.CallSid,
			from: caller.e164 ?? String(p.From ?? ''),
			to,
			businessId: businessOf(opts, to),
		};
	}
	const reason = lookup(MISSED, status);
	if (reason) {
		return missed(
			provider,
			{
				callSid: p.CallSid,
				from: p.From,
				to: p.To,
				reason,
				startedAt: p.Timestamp,
				durationSec: p.CallDuration ?? 0,
				raw: payload,
				fromField: 'From',
				callerName: payload.CallerName,
			},
			opts,
		);
	}
	if (status === 'completed') {
		const d = p.CallDuration ?? 0;
		if (d < (opts.minCallSeconds ?? 8)) {
			return missed(
				provider,
				{
					callSid: p.CallSid,
					from: p.From,
					to: p.To,
					reason: 'short-abandoned',
					startedAt: p.Timestamp,
					durationSec: d,
					raw: payload,
					fromField: 'From',
					callerName: payload.CallerName,
				},
				opts,
			);
		}
		return { kind: 'not-missed', callSid: p.CallSid, reason: `the call was answered (${d} s)` };
	}
	return { kind: 'ignored', reason: `call status ${status}` };
}
