import { accessSync, closeSync, constants, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { RecoveryInputError } from '../errors';
import type { SqlDriver } from './driver';
// Types only: the module itself runs on the checkpoint thread.
import type { CheckpointerData, CheckpointerMessage } from './sqlite-checkpointer';

interface Statement {
	run(...params: unknown[]): { changes: number | bigint };
	all(...params: unknown[]): unknown[];
}
interface Database {
	exec(sql: string): void;
	prepare(sql: string): Statement;
	close(): void;
	/** better-sqlite3's name for "a transaction is open". */
	readonly inTransaction?: boolean;
	/** node:sqlite's (Node 22.16 and 24 on). */
	readonly isTransaction?: boolean;
}

type Engine = { open: (file: string) => Database; name: string };

/** `node:sqlite` where the runtime has it (Node 22.5+), else better-sqlite3: the same synchronous API. */
function loadEngine(): Engine {
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { DatabaseSync } = require('node:sqlite') as { DatabaseSync: new (f: string) => Database };
		return { open: (f) => new DatabaseSync(f), name: 'node:sqlite' };
	} catch (e) {
		const code = (e as NodeJS.ErrnoException).code;
		if (
			code !== 'ERR_UNKNOWN_BUILTIN_MODULE' &&
			code !== 'MODULE_NOT_FOUND' &&
			!/No such built-in module/.test(String(e))
		)
			throw e;
	}
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const BetterSqlite = require('better-sqlite3') as new (f: string) => Database;
		return { open: (f) => new BetterSqlite(f), name: 'better-sqlite3' };
	} catch (e) {
		throw new Error(
			`The SQLite store needs Node.js 22.5 or later (built-in node:sqlite) or the better-sqlite3 package; neither ` +
				`loaded (${(e as Error).message.split('\n')[0]}). ` +
				'Upgrade Node.js, run "npm install better-sqlite3" beside the pack, or use the PostgreSQL store.',
		);
	}
}

/** Why a SQLite file could not be opened, in terms of the path: a missing or read-only folder, or not a database. */
function openFailure(file: string, e: unknown): RecoveryInputError {
	const path = resolve(file);
	const dir = dirname(path);
	const cause = ((e as Error)?.message ?? String(e)).split('\n')[0];
	const where = 'SQLite store';
	if (!existsSync(dir))
		return new RecoveryInputError(
			'file',
			path,
			`Its folder ${dir} does not exist: create it, or choose a file in an existing folder (${cause}).`,
			where,
		);
	if (!statSync(dir).isDirectory())
		return new RecoveryInputError('file', path, `${dir} is not a folder: choose a file inside a folder.`, where);
	// access() says yes to root even on a read-only mount: create a file to know.
	const probe = join(dir, `.mcr-write-probe-${process.pid}-${Date.now()}`);
	try {
		closeSync(openSync(probe, 'wx'));
		rmSync(probe, { force: true });
	} catch (p) {
		return new RecoveryInputError(
			'file',
			path,
			`This process cannot write in the folder ${dir} (${(p as NodeJS.ErrnoException).code ?? 'error'}); SQLite creates ` +
				`the file and its -wal and -shm journals there. Give the process write access, or choose a writable folder.`,
			where,
		);
	}
	if (existsSync(path)) {
		try {
			accessSync(path, constants.R_OK | constants.W_OK);
		} catch {
			return new RecoveryInputError(
				'file',
				path,
				'This process cannot read and write the file: fix its permissions, or choose another file.',
				where,
			);
		}
		if (/not a database|file is encrypted|malformed/i.test(cause))
			return new RecoveryInputError(
				'file',
				path,
				`It is not a SQLite database (${cause}): choose another file, or move this one away.`,
				where,
			);
	}
	return new RecoveryInputError('file', path, `SQLite could not open it (${cause}).`, where);
}

/** The file's identity (device and inode), to notice it was deleted or replaced under a running store. */
function identity(file: string): string | undefined {
	const s = statSync(file, { throwIfNoEntry: false });
	return s ? `${s.dev}:${s.ino}` : undefined;
}

/** A statement that only reads, checked without copying the SQL (it is looked at for every read). */
const SELECT = /^\s*select/i;

/** How often the checkpoint thread copies what the WAL holds into the database file. */
const CHECKPOINT_EVERY_MS = 250;

/**
 * Where the checkpoint thread starts: its compiled module beside this one (dist), or, when running from the
 * TypeScript sources (tests), the .ts through a small loader that transpiles it, since Node starts workers only from
 * .js files.
 */
function checkpointerEntry(): { script: string; entry?: string } {
	const compiled = join(__dirname, 'sqlite-checkpointer.js');
	if (existsSync(compiled)) return { script: compiled };
	return { script: join(__dirname, 'ts-worker.js'), entry: join(__dirname, 'sqlite-checkpointer.ts') };
}

function startCheckpointer(file: string, engine: string, fileId: string | undefined): Worker | undefined {
	try {
		const driver = engine === 'node:sqlite' ? undefined : require.resolve('better-sqlite3');
		const data: CheckpointerData = { file, engine, driver, fileId, everyMs: CHECKPOINT_EVERY_MS };
		const { script, entry } = checkpointerEntry();
		const w = new Worker(script, { workerData: { ...data, entry } });
		w.on('error', () => undefined); // the backstop checkpoint covers a thread that failed
		w.unref();
		return w;
	} catch {
		return undefined;
	}
}

function bind(params: unknown[]): unknown[] {
	return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/** `single`: one statement (a plain run or a write with RETURNING), not a transaction of several. */
type Work = {
	fn: (tx: SqlDriver) => Promise<unknown>;
	resolve: (v: unknown) => void;
	reject: (e: unknown) => void;
	single?: boolean;
};

/** The real setImmediate, taken before any test framework can swap in a fake one. */
const nextTurn: (fn: () => void) => void = setImmediate;

/** Writes that arrive while a commit is in progress share the next one, up to this many. */
const MAX_GROUP = 64;

/**
 * The embedded store's driver: one connection in WAL mode. Writes are serialized by a queue so that concurrent
 * async callers in one process never interleave inside a transaction; other processes wait on SQLite's own lock
 * (busy_timeout).
 *
 * Group commit: the transactions (and single writes) that queue up in one turn of the event loop, or while a
 * commit is in progress, run together in the next one, each transaction inside its own savepoint (a single statement
 * needs none: SQLite undoes a failed statement by itself). One that throws is rolled back alone and gets its error; the
 * others commit. Every caller is answered only after the shared COMMIT, so what a caller was told
 * is stored is on disk exactly as with a commit of its own. At one writer at a time nothing changes (a group of
 * one is a plain transaction); under load, the fixed cost of BEGIN and COMMIT (the WAL write) is shared.
 */
export class SqliteDriver implements SqlDriver {
	readonly dialect = 'sqlite' as const;
	readonly engine: string;
	private readonly db: Database;
	private readonly statements = new Map<string, Statement>();
	private queue: Promise<unknown> = Promise.resolve();
	/** The group waiting for its turn; new writes join it until it starts. */
	private waiting: Work[] | undefined;
	/** Groups committed and the transactions in them, for the bench and tests. */
	readonly groups = { commits: 0, transactions: 0 };
	private readonly checkpointer: Worker | undefined;
	/** Device and inode of the file when it was opened; undefined for an in-memory database. */
	private readonly fileId: string | undefined;
	private readonly path: string;

	constructor(private readonly file: string) {
		const engine = loadEngine();
		this.engine = engine.name;
		let db: Database | undefined;
		try {
			db = engine.open(file);
			this.db = db;
			this.configure(db);
		} catch (e) {
			// A handle opened before a pragma failed (a read-only folder refuses the WAL; a file that is not a
			// database fails its first statement) is closed here, not left to the garbage collector.
			try {
				db?.close();
			} catch {
				// closing a half-open handle can fail too; the open error is what matters
			}
			throw openFailure(file, e);
		}
		// Resolved once: a relative name must keep meaning this file if the process changes its working folder.
		this.path = resolve(file);
		this.fileId = this.onDisk() ? identity(this.path) : undefined;
		// Checkpoints (copying the WAL into the database file, with an fsync) run on a thread of their own, so no
		// request waits for one; the connection's own automatic checkpoint stays as a backstop should that thread fall
		// behind.
		this.checkpointer = file === ':memory:' ? undefined : startCheckpointer(file, engine.name, this.fileId);
		db.exec(`PRAGMA wal_autocheckpoint = ${this.checkpointer ? 20000 : 1000}`);
	}

	private configure(db: Database): void {
		db.exec('PRAGMA journal_mode = WAL');
		// NORMAL in WAL mode: a commit survives a process crash; only an OS crash can lose the last commits.
		db.exec('PRAGMA synchronous = NORMAL');
		db.exec('PRAGMA busy_timeout = 5000');
		db.exec('PRAGMA foreign_keys = ON');
		// A group commit's savepoints keep the pages they change in a sub-journal, which SQLite spills to a temporary
		// file once it passes 64 KiB (a group of a dozen transactions does), opened, written and deleted under load
		// (the count is in docs/performance.md). Held in memory instead; it only ever serves to undo a savepoint, never
		// crash recovery (that is the WAL), so nothing durable moves. Sorts and temporary indexes of reports also stay
		// in memory, and a read-only /tmp (hardened containers) no longer matters.
		db.exec('PRAGMA temp_store = MEMORY');
	}

	/** A file on disk (not ":memory:" or an empty name, which SQLite keeps in memory or as a private temporary file). */
	private onDisk(): boolean {
		return this.file !== '' && this.file !== ':memory:' && !this.file.startsWith('file:');
	}

	/**
	 * Refuses to write when the file was deleted or replaced since it was opened: SQLite would go on writing to the
	 * unlinked file, every caller would be told its case is stored, texts would go out, and it would all be gone when
	 * the store is opened again. One stat per group commit (a few microseconds), not per write.
	 */
	private checkFile(): void {
		if (this.fileId === undefined) return;
		const now = identity(this.path);
		if (now === this.fileId) return;
		throw new Error(
			`The SQLite store file ${this.path} was ${now ? 'replaced by another file' : 'deleted'} while the store was open: ` +
				'nothing more is written (and no text is sent) until the store is opened again. Restore the file from a ' +
				'backup, or restart so the store opens a new one, and keep other tools from deleting it.',
		);
	}

	private stmt(sql: string): Statement {
		let s = this.statements.get(sql);
		if (!s) {
			s = this.db.prepare(sql);
			if (this.statements.size < 500) this.statements.set(sql, s);
		}
		return s;
	}

	/** The statements straight on the connection; one object, built once, since every read goes through it. */
	private directDriver: SqlDriver | undefined;

	private direct(): SqlDriver {
		return (this.directDriver ??= {
			dialect: 'sqlite',
			all: async <T>(sql: string, params: unknown[] = []) => this.stmt(sql).all(...bind(params)) as T[],
			run: async (sql: string, params: unknown[] = []) => Number(this.stmt(sql).run(...bind(params)).changes),
			transaction: (fn) => fn(this.direct()),
			close: async () => undefined,
		});
	}

	/** Queues `fn` to run inside the next group's transaction; settles after that group's COMMIT. */
	private write<T>(fn: (tx: SqlDriver) => Promise<T>, single = false): Promise<T> {
		return new Promise<T>((resolve, reject) => {
			let group = this.waiting;
			if (!group || group.length >= MAX_GROUP) {
				const fresh: Work[] = [];
				group = this.waiting = fresh;
				const run = () => {
					if (this.waiting === fresh) this.waiting = undefined;
					return this.commitGroup(fresh);
				};
				// One turn of the event loop before the group closes: in a server every request is its own callback,
				// so the writes of all requests handled in this turn join it.
				const turn = () => new Promise<void>((r) => nextTurn(r));
				this.queue = this.queue.then(turn, turn).then(run);
			}
			group.push({ fn, resolve: resolve as (v: unknown) => void, reject, single });
		});
	}

	private async commitGroup(group: Work[]): Promise<void> {
		const tx = this.direct();
		try {
			this.checkFile();
			this.stmt('BEGIN IMMEDIATE').run();
		} catch (e) {
			for (const w of group) w.reject(e);
			return;
		}
		const settle: (() => void)[] = [];
		try {
			if (group.length === 1) {
				const out = await group[0].fn(tx);
				settle.push(() => group[0].resolve(out));
			} else {
				for (const w of group) {
					// A single statement needs no savepoint of its own: SQLite undoes a statement that fails (a broken
					// constraint) by itself and the transaction goes on. Only when the engine can say whether the
					// transaction is still open, so one that SQLite ended (I/O error, full disk) fails the group.
					if (w.single && this.inTransaction() !== undefined) {
						let outcome: { out: unknown } | { error: unknown };
						try {
							outcome = { out: await w.fn(tx) };
						} catch (e) {
							outcome = { error: e };
						}
						if (!this.inTransaction()) {
							// Every caller of the group gets the cause: SQLite's own error, or ours when a statement ended it quietly.
							throw 'error' in outcome
								? outcome.error
								: new Error(
										'SQLite ended the transaction in the middle of a group commit: no write of the group is kept',
									);
						}
						settle.push('error' in outcome ? () => w.reject(outcome.error) : () => w.resolve(outcome.out));
						continue;
					}
					this.stmt('SAVEPOINT mcr_group').run();
					try {
						const out = await w.fn(tx);
						this.stmt('RELEASE mcr_group').run();
						settle.push(() => w.resolve(out));
					} catch (e) {
						// Only this transaction's writes are undone; if SQLite already ended the whole transaction
						// (I/O error, disk full), ROLLBACK TO throws and the group fails below.
						try {
							this.stmt('ROLLBACK TO mcr_group').run();
							this.stmt('RELEASE mcr_group').run();
						} catch {
							throw e;
						}
						settle.push(() => w.reject(e));
					}
				}
			}
			this.stmt('COMMIT').run();
		} catch (e) {
			try {
				this.stmt('ROLLBACK').run();
			} catch {
				// already rolled back by SQLite
			}
			for (const w of group) w.reject(e);
			return;
		}
		this.groups.commits++;
		this.groups.transactions += group.length;
		for (const s of settle) s();
	}

	all<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
		if (!SELECT.test(sql)) return this.write((tx) => tx.all<T>(sql, params), true);
		return this.direct().all<T>(sql, params);
	}

	run(sql: string, params: unknown[] = []): Promise<number> {
		return this.write((tx) => tx.run(sql, params), true);
	}

	/**
	 * Whether the connection is inside a transaction; undefined where the engine cannot say (node:sqlite before 22.16).
	 */
	private inTransaction(): boolean | undefined {
		return this.db.inTransaction ?? this.db.isTransaction;
	}

	transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
		return this.write(fn);
	}

	async close(): Promise<void> {
		await this.queue;
		this.statements.clear();
		if (this.checkpointer) {
			// Held (ref) while it finishes: an unreferenced thread and timer would let a process with nothing else to do
			// exit in the middle of close().
			const w = this.checkpointer;
			w.ref();
			const exited = new Promise((r) => w.once('exit', r));
			w.postMessage('close' satisfies CheckpointerMessage);
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 2000)))]);
			clearTimeout(timer);
			await w.terminate();
		}
		this.db.close();
	}
}
