import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
	answerWebhook,
	normalize,
	openStore,
	RecoveryLoop,
	signWebhook,
	verifyWebhook,
	type Provider,
	type RecoveryStore,
	type TriggerConfig,
} from '../../core';
import { plumber } from '../helpers/fixtures';
import { count, runs } from '../helpers/runs';

const NOW = new Date('2026-11-25T15:00:00Z');
const T = Math.floor(NOW.getTime() / 1000);
const URL_ = 'https://hooks.example.com/missed-call';

const ed = generateKeyPairSync('ed25519');
const TELNYX_PUBLIC = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
const TELNYX_PRIVATE = ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const other = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const VONAGE_SECRET = 'vonage-signature-secret-0123456789';
const OPENPHONE_KEY = Buffer.from('openphone-signing-key-bytes-32!!').toString('base64');
const DIALPAD_SECRET = 'dialpad-webhook-secret';
const TOKEN = 'aircall-or-url-token-5f0c7c1e9b';

const telnyxBody = JSON.stringify({
	data: {
		event_type: 'call.hangup',
		occurred_at: '2026-11-25T14:59:50Z',
		payload: {
			call_control_id: 'v3:tx-1',
			call_session_id: 'tx-1',
			from: '+13125550123',
			to: '+13125550199',
			hangup_cause: 'timeout',
			start_time: '2026-11-25T14:59:20Z',
		},
	},
});
const vonageBody = JSON.stringify({
	uuid: 'vn-1',
	status: 'unanswered',
	from: '13125550123',
	to: '13125550199',
	direction: 'inbound',
	timestamp: '2026-11-25T14:59:50Z',
});
const openphoneBody = JSON.stringify({
	type: 'call.missed',
	data: {
		object: {
			id: 'op-1',
			from: '+13125550123',
			to: '+13125550199',
			direction: 'incoming',
			createdAt: '2026-11-25T14:59:50Z',
		},
	},
});
const dialpadEvent = {
	call_id: 5551234,
	state: 'missed',
	direction: 'inbound',
	external_number: '+13125550123',
	internal_number: '+13125550199',
	date_started: NOW.getTime() - 30000,
};

/** A correctly signed request for each provider, and how to forge it. */
function signed(provider: Provider): {
	url: string;
	headers: Record<string, string>;
	body: unknown;
	rawBody?: string;
	secret: string;
} {
	switch (provider) {
		case 'telnyx':
			return {
				url: URL_,
				headers: signWebhook.telnyx(TELNYX_PRIVATE, telnyxBody, T),
				body: JSON.parse(telnyxBody),
				rawBody: telnyxBody,
				secret: TELNYX_PUBLIC,
			};
		case 'vonage':
			return {
				url: URL_,
				headers: signWebhook.vonage(VONAGE_SECRET, vonageBody, T),
				body: JSON.parse(vonageBody),
				rawBody: vonageBody,
				secret: VONAGE_SECRET,
			};
		case 'openphone':
			return {
				url: URL_,
				headers: signWebhook.openphone(OPENPHONE_KEY, openphoneBody, T * 1000),
				body: JSON.parse(openphoneBody),
				rawBody: openphoneBody,
				secret: OPENPHONE_KEY,
			};
		case 'dialpad': {
			const jwt = signWebhook.dialpad(DIALPAD_SECRET, dialpadEvent, T);
			return {
				url: URL_,
				headers: { 'content-type': 'application/jwt' },
				body: jwt,
				rawBody: jwt,
				secret: DIALPAD_SECRET,
			};
		}
		case 'aircall': {
			const body = {
				event: 'call.ended',
				token: TOKEN,
				timestamp: T,
				data: {
					id: 77,
					direction: 'inbound',
					status: 'done',
					missed_call_reason: 'agents_did_not_answer',
					raw_digits: '+1 312-555-0123',
					number: { digits: '+1 312-555-0199' },
					started_at: T - 30,
					duration: 0,
				},
			};
			return { url: URL_, headers: {}, body, rawBody: JSON.stringify(body), secret: TOKEN };
		}
		case 'ringcentral': {
			const body = {
				uuid: 'rc-1',
				event: '/restapi/v1.0/account/~/extension/~/telephony/sessions',
				body: {
					telephonySessionId: 'rc-s1',
					parties: [
						{
							direction: 'Inbound',
							missedCall: true,
							from: { phoneNumber: '+13125550123' },
							to: { phoneNumber: '+13125550199' },
							status: { code: 'Disconnected' },
						},
					],
					eventTime: '2026-11-25T14:59:50Z',
				},
			};
			return {
				url: URL_,
				headers: { 'verification-token': TOKEN },
				body,
				rawBody: JSON.stringify(body),
				secret: TOKEN,
			};
		}
		case 'plivo': {
			const body = {
				CallUUID: 'pl-1',
				From: '13125550123',
				To: '13125550199',
				CallStatus: 'no-answer',
				Direction: 'inbound',
			};
			return { url: `${URL_}?token=${TOKEN}`, headers: {}, body, secret: TOKEN };
		}
		default: {
			const body = { id: 'g-1', from: '+13125550123', to: '+13125550199', status: 'missed' };
			return { url: URL_, headers: { 'x-webhook-token': TOKEN }, body, rawBody: JSON.stringify(body), secret: TOKEN };
		}
	}
}

/** Providers whose proof is a shared token: it proves the sender, not the body. */
const TOKENS: Provider[] = ['aircall', 'ringcentral', 'plivo', 'generic'];
const SIGNING: Provider[] = ['telnyx', 'vonage', 'openphone', 'dialpad', 'aircall', 'ringcentral', 'plivo', 'generic'];
/** Forged requests per provider: 1,000 in CI, a tenth on a developer's machine (test/helpers/runs.ts). */
const PER_PROVIDER = runs(1000);

describe('webhook signatures of every provider', () => {
	test.each(SIGNING)('%s: a signed request passes and is read as a missed call', (provider) => {
		const r = signed(provider);
		const v = verifyWebhook(provider, r, r.secret, NOW);
		expect(v).toMatchObject({ valid: true });
		const body = v.valid && v.body !== undefined ? v.body : r.body;
		const n = normalize(
			provider,
			body,
			{ businessId: 'acme-plumbing', mapping: undefined } as never,
			provider === 'generic'
				? { callId: 'id', from: 'from', to: 'to', status: 'status', missedValues: ['missed'] }
				: undefined,
		);
		expect(n).toMatchObject({ kind: 'missed-call', event: { from: '+13125550123', provider } });
	});

	test.each(SIGNING)('%s: the wrong secret, no proof, or a changed body is refused with a reason', (provider) => {
		const r = signed(provider);
		const wrong = verifyWebhook(
			provider,
			r,
			provider === 'telnyx'
				? generateKeyPairSync('ed25519')
						.publicKey.export({ format: 'der', type: 'spki' })
						.subarray(12)
						.toString('base64')
				: provider === 'openphone'
					? Buffer.from('another-signing-key').toString('base64')
					: `${r.secret}x`,
			NOW,
		);
		expect(wrong).toMatchObject({ valid: false, reason: expect.stringMatching(/\w{6,}/) });
		const bare = verifyWebhook(
			provider,
			{
				url: URL_,
				headers: {},
				body: provider === 'aircall' ? { ...(r.body as object), token: undefined } : r.body,
				rawBody: provider === 'dialpad' ? JSON.stringify(dialpadEvent) : r.rawBody,
			},
			r.secret,
			NOW,
		);
		expect(bare.valid).toBe(false);
		expect(verifyWebhook(provider, r, undefined, NOW)).toMatchObject({
			valid: false,
			reason: expect.stringContaining('is configured'),
		});
	});

	test.each(['telnyx', 'vonage', 'openphone'] as const)(
		'%s: a changed body fails, and a signature older than 5 minutes is a replay',
		(provider) => {
			const r = signed(provider);
			const changed = r.rawBody!.replace('+13125550123', '+13125550999').replace('13125550123', '13125550999');
			expect(verifyWebhook(provider, { ...r, rawBody: changed }, r.secret, NOW).valid).toBe(false);
			const later = new Date(NOW.getTime() + 301_000);
			expect(verifyWebhook(provider, r, r.secret, later)).toMatchObject({
				valid: false,
				reason: expect.stringMatching(/replay|from now/),
			});
			expect(verifyWebhook(provider, r, r.secret, new Date(NOW.getTime() + 299_000)).valid).toBe(true);
		},
	);

	test('Telnyx: a request signed by another key fails, and a Twilio-style signature is not accepted instead', () => {
		const forged = {
			url: URL_,
			headers: signWebhook.telnyx(other, telnyxBody, T),
			body: JSON.parse(telnyxBody),
			rawBody: telnyxBody,
		};
		expect(verifyWebhook('telnyx', forged, TELNYX_PUBLIC, NOW).valid).toBe(false);
		expect(
			verifyWebhook('telnyx', { ...forged, headers: { 'x-twilio-signature': 'abc' } }, TELNYX_PUBLIC, NOW).valid,
		).toBe(false);
	});

	test('Vonage and Dialpad: an unsigned JWT (alg none) and one signed with another algorithm are refused', () => {
		const claims = Buffer.from(JSON.stringify({ ...dialpadEvent, iat: T })).toString('base64url');
		const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${claims}.`;
		expect(
			verifyWebhook('dialpad', { url: URL_, headers: {}, body: none, rawBody: none }, DIALPAD_SECRET, NOW).valid,
		).toBe(false);
		expect(
			verifyWebhook(
				'vonage',
				{ url: URL_, headers: { authorization: `Bearer ${none}` }, body: {}, rawBody: vonageBody },
				VONAGE_SECRET,
				NOW,
			).valid,
		).toBe(false);
	});

	test('Dialpad: the verified claims become the event, so nothing outside the signature is read', () => {
		const r = signed('dialpad');
		const v = verifyWebhook('dialpad', r, r.secret, NOW);
		expect(v.valid && v.body).toEqual(dialpadEvent);
	});
});

describe('the webhook handler refuses and counts forgeries from every provider', () => {
	let dir: string;
	let store: RecoveryStore;
	let loop: RecoveryLoop;
	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-sig-'));
		store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
		loop = new RecoveryLoop({ store, profileFor: () => plumber(), now: () => NOW });
	});
	afterAll(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});
	const cfgFor = (provider: Provider, secret: string): TriggerConfig => ({
		provider,
		mode: 'status',
		voicemail: false,
		validateSignature: true,
		secret,
		normalize: { businessId: 'acme-plumbing' },
		replyToKeywords: true,
		mapping:
			provider === 'generic'
				? { callId: 'id', from: 'from', to: 'to', status: 'status', missedValues: ['missed'] }
				: undefined,
	});

	test.each(SIGNING)(
		"%s: a signed missed call reaches the caller's case; its second delivery changes nothing",
		async (provider) => {
			const r = signed(provider);
			const a = await answerWebhook(r, cfgFor(provider, r.secret), loop);
			expect(a).toMatchObject({
				status: 200,
				emit: { type: 'missed-call', event: { provider, from: '+13125550123' } },
			});
			const c = a.emit?.type === 'missed-call' ? a.emit.case : undefined;
			const again = await answerWebhook(r, cfgFor(provider, r.secret), loop);
			expect(again.emit).toBeUndefined();
			expect(await store.getCase(c!.caseId)).toMatchObject({ version: c!.version, calls: c!.calls });
			expect(await store.countCases()).toBe(1);
		},
	);

	test(`${count(PER_PROVIDER)} forged requests per provider (${count(PER_PROVIDER * SIGNING.length)} in all): \
every one 403, no case, no execution, each counted`, async () => {
		const cases = await store.countCases();
		const counted = await store.refusals();
		let refused = 0;
		for (const provider of SIGNING) {
			const good = signed(provider);
			await fc.assert(
				fc.asyncProperty(
					fc.string({ maxLength: 30 }),
					fc.string({ maxLength: 60 }),
					fc.integer({ min: 0, max: 5 }),
					async (junk, sig, how) => {
						// Forgeries of each kind: a made-up proof, the right proof on a changed body, a stale time, no proof at all.
						const body = { ...(typeof good.body === 'object' ? (good.body as object) : {}), junk };
						const raw = JSON.stringify(body);
						const headers: Record<string, string> =
							how === 0
								? {}
								: how === 1
									? {
											...good.headers,
											'telnyx-signature-ed25519': Buffer.from(sig).toString('base64'),
											'telnyx-timestamp': String(T),
											authorization: `Bearer ${sig}`,
											'openphone-signature': `hmac;1;${T * 1000};${sig}`,
											'verification-token': sig,
											'x-webhook-token': sig,
										}
									: how === 2 && TOKENS.includes(provider)
										? { 'verification-token': `${sig}x`, 'x-webhook-token': `${sig}y` }
										: how === 2
											? { ...good.headers }
											: how === 3 && provider === 'telnyx'
												? signWebhook.telnyx(TELNYX_PRIVATE, raw, T - 3600)
												: how === 3 && provider === 'vonage'
													? signWebhook.vonage(VONAGE_SECRET, raw, T - 3600)
													: how === 3 && provider === 'openphone'
														? signWebhook.openphone(OPENPHONE_KEY, raw, (T - 3600) * 1000)
														: { 'verification-token': `${TOKEN}${sig}x`, 'x-webhook-token': `x${sig}` };
						const req =
							provider === 'dialpad'
								? {
										url: URL_,
										headers,
										body: how === 4 ? `${sig}.${junk}.x` : raw,
										rawBody: how === 4 ? `${sig}.${junk}.x` : raw,
									}
								: provider === 'aircall'
									? { url: URL_, headers, body: { ...body, token: how === 5 ? undefined : `${sig}!` }, rawBody: raw }
									: {
											url: how === 2 && provider === 'plivo' ? `${URL_}?token=${encodeURIComponent(sig)}z` : URL_,
											headers,
											body,
											rawBody: raw,
										};
						const a = await answerWebhook(req, cfgFor(provider, good.secret), loop);
						expect(a.status).toBe(403);
						expect(a.emit).toBeUndefined();
						expect(a.note).toMatch(/^refused: /);
						refused++;
					},
				),
				{ numRuns: PER_PROVIDER },
			);
		}
		expect(refused).toBe(PER_PROVIDER * SIGNING.length);
		expect(await store.countCases()).toBe(cases);
		const after = await store.refusals();
		for (const provider of SIGNING) expect((after[provider] ?? 0) - (counted[provider] ?? 0)).toBe(PER_PROVIDER);
	}, 120000);
});
