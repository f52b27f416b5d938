/**
 * Calls a voice AI answered (core/normalize/voice-ai.ts): Vapi, Retell, ElevenLabs Agents, Twilio ConversationRelay.
 *
 * The payloads follow each platform's documented shape, field for field; ids, numbers and words are this test's own:
 * - Vapi end-of-call-report: https://docs.vapi.ai/server-url/end-of-call-report (ServerMessageEndOfCallReport);
 *   signatures: https://docs.vapi.ai/server-url/server-authentication
 * - Retell call_ended / call_analyzed: https://docs.retellai.com/features/webhook and the call object of
 *   https://docs.retellai.com/api-references/get-call; signatures: https://docs.retellai.com/features/secure-webhook
 * - ElevenLabs post_call_transcription and ElevenLabs-Signature:
 *   https://elevenlabs.io/docs/eleven-agents/workflows/post-call-webhooks
 * - Twilio ConversationRelay <Connect action> callback:
 *   https://www.twilio.com/docs/voice/twiml/connect/conversationrelay
 *   (the page's parameter table was not in the search index; see the note at the top of voice-ai.ts)
 * - Checked against the SDKs too: VapiAI/server-sdk-typescript (src/api/types), RetellAI/retell-typescript-sdk
 *   (src/resources/call.ts, src/lib/webhook_auth.ts), elevenlabs/elevenlabs-python (webhooks_custom.py, types/)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	answerWebhook,
	buildReport,
	normalize,
	openStore,
	RecoveryInputError,
	RecoveryLoop,
	signWebhook as sign,
	signTwilioRequest,
	verifyWebhook,
	type MessagingProvider,
	type MissedCall,
	type Normalized,
	type Provider,
	type RecoveryStore,
	type TriggerConfig,
} from '../../core';
import { AUTH_TOKEN, plumber } from '../helpers/fixtures';

const NOW = new Date('2026-11-25T15:00:00Z'); // a Wednesday, 9 am in Chicago
const NOW_MS = NOW.getTime();
const STARTED = '2026-11-25T14:55:00.000Z';
const BUSINESS = '+13125550199';
const URL_ = 'https://hooks.example.com/missed-call';
const opts = { businessId: 'acme-plumbing', now: () => NOW };

let seq = 0;
const caller = () => `+1312555${String(3000 + ++seq)}`;

function missedCall(n: Normalized): MissedCall {
	if (n.kind !== 'missed-call') throw new Error(`expected a case, got ${n.kind}: ${'reason' in n ? n.reason : ''}`);
	return n.event;
}

function inputError(fn: () => unknown): RecoveryInputError {
	try {
		fn();
	} catch (e) {
		if (e instanceof RecoveryInputError) return e;
		throw e;
	}
	throw new Error('expected a RecoveryInputError');
}

type Turn = { role: string; message: string };

/** Vapi's server message: `{ message: ServerMessageEndOfCallReport }`. */
function vapiReport(
	o: { from?: string; endedReason?: string; success?: unknown; messages?: Turn[]; id?: string; endedAt?: string } = {},
): Record<string, unknown> {
	const messages = o.messages ?? [
		{ role: 'bot', message: 'Thanks for calling Acme Plumbing, is anything flooding?' },
		{ role: 'user', message: 'My water heater is making a banging noise, can someone look at it this week?' },
		{ role: 'bot', message: 'I can take your details and a technician will call you back.' },
	];
	return {
		message: {
			type: 'end-of-call-report',
			endedReason: o.endedReason ?? 'customer-ended-call',
			call: { id: o.id ?? `vapi-call-${++seq}`, orgId: 'org-1', type: 'inboundPhoneCall', status: 'ended' },
			customer: { number: o.from ?? caller() },
			phoneNumber: { number: BUSINESS },
			artifact: {
				transcript: messages.map((m) => `${m.role === 'user' ? 'User' : 'AI'}: ${m.message}`).join('\n'),
				messages,
			},
			analysis: {
				summary: 'The caller reported a banging water heater and wants a visit.',
				successEvaluation: o.success ?? 'false',
			},
			startedAt: STARTED,
			endedAt: o.endedAt ?? '2026-11-25T14:57:30.000Z',
			timestamp: NOW_MS,
			cost: 0.12,
		},
	};
}

interface RetellOptions {
	from?: string;
	successful?: boolean | null;
	disconnection?: string;
	status?: string;
	id?: string;
	/** What the caller said (default: water pouring through the ceiling, an emergency). */
	said?: string;
}

/** Retell's webhook: `{ event, call }` with its call object. */
function retellEvent(event: string, o: RetellOptions = {}): Record<string, unknown> {
	const said = o.said ?? 'There is water pouring through my kitchen ceiling!';
	const call: Record<string, unknown> = {
		call_type: 'phone_call',
		call_id: o.id ?? `retell-call-${++seq}`,
		agent_id: 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD',
		call_status: o.status ?? 'ended',
		from_number: o.from ?? caller(),
		to_number: BUSINESS,
		direction: 'inbound',
		start_timestamp: Date.parse(STARTED),
		end_timestamp: Date.parse(STARTED) + 95_000,
		duration_ms: 95_000,
		disconnection_reason: o.disconnection ?? 'user_hangup',
		transcript: `Agent: Acme Plumbing, how can I help?\nUser: ${said}`,
		transcript_object: [
			{ role: 'agent', content: 'Acme Plumbing, how can I help?', words: [] },
			{ role: 'user', content: said, words: [] },
		],
		recording_url: 'https://retellai.s3.us-west-2.amazonaws.com/recording.wav',
	};
	if (event === 'call_analyzed')
		call.call_analysis = {
			call_summary: o.said
				? `Caller said: ${o.said}`
				: 'Caller has water coming through the kitchen ceiling and needs a plumber now.',
			in_voicemail: false,
			user_sentiment: 'Negative',
			call_successful: o.successful ?? false,
			custom_analysis_data: {},
		};
	return { event, call };
}

/** ElevenLabs' post-call webhook: `{ type, event_timestamp, data }`. */
function elevenPostCall(
	o: { from?: string | null; successful?: string | null; status?: string; transferTool?: boolean; id?: string } = {},
): Record<string, unknown> {
	return {
		type: 'post_call_transcription',
		event_timestamp: NOW_MS / 1000,
		data: {
			agent_id: 'agent_01jxyz',
			conversation_id: o.id ?? `conv_${++seq}`,
			status: o.status ?? 'done',
			user_id: null,
			transcript: [
				{ role: 'agent', message: 'Hi, this is Acme Plumbing. How can I help?', tool_calls: [], time_in_call_secs: 0 },
				{ role: 'user', message: 'I need to book a drain cleaning.', tool_calls: [], time_in_call_secs: 3 },
				{
					role: 'agent',
					message: 'Let me connect you with our dispatcher.',
					tool_calls: o.transferTool ? [{ tool_name: 'transfer_to_number', params_as_json: '{}' }] : null,
					time_in_call_secs: 9,
				},
			],
			metadata: {
				start_time_unix_secs: Date.parse(STARTED) / 1000,
				call_duration_secs: 41,
				cost: 210,
				termination_reason: 'Call ended by remote party',
				phone_call:
					o.from === null
						? null
						: { direction: 'inbound', external_number: o.from ?? caller(), agent_number: BUSINESS, type: 'twilio' },
			},
			analysis: {
				evaluation_criteria_results: {},
				data_collection_results: {},
				call_successful: o.successful === undefined ? 'failure' : o.successful,
				transcript_summary: 'The caller wants a drain cleaning booked.',
			},
			conversation_initiation_client_data: { dynamic_variables: {} },
		},
	};
}

/** Twilio's request to the <Connect action> URL after a ConversationRelay session. */
function relayAction(o: { from?: string; status?: string; handoff?: string } = {}): Record<string, string> {
	return {
		AccountSid: 'AC' + 'a1'.repeat(16),
		CallSid: `CA${String(++seq).padStart(32, '0')}`,
		CallStatus: 'in-progress',
		From: o.from ?? caller(),
		To: BUSINESS,
		Direction: 'inbound',
		SessionId: `VX${String(seq).padStart(32, '0')}`,
		SessionStatus: o.status ?? 'completed',
		SessionDuration: '63',
		...(o.handoff ? { HandoffData: o.handoff } : {}),
	};
}

describe('Vapi end-of-call-report', () => {
	test('a call the agent did not book becomes a case with the transcript, summary and only the caller’s words', () => {
		const from = caller();
		const e = missedCall(normalize('vapi', vapiReport({ from }), opts));
		expect(e).toMatchObject({ provider: 'vapi', from, to: BUSINESS, reason: 'voice-ai', answeredBy: 'voice-ai' });
		expect(e.startedAt).toBe(STARTED);
		expect(e.durationSec).toBe(150);
		expect(e.voiceAi).toMatchObject({
			platform: 'vapi',
			outcome: 'not-booked',
			endedBecause: 'customer-ended-call',
			summary: 'The caller reported a banging water heater and wants a visit.',
		});
		expect(e.voiceAi?.transcript).toContain('AI: Thanks for calling Acme Plumbing');
		expect(e.voiceAi?.callerWords).toBe('My water heater is making a banging noise, can someone look at it this week?');
	});

	test('a call the agent booked opens nothing and is marked for the report', () => {
		const n = normalize('vapi', vapiReport({ success: true, id: 'vapi-booked' }), opts);
		expect(n).toMatchObject({
			kind: 'not-missed',
			aiResolved: { eventId: 'vapi:vapi-booked', businessId: 'acme-plumbing', at: STARTED },
		});
	});

	test('a forwarded call is escalated, even when the evaluation passed', () => {
		const e = missedCall(
			normalize('vapi', vapiReport({ endedReason: 'assistant-forwarded-call', success: true }), opts),
		);
		expect(e.voiceAi?.outcome).toBe('escalated');
	});

	test('a caller asking for a person makes a case, even when the evaluation passed', () => {
		const messages = [
			{ role: 'bot', message: 'I can book that for Friday.' },
			{ role: 'user', message: 'Honestly I would rather talk to a real person about the price.' },
		];
		const e = missedCall(normalize('vapi', vapiReport({ success: 'true', messages }), opts));
		expect(e.voiceAi?.outcome).toBe('asked-for-person');
	});

	test('the agent offering a person is not the caller asking for one', () => {
		const messages = [
			{ role: 'bot', message: 'Would you like to speak to a person?' },
			{ role: 'user', message: 'No thanks, Friday works.' },
		];
		expect(normalize('vapi', vapiReport({ success: true, messages }), opts).kind).toBe('not-missed');
	});

	test('a call the pipeline dropped is a failed call and becomes a case', () => {
		const e = missedCall(
			normalize('vapi', vapiReport({ endedReason: 'pipeline-error-openai-llm-failed', success: true }), opts),
		);
		expect(e.voiceAi?.outcome).toBe('failed');
	});

	test('other server messages are ignored; web and outbound calls are not callers to call back', () => {
		expect(normalize('vapi', { message: { type: 'status-update', status: 'in-progress' } }, opts).kind).toBe('ignored');
		const web = vapiReport();
		(web.message as { call: { type: string } }).call.type = 'webCall';
		expect(normalize('vapi', web, opts).kind).toBe('ignored');
		const out = vapiReport();
		(out.message as { call: { type: string } }).call.type = 'outboundPhoneCall';
		expect(normalize('vapi', out, opts).kind).toBe('not-missed');
	});

	test('nulls where the report has nothing to say are tolerated', () => {
		const body = vapiReport();
		const m = body.message as Record<string, unknown>;
		const from = (m.customer as { number: string }).number;
		Object.assign(m, { artifact: null, analysis: null, endedAt: null, customer: null, phoneNumber: null });
		Object.assign(m.call as object, { customer: { number: from }, phoneNumber: { number: BUSINESS } });
		const e = missedCall(normalize('vapi', body, opts));
		expect(e).toMatchObject({ from, to: BUSINESS, durationSec: 0 });
		expect(e.voiceAi).toMatchObject({ outcome: 'not-booked' });
		expect(e.voiceAi?.transcript).toBeUndefined();
	});

	test('a report without its call is refused naming message.call', () => {
		const body = vapiReport();
		delete (body.message as Record<string, unknown>).call;
		const err = inputError(() => normalize('vapi', body, opts));
		expect(err.field).toBe('message.call');
	});

	test('a report without the caller number is refused naming the field', () => {
		const body = vapiReport();
		delete (body.message as Record<string, unknown>).customer;
		const err = inputError(() => normalize('vapi', body, opts));
		expect(err.field).toBe('message.customer.number');
	});
});

describe('documented shapes checked against the platforms’ SDKs', () => {
	// VapiAI/server-sdk-typescript src/api/types/CallType.ts: inboundPhoneCall, outboundPhoneCall, webCall,
	// vapi.websocketCall. Only a phone call has a number to call back.
	test('a Vapi websocket call is ignored like a web call', () => {
		const body = vapiReport();
		((body.message as Record<string, unknown>).call as Record<string, unknown>).type = 'vapi.websocketCall';
		expect(normalize('vapi', body, opts)).toMatchObject({ kind: 'ignored', reason: /vapi\.websocketCall/ });
	});

	// https://docs.retellai.com/features/webhook: "use call property. The data property is being deprecated."
	test('a Retell event that still carries the call under the deprecated data is read the same', () => {
		const from = caller();
		const { event, call } = retellEvent('call_analyzed', { from, successful: false });
		const e = missedCall(normalize('retell', { event, data: call }, opts));
		expect(e).toMatchObject({ provider: 'retell', from, voiceAi: { platform: 'retell', outcome: 'not-booked' } });
	});

	// retell-typescript-sdk src/resources/call.ts, PhoneCallResponse.disconnection_reason: scam_detected, marked_as_spam.
	test('a Retell call ended as spam or a scam opens no case', () => {
		for (const disconnection of ['scam_detected', 'marked_as_spam'])
			expect(normalize('retell', retellEvent('call_analyzed', { disconnection }), opts)).toMatchObject({
				kind: 'ignored',
				reason: new RegExp(disconnection),
			});
	});

	// The <Connect action> request carries ErrorCode and ErrorMessage when the session broke (64xxx errors,
	// e.g. https://www.twilio.com/docs/api/errors/64104), read by public action handlers beside SessionStatus.
	test('a ConversationRelay session with an ErrorCode is failed, with the error as the reason', () => {
		const params = { ...relayAction(), ErrorCode: '64104', ErrorMessage: 'Max call duration reached' };
		expect(missedCall(normalize('twilio', params, opts)).voiceAi).toMatchObject({
			outcome: 'failed',
			endedBecause: 'error 64104: Max call duration reached',
		});
	});
});

describe('Retell call_ended and call_analyzed', () => {
	test('an unsuccessful analyzed call becomes a case with the summary and the caller’s words', () => {
		const from = caller();
		const e = missedCall(normalize('retell', retellEvent('call_analyzed', { from, successful: false }), opts));
		expect(e).toMatchObject({ provider: 'retell', from, reason: 'voice-ai', answeredBy: 'voice-ai', durationSec: 95 });
		expect(e.startedAt).toBe(STARTED);
		expect(e.voiceAi).toMatchObject({
			platform: 'retell',
			outcome: 'not-booked',
			summary: 'Caller has water coming through the kitchen ceiling and needs a plumber now.',
			callerWords: 'There is water pouring through my kitchen ceiling!',
		});
		expect(e.voiceAi?.transcript).toContain('Agent: Acme Plumbing');
	});

	test('a successful analyzed call is resolved by the agent', () => {
		const n = normalize('retell', retellEvent('call_analyzed', { successful: true, id: 'r-ok' }), opts);
		expect(n).toMatchObject({ kind: 'not-missed', aiResolved: { eventId: 'retell:r-ok' } });
	});

	test('call_ended decides only a transfer or an error; the rest waits for call_analyzed', () => {
		expect(normalize('retell', retellEvent('call_ended'), opts).kind).toBe('ignored');
		const moved = missedCall(normalize('retell', retellEvent('call_ended', { disconnection: 'call_transfer' }), opts));
		expect(moved.voiceAi).toMatchObject({ outcome: 'escalated', endedBecause: 'call_transfer' });
		expect(moved.voiceAi?.summary).toBeUndefined();
		const broken = missedCall(
			normalize(
				'retell',
				retellEvent('call_ended', { status: 'error', disconnection: 'error_llm_websocket_open' }),
				opts,
			),
		);
		expect(broken.voiceAi?.outcome).toBe('failed');
	});

	test('call_started is ignored, and an outbound call is not a caller to recover', () => {
		expect(normalize('retell', retellEvent('call_started'), opts).kind).toBe('ignored');
		const out = retellEvent('call_analyzed');
		(out.call as Record<string, unknown>).direction = 'outbound';
		expect(normalize('retell', out, opts).kind).toBe('not-missed');
	});

	test('nulls are tolerated: no analysis fields, no transcript', () => {
		const body = retellEvent('call_analyzed');
		Object.assign(body.call as object, {
			transcript: null,
			transcript_object: null,
			duration_ms: null,
			call_analysis: { call_summary: null, call_successful: null },
		});
		const e = missedCall(normalize('retell', body, opts));
		expect(e.durationSec).toBe(95);
		expect(e.voiceAi).toMatchObject({ outcome: 'not-booked' });
		expect(e.voiceAi?.callerWords).toBeUndefined();
	});

	test('a body without the call id is refused naming call.call_id', () => {
		const body = retellEvent('call_analyzed');
		delete (body.call as Record<string, unknown>).call_id;
		expect(inputError(() => normalize('retell', body, opts)).field).toBe('call.call_id');
	});
});

describe('ElevenLabs post_call_transcription', () => {
	test('an unsuccessful call becomes a case with the summary and the transcript', () => {
		const from = caller();
		const e = missedCall(normalize('elevenlabs', elevenPostCall({ from, id: 'conv_abc' }), opts));
		expect(e).toMatchObject({
			eventId: 'elevenlabs:conv_abc',
			from,
			to: BUSINESS,
			reason: 'voice-ai',
			answeredBy: 'voice-ai',
			durationSec: 41,
			startedAt: STARTED,
		});
		expect(e.voiceAi).toMatchObject({
			platform: 'elevenlabs',
			outcome: 'not-booked',
			summary: 'The caller wants a drain cleaning booked.',
			callerWords: 'I need to book a drain cleaning.',
		});
		expect(e.voiceAi?.transcript).toBe(
			'Agent: Hi, this is Acme Plumbing. How can I help?\nCaller: I need to book a drain cleaning.\n' +
				'Agent: Let me connect you with our dispatcher.',
		);
	});

	test('success is resolved; a transfer_to_number call is escalated; a failed conversation is failed', () => {
		expect(normalize('elevenlabs', elevenPostCall({ successful: 'success' }), opts).kind).toBe('not-missed');
		const moved = missedCall(
			normalize('elevenlabs', elevenPostCall({ successful: 'success', transferTool: true }), opts),
		);
		expect(moved.voiceAi?.outcome).toBe('escalated');
		const failed = missedCall(
			normalize('elevenlabs', elevenPostCall({ successful: 'success', status: 'failed' }), opts),
		);
		expect(failed.voiceAi?.outcome).toBe('failed');
	});

	test('audio webhooks and web conversations are ignored', () => {
		expect(normalize('elevenlabs', { type: 'post_call_audio', data: { conversation_id: 'c1' } }, opts).kind).toBe(
			'ignored',
		);
		expect(normalize('elevenlabs', elevenPostCall({ from: null }), opts).kind).toBe('ignored');
	});

	test('the caller id system variable stands in for metadata.phone_call; a null analysis is tolerated', () => {
		const from = caller();
		const body = elevenPostCall({ from: null });
		const d = body.data as Record<string, unknown>;
		d.analysis = null;
		d.conversation_initiation_client_data = {
			dynamic_variables: { system__caller_id: from, system__called_number: BUSINESS },
		};
		const e = missedCall(normalize('elevenlabs', body, opts));
		expect(e).toMatchObject({ from, to: BUSINESS });
		expect(e.voiceAi?.outcome).toBe('not-booked');
	});

	test('a body without the conversation id is refused naming data.conversation_id', () => {
		const body = elevenPostCall();
		delete (body.data as Record<string, unknown>).conversation_id;
		expect(inputError(() => normalize('elevenlabs', body, opts)).field).toBe('data.conversation_id');
	});
});

describe('Twilio ConversationRelay action callback', () => {
	test('a session the relay app handed off becomes a case with its summary', () => {
		const handoff = JSON.stringify({
			reasonCode: 'live-agent-handoff',
			reason: 'The caller wants a quote for a new water heater',
			summary: 'New water heater quote, 50 gallon, gas.',
		});
		const e = missedCall(normalize('twilio', relayAction({ handoff }), opts));
		expect(e).toMatchObject({ provider: 'twilio', reason: 'voice-ai', answeredBy: 'voice-ai', durationSec: 63 });
		expect(e.voiceAi).toMatchObject({
			platform: 'twilio-conversation-relay',
			outcome: 'escalated',
			endedBecause: 'The caller wants a quote for a new water heater',
			summary: 'New water heater quote, 50 gallon, gas.',
		});
	});

	test('a session that ended without a handoff is resolved; a failed session becomes a case', () => {
		expect(normalize('twilio', relayAction(), opts)).toMatchObject({ kind: 'not-missed', aiResolved: {} });
		expect(missedCall(normalize('twilio', relayAction({ status: 'failed' }), opts)).voiceAi?.outcome).toBe('failed');
	});

	test('HandoffData that is not JSON is kept as the summary', () => {
		const e = missedCall(normalize('twilio', relayAction({ handoff: 'caller asked for a manager' }), opts));
		expect(e.voiceAi).toMatchObject({ outcome: 'escalated', summary: 'caller asked for a manager' });
	});
});

describe('signatures', () => {
	const raw = JSON.stringify(retellEvent('call_analyzed'));
	const proof = (headers: Record<string, string>, rawBody = raw) => ({ url: URL_, headers, body: undefined, rawBody });

	test('Vapi: the HMAC credential or the server secret is accepted; a forgery or a changed body is not', () => {
		const secret = 'vapi-secret-7d1f';
		expect(verifyWebhook('vapi', proof(sign.vapi(secret, raw)), secret, NOW).valid).toBe(true);
		expect(verifyWebhook('vapi', proof({ 'x-vapi-secret': secret }), secret, NOW).valid).toBe(true);
		expect(verifyWebhook('vapi', proof(sign.vapi('guessed', raw)), secret, NOW).valid).toBe(false);
		expect(verifyWebhook('vapi', proof(sign.vapi(secret, raw), raw + ' '), secret, NOW).valid).toBe(false);
		expect(verifyWebhook('vapi', proof({ 'x-vapi-secret': 'guessed' }), secret, NOW).valid).toBe(false);
		expect(verifyWebhook('vapi', proof({}), secret, NOW)).toMatchObject({
			valid: false,
			reason: /x-vapi-signature, x-signature/,
		});
	});

	// VapiAI/server-sdk-typescript src/api/types/HmacAuthenticationPlan.ts: signatureHeader defaults to x-signature,
	// timestampHeader to x-timestamp, payloadFormat to "{timestamp}.{body}", encoding hex, optional signaturePrefix.
	test('Vapi: the HMAC credential with its defaults (time signed) is accepted; stale or forged is refused', () => {
		const secret = 'vapi-hmac-credential';
		const signed = sign.vapi(secret, raw, NOW_MS);
		expect(signed).toEqual({ 'x-signature': expect.stringMatching(/^[0-9a-f]{64}$/), 'x-timestamp': String(NOW_MS) });
		expect(verifyWebhook('vapi', proof(signed), secret, NOW).valid).toBe(true);
		const prefixed = { ...signed, 'x-signature': `sha256=${signed['x-signature']}` };
		expect(verifyWebhook('vapi', proof(prefixed), secret, NOW).valid).toBe(true);
		const inSeconds = sign.vapi(secret, raw, Math.floor(NOW_MS / 1000));
		expect(verifyWebhook('vapi', proof(inSeconds), secret, NOW).valid).toBe(true);
		expect(verifyWebhook('vapi', proof(sign.vapi(secret, raw, NOW_MS - 6 * 60e3)), secret, NOW)).toMatchObject({
			valid: false,
			reason: /replay/,
		});
		// The time is part of what is signed: moving it forward breaks the signature.
		const moved = { ...sign.vapi(secret, raw, NOW_MS - 6 * 60e3), 'x-timestamp': String(NOW_MS) };
		expect(verifyWebhook('vapi', proof(moved), secret, NOW).valid).toBe(false);
		expect(verifyWebhook('vapi', proof(sign.vapi('guessed', raw, NOW_MS)), secret, NOW).valid).toBe(false);
	});

	test('Retell: signed now is accepted; a forgery, a changed body or a signature 6 minutes old is not', () => {
		const key = 'key_retell_webhook';
		expect(verifyWebhook('retell', proof(sign.retell(key, raw, NOW_MS)), key, NOW).valid).toBe(true);
		expect(verifyWebhook('retell', proof(sign.retell('key_other', raw, NOW_MS)), key, NOW).valid).toBe(false);
		expect(
			verifyWebhook('retell', proof(sign.retell(key, raw, NOW_MS), raw.replace('ended', 'error')), key, NOW).valid,
		).toBe(false);
		const stale = verifyWebhook('retell', proof(sign.retell(key, raw, NOW_MS - 6 * 60e3)), key, NOW);
		expect(stale).toMatchObject({ valid: false, reason: /replay/ });
		expect(verifyWebhook('retell', proof({ 'x-retell-signature': 'garbage' }), key, NOW).valid).toBe(false);
	});

	test('ElevenLabs: 29 minutes old is accepted, 31 minutes old is refused as a replay; forgeries are refused', () => {
		const secret = 'wsec_elevenlabs';
		const at = (min: number) => Math.floor(NOW_MS / 1000) - min * 60;
		expect(verifyWebhook('elevenlabs', proof(sign.elevenlabs(secret, raw, at(0))), secret, NOW).valid).toBe(true);
		expect(verifyWebhook('elevenlabs', proof(sign.elevenlabs(secret, raw, at(29))), secret, NOW).valid).toBe(true);
		expect(verifyWebhook('elevenlabs', proof(sign.elevenlabs(secret, raw, at(31))), secret, NOW)).toMatchObject({
			valid: false,
			reason: /replay/,
		});
		expect(verifyWebhook('elevenlabs', proof(sign.elevenlabs('wsec_other', raw, at(0))), secret, NOW).valid).toBe(
			false,
		);
		expect(verifyWebhook('elevenlabs', proof({ 'ElevenLabs-Signature': `t=${at(0)}` }), secret, NOW).valid).toBe(false);
	});

	test('ConversationRelay is a Twilio webhook: its X-Twilio-Signature is checked with the Auth Token', () => {
		const params = relayAction();
		const good = {
			url: URL_,
			headers: { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, URL_, params) },
			body: params,
		};
		expect(verifyWebhook('twilio', good, AUTH_TOKEN, NOW).valid).toBe(true);
		const forged = { ...good, body: { ...params, SessionStatus: 'failed' } };
		expect(verifyWebhook('twilio', forged, AUTH_TOKEN, NOW).valid).toBe(false);
	});
});

describe('through the webhook handler', () => {
	let dir: string;
	let store: RecoveryStore;
	let loop: RecoveryLoop;
	const texts: { to: string; body: string }[] = [];
	const provider: MessagingProvider = {
		async sendMessage(req) {
			texts.push({ to: req.to, body: req.body });
			return { sid: `SM${texts.length}`, status: 'queued' };
		},
		async lookupLineType() {
			return 'mobile';
		},
		async placeCall() {
			return { sid: 'CA1' };
		},
	};
	const KEY = 'key_retell_webhook';
	const cfg = (p: Provider, secret: string): TriggerConfig => ({
		provider: p,
		mode: 'status',
		voicemail: false,
		validateSignature: true,
		secret,
		normalize: { businessId: 'acme-plumbing' },
		replyToKeywords: true,
	});
	const retell = (body: Record<string, unknown>, tsMs = NOW_MS) => {
		const raw = JSON.stringify(body);
		return answerWebhook(
			{
				url: URL_,
				headers: { 'content-type': 'application/json', ...sign.retell(KEY, raw, tsMs) },
				body: undefined,
				rawBody: raw,
			},
			cfg('retell', KEY),
			loop,
		);
	};

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-voice-ai-'));
		store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
		loop = new RecoveryLoop({
			store,
			provider,
			profileFor: () => plumber({ acknowledgment: { checkLineType: false } }),
			now: () => NOW,
		});
	});
	afterAll(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	test('an unresolved call opens a case, classified and routed, and the caller is not texted', async () => {
		const from = caller();
		const body = retellEvent('call_analyzed', { from, successful: false });
		// A summary that names no hazard: the urgency must come from the caller's own turns.
		(body.call as { call_analysis: Record<string, unknown> }).call_analysis.call_summary = 'Caller needs a plumber.';
		const a = await retell(body);
		expect(a.status).toBe(200);
		expect(a.emit?.type).toBe('missed-call');
		if (a.emit?.type !== 'missed-call') return;
		expect(a.emit.case.calls[0]).toMatchObject({ answeredBy: 'voice-ai', voiceAi: { platform: 'retell' } });
		const h = await loop.handleEvent(a.emit, { alertOwner: true, connectCaller: 'never' });
		expect(h.ack?.plan).toMatchObject({ action: 'skip', reason: 'answered-by-voice-ai' });
		expect(h.case?.ack).toMatchObject({ status: 'skipped' });
		// The caller's own words ("water pouring through my kitchen ceiling") set the urgency, as in a voicemail.
		expect(['emergency', 'high']).toContain(h.classification?.urgency);
		expect(h.case?.owner).not.toBeNull();
		expect(texts.some((t) => t.to === from)).toBe(false);
		expect(texts.some((t) => t.to === h.case?.owner?.phone)).toBe(true);
	});

	test('a resolved call opens nothing and counts once on the report, beside the cases', async () => {
		const before = await store.countCases('acme-plumbing');
		const body = retellEvent('call_analyzed', { successful: true, id: 'retell-resolved-1' });
		const a = await retell(body);
		expect(a.status).toBe(200);
		expect(a.emit).toBeUndefined();
		expect(a.note).toMatch(/answered by voice AI \(retell\) and resolved/);
		await retell(body);
		expect(await store.countCases('acme-plumbing')).toBe(before);
		const r = await buildReport(store, [{ businessId: 'acme-plumbing', name: 'Acme Plumbing' }], {
			businessId: 'acme-plumbing',
			days: 7,
			now: NOW,
		});
		expect(r.voiceAi).toEqual({ answered: 2, cases: 1 });
		expect(r.html).toContain('data-voice-ai-answered="2" data-voice-ai-cases="1"');
		const other = await buildReport(store, [{ businessId: 'other-co', name: 'Other' }], {
			businessId: 'other-co',
			days: 7,
			now: NOW,
		});
		expect(other.voiceAi).toEqual({ answered: 0, cases: 0 });
		expect(other.html).not.toContain('data-voice-ai-answered');
	});

	test('a resolved call from a caller with an open case closes that case: the owner is chased no more', async () => {
		const from = caller();
		const said = 'I would like a quote for a new kitchen faucet sometime next week';
		const opened = await retell(retellEvent('call_analyzed', { from, successful: false, said }));
		if (opened.emit?.type !== 'missed-call') throw new Error(`expected a case, got ${opened.status} ${opened.body}`);
		await loop.handleEvent(opened.emit, { alertOwner: true, connectCaller: 'never' });
		const caseId = opened.emit.case.caseId;
		expect(await store.getCase(caseId)).toMatchObject({ urgency: expect.not.stringMatching(/emergency/) });
		expect((await store.getCase(caseId))?.state).not.toMatch(/recovered|lost/);
		// The caller rings again and the agent settles it.
		const resolved = retellEvent('call_analyzed', { from, successful: true, id: 'retell-settles-1' });
		const a = await retell(resolved);
		expect(a.status).toBe(200);
		expect(a.emit).toBeUndefined();
		expect(a.note).toContain(`case ${caseId.slice(0, 8)} closed`);
		const c = await store.getCase(caseId);
		expect(c).toMatchObject({ state: 'recovered', outcome: { kind: 'called-back' } });
		expect(c?.stamps.closedAt).toBe(NOW.toISOString());
		expect(c?.history.at(-1)?.note).toBe('settled by the voice agent (retell) when the caller called again');
		expect(await store.findOpenCase('acme-plumbing', from)).toBeUndefined();
		// A redelivery changes nothing; another caller's resolved call touches no one else's case.
		await retell(resolved);
		expect((await store.getCase(caseId))?.history.length).toBe(c?.history.length);
		const b = await retell(retellEvent('call_analyzed', { successful: true, id: 'retell-settles-2' }));
		expect(b.note).not.toContain('closed');
	});

	test("an emergency case is not closed by the agent's verdict: noted, and still the owner's", async () => {
		const from = caller();
		const opened = await retell(retellEvent('call_analyzed', { from, successful: false }));
		if (opened.emit?.type !== 'missed-call') throw new Error(`expected a case, got ${opened.status} ${opened.body}`);
		const caseId = opened.emit.case.caseId;
		await loop.handleEvent(opened.emit, { alertOwner: true, connectCaller: 'never' });
		expect(await store.getCase(caseId)).toMatchObject({ urgency: 'emergency' });
		const a = await retell(retellEvent('call_analyzed', { from, successful: true, id: 'retell-settles-3' }));
		expect(a.note).toContain('noted (an emergency stays open)');
		const c = await store.getCase(caseId);
		expect(c?.state).not.toMatch(/recovered|lost/);
		expect(c?.history.at(-1)).toMatchObject({ move: 'voice-agent-answered' });
		expect(await store.findOpenCase('acme-plumbing', from)).toMatchObject({ caseId });
	});

	test('a stale or forged delivery is refused with 403 and opens nothing', async () => {
		const before = await store.countCases('acme-plumbing');
		expect((await retell(retellEvent('call_analyzed'), NOW_MS - 10 * 60e3)).status).toBe(403);
		const raw = JSON.stringify(retellEvent('call_analyzed'));
		const forged = await answerWebhook(
			{ url: URL_, headers: sign.retell('key_guess', raw, NOW_MS), body: undefined, rawBody: raw },
			cfg('retell', KEY),
			loop,
		);
		expect(forged.status).toBe(403);
		expect(await store.countCases('acme-plumbing')).toBe(before);
	});

	test(`a ConversationRelay hand-off rings a person; a session that just ended hangs up, with no voicemail \
prompt`, async () => {
		const twilio: TriggerConfig = { ...cfg('twilio', AUTH_TOKEN), mode: 'forward', voicemail: true };
		const relay = (params: Record<string, string>) =>
			answerWebhook(
				{ url: URL_, headers: { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, URL_, params) }, body: params },
				twilio,
				loop,
			);
		const handoff = JSON.stringify({ reasonCode: 'live-agent-handoff', reason: 'The caller asked for a person' });
		const asked = relayAction({ handoff });
		const a = await relay(asked);
		expect(a.status).toBe(200);
		expect(a.emit?.type).toBe('missed-call');
		expect(a.body).toContain('<Dial');
		expect(a.body).toContain('+13125550101');
		expect(a.body).not.toContain('<Record');
		// Nobody picks up: the Dial's callback is the same call, already a case, and the caller may leave a message.
		const { AccountSid, CallSid, From, To } = asked;
		const dial = { AccountSid, CallSid, From, To, Direction: 'inbound', CallStatus: 'in-progress' };
		const b = await relay({ ...dial, DialCallStatus: 'no-answer', DialCallDuration: '0' });
		expect(b.emit).toBeUndefined();
		expect(b.body).toContain('<Record');
		const failed = await relay(relayAction({ status: 'failed' }));
		expect(failed.body).toContain('<Dial');
		// A session that ended with the caller's question answered: no case, no prompt, the call ends.
		const done = await relay(relayAction());
		expect(done.emit).toBeUndefined();
		expect(done.body).not.toMatch(/<Dial|<Record|<Say/);
	});

	describe('a replayed Vapi report', () => {
		// Vapi's body-only signature (x-vapi-signature) signs no time: a captured report verifies forever.
		const VAPI_SECRET = 'vapi-server-secret';
		const vapi = (body: Record<string, unknown>) => {
			const raw = JSON.stringify(body);
			const headers = { 'content-type': 'application/json', ...sign.vapi(VAPI_SECRET, raw) };
			return answerWebhook({ url: URL_, headers, body: undefined, rawBody: raw }, cfg('vapi', VAPI_SECRET), loop);
		};
		const minutesAgo = (min: number) => new Date(NOW_MS - min * 60_000).toISOString();

		test('a report whose call ended over an hour ago is a 400 naming message.endedAt, and opens nothing', async () => {
			const before = await store.countCases('acme-plumbing');
			const a = await vapi(vapiReport({ endedAt: minutesAgo(61) }));
			expect(a.status).toBe(400);
			expect(a.body).toMatch(/message\.endedAt/);
			expect(a.body).toMatch(/61 minutes ago/);
			expect(a.emit).toBeUndefined();
			// The call's own endedAt is read when the message has none.
			const body = vapiReport();
			const m = body.message as Record<string, unknown>;
			delete m.endedAt;
			(m.call as Record<string, unknown>).endedAt = minutesAgo(180);
			expect((await vapi(body)).body).toMatch(/message\.call\.endedAt/);
			expect(await store.countCases('acme-plumbing')).toBe(before);
		});

		test('inside the hour, the same report delivered again is one call on one case', async () => {
			const body = vapiReport({ id: 'vapi-replayed-1', endedAt: minutesAgo(59) });
			const first = await vapi(body);
			expect(first.status).toBe(200);
			expect(first.emit).toMatchObject({ type: 'missed-call', created: true });
			const again = await vapi(body);
			expect(again.status).toBe(200);
			expect(again.emit?.type === 'missed-call' && again.emit.created).toBe(false);
			const c = await store.findCaseByEvent('vapi:vapi-replayed-1');
			expect(c?.calls.filter((k) => k.eventId === 'vapi:vapi-replayed-1')).toHaveLength(1);
		});
	});

	test('a bad body is a 400 naming the field, never a 500', async () => {
		const body = elevenPostCall();
		(body.data as Record<string, unknown>).conversation_id = '';
		const raw = JSON.stringify(body);
		const secret = 'wsec_elevenlabs';
		const a = await answerWebhook(
			{
				url: URL_,
				headers: sign.elevenlabs(secret, raw, Math.floor(NOW_MS / 1000)),
				body: undefined,
				rawBody: raw,
			},
			cfg('elevenlabs', secret),
			loop,
		);
		expect(a.status).toBe(400);
		expect(a.body).toMatch(/data\.conversation_id/);
	});
});
