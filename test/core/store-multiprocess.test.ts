import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { cases, openStore, type MissedCall, type RecoveryStore } from '../../core';
import { describePostgres, dropSchema, PG_URL, requirePostgres, uniqueSchema } from '../helpers/postgres';

const ROOT = resolve(__dirname, '..', '..');

function worker(arg: object) {
	const child = spawn(process.execPath, [join(ROOT, 'test', 'helpers', 'pg-worker.js'), JSON.stringify(arg)], {
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	// Listen for the exit from the start: a worker may finish before anyone waits for it.
	const exited = new Promise<number | null>((r) => child.once('exit', r));
	let err = '';
	child.stderr.on('data', (d) => (err += d));
	const lines = createInterface({ input: child.stdout });
	const queue: string[] = [];
	const waiters: ((s: string) => void)[] = [];
	lines.on('line', (l) => (waiters.length ? waiters.shift()!(l) : queue.push(l)));
	const next = () =>
		new Promise<Record<string, unknown>>((res, rej) => {
			const take = (l: string) => res(JSON.parse(l));
			if (queue.length) return take(queue.shift()!);
			waiters.push(take);
			void exited.then((code) => code && rej(new Error(`worker exited ${code}: ${err}`)));
		});
	return { child, next, go: () => child.stdin.write('go\n'), done: () => exited };
}

describePostgres('PostgreSQL store shared by four OS processes', () => {
	const schema = uniqueSchema('mcr_multiproc');
	let store: RecoveryStore;

	beforeAll(async () => {
		await requirePostgres();
		if (!existsSync(join(ROOT, 'dist', 'core', 'index.js')))
			execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
				cwd: ROOT,
			});
		store = await openStore({ type: 'postgres', connectionString: PG_URL, schema });
	});
	afterAll(async () => {
		await store.close();
		await dropSchema(schema);
	});

	test(`every call lands in exactly one case, one open case per caller, fair round-robin, and each overdue case \
claimed once`, async () => {
		// 400 calls from 120 callers; every process delivers all of them, so each call arrives four times.
		const at = '2026-11-25T18:00:00.000Z';
		const events: MissedCall[] = Array.from({ length: 400 }, (_, i) => ({
			type: 'missed-call',
			eventId: `twilio:CA${i}`,
			provider: 'twilio',
			callSid: `CA${i}`,
			from: `+1312555${String(1000 + (i % 120))}`,
			to: '+13125550199',
			businessId: 'mp',
			reason: 'no-answer',
			startedAt: at,
			durationSec: 0,
			repeat: 0,
			channel: 'sms',
		}));
		const overdueNow = '2026-11-25T20:00:00.000Z';
		const workers = [1, 2, 3, 4].map((seed) => worker({ url: PG_URL, schema, events, seed, overdueNow }));
		const first = await Promise.all(workers.map((w) => w.next()));
		expect(first.reduce((n, r) => n + (r.created as number), 0)).toBe(120);
		expect(first.reduce((n, r) => n + (r.duplicates as number), 0)).toBe(400 * 3);
		const turns = first.flatMap((r) => r.turns as number[]).sort((a, b) => a - b);
		expect(turns).toEqual(Array.from({ length: 80 }, (_, i) => i));

		const all = await store.listCases({ businessId: 'mp', limit: 1000 });
		expect(all).toHaveLength(120);
		expect(new Set(all.map((c) => c.caller)).size).toBe(120);
		const callSids = all.flatMap((c) => c.calls.map((k) => k.callSid));
		expect(callSids).toHaveLength(400);
		expect(new Set(callSids).size).toBe(400);

		// Half the cases fall overdue; the four processes sweep at once.
		for (const c of all.slice(0, 60)) {
			await store.saveCase(
				cases.applyRoute(
					c,
					{
						kind: 'assigned',
						owner: { id: 'ana', name: 'Ana' },
						dueAt: '2026-11-25T19:00:00.000Z',
						escalationLevel: 0,
						strategy: 'x',
						reasons: [],
					},
					'r',
					at,
				),
			);
		}
		workers.forEach((w) => w.go());
		const second = await Promise.all(workers.map((w) => w.next()));
		const claimed = second.flatMap((r) => r.claimed as string[]);
		expect(claimed).toHaveLength(60);
		expect(new Set(claimed).size).toBe(60);
		expect(await Promise.all(workers.map((w) => w.done()))).toEqual([0, 0, 0, 0]);
	}, 60000);
});
