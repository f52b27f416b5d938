import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalize, openStore, type RecoveryStore } from '../../core';
import { TwilioSim } from '../../sim/twilio-server';
import { E2E_PROFILE } from '../e2e/e2e-profile';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require('node-red-node-test-helper');
const nodes = [
	'RecoveryConfig/recovery-config',
	'Acknowledge/mcr-acknowledge',
	'UrgencyClassifier/urgency-classifier',
	'OwnerRouter/owner-router',
	'RecoveryTracker/recovery-tracker',
	'RecoveryOverdueTrigger/recovery-overdue',
	// eslint-disable-next-line @typescript-eslint/no-require-imports
].map((p) => require(`../../nodes/${p}`));

helper.init(require.resolve('node-red'));

type Node = {
	on(e: string, f: (msg: Record<string, unknown>) => void): void;
	receive(msg: Record<string, unknown>): void;
	status: jest.Mock | ((...a: unknown[]) => void);
};

describe('Node-RED nodes with node-red-node-test-helper', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	let dir: string;
	let store: RecoveryStore;
	let seq = 0;

	beforeAll(async () => {
		await sim.start();
		dir = mkdtempSync(join(tmpdir(), 'mcr-nr-unit-'));
		store = await openStore({ type: 'sqlite', file: join(dir, 'cases.db') });
	});
	afterAll(async () => {
		await store.close();
		await sim.stop();
		rmSync(dir, { recursive: true, force: true });
	});
	beforeEach(() => new Promise<void>((r) => helper.startServer(r)));
	afterEach(async () => {
		await helper.unload();
		await new Promise((r) => helper.stopServer(r));
	});

	const config = (sqliteFile = join(dir, 'cases.db')) => [
		{ id: 'tw', type: 'mcr-twilio-account', authType: 'authToken', apiBaseUrl: sim.url },
		{ id: 'st', type: 'mcr-store', storeType: 'sqlite', sqliteFile },
		{ id: 'bz', type: 'mcr-business', profile: JSON.stringify(E2E_PROFILE) },
	];
	const creds = { tw: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } };
	const refs = { store: 'st', business: 'bz', twilio: 'tw' };

	async function newCase(from: string, into = store): Promise<string> {
		seq++;
		const n = normalize(
			'twilio',
			{ CallSid: `CA${String(seq).padStart(32, '0')}`, From: from, To: '+13125550199', CallStatus: 'no-answer' },
			{ businessId: 'e2e-plumbing' },
		);
		if (n.kind !== 'missed-call') throw new Error(n.kind);
		const { cases } = await import('../../core');
		return (await into.openOrJoinCase(n.event, (e) => e ?? cases.newCase(n.event, new Date().toISOString()))).case
			.caseId;
	}

	test('acknowledge, classify and route a case through the wired nodes to the Assigned output', async () => {
		const caseId = await newCase('+13125550161');
		const flow = [
			...config(),
			{ id: 'ack', type: 'mcr-acknowledge', ...refs, wires: [['cls'], ['cls']] },
			{
				id: 'cls',
				type: 'urgency-classifier',
				store: 'st',
				business: 'bz',
				wires: [['emerg'], ['route'], ['route'], ['route']],
			},
			{ id: 'route', type: 'owner-router', ...refs, alertOwner: true, wires: [['owned'], ['nobody']] },
			{ id: 'emerg', type: 'helper' },
			{ id: 'owned', type: 'helper' },
			{ id: 'nobody', type: 'helper' },
		];
		await helper.load(nodes, flow, creds);
		const owned = helper.getNode('owned') as Node;
		const got = new Promise<Record<string, unknown>>((res) => owned.on('input', res));
		(helper.getNode('ack') as Node).receive({ payload: { caseId } });
		const msg = await got;
		expect(msg.caseId).toBe(caseId);
		expect(msg.payload).toMatchObject({
			urgency: 'normal',
			routing: { kind: 'assigned' },
			acknowledgment: { status: 'sent' },
			ownerAlert: { messageSid: expect.stringMatching(/^SM/) },
		});
		expect(sim.messages.filter((m) => m.to === '+13125550161')).toHaveLength(1);
	});

	test('words in msg.text send the message out of the Emergency output, and the status says so', async () => {
		const caseId = await newCase('+13125550162');
		await helper.load(
			nodes,
			[
				...config(),
				{ id: 'cls', type: 'urgency-classifier', store: 'st', business: 'bz', wires: [['e'], [], [], []] },
				{ id: 'e', type: 'helper' },
			],
			creds,
		);
		const got = new Promise<Record<string, unknown>>((res) => (helper.getNode('e') as Node).on('input', res));
		const cls = helper.getNode('cls') as Node & { status: (s: unknown) => void };
		const status = jest.spyOn(cls, 'status');
		cls.receive({ caseId, text: 'smell gas in the kitchen' });
		expect((await got).payload).toMatchObject({ urgency: 'emergency' });
		expect(status).toHaveBeenCalledWith({ fill: 'blue', shape: 'dot', text: 'working' });
		expect(status).toHaveBeenLastCalledWith({
			fill: 'yellow',
			shape: 'dot',
			text: expect.stringMatching(/^emergency, /),
		});
	});

	test('errors reach a Catch node with the failing message and a message that says what to fix', async () => {
		await helper.load(
			nodes,
			[
				...config(),
				{ id: 'ack', type: 'mcr-acknowledge', ...refs, wires: [[], []] },
				{ id: 'c', type: 'catch', scope: null, uncaught: false, wires: [['h']] },
				{ id: 'h', type: 'helper' },
			],
			creds,
		);
		const caught = new Promise<Record<string, unknown>>((res) => (helper.getNode('h') as Node).on('input', res));
		(helper.getNode('ack') as Node).receive({ caseId: 'nope', marker: 42 });
		const m = await caught;
		expect(m.marker).toBe(42);
		expect((m.error as { message: string }).message).toMatch(/caseId is "nope"\. No case has this id/);
	}, 10000);

	test('a message without a case id is an error naming msg.caseId', async () => {
		await helper.load(
			nodes,
			[
				...config(),
				{ id: 'tr', type: 'recovery-tracker', store: 'st', business: 'bz', operation: 'get', wires: [[]] },
				{ id: 'c', type: 'catch', scope: null, uncaught: false, wires: [['h']] },
				{ id: 'h', type: 'helper' },
			],
			creds,
		);
		const caught = new Promise<Record<string, unknown>>((res) => (helper.getNode('h') as Node).on('input', res));
		(helper.getNode('tr') as Node).receive({ payload: 'x' });
		const error = (await caught).error as { message: string; stack?: string };
		expect(error.message).toMatch(/msg\.caseId is missing\. Wire this node after the missed call trigger/);
		// The original error, not a copy of its text: its class and the frame that threw it.
		expect(error.stack).toMatch(/^RecoveryInputError: msg\.caseId is missing/);
		expect(error.stack).toContain('caseIdOfMsg');
	});

	test('tracker: msg.operation overrides the node; attempt then outcome then the report', async () => {
		// A store of its own: the report scores this test's one case and nothing else.
		const file = join(dir, 'tracker.db');
		const own = await openStore({ type: 'sqlite', file });
		try {
			await trackOneCase(file, await newCase('+13125550163', own));
		} finally {
			await own.close();
		}
	});

	async function trackOneCase(file: string, caseId: string) {
		await helper.load(
			nodes,
			[
				...config(file),
				{ id: 'tr', type: 'recovery-tracker', store: 'st', business: 'bz', operation: 'get', wires: [['h']] },
				{ id: 'h', type: 'helper' },
			],
			creds,
		);
		const next = () => new Promise<Record<string, unknown>>((res) => (helper.getNode('h') as Node).on('input', res));
		const tr = helper.getNode('tr') as Node;
		let p = next();
		tr.receive({ caseId, operation: 'attempt', payload: { channel: 'call', result: 'reached', by: 'ana' } });
		expect((await p).payload).toMatchObject({ case: { state: 'contacted' } });
		p = next();
		tr.receive({ caseId, operation: 'outcome', payload: { outcome: 'booked', value: 250 } });
		expect((await p).payload).toMatchObject({ case: { state: 'recovered', outcome: { kind: 'booked', value: 250 } } });
		p = next();
		tr.receive({ operation: 'report', payload: { businessId: 'e2e-plumbing', days: 1 } });
		const rep = (await p).payload as { html: string; score: number; checks: { name: string; status: string }[] };
		expect(rep.html).toContain('E2E Plumbing');
		// The one case was opened straight in the store, never texted, classified or routed, then reached and booked:
		// detection and the loop pass, nobody owns it but it is closed (half), the rest fail. 2.5 points round to a 3.
		expect(rep.checks.map((x) => [x.name, x.status])).toEqual([
			['Detection', 'pass'],
			['Acknowledgment', 'fail'],
			['Urgency', 'fail'],
			['Ownership', 'partial'],
			['Loop', 'pass'],
		]);
		expect(rep.score).toBe(3);
	}

	test('an invalid business profile is reported by the config node and refused by the nodes using it', async () => {
		const flow = [
			...config().filter((n) => n.id !== 'bz'),
			{ id: 'bz', type: 'mcr-business', profile: '{"businessId":"x","name":"X","timeZone":"Atlantis/Nowhere"}' },
			{ id: 'cls', type: 'urgency-classifier', store: 'st', business: 'bz', wires: [[], [], [], []] },
			{ id: 'c', type: 'catch', scope: null, uncaught: false, wires: [['h']] },
			{ id: 'h', type: 'helper' },
		];
		await helper.load(nodes, flow, creds);
		const caught = new Promise<Record<string, unknown>>((res) => (helper.getNode('h') as Node).on('input', res));
		(helper.getNode('cls') as Node).receive({ caseId: 'x' });
		expect(((await caught).error as { message: string }).message).toMatch(/timeZone is "Atlantis\/Nowhere"/);
	});

	test('the overdue node emits escalated cases on its interval and stops its timer on close', async () => {
		// A store of its own: the node sweeps every case in its store, and another test's case may be due by now.
		const file = join(dir, 'overdue.db');
		const own = await openStore({ type: 'sqlite', file });
		try {
			await escalateOneCase(file, own);
		} finally {
			await own.close();
		}
	}, 15000);

	async function escalateOneCase(file: string, ownStore: RecoveryStore) {
		const caseId = await newCase('+13125550164', ownStore);
		const c = (await ownStore.getCase(caseId))!;
		await ownStore.saveCase({
			...c,
			owner: { id: 'ana', name: 'Ana', phone: '+13125550111' },
			state: 'assigned',
			dueAt: new Date(Date.now() - 60000).toISOString(),
		});
		await helper.load(
			nodes,
			[
				...config(file),
				{
					id: 'od',
					type: 'recovery-overdue',
					...refs,
					intervalSeconds: 5,
					escalate: true,
					alertOwner: true,
					sendDeferred: true,
					wires: [['h']],
				},
				{ id: 'h', type: 'helper' },
			],
			creds,
		);
		const got = await new Promise<Record<string, unknown>>((res) => (helper.getNode('h') as Node).on('input', res));
		expect(got).toMatchObject({ caseId, payload: { escalationLevel: 1, owner: { id: 'ben' } } });
		await helper.unload();
		const before = (await ownStore.getCase(caseId))!.version;
		await new Promise((r) => setTimeout(r, 1500));
		expect((await ownStore.getCase(caseId))!.version).toBe(before);
	}
});
