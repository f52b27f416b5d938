import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type RecoveryStore } from '../../core';
import { OpenAISim } from '../../sim/openai-server';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
import { E2E_PROFILE } from './e2e-profile';
import { modelPathSteps, type UrgencyOutput } from './model-path';
import {
	expectWordsAsData,
	chatWith,
	Collector,
	filesLeaking,
	freePort,
	GAS_WITH_INJECTION,
	gullibleModel,
	installTarball,
	MODEL_KEY,
	packOnce,
	runtimeEnv,
	runtimes,
	start,
	waitFor,
	type Proc,
	n8nEnv,
	triggerLive,
} from './harness';

const WORKFLOW_ID = 'mcrModelPath0001';
const WEBHOOK_ID = '6c2a4d3f-8e5b-4d9f-a021-1b2c3d4e5f60';
const PACK = '@recovery-loop/n8n-nodes-missed-call-recovery';
/** The Urgency Classifier's Model Timeout, in seconds: the hanging model is cut off after it. */
const TIMEOUT_S = 2;
const CREDS = { workspace: 'mcrWorkspace0001', twilio: 'mcrTwilio0000001', openAi: 'mcrOpenAi0000001' };

/** What the Urgency Classifier sends on: the fields the tests read from its item. */
/**
 * The voicemail branch of the quick-start: the trigger's voicemail output into the Urgency Classifier with
 * "Use a Chat Model" on, n8n's own OpenAI Chat Model node on its Chat Model input (its credential's Base URL is
 * the local server), and every urgency output POSTed to the test by an HTTP Request node.
 */
function modelWorkflow(collectUrl: string) {
	const workspace = { missedCallRecoveryWorkspaceApi: { id: CREDS.workspace, name: 'Missed Call Recovery Workspace' } };
	const toTest = [{ node: 'To The Test', type: 'main', index: 0 }];
	return {
		id: WORKFLOW_ID,
		name: 'Model path',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{
				parameters: { provider: 'twilio', mode: 'forward', voicemail: true, validateSignature: true, options: {} },
				id: 'trigger',
				name: 'Missed Call Trigger',
				type: `${PACK}.missedCallTrigger`,
				typeVersion: 2,
				position: [0, 0],
				webhookId: WEBHOOK_ID,
				credentials: {
					...workspace,
					missedCallRecoveryTwilioApi: { id: CREDS.twilio, name: 'Twilio (Missed Call Recovery)' },
				},
			},
			{
				parameters: { useModel: true, modelTimeout: TIMEOUT_S },
				id: 'classify',
				name: 'Urgency Classifier',
				type: `${PACK}.urgencyClassifier`,
				typeVersion: 1,
				position: [300, 0],
				credentials: workspace,
			},
			{
				// 1.2 speaks chat completions; 1.3 defaults to the Responses API, which the local server does not serve.
				parameters: { model: { __rl: true, mode: 'id', value: 'gpt-4o-mini' }, options: {} },
				id: 'model',
				name: 'OpenAI Chat Model',
				type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
				typeVersion: 1.2,
				position: [300, 220],
				credentials: { openAiApi: { id: CREDS.openAi, name: 'Local OpenAI-compatible server' } },
			},
			{
				parameters: {
					method: 'POST',
					url: collectUrl,
					sendBody: true,
					specifyBody: 'json',
					jsonBody: '={{ JSON.stringify($json) }}',
					options: {},
				},
				id: 'to-test',
				name: 'To The Test',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [600, 0],
			},
		],
		connections: {
			'Missed Call Trigger': { main: [[], [{ node: 'Urgency Classifier', type: 'main', index: 0 }], [], []] },
			'Urgency Classifier': { main: [toTest, toTest, toTest, toTest] },
			'OpenAI Chat Model': {
				ai_languageModel: [[{ node: 'Urgency Classifier', type: 'ai_languageModel', index: 0 }]],
			},
		},
	};
}

describe(`inside a real n8n 2.x: the Urgency Classifier asks n8n's own OpenAI Chat Model node pointed at the local \
OpenAI-compatible server`, () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	const oai = new OpenAISim({ apiKey: MODEL_KEY });
	const seen = new Collector<UrgencyOutput>();
	let dir: string;
	let n8n: Proc;
	let hook: string;
	let store: RecoveryStore;
	const storeFile = () => join(dir, 'cases.db');

	const { call, rulesOnCase, storedWhen } = modelPathSteps({
		sim,
		seen,
		hook: () => hook,
		store: () => store,
		log: () => n8n.log(),
	});

	beforeAll(async () => {
		runtimes.install(['n8n']);
		const p = runtimes.paths();
		dir = mkdtempSync(join(tmpdir(), 'mcr-model-n8n-'));
		const user = join(dir, 'user');
		installTarball(
			join(user, '.n8n', 'nodes'),
			packOnce(join(tmpdir(), `mcr-pack-${process.pid}`)),
			runtimes.envFor24(),
		);
		await sim.start();
		await oai.start();
		await seen.start();
		const port = await freePort();
		hook = `http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/missed-call`;
		writeFileSync(
			join(dir, 'creds.json'),
			JSON.stringify([
				{
					id: CREDS.workspace,
					name: 'Missed Call Recovery Workspace',
					type: 'missedCallRecoveryWorkspaceApi',
					data: { storeType: 'sqlite', sqliteFile: storeFile(), businesses: JSON.stringify([E2E_PROFILE]) },
				},
				{
					id: CREDS.twilio,
					name: 'Twilio (Missed Call Recovery)',
					type: 'missedCallRecoveryTwilioApi',
					data: { accountSid: ACCOUNT_SID, authType: 'authToken', authToken: AUTH_TOKEN, apiBaseUrl: sim.url },
				},
				{
					id: CREDS.openAi,
					name: 'Local OpenAI-compatible server',
					type: 'openAiApi',
					// `url` is the credential's Base URL field (n8n-nodes-base/credentials/OpenAiApi.credentials).
					data: { apiKey: MODEL_KEY, url: oai.url, header: false },
				},
			]),
		);
		writeFileSync(join(dir, 'wf.json'), JSON.stringify(modelWorkflow(seen.url)));
		const env = await n8nEnv(user, port);
		const cli = (args: string[]) =>
			execFileSync(p.node24, [p.n8nBin, ...args], { env: runtimeEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
		cli(['import:credentials', `--input=${join(dir, 'creds.json')}`]);
		rmSync(join(dir, 'creds.json')); // the plain-text import file is ours, not n8n's: it goes once imported
		cli(['import:workflow', `--input=${join(dir, 'wf.json')}`]);
		cli(['publish:workflow', `--id=${WORKFLOW_ID}`]);
		n8n = start(p.node24, [p.n8nBin, 'start'], env);
		const withLog = (e: Error) => {
			throw new Error(`${e.message}\n--- n8n log ---\n${n8n.log().slice(-4000)}`);
		};
		await waitFor(
			'n8n to answer /healthz',
			async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
			180000,
			1000,
		).catch(withLog);
		await triggerLive(hook).catch(withLog);
		store = await openStore({ type: 'sqlite', file: storeFile() });
		// n8n loads the OpenAI node's LangChain modules on its first run, which can outlast the model timeout: a
		// first call warms it up, so the cases below time the model alone.
		await call('+13125550170', 'warming up the chat model');
	}, 900000);

	afterAll(async () => {
		await store?.close();
		await n8n?.stop();
		await sim.stop();
		await oai.stop();
		await seen.stop();
		if (dir && !process.env.MCR_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
		else if (dir) console.log(`kept ${dir}`);
	});

	test('the model raises a call the rules call normal; its summary and reason reach the item and the case', async () => {
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
		const { item, stored } = await call('+13125550171', words);
		expect(item.model).toEqual({ used: true });
		expect(item).toMatchObject({
			urgency: 'high',
			summary: 'Kitchen sink problem, wants a call back',
			model: { used: true },
		});
		expect(item.reasons).toContain('model raised urgency from normal to high: the sink may overflow');
		await storedWhen(
			stored,
			'the raise on the case',
			(c) =>
				c.urgency === 'high' && c.reasons.includes('model raised urgency from normal to high: the sink may overflow'),
		);
		// n8n's OpenAI node sent the credential's key, to the credential's Base URL, as chat completions.
		const asked = oai.requests.find((r) => r.body && chatWith(words)(r.body))!;
		expect(asked.path).toBe('/v1/chat/completions');
		expect(asked.headers.authorization).toBe(`Bearer ${MODEL_KEY}`);
		expect(asked.body?.model).toBe('gpt-4o-mini');
	});

	test('a model that never answers is cut off at the timeout: the rules decide, with the reason', async () => {
		const words = 'please call me back about my bathroom faucet';
		oai.reply({ match: chatWith(words), times: 5, hang: true });
		const { item, stored } = await call('+13125550172', words);
		expect(item.model).toEqual({ used: false, error: `model timed out after ${TIMEOUT_S} s` });
		expect(item.urgency).toBe('normal');
		expect(item.reasons[item.reasons.length - 1]).toBe(`model timed out after ${TIMEOUT_S} s: rules used`);
		await storedWhen(stored, 'the rules on the case', rulesOnCase);
	});

	test('a garbage answer is refused: the rules decide, with the reason', async () => {
		const words = 'please call me back about my shower drain';
		oai.reply({ match: chatWith(words), times: 5, content: 'I think this one is urgent, call them' });
		const { item, stored } = await call('+13125550173', words);
		expect(item.model?.used).toBe(false);
		// LangChain's structured output parser reads the answer first, so its error is the reason.
		expect(item.model?.error).toMatch(/^model failed \(.*"I think th.*is not valid JSON\)$/);
		expect(item.urgency).toBe('normal');
		const reason = item.reasons[item.reasons.length - 1];
		expect(reason).toBe(`${item.model?.error}: rules used`);
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
		const { item, stored } = await call('+13125550175', words);
		expect(item.model?.used).toBe(false);
		expect(item.model?.error).toMatch(/^model answer malformed \(urgency: /);
		expect(item.urgency).toBe('normal');
		const reason = item.reasons[item.reasons.length - 1];
		expect(reason).toBe(`${item.model?.error}: rules used`);
		await storedWhen(stored, 'the rules on the case', rulesOnCase);
	});

	test(`a transcript telling the model to answer low: a gas smell stays an emergency, and the words reached the \
model as data only`, async () => {
		oai.reply({ match: chatWith(GAS_WITH_INJECTION), times: 5, content: gullibleModel });
		const { item, stored } = await call('+13125550174', GAS_WITH_INJECTION);
		expect(item.urgency).toBe('emergency');
		expect(item.reasons.join('\n')).toMatch(/model suggested low: told to answer low; the rules' emergency stands/);
		await storedWhen(stored, 'the emergency on the case', (c) => c.urgency === 'emergency');
		const asked = oai.chats().filter(chatWith(GAS_WITH_INJECTION));
		expect(asked.length).toBeGreaterThan(0);
		for (const req of asked) expectWordsAsData(req, GAS_WITH_INJECTION);
	});

	test(`the API key is nowhere: not in n8n's files (database, executions), its log or the items`, async () => {
		const { files, leaking } = filesLeaking(dir, MODEL_KEY);
		expect(files.some((f) => f.endsWith('database.sqlite'))).toBe(true);
		expect(leaking).toEqual([]);
		expect(n8n.log()).not.toContain(MODEL_KEY);
		expect(seen.items.length).toBeGreaterThanOrEqual(5);
		expect(JSON.stringify(seen.items)).not.toContain(MODEL_KEY);
	});
});
