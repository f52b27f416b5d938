import { readFileSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
	answerWebhook,
	openStore,
	RecoveryLoop,
	signTwilioRequest,
	TwilioProvider,
	type RecoveryStore,
	type TriggerConfig,
} from '../../core';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN, plumber } from '../helpers/fixtures';
import { count, runs } from '../helpers/runs';

const URL_ = 'https://hooks.example.com/missed-call';

describe('the webhook handler under hostile input', () => {
	let dir: string;
	let store: RecoveryStore;
	let loop: RecoveryLoop;
	const cfg: TriggerConfig = {
		provider: 'twilio',
		mode: 'forward',
		voicemail: true,
		validateSignature: true,
		secret: AUTH_TOKEN,
		normalize: { businessId: 'acme-plumbing' },
		replyToKeywords: true,
	};

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-trust-'));
		store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
		loop = new RecoveryLoop({ store, profileFor: () => plumber() });
	});
	afterAll(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	const field = fc.oneof(
		fc.string({ maxLength: 40 }),
		fc.constantFrom(
			'+13125550123',
			'no-answer',
			'busy',
			'completed',
			'ringing',
			'STOP',
			'0',
			'-1',
			'9'.repeat(30),
			'{{business.name}}',
			'<Response/>',
		),
	);
	const phone = fc.integer({ min: 1000, max: 9999 }).map((n) => `+1312555${n}`);
	const fuzzed = fc.dictionary(
		fc.constantFrom(
			'CallSid',
			'From',
			'To',
			'CallStatus',
			'DialCallStatus',
			'CallDuration',
			'DialCallDuration',
			'MessageSid',
			'Body',
			'MessageStatus',
			'RecordingUrl',
			'RecordingDuration',
			'TranscriptionText',
			'TranscriptionStatus',
			'SmsStatus',
			'ErrorCode',
			'Direction',
			'junk',
		),
		field,
	);
	// 10,000 bodies and 2,000 forgeries in CI; a tenth on a developer's machine (test/helpers/runs.ts).
	const BODIES = runs(10000);
	const FORGED = runs(2000);
	// Half the bodies look like real calls, so the handler's whole path runs, not only its error exits.
	const plausible = fc.record(
		{
			CallSid: fc.oneof(
				fc.uuid().map((u) => `CA${u.replace(/-/g, '')}`),
				field,
			),
			From: fc.oneof(phone, field),
			To: fc.constant('+13125550199'),
			DialCallStatus: fc.oneof(fc.constantFrom('no-answer', 'busy', 'failed', 'canceled', 'completed'), field),
			DialCallDuration: fc.oneof(fc.nat(100).map(String), field),
			Body: field,
		},
		{ requiredKeys: ['CallSid', 'From', 'DialCallStatus'] },
	);
	const body = fc.oneof(fuzzed, plausible);

	test(`${count(BODIES)} signed random bodies: always 200 or 400 with a reason, never a crash; a case only for a real \
missed call`, async () => {
		let emitted = 0;
		let refused = 0;
		await fc.assert(
			fc.asyncProperty(body, async (params) => {
				const before = await store.countCases();
				const a = await answerWebhook(
					{ url: URL_, headers: { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, URL_, params) }, body: params },
					cfg,
					loop,
				);
				expect([200, 400]).toContain(a.status);
				if (a.status === 400) {
					refused++;
					expect(a.body).toMatch(/^Bad request: .+ is .+\. .+/);
				}
				const after = await store.countCases();
				if (a.emit?.type === 'missed-call' && a.emit.created) {
					emitted++;
					expect(after).toBe(before + 1);
				} else expect(after).toBe(before);
			}),
			{ numRuns: BODIES },
		);
		expect(refused).toBeGreaterThan(BODIES / 100);
		expect(emitted).toBeGreaterThan(BODIES / 1000);
	}, 120000);

	test(`${count(FORGED)} forged or unsigned requests are all refused with 403 and change nothing`, async () => {
		const before = await store.countCases();
		await fc.assert(
			fc.asyncProperty(fuzzed, fc.option(fc.string({ minLength: 1, maxLength: 40 })), async (params, sig) => {
				const a = await answerWebhook(
					{ url: URL_, headers: sig === null ? {} : { 'x-twilio-signature': sig }, body: params },
					cfg,
					loop,
				);
				expect(a.status).toBe(403);
				expect(a.emit).toBeUndefined();
			}),
			{ numRuns: FORGED },
		);
		expect(await store.countCases()).toBe(before);
	}, 60000);
});

test(`after a full run the auth token appears nowhere: not in the store file, the cases, the texts, or \
the errors`, async () => {
	const dir = mkdtempSync(join(tmpdir(), 'mcr-secrets-'));
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	await sim.start();
	const store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
	try {
		const loop = new RecoveryLoop({
			store,
			provider: new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url }),
			profileFor: () => plumber(),
			retry: { retries: 1, baseMs: 1, maxMs: 1 },
		});
		const cfg: TriggerConfig = {
			provider: 'twilio',
			mode: 'forward',
			voicemail: true,
			validateSignature: true,
			secret: AUTH_TOKEN,
			normalize: { businessId: 'acme-plumbing' },
			replyToKeywords: true,
		};
		const errors: string[] = [];
		for (let i = 0; i < 20; i++) {
			if (i % 5 === 0) sim.fail({ code: 20500, status: 500, times: 2 });
			// A payload that carries a token-looking field must not leak it either.
			const params = {
				CallSid: `CA${String(i).padStart(32, '0')}`,
				From: `+1312555${String(1000 + i)}`,
				To: '+13125550199',
				DialCallStatus: 'no-answer',
				AuthToken: AUTH_TOKEN,
			};
			const a = await answerWebhook(
				{ url: URL_, headers: { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, URL_, params) }, body: params },
				cfg,
				loop,
			);
			if (a.emit?.type === 'missed-call') {
				const r = await loop.acknowledge(a.emit.case.caseId);
				if (r.error) errors.push(r.error);
				await loop.classify(a.emit.case.caseId);
				const alert = await loop.routeAndNotify(a.emit.case.caseId, { alertOwner: true, connectCaller: 'never' });
				if (alert.ownerAlert?.error) errors.push(alert.ownerAlert.error);
			}
		}
		const bad = new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: 'another-secret-token', apiBaseUrl: sim.url });
		errors.push(
			await bad.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'x', channel: 'sms' }).then(
				() => '',
				(e: Error) => e.message,
			),
		);
		expect(errors.length).toBeGreaterThan(0);
		for (const e of errors) expect(e).not.toContain('another-secret-token');
		const everything = [
			JSON.stringify(await store.listCases({})),
			JSON.stringify(sim.messages),
			errors.join('\n'),
			...readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')),
		].join('\n');
		expect(everything).toContain('+13125551000');
		expect(everything).not.toContain(AUTH_TOKEN);
	} finally {
		await store.close();
		await sim.stop();
		rmSync(dir, { recursive: true, force: true });
	}
});

test(`forward mode with no forwardTo in the profile: the call is missed at once, its case opened and \
voicemail offered`, async () => {
	const dir = mkdtempSync(join(tmpdir(), 'mcr-nofwd-'));
	const store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
	try {
		const profile = plumber({ forwardTo: undefined });
		const loop = new RecoveryLoop({ store, profileFor: () => profile });
		const cfg: TriggerConfig = {
			provider: 'twilio',
			mode: 'forward',
			voicemail: true,
			validateSignature: true,
			secret: AUTH_TOKEN,
			normalize: { businessId: 'acme-plumbing' },
			replyToKeywords: true,
		};
		const params = {
			CallSid: 'CA' + '9'.repeat(32),
			From: '+13125550150',
			To: '+13125550199',
			CallStatus: 'ringing',
			Direction: 'inbound',
		};
		const a = await answerWebhook(
			{ url: URL_, headers: { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, URL_, params) }, body: params },
			cfg,
			loop,
		);
		expect(a.status).toBe(200);
		expect(a.body).toContain('<Record');
		expect(a.emit).toMatchObject({
			type: 'missed-call',
			created: true,
			event: { from: '+13125550150', reason: 'no-answer' },
		});
		expect(await store.countCases()).toBe(1);
	} finally {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	}
});
