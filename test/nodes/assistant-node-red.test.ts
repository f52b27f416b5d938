import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalize, openStore, type RecoveryStore } from '../../core';
import { loopOver, parseBusinesses } from '../../nodes/shared/runtime';
import { OpenAISim } from '../../sim/openai-server';
import { TwilioSim } from '../../sim/twilio-server';
import { E2E_PROFILE } from '../e2e/e2e-profile';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require('node-red-node-test-helper');
const nodes = ['RecoveryConfig/recovery-config', 'ModelConfig/mcr-model', 'CallerAssistant/mcr-assistant'].map(
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	(p) => require(`../../nodes/${p}`),
);

helper.init(require.resolve('node-red'));

type Msg = Record<string, unknown> & { payload: Record<string, unknown> };
type Node = { on(e: string, f: (msg: Msg) => void): void; receive(msg: Record<string, unknown>): void };

const API_KEY = 'sk-test-assistant-node-4Yq';
const PROFILE = {
	...E2E_PROFILE,
	bookingUrl: 'https://cal.example.com/e2e-plumbing',
	assistant: { enabled: true, faq: [{ q: 'Do you do water heaters?', a: 'Yes, tank and tankless.' }] },
};

/** The model's answer for one turn, in the schema the plumber's default intake questions give. */
const turn = (reply: string, intake: Record<string, string | null> = {}) => ({
	content: {
		reply,
		intake: { whatHappened: null, address: null, bestTime: null, ...intake },
		handoff: false,
		handoffReason: null,
	},
});

describe('Node-RED SMS Assistant node, against the local OpenAI- and Twilio-compatible servers', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	const oai = new OpenAISim({ apiKey: API_KEY });
	let dir: string;
	let store: RecoveryStore;
	let seq = 0;

	beforeAll(async () => {
		await sim.start();
		await oai.start();
		dir = mkdtempSync(join(tmpdir(), 'mcr-nr-assistant-'));
		store = await openStore({ type: 'sqlite', file: join(dir, 'cases.db') });
	});
	afterAll(async () => {
		await store.close();
		await sim.stop();
		await oai.stop();
		rmSync(dir, { recursive: true, force: true });
	});
	beforeEach(() => new Promise<void>((r) => helper.startServer(r)));
	afterEach(async () => {
		oai.reset();
		await helper.unload();
		await new Promise((r) => helper.stopServer(r));
	});

	/** A missed call from `caller` and then their text, as the trigger leaves them: the inbound message's payload. */
	async function replyFrom(caller: string, body: string, profile: unknown = PROFILE) {
		const loop = loopOver(store, parseBusinesses(profile));
		seq++;
		const call = normalize(
			'twilio',
			{ CallSid: `CA${String(seq).padStart(32, '3')}`, From: caller, To: '+13125550199', CallStatus: 'no-answer' },
			{ businessId: 'e2e-plumbing' },
		);
		if (call.kind !== 'missed-call') throw new Error(call.kind);
		await loop.detect(call.event);
		const text = normalize(
			'twilio',
			{ MessageSid: `SM${String(seq).padStart(32, '3')}`, From: caller, To: '+13125550199', Body: body },
			{ businessId: 'e2e-plumbing' },
		);
		if (text.kind !== 'inbound-message') throw new Error(text.kind);
		const r = await loop.inbound(text.event);
		return { type: 'inbound-message', caseId: r.case!.caseId, action: r.action, case: r.case };
	}

	/** Loads the assistant with its config nodes, sends one message; resolves with the port it left by. */
	async function send(msg: Record<string, unknown>, o: { model?: boolean; profile?: unknown } = {}) {
		const flow = [
			{ id: 'tw', type: 'mcr-twilio-account', authType: 'authToken', apiBaseUrl: sim.url },
			{ id: 'st', type: 'mcr-store', storeType: 'sqlite', sqliteFile: join(dir, 'cases.db') },
			{ id: 'bz', type: 'mcr-business', profile: JSON.stringify(o.profile ?? PROFILE) },
			{ id: 'md', type: 'mcr-model', baseUrl: oai.url, model: 'gpt-4o-mini', timeout: 1 },
			{
				id: 'as',
				type: 'mcr-assistant',
				store: 'st',
				business: 'bz',
				twilio: 'tw',
				model: o.model === false ? '' : 'md',
				wires: [['turn'], ['other']],
			},
			{ id: 'turn', type: 'helper' },
			{ id: 'other', type: 'helper' },
			{ id: 'c', type: 'catch', scope: ['as'], uncaught: false, wires: [['caught']] },
			{ id: 'caught', type: 'helper' },
		];
		await helper.load(nodes, flow, { tw: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, md: { apiKey: API_KEY } });
		const got = new Promise<{ port: string; msg: Msg }>((res) => {
			for (const port of ['turn', 'other', 'caught'])
				(helper.getNode(port) as Node).on('input', (m) => res({ port, msg: m }));
		});
		const node = helper.getNode('as') as Node & { status: (s: unknown) => void };
		const status = jest.spyOn(node, 'status');
		node.receive(msg);
		const r = await got;
		return { ...r, status: status.mock.calls.map((c) => c[0]).at(-1) };
	}

	test("a caller's reply is answered: the text reaches the phone, the intake lands on the case", async () => {
		const caller = '+13125550181';
		const payload = await replyFrom(caller, 'my kitchen sink is leaking');
		oai.reply(turn('Sorry to hear it. What is the address or ZIP code of the job?', { whatHappened: 'sink leak' }));
		const { port, msg, status } = await send({ payload, caseId: payload.caseId });
		expect(port).toBe('turn');
		expect(msg.payload.assistant).toMatchObject({
			action: 'replied',
			sent: { sid: expect.stringMatching(/^SM/), body: expect.stringContaining('address or ZIP code') },
			intake: { whatHappened: 'sink leak' },
		});
		expect(msg.payload.assistant).not.toHaveProperty('refused', expect.anything());
		expect(status).toEqual({ fill: 'green', shape: 'dot', text: 'replied' });
		const got = sim.messages.filter((m) => m.to === caller).map((m) => m.body);
		expect(got.at(-1)).toBe('E2E Plumbing: Sorry to hear it. What is the address or ZIP code of the job?');
		expect((await store.getCase(payload.caseId))?.intake).toEqual({ whatHappened: 'sink leak' });
		expect(oai.chats()[0].messages?.[0].content).toContain('Yes, tank and tankless.');
	});

	test('a price the profile does not state is never texted: the caller gets the fallback', async () => {
		const caller = '+13125550182';
		const payload = await replyFrom(caller, 'how much to fix a dripping faucet?');
		oai.reply(turn('That repair is $120 flat.'));
		const { msg, status } = await send({ payload });
		expect(msg.payload.assistant).toMatchObject({ action: 'replied', refused: expect.stringMatching(/amount/) });
		expect(status).toMatchObject({ fill: 'yellow', text: 'replied: fallback text' });
		const got = sim.messages.filter((m) => m.to === caller).map((m) => m.body);
		expect(got.join('\n')).not.toContain('$120');
		expect(got.at(-1)).toMatch(/^E2E Plumbing: thanks, we have your message/);
	});

	test('off in the profile: skipped, and no model is asked', async () => {
		const payload = await replyFrom('+13125550183', 'are you open today?', E2E_PROFILE);
		const { port, msg, status } = await send({ payload }, { profile: E2E_PROFILE });
		expect(port).toBe('turn');
		expect(msg.payload.assistant).toMatchObject({ action: 'skipped' });
		expect(status).toMatchObject({ fill: 'grey', text: expect.stringMatching(/^skipped: /) });
		expect(oai.chats()).toHaveLength(0);
	});

	test("anything but a caller's reply leaves by the second port untouched, and nothing is sent", async () => {
		const before = sim.messages.length;
		const msg = { payload: { type: 'inbound-message', action: 'owner-claimed', caseId: 'x' }, marker: 7 };
		const r = await send(msg);
		expect(r.port).toBe('other');
		expect(r.msg).toMatchObject(msg);
		expect(r.status).toMatchObject({ text: 'passed on: not a caller reply' });
		expect(sim.messages.length).toBe(before);
		expect(oai.requests).toHaveLength(0);
	});

	test('without a model config node: an error naming the field and the fix, and nothing sent', async () => {
		const payload = await replyFrom('+13125550184', 'hello?');
		const before = sim.messages.length;
		const { port, msg } = await send({ payload }, { model: false });
		expect(port).toBe('caught');
		expect((msg.error as { message: string }).message).toMatch(
			/model is "". Pick a language model config node .* the SMS assistant has no rules fallback/,
		);
		expect(sim.messages.length).toBe(before);
	});
});
