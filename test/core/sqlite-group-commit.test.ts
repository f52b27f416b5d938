import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SqliteDriver } from '../../core/store/sqlite';

/**
 * Runs `body` in a plain Node process (jest keeps handles of its own open, and SQLite reads its temporary directory
 * once per process), with `SqliteDriver` compiled from the TypeScript source on require and `process.argv[1]` set to
 * `file`.
 */
function runWithDriver(body: string, file: string, o: { timeout: number; env?: NodeJS.ProcessEnv }) {
	const script = `
			const fs = require('node:fs'); const ts = require('typescript');
			const compilerOptions = { module: 'commonjs', target: 'es2022', esModuleInterop: true };
			require.extensions['.ts'] = (m, f) =>
				m._compile(ts.transpileModule(fs.readFileSync(f, 'utf8'), { compilerOptions }).outputText, f);
			const { SqliteDriver } = require(${JSON.stringify(join(__dirname, '../../core/store/sqlite.ts'))});
${body}`;
	return spawnSync(process.execPath, ['-e', script, file], {
		encoding: 'utf8',
		timeout: o.timeout,
		env: o.env ?? process.env,
	});
}

/** The SQLite driver's group commit: writes that queue up together share one COMMIT, each still atomic on its own. */
describe('SQLite group commit', () => {
	let dir: string;
	let db: SqliteDriver;
	beforeEach(async () => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-group-'));
		db = new SqliteDriver(join(dir, 'g.db'));
		await db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
	});
	afterEach(async () => {
		await db.close();
		rmSync(dir, { recursive: true, force: true });
	});

	const rows = async (d: SqliteDriver = db) =>
		(await d.all<{ id: number; v: string }>('SELECT id, v FROM t ORDER BY id')).map((r) => `${r.id}:${r.v}`);

	test(`transactions arriving together share commits; one that throws is undone alone and gets its \
own error`, async () => {
		const before = { ...db.groups };
		const results = await Promise.allSettled(
			Array.from({ length: 20 }, (_, i) =>
				db.transaction(async (tx) => {
					await tx.run('INSERT INTO t (id, v) VALUES (?, ?)', [i, 'a']);
					await tx.run('UPDATE t SET v = ? WHERE id = ?', ['b', i]);
					if (i === 7) throw new Error('transaction 7 fails after writing');
					return i;
				}),
			),
		);
		expect(
			results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value),
		).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
		expect((results[7] as PromiseRejectedResult).reason.message).toBe('transaction 7 fails after writing');
		expect(await rows()).toEqual(
			[0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map((i) => `${i}:b`),
		);
		expect(db.groups.transactions - before.transactions).toBe(20);
		expect(db.groups.commits - before.commits).toBeLessThan(5);
	});

	test('a statement that breaks a constraint fails alone inside a group', async () => {
		await db.run('INSERT INTO t (id, v) VALUES (1, ?)', ['x']);
		const results = await Promise.allSettled([
			db.run('INSERT INTO t (id, v) VALUES (2, ?)', ['y']),
			db.run('INSERT INTO t (id, v) VALUES (1, ?)', ['dup']),
			db.run('INSERT INTO t (id, v) VALUES (3, ?)', ['z']),
		]);
		expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
		expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE|constraint/i);
		expect(await rows()).toEqual(['1:x', '2:y', '3:z']);
	});

	test('a caller is answered only once its write is committed: another connection already sees it', async () => {
		const other = new SqliteDriver(join(dir, 'g.db'));
		try {
			await Promise.all(
				Array.from({ length: 10 }, async (_, i) => {
					await db.run('INSERT INTO t (id, v) VALUES (?, ?)', [i, 'c']);
					expect(await rows(other)).toContain(`${i}:c`);
				}),
			);
		} finally {
			await other.close();
		}
	});

	test('writes one after another each commit on their own', async () => {
		const before = db.groups.commits;
		for (let i = 0; i < 5; i++) await db.run('INSERT INTO t (id, v) VALUES (?, ?)', [i, 'd']);
		expect(db.groups.commits - before).toBe(5);
	});

	test(`checkpoints happen on their own thread: the database file fills from the WAL without any \
request doing it`, async () => {
		const file = join(dir, 'g.db');
		const before = statSync(file).size;
		const page = 'p'.repeat(4000);
		for (let i = 0; i < 600; i++) await db.run('INSERT INTO t (id, v) VALUES (?, ?)', [i, page]);
		// 2.4 MB written, far below the connection's own backstop (20,000 pages): only the thread moves it into the file.
		const deadline = Date.now() + 5000;
		while (statSync(file).size < before + 2e6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
		expect(statSync(file).size).toBeGreaterThan(before + 2e6);
	});

	test('a process with nothing else to do stays alive until close() has finished', () => {
		const out = runWithDriver(
			`
			const db = new SqliteDriver(process.argv[1]);
			db.run('CREATE TABLE t (id INTEGER)').then(() => db.close()).then(() => console.log('closed'));
		`,
			join(dir, 'alone.db'),
			{ timeout: 20000 },
		);
		expect(out.stderr).toBe('');
		expect(out.stdout.trim()).toBe('closed');
	});

	test('when SQLite ends the whole transaction, every write in the group fails and none is kept', async () => {
		const results = await Promise.allSettled([
			db.run('INSERT INTO t (id, v) VALUES (1, ?)', ['e']),
			db.transaction(async (tx) => {
				await tx.run('ROLLBACK'); // what an I/O error or a full disk does to the transaction
				throw new Error('disk full');
			}),
			db.run('INSERT INTO t (id, v) VALUES (2, ?)', ['e']),
		]);
		expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
		expect(await rows()).toEqual([]);
		// The driver is usable afterwards.
		await db.run('INSERT INTO t (id, v) VALUES (3, ?)', ['f']);
		expect(await rows()).toEqual(['3:f']);
	});

	test(`a single statement runs without a savepoint of its own, yet one that ends the transaction still fails \
the whole group`, async () => {
		// A failing single statement is undone alone (the constraint test above); one that ends the transaction without
		// failing (as SQLite does on an I/O error) must not let the writes after it run outside any transaction.
		const results = await Promise.allSettled([
			db.run('INSERT INTO t (id, v) VALUES (1, ?)', ['g']),
			db.run('ROLLBACK'),
			db.run('INSERT INTO t (id, v) VALUES (2, ?)', ['g']),
			db.transaction(async (tx) => tx.run('INSERT INTO t (id, v) VALUES (3, ?)', ['g'])),
		]);
		expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
		expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/ended the transaction/);
		expect(await rows()).toEqual([]);
		await db.run('INSERT INTO t (id, v) VALUES (4, ?)', ['h']);
		expect(await rows()).toEqual(['4:h']);
	});

	test(`a single statement whose error ends the transaction (as an I/O error does) fails every write of the \
group with that error`, async () => {
		// RAISE(ROLLBACK) ends the whole transaction from inside one statement, as SQLite does on a full disk.
		await db.run('CREATE TABLE u (id INTEGER)');
		await db.run("CREATE TRIGGER u_full BEFORE INSERT ON u BEGIN SELECT RAISE(ROLLBACK, 'simulated disk full'); END");
		const results = await Promise.allSettled([
			db.run('INSERT INTO t (id, v) VALUES (1, ?)', ['i']),
			db.run('INSERT INTO u (id) VALUES (1)'),
			db.run('INSERT INTO t (id, v) VALUES (2, ?)', ['i']),
		]);
		expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
		for (const r of results) expect(String((r as PromiseRejectedResult).reason)).toMatch(/simulated disk full/);
		expect(await rows()).toEqual([]);
	});
});

describe('SQLite temporary storage', () => {
	test(`a group commit large enough to spill its savepoints' journal writes no temporary file: it stays \
in memory`, () => {
		// A process of its own, pointed at a temporary directory of its own, which it watches for files being created
		// (SQLite deletes them at once, the watch still sees them).
		const dir = mkdtempSync(join(tmpdir(), 'mcr-temp-'));
		const tmp = join(dir, 'tmp');
		mkdirSync(tmp);
		const script = `
			const created = [];
			const watcher = fs.watch(process.env.SQLITE_TMPDIR, (event, name) => created.push(name));
			(async () => {
				const db = new SqliteDriver(process.argv[1]);
				await db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
				for (let i = 0; i < 200; i++) await db.run('INSERT INTO t (id, v) VALUES (?, ?)', [i, 'a'.repeat(3000)]);
				// 40 transactions in one group, each changing 10 rows on pages of their own: about 1.6 MB of savepoint journal.
				const before = db.groups.commits;
				await Promise.all(Array.from({ length: 40 }, (_, k) => db.transaction(async (tx) => {
					for (let j = 0; j < 10; j++)
						await tx.run('UPDATE t SET v = ? WHERE id = ?', [String(k).repeat(3000), (k * 7 + j * 13) % 200]);
				})));
				const shared = db.groups.commits - before;
				const n = (await db.all('SELECT COUNT(*) AS n FROM t WHERE v != ?', ['a'.repeat(3000)]))[0].n;
				await db.close();
				await new Promise((r) => setTimeout(r, 300));
				watcher.close();
				console.log(JSON.stringify({ changed: n, commits: shared, created }));
			})();
		`;
		try {
			const out = runWithDriver(script, join(dir, 'big.db'), {
				timeout: 30000,
				env: { ...process.env, SQLITE_TMPDIR: tmp },
			});
			expect(out.stderr).toBe('');
			const r = JSON.parse(out.stdout.trim()) as { changed: number; commits: number; created: string[] };
			expect(r.changed).toBeGreaterThan(150);
			// The premise: the 40 shared a commit, so their journal did pass the spill size.
			expect(r.commits).toBe(1);
			expect(r.created).toEqual([]);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
