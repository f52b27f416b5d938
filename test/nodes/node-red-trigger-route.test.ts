import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signTwilioRequest, signWebhook, type Provider } from '../../core';
import { closeSharedStore, type HttpHandler } from '../../nodes/shared/node-red';
import type { NodeHttpSettings } from '../../nodes/shared/node-red-http';
import { parseBusinesses, SAMPLE_PROFILE } from '../../nodes/shared/runtime';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const register = require('../../nodes/MissedCallTrigger/missed-call-trigger') as (red: unknown) => void;

/** Express and body-parser as Node-RED uses them (both come with node-red, which has no types for them here). */
type ExpressApp = ((req: unknown, res: unknown) => void) & { use(...args: unknown[]): void };
/* eslint-disable @typescript-eslint/no-require-imports */
const express = require('express') as () => ExpressApp;
const bodyParser = require('body-parser') as Record<'json' | 'urlencoded', (o: object) => unknown>;
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The trigger's route on an HTTP stack built as Node-RED's red.js builds it: the editor's app (with its JSON and
 * form body parsers, as @node-red/editor-api adds them) and the nodes' app both mounted on one root app, at "/"
 * by default. node-red-node-test-helper's request() reaches only the editor's app, so the nodes' app is mounted here.
 */

const ed = generateKeyPairSync('ed25519');
const TELNYX_PUBLIC = ed.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
const TELNYX_PRIVATE = ed.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const OPENPHONE_KEY = Buffer.from('openphone-signing-key-bytes-32!!').toString('base64');
const SECRET = 'route-test-webhook-secret';
const BUSINESS = SAMPLE_PROFILE.numbers[0];
const SECRETS: Partial<Record<Provider, string>> = { telnyx: TELNYX_PUBLIC, openphone: OPENPHONE_KEY };

type Status = { fill?: string; text?: string };
interface FakeNode {
	id: string;
	credentials?: Record<string, string>;
	sent: unknown[][];
	statuses: Status[];
	warnings: string[];
	errors: unknown[];
	close(): Promise<void>;
}
interface Runtime {
	url: string;
	node: FakeNode;
	stop(): Promise<void>;
}

let dir: string;
let seq = 0;
const caller = () => `+1312555${String(2000 + ++seq)}`;

beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), 'mcr-nr-route-'));
});
afterAll(async () => {
	await closeSharedStore({ type: 'sqlite', file: join(dir, 'cases.db') });
	rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts the stack with these settings and one trigger node for `provider`. `bare` serves the nodes' app on its own,
 * with no root app above it and no router yet, as embedders and test helpers may.
 */
async function start(provider: Provider, settings: NodeHttpSettings = {}, bare = false): Promise<Runtime> {
	const root = express();
	const admin = express();
	admin.use(bodyParser.json({ limit: '5mb' }));
	admin.use(bodyParser.urlencoded({ limit: '5mb', extended: true }));
	const nodeApp = express();
	root.use('/', admin);
	if (settings.httpNodeRoot !== false) root.use(settings.httpNodeRoot ?? '/', nodeApp);
	const config = new Map<string, unknown>([
		['st', { storeConfig: { type: 'sqlite', file: join(dir, 'cases.db') } }],
		['bz', { businesses: parseBusinesses(JSON.stringify(SAMPLE_PROFILE)) }],
		// Nothing is sent in these tests: the address only has to be one that is not Twilio's.
		[
			'tw',
			{
				account: {
					accountSid: ACCOUNT_SID,
					authToken: AUTH_TOKEN,
					webhookAuthToken: AUTH_TOKEN,
					apiBaseUrl: 'http://127.0.0.1:9',
				},
			},
		],
	]);
	let ctor: ((this: FakeNode, c: unknown) => void) | undefined;
	const closers: ((removed: boolean, done: () => void) => void)[] = [];
	const RED = {
		nodes: {
			createNode(node: FakeNode & Record<string, unknown>) {
				Object.assign(node, { sent: [], statuses: [], warnings: [], errors: [] });
				node.on = (event: string, fn: (removed: boolean, done: () => void) => void) => {
					if (event === 'close') closers.push(fn);
				};
				node.status = (s: Status) => node.statuses.push(s);
				node.warn = (m: unknown) => node.warnings.push(String(m));
				node.error = (e: unknown) => node.errors.push(e);
				node.send = (m: unknown[]) => node.sent.push(m);
				node.log = () => undefined;
			},
			registerType(_type: string, c: typeof ctor) {
				ctor = c;
			},
			getNode: (id: string) => config.get(id) ?? null,
		},
		httpNode: nodeApp,
		settings: { userDir: dir, ...settings },
	};
	register(RED);
	const node = { id: `trigger-${++seq}`, credentials: { secret: SECRETS[provider] ?? SECRET } };
	const cfg = {
		path: 'missed-call',
		provider,
		mode: 'status',
		validateSignature: true,
		store: 'st',
		business: 'bz',
		twilio: 'tw',
	};
	ctor!.call(node as unknown as FakeNode, cfg);
	const server: Server = createServer(bare ? nodeApp : root);
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const nodeRoot = typeof settings.httpNodeRoot === 'string' ? settings.httpNodeRoot.replace(/\/$/, '') : '';
	const fake = node as unknown as FakeNode;
	fake.close = () => Promise.all(closers.map((fn) => new Promise<void>((r) => fn(true, r)))).then(() => undefined);
	return {
		url: `${base}${nodeRoot}/missed-call`,
		node: fake,
		stop: async () => {
			await fake.close();
			await new Promise<void>((r) => server.close(() => r()));
		},
	};
}

/**
 * JSON as a provider might send it, and as no parser would write it back: indented, a space before each colon,
 * keys in their own order, and a non-ASCII note both as a \u escape and as UTF-8. Re-serialized, its bytes differ.
 */
function asSent(body: Record<string, unknown>): string {
	const raw = JSON.stringify({ ...body, note: 'Caf\u00e9 Zo\u00eb' }, null, 2)
		.replace(/": /g, '" : ')
		.replace('Caf\u00e9', 'Caf\\u00e9');
	expect(JSON.stringify(JSON.parse(raw))).not.toBe(raw);
	return raw;
}

/** A signed missed call (or unresolved voice-AI call) for a provider, sent to `url`. */
function signedRequest(provider: Provider, url = ''): { headers: Record<string, string>; body: string } {
	const from = caller();
	const nowMs = Date.now();
	const now = Math.floor(nowMs / 1000);
	const json = { 'content-type': 'application/json' };
	const iso = new Date(nowMs - 30_000).toISOString();
	switch (provider) {
		case 'telnyx': {
			const body = asSent({
				data: {
					event_type: 'call.hangup',
					occurred_at: iso,
					payload: {
						to: BUSINESS,
						from,
						call_control_id: `v3:tx-${seq}`,
						call_session_id: `tx-${seq}`,
						hangup_cause: 'timeout',
						start_time: new Date(nowMs - 60_000).toISOString(),
					},
				},
			});
			return { headers: { ...json, ...signWebhook.telnyx(TELNYX_PRIVATE, body, now) }, body };
		}
		case 'vonage': {
			const body = asSent({
				uuid: `vn-${seq}`,
				status: 'unanswered',
				to: BUSINESS.slice(1),
				from: from.slice(1),
				direction: 'inbound',
				timestamp: iso,
			});
			return { headers: { ...json, ...signWebhook.vonage(SECRET, body, now) }, body };
		}
		case 'openphone': {
			const body = asSent({
				type: 'call.missed',
				data: { object: { id: `op-${seq}`, from, to: BUSINESS, direction: 'incoming', createdAt: iso } },
			});
			return { headers: { ...json, ...signWebhook.openphone(OPENPHONE_KEY, body, nowMs) }, body };
		}
		case 'vapi': {
			const body = asSent({
				message: {
					type: 'end-of-call-report',
					endedReason: 'customer-ended-call',
					call: { id: `vapi-${seq}`, type: 'inboundPhoneCall', status: 'ended' },
					customer: { number: from },
					phoneNumber: { number: BUSINESS },
					artifact: { transcript: 'User: my water heater is banging', messages: [] },
					analysis: { summary: 'Banging water heater.', successEvaluation: 'false' },
					startedAt: iso,
					endedAt: new Date(nowMs).toISOString(),
				},
			});
			return { headers: { ...json, ...signWebhook.vapi(SECRET, body) }, body };
		}
		case 'retell': {
			const body = asSent({
				event: 'call_analyzed',
				call: {
					call_type: 'phone_call',
					call_id: `retell-${seq}`,
					call_status: 'ended',
					from_number: from,
					to_number: BUSINESS,
					direction: 'inbound',
					start_timestamp: nowMs - 95_000,
					end_timestamp: nowMs,
					disconnection_reason: 'user_hangup',
					transcript: 'User: There is water pouring through my kitchen ceiling!',
					call_analysis: { call_summary: 'Water through the ceiling.', call_successful: false },
				},
			});
			return { headers: { ...json, ...signWebhook.retell(SECRET, body, nowMs) }, body };
		}
		case 'elevenlabs': {
			const body = asSent({
				type: 'post_call_transcription',
				event_timestamp: now,
				data: {
					conversation_id: `conv-${seq}`,
					status: 'done',
					transcript: [{ role: 'user', message: 'I need to book a drain cleaning.' }],
					metadata: {
						start_time_unix_secs: now - 60,
						call_duration_secs: 41,
						phone_call: { direction: 'inbound', external_number: from, agent_number: BUSINESS, type: 'twilio' },
					},
					analysis: { call_successful: 'failure', transcript_summary: 'Wants a drain cleaning.' },
				},
			});
			return { headers: { ...json, ...signWebhook.elevenlabs(SECRET, body, now) }, body };
		}
		case 'twilio': {
			// Twilio signs the URL and the form's fields; its form is read from the bytes, spaces as %20 and keys unsorted.
			const fields = {
				To: BUSINESS,
				From: from,
				CallStatus: 'no-answer',
				CallSid: `CA${String(seq).padStart(32, '0')}`,
			};
			const body = Object.entries({ ...fields, CallerName: 'Zo\u00eb Caf\u00e9' })
				.map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
				.join('&');
			const signed = { ...fields, CallerName: 'Zo\u00eb Caf\u00e9' };
			const headers = { 'content-type': 'application/x-www-form-urlencoded' };
			return { headers: { ...headers, 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, url, signed) }, body };
		}
		case 'dialpad': {
			const event = {
				call_id: 5550000 + seq,
				state: 'missed',
				direction: 'inbound',
				external_number: from,
				internal_number: BUSINESS,
				date_started: nowMs - 30_000,
			};
			return { headers: { 'content-type': 'application/jwt' }, body: signWebhook.dialpad(SECRET, event, now) };
		}
		case 'aircall': {
			const body = asSent({
				event: 'call.ended',
				token: SECRET,
				timestamp: now,
				data: {
					id: 7700 + seq,
					direction: 'inbound',
					status: 'done',
					missed_call_reason: 'agents_did_not_answer',
					raw_digits: from,
					number: { digits: BUSINESS },
					started_at: now - 30,
					duration: 0,
				},
			});
			return { headers: json, body };
		}
		default:
			throw new Error(`no signed request for ${provider}`);
	}
}

const post = (url: string, body: string, headers: Record<string, string>) =>
	fetch(url, { method: 'POST', headers, body });

describe("Node-RED trigger route, on Node-RED's HTTP stack", () => {
	const RAW_SIGNED: Provider[] = ['telnyx', 'vonage', 'openphone', 'vapi', 'retell', 'elevenlabs'];

	test.each(RAW_SIGNED)(
		'%s: a signed body whose re-serialization differs is accepted and emitted; one changed byte is refused',
		async (provider) => {
			const rt = await start(provider);
			try {
				const good = signedRequest(provider);
				const ok = await post(rt.url, good.body, good.headers);
				const answer = { status: ok.status, body: await ok.text(), warnings: rt.node.warnings, errors: rt.node.errors };
				expect(answer).toEqual({
					status: 200,
					body: expect.any(String),
					warnings: [],
					errors: [],
				});
				expect(rt.node.sent).toHaveLength(1);
				const emitted = rt.node.sent[0].find((m) => m !== null) as { topic: string; payload: { caseId: string } };
				expect(emitted.topic).toBe('missed-call');
				expect(emitted.payload.caseId).toEqual(expect.any(String));

				const again = signedRequest(provider);
				const changed = again.body.replace('" : ', '": ');
				const forged = await post(rt.url, changed, again.headers);
				expect(forged.status).toBe(403);
				expect(rt.node.sent).toHaveLength(1);
			} finally {
				await rt.stop();
			}
		},
	);

	test.each(['twilio', 'dialpad', 'aircall'] as Provider[])(
		'%s: a signed request is accepted and emitted through the route; its forgery is refused',
		async (provider) => {
			const rt = await start(provider);
			try {
				const good = signedRequest(provider, rt.url);
				const ok = await post(rt.url, good.body, good.headers);
				expect({ status: ok.status, warnings: rt.node.warnings, errors: rt.node.errors }).toEqual({
					status: 200,
					warnings: [],
					errors: [],
				});
				expect(rt.node.sent).toHaveLength(1);

				const next = signedRequest(provider, rt.url);
				const forged =
					provider === 'twilio'
						? { ...next, headers: { ...next.headers, 'x-twilio-signature': signTwilioRequest('guess', rt.url, {}) } }
						: provider === 'dialpad'
							? { ...next, body: `${next.body.slice(0, -2)}${next.body.endsWith('AA') ? 'BB' : 'AA'}` }
							: { ...next, body: next.body.replace(SECRET, 'guessed-token') };
				expect((await post(rt.url, forged.body, forged.headers)).status).toBe(403);
				expect(rt.node.sent).toHaveLength(1);
			} finally {
				await rt.stop();
			}
		},
	);

	test('under an httpNodeRoot of /hooks/ the route is there and keeps the raw bytes', async () => {
		const rt = await start('vapi', { httpNodeRoot: '/hooks/' });
		try {
			expect(rt.url).toMatch(/\/hooks\/missed-call$/);
			const good = signedRequest('vapi');
			expect((await post(rt.url, good.body, good.headers)).status).toBe(200);
			expect(rt.node.sent).toHaveLength(1);
		} finally {
			await rt.stop();
		}
	});

	test('served without a root app, the route reads the body itself, after the middleware', async () => {
		const seen: string[] = [];
		const log: HttpHandler = (req, _res, next) => {
			seen.push(`${req.method} ${(req as { _body?: boolean })._body ? 'read' : 'unread'}`);
			next?.();
		};
		const rt = await start('telnyx', { httpNodeMiddleware: log }, true);
		try {
			const good = signedRequest('telnyx');
			expect((await post(rt.url, good.body, good.headers)).status).toBe(200);
			expect(rt.node.sent).toHaveLength(1);
			expect(seen).toEqual(['POST unread']);
		} finally {
			await rt.stop();
		}
	});

	test('httpNodeMiddleware runs before the trigger, in order, and can refuse a request', async () => {
		const seen: string[] = [];
		const log: HttpHandler = (req, _res, next) => {
			seen.push(`log ${req.method}`);
			next?.();
		};
		const gate: HttpHandler = (req, res, next) => {
			seen.push('gate');
			if (req.headers['x-gate'] === 'open') return next?.();
			res.writeHead(401, { 'content-type': 'text/plain' }).end('closed');
		};
		const rt = await start('vapi', { httpNodeMiddleware: [log, gate] });
		try {
			const refused = signedRequest('vapi');
			const r1 = await post(rt.url, refused.body, refused.headers);
			expect([r1.status, await r1.text()]).toEqual([401, 'closed']);
			expect(rt.node.sent).toHaveLength(0);

			const good = signedRequest('vapi');
			expect((await post(rt.url, good.body, { ...good.headers, 'x-gate': 'open' })).status).toBe(200);
			expect(rt.node.sent).toHaveLength(1);
			expect(seen).toEqual(['log POST', 'gate', 'log POST', 'gate']);
		} finally {
			await rt.stop();
		}
	});

	test('httpNodeCors sets the CORS headers on the answer', async () => {
		const rt = await start('vapi', {
			httpNodeCors: { origin: ['https://app.example.com'], credentials: true, exposedHeaders: ['x-case'] },
		});
		try {
			const good = signedRequest('vapi');
			const res = await post(rt.url, good.body, { ...good.headers, origin: 'https://app.example.com' });
			expect(res.status).toBe(200);
			expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
			expect(res.headers.get('access-control-allow-credentials')).toBe('true');
			expect(res.headers.get('access-control-expose-headers')).toBe('x-case');
			expect(res.headers.get('vary')).toMatch(/Origin/);
			const other = signedRequest('vapi');
			const res2 = await post(rt.url, other.body, { ...other.headers, origin: 'https://evil.example.com' });
			expect(res2.headers.get('access-control-allow-origin')).toBeNull();
		} finally {
			await rt.stop();
		}
	});

	test('a body over apiMaxLength is a 413 naming the setting; the next call still gets through', async () => {
		const rt = await start('vapi', { apiMaxLength: '1kb' });
		try {
			const big = JSON.stringify({ message: { type: 'status-update', padding: 'x'.repeat(4096) } });
			const res = await post(rt.url, big, { 'content-type': 'application/json', ...signWebhook.vapi(SECRET, big) });
			expect(res.status).toBe(413);
			expect(await res.text()).toMatch(/apiMaxLength \(1kb\).*raise apiMaxLength in settings\.js/);
			expect(rt.node.sent).toHaveLength(0);

			const good = signedRequest('vapi');
			expect(good.body.length).toBeLessThan(1024);
			expect((await post(rt.url, good.body, good.headers)).status).toBe(200);
			expect(rt.node.sent).toHaveLength(1);
		} finally {
			await rt.stop();
		}
	});

	test('with httpNodeRoot false the node registers nothing and says why', async () => {
		const rt = await start('vapi', { httpNodeRoot: false });
		try {
			expect(rt.node.warnings).toEqual([expect.stringMatching(/httpNodeRoot is false.*Set httpNodeRoot/)]);
			expect(rt.node.statuses.at(-1)).toMatchObject({ fill: 'red', text: expect.stringMatching(/httpNodeRoot/) });
			const good = signedRequest('vapi');
			expect((await post(rt.url, good.body, good.headers)).status).toBe(404);
			expect(rt.node.sent).toHaveLength(0);
		} finally {
			await rt.stop();
		}
	});

	test("a GET with a case link reaches the case page (here not set up: no status callback URL), not the provider's check", async () => {
		const rt = await start('twilio');
		try {
			const res = await fetch(`${rt.url}?case=${'A'.repeat(60)}`);
			expect(res.status).toBe(404);
			expect(res.headers.get('content-type')).toMatch(/text\/html/);
			expect(await res.text()).toContain('Case pages are not set up');
		} finally {
			await rt.stop();
		}
	});

	test('after the node closes, its route and raw-body capture are gone', async () => {
		const rt = await start('vapi');
		try {
			await rt.node.close();
			const good = signedRequest('vapi');
			expect((await post(rt.url, good.body, good.headers)).status).toBe(404);
		} finally {
			await rt.stop();
		}
	});
});

/** A Twilio webhook as Twilio signs it: the URL it was sent to and its form fields. */
function twilioForm(url: string, fields: Record<string, string>) {
	const body = new URLSearchParams(fields).toString();
	const headers = {
		'content-type': 'application/x-www-form-urlencoded',
		'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, url, fields),
	};
	return { body, headers };
}

describe("the Node-RED trigger's status says what it did in plain words", () => {
	const report = (sid: string, status: string) => ({
		AccountSid: ACCOUNT_SID,
		MessageSid: sid,
		MessageStatus: status,
		From: BUSINESS,
		To: '+13125550187',
	});

	test('a delivery report reads "text to <caller> delivered", and a repeat of it says so', async () => {
		const rt = await start('twilio');
		try {
			const r = twilioForm(rt.url, report('SM00000000000000000000000000000001', 'delivered'));
			expect((await post(rt.url, r.body, r.headers)).status).toBe(200);
			expect(rt.node.statuses.at(-1)).toEqual({ fill: 'grey', shape: 'ring', text: 'text to +1312***0187 delivered' });
			expect((await post(rt.url, r.body, r.headers)).status).toBe(200);
			expect(rt.node.statuses.at(-1)?.text).toBe('text to +1312***0187: repeat delivery report ignored');
		} finally {
			await rt.stop();
		}
	});

	test('a text that never arrived and a missed call are named with the masked number', async () => {
		const rt = await start('twilio');
		try {
			const r = twilioForm(rt.url, report('SM00000000000000000000000000000002', 'undelivered'));
			expect((await post(rt.url, r.body, r.headers)).status).toBe(200);
			expect(rt.node.statuses.at(-1)).toEqual({
				fill: 'green',
				shape: 'dot',
				text: 'text to +1312***0187 undelivered',
			});
			const call = twilioForm(rt.url, {
				AccountSid: ACCOUNT_SID,
				CallSid: 'CA00000000000000000000000000000003',
				From: '+13125550186',
				To: BUSINESS,
				Direction: 'inbound',
				CallStatus: 'no-answer',
			});
			expect((await post(rt.url, call.body, call.headers)).status).toBe(200);
			expect(rt.node.statuses.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: 'missed call from +1312***0186' });
		} finally {
			await rt.stop();
		}
	});
});
