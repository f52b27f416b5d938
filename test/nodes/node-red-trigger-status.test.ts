import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signTwilioRequest } from '../../core';
import { E2E_PROFILE } from '../e2e/e2e-profile';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require('node-red-node-test-helper');
/* eslint-disable @typescript-eslint/no-require-imports */
const request = require('supertest') as (app: unknown) => Agent;
const registerConfig = require('../../nodes/RecoveryConfig/recovery-config');
const registerTrigger = require('../../nodes/MissedCallTrigger/missed-call-trigger') as (red: unknown) => void;
/* eslint-enable @typescript-eslint/no-require-imports */

/** supertest's chain, as far as these tests use it (it has no types here). */
interface Agent {
	post(path: string): Agent;
	type(t: string): Agent;
	set(name: string, value: string): Agent;
	send(body: object): Promise<{ status: number }>;
}

// The helper's request() reaches only the editor's app; the trigger's route is on the nodes' app (RED.httpNode).
let httpNode: unknown;
const nodes = [
	registerConfig,
	(RED: { httpNode: unknown }) => {
		httpNode = RED.httpNode;
		registerTrigger(RED);
	},
];

helper.init(require.resolve('node-red'));

const PUBLIC = 'https://nr.example.com';
const BUSINESS = E2E_PROFILE.numbers![0];
type Status = { fill: string; shape: string; text: string };

/** The Missed Call Trigger's status under the node in the editor: what happened, in plain words. */
describe("the Node-RED Missed Call Trigger's status", () => {
	let dir: string;
	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-nr-status-'));
	});
	afterAll(() => rmSync(dir, { recursive: true, force: true }));
	beforeEach(() => new Promise<void>((r) => helper.startServer(r)));
	afterEach(async () => {
		await helper.unload();
		await new Promise((r) => helper.stopServer(r));
	});

	async function trigger(): Promise<{ statuses: Status[] }> {
		const flow = [
			{ id: 'tw', type: 'mcr-twilio-account', authType: 'authToken', apiBaseUrl: 'http://127.0.0.1:9' },
			{ id: 'st', type: 'mcr-store', storeType: 'sqlite', sqliteFile: join(dir, 'cases.db') },
			{ id: 'bz', type: 'mcr-business', profile: JSON.stringify(E2E_PROFILE) },
			{
				id: 'trg',
				type: 'missed-call-trigger',
				path: '/missed-call',
				provider: 'twilio',
				mode: 'forward',
				voicemail: false,
				validateSignature: true,
				publicUrl: PUBLIC,
				replyToKeywords: true,
				store: 'st',
				business: 'bz',
				twilio: 'tw',
				wires: [[], [], [], []],
			},
		];
		await helper.load(nodes, flow, { tw: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
		const node = helper.getNode('trg');
		const statuses: Status[] = [];
		const status = node.status.bind(node);
		node.status = (s: Status) => {
			statuses.push(s);
			return status(s);
		};
		return { statuses };
	}

	async function post(params: Record<string, string>): Promise<number> {
		const res = await request(httpNode)
			.post('/missed-call')
			.type('form')
			.set('x-twilio-signature', signTwilioRequest(AUTH_TOKEN, `${PUBLIC}/missed-call`, params))
			.send(params);
		return res.status;
	}

	const report = (sid: string, status: string) => ({
		AccountSid: ACCOUNT_SID,
		MessageSid: sid,
		MessageStatus: status,
		From: BUSINESS,
		To: '+13125550187',
	});

	test('a delivery report reads "text to <caller> delivered", and a repeat of it says so', async () => {
		const { statuses } = await trigger();
		expect(await post(report('SM00000000000000000000000000000001', 'delivered'))).toBe(200);
		expect(statuses.at(-1)).toEqual({ fill: 'grey', shape: 'ring', text: 'text to +1312***0187 delivered' });
		expect(await post(report('SM00000000000000000000000000000001', 'delivered'))).toBe(200);
		expect(statuses.at(-1)?.text).toBe('text to +1312***0187: repeat delivery report ignored');
	});

	test('a text that never arrived and a missed call are named with the masked number', async () => {
		const { statuses } = await trigger();
		expect(await post(report('SM00000000000000000000000000000002', 'undelivered'))).toBe(200);
		expect(statuses.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: 'text to +1312***0187 undelivered' });
		const call = {
			AccountSid: ACCOUNT_SID,
			CallSid: 'CA00000000000000000000000000000003',
			From: '+13125550186',
			To: BUSINESS,
			Direction: 'inbound',
			CallStatus: 'no-answer',
		};
		expect(await post(call)).toBe(200);
		expect(statuses.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: 'missed call from +1312***0186' });
	});
});
