import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeOperationError, type INodeExecutionData } from 'n8n-workflow';
import { openStore, signTwilioRequest, type Case, type RecoveryStore } from '../../core';
import { Acknowledge } from '../../nodes/Acknowledge/Acknowledge.node';
import { MissedCallTrigger } from '../../nodes/MissedCallTrigger/MissedCallTrigger.node';
import { OwnerRouter } from '../../nodes/OwnerRouter/OwnerRouter.node';
import { RecoveryOverdueTrigger } from '../../nodes/RecoveryOverdueTrigger/RecoveryOverdueTrigger.node';
import { RecoveryTracker } from '../../nodes/RecoveryTracker/RecoveryTracker.node';
import { UrgencyClassifier } from '../../nodes/UrgencyClassifier/UrgencyClassifier.node';
import { TwilioSim } from '../../sim/twilio-server';
import { E2E_PROFILE } from '../e2e/e2e-profile';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
import { fakeContext } from './n8n-context';
import { CREDENTIAL_TTL_MS, credentialsOf, forgetCredentials } from '../../nodes/shared/n8n';

const WEBHOOK = 'https://n8n.example.com/webhook/abc/missed-call';
type Credentials = Record<string, Record<string, unknown>>;

describe('n8n nodes, each with its real code over a real store and the local Twilio-compatible server', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	let dir: string;
	let creds: Credentials;
	let store: RecoveryStore;

	beforeAll(async () => {
		await sim.start();
		dir = mkdtempSync(join(tmpdir(), 'mcr-n8n-unit-'));
		creds = {
			missedCallRecoveryWorkspaceApi: {
				storeType: 'sqlite',
				sqliteFile: join(dir, 'cases.db'),
				businesses: JSON.stringify(E2E_PROFILE),
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

	interface PostOptions {
		query?: string;
		token?: string;
		nodeParams?: Record<string, unknown>;
		credentials?: Credentials;
	}

	async function post(params: Record<string, string>, opts: PostOptions = {}) {
		const url = `${WEBHOOK}${opts.query ?? ''}`;
		const { ctx, response } = fakeContext({
			params: {
				provider: 'twilio',
				mode: 'forward',
				voicemail: true,
				validateSignature: true,
				options: {},
				...opts.nodeParams,
			},
			credentials: opts.credentials ?? creds,
			webhookUrl: WEBHOOK,
			request: {
				body: params,
				headers: { 'x-twilio-signature': signTwilioRequest(opts.token ?? AUTH_TOKEN, url, params) },
				originalUrl: `/webhook/abc/missed-call${opts.query ?? ''}`,
			},
		});
		const out = await new MissedCallTrigger().webhook.call(ctx);
		return { out, response };
	}

	const call = (sid: string, from: string) => ({
		AccountSid: ACCOUNT_SID,
		CallSid: sid,
		From: from,
		To: '+13125550199',
		Direction: 'inbound',
	});

	// Each test makes its own callers and calls, so any one of them passes alone (npx jest -t '<name>').
	let seq = 0;
	/** A caller no other test uses (555-0140 and up; the fixed ones below 0140 belong to the trigger tests). */
	function newCaller(): { from: string; sid: string } {
		seq++;
		return { from: `+131255501${40 + seq}`, sid: `CA${String(seq).padStart(32, 'f')}` };
	}

	/** A missed call from a new caller, detected through the trigger: the case it opened. */
	async function missedCall(credentials = creds, into = store): Promise<Case> {
		const { from, sid } = newCaller();
		await post({ ...call(sid, from), DialCallStatus: 'no-answer' }, { query: '?step=dial', credentials });
		const c = await into.findOpenCase('e2e-plumbing', from);
		if (!c) throw new Error(`the trigger opened no case for ${from}`);
		return c;
	}

	/** A workspace with a SQLite file of its own, for a test whose counts cover every case in the store. */
	async function ownWorkspace(name: string): Promise<{ creds: Credentials; store: RecoveryStore }> {
		const file = join(dir, `${name}.db`);
		const own = {
			...creds,
			missedCallRecoveryWorkspaceApi: { ...creds.missedCallRecoveryWorkspaceApi, sqliteFile: file },
		};
		return { creds: own, store: await openStore({ type: 'sqlite', file }) };
	}

	test('trigger: the first request is answered with a Dial to the business, and starts nothing', async () => {
		const { out, response } = await post({ ...call('CA' + '1'.repeat(32), '+13125550123'), CallStatus: 'ringing' });
		expect(response.statusCode).toBe(200);
		expect(response.contentType).toMatch(/text\/xml/);
		expect(response.body).toContain('<Number>+13125550101</Number>');
		expect(response.body).toContain(`action="${WEBHOOK}?step=dial"`);
		expect(out.workflowData).toBeUndefined();
	});

	test(`trigger: the missed Dial result is stored, answered with voicemail and emitted on the Missed \
Call output`, async () => {
		const { out, response } = await post(
			{ ...call('CA' + '1'.repeat(32), '+13125550123'), DialCallStatus: 'no-answer' },
			{ query: '?step=dial' },
		);
		expect(response.body).toContain('<Record');
		const items = out.workflowData!;
		expect(items.map((o) => o.length)).toEqual([1, 0, 0, 0]);
		expect(items[0][0].json).toMatchObject({
			type: 'missed-call',
			created: true,
			event: { from: '+13125550123', reason: 'no-answer' },
		});
		expect(await store.getCase(items[0][0].json.caseId as string)).toBeTruthy();
		const again = await post(
			{ ...call('CA' + '1'.repeat(32), '+13125550123'), DialCallStatus: 'no-answer' },
			{ query: '?step=dial' },
		);
		expect(again.out.workflowData).toBeUndefined();
	});

	test('trigger: a forged request gets 403 and no execution; a public URL override is what is checked', async () => {
		const forged = await post(
			{ ...call('CA' + '2'.repeat(32), '+13125550124'), DialCallStatus: 'busy' },
			{ token: 'forged' },
		);
		expect(forged.response.statusCode).toBe(403);
		expect(forged.out.workflowData).toBeUndefined();
		const params = { ...call('CA' + '3'.repeat(32), '+13125550124'), DialCallStatus: 'busy' };
		const { ctx, response } = fakeContext({
			params: {
				provider: 'twilio',
				mode: 'forward',
				voicemail: false,
				validateSignature: true,
				options: { publicUrl: 'https://public.example.org' },
			},
			credentials: creds,
			webhookUrl: 'http://10.0.0.5:5678/webhook/abc/missed-call',
			request: {
				body: params,
				headers: {
					'x-twilio-signature': signTwilioRequest(
						AUTH_TOKEN,
						'https://public.example.org/webhook/abc/missed-call',
						params,
					),
				},
				originalUrl: '/webhook/abc/missed-call',
			},
		});
		const out = await new MissedCallTrigger().webhook.call(ctx);
		expect(response.statusCode).toBe(200);
		expect(out.workflowData![0]).toHaveLength(1);
	});

	test(`the stages: acknowledge, classify onto the urgency output, route with an owner alert, keeping \
pairedItem`, async () => {
		const c = await missedCall();
		const items = [{ json: { caseId: c.caseId, other: 'kept' } }];
		const { ack, k, r } = await stages(items);
		expect(ack[0][0]).toMatchObject({
			json: { other: 'kept', acknowledgment: { status: 'sent' } },
			pairedItem: { item: 0 },
		});
		expect(sim.messages.filter((m) => m.to === c.caller)).toHaveLength(1);
		expect(k.map((o) => o.length)).toEqual([1, 0, 0, 0]);
		expect(k[0][0].json).toMatchObject({ urgency: 'emergency', serviceType: 'leak' });
		expect(r[0][0].json).toMatchObject({
			routing: { kind: 'assigned' },
			ownerAlert: { messageSid: expect.stringMatching(/^SM/) },
		});
	});

	/** Acknowledge, classify ("there is a burst pipe": an emergency leak) and route the items' cases. */
	async function stages(items: INodeExecutionData[], credentials = creds) {
		// Case ID left empty (the default): each node reads the item's caseId, with no expression to evaluate.
		const params = (name: string) =>
			(({ caseId: '', force: false, extraText: 'there is a burst pipe', alertOwner: true }) as Record<string, unknown>)[
				name
			];
		const ack = await new Acknowledge().execute.call(fakeContext({ params, credentials, items }).ctx);
		const k = await new UrgencyClassifier().execute.call(fakeContext({ params, credentials, items }).ctx);
		const r = await new OwnerRouter().execute.call(fakeContext({ params, credentials, items }).ctx);
		return { ack, k, r };
	}

	test('tracker: attempt, outcome, get, metrics and the report', async () => {
		// A store of its own: the metrics and the scorecard count this test's one case and nothing else.
		const own = await ownWorkspace('tracker');
		try {
			await trackOneCase(own.creds, own.store);
		} finally {
			await own.store.close();
		}
	});

	async function trackOneCase(credentials: Credentials, ownStore: RecoveryStore) {
		const c = await missedCall(credentials, ownStore);
		await stages([{ json: { caseId: c.caseId } }], credentials);
		const run = (params: Record<string, unknown>) =>
			new RecoveryTracker().execute.call(fakeContext({ params: { caseId: c.caseId, ...params }, credentials }).ctx);
		expect(
			(await run({ operation: 'attempt', channel: 'call', result: 'reached', by: 'ana', note: '' }))[0][0].json,
		).toMatchObject({ case: { state: 'contacted' } });
		expect((await run({ operation: 'outcome', outcome: 'booked', value: 420, note: '' }))[0][0].json).toMatchObject({
			case: { state: 'recovered', outcome: { kind: 'booked', value: 420 } },
		});
		expect((await run({ operation: 'get' }))[0][0].json).toMatchObject({ caseId: c.caseId });
		const m = (await run({ operation: 'metrics', businessId: 'e2e-plumbing', days: 1 }))[0][0].json as {
			metrics: { funnel: { recovered: number } };
		};
		expect(m.metrics.funnel.recovered).toBe(1);
		const rep = (await run({ operation: 'report', businessId: 'e2e-plumbing', days: 1 }))[0][0].json as {
			html: string;
			score: number;
			checks: { name: string; status: string }[];
		};
		expect(rep.html).toContain('E2E Plumbing: missed call recovery');
		// The one case was detected at once, texted, classified, owned, reached within its deadline and booked: every
		// check passes, and five passes are a 5.
		expect(rep.checks.map((x) => [x.name, x.status])).toEqual(
			['Detection', 'Acknowledgment', 'Urgency', 'Ownership', 'Loop'].map((n) => [n, 'pass']),
		);
		expect(rep.score).toBe(5);
	}

	test('errors name what to fix; continue on fail turns them into items', async () => {
		const bad = fakeContext({ params: { caseId: 'no-such-case', force: false }, credentials: creds });
		const err = await new Acknowledge().execute.call(bad.ctx).catch((e) => e);
		expect(err).toBeInstanceOf(NodeOperationError);
		expect(err.message).toMatch(/caseId is "no-such-case"\. No case has this id/);
		const soft = await new Acknowledge().execute.call(
			fakeContext({ params: { caseId: 'no-such-case' }, credentials: creds, continueOnFail: true }).ctx,
		);
		expect(soft[0][0].json.error).toMatch(/No case has this id/);
		const noCred = await new UrgencyClassifier().execute
			.call(fakeContext({ params: { caseId: 'x' }, credentials: {} }).ctx)
			.catch((e) => e);
		expect(noCred.message).toMatch(/needs a Missed Call Recovery Workspace credential/);
		const badProfile = await new UrgencyClassifier().execute
			.call(
				fakeContext({
					params: { caseId: 'x' },
					credentials: {
						missedCallRecoveryWorkspaceApi: {
							...creds.missedCallRecoveryWorkspaceApi,
							businesses: '{"businessId":"b","name":"B","timeZone":"Nowhere/City"}',
						},
					},
				}).ctx,
			)
			.catch((e) => e);
		expect(badProfile.message).toMatch(/timeZone is "Nowhere\/City"\. Expected an IANA time zone/);
		const empty = await new OwnerRouter().execute
			.call(fakeContext({ params: { caseId: '' }, credentials: creds }).ctx)
			.catch((e) => e);
		expect(empty.message).toBe('No case ID: the incoming item has no caseId and Case ID is empty');
	});

	test('a Twilio failure on the owner alert is reported on the item without the token', async () => {
		const c = await missedCall();
		const wrong = {
			...creds,
			missedCallRecoveryTwilioApi: { ...creds.missedCallRecoveryTwilioApi, authToken: 'wrong-token-abc' },
		};
		const routed = await new OwnerRouter().execute.call(
			fakeContext({ params: { caseId: c.caseId, alertOwner: true }, credentials: wrong }).ctx,
		);
		expect(JSON.stringify(routed)).not.toContain('wrong-token-abc');
		expect(routed[0][0].json.ownerAlert).toMatchObject({ error: expect.stringMatching(/error 20003/) });
	});

	test('overdue trigger: nothing to do returns null; an overdue case is escalated and emitted', async () => {
		// A store of its own: "nothing to do" means no other test's case has come due meanwhile.
		const own = await ownWorkspace('overdue');
		try {
			await escalateOneCase(own.creds, own.store);
		} finally {
			await own.store.close();
		}
	});

	async function escalateOneCase(credentials: Credentials, ownStore: RecoveryStore) {
		const poll = (params: Record<string, unknown>) =>
			new RecoveryOverdueTrigger().poll.call(
				fakeContext({
					params: { businessId: '', escalate: true, alertOwner: true, sendDeferred: true, limit: 100, ...params },
					credentials,
				}).ctx,
			);
		expect(await poll({})).toBeNull();
		const { caseId } = await missedCall(credentials, ownStore);
		// Routed with its owner alert sent, so the overdue poll's one duty left is the escalation.
		await new OwnerRouter().execute.call(fakeContext({ params: { caseId, alertOwner: true }, credentials }).ctx);
		const routed = (await ownStore.getCase(caseId))!;
		await ownStore.saveCase({ ...routed, dueAt: new Date(Date.now() - 60000).toISOString() });
		// "Fetch Test Event" in the editor shows what a poll would do, and sends and changes nothing.
		const texts = sim.messages.length;
		const preview = await new RecoveryOverdueTrigger().poll.call(
			fakeContext({
				params: { businessId: '', escalate: true, alertOwner: true, sendDeferred: true, limit: 100 },
				credentials,
				mode: 'manual',
			}).ctx,
		);
		expect(preview![0].map((i) => [i.json.caseId, i.json.action])).toEqual([[caseId, 'escalated']]);
		expect(sim.messages.length).toBe(texts);
		expect((await ownStore.getCase(caseId))!.escalationLevel).toBe(0);
		const out = await poll({});
		expect(out![0].map((i) => [i.json.caseId, i.json.escalationLevel])).toEqual([[caseId, 1]]);
		expect(await poll({})).toBeNull();
	}

	test(`trigger: "Set Up the Number for Me" points the number at the webhook on activation and restores it on \
deactivation`, async () => {
		const pn = sim.addNumber('+13125550199', {
			voiceUrl: 'https://old.example/voice',
			smsUrl: 'https://old.example/sms',
		});
		const staticData: Record<string, unknown> = {};
		const hook = () =>
			fakeContext({
				params: { provider: 'twilio', configureNumber: true, phoneNumber: '+13125550199', mode: 'forward' },
				credentials: creds,
				webhookUrl: WEBHOOK,
				staticData,
			}).ctx;
		const methods = new MissedCallTrigger().webhookMethods.default;
		expect(await methods.checkExists.call(hook())).toBe(false);
		await methods.create.call(hook());
		expect(sim.numbers.get(pn)).toMatchObject({ voice_url: WEBHOOK, sms_url: WEBHOOK });
		expect(await methods.checkExists.call(hook())).toBe(true);
		await methods.delete.call(hook());
		expect(sim.numbers.get(pn)).toMatchObject({
			voice_url: 'https://old.example/voice',
			sms_url: 'https://old.example/sms',
		});
		const off = fakeContext({ params: { provider: 'twilio', configureNumber: false }, credentials: creds }).ctx;
		expect(await methods.checkExists.call(off)).toBe(true);
		const missing = fakeContext({
			params: { provider: 'twilio', configureNumber: true, phoneNumber: '+13125550100', mode: 'forward' },
			credentials: creds,
			webhookUrl: WEBHOOK,
			staticData: {},
		}).ctx;
		await expect(methods.create.call(missing)).rejects.toThrow(/The Twilio account has no number \+13125550100/);
	});

	test.each([
		['/webhook-test/abc/missed-call', '8'],
		// N8N_ENDPOINT_WEBHOOK_TEST renames the test endpoint: no fixed '/webhook-test/' to swap in.
		['/hook-test/abc/missed-call', '6'],
	])(
		"trigger: in the editor's test mode the signature is checked against the URL Twilio called, %s",
		async (route, digit) => {
			const params = { ...call('CA' + digit.repeat(32), `+1312555012${digit}`), DialCallStatus: 'busy' };
			const testUrl = `https://n8n.example.com${route}`;
			const { ctx, response } = fakeContext({
				params: { provider: 'twilio', mode: 'forward', voicemail: false, validateSignature: true, options: {} },
				credentials: creds,
				webhookUrl: WEBHOOK,
				mode: 'manual',
				request: {
					body: params,
					headers: { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, testUrl, params) },
					originalUrl: route,
				},
			});
			const out = await new MissedCallTrigger().webhook.call(ctx);
			expect(response.statusCode).toBe(200);
			expect(out.workflowData![0]).toHaveLength(1);
		},
	);

	test('trigger: a production call is checked against the production URL whatever path it arrived on', async () => {
		const params = { ...call('CA' + '7'.repeat(32), '+13125550128'), DialCallStatus: 'busy' };
		const forged = 'https://n8n.example.com/webhook-test/abc/missed-call';
		const { ctx, response } = fakeContext({
			params: { provider: 'twilio', mode: 'forward', voicemail: false, validateSignature: true, options: {} },
			credentials: creds,
			webhookUrl: WEBHOOK,
			mode: 'webhook',
			request: {
				body: params,
				headers: { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, forged, params) },
				originalUrl: '/webhook-test/abc/missed-call',
			},
		});
		await new MissedCallTrigger().webhook.call(ctx);
		expect(response.statusCode).toBe(403);
	});
});

describe('credentials kept for a short while', () => {
	function ctxWith(mode: string, workflowId: string, reads: { n: number }, value: () => string) {
		return {
			getNode: () => ({ credentials: { missedCallRecoveryTwilioApi: { id: 'cred1', name: 'Twilio' } } }),
			getWorkflow: () => ({ id: workflowId }),
			getMode: () => mode,
			getCredentials: async () => {
				reads.n++;
				return { authToken: value() };
			},
		} as never;
	}

	test(`one read per workflow and credential within the time; manual runs, other workflows and activation \
read afresh`, async () => {
		jest.useFakeTimers({
			now: Date.parse('2026-11-26T12:00:00Z'),
			doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
		});
		try {
			forgetCredentials();
			let token = 'first';
			const reads = { n: 0 };
			const live = ctxWith('webhook', 'wf1', reads, () => token);
			expect((await credentialsOf(live, 'missedCallRecoveryTwilioApi')).authToken).toBe('first');
			token = 'second';
			expect((await credentialsOf(live, 'missedCallRecoveryTwilioApi')).authToken).toBe('first');
			expect(reads.n).toBe(1);
			// The editor's manual runs always see the credential as it is now.
			expect(
				(
					await credentialsOf(
						ctxWith('manual', 'wf1', reads, () => token),
						'missedCallRecoveryTwilioApi',
					)
				).authToken,
			).toBe('second');
			// Another workflow has its own entry (its own permission check).
			expect(
				(
					await credentialsOf(
						ctxWith('webhook', 'wf2', reads, () => token),
						'missedCallRecoveryTwilioApi',
					)
				).authToken,
			).toBe('second');
			expect(reads.n).toBe(3);
			jest.setSystemTime(Date.now() + CREDENTIAL_TTL_MS + 1);
			expect((await credentialsOf(live, 'missedCallRecoveryTwilioApi')).authToken).toBe('second');
			token = 'third';
			forgetCredentials();
			expect((await credentialsOf(live, 'missedCallRecoveryTwilioApi')).authToken).toBe('third');
			expect(reads.n).toBe(5);
		} finally {
			jest.useRealTimers();
		}
	});
});
