import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeOperationError } from 'n8n-workflow';
import { cases, normalize, openStore, type ModelAnswer, type RecoveryStore } from '../../core';
import { modelInputs, UrgencyClassifier } from '../../nodes/UrgencyClassifier/UrgencyClassifier.node';
import { E2E_PROFILE } from '../e2e/e2e-profile';
import { fakeContext } from './n8n-context';

type Tuples = [string, string][];

const ANSWER: ModelAnswer = {
	urgency: 'high',
	serviceType: 'drain',
	summary: 'Sink backing up in the kitchen',
	language: 'en',
	preferredCallbackTime: '2026-11-25T17:30:00-06:00',
	reasons: ['water backing up'],
};

describe('n8n Urgency Classifier with a Chat Model input', () => {
	let dir: string;
	let store: RecoveryStore;
	let creds: Record<string, Record<string, unknown>>;
	let seq = 0;

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-n8n-model-'));
		creds = {
			missedCallRecoveryWorkspaceApi: {
				storeType: 'sqlite',
				sqliteFile: join(dir, 'cases.db'),
				businesses: JSON.stringify(E2E_PROFILE),
			},
		};
		store = await openStore({ type: 'sqlite', file: join(dir, 'cases.db') });
	});
	afterAll(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	async function newCase(): Promise<string> {
		seq++;
		const n = normalize(
			'twilio',
			{
				CallSid: `CA${String(seq).padStart(32, '8')}`,
				From: `+1312555${String(5000 + seq)}`,
				To: '+13125550199',
				CallStatus: 'no-answer',
			},
			{ businessId: 'e2e-plumbing' },
		);
		if (n.kind !== 'missed-call') throw new Error(n.kind);
		return (await store.openOrJoinCase(n.event, (e) => e ?? cases.newCase(n.event, new Date().toISOString()))).case
			.caseId;
	}

	/** Runs the node on one item with `model` on its Chat Model input. */
	async function run(model: unknown, params: Record<string, unknown> = {}) {
		const caseId = await newCase();
		const { ctx } = fakeContext({
			params: {
				caseId: '',
				extraText: 'please call me back about my sink',
				useModel: true,
				modelTimeout: 8,
				...params,
			},
			credentials: creds,
			items: [{ json: { caseId } }],
		});
		const supplied: string[] = [];
		const withModel = {
			...(ctx as object),
			getInputConnectionData: async (type: string, index: number) => {
				supplied.push(`${type}:${index}`);
				if (model instanceof Error) throw model;
				return model;
			},
		};
		const out = await new UrgencyClassifier().execute.call(withModel as never);
		return { out, supplied, caseId };
	}

	test('the Chat Model input appears only when "Use a Chat Model" is on', () => {
		const inputs = new UrgencyClassifier().description.inputs as string;
		expect(inputs).toMatch(/^=\{\{.*\}\}$/s);
		// Evaluated the way n8n does: the source alone, with $parameter, no imports in reach.
		const evaluate = (useModel: unknown) =>
			new Function('$parameter', `return ${inputs.slice(3, -2)}`)({ useModel }) as unknown[];
		expect(evaluate(false)).toEqual(['main']);
		expect(evaluate(undefined)).toEqual(['main']);
		expect(evaluate(true)).toEqual([
			{ type: 'main' },
			{ type: 'ai_languageModel', displayName: 'Chat Model', maxConnections: 1, required: true },
		]);
		expect(evaluate(true)).toEqual(modelInputs(true));
	});

	test('structured output: the model gets the JSON schema and the messages, and raises the case to High', async () => {
		const calls: { schema: Record<string, unknown>; config: unknown; input: Tuples; signal?: AbortSignal }[] = [];
		const model = {
			invoke: jest.fn(),
			withStructuredOutput: (schema: Record<string, unknown>, config: unknown) => ({
				invoke: async (input: Tuples, o?: { signal?: AbortSignal }) => {
					calls.push({ schema, config, input, signal: o?.signal });
					return ANSWER;
				},
			}),
		};
		const { out, supplied, caseId } = await run(model);
		expect(supplied).toEqual(['ai_languageModel:0']);
		expect(out.map((o) => o.length)).toEqual([0, 1, 0, 0]);
		expect(out[1][0]).toMatchObject({
			pairedItem: { item: 0 },
			json: {
				caseId,
				urgency: 'high',
				serviceType: 'drain',
				summary: ANSWER.summary,
				language: 'en',
				preferredCallbackTime: ANSWER.preferredCallbackTime,
				model: { used: true },
			},
		});
		expect(model.invoke).not.toHaveBeenCalled();
		const [c] = calls;
		expect(c.config).toEqual({ name: 'missed_call_classification' });
		expect(c.schema).toMatchObject({
			title: 'missed_call_classification',
			type: 'object',
			additionalProperties: false,
		});
		expect(c.input.map(([role]) => role)).toEqual(['system', 'human']);
		expect(c.input[0][1]).not.toContain('sink');
		expect(c.input[1][1]).toContain('["please call me back about my sink"]');
		expect(c.signal).toBeInstanceOf(AbortSignal);
		expect((await store.getCase(caseId))!.urgency).toBe('high');
	});

	test('a model without structured output answers in JSON text, fenced or not', async () => {
		const model = {
			invoke: async () => ({ content: [{ type: 'text', text: '```json\n' + JSON.stringify(ANSWER) + '\n```' }] }),
		};
		const { out } = await run(model);
		expect(out[1][0].json).toMatchObject({ urgency: 'high', model: { used: true } });
	});

	test('withStructuredOutput that is not implemented falls back to a plain call', async () => {
		const model = {
			invoke: async () => ({ content: JSON.stringify({ ...ANSWER, urgency: 'emergency' }) }),
			withStructuredOutput: () => {
				throw new Error('withStructuredOutput is not implemented for this model');
			},
		};
		const { out } = await run(model);
		expect(out[0][0].json).toMatchObject({ urgency: 'emergency', model: { used: true } });
	});

	test('a model that fails or rambles leaves the rules, with the reason on the item', async () => {
		const failing = {
			invoke: async () => {
				throw new Error('429 Rate limit reached');
			},
		};
		const a = await run(failing);
		expect(a.out[2][0].json).toMatchObject({
			urgency: 'normal',
			model: { used: false, error: 'model failed (429 Rate limit reached)' },
		});
		const rambling = { invoke: async () => ({ content: 'It sounds urgent to me!' }) };
		const b = await run(rambling);
		expect(b.out[2][0].json.reasons).toContain('model answer is not JSON ("It sounds urgent to me!"): rules used');
	});

	test('a model slower than the timeout is cut off', async () => {
		const slow = {
			invoke: (_: unknown, o?: { signal?: AbortSignal }) =>
				new Promise((_r, reject) => o?.signal?.addEventListener('abort', () => reject(o.signal!.reason))),
		};
		const { out } = await run(slow, { modelTimeout: 1 });
		expect(out[2][0].json.model).toEqual({ used: false, error: 'model timed out after 1 s' });
	});

	test('no model on the input is an error that says what to connect; off means no model is asked', async () => {
		const err = await run(new Error('no connection')).catch((e) => e);
		expect(err).toBeInstanceOf(NodeOperationError);
		expect(err.message).toBe('No chat model is connected to the Chat Model input');
		expect(err.description).toMatch(/turn off 'Use a Chat Model'/);
		const off = await run(new Error('must not be asked'), { useModel: false });
		expect(off.supplied).toEqual([]);
		expect(off.out[2][0].json.model).toBeUndefined();
	});
});
