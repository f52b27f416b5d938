import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cases, fallbackText, normalize, openStore, parseProfile, type RecoveryStore } from '../../core';
import { assistantInputs, CallerAssistant } from '../../nodes/CallerAssistant/CallerAssistant.node';
import { TwilioSim } from '../../sim/twilio-server';
import { E2E_PROFILE } from '../e2e/e2e-profile';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
import { fakeContext } from './n8n-context';

/**
 * The n8n SMS Assistant node as an AI Agent's tools, on its own (the e2e suite runs it inside real n8n): its inputs
 * follow the operation, the brief says whether a reply may go, and Send Reply is held to the pack's guards.
 */
const PROFILE = { ...E2E_PROFILE, assistant: { enabled: true } };
const FALLBACK = fallbackText(parseProfile(PROFILE));

describe('n8n SMS Assistant: Get Conversation Brief and Send Reply', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	let dir: string;
	let store: RecoveryStore;
	let creds: Record<string, Record<string, unknown>>;
	let seq = 0;

	beforeAll(async () => {
		await sim.start();
		dir = mkdtempSync(join(tmpdir(), 'mcr-n8n-assistant-'));
		creds = {
			missedCallRecoveryWorkspaceApi: {
				storeType: 'sqlite',
				sqliteFile: join(dir, 'cases.db'),
				businesses: JSON.stringify(PROFILE),
			},
			missedCallRecoveryTwilioApi: {
				accountSid: ACCOUNT_SID,
				authType: 'authToken',
				authToken: AUTH_TOKEN,
				apiBaseUrl: sim.url,
			},
		};
		store = await openStore({ type: 'sqlite', file: join(dir, 'cases.db') });
	});
	afterAll(async () => {
		await store.close();
		await sim.stop();
		rmSync(dir, { recursive: true, force: true });
	});

	/** A case whose caller has texted `reply` (or nothing yet). */
	async function caseWith(reply?: string): Promise<{ caseId: string; caller: string }> {
		seq++;
		const caller = `+1312555${String(6000 + seq)}`;
		const n = normalize(
			'twilio',
			{ CallSid: `CA${String(seq).padStart(32, '6')}`, From: caller, To: '+13125550199', CallStatus: 'no-answer' },
			{ businessId: 'e2e-plumbing' },
		);
		if (n.kind !== 'missed-call') throw new Error(n.kind);
		const at = new Date().toISOString();
		let c = (await store.openOrJoinCase(n.event, (e) => e ?? cases.newCase(n.event, at))).case;
		if (reply) {
			c = await store.saveCase(cases.recordReply(c, reply, `reply-${seq}`, at), { previous: c });
		}
		return { caseId: c.caseId, caller };
	}

	async function run(operation: string, caseId: string, params: Record<string, unknown> = {}) {
		const { ctx } = fakeContext({
			params: { operation, caseId: '', ...params },
			credentials: creds,
			items: [{ json: { caseId } }],
		});
		const [out] = await new CallerAssistant().execute.call(ctx as never);
		return out[0].json as Record<string, unknown>;
	}

	test('the Chat Model input shows for Reply with Chat Model only', () => {
		const inputs = new CallerAssistant().description.inputs as string;
		const evaluate = (operation: unknown) =>
			new Function('$parameter', `return ${inputs.slice(3, -2)}`)({ operation }) as unknown[];
		expect(evaluate('brief')).toEqual(['main']);
		expect(evaluate('send')).toEqual(['main']);
		expect(evaluate('reply')).toEqual(assistantInputs('reply'));
		expect(evaluate('reply')).toContainEqual(expect.objectContaining({ type: 'ai_languageModel', required: true }));
		expect(new CallerAssistant().description.usableAsTool).toBe(true);
	});

	test('the brief: nothing to answer before the caller writes, then the facts, questions and words', async () => {
		const quiet = await caseWith();
		expect(await run('brief', quiet.caseId)).toMatchObject({ mayReply: false, reason: 'no new text from the caller' });
		const c = await caseWith('My basement drain is backing up a little');
		const brief = await run('brief', c.caseId);
		expect(brief).toMatchObject({
			mayReply: true,
			plan: 'reply',
			openQuestions: ['whatHappened', 'address', 'bestTime'],
		});
		expect(brief.conversation).toEqual([{ from: 'caller', text: 'My basement drain is backing up a little' }]);
		expect(sim.messages.filter((m) => m.to === c.caller)).toEqual([]);
	});

	test('Send Reply: a plain reply goes with its intake answer; a price the agent made up is replaced', async () => {
		const c = await caseWith('The kitchen faucet drips');
		const sent = await run('send', c.caseId, {
			reply: 'Thanks. What is the ZIP code of the job?',
			intake: '{"whatHappened": "kitchen faucet drips"}',
			handoff: false,
			handoffReason: '',
		});
		expect(sent).toMatchObject({ action: 'replied', intake: { whatHappened: 'kitchen faucet drips' } });
		expect(sim.messages.filter((m) => m.to === c.caller).map((m) => m.body)).toEqual([
			'E2E Plumbing: Thanks. What is the ZIP code of the job?',
		]);

		const d = await caseWith('How much for a new faucet?');
		const priced = await run('send', d.caseId, { reply: 'A new faucet is $240 installed.', intake: '' });
		expect(priced).toMatchObject({ action: 'replied', refused: expect.stringMatching(/amount/) });
		expect(sim.messages.filter((m) => m.to === d.caller).map((m) => m.body)).toEqual([FALLBACK]);
	});
});
