import type { SqlDriver } from './driver';

interface Statement {
	run(...params: unknown[]): { changes: number | bigint };
	all(...params: unknown[]): unknown[];
}
interface Database {
	exec(sql: string): void;
	prepare(sql: string): Statement;
	close(): void;
}

/** `node:sqlite` where the runtime has it (Node 22.5+), else better-sqlite3: the same synchronous API. */
function openDatabase(file: string): { db: Database; engine: string } {
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { DatabaseSync } = require('node:sqlite') as { DatabaseSync: new (f: string) => Database };
		return { db: new DatabaseSync(file), engine: 'node:sqlite' };
	} catch (e) {
		const code = (e as NodeJS.ErrnoException).code;
		if (code !== 'ERR_UNKNOWN_BUILTIN_MODULE' && code !== 'MODULE_NOT_FOUND' && !/No such built-in module/.test(String(e))) throw e;
	}
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const BetterSqlite = require('better-sqlite3') as new (f: string) => Database;
		return { db: new BetterSqlite(file), engine: 'better-sqlite3' };
	} catch (e) {
		throw new Error(
			`The SQLite store needs Node.js 22.5 or later (built-in node:sqlite) or the better-sqlite3 package; neither loaded (${(e as Error).message.split('\n')[0]}). ` +
				'Upgrade Node.js, run "npm install better-sqlite3" beside the pack, or use the PostgreSQL store.',
		);
	}
}

function bind(params: unknown[]): unknown[] {
	return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/**
 * The embedded store's driver: one connection in WAL mode. Transactions are serialized by a queue so that
 * concurrent async callers in one process never interleave inside BEGIN ... COMMIT; other processes wait on
 * SQLite's own lock (busy_timeout).
 */
export class SqliteDriver implements SqlDriver {
	readonly dialect = 'sqlite' as const;
	readonly engine: string;
	private readonly db: Database;
	private readonly statements = new Map<string, Statement>();
	private queue: Promise<unknown> = Promise.resolve();

	constructor(file: string) {
		const { db, engine } = openDatabase(file);
		this.db = db;
		this.engine = engine;
		db.exec('PRAGMA journal_mode = WAL');
		// NORMAL in WAL mode: a commit survives a process crash; only an OS crash can lose the last commits.
		db.exec('PRAGMA synchronous = NORMAL');
		db.exec('PRAGMA busy_timeout = 5000');
		db.exec('PRAGMA wal_autocheckpoint = 8000');
		db.exec('PRAGMA foreign_keys = ON');
	}

	private stmt(sql: string): Statement {
		let s = this.statements.get(sql);
		if (!s) {
			s = this.db.prepare(sql);
			if (this.statements.size < 500) this.statements.set(sql, s);
		}
		return s;
	}

	private direct(): SqlDriver {
		return {
			dialect: 'sqlite',
			all: async <T>(sql: string, params: unknown[] = []) => this.stmt(sql).all(...bind(params)) as T[],
			run: async (sql: string, params: unknown[] = []) => Number(this.stmt(sql).run(...bind(params)).changes),
			transaction: (fn) => fn(this.direct()),
			close: async () => undefined,
		};
	}

	private serialize<T>(fn: () => Promise<T>): Promise<T> {
		const next = this.queue.then(fn, fn);
		this.queue = next.catch(() => undefined);
		return next;
	}

	all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
		if (!sql.trimStart().toUpperCase().startsWith('SELECT')) return this.serialize(() => this.direct().all<T>(sql, params));
		return this.direct().all<T>(sql, params);
	}

	run(sql: string, params: unknown[] = []): Promise<number> {
		return this.serialize(() => this.direct().run(sql, params));
	}

	transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
		return this.serialize(async () => {
			this.db.exec('BEGIN IMMEDIATE');
			try {
				const out = await fn(this.direct());
				this.db.exec('COMMIT');
				return out;
			} catch (e) {
				this.db.exec('ROLLBACK');
				throw e;
			}
		});
	}

	async close(): Promise<void> {
		await this.queue;
		this.statements.clear();
		this.db.close();
	}
}
