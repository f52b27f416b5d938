import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, runtimes } from './harness';

/**
 * The SQLite driver's group commit on Node 24's built-in node:sqlite (the engine n8n 2.x and Node-RED on Node 24 get),
 * where the unit tests, on Node 20, run better-sqlite3: single statements share a transaction without savepoints of
 * their own, so the driver must see, through node:sqlite's own transaction flag, when SQLite ended the transaction.
 */
describe('SQLite group commit on Node 24 (node:sqlite)', () => {
	beforeAll(() => runtimes.install(['node24']));

	test(`a broken constraint fails alone; a statement that ends the transaction, quietly or with an error, fails \
the whole group and nothing is kept`, () => {
		const script = `
			const { mkdtempSync } = require('node:fs'); const { join } = require('node:path'); const { tmpdir } = require('node:os');
			const { SqliteDriver } = require(${JSON.stringify(join(ROOT, 'dist', 'core', 'store', 'sqlite.js'))});
			(async () => {
				const db = new SqliteDriver(join(mkdtempSync(join(tmpdir(), 'mcr-n24-')), 'g.db'));
				const rows = async () => (await db.all('SELECT id FROM t ORDER BY id')).map((r) => r.id);
				await db.run('CREATE TABLE t (id INTEGER PRIMARY KEY)');
				await db.run('INSERT INTO t (id) VALUES (1)');
				const a = await Promise.allSettled([db.run('INSERT INTO t (id) VALUES (2)'), db.run('INSERT INTO t (id) VALUES (1)'), db.run('INSERT INTO t (id) VALUES (3)')]);
				const afterA = await rows();
				const b = await Promise.allSettled([db.run('INSERT INTO t (id) VALUES (4)'), db.run('ROLLBACK'), db.run('INSERT INTO t (id) VALUES (5)')]);
				const afterB = await rows();
				// RAISE(ROLLBACK) ends the transaction from inside one statement, as SQLite does on a full disk.
				await db.run('CREATE TABLE u (id INTEGER)');
				await db.run("CREATE TRIGGER u_full BEFORE INSERT ON u BEGIN SELECT RAISE(ROLLBACK, 'simulated disk full'); END");
				const c = await Promise.allSettled([db.run('INSERT INTO t (id) VALUES (6)'), db.run('INSERT INTO u (id) VALUES (1)'), db.run('INSERT INTO t (id) VALUES (7)')]);
				const afterC = await rows();
				console.log(JSON.stringify({ engine: db.engine, a: a.map((r) => r.status), afterA, b: b.map((r) => r.status), afterB, c: c.map((r) => r.status === 'rejected' && /simulated disk full/.test(String(r.reason))), afterC }));
				await db.close();
			})().catch((e) => { console.error(e); process.exit(1); });`;
		const r = spawnSync(runtimes.paths().node24, ['-e', script], {
			encoding: 'utf8',
			env: { ...process.env, NODE_OPTIONS: '' },
		});
		expect(r.stderr.replace(/^.*ExperimentalWarning.*$|^.*--trace-warnings.*$/gm, '').trim()).toBe('');
		expect(JSON.parse(r.stdout)).toEqual({
			engine: 'node:sqlite',
			a: ['fulfilled', 'rejected', 'fulfilled'],
			afterA: [1, 2, 3],
			b: ['rejected', 'rejected', 'rejected'],
			afterB: [1, 2, 3],
			c: [true, true, true],
			afterC: [1, 2, 3],
		});
	});
});
