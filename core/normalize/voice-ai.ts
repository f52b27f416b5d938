/**
 * Calls a voice AI answered: the end-of-call events of Vapi, Retell, ElevenLabs Agents and Twilio ConversationRelay.
 *
 * An AI-answered call is not a missed call. When the agent booked or resolved it, nothing is opened (the trigger counts
 * it for the report); when it ended without a booking, the agent transferred or escalated, the caller asked for a
 * person, or the call failed, it becomes a case carrying the transcript and the summary, classified and routed like any
 * other, and the caller gets no acknowledgment text (they already talked to someone).
 *
 * Shapes and fields as the platforms document them (checked with the docs named here; fields not listed are kept in
 * `raw` and otherwise ignored):
 * - Vapi: server message `end-of-call-report`, https://docs.vapi.ai/server-url/end-of-call-report and its OpenAPI
 *   schema ServerMessageEndOfCallReport (body `{ message: { type, endedReason, call, customer, phoneNumber,
 *   artifact: { transcript, messages }, analysis: { summary, successEvaluation }, startedAt, endedAt } }`); the
 *   endedReason values (assistant-forwarded-call, customer-ended-call, pipeline-error-..., ...) from the same schema;
 *   checked against VapiAI/server-sdk-typescript src/api/types (ServerMessageEndOfCallReport, Artifact, Analysis,
 *   CallType: inboundPhoneCall, outboundPhoneCall, webCall, vapi.websocketCall).
 * - Retell: https://docs.retellai.com/features/webhook (events call_started, call_ended, call_analyzed; body
 *   `{ event, call }` with the call object of https://docs.retellai.com/api-references/get-call: call_id, from_number,
 *   to_number, direction, call_status, disconnection_reason, transcript, transcript_object, call_analysis
 *   { call_summary, call_successful }); checked against retell-typescript-sdk src/resources/call.ts
 *   (PhoneCallResponse: disconnection_reason values, transcript_object roles agent/user/transfer_target). call_ended
 *   carries no call_analysis, so only a transfer or an error is decided from it; the rest waits for call_analyzed.
 *   The older `data` in place of `call` is still read.
 * - ElevenLabs Agents: post-call webhook `post_call_transcription`,
 *   https://elevenlabs.io/docs/eleven-agents/workflows/post-call-webhooks (body `{ type, event_timestamp, data: {
 *   conversation_id, status, transcript: [{ role, message, tool_calls }], metadata: { start_time_unix_secs,
 *   call_duration_secs, phone_call: { direction, external_number, agent_number } }, analysis: { call_successful,
 *   transcript_summary } } }`), checked against elevenlabs-python's types (ConversationHistoryMetadataCommonModel,
 *   ConversationHistoryTwilioPhoneCallModel, ConversationHistoryAnalysisCommonModel). A transfer to a person is the
 *   system tool `transfer_to_number` in a turn's tool_calls.
 * - Twilio ConversationRelay: the `<Connect action="...">` callback, https://www.twilio.com/docs/voice/twiml/connect/
 *   conversationrelay, posted as form fields like other Twilio voice webhooks (CallSid, From, To, Direction) with
 *   SessionId, SessionStatus, SessionDuration, HandoffData (the `handoffData` of the app's `end` message), and
 *   ErrorCode and ErrorMessage when the session broke. The page's parameter table was not in the search index; the
 *   names were checked against public action handlers that read them (CallSid, SessionId, SessionStatus,
 *   SessionDuration, CallStatus, ErrorCode, ErrorMessage, HandoffData) and Twilio's sample relay app, whose `end`
 *   message carries `handoffData: JSON.stringify(...)`. HandoffData is whatever the relay app sends: a JSON object's
 *   `summary`, `transcript` and `reason` (or `reasonCode`) are read when present. A session that ended without
 *   HandoffData counts as resolved by the agent, since a relay app hands off any call a person must take.
 *
 * Signatures are checked in core/signatures.ts (the scheme of each is described there).
 */
import { z } from 'zod';
import { parseOrThrow, RecoveryInputError } from '../errors';
import { clipCallerText, type Provider, type VoiceAi, type VoiceAiOutcome } from '../model';
import { businessOf, calledNumber, callerNumber, id, isOutbound, isoOf, missed, num, str } from './common';
import type { NormalizeOptions, Normalized } from './common';

type Outcome = VoiceAiOutcome | 'resolved';

interface AiCall {
	provider: Provider;
	platform: VoiceAi['platform'];
	callId: string;
	from: unknown;
	fromField: string;
	to: unknown;
	startedAt: unknown;
	durationSec: number;
	/** The platform's verdict before the caller's words are read: failed, escalated, resolved or not-booked. */
	outcome: Outcome;
	endedBecause?: string | null;
	summary?: string | null;
	transcript?: string | null;
	callerWords: string;
	raw: unknown;
}

// A caller asking for a human, in the languages the classifier reads (English, Spanish, French).
const ASKS_FOR_PERSON = new RegExp(
	[
		String.raw`\b(speak|talk)\s+(to|with)\s+(a\s+|an\s+|the\s+|some\s+)?(real\s+|live\s+|actual\s+)?` +
			String.raw`(person|human|someone|somebody|manager|owner|representative|operator|technician)\b`,
		String.raw`\b(real|live|actual)\s+(person|human)\b`,
		String.raw`\bhablar\s+con\s+(una\s+persona|alguien|un\s+humano|el\s+due[ñn]o|un\s+t[ée]cnico)`,
		String.raw`\bparler\s+(à|a)\s+(quelqu'un|une\s+personne|un\s+humain|un\s+technicien)`,
	].join('|'),
	'i',
);

/** The caller asked for a person, in their own words (never the agent's). */
export function asksForPerson(callerWords: string): boolean {
	return ASKS_FOR_PERSON.test(callerWords);
}

/** One AI-answered call to a case (needs a person) or a counted non-event (resolved by the agent). */
function aiCall(a: AiCall, opts: NormalizeOptions): Normalized {
	const outcome: Outcome =
		a.outcome !== 'failed' && a.outcome !== 'escalated' && asksForPerson(a.callerWords)
			? 'asked-for-person'
			: a.outcome;
	const eventId = `${a.provider}:${a.callId}`;
	if (outcome === 'resolved') {
		const to = calledNumber(a.to, opts);
		const from = a.from ? callerNumber(a.from, a.fromField, opts).e164 : undefined;
		return {
			kind: 'not-missed',
			callSid: a.callId,
			reason: `answered by voice AI (${a.platform}) and resolved${a.endedBecause ? ` (${a.endedBecause})` : ''}`,
			aiResolved: {
				eventId,
				businessId: businessOf(opts, to),
				at: isoOf(a.startedAt, opts),
				platform: a.platform,
				...(from ? { from } : {}),
			},
		};
	}
	const n = missed(
		a.provider,
		{
			callSid: a.callId,
			from: a.from,
			to: a.to,
			reason: 'voice-ai',
			startedAt: a.startedAt,
			durationSec: a.durationSec,
			raw: a.raw,
			fromField: a.fromField,
		},
		opts,
	);
	if (n.kind !== 'missed-call') return n;
	const text = (t: string | null | undefined) => (t ? clipCallerText(t) : undefined);
	const voiceAi: VoiceAi = { platform: a.platform, outcome };
	if (a.endedBecause) voiceAi.endedBecause = a.endedBecause.slice(0, 200);
	if (a.summary) voiceAi.summary = text(a.summary);
	if (a.transcript) voiceAi.transcript = text(a.transcript);
	if (a.callerWords) voiceAi.callerWords = text(a.callerWords);
	return { kind: 'missed-call', event: { ...n.event, answeredBy: 'voice-ai', voiceAi } };
}

/** Seconds between two times (ISO or epoch), or 0 when either is unreadable. */
function secondsBetween(start: unknown, end: unknown): number {
	const ms = (v: unknown) =>
		typeof v === 'number' ? (v > 1e12 ? v : v * 1000) : typeof v === 'string' ? Date.parse(v) : NaN;
	const d = (ms(end) - ms(start)) / 1000;
	return Number.isFinite(d) && d > 0 ? Math.round(d) : 0;
}

const turn = z.object({ role: str.nullish(), message: str.nullish(), content: str.nullish() }).passthrough();
type Turn = z.infer<typeof turn>;

/** The caller's turns of a transcript, one per line. */
function callerTurns(turns: Turn[] | null | undefined, callerRole: string): string {
	return (turns ?? [])
		.filter((t) => t.role === callerRole)
		.map((t) => t.message ?? t.content ?? '')
		.filter(Boolean)
		.join('\n');
}

/** The whole conversation as "Agent: ... / Caller: ..." lines, when the platform sends only turns. */
function transcriptOf(turns: Turn[] | null | undefined, callerRole: string): string {
	return (turns ?? [])
		.filter((t) => t.message || t.content)
		.map((t) => `${t.role === callerRole ? 'Caller' : 'Agent'}: ${t.message ?? t.content}`)
		.join('\n');
}

const phone = z.object({ number: str.nullish() }).passthrough().nullish();
const vapiSchema = z
	.object({
		message: z
			.object({
				type: str,
				endedReason: str.nullish(),
				call: z
					.object({
						id,
						type: str.nullish(),
						customer: phone,
						phoneNumber: phone,
						startedAt: str.nullish(),
						endedAt: str.nullish(),
					})
					.passthrough()
					.nullish(),
				customer: phone,
				phoneNumber: phone,
				artifact: z
					.object({ transcript: str.nullish(), messages: z.array(turn).nullish() })
					.passthrough()
					.nullish(),
				analysis: z
					.object({
						summary: str.nullish(),
						successEvaluation: z.union([z.string(), z.boolean(), z.number()]).nullish(),
					})
					.passthrough()
					.nullish(),
				transcript: str.nullish(),
				summary: str.nullish(),
				messages: z.array(turn).nullish(),
				startedAt: str.nullish(),
				endedAt: str.nullish(),
				durationSeconds: num.nullish(),
				timestamp: z.union([z.string(), z.number()]).nullish(),
			})
			.passthrough(),
	})
	.passthrough();

const vapiCall = z.object({ id }).passthrough();

/**
 * Vapi signs no time into its older schemes, so a captured report could be sent again at any time. The report follows
 * its call within seconds (analysis done); one whose call ended longer ago than this is a replay or a stuck retry.
 * A second delivery inside the window is harmless: the call's id makes it the same event, stored once.
 */
const VAPI_REPORT_MAX_AGE_MIN = 60;

/** Refuses a report whose own endedAt is past the window; an unreadable or missing time is left to the signature. */
function refuseStaleVapi(
	m: { endedAt?: string | null; call?: { endedAt?: string | null } | null },
	opts: NormalizeOptions,
) {
	const field = m.endedAt ? 'message.endedAt' : 'message.call.endedAt';
	const endedAt = m.endedAt ?? m.call?.endedAt;
	const ageMs = (opts.now?.() ?? new Date()).getTime() - (endedAt ? Date.parse(endedAt) : NaN);
	if (ageMs > VAPI_REPORT_MAX_AGE_MIN * 60_000)
		throw new RecoveryInputError(
			field,
			endedAt,
			`The call ended ${Math.round(ageMs / 60_000)} minutes ago and Vapi sends its end-of-call report as the call ` +
				`ends: a report older than ${VAPI_REPORT_MAX_AGE_MIN} minutes is refused as a replay. If a delivery ` +
				'was really held up, open the case with the Recovery Tracker instead.',
			'Vapi end-of-call-report',
		);
}

/** Vapi's success evaluation passed: true, "true", or a pass/success word (its rubrics are configurable). */
function vapiPassed(v: string | boolean | number | null | undefined): boolean {
	return v === true || (typeof v === 'string' && /^\s*(true|pass(ed)?|success(ful)?|yes)\b/i.test(v));
}

/** Vapi server message `end-of-call-report` (any other message type is ignored). */
export function normalizeVapi(payload: Record<string, unknown>, opts: NormalizeOptions): Normalized {
	const { message: m } = parseOrThrow(vapiSchema, payload, 'Vapi server message');
	if (m.type !== 'end-of-call-report') return { kind: 'ignored', reason: `Vapi message ${m.type}` };
	// The report always names its call: without one there is nothing to open a case for, and the sender is told so.
	const callId = parseOrThrow(vapiCall, m.call, 'Vapi end-of-call-report', 'message.call').id;
	if (isOutbound(m.call?.type) || m.call?.type === 'outboundPhoneCall')
		return { kind: 'not-missed', callSid: callId, reason: 'outbound call' };
	// Web and websocket calls (CallType in Vapi's schema) have no phone number to call back.
	if (m.call?.type === 'webCall' || m.call?.type === 'vapi.websocketCall')
		return { kind: 'ignored', reason: `a ${m.call.type} call: no phone number to call back` };
	refuseStaleVapi(m, opts);
	const why = m.endedReason ?? '';
	const outcome: Outcome = /error|fault|failed/i.test(why)
		? 'failed'
		: /forward|transfer/i.test(why)
			? 'escalated'
			: vapiPassed(m.analysis?.successEvaluation)
				? 'resolved'
				: 'not-booked';
	const turns = m.artifact?.messages ?? m.messages;
	const startedAt = m.startedAt ?? m.call?.startedAt;
	return aiCall(
		{
			provider: 'vapi',
			platform: 'vapi',
			callId,
			from: m.customer?.number ?? m.call?.customer?.number,
			fromField: 'message.customer.number',
			to: m.phoneNumber?.number ?? m.call?.phoneNumber?.number,
			startedAt: startedAt ?? m.timestamp,
			durationSec: m.durationSeconds ?? secondsBetween(startedAt, m.endedAt ?? m.call?.endedAt),
			outcome,
			endedBecause: why,
			summary: m.analysis?.summary ?? m.summary,
			transcript: m.artifact?.transcript ?? m.transcript ?? transcriptOf(turns, 'user'),
			callerWords: callerTurns(turns, 'user'),
			raw: payload,
		},
		opts,
	);
}

const retellSchema = z
	.object({
		event: str,
		call: z
			.object({
				call_id: id,
				call_type: str.nullish(),
				from_number: str.nullish(),
				to_number: str.nullish(),
				direction: str.nullish(),
				call_status: str.nullish(),
				start_timestamp: num.nullish(),
				end_timestamp: num.nullish(),
				duration_ms: num.nullish(),
				disconnection_reason: str.nullish(),
				transcript: str.nullish(),
				transcript_object: z.array(turn).nullish(),
				call_analysis: z
					.object({ call_summary: str.nullish(), call_successful: z.boolean().nullish() })
					.passthrough()
					.nullish(),
			})
			.passthrough(),
	})
	.passthrough();

/** Retell `call_analyzed` (and `call_ended` when it already tells: a transfer or an error). */
export function normalizeRetell(payload: Record<string, unknown>, opts: NormalizeOptions): Normalized {
	// Retell's webhook page: "use call property. The data property is being deprecated": older senders still use data.
	const body = payload.call === undefined && payload.data !== undefined ? { ...payload, call: payload.data } : payload;
	const { event, call: c } = parseOrThrow(retellSchema, body, 'Retell webhook');
	if (event !== 'call_ended' && event !== 'call_analyzed') return { kind: 'ignored', reason: `Retell event ${event}` };
	if (isOutbound(c.direction)) return { kind: 'not-missed', callSid: c.call_id, reason: 'outbound call' };
	if (c.call_type === 'web_call') return { kind: 'ignored', reason: 'a web call: no phone number to call back' };
	const why = c.disconnection_reason ?? '';
	// Retell's own verdict that the caller is spam or a scam (disconnection_reason): nobody to call back.
	if (why === 'scam_detected' || why === 'marked_as_spam')
		return { kind: 'ignored', reason: `Retell ended the call as ${why}` };
	const outcome: Outcome =
		c.call_status === 'error' || /^error|failed/i.test(why)
			? 'failed'
			: /transfer/i.test(why)
				? 'escalated'
				: c.call_analysis?.call_successful === true
					? 'resolved'
					: 'not-booked';
	// call_ended has no analysis yet: a call it does not settle is decided by call_analyzed, which follows it.
	if (event === 'call_ended' && outcome !== 'failed' && outcome !== 'escalated')
		return { kind: 'ignored', reason: 'Retell call_ended: the outcome comes with call_analyzed' };
	const durationSec =
		c.duration_ms !== null && c.duration_ms !== undefined
			? Math.round(c.duration_ms / 1000)
			: secondsBetween(c.start_timestamp, c.end_timestamp);
	return aiCall(
		{
			provider: 'retell',
			platform: 'retell',
			callId: c.call_id,
			from: c.from_number,
			fromField: 'call.from_number',
			to: c.to_number,
			startedAt: c.start_timestamp,
			durationSec,
			outcome,
			endedBecause: why,
			summary: c.call_analysis?.call_summary,
			transcript: c.transcript ?? transcriptOf(c.transcript_object, 'user'),
			callerWords: callerTurns(c.transcript_object, 'user'),
			raw: payload,
		},
		opts,
	);
}

const elevenTurn = turn.extend({
	tool_calls: z.array(z.object({ tool_name: str.nullish() }).passthrough()).nullish(),
});
const elevenSchema = z
	.object({
		type: str,
		event_timestamp: num.nullish(),
		data: z
			.object({
				conversation_id: id,
				status: str.nullish(),
				transcript: z.array(elevenTurn).nullish(),
				metadata: z
					.object({
						start_time_unix_secs: num.nullish(),
						call_duration_secs: num.nullish(),
						termination_reason: str.nullish(),
						phone_call: z
							.object({ direction: str.nullish(), external_number: str.nullish(), agent_number: str.nullish() })
							.passthrough()
							.nullish(),
					})
					.passthrough()
					.nullish(),
				analysis: z
					.object({ call_successful: str.nullish(), transcript_summary: str.nullish() })
					.passthrough()
					.nullish(),
				conversation_initiation_client_data: z
					.object({ dynamic_variables: z.record(z.unknown()).nullish() })
					.passthrough()
					.nullish(),
			})
			.passthrough(),
	})
	.passthrough();

/** ElevenLabs Agents post-call webhook `post_call_transcription` (audio and other types are ignored). */
export function normalizeElevenLabs(payload: Record<string, unknown>, opts: NormalizeOptions): Normalized {
	const { type, event_timestamp, data: d } = parseOrThrow(elevenSchema, payload, 'ElevenLabs post-call webhook');
	if (type !== 'post_call_transcription') return { kind: 'ignored', reason: `ElevenLabs event ${type}` };
	const pc = d.metadata?.phone_call;
	const vars = d.conversation_initiation_client_data?.dynamic_variables ?? {};
	// The system variables ElevenLabs sets on phone calls, for payloads without metadata.phone_call.
	const from = pc?.external_number ?? vars.system__caller_id;
	if (!from) return { kind: 'ignored', reason: 'not a phone call (web or widget conversation): nobody to call back' };
	if (isOutbound(pc?.direction)) return { kind: 'not-missed', callSid: d.conversation_id, reason: 'outbound call' };
	const transferred = (d.transcript ?? []).some((t) =>
		(t.tool_calls ?? []).some((k) => k.tool_name === 'transfer_to_number'),
	);
	const outcome: Outcome =
		d.status === 'failed'
			? 'failed'
			: transferred
				? 'escalated'
				: d.analysis?.call_successful === 'success'
					? 'resolved'
					: 'not-booked';
	return aiCall(
		{
			provider: 'elevenlabs',
			platform: 'elevenlabs',
			callId: d.conversation_id,
			from,
			fromField: 'data.metadata.phone_call.external_number',
			to: pc?.agent_number ?? vars.system__called_number,
			startedAt: d.metadata?.start_time_unix_secs ?? event_timestamp,
			durationSec: d.metadata?.call_duration_secs ?? 0,
			outcome,
			endedBecause: d.metadata?.termination_reason ?? (transferred ? 'transfer_to_number' : d.status),
			summary: d.analysis?.transcript_summary,
			transcript: transcriptOf(d.transcript, 'user'),
			callerWords: callerTurns(d.transcript, 'user'),
			raw: payload,
		},
		opts,
	);
}

const relaySchema = z
	.object({
		CallSid: id,
		From: str.nullish(),
		To: str.nullish(),
		Direction: str.nullish(),
		SessionId: id,
		SessionStatus: str,
		SessionDuration: num.nullish(),
		HandoffData: str.nullish(),
		ErrorCode: str.nullish(),
		ErrorMessage: str.nullish(),
		Timestamp: str.nullish(),
	})
	.passthrough();

/** The relay app's HandoffData: JSON with summary, transcript and reason when it sends them, else its text. */
function handoffOf(raw: string): { summary?: string; transcript?: string; reason?: string; words: string } {
	try {
		const v = JSON.parse(raw) as unknown;
		if (v && typeof v === 'object' && !Array.isArray(v)) {
			const o = v as Record<string, unknown>;
			const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
			return {
				summary: s('summary'),
				transcript: s('transcript'),
				reason: s('reason') ?? s('reasonCode'),
				words: [s('reason'), s('summary')].filter(Boolean).join('\n'),
			};
		}
	} catch {
		// Not JSON: the app's own words.
	}
	return { summary: raw, words: raw };
}

/** Twilio ConversationRelay's `<Connect action>` callback (told apart from other Twilio webhooks by SessionStatus). */
export function normalizeConversationRelay(
	payload: Record<string, unknown>,
	opts: NormalizeOptions,
	provider: Provider = 'twilio',
): Normalized {
	const p = parseOrThrow(relaySchema, payload, 'Twilio ConversationRelay action callback');
	if (isOutbound(p.Direction)) return { kind: 'not-missed', callSid: p.CallSid, reason: 'outbound call' };
	const handoff = p.HandoffData ? handoffOf(p.HandoffData) : undefined;
	// ErrorCode (a 64xxx ConversationRelay error) comes with a session that broke, whatever its status says.
	const failed = p.SessionStatus === 'failed' || Boolean(p.ErrorCode);
	const outcome: Outcome = failed ? 'failed' : handoff ? 'escalated' : 'resolved';
	const error = p.ErrorCode ? `error ${p.ErrorCode}${p.ErrorMessage ? `: ${p.ErrorMessage}` : ''}` : undefined;
	return aiCall(
		{
			provider,
			platform: 'twilio-conversation-relay',
			callId: p.CallSid,
			from: p.From,
			fromField: 'From',
			to: p.To,
			startedAt: p.Timestamp,
			durationSec: p.SessionDuration ?? 0,
			outcome,
			endedBecause: error ?? handoff?.reason ?? `session ${p.SessionStatus}`,
			summary: handoff?.summary,
			transcript: handoff?.transcript,
			// HandoffData is the app's, not the caller's: only its reason and summary are read for a request for a person.
			callerWords: handoff?.words ?? '',
			raw: payload,
		},
		opts,
	);
}
