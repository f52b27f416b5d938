import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
	ProviderError,
	TwilioProvider,
	validateTwilioSignature,
	withRetry,
	forwardTwiml,
	voicemailTwiml,
	signTwilioRequest,
	publicUrl,
} from '../../core';
import { parseTwiml, TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';

const fast = { retries: 3, baseMs: 1, maxMs: 5 };

describe('Twilio client on the official SDK, against the local Twilio-compatible server', () => {
	const sim = new TwilioSim({
		accountSid: ACCOUNT_SID,
		authToken: AUTH_TOKEN,
		apiKeys: { ['SK' + 'b2'.repeat(16)]: 'key-secret-123' },
	});
	let provider: TwilioProvider;
	beforeAll(async () => {
		await sim.start();
		provider = new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url });
	});
	afterAll(() => sim.stop());
	beforeEach(() => sim.reset());

	test("sends a message on Twilio's real path with Basic auth, and reads the sid and status", async () => {
		const r = await provider.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'Hello', channel: 'sms' });
		expect(r.sid).toMatch(/^SM[0-9a-f]{32}$/);
		expect(r.status).toBe('queued');
		expect(sim.messages).toHaveLength(1);
		expect(sim.messages[0]).toMatchObject({ to: '+13125550123', from: '+13125550199', body: 'Hello' });
		expect(sim.requests[0]).toMatchObject({
			method: 'POST',
			path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`,
			status: 201,
		});
	});

	test('WhatsApp messages use the channel prefix; a messaging service sid is sent as such', async () => {
		await provider.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'Hi', channel: 'whatsapp' });
		await provider.sendMessage({ to: '+13125550123', from: 'MG' + 'c'.repeat(32), body: 'Hi', channel: 'sms' });
		expect(sim.messages[0]).toMatchObject({ to: 'whatsapp:+13125550123', from: 'whatsapp:+13125550199' });
		expect(sim.messages[1].messagingServiceSid).toBe('MG' + 'c'.repeat(32));
	});

	test('API key and secret authenticate too; a wrong token is a final auth error without the token in it', async () => {
		const keyed = new TwilioProvider({
			accountSid: ACCOUNT_SID,
			apiKey: 'SK' + 'b2'.repeat(16),
			apiSecret: 'key-secret-123',
			apiBaseUrl: sim.url,
		});
		await expect(
			keyed.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'x', channel: 'sms' }),
		).resolves.toHaveProperty('sid');
		const bad = new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: 'wrong-token-value', apiBaseUrl: sim.url });
		const err = await bad
			.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'x', channel: 'sms' })
			.catch((e) => e);
		expect(err).toBeInstanceOf(ProviderError);
		expect(err).toMatchObject({ kind: 'auth', retryable: false, code: 20003, status: 401 });
		expect(err.message).not.toContain('wrong-token-value');
		expect(await bad.verify()).toMatchObject({ ok: false });
		expect(await provider.verify()).toMatchObject({ ok: true, friendlyName: 'Local Twilio-compatible account' });
	});

	test.each([
		[21610, 'opted-out'],
		[21614, 'landline'],
		[21211, 'invalid-number'],
		[30007, 'carrier-filtered'],
	])('error %i is final and means %s', async (code, kind) => {
		sim.fail({ code, times: 5 });
		const err = await withRetry(
			() => provider.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'x', channel: 'sms' }),
			fast,
		).catch((e) => e);
		expect(err).toMatchObject({ kind, retryable: false, code });
		expect(sim.requests.filter((r) => r.path.endsWith('Messages.json'))).toHaveLength(1);
	});

	test('429 and 5xx are retried with backoff until they pass', async () => {
		sim.fail({ code: 20429, status: 429, times: 2 });
		sim.fail({ code: 20500, status: 503, times: 1 });
		const waits: number[] = [];
		const r = await withRetry(
			() => provider.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'x', channel: 'sms' }),
			{ ...fast, retries: 4 },
			(_e, _n, w) => waits.push(w),
		);
		expect(r.sid).toMatch(/^SM/);
		expect(waits).toHaveLength(3);
		expect(sim.messages).toHaveLength(1);
	});

	test('a dropped connection is retried; retries that run out surface a retryable error', async () => {
		sim.fail({ code: 0, dropConnection: true, times: 1 });
		await expect(
			withRetry(
				() => provider.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'x', channel: 'sms' }),
				fast,
			),
		).resolves.toHaveProperty('sid');
		sim.fail({ code: 20500, status: 500, times: 10 });
		const err = await withRetry(
			() => provider.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'x', channel: 'sms' }),
			fast,
		).catch((e) => e);
		expect(err).toMatchObject({ kind: 'transient', retryable: true, status: 500 });
	});

	test(`a provider that never answers times out, is retried, and a send that keeps timing out surfaces a \
retryable error`, async () => {
		const impatient = new TwilioProvider({
			accountSid: ACCOUNT_SID,
			authToken: AUTH_TOKEN,
			apiBaseUrl: sim.url,
			timeoutMs: 300,
		});
		sim.fail({ code: 0, hang: true, times: 1 });
		await expect(
			withRetry(
				() => impatient.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'x', channel: 'sms' }),
				fast,
			),
		).resolves.toHaveProperty('sid');
		sim.fail({ code: 0, hang: true, times: 10 });
		const err = await withRetry(
			() => impatient.sendMessage({ to: '+13125550123', from: '+13125550199', body: 'x', channel: 'sms' }),
			fast,
		).catch((e) => e);
		expect(err).toMatchObject({ retryable: true });
		expect(String(err.message)).not.toContain(AUTH_TOKEN);
	});

	test('line type lookup uses Lookup v2', async () => {
		sim.lineTypes.set('+13125550177', 'landline');
		expect(await provider.lookupLineType('+13125550177')).toBe('landline');
		expect(await provider.lookupLineType('+13125550123')).toBe('mobile');
		expect(
			sim.requests.some(
				(r) => r.path === '/v2/PhoneNumbers/+13125550177' && r.params.Fields === 'line_type_intelligence',
			),
		).toBe(true);
	});

	test('calls and number webhooks', async () => {
		const c = await provider.placeCall({
			to: '+13125550111',
			from: '+13125550199',
			twiml: '<Response><Say>hi</Say></Response>',
		});
		expect(c.sid).toMatch(/^CA/);
		const pn = sim.addNumber('+13125550199', { voiceUrl: 'https://old.example/voice' });
		expect(await provider.getNumberWebhooks('+13125550199')).toMatchObject({
			sid: pn,
			voiceUrl: 'https://old.example/voice',
		});
		await provider.setNumberWebhooks(pn, { voiceUrl: 'https://new.example/hook' });
		expect(sim.numbers.get(pn)!.voice_url).toBe('https://new.example/hook');
	});

	test('bad account settings name the field', () => {
		expect(() => new TwilioProvider({ accountSid: 'ACnope', authToken: 'x' })).toThrow(
			/accountSid is "ACnope\.\.\."\. It starts with AC followed by 32 hex/,
		);
		expect(() => new TwilioProvider({ accountSid: ACCOUNT_SID })).toThrow(
			/authToken is missing\. Give the Auth Token, or an API key/,
		);
		expect(() => new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: 'x', apiBaseUrl: 'ftp://x' })).toThrow(
			/apiBaseUrl is "ftp:\/\/x"\. Only http and https/,
		);
	});
});

describe('webhook signatures', () => {
	const url = 'https://hooks.example.com/webhook/abc/missed-call?x=1';
	const params = { CallSid: 'CA1', From: '+13125550123', DialCallStatus: 'no-answer' };

	test('a request signed by Twilio passes; a forged, missing or replayed-elsewhere one fails with the reason', () => {
		const sig = signTwilioRequest(AUTH_TOKEN, url, params);
		expect(validateTwilioSignature({ authToken: AUTH_TOKEN, signature: sig, url, params })).toEqual({ valid: true });
		expect(
			validateTwilioSignature({
				authToken: AUTH_TOKEN,
				signature: signTwilioRequest('forger', url, params),
				url,
				params,
			}),
		).toMatchObject({ valid: false });
		expect(validateTwilioSignature({ authToken: AUTH_TOKEN, signature: undefined, url, params })).toEqual({
			valid: false,
			reason: 'the request has no X-Twilio-Signature header',
		});
		expect(
			validateTwilioSignature({ authToken: AUTH_TOKEN, signature: sig, url: url.replace('hooks', 'other'), params })
				.valid,
		).toBe(false);
		expect(
			validateTwilioSignature({
				authToken: AUTH_TOKEN,
				signature: sig,
				url,
				params: { ...params, DialCallStatus: 'completed' },
			}).valid,
		).toBe(false);
	});

	test('behind a proxy the configured public URL is what is checked', () => {
		const seen = publicUrl('https://public.example.com/base', {
			protocol: 'http',
			host: '10.0.0.5:5678',
			originalUrl: '/webhook/abc/missed-call?x=1',
		});
		expect(seen).toBe('https://public.example.com/base/webhook/abc/missed-call?x=1');
		expect(publicUrl(undefined, { protocol: 'http', host: '127.0.0.1:5678', originalUrl: '/w' })).toBe(
			'http://127.0.0.1:5678/w',
		);
	});

	test('JSON bodies are checked with bodySHA256', () => {
		const body = JSON.stringify({ CallSid: 'CA1' });
		const hash = createHash('sha256').update(body).digest('hex');
		const jsonUrl = `https://hooks.example.com/w?bodySHA256=${hash}`;
		const sig = signTwilioRequest(AUTH_TOKEN, jsonUrl, {});
		expect(validateTwilioSignature({ authToken: AUTH_TOKEN, signature: sig, url: jsonUrl, rawBody: body }).valid).toBe(
			true,
		);
		expect(
			validateTwilioSignature({ authToken: AUTH_TOKEN, signature: sig, url: jsonUrl, rawBody: body + ' ' }).valid,
		).toBe(false);
	});
});

describe('the local server plays a whole missed call', () => {
	test('Voice URL, Dial action, Record action and transcription arrive signed, in order', async () => {
		const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
		await sim.start();
		const seen: { path: string; params: Record<string, string>; valid: boolean }[] = [];
		const server: Server = createServer((req, res) => {
			let raw = '';
			req.on('data', (c) => (raw += c));
			req.on('end', () => {
				const params = Object.fromEntries(new URLSearchParams(raw));
				const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${req.url}`;
				seen.push({
					path: req.url!,
					params,
					valid: validateTwilioSignature({
						authToken: AUTH_TOKEN,
						signature: req.headers['x-twilio-signature'] as string,
						url,
						params,
					}).valid,
				});
				res.writeHead(200, { 'content-type': 'text/xml' });
				if (req.url === '/voice')
					res.end(forwardTwiml({ forwardTo: '+13125550101', actionUrl: '/dial', timeoutSec: 20 }));
				else if (req.url === '/dial')
					res.end(voicemailTwiml({ prompt: 'Leave a message', actionUrl: '/record', transcribeUrl: '/transcribe' }));
				else res.end('<Response/>');
			});
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		try {
			const port = (server.address() as AddressInfo).port;
			const r = await sim.placeCall({
				webhookUrl: `http://127.0.0.1:${port}/voice`,
				from: '+13125550123',
				to: '+13125550199',
				say: 'water everywhere in the basement',
			});
			expect(seen.map((s) => s.path)).toEqual(['/voice', '/dial', '/record', '/transcribe']);
			expect(seen.every((s) => s.valid)).toBe(true);
			expect(seen[1].params).toMatchObject({ DialCallStatus: 'no-answer', CallSid: r.callSid });
			expect(seen[3].params.TranscriptionText).toBe('water everywhere in the basement');
			expect(sim.calls[0].to).toBe('+13125550101');
			expect(parseTwiml(forwardTwiml({ forwardTo: '+1', actionUrl: '/a', timeoutSec: 5 }))[0]).toMatchObject({
				verb: 'Dial',
				attrs: { action: '/a', timeout: '5' },
			});
		} finally {
			server.close();
			await sim.stop();
		}
	});

	test('TwiML built once per set of options still answers each business with its own words and numbers', () => {
		const a = voicemailTwiml({ prompt: 'You reached Acme Plumbing', actionUrl: '/a?step=record' });
		const b = voicemailTwiml({ prompt: 'You reached Bolt Electric', actionUrl: '/b?step=record' });
		expect(voicemailTwiml({ prompt: 'You reached Acme Plumbing', actionUrl: '/a?step=record' })).toBe(a);
		expect(a).toContain('Acme Plumbing');
		expect(b).toContain('Bolt Electric');
		expect(b).not.toContain('/a?step');
		expect(parseTwiml(forwardTwiml({ forwardTo: '+13125550101', actionUrl: '/a', timeoutSec: 5 }))[0]).toMatchObject({
			attrs: { timeout: '5' },
		});
		expect(parseTwiml(forwardTwiml({ forwardTo: '+13125550101', actionUrl: '/a', timeoutSec: 25 }))[0]).toMatchObject({
			attrs: { timeout: '25' },
		});
		expect(forwardTwiml({ forwardTo: '+13125550102', actionUrl: '/a', timeoutSec: 5 })).toContain('+13125550102');
	});
});
