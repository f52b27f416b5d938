import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { normalize, openStore, RecoveryLoop, SqlStore, TwilioProvider, type RecoveryStore } from '../../core';
import type { SqlDriver } from '../../core/store/driver';
import { PostgresDriver } from '../../core/store/postgres';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN, chicago, plumber } from '../helpers/fixtures';
import { dropSchema, PG_URL, requirePostgres, testPostgres, uniqueSchema } from '../helpers/postgres';

/** Holds SQLite's write lock for 1.5 s from another process, with whichever driver this Node has. */
const LOCK_HOLDER = `
let db;
try { db = new (require('node:sqlite').DatabaseSync)(process.argv[1]); }
catch { db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(process.argv[1]); }
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('COMMIT'); db.close(); }, 1500);
`;

/** A TCP hop in front of PostgreSQL that can be cut and restored: the database "unavailable for a moment". */
class Outage {
	private server?: Server;
	private sockets = new Set<Socket>();
	port = 0;
	cuts = 0;
	constructor(private readonly target: { host: string; port: number }) {}
	async up(): Promise<void> {
		this.server = createServer((client) => {
			const upstream = connect(this.target.port, this.target.host);
			for (const s of [client, upstream]) {
				this.sockets.add(s);
				s.on('close', () => this.sockets.delete(s));
				s.on('error', () => undefined);
			}
			client.pipe(upstream).pipe(client);
		});
		await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
		this.port = (this.server.address() as { port: number }).port;
	}
	/** Drops every open connection and refuses new ones until `up` runs again. */
	async down(): Promise<void> {
		this.cuts++;
		for (const s of this.sockets) s.destroy();
		await new Promise<void>((r) => this.server!.close(() => r()));
	}
}

const pgTarget = () => {
	const u = new URL(PG_URL);
	return {
		host: u.hostname,
		port: Number(u.port || 5432),
		db: u.pathname.slice(1),
		user: decodeURIComponent(u.username),
	};
};

function missedCall(i: number, at: Date) {
	const n = normalize(
		'twilio',
		{
			CallSid: `CA${String(i).padStart(32, '0')}`,
			From: `+1312555${String(3000 + i)}`,
			To: '+13125550199',
			DialCallStatus: 'no-answer',
			DialCallDuration: '0',
		},
		{ businessId: 'acme-plumbing', now: () => at },
	);
	if (n.kind !== 'missed-call') throw new Error(n.kind);
	return n.event;
}

describe('the store unavailable for a moment: nothing is lost, nothing is sent twice', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	beforeAll(async () => {
		await requirePostgres();
		await sim.start();
	});
	afterAll(() => sim.stop());
	beforeEach(() => sim.reset());

	testPostgres(
		`PostgreSQL cut twice for about a second during 60 missed calls: 60 cases, 60 acknowledgments, each \
exactly once`,
		async () => {
			const t = pgTarget();
			const outage = new Outage({ host: t.host, port: t.port });
			await outage.up();
			const schema = uniqueSchema('mcr_faults');
			const store = await openStore({
				type: 'postgres',
				host: '127.0.0.1',
				port: outage.port,
				database: t.db,
				user: t.user,
				schema,
			});
			try {
				const clock = new Date(chicago('2026-11-25T12:00'));
				const loop = new RecoveryLoop({
					store,
					provider: new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url }),
					profileFor: () => plumber({ acknowledgment: { checkLineType: false } }),
					now: () => clock,
					retry: { retries: 2, baseMs: 1, maxMs: 2 },
				});
				const runs: Promise<unknown>[] = [];
				const blip = async () => {
					await outage.down();
					await new Promise((r) => setTimeout(r, 1000));
					await outage.up();
				};
				for (let i = 0; i < 60; i++) {
					const run = loop.run(missedCall(i, clock));
					run.catch(() => undefined); // settled below; no unhandled-rejection noise while the outage lasts
					runs.push(run);
					if (i === 15 || i === 40) await blip();
					else await new Promise((r) => setTimeout(r, 5));
				}
				const results = await Promise.allSettled(runs);
				const failed = results
					.filter((r) => r.status === 'rejected')
					.map((r) => String((r as PromiseRejectedResult).reason));
				expect(failed).toEqual([]);
				expect(outage.cuts).toBe(2); // the cuts happened while calls were in flight
				const cases = await store.listCases({ businessId: 'acme-plumbing' });
				expect(cases).toHaveLength(60);
				for (let i = 0; i < 60; i++) {
					const to = `+1312555${String(3000 + i)}`;
					const got = sim.messages.filter((m) => m.to === to);
					if (got.length !== 1)
						throw new Error(
							`${to} got ${got.length} texts; case: ${JSON.stringify(cases.find((c) => c.caller === to))}`,
						);
				}
				expect(cases.every((c) => c.ack.status === 'sent' && (c.owner || c.flags.includes('nobody-available')))).toBe(
					true,
				);
			} finally {
				await store.close();
				await outage.down();
				await dropSchema(schema);
			}
		},
		60000,
	);

	testPostgres(
		`PostgreSQL killing the pack's server connections mid-run: the next statements reconnect \
and carry on`,
		async () => {
			const schema = uniqueSchema('mcr_kill');
			const store = await openStore({ type: 'postgres', connectionString: PG_URL, schema, max: 4 });
			const admin = new Client({ connectionString: PG_URL });
			await admin.connect();
			try {
				const clock = new Date(chicago('2026-11-25T12:00'));
				const loop = new RecoveryLoop({
					store,
					provider: new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url }),
					profileFor: () => plumber({ acknowledgment: { checkLineType: false } }),
					now: () => clock,
					retry: { retries: 2, baseMs: 1, maxMs: 2 },
				});
				let killed = 0;
				for (let i = 100; i < 130; i++) {
					await loop.run(missedCall(i, clock));
					if (i % 10 === 5) {
						const r = await admin.query(
							`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = ` +
								(`current_database() AND application_name = '' AND backend_type = 'client backend' AND query NOT ILIKE ` +
									`'%pg_stat_activity%' AND state = 'idle'`),
						);
						killed += r.rowCount ?? 0;
					}
				}
				expect(killed).toBeGreaterThan(0);
				expect(await store.countCases('acme-plumbing')).toBe(30);
				expect(sim.messages.filter((m) => m.to.startsWith('+131255531'))).toHaveLength(30);
			} finally {
				await admin.end();
				await store.close();
				await dropSchema(schema);
			}
		},
		60000,
	);

	testPostgres(
		`a worker that stalls mid-transaction holding the send counters (a frozen VM, SIGSTOP) holds up the other \
workers' texts for at most the idle-in-transaction limit, and its own write is run again whole when it wakes`,
		async () => {
			const schema = uniqueSchema('mcr_stall');
			const other = await openStore({ type: 'postgres', connectionString: PG_URL, schema });
			// The stalling worker: our driver, with the limit cut to 1 s, freezing right after it has bumped the business's
			// hourly send counter (a row lock every other worker's acknowledgment needs) on its first try only.
			const inner = new PostgresDriver({ connectionString: PG_URL, schema, idleInTransactionTimeoutMs: 1000 });
			let attempts = 0;
			let wake!: () => void;
			const woken = new Promise<void>((r) => (wake = r));
			let frozen!: () => void;
			const isFrozen = new Promise<void>((r) => (frozen = r));
			const stalling: SqlDriver = {
				dialect: 'postgres',
				all: (sql, params) => inner.all(sql, params),
				run: (sql, params) => inner.run(sql, params),
				close: () => inner.close(),
				transaction: (fn) =>
					inner.transaction((tx) => {
						const first = ++attempts === 1;
						return fn({
							...tx,
							run: async (sql, params) => {
								const n = await tx.run(sql, params);
								if (first && sql.includes('mcr_send_hours')) {
									frozen();
									await woken;
								}
								return n;
							},
						});
					}),
			};
			const stalled = new SqlStore(stalling);
			const at = '2026-11-25T18:00:00.000Z';
			const ack = (to: string) => ({
				businessId: 'acme-plumbing',
				to,
				kind: 'ack' as const,
				at,
				sid: `SM${to.slice(1)}`,
				status: 'queued',
			});
			try {
				const first = stalled.recordMessage(ack('+13125554001'));
				await isFrozen;
				const started = Date.now();
				let wokeAt = 0;
				const wakeLater = new Promise<void>((r) =>
					setTimeout(() => {
						wokeAt = Date.now();
						wake();
						r();
					}, 8000),
				);
				await other.recordMessage(ack('+13125554002'));
				const otherDoneAt = Date.now();
				// The other worker went on once the server ended the frozen session (about 1 s), not when it woke (8 s).
				expect({ otherWaitedForTheFrozenWorker: wokeAt !== 0 }).toEqual({ otherWaitedForTheFrozenWorker: false });
				expect(otherDoneAt - started).toBeLessThan(8000);
				await wakeLater;
				await first; // its session was ended under it: the whole transaction ran again on a fresh connection
				expect(attempts).toBe(2);
				const stats = await other.messageStats('acme-plumbing', '+13125554001', '2026-11-25T18:30:00.000Z');
				expect([stats.businessSentLastHour, stats.businessSentLastDay]).toEqual([2, 2]); // both counted, once each
				expect(stats.sentToCallerLast24h).toHaveLength(1);
				expect(
					(await other.messageStats('acme-plumbing', '+13125554002', '2026-11-25T18:30:00.000Z')).sentToCallerLast24h,
				).toHaveLength(1);
			} finally {
				wake();
				await stalled.close();
				await other.close();
				await dropSchema(schema);
			}
		},
		30000,
	);

	test('SQLite locked by another process for 1.5 s: the call waits for the lock instead of failing', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'mcr-lock-'));
		const file = join(dir, 'c.db');
		const store: RecoveryStore = await openStore({ type: 'sqlite', file });
		// Another process (a second Node-RED, a backup tool) takes the write lock and holds it.
		const holder = spawn(process.execPath, ['-e', LOCK_HOLDER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
		try {
			await new Promise<void>((resolve, reject) => {
				holder.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
				holder.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
			});
			const clock = new Date(chicago('2026-11-25T12:00'));
			const loop = new RecoveryLoop({
				store,
				provider: new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url }),
				profileFor: () => plumber({ acknowledgment: { checkLineType: false } }),
				now: () => clock,
			});
			const r = await loop.run(missedCall(200, clock));
			expect(r.case.ack.status).toBe('sent');
			expect(await store.countCases()).toBe(1);
			expect(sim.messages.filter((m) => m.to === '+13125553200')).toHaveLength(1);
		} finally {
			holder.kill();
			await store.close();
			rmSync(dir, { recursive: true, force: true });
		}
	}, 30000);
});
