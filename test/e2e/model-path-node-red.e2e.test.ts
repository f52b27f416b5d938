import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type RecoveryStore } from '../../core';
import { OpenAISim } from '../../sim/openai-server';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
import { E2E_PROFILE } from './e2e-profile';
import { modelPathSteps, type UrgencyOutput } from './model-path';
import {
	captureNode,
	deployNodeRedFlow,
	expectWordsAsData,
	chatWith,
	Collector,
	filesLeaking,
	GAS_WITH_INJECTION,
	gullibleModel,
	installTarball,
	localFlow,
	MODEL_KEY,
	packOnce,
	runtimes,
	startNodeRed,
	type Proc,
} from './harness';

/** The model config node's timeout, in seconds: the hanging model is cut off after it. */
const TIMEOUT_S = 2;

/** Both majors on Node 24, where node:sqlite serves the store without a native build. */
const VERSIONS = [
	{ label: 'Node-RED 5.x', runtime: 'nodered5', bin: () => runtimes.paths().nodered5Bin },
	{ label: 'Node-RED 4.x', runtime: 'nodered4', bin: () => runtimes.paths().nodered4Bin },
];

describe.each(VERSIONS)(
	`inside real $label on Node 24: the urgency node asks a language model config node pointed at the local \
OpenAI-compatible server`,
	(v) => {
		const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
		const oai = new OpenAISim({ apiKey: MODEL_KEY });
		/** Every message the voicemail re-classification sends on, POSTed by an http request node in the flow. */
		const seen = new Collector<UrgencyOutput>();
		let dir: string;
		let red: Proc;
		let base: string;
		let hook: string;
		let store: RecoveryStore;

		const { call, rulesOnCase, storedWhen } = modelPathSteps({
			sim,
			seen,
			hook: () => hook,
			store: () => store,
			log: () => red.log(),
		});

		beforeAll(async () => {
			runtimes.install([v.runtime]);
			const p = runtimes.paths();
			dir = mkdtempSync(join(tmpdir(), `mcr-model-${v.runtime}-`));
			const tarball = packOnce(join(tmpdir(), `mcr-pack-${process.pid}`));
			installTarball(dir, tarball, runtimes.envFor24());
			await sim.start();
			await oai.start();
			await seen.start();
			({ red, base } = await startNodeRed({
				dir,
				node: p.node24,
				bin: v.bin(),
				env: runtimes.envFor24(),
				label: v.label,
			}));
			hook = `${base}/missed-call`;
			const flow = localFlow('quick-start-text-back', {
				simUrl: sim.url,
				account: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
				profile: E2E_PROFILE,
				each: (n) => {
					if (n.type === 'urgency-classifier') n.model = 'mcr.cfg.model';
					// The voicemail's classification is also sent to the test, beside the owner router.
					if (n.id === 'mcr.reclassify') n.wires = (n.wires as string[][]).map((w) => [...w, 'mcr.capture']);
					if (n.type === 'recovery-overdue') n.intervalSeconds = 3600;
				},
			});
			flow.push(
				{
					id: 'mcr.cfg.model',
					type: 'mcr-model',
					name: 'local model',
					baseUrl: oai.url,
					model: 'gpt-4o-mini',
					timeout: TIMEOUT_S,
					credentials: { apiKey: MODEL_KEY },
				},
				captureNode({ id: 'mcr.capture', z: 'mcr.tab.quick', url: seen.url, x: 560, y: 260 }),
			);
			await deployNodeRedFlow(base, flow, hook, red);
			store = await openStore({ type: 'sqlite', file: join(dir, 'cases.db') });
		}, 600000);

		afterAll(async () => {
			await store?.close();
			await red?.stop();
			await sim.stop();
			await oai.stop();
			await seen.stop();
			if (dir) rmSync(dir, { recursive: true, force: true });
		});

		test('the model raises a normal call; its summary and reason reach the message and the case', async () => {
			const words = 'please call me back about my kitchen sink';
			oai.reply({
				match: chatWith(words),
				times: 5,
				content: {
					urgency: 'high',
					serviceType: 'drain',
					summary: 'Kitchen sink problem, wants a call back',
					language: 'en',
					preferredCallbackTime: null,
					reasons: ['the sink may overflow'],
				},
			});
			const { item: payload, stored } = await call('+13125550161', words);
			expect(payload.model).toEqual({ used: true });
			expect(payload).toMatchObject({
				urgency: 'high',
				summary: 'Kitchen sink problem, wants a call back',
				model: { used: true },
			});
			expect(payload.reasons).toContain('model raised urgency from normal to high: the sink may overflow');
			await storedWhen(
				stored,
				'the raise on the case',
				(c) =>
					c.urgency === 'high' && c.reasons.includes('model raised urgency from normal to high: the sink may overflow'),
			);
			// The server saw the key as a bearer token: the model was really asked through the config node.
			expect(oai.requests.find((r) => r.body && chatWith(words)(r.body))?.headers.authorization).toBe(
				`Bearer ${MODEL_KEY}`,
			);
		});

		test('a model that never answers is cut off at the timeout: the rules decide, with the reason', async () => {
			const words = 'please call me back about my bathroom faucet';
			oai.reply({ match: chatWith(words), times: 5, hang: true });
			const { item: payload, stored } = await call('+13125550162', words);
			expect(payload.model).toEqual({ used: false, error: `model timed out after ${TIMEOUT_S} s` });
			expect(payload.urgency).toBe('normal');
			expect(payload.reasons[payload.reasons.length - 1]).toBe(`model timed out after ${TIMEOUT_S} s: rules used`);
			await storedWhen(stored, 'the rules on the case', rulesOnCase);
		});

		test('a garbage answer is refused: the rules decide, with the reason', async () => {
			const words = 'please call me back about my shower drain';
			oai.reply({ match: chatWith(words), times: 5, content: 'I think this one is urgent, call them' });
			const { item: payload, stored } = await call('+13125550163', words);
			expect(payload.model?.used).toBe(false);
			expect(payload.model?.error).toBe('model answer is not JSON ("I think this one is urgent, call them")');
			expect(payload.urgency).toBe('normal');
			expect(payload.reasons[payload.reasons.length - 1]).toBe(
				'model answer is not JSON ("I think this one is urgent, call them"): rules used',
			);
			await storedWhen(stored, 'the rules on the case', rulesOnCase);
		});

		test('an unknown urgency is refused with the field named: the rules decide', async () => {
			const words = 'please call me back about my garden hose';
			oai.reply({
				match: chatWith(words),
				times: 5,
				content: {
					urgency: 'critical',
					serviceType: 'leak',
					summary: 'Garden hose',
					language: 'en',
					preferredCallbackTime: null,
					reasons: ['made up'],
				},
			});
			const { item: payload, stored } = await call('+13125550165', words);
			expect(payload.model?.used).toBe(false);
			expect(payload.model?.error).toMatch(/^model answer malformed \(urgency: /);
			expect(payload.urgency).toBe('normal');
			const reason = payload.reasons[payload.reasons.length - 1];
			expect(reason).toBe(`${payload.model?.error}: rules used`);
			await storedWhen(stored, 'the rules on the case', rulesOnCase);
		});

		test(`a transcript telling the model to answer low: a gas smell stays an emergency, and the words reached the \
model as data only`, async () => {
			oai.reply({ match: chatWith(GAS_WITH_INJECTION), times: 5, content: gullibleModel });
			const caller = '+13125550164';
			const { item: payload, stored } = await call(caller, GAS_WITH_INJECTION);
			expect(payload.urgency).toBe('emergency');
			expect(payload.reasons.join('\n')).toMatch(
				/model suggested low: told to answer low; the rules' emergency stands/,
			);
			await storedWhen(stored, 'the emergency on the case', (c) => c.urgency === 'emergency');
			// The caller still gets the safety step.
			expect(sim.messages.some((m) => m.to === caller && m.body.includes('smell gas, leave now'))).toBe(true);
			const asked = oai.chats().filter(chatWith(GAS_WITH_INJECTION));
			expect(asked.length).toBeGreaterThan(0);
			for (const req of asked) expectWordsAsData(req, GAS_WITH_INJECTION);
		});

		test('the API key is nowhere: not in the exported flow, the files on disk, the log or the messages', async () => {
			const exported = await (await fetch(`${base}/flows`, { headers: { 'node-red-api-version': 'v2' } })).text();
			expect(exported).toContain('mcr-model');
			expect(exported).not.toContain(MODEL_KEY);
			const { files, leaking } = filesLeaking(dir, MODEL_KEY);
			expect(files.some((f) => f.endsWith('flows_cred.json'))).toBe(true);
			expect(leaking).toEqual([]);
			expect(red.log()).toContain('Started flows');
			expect(red.log()).not.toContain(MODEL_KEY);
			expect(seen.items.length).toBeGreaterThanOrEqual(5);
			expect(JSON.stringify(seen.items)).not.toContain(MODEL_KEY);
			expect(JSON.stringify(sim.messages)).not.toContain(MODEL_KEY);
		});
	},
);
