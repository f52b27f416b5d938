import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { normalize, openStore, RecoveryLoop, TwilioProvider, type RecoveryStore } from '../../core';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN, chicago, plumber } from '../helpers/fixtures';
import { dropSchema, PG_URL, requirePostgres, uniqueSchema } from '../helpers/postgres';

/** Holds SQLite's write lock for 1.5 s from another process, with whichever driver this Node has. */
const LOCK_HOLDER = `
let db;
try { db = new (require('node:sqlite').DatabaseSync)(process.argv[1]); } catch { db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(process.argv[1]); }
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
	return { host: u.hostname, port: Number(u.port || 5432), db: u.pathname.slice(1), user: decodeURIComponent(u.username) };
};

function missedCall(i: number, at: Date) {
	const n = normalize('twilio', { CallSid: `CA${String(i).padStart(32, '0')}`, From: `+1312555${String(3000 + i)}`, To: '+13125550199', DialCallStatus: 'no-answer', DialCallDuration: '0' }, { businessId: 'acme-plumbing', now: () => at });
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

	test('PostgreSQL cut twice for about a second during 60 missed calls: 60 cases, 60 acknowledgments, each exactly once', async () => {
		const t = pgTarget();
		const outage = new Outage({ host: t.host, port: t.port });
		await outage.up();
		const schema = uniqueSchema('mcr_faults');
		const store = await openStore({ type: 'postgres', host: '127.0.0.1', port: outage.port, database: t.db, user: t.user, schema });
		try {
			const clock = new Date(chicago('2026-11-25T12:00'));
			const loop = new RecoveryLoop({ store, provider: new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url }), profileFor: () => plumber({ acknowledgment: { checkLineType: false } }), now: () => clock, retry: { retries: 2, baseMs: 1, maxMs: 2 } });
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
			const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
			expect(failed).toEqual([]);
			expect(outage.cuts).toBe(2); // the cuts happened while calls were in flight
			const cases = await store.listCases({ businessId: 'acme-plumbing' });
			expect(cases).toHaveLength(60);
			for (let i = 0; i < 60; i++) {
				const to = `+1312555${String(3000 + i)}`;
				const got = sim.messages.filter((m) => m.to === to);
				if (got.length !== 1) throw new Error(`${to} got ${got.length} texts; case: ${JSON.stringify(cases.find((c) => c.caller === to))}`);
			}
			expect(cases.every((c) => c.ack.status === 'sent' && (c.owner || c.flags.includes('nobody-available')))).toBe(true);
		} finally {
			await store.close();
			await outage.down();
			await dropSchema(schema);
		}
	}, 60000);

	test('PostgreSQL killing the pack\'s server connections mid-run: the next statements reconnect and carry on', async () => {
		const schema = uniqueSchema('mcr_kill');
		const store = await openStore({ type: 'postgres', connectionString: PG_URL, schema, max: 4 });
		const admin = new Client({ connectionString: PG_URL });
		await admin.connect();
		try {
			const clock = new Date(chicago('2026-11-25T12:00'));
			const loop = new RecoveryLoop({ store, provider: new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url }), profileFor: () => plumber({ acknowledgment: { checkLineType: false } }), now: () => clock, retry: { retries: 2, baseMs: 1, maxMs: 2 } });
			let killed = 0;
			for (let i = 100; i < 130; i++) {
				await loop.run(missedCall(i, clock));
				if (i % 10 === 5) {
					const r = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND application_name = '' AND backend_type = 'client backend' AND query NOT ILIKE '%pg_stat_activity%' AND state = 'idle'`);
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
	}, 60000);

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
			const loop = new RecoveryLoop({ store, provider: new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url }), profileFor: () => plumber({ acknowledgment: { checkLineType: false } }), now: () => clock });
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
