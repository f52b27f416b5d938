import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type RecoveryStore } from '../../core';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
import { dropSchema, PG_URL, requirePostgres, uniqueSchema } from '../helpers/postgres';
import { E2E_PROFILE } from './e2e-profile';
import { installTarball, localFlow, packOnce, runtimes, startNodeRed, waitFor, type Proc } from './harness';

const CALLS = 1000;
const CALLERS = 300;

/**
 * Two Node-RED 5 instances behind one webhook address, sharing one PostgreSQL store, take a burst of 1,000 missed
 * calls from 300 callers (20% delivered twice, the second time to the other instance, many within milliseconds),
 * and one instance is killed mid-run and started again. Nothing may be lost or doubled.
 */
describe('two Node-RED instances on one PostgreSQL store: a burst with duplicates and a killed instance', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	const schema = uniqueSchema('mcr_cluster');
	const pg = new URL(PG_URL);
	const dirs: string[] = [];
	const reds: { proc?: Proc; base?: string }[] = [{}, {}];
	let store: RecoveryStore;

	const flow = () =>
		localFlow('quick-start-text-back', {
			simUrl: sim.url,
			account: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
			store: {
				storeType: 'postgres',
				host: pg.hostname,
				port: Number(pg.port || 5432),
				database: pg.pathname.slice(1),
				user: decodeURIComponent(pg.username),
				schema,
			},
			profile: {
				...E2E_PROFILE,
				routing: { ...E2E_PROFILE.routing, deadlineMinutes: { emergency: 60, high: 60, normal: 60, low: 60 } },
				acknowledgment: { ...E2E_PROFILE.acknowledgment, checkLineType: false, hourlyCap: 10000, dailyCap: 100000 },
			},
			each: (n) => n.type === 'recovery-overdue' && (n.intervalSeconds = 5),
		});

	async function up(i: number): Promise<void> {
		const { red, base } = await startNodeRed({
			dir: dirs[i],
			node: runtimes.paths().node24,
			bin: runtimes.paths().nodered5Bin,
			env: runtimes.envFor24(),
			label: `Node-RED instance ${i + 1}`,
		});
		reds[i] = { proc: red, base };
		const r = await fetch(`${base}/flows`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full', 'node-red-api-version': 'v2' },
			body: JSON.stringify({ flows: flow() }),
		});
		expect(r.status).toBe(200);
		let seen = 0;
		await waitFor(
			`instance ${i + 1}'s trigger`,
			async () => (seen = (await fetch(`${base}/missed-call`, { method: 'POST' })).status) === 403,
			30000,
			300,
			() => `last status ${seen}; log: ${red.log().slice(-3000)}`,
		);
	}

	beforeAll(async () => {
		await requirePostgres();
		runtimes.install(['nodered5']);
		const tarball = packOnce(join(tmpdir(), `mcr-pack-${process.pid}`));
		for (let i = 0; i < 2; i++) {
			dirs.push(mkdtempSync(join(tmpdir(), `mcr-cluster-${i}-`)));
			// The PostgreSQL store needs pg beside the pack, as its error tells a user: npm install pg.
			installTarball(dirs[i], tarball, runtimes.envFor24(), { with: ['pg'] });
		}
		await sim.start();
		await Promise.all([up(0), up(1)]);
		store = await openStore({ type: 'postgres', connectionString: PG_URL, schema });
	}, 600000);

	afterAll(async () => {
		await store?.close();
		for (const r of reds) await r.proc?.stop();
		await sim.stop();
		for (const d of dirs) rmSync(d, { recursive: true, force: true });
		await dropSchema(schema);
	}, 120000);

	test(`1,000 calls, 300 callers, 20% duplicates, one instance killed and restarted: every call in exactly one \
case, one text per caller, every case owned`, async () => {
		const caller = (i: number) => `+1312555${String(5000 + (i % CALLERS)).padStart(4, '0')}`;
		const deliveries: { call: number; instance: number }[] = [];
		for (let i = 0; i < CALLS; i++) {
			deliveries.push({ call: i, instance: i % 2 });
			// Twilio retrying, answered by the other instance
			if (i % 5 === 0) deliveries.push({ call: i, instance: (i + 1) % 2 });
		}
		let refusedByDownInstance = 0;
		const post = async (d: { call: number; instance: number }) => {
			const params = {
				AccountSid: ACCOUNT_SID,
				CallSid: `CA${String(d.call).padStart(32, '0')}`,
				From: caller(d.call),
				To: '+13125550199',
				DialCallStatus: 'no-answer',
				DialCallDuration: '0',
				CallStatus: 'completed',
				Direction: 'inbound',
			};
			// The load balancer sends to the other instance when one does not answer, as Twilio's fallback URL would.
			for (const i of [d.instance, 1 - d.instance]) {
				const { base, proc } = reds[i];
				if (!base || !proc || proc.child.killed || proc.child.exitCode !== null) continue;
				try {
					const x = await sim.post(`${base}/missed-call?step=dial`, params);
					if (x.status === 200) return;
				} catch {
					refusedByDownInstance++;
				}
			}
			throw new Error(`call ${d.call} could not be delivered to either instance`);
		};
		let next = 0;
		let killedAt = -1;
		let restarted: Promise<void> | undefined;
		await Promise.all(
			Array.from({ length: 20 }, async () => {
				while (next < deliveries.length) {
					const d = deliveries[next++];
					if (next === 500 && killedAt < 0) {
						killedAt = next;
						reds[1].proc!.child.kill('SIGKILL'); // mid-run, with executions in flight
						restarted = new Promise((r) => setTimeout(r, 2000)).then(() => up(1));
					}
					await post(d);
				}
			}),
		);
		expect(killedAt).toBeGreaterThan(0);
		await restarted; // the killed instance is back, and takes its share of the sweeps from here
		// Sends cut off by the kill are picked up by the sweeps' safety nets (2 minutes for texts, 5 for routing).
		const cases = await waitFor(
			'every caller texted and every case owned',
			async () => {
				const all = await store.listCases({ businessId: 'e2e-plumbing', limit: 10000 });
				const texted = new Set(sim.messages.map((m) => m.to));
				const done = all.length === CALLERS && all.every((c) => (c.owner || c.nobodyAvailable) && texted.has(c.caller));
				return done ? all : undefined;
			},
			420000,
			3000,
		);
		expect(cases).toHaveLength(CALLERS);
		const calls = cases.flatMap((c) => c.calls.map((k) => k.callSid));
		expect(calls).toHaveLength(CALLS);
		expect(new Set(calls).size).toBe(CALLS);
		const callers = new Set(cases.map((c) => c.caller));
		expect(callers.size).toBe(CALLERS);
		for (const c of callers) {
			const acks = sim.messages.filter((m) => m.to === c);
			expect({ caller: c, acks: acks.length }).toEqual({ caller: c, acks: 1 });
		}
		expect(cases.every((c) => c.owner || c.nobodyAvailable)).toBe(true);
		console.log(
			`cluster burst: ${deliveries.length} deliveries (${deliveries.length - CALLS} duplicates), ` +
				(`${refusedByDownInstance} refused by the killed instance and re-sent, ${cases.length} cases, ` +
					`${calls.length} calls, ${sim.messages.length} texts`),
		);
	}, 900000);
});
