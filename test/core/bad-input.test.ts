import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import {
	answerWebhook,
	buildReport,
	computeMetrics,
	normalize,
	openStore,
	parseProfile,
	RecoveryLoop,
	signTwilioRequest,
	signWebhook,
	TRUNCATED_MARK,
	type Case,
	type Provider,
	type RecoveryStore,
	type TriggerConfig,
	type WebhookAnswer,
} from '../../core';
import * as signatures from '../../core/signatures';
import { readBody } from '../../nodes/shared/node-red';
import { AUTH_TOKEN, plumber } from '../helpers/fixtures';
import { describePostgres, dropSchema, PG_URL, requirePostgres, uniqueSchema } from '../helpers/postgres';

const URL_ = 'https://hooks.example.com/missed-call';
const BUSINESS = '+13125550199';

function config(provider: Provider, validateSignature = false): TriggerConfig {
	return {
		provider,
		mode: 'status',
		voicemail: false,
		validateSignature,
		secret: AUTH_TOKEN,
		normalize: { businessId: 'acme-plumbing' },
		replyToKeywords: true,
	};
}

/** Answers a Twilio request signed with the test Auth Token. */
function twilio(
	loop: RecoveryLoop,
	params: Record<string, string>,
	cfg = config('twilio', true),
): Promise<WebhookAnswer> {
	return answerWebhook(
		{ url: URL_, headers: { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, URL_, params) }, body: params },
		cfg,
		loop,
	);
}

let seq = 0;
const callSid = () => `CA${String(++seq).padStart(32, '0')}`;
const caller = () => `+1312555${String(2000 + (seq % 7000))}`;

describe('bad input never becomes a 500 or a lost call', () => {
	let dir: string;
	let store: RecoveryStore;
	let loop: RecoveryLoop;
	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-bad-input-'));
		store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
		loop = new RecoveryLoop({ store, profileFor: () => plumber() });
	});
	afterAll(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	describe('a transcript over 5,000 characters', () => {
		const long = 'my basement is flooding and the water heater is leaking '.repeat(120);

		test('is kept cut with a marker, and the caller calls again: the second call joins the case', async () => {
			const from = caller();
			const first = callSid();
			expect(
				(await twilio(loop, { CallSid: first, From: from, To: BUSINESS, DialCallStatus: 'no-answer' })).status,
			).toBe(200);
			const t = await twilio(loop, {
				CallSid: first,
				From: from,
				To: BUSINESS,
				TranscriptionText: long,
				TranscriptionStatus: 'completed',
				TranscriptionSid: 'TR1',
			});
			expect(t.status).toBe(200);
			const again = await twilio(loop, { CallSid: callSid(), From: from, To: BUSINESS, DialCallStatus: 'busy' });
			expect(again.status).toBe(200);
			expect(again.emit).toMatchObject({ type: 'missed-call', created: false });
			const c = (await store.findOpenCase('acme-plumbing', from))!;
			expect(c.calls).toHaveLength(2);
			const transcript = c.calls[0].voicemail!.transcript!;
			expect(transcript).toHaveLength(5000);
			expect(transcript.endsWith(TRUNCATED_MARK)).toBe(true);
			expect(transcript.startsWith('my basement is flooding')).toBe(true);
		});

		test(`a case stored with a longer transcript (before the limit held) still reads back and takes the \
next call`, async () => {
			const from = caller();
			const first = callSid();
			await twilio(loop, { CallSid: first, From: from, To: BUSINESS, DialCallStatus: 'no-answer' });
			// The loop's own path, without the normalizer's cut: what an older version stored.
			await loop.voicemail({
				type: 'voicemail',
				eventId: `twilio:${first}:transcription:old`,
				provider: 'twilio',
				callSid: first,
				from,
				to: BUSINESS,
				businessId: 'acme-plumbing',
				voicemail: { transcript: long },
				at: new Date().toISOString(),
			});
			expect((await store.findOpenCase('acme-plumbing', from))!.calls[0].voicemail!.transcript!.length).toBe(
				long.length,
			);
			const again = await twilio(loop, { CallSid: callSid(), From: from, To: BUSINESS, DialCallStatus: 'no-answer' });
			expect(again.status).toBe(200);
			expect((await store.findOpenCase('acme-plumbing', from))!.calls).toHaveLength(2);
		});

		test('an OpenPhone missed call carrying one is stored, not lost', async () => {
			const from = caller();
			const a = await answerWebhook(
				{
					url: URL_,
					headers: {},
					body: {
						type: 'call.missed',
						data: {
							object: {
								id: `AC${++seq}`,
								from,
								to: BUSINESS,
								direction: 'incoming',
								voicemail: { url: 'https://op.example/vm.mp3', duration: 40, transcript: long },
							},
						},
					},
				},
				config('openphone'),
				loop,
			);
			expect(a.status).toBe(200);
			expect(a.emit).toMatchObject({ type: 'missed-call', created: true });
			const c = (await store.findOpenCase('acme-plumbing', from))!;
			expect(c.calls[0].voicemail!.transcript!.endsWith(TRUNCATED_MARK)).toBe(true);
		});
	});

	test('a NUL byte or line break in a CallSid or MessageSid is a 400 naming the field', async () => {
		const from = caller();
		const call = await twilio(loop, { CallSid: 'CA\u0000abc', From: from, To: BUSINESS, DialCallStatus: 'no-answer' });
		expect(call.status).toBe(400);
		expect(call.body).toMatch(/CallSid is "CA\u0000abc"\. An id holds no control characters/);
		const msg = await twilio(loop, { MessageSid: 'SM1\nx', From: from, To: BUSINESS, Body: 'hello' });
		expect(msg.status).toBe(400);
		expect(msg.body).toMatch(/MessageSid/);
		const status = await twilio(loop, { MessageSid: 'SM2', To: from, From: BUSINESS, MessageStatus: 'failed\u0000' });
		expect(status.status).toBe(400);
		expect(status.body).toMatch(/MessageStatus/);
		expect(await store.findOpenCase('acme-plumbing', from)).toBeUndefined();
	});

	test('a delivery status named like an object member is a 400, not a store error', async () => {
		for (const status of ['constructor', 'toString', '__proto__']) {
			const a = await twilio(loop, { MessageSid: `SM${++seq}`, To: caller(), From: BUSINESS, MessageStatus: status });
			expect(a.status).toBe(400);
			expect(a.body).toMatch(/MessageStatus is .+\. A delivery status is a word/);
		}
	});

	describe('a timestamp beyond year 9999 (or before 1970) dates the call at receipt, and the call is stored', () => {
		const far = '+010000-01-01T00:00:00Z';
		const cases: [Provider, (from: string, id: string) => Record<string, unknown>][] = [
			['twilio', (from, id) => ({ CallSid: id, From: from, To: BUSINESS, CallStatus: 'no-answer', Timestamp: far })],
			['vonage', (from, id) => ({ uuid: id, status: 'unanswered', from, to: BUSINESS, timestamp: far })],
			[
				'telnyx',
				(from, id) => ({
					data: {
						event_type: 'call.hangup',
						occurred_at: far,
						payload: {
							call_control_id: id,
							from,
							to: BUSINESS,
							hangup_cause: 'no_answer',
							start_time: far,
							end_time: 'not a time',
						},
					},
				}),
			],
			['plivo', (from, id) => ({ CallUUID: id, From: from, To: BUSINESS, CallStatus: 'no-answer', StartTime: far })],
			[
				'aircall',
				(from, id) => ({
					event: 'call.ended',
					timestamp: 253402300800,
					data: { id, status: 'missed', raw_digits: from, started_at: 253402300800 },
				}),
			],
			[
				'openphone',
				(from, id) => ({ type: 'call.missed', data: { object: { id, from, to: BUSINESS, createdAt: far } } }),
			],
			[
				'ringcentral',
				(from, id) => ({ id, result: 'Missed', startTime: '1969-12-31T00:00:00Z', from: { phoneNumber: from } }),
			],
			[
				'dialpad',
				(from, id) => ({ call_id: id, state: 'missed', external_number: from, date_started: 253402300800000 }),
			],
			['generic', (from, id) => ({ id, from, to: BUSINESS, status: 'missed', at: far })],
		];
		test.each(cases)('%s', async (provider, make) => {
			const from = caller();
			const before = Date.now();
			const cfg = { ...config(provider), mapping: provider === 'generic' ? { startedAt: 'at' } : undefined };
			const a = await answerWebhook({ url: URL_, headers: {}, body: make(from, `id${++seq}`) }, cfg, loop);
			expect(a.status).toBe(200);
			expect(a.emit).toMatchObject({ type: 'missed-call', created: true });
			const c = (await store.findOpenCase('acme-plumbing', from))!;
			expect(Date.parse(c.calls[0].startedAt)).toBeGreaterThanOrEqual(before - 1000);
			expect(Number.isFinite(c.calls[0].durationSec)).toBe(true);
		});
	});

	describe('a signed delivery stamped beyond year 9999', () => {
		const far = '+010000-01-01T00:00:00Z';
		const year10000Sec = 253402300800;

		test('a Twilio status callback signed with the Auth Token is read, dated at receipt and stored', async () => {
			const from = caller();
			const before = Date.now();
			const params = { CallSid: callSid(), From: from, To: BUSINESS, CallStatus: 'no-answer', Timestamp: far };
			const a = await twilio(loop, params);
			expect(a.status).toBe(200);
			expect(a.emit).toMatchObject({ type: 'missed-call', created: true });
			const c = (await store.findOpenCase('acme-plumbing', from))!;
			expect(Date.parse(c.calls[0].startedAt)).toBeGreaterThanOrEqual(before - 1000);
		});

		const ed = generateKeyPairSync('ed25519');
		const telnyxPublic = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
		const openphoneKey = Buffer.from('openphone-signing-key-bytes-32!!').toString('base64');
		type Stamped = [Provider, string, (raw: string, sec: number) => Record<string, string>];
		const stamped: Stamped[] = [
			['telnyx', telnyxPublic, (raw, sec) => signWebhook.telnyx(ed.privateKey, raw, sec)],
			[
				'vonage',
				'vonage-signature-secret-0123456789',
				(raw, sec) => signWebhook.vonage('vonage-signature-secret-0123456789', raw, sec),
			],
			['openphone', openphoneKey, (raw, sec) => signWebhook.openphone(openphoneKey, raw, sec * 1000)],
			['retell', 'retell-api-key', (raw, sec) => signWebhook.retell('retell-api-key', raw, sec * 1000)],
			['elevenlabs', 'elevenlabs-secret', (raw, sec) => signWebhook.elevenlabs('elevenlabs-secret', raw, sec)],
		];
		test.each(stamped)(
			'%s: a signature dated in year 10000 is a 403 saying why, never a 500',
			async (provider, secret, signAt) => {
				const body = { id: `far${++seq}`, from: caller(), to: BUSINESS };
				const raw = JSON.stringify(body);
				const cfg = { ...config(provider, true), secret };
				for (const sec of [year10000Sec, 8.64e12, 1e21]) {
					const a = await answerWebhook(
						{ url: URL_, headers: { 'content-type': 'application/json', ...signAt(raw, sec) }, body, rawBody: raw },
						cfg,
						loop,
					);
					expect(a.status).toBe(403);
					expect(a.note).toMatch(/^refused: .*(a replay or a wrong clock|of the form)/);
					expect(a.emit).toBeUndefined();
				}
				// The same body signed now passes the check: the date alone was refused.
				const now = Math.floor(Date.now() / 1000);
				const fresh = await answerWebhook(
					{ url: URL_, headers: { 'content-type': 'application/json', ...signAt(raw, now) }, body, rawBody: raw },
					cfg,
					loop,
				);
				expect(fresh.status).not.toBe(403);
			},
		);
	});

	describe('nulls a provider sends for what an unanswered call lacks are accepted', () => {
		const cases: [Provider, (from: string, id: string) => Record<string, unknown>][] = [
			[
				'vonage',
				(from, id) => ({
					uuid: id,
					conversation_uuid: null,
					status: 'unanswered',
					direction: 'inbound',
					from,
					to: BUSINESS,
					timestamp: '2026-11-25T14:03:00.000Z',
					start_time: null,
					duration: null,
					rate: null,
					price: null,
					network: null,
				}),
			],
			[
				'telnyx',
				(from, id) => ({
					data: {
						event_type: 'call.hangup',
						id: null,
						occurred_at: '2026-11-25T14:03:00Z',
						payload: {
							call_control_id: id,
							call_session_id: null,
							from,
							to: BUSINESS,
							direction: 'incoming',
							hangup_cause: 'originator_cancel',
							start_time: '2026-11-25T14:02:40Z',
							end_time: null,
						},
					},
				}),
			],
			[
				'plivo',
				(from, id) => ({
					CallUUID: id,
					From: from,
					To: BUSINESS,
					CallStatus: 'no-answer',
					Direction: 'inbound',
					Duration: null,
					DialBLegDuration: null,
					StartTime: null,
					DialStatus: null,
				}),
			],
			[
				'aircall',
				(from, id) => ({
					event: 'call.ended',
					timestamp: null,
					data: {
						id,
						direction: 'inbound',
						status: 'done',
						missed_call_reason: 'agents_did_not_answer',
						raw_digits: from,
						number: { digits: null },
						started_at: 1795000000,
						answered_at: null,
						duration: null,
						voicemail: null,
					},
				}),
			],
			[
				'openphone',
				(from, id) => ({
					type: 'call.completed',
					data: {
						object: {
							id,
							from,
							to: null,
							direction: 'incoming',
							status: 'missed',
							answeredAt: null,
							completedAt: null,
							createdAt: '2026-11-25T14:03:00.000Z',
							voicemail: { url: null, duration: null, transcript: null },
						},
					},
				}),
			],
			[
				'ringcentral',
				(from, id) => ({
					body: {
						telephonySessionId: id,
						eventTime: null,
						parties: [
							{
								direction: 'Inbound',
								from: { phoneNumber: from },
								to: { phoneNumber: null },
								missedCall: true,
								status: { code: 'Disconnected' },
							},
						],
					},
				}),
			],
			[
				'dialpad',
				(from, id) => ({
					call_id: id,
					state: 'hangup',
					direction: 'inbound',
					external_number: from,
					internal_number: null,
					date_started: null,
					date_connected: null,
					duration: null,
					voicemail_link: null,
				}),
			],
			['generic', (from, id) => ({ id, from, to: null, status: 'no-answer', duration: null })],
		];
		test.each(cases)('%s', async (provider, make) => {
			const from = caller();
			const a = await answerWebhook(
				{ url: URL_, headers: {}, body: make(from, `id${++seq}`) },
				{ ...config(provider), mapping: provider === 'generic' ? { duration: 'duration' } : undefined },
				loop,
			);
			expect(a.status).toBe(200);
			expect(a.emit).toMatchObject({ type: 'missed-call', created: true, event: { from } });
			expect(await store.findOpenCase('acme-plumbing', from)).toBeDefined();
		});
	});

	describe('an unanswered call the business placed is not a missed call, for every provider and status', () => {
		const customer = '+13125550177';
		const cases: [Provider, string, Record<string, unknown>][] = [
			[
				'twilio',
				'outbound-api no-answer',
				{ CallSid: 'CAo1', From: BUSINESS, To: customer, CallStatus: 'no-answer', Direction: 'outbound-api' },
			],
			[
				'twilio',
				'outbound-dial busy',
				{ CallSid: 'CAo2', From: BUSINESS, To: customer, CallStatus: 'busy', Direction: 'outbound-dial' },
			],
			[
				'twilio',
				'outbound-api short completed',
				{
					CallSid: 'CAo3',
					From: BUSINESS,
					To: customer,
					CallStatus: 'completed',
					CallDuration: '2',
					Direction: 'outbound-api',
				},
			],
			[
				'twilio',
				'outbound Dial action',
				{ CallSid: 'CAo4', From: BUSINESS, To: customer, DialCallStatus: 'no-answer', Direction: 'outbound-api' },
			],
			[
				'twilio',
				'outbound ringing',
				{ CallSid: 'CAo5', From: BUSINESS, To: customer, CallStatus: 'ringing', Direction: 'outbound-api' },
			],
			[
				'vonage',
				'outbound unanswered',
				{ uuid: 'v1', status: 'unanswered', direction: 'outbound', from: BUSINESS, to: customer },
			],
			[
				'vonage',
				'outbound short completed',
				{ uuid: 'v2', status: 'completed', duration: '1', direction: 'outbound', from: BUSINESS, to: customer },
			],
			[
				'telnyx',
				'outgoing no_answer',
				{
					data: {
						event_type: 'call.hangup',
						payload: {
							call_control_id: 't1',
							from: BUSINESS,
							to: customer,
							hangup_cause: 'no_answer',
							direction: 'outgoing',
						},
					},
				},
			],
			[
				'telnyx',
				'TeXML outbound',
				{ CallSid: 't2', From: BUSINESS, To: customer, CallStatus: 'no-answer', Direction: 'outbound' },
			],
			[
				'plivo',
				'outbound no-answer',
				{ CallUUID: 'p1', From: BUSINESS, To: customer, CallStatus: 'no-answer', Direction: 'outbound' },
			],
			[
				'aircall',
				'outbound missed',
				{
					event: 'call.ended',
					data: { id: 'a1', direction: 'outbound', status: 'done', answered_at: null, raw_digits: customer },
				},
			],
			[
				'openphone',
				'outgoing call.missed',
				{ type: 'call.missed', data: { object: { id: 'o1', from: BUSINESS, to: customer, direction: 'outgoing' } } },
			],
			[
				'ringcentral',
				'outbound session',
				{
					body: {
						telephonySessionId: 'r1',
						parties: [
							{
								direction: 'Outbound',
								from: { phoneNumber: BUSINESS },
								to: { phoneNumber: customer },
								missedCall: true,
							},
						],
					},
				},
			],
			[
				'ringcentral',
				'outbound call-log',
				{
					id: 'r2',
					result: 'Missed',
					direction: 'Outbound',
					from: { phoneNumber: BUSINESS },
					to: { phoneNumber: customer },
				},
			],
			[
				'dialpad',
				'outbound missed',
				{ call_id: 'd1', state: 'missed', direction: 'outbound', external_number: customer, internal_number: BUSINESS },
			],
		];
		test.each(cases)('%s %s', async (provider, _what, body) => {
			expect(normalize(provider, body, { businessId: 'acme-plumbing' }).kind).toBe('not-missed');
			const before = await store.countCases();
			const a = await answerWebhook({ url: URL_, headers: {}, body }, config(provider), loop);
			expect(a.status).toBe(200);
			expect(a.emit).toBeUndefined();
			expect(a.note).toMatch(/outbound|outgoing/);
			expect(await store.countCases()).toBe(before);
		});
	});

	describe('an outbound call is never a missed call, whatever status each provider reports', () => {
		type Make = (id: string, to: string, status: string) => Record<string, unknown>;
		const twilioOut =
			(direction: string): Make =>
			(id, to, status) => ({
				CallSid: id,
				From: BUSINESS,
				To: to,
				CallStatus: status,
				Direction: direction,
			});
		const grid: [Provider, string[], Make][] = [
			...['outbound-api', 'outbound-dial', 'trunking-originating'].map((d): [Provider, string[], Make] => [
				'twilio',
				['no-answer', 'busy', 'failed', 'canceled', 'completed', 'ringing', 'in-progress', 'queued'],
				twilioOut(d),
			]),
			[
				'twilio',
				['no-answer', 'busy', 'failed', 'canceled', 'completed'],
				(id, to, status) => ({
					CallSid: id,
					From: BUSINESS,
					To: to,
					DialCallStatus: status,
					Direction: 'outbound-api',
				}),
			],
			[
				'vonage',
				['unanswered', 'timeout', 'busy', 'failed', 'rejected', 'cancelled', 'completed'],
				(id, to, status) => ({ uuid: id, status, direction: 'outbound', from: BUSINESS, to }),
			],
			[
				'telnyx',
				['no_answer', 'timeout', 'originator_cancel', 'user_busy', 'call_rejected', 'normal_clearing'],
				(id, to, status) => ({
					data: {
						event_type: 'call.hangup',
						payload: { call_control_id: id, from: BUSINESS, to, hangup_cause: status, direction: 'outgoing' },
					},
				}),
			],
			[
				'plivo',
				['no-answer', 'busy', 'cancel', 'timeout', 'failed', 'completed'],
				(id, to, status) => ({ CallUUID: id, From: BUSINESS, To: to, CallStatus: status, Direction: 'outbound' }),
			],
			[
				'aircall',
				['missed', 'voicemail', 'abandoned', 'done'],
				(id, to, status) => ({
					event: 'call.ended',
					data: {
						id,
						direction: 'outbound',
						status,
						missed_call_reason: 'agents_did_not_answer',
						answered_at: null,
						raw_digits: to,
					},
				}),
			],
			[
				'openphone',
				['call.missed', 'call.completed'],
				(id, to, type) => ({
					type,
					data: { object: { id, from: BUSINESS, to, direction: 'outgoing', answeredAt: null } },
				}),
			],
			[
				'ringcentral',
				['Missed', 'Voicemail', 'Busy', 'Rejected'],
				(id, to, result) => ({
					id,
					result,
					direction: 'Outbound',
					from: { phoneNumber: BUSINESS },
					to: { phoneNumber: to },
				}),
			],
			[
				'dialpad',
				['missed', 'voicemail', 'voicemail_uploaded', 'hangup'],
				(id, to, state) => ({
					call_id: id,
					state,
					direction: 'outbound',
					external_number: to,
					internal_number: BUSINESS,
				}),
			],
			[
				'generic',
				['missed', 'no-answer', 'busy', 'failed', 'canceled', 'voicemail'],
				(id, to, status) => ({ id, from: BUSINESS, to, status, direction: 'outbound' }),
			],
			[
				'vapi',
				['customer-did-not-answer', 'customer-busy', 'voicemail', 'pipeline-error-openai-llm-failed'],
				(id, to, endedReason) => ({
					message: {
						type: 'end-of-call-report',
						endedReason,
						call: { id, type: 'outboundPhoneCall' },
						customer: { number: to },
						analysis: { successEvaluation: 'false' },
					},
				}),
			],
			[
				'retell',
				['dial_no_answer', 'dial_busy', 'dial_failed', 'voicemail_reached'],
				(id, to, disconnection_reason) => ({
					event: 'call_analyzed',
					call: {
						call_id: id,
						from_number: BUSINESS,
						to_number: to,
						direction: 'outbound',
						disconnection_reason,
						call_analysis: { call_successful: false },
					},
				}),
			],
			[
				'elevenlabs',
				['done', 'failed'],
				(id, to, status) => ({
					type: 'post_call_transcription',
					data: {
						conversation_id: id,
						status,
						metadata: { phone_call: { direction: 'outbound', external_number: to, agent_number: BUSINESS } },
						analysis: { call_successful: 'failure' },
					},
				}),
			],
		];
		const rows = grid.flatMap(([provider, statuses, make]) =>
			statuses.map((status) => [provider, status, make] as [Provider, string, Make]),
		);

		test(`${rows.length} outbound deliveries over every provider's statuses: 200, nothing opened or stored`, async () => {
			const opened: string[] = [];
			for (const [provider, status, make] of rows) {
				const to = caller();
				const id = `out${++seq}`;
				const a = await answerWebhook({ url: URL_, headers: {}, body: make(id, to, status) }, config(provider), loop);
				const caseOf = await store.findOpenCase('acme-plumbing', to);
				if (a.status !== 200 || a.emit?.type === 'missed-call' || caseOf)
					opened.push(`${provider} ${status}: ${a.status} ${a.emit?.type ?? ''} ${a.note ?? ''}`.trim());
			}
			expect(opened).toEqual([]);
		});
	});

	describe('a 6.9 MB forged body with 500,000 keys is refused before any heavy work', () => {
		const params: Record<string, string> = {};
		for (let i = 0; i < 500000; i++) params[`k${i}`] = 'x';
		const raw = JSON.stringify(params);
		const form = new URLSearchParams(params).toString();

		test.each([
			['parsed by the runtime, with its raw text (n8n)', { body: params, rawBody: raw }],
			['parsed by the runtime, no raw text', { body: params }],
			['raw text only (Node-RED route)', { body: undefined, rawBody: raw }],
			['raw form only', { body: undefined, rawBody: form }],
		])('%s: 413 naming (body), with no signature check and nothing parsed', async (_how, req) => {
			// The costly steps are the signature check (Twilio's walks and sorts every field) and parsing: neither runs.
			const verify = jest.spyOn(signatures, 'verifyWebhook');
			const parse = jest.spyOn(JSON, 'parse');
			try {
				for (const provider of ['twilio', 'telnyx', 'vonage', 'aircall'] as const) {
					const a = await answerWebhook(
						{ url: URL_, headers: { 'x-twilio-signature': 'forged', 'content-type': 'application/json' }, ...req },
						config(provider, true),
						loop,
					);
					expect(a.status).toBe(413);
					expect(a.body).toMatch(/^Bad request: Webhook: \(body\) is .+\. Provider webhooks /);
				}
				expect(verify).not.toHaveBeenCalled();
				expect(parse).not.toHaveBeenCalled();
			} finally {
				verify.mockRestore();
				parse.mockRestore();
			}
		});

		test('Node-RED readBody hands an oversized upload on without keeping it, and never rejects', async () => {
			const req = new PassThrough() as unknown as IncomingMessage & PassThrough;
			(req as { headers: Record<string, string> }).headers = { 'content-type': 'application/json' };
			const read = readBody(req);
			for (let i = 0; i < 28; i++) req.write(Buffer.alloc(256 * 1024, 0x41));
			req.end();
			const { raw, parsed } = await read;
			expect(parsed).toBeUndefined();
			expect(raw.length).toBe(256 * 1024 + 1);
			const a = await answerWebhook(
				{ url: URL_, headers: {}, body: parsed, rawBody: raw },
				config('telnyx', true),
				loop,
			);
			expect(a.status).toBe(413);
		});

		test('Node-RED readBody does not re-serialize a pre-parsed body with 500,000 keys', async () => {
			const req = { headers: { 'content-type': 'application/json' }, body: params, _body: true };
			const start = process.cpuUsage();
			const { raw, parsed } = await readBody(req as unknown as IncomingMessage);
			const used = process.cpuUsage(start);
			expect(raw).toBe('');
			expect(parsed).toBe(params);
			expect((used.user + used.system) / 1000).toBeLessThan(400);
		});

		test('a raw JSON body that is not JSON is a 400 naming (body)', async () => {
			const a = await answerWebhook(
				{ url: URL_, headers: { 'content-type': 'application/json' }, body: undefined, rawBody: '{"CallSid": ' },
				config('telnyx'),
				loop,
			);
			expect(a.status).toBe(400);
			expect(a.body).toMatch(/\(body\) is .+ not valid JSON/);
		});
	});

	describe('a roster id "__proto__"', () => {
		afterEach(() => {
			delete (Object.prototype as Record<string, unknown>).cases;
			delete (Object.prototype as Record<string, unknown>).name;
		});

		test('is refused by the profile, as are constructor and prototype', () => {
			for (const id of ['__proto__', 'constructor', 'prototype']) {
				const roster = [{ id, name: 'Eve', phone: '+13125550114' }];
				expect(() => parseProfile({ ...plumberInput(), roster })).toThrow(/roster\.0\.id.*reserved/);
				expect(() => parseProfile({ ...plumberInput(), businessId: id })).toThrow(/businessId.*reserved/);
			}
		});

		test('in stored cases does not pollute Object.prototype when metrics and the report are built', async () => {
			const from = caller();
			const a = await twilio(loop, { CallSid: callSid(), From: from, To: BUSINESS, DialCallStatus: 'no-answer' });
			const c = (a.emit as { case: Case }).case;
			// A case owned before the profile refused the id: the store keeps what it was given.
			await store.saveCase({ ...c, state: 'assigned', owner: { id: '__proto__', name: 'Proto Owner' } });
			const cases = await store.listCases({});
			const m = computeMetrics(cases, { now: new Date().toISOString() });
			expect(({} as Record<string, unknown>).cases).toBeUndefined();
			expect(Object.keys(m.perOwner)).toContain('__proto__');
			expect(m.perOwner['__proto__']).toMatchObject({ name: 'Proto Owner', cases: 1 });
			const r = await buildReport(store, [{ businessId: 'acme-plumbing', name: 'Acme' }], { days: 7 });
			expect(({} as Record<string, unknown>).cases).toBeUndefined();
			expect(({} as Record<string, unknown>).name).toBeUndefined();
			expect(r.html).toContain('<td>Proto Owner</td><td>1</td>');
		});
	});
});

function plumberInput() {
	return {
		businessId: 'acme-plumbing',
		name: 'Acme Plumbing',
		timeZone: 'America/Chicago',
		phone: '+13125550100',
		numbers: [BUSINESS],
		trade: 'plumbing' as const,
	};
}

describePostgres('on PostgreSQL', () => {
	const schema = uniqueSchema('mcr_bad_input');
	let store: RecoveryStore;
	let loop: RecoveryLoop;
	beforeAll(async () => {
		await requirePostgres();
		store = await openStore({ type: 'postgres', connectionString: PG_URL, schema });
		loop = new RecoveryLoop({ store, profileFor: () => plumber() });
	});
	afterAll(async () => {
		await store?.close();
		await dropSchema(schema);
	});

	test('a NUL byte in a CallSid or MessageSid is a 400, not error 22021, and the next real call is stored', async () => {
		const from = '+13125550166';
		const bad: Record<string, string>[] = [
			{ CallSid: 'CA\u0000pg', From: from, To: BUSINESS, DialCallStatus: 'no-answer' },
			{ MessageSid: 'SM\u0000pg', From: from, To: BUSINESS, Body: 'hi' },
			{ MessageSid: 'SM\u0000st', To: from, From: BUSINESS, MessageStatus: 'failed' },
		];
		for (const params of bad) expect((await twilio(loop, params)).status).toBe(400);
		const ok = await twilio(loop, {
			CallSid: `CApg${Date.now()}`,
			From: from,
			To: BUSINESS,
			DialCallStatus: 'no-answer',
		});
		expect(ok.emit).toMatchObject({ type: 'missed-call', created: true });
		expect(await store.findOpenCase('acme-plumbing', from)).toBeDefined();
	});

	test('a NUL byte in what a caller said or texted is stored without it, never error 22P05 or 22021', async () => {
		const from = '+13125550167';
		const cfg = { ...config('generic'), mapping: { transcript: 'transcript' } };
		const a = await answerWebhook(
			{
				url: URL_,
				headers: {},
				body: { id: `pgnul${Date.now()}`, from, status: 'missed', transcript: 'gas\u0000 leak' },
			},
			cfg,
			loop,
		);
		expect(a.status).toBe(200);
		const c = (await store.findOpenCase('acme-plumbing', from))!;
		expect(c.calls[0].voicemail?.transcript).not.toContain('\u0000');
		const sms = await twilio(loop, {
			MessageSid: `SMpgnul${Date.now()}`,
			From: from,
			To: BUSINESS,
			Body: 'hi\u0000 there',
		});
		expect(sms.status).toBe(200);
		const after = (await store.findOpenCase('acme-plumbing', from))!;
		expect(JSON.stringify(after)).not.toContain('\\u0000');
	});
});
