import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type RecoveryStore } from '../../core';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
import { E2E_PROFILE } from './e2e-profile';
import { playOwnerSide } from './owner-side';
import {
	caseState,
	filesLeaking,
	installTarball,
	localFlow,
	packOnce,
	runtimes,
	startNodeRed,
	waitFor,
	type Proc,
} from './harness';

const VERSIONS = [
	// Node 20 has no node:sqlite: the pack's optional better-sqlite3 is installed (built from source) there.
	{
		label: "Node-RED 4.x on the machine's Node",
		runtime: 'nodered4',
		bin: () => runtimes.paths().nodered4Bin,
		node: () => process.execPath,
		env: () => process.env,
		optional: true,
	},
	{
		label: 'Node-RED 5.x on Node 24',
		runtime: 'nodered5',
		bin: () => runtimes.paths().nodered5Bin,
		node: () => runtimes.paths().node24,
		env: () => runtimes.envFor24(),
		optional: false,
	},
];

describe.each(VERSIONS)(
	'inside real $label: the packed package, the quick-start flow deployed through the Admin API',
	(v) => {
		const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
		let dir: string;
		let red: Proc;
		let base: string;
		let hook: string;
		let store: RecoveryStore;
		const toCaller = (n: string) => sim.messages.filter((m) => m.to === n);
		/**
		 * A later call from a new caller, waited for until its acknowledgment arrives: the flow handled every request
		 * before it, so what an earlier one would have done (a case, a text) has had its turn. Never a fixed sleep.
		 */
		const laterCallAcknowledged = async (from: string) => {
			await sim.placeCall({ webhookUrl: hook, from, to: '+13125550199' });
			await waitFor(`the later call's acknowledgment to ${from}`, async () => toCaller(from)[0], 20000);
		};

		beforeAll(async () => {
			runtimes.install([v.runtime]);
			dir = mkdtempSync(join(tmpdir(), `mcr-${v.runtime}-`));
			const tarball = packOnce(join(tmpdir(), `mcr-pack-${process.pid}`));
			installTarball(dir, tarball, v.env(), { optional: v.optional });
			await sim.start();
			({ red, base } = await startNodeRed({ dir, node: v.node(), bin: v.bin(), env: v.env(), label: v.label }));
			hook = `${base}/missed-call`;
			// The nodes are in the palette with their help.
			const types = (await (await fetch(`${base}/nodes`, { headers: { accept: 'application/json' } })).json()) as {
				module: string;
				types: string[];
			}[];
			const mine = types
				.filter((t) => t.module === '@recovery-loop/n8n-nodes-missed-call-recovery')
				.flatMap((t) => t.types);
			expect(mine.sort()).toEqual([
				'mcr-acknowledge',
				'mcr-assistant',
				'mcr-business',
				'mcr-model',
				'mcr-store',
				'mcr-twilio-account',
				'missed-call-trigger',
				'owner-router',
				'recovery-overdue',
				'recovery-tracker',
				'urgency-classifier',
			]);
			// Deploy the example flow, with this run's credentials and store.
			const flow = localFlow('quick-start-text-back', {
				simUrl: sim.url,
				account: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
				profile: E2E_PROFILE,
				each: (n) => {
					if (n.type === 'recovery-overdue') n.intervalSeconds = 5;
					// Twilio reports each text's delivery to the trigger.
					if (n.type === 'mcr-twilio-account') n.statusCallbackUrl = hook;
				},
			});
			const deploy = await fetch(`${base}/flows`, {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					'node-red-deployment-type': 'full',
					'node-red-api-version': 'v2',
				},
				body: JSON.stringify({ flows: flow }),
			});
			expect(deploy.status).toBe(200);
			await waitFor(
				'the trigger route',
				async () => (await fetch(hook, { method: 'POST' })).status === 403,
				30000,
				300,
			);
			store = await openStore({ type: 'sqlite', file: join(dir, 'cases.db') });
		}, 600000);

		afterAll(async () => {
			await store?.close();
			await red?.stop();
			await sim.stop();
			if (dir) rmSync(dir, { recursive: true, force: true });
		});

		test('the example flow is offered under Import > Examples', async () => {
			const r = await fetch(
				`${base}/library/examples/flows/@recovery-loop/n8n-nodes-missed-call-recovery/quick-start-text-back`,
			);
			expect(r.status).toBe(200);
			expect(JSON.stringify(await r.json())).toContain('missed-call-trigger');
		});

		test(`a missed call: TwiML, the acknowledgment at Twilio, the stored case with urgency, owner \
and deadline`, async () => {
			const r = await sim.placeCall({
				webhookUrl: hook,
				from: '+13125550123',
				to: '+13125550199',
				say: 'water everywhere in the basement',
			});
			expect(r.exchanges[0].status).toBe(200);
			expect(r.exchanges[0].body).toMatch(
				/<Dial action="http:\/\/127\.0\.0\.1:\d+\/missed-call\?step=dial"[^>]*><Number>\+13125550101<\/Number><\/Dial>/,
			);
			expect(r.exchanges[1].body).toMatch(/<Record action="[^"]+step=record"/);
			const ack = await waitFor('the acknowledgment', async () => toCaller('+13125550123')[0], 20000);
			expect(ack.body).toContain('E2E Plumbing');
			const c = await waitFor(
				'the routed emergency',
				async () => {
					const x = await store.findOpenCase('e2e-plumbing', '+13125550123');
					return x?.owner && x.urgency === 'emergency' ? x : undefined;
				},
				20000,
			);
			expect(c).toMatchObject({ serviceType: 'leak', ack: { status: 'sent' } });
			expect(c.dueAt).toBeTruthy();
			await waitFor(
				'the owner alert',
				async () => sim.messages.find((m) => m.to === c.owner!.phone && m.body.includes('EMERGENCY')),
				20000,
			);
		});

		test('a text that never arrives: Twilio reports it to the trigger and the case is flagged', async () => {
			sim.undeliver('+13125550190', 30034);
			await sim.placeCall({ webhookUrl: hook, from: '+13125550190', to: '+13125550199' });
			const ack = await waitFor('the acknowledgment', async () => toCaller('+13125550190')[0], 20000);
			expect(ack.statusCallback).toBe(hook);
			const c = await waitFor(
				'the flag',
				async () => {
					const x = await store.findOpenCase('e2e-plumbing', '+13125550190');
					return x?.flags.includes('message-undelivered') ? x : undefined;
				},
				20000,
			);
			expect(c.ack.status).toBe('sent');
		});

		test('a forged signature is refused with 403 and opens no case', async () => {
			const before = await store.countCases();
			const r = await sim.placeCall({
				webhookUrl: hook,
				from: '+13125550124',
				to: '+13125550199',
				signWith: 'forged-token',
			});
			expect(r.exchanges[0].status).toBe(403);
			await laterCallAcknowledged('+13125550126');
			expect(await store.countCases()).toBe(before + 1);
			expect(await store.listCases({ caller: '+13125550124' })).toEqual([]);
			expect(toCaller('+13125550124')).toEqual([]);
		});

		test('a duplicate delivery sends no second text', async () => {
			await sim.placeCall({ webhookUrl: hook, from: '+13125550125', to: '+13125550199', deliverTwice: true });
			await waitFor('the acknowledgment', async () => toCaller('+13125550125')[0], 20000);
			await laterCallAcknowledged('+13125550127');
			expect(toCaller('+13125550125')).toHaveLength(1);
			expect(await store.listCases({ caller: '+13125550125' })).toHaveLength(1);
		});

		test('STOP is honoured', async () => {
			const stop = await sim.sendSms(hook, '+13125550123', '+13125550199', 'stop');
			expect(stop.body).toMatch(/<Message>You have been unsubscribed from E2E Plumbing/);
			expect(await store.isOptedOut('e2e-plumbing', '+13125550123')).toBe(true);
			const open = (await store.findOpenCase('e2e-plumbing', '+13125550123'))!;
			await store.saveCase({ ...open, state: 'lost', outcome: { kind: 'opted-out' } });
			const before = toCaller('+13125550123').length;
			await sim.placeCall({ webhookUrl: hook, from: '+13125550123', to: '+13125550199' });
			const next = await waitFor(
				'the skipped acknowledgment',
				async () => {
					const c = await store.findOpenCase('e2e-plumbing', '+13125550123');
					return c?.ack.status === 'skipped' ? c : undefined;
				},
				20000,
			);
			expect(next.ack.reason).toMatch(/^opted-out/);
			expect(toCaller('+13125550123')).toHaveLength(before);
		});

		test('an overdue case is emitted and escalated', async () => {
			const c = (await store.listCases({ caller: '+13125550125' }))[0];
			const escalated = await waitFor(
				'the escalation',
				async () => {
					const x = await store.getCase(c.caseId);
					return x && x.escalationLevel >= 1 ? x : undefined;
				},
				90000,
				1000,
			);
			expect(escalated.owner?.id).not.toBe(c.owner!.id);
			await waitFor(
				'the escalation text',
				async () => sim.messages.find((m) => m.to === escalated.owner!.phone && m.body.includes(c.caseId.slice(0, 8))),
				20000,
			);
		}, 120000);

		test(`an emergency over its whole ladder: the safety step once, one text per level, a reminder, \
no repeats`, async () => {
			const caller = '+13125550149';
			await sim.placeCall({ webhookUrl: hook, from: caller, to: '+13125550199', say: 'I smell gas in the kitchen' });
			const step = await waitFor(
				'the safety step to the caller',
				async () => toCaller(caller).find((m) => m.body.includes('smell gas, leave now')),
				20000,
			);
			expect(step.body).toContain('E2E Plumbing');
			// Emergency deadlines are 12 s here: level 1, level 2, then the spent ladder's first reminder.
			const c = await waitFor(
				'the first reminder',
				async () => {
					const x = (await store.listCases({ caller }))[0];
					return x?.alerts.some((a) => a.kind === 'reminder' && a.status === 'sent') ? x : undefined;
				},
				90000,
				1000,
				async () => caseState((await store.listCases({ caller }))[0], red.log()),
			);
			// A later case escalating is the sign that several more ticks ran over the first one.
			const marker = '+13125550150';
			await sim.placeCall({ webhookUrl: hook, from: marker, to: '+13125550199', say: 'sparks from the outlet' });
			await waitFor(
				'a later case escalated',
				async () => ((await store.listCases({ caller: marker }))[0]?.escalationLevel ?? 0) >= 1,
				60000,
				1000,
				async () => caseState((await store.listCases({ caller: marker }))[0], red.log()),
			);
			const now = (await store.getCase(c.caseId))!;
			const sent = now.alerts.filter((a) => a.status === 'sent');
			// The ladder is Ben then Ana: a case Ben owned first skips his own rung.
			const first = sent.find((a) => a.kind === 'new-case')!.ownerId;
			const levels = E2E_PROFILE.routing.escalation.filter((id, i) => i > 0 || id !== first).length;
			const escalations = Array.from({ length: levels }, () => 'escalation');
			// An emergency update only when the first alert went out before the transcript made it one (a race here).
			expect(sent.filter((a) => a.kind === 'emergency').length).toBeLessThanOrEqual(1);
			const rest = sent.filter((a) => a.kind !== 'emergency').map((a) => a.kind);
			expect(rest.sort()).toEqual([...escalations, 'new-case', 'reminder']);
			// Owners' texts only: a caller's acknowledgment may carry the whole case id in a booking link.
			const texts = sim.messages.filter((m) => m.to !== caller && m.body.includes(c.caseId.slice(0, 8)));
			expect(texts).toHaveLength(sent.length);
			expect(toCaller(caller).filter((m) => m.body.includes('smell gas'))).toHaveLength(1);
			expect(now.nextReminderAt).toBeTruthy();
		}, 200000);

		test('the owner acts from the text and the case page: 1, the thread, CALL, STOP, Booked', async () => {
			await playOwnerSide({
				sim,
				hook,
				store,
				business: '+13125550199',
				caller: '+13125550161',
				screenshot: v.runtime,
				authToken: AUTH_TOKEN,
			});
		}, 120000);

		test('the recovery report page is served', async () => {
			const r = await fetch(`${base}/recovery-report?business=e2e-plumbing&days=1`);
			expect(r.status).toBe(200);
			expect(r.headers.get('content-type')).toMatch(/text\/html/);
			const html = await r.text();
			expect(html).toContain('E2E Plumbing: missed call recovery');
			expect(html).toMatch(/data-score="[1-5]"/);
		});

		test(`after the run the Auth Token is nowhere: not in the exported flow, the files on disk, the store, the \
log or the texts`, async () => {
			// What an agency exports and shares: the Admin API's flows and the editor's export (same JSON).
			const exported = await (await fetch(`${base}/flows`, { headers: { 'node-red-api-version': 'v2' } })).text();
			expect(exported).toContain('mcr-twilio-account');
			expect(exported).not.toContain(AUTH_TOKEN);
			const { files, leaking } = filesLeaking(dir, AUTH_TOKEN);
			expect(files.some((f) => f.endsWith('flows_cred.json'))).toBe(true);
			expect(leaking).toEqual([]);
			expect(red.log()).toContain('Started flows');
			expect(red.log()).not.toContain(AUTH_TOKEN);
			expect(JSON.stringify(sim.messages)).not.toContain(AUTH_TOKEN);
		});
	},
);
