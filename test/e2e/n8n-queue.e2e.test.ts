import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { openStore, type Case, type RecoveryStore } from '../../core';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
import { dropSchema, PG_URL, requirePostgres, uniqueSchema } from '../helpers/postgres';
import { REDIS_HOST, REDIS_PORT, requireRedis } from '../helpers/redis';
import { E2E_PROFILE } from './e2e-profile';
import { freePort, installTarball, packOnce, ROOT, runtimeEnv, runtimes, start, waitFor, type Proc } from './harness';

const CALLS = 1000;
const CALLERS = 300;
const WORKFLOW_ID = 'mcrQueueQuick001';

/**
 * n8n's queue mode as agencies scale out: a main process (webhooks, the overdue poller) and two workers (the
 * executions), each with the package installed in its own folder, n8n's data in PostgreSQL, jobs in Redis, the
 * cases in the pack's PostgreSQL store. A burst of 1,000 missed calls from 300 callers, 20% delivered twice; mid-run
 * four texts are caught in flight (two never reach the provider, two reach it and lose their answer) and a worker
 * is killed and restarted. Nothing may be lost or doubled.
 */
describe(`n8n queue mode (lazy expression isolates): main and two workers on Redis and PostgreSQL, a burst with \
duplicates and a killed worker`, () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	const schema = uniqueSchema('mcr_queue');
	const n8nDb = `mcr_n8n_${process.pid}_${Date.now().toString(36)}`;
	const pg = new URL(PG_URL);
	let dir: string;
	let main: Proc;
	const workers: (Proc | undefined)[] = [undefined, undefined];
	let env: NodeJS.ProcessEnv;
	let hook: string;
	let store: RecoveryStore;

	async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
		const c = new Client({ connectionString: PG_URL });
		await c.connect();
		try {
			return await fn(c);
		} finally {
			await c.end();
		}
	}

	async function startWorker(i: number): Promise<void> {
		const health = await freePort();
		const w = start(runtimes.paths().node24, [runtimes.paths().n8nBin, 'worker', '--concurrency=8'], {
			...env,
			N8N_USER_FOLDER: join(dir, `worker${i + 1}`),
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			QUEUE_HEALTH_CHECK_PORT: String(health),
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		});
		workers[i] = w;
		await waitFor(
			`worker ${i + 1} to be ready`,
			async () => (await fetch(`http://127.0.0.1:${health}/healthz`)).ok,
			120000,
			500,
		).catch((e) => {
			throw new Error(`${e.message}\n--- worker ${i + 1} log ---\n${w.log().slice(-3000)}`);
		});
	}

	beforeAll(async () => {
		await requirePostgres();
		await requireRedis();
		runtimes.install(['n8n']);
		dir = mkdtempSync(join(tmpdir(), 'mcr-n8n-queue-'));
		const tarball = packOnce(join(tmpdir(), `mcr-pack-${process.pid}`));
		// The package installed for each process, as on three machines.
		for (const who of ['main', 'worker1', 'worker2'])
			installTarball(join(dir, who, '.n8n', 'nodes'), tarball, runtimes.envFor24());
		await admin((c) => c.query(`CREATE DATABASE ${n8nDb}`));
		await sim.start();
		const port = await freePort();
		env = {
			...runtimes.envFor24(),
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: REDIS_HOST,
			QUEUE_BULL_REDIS_PORT: String(REDIS_PORT),
			QUEUE_BULL_PREFIX: `mcr-e2e-${process.pid}`,
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: pg.hostname,
			DB_POSTGRESDB_PORT: pg.port || '5432',
			DB_POSTGRESDB_DATABASE: n8nDb,
			DB_POSTGRESDB_USER: decodeURIComponent(pg.username) || 'postgres',
			N8N_ENCRYPTION_KEY: 'e2e-queue-encryption-key-0123456789',
			N8N_PORT: String(port),
			WEBHOOK_URL: `http://127.0.0.1:${port}/`,
			N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'false',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_LOG_LEVEL: 'warn',
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'none',
			// As docs/scaling.md recommends for volume: an expression isolate only where an expression needs one (the
			// regular-mode tests run n8n's default, an isolate for every webhook request and execution).
			N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true',
		};
		const mainEnv = { ...env, N8N_USER_FOLDER: join(dir, 'main'), N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
		// Both owners do every job here, so round-robin alone decides (skills would send every leak to Ana).
		const profile = {
			...E2E_PROFILE,
			roster: E2E_PROFILE.roster.map((m) => ({ ...m, skills: [] })),
			routing: { ...E2E_PROFILE.routing, deadlineMinutes: { emergency: 60, high: 60, normal: 60, low: 60 } },
			acknowledgment: { ...E2E_PROFILE.acknowledgment, checkLineType: false, hourlyCap: 10000, dailyCap: 100000 },
		};
		writeFileSync(
			join(dir, 'creds.json'),
			JSON.stringify([
				{
					id: 'mcrWorkspace0001',
					name: 'Missed Call Recovery Workspace',
					type: 'missedCallRecoveryWorkspaceApi',
					data: {
						storeType: 'postgres',
						host: pg.hostname,
						port: Number(pg.port || 5432),
						database: pg.pathname.slice(1),
						user: decodeURIComponent(pg.username),
						schema,
						businesses: JSON.stringify(profile),
					},
				},
				{
					id: 'mcrTwilio0000001',
					name: 'Twilio (Missed Call Recovery)',
					type: 'missedCallRecoveryTwilioApi',
					data: { accountSid: ACCOUNT_SID, authType: 'authToken', authToken: AUTH_TOKEN, apiBaseUrl: sim.url },
				},
			]),
		);
		const wf = JSON.parse(
			readFileSync(join(ROOT, 'workflows', 'quick-start-text-back.json'), 'utf8')
				.replace(/REPLACE_WORKSPACE_CREDENTIAL_ID/g, 'mcrWorkspace0001')
				.replace(/REPLACE_TWILIO_CREDENTIAL_ID/g, 'mcrTwilio0000001'),
		);
		writeFileSync(join(dir, 'wf.json'), JSON.stringify({ ...wf, id: WORKFLOW_ID }));
		const cli = (args: string[]) =>
			execFileSync(runtimes.paths().node24, [runtimes.paths().n8nBin, ...args], {
				env: runtimeEnv(mainEnv),
				encoding: 'utf8',
				stdio: ['ignore', 'pipe', 'pipe'],
			});
		cli(['import:credentials', `--input=${join(dir, 'creds.json')}`]);
		rmSync(join(dir, 'creds.json'));
		cli(['import:workflow', `--input=${join(dir, 'wf.json')}`]);
		cli(['publish:workflow', `--id=${WORKFLOW_ID}`]);
		main = start(runtimes.paths().node24, [runtimes.paths().n8nBin, 'start'], mainEnv);
		const webhookId = (wf.nodes as { type: string; webhookId?: string }[]).find((n) =>
			n.type.endsWith('.missedCallTrigger'),
		)!.webhookId;
		hook = `http://127.0.0.1:${port}/webhook/${webhookId}/missed-call`;
		await waitFor(
			'n8n main to serve the trigger',
			async () => (await fetch(hook, { method: 'POST' })).status === 403,
			180000,
			500,
		).catch((e) => {
			throw new Error(`${e.message}\n--- main log ---\n${main.log().slice(-3000)}`);
		});
		await Promise.all([startWorker(0), startWorker(1)]);
		store = await openStore({ type: 'postgres', connectionString: PG_URL, schema });
	}, 900000);

	afterAll(async () => {
		await store?.close();
		for (const w of workers) await w?.stop();
		await main?.stop();
		await sim.stop();
		if (dir) rmSync(dir, { recursive: true, force: true });
		await dropSchema(schema).catch(() => undefined);
		await admin((c) => c.query(`DROP DATABASE IF EXISTS ${n8nDb} WITH (FORCE)`)).catch(() => undefined);
	}, 120000);

	test(`1,000 calls, 300 callers, 20% duplicates, texts caught in flight and a worker killed: every call in one \
case, at most one text per caller, every case owned`, async () => {
		const caller = (i: number) => `+1312555${String(6000 + (i % CALLERS)).padStart(4, '0')}`;
		const deliveries: number[] = [];
		for (let i = 0; i < CALLS; i++) {
			deliveries.push(i);
			if (i % 5 === 0) deliveries.push(i); // Twilio retrying the same webhook moments later
		}
		let next = 0;
		let killed = false;
		let restarted: Promise<void> | undefined;
		const t0 = Date.now();
		await Promise.all(
			Array.from({ length: 20 }, async () => {
				while (next < deliveries.length) {
					const i = deliveries[next++];
					if (next >= 200 && !killed) {
						killed = true;
						// Four acknowledgments caught in flight on worker 2: two never reach the provider, two reach it and lose
						// their answer. Worker 1 is paused meanwhile so that all four are worker 2's, which is then killed.
						workers[0]!.child.kill('SIGSTOP');
						await new Promise((r) => setTimeout(r, 500)); // what worker 1 already sent lands before the traps are set
						sim.fail({ match: 'Messages', method: 'POST', toPrefix: '+13125556', code: 20500, hang: true, times: 2 });
						sim.fail({ match: 'Messages', method: 'POST', toPrefix: '+13125556', code: 20500, lost: true, times: 2 });
						await waitFor('four sends to be caught in flight', async () => sim.failuresLeft() === 0, 60000, 50).catch(
							(e) => {
								// What the processes said, and whether worker 2 was still sending, for whoever reads the failure.
								const sent = sim.requests.filter(
									(q) => q.method === 'POST' && q.path.endsWith('/Messages.json'),
								).length;
								throw new Error(
									`${e.message} (${sim.failuresLeft()} traps left, ${sent} sends seen, worker 2 ` +
										(`${workers[1]!.child.exitCode === null ? 'running' : `exited ${workers[1]!.child.exitCode}`})\n--- ` +
											`worker 2 log ---\n${workers[1]!.log().slice(-3000)}\n--- main log ---\n${main.log().slice(-2000)}`),
								);
							},
						);
						workers[1]!.child.kill('SIGKILL'); // mid-send, with more executions in flight
						workers[0]!.child.kill('SIGCONT');
						restarted = new Promise((r) => setTimeout(r, 3000)).then(() => startWorker(1));
					}
					const params = {
						AccountSid: ACCOUNT_SID,
						CallSid: `CA${String(i).padStart(32, '0')}`,
						From: caller(i),
						To: '+13125550199',
						DialCallStatus: 'no-answer',
						DialCallDuration: '0',
						CallStatus: 'completed',
						Direction: 'inbound',
					};
					const r = await sim.post(`${hook}?step=dial`, params);
					expect(r.status).toBe(200);
				}
			}),
		);
		const deliveredSec = (Date.now() - t0) / 1000;
		expect(killed).toBe(true);
		await restarted;
		// Executions the kill cut off are finished by the overdue poller on main: texts after 2 minutes (asking Twilio
		// first whether a cut-off text left), routing after 5.
		const isDone = (c: Case) =>
			(c.owner || c.nobodyAvailable) && (c.ack.status === 'sent' || c.flags.includes('ack-unconfirmed'));
		const cases = await waitFor(
			'every case texted and owned',
			async () => {
				const all = await store.listCases({ businessId: 'e2e-plumbing', limit: 10000 });
				return all.length === CALLERS && all.every(isDone) ? all : undefined;
			},
			600000,
			3000,
		).catch(async (e) => {
			const all = await store.listCases({ businessId: 'e2e-plumbing', limit: 10000 });
			const stuck = all
				.filter((c) => !isDone(c))
				.slice(0, 5)
				.map((c) => ({ caller: c.caller, state: c.state, ack: c.ack.status, owner: c.owner?.id, flags: c.flags }));
			throw new Error(
				`${e.message}: ${all.length} cases, not done: ${JSON.stringify(stuck)}\n--- main log ` +
					`---\n${main.log().slice(-2000)}`,
			);
		});
		const settledSec = (Date.now() - t0) / 1000;

		expect(cases).toHaveLength(CALLERS);
		const calls = cases.flatMap((c) => c.calls.map((k) => k.callSid));
		expect(calls).toHaveLength(CALLS);
		expect(new Set(calls).size).toBe(CALLS);
		const texts = (n: string) => sim.messages.filter((m) => m.to === n);
		for (const c of cases) {
			expect({ caller: c.caller, texts: texts(c.caller).length }).toEqual({
				caller: c.caller,
				texts: c.ack.status === 'sent' ? 1 : texts(c.caller).length && 1,
			});
			if (c.ack.status === 'sent') expect(c.ack.messageSid).toBe(texts(c.caller)[0].sid);
		}
		expect(cases.every((c) => c.owner || c.nobodyAvailable)).toBe(true);
		// The four acknowledgments caught in flight, found by number: each caller has exactly one text and a case that says
		// so.
		const caught = sim.requests
			.filter((q) => q.status === 0 && q.method === 'POST' && q.path.endsWith('/Messages.json'))
			.map((q) => q.params.To);
		expect(caught).toHaveLength(4);
		for (const to of caught) {
			const c = cases.find((x) => x.caller === to)!;
			expect({ to, status: c.ack.status, texts: texts(to).length }).toEqual({ to, status: 'sent', texts: 1 });
		}
		// Each was settled once: by main's overdue poller 2 minutes on (it asks Twilio whether the text left: recorded if
		// it did, sent if not), or, for a send that was already on the wire when worker 1 paused, by worker 1's own retry
		// after its timeout, which asks the same question first. Either way the case holds the sid of the one text.
		for (const to of caught) expect(cases.find((x) => x.caller === to)!.ack.messageSid).toBe(texts(to)[0].sid);
		const bySweepOf = (to: string) => {
			const h = cases.find((x) => x.caller === to)!.history;
			return h.some((e) => /^ack:\d+:confirmed:/.test(e.key))
				? 'found at Twilio by the sweep'
				: h.filter((e) => e.move === 'ack-sending').length > 1
					? 'sent by the sweep'
					: 'settled by the retry';
		};
		// Round-robin stays fair across the workers: one shared counter in PostgreSQL.
		const owners = cases.filter((c) => c.owner).map((c) => c.owner!.id);
		const byOwner = Object.fromEntries(E2E_PROFILE.roster.map((m) => [m.id, owners.filter((o) => o === m.id).length]));
		const bySweep = cases.filter(
			(c) =>
				c.history.some((h) => /^ack:\d+:confirmed:/.test(h.key)) ||
				c.history.filter((h) => h.move === 'ack-sending').length > 1,
		).length;
		console.log(
			`n8n queue burst: ${deliveries.length} deliveries (${deliveries.length - CALLS} duplicates) in ` +
				`${deliveredSec.toFixed(0)} s, all settled after ${settledSec.toFixed(0)} s; ` +
				(`${cases.length} cases, ${calls.length} calls, ${sim.messages.length} texts; acknowledgments caught in ` +
					`flight: ${caught.length} (${caught.map(bySweepOf).join(', ')}); `) +
				`acknowledgments settled or re-sent after a cut-off: ${bySweep}; owners ${JSON.stringify(byOwner)}`,
		);
		expect(Math.abs(byOwner.ana - byOwner.ben)).toBeLessThanOrEqual(2);
	}, 1200000);
});
