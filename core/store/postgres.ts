// Types only: pg is an optional dependency, loaded when a PostgreSQL store is opened (loadPg).
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type { SqlDriver } from './driver';

type PgModule = typeof import('pg');

/**
 * The pg package, an optional dependency: most installs use the embedded SQLite store and never need it, and
 * Node-RED's flow library counts every runtime dependency. Absent, opening a PostgreSQL store says what to install.
 */
function loadPg(): PgModule {
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		return require('pg') as PgModule;
	} catch (e) {
		const err = e as NodeJS.ErrnoException;
		if (err.code !== 'MODULE_NOT_FOUND' || !/'pg'/.test(err.message)) throw e;
		throw new Error(
			'The PostgreSQL store needs the "pg" package, which is not installed: run "npm install pg" in the folder ' +
				'the pack is installed in (~/.n8n/nodes, or the Node-RED user folder), then restart; or use the SQLite store.',
		);
	}
}

/** `?` placeholders to PostgreSQL's `$1`; our SQL never has a `?` inside a string literal. */
function numbered(sql: string): string {
	let i = 0;
	return sql.replace(/\?/g, () => `$${++i}`);
}

export interface PostgresOptions {
	connectionString?: string;
	host?: string;
	port?: number;
	database?: string;
	user?: string;
	password?: string;
	/** TLS to the server, verifying its certificate against the trusted CAs (Node's list, or NODE_EXTRA_CA_CERTS). */
	ssl?: boolean;
	/**
	 * false: accept a certificate that does not verify (a self-signed one). Insecure, so explicit: anyone on the path
	 * could pose as the server. Better: add the server's CA to NODE_EXTRA_CA_CERTS and leave this on.
	 */
	sslRejectUnauthorized?: boolean;
	/** A schema of its own, so the pack's tables stay apart in a shared database. */
	schema?: string;
	max?: number;
	/** Waits between retries when the database is out of reach for a moment (default about 10 s in all). */
	retryDelaysMs?: number[];
	/**
	 * How long the server lets one of our sessions sit inside an open transaction before it ends the session
	 * (default 15 s). A process that stalls mid-transaction (a frozen VM, a long pause, SIGSTOP) would otherwise keep
	 * its row locks, among them the business's send counters, and hold every other worker's texts until it woke.
	 */
	idleInTransactionTimeoutMs?: number;
}

/** The server's limit on a session left idle inside a transaction; see PostgresOptions.idleInTransactionTimeoutMs. */
export const DEFAULT_IDLE_IN_TRANSACTION_MS = 15000;

// 25P03: the server ended a session left idle inside a transaction (its work was rolled back; run it again).
const TRANSIENT_CODES = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'EPIPE',
	'ETIMEDOUT',
	'EHOSTUNREACH',
	'ENOTFOUND',
	'25P03',
	'57P01',
	'57P02',
	'57P03',
	'08000',
	'08001',
	'08003',
	'08004',
	'08006',
	'53300',
]);

// What pg says when the connection, not the statement, failed (it gives these no code).
const TRANSIENT_MESSAGES = new RegExp(
	'Connection terminated|connection timeout|timeout exceeded when trying to connect|' +
		'Client has encountered a connection error|Connection refused',
	'i',
);

/**
 * Errors that mean the database was out of reach (restarting, failing over, a dropped link), not that the statement was
 * wrong.
 */
export function isTransient(e: unknown): boolean {
	const code = String((e as { code?: unknown })?.code ?? '');
	if (TRANSIENT_CODES.has(code)) return true;
	return TRANSIENT_MESSAGES.test(String((e as Error)?.message ?? ''));
}

export const DEFAULT_STORE_RETRY_MS = [50, 100, 200, 400, 800, 1500, 2000, 2500, 2500];

/** Runs a store operation again while the database is briefly unavailable; other errors pass straight through. */
export async function retryTransient<T>(fn: () => Promise<T>, delays: number[] = DEFAULT_STORE_RETRY_MS): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await fn();
		} catch (e) {
			if (!isTransient(e) || attempt >= delays.length) throw e;
			await new Promise((r) => setTimeout(r, delays[attempt]));
		}
	}
}

/** PostgreSQL for several n8n workers or Node-RED instances sharing cases. */
export class PostgresDriver implements SqlDriver {
	readonly dialect = 'postgres' as const;
	private readonly pool: Pool;
	private readonly begin: string;

	constructor(private readonly opts: PostgresOptions) {
		const config: PoolConfig = {
			connectionString: opts.connectionString,
			host: opts.host,
			port: opts.port,
			database: opts.database,
			user: opts.user,
			password: opts.password,
			ssl: opts.ssl ? { rejectUnauthorized: opts.sslRejectUnauthorized !== false } : undefined,
			max: opts.max ?? 10,
			connectionTimeoutMillis: 5000,
		};
		if (opts.schema) {
			if (!/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema))
				throw new Error(`PostgreSQL schema "${opts.schema}" must be lower-case letters, digits and underscores.`);
			config.options = `-c search_path=${opts.schema}`;
		}
		const { Pool: PgPool } = loadPg();
		this.pool = new PgPool(config);
		// An idle client that loses its connection must not crash the host process.
		this.pool.on('error', () => undefined);
		// Set for each transaction (SET LOCAL, sent with BEGIN in one round trip), not as a startup option or a
		// session SET: poolers such as PgBouncer refuse unknown startup options and hand sessions around.
		const idleMs = Math.max(0, Math.round(opts.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_MS));
		this.begin = idleMs > 0 ? `BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${idleMs}` : 'BEGIN';
	}

	async init(): Promise<void> {
		if (this.opts.schema) {
			const c = await this.pool.connect();
			try {
				await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.opts.schema}`);
			} finally {
				c.release();
			}
		}
	}

	private on(client: Pool | PoolClient): SqlDriver {
		return {
			dialect: 'postgres',
			all: async <T>(sql: string, params: unknown[] = []) => (await client.query(numbered(sql), params)).rows as T[],
			run: async (sql: string, params: unknown[] = []) => (await client.query(numbered(sql), params)).rowCount ?? 0,
			transaction: (fn) => this.transaction(fn),
			close: async () => undefined,
		};
	}

	all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
		return retryTransient(() => this.on(this.pool).all<T>(sql, params), this.opts.retryDelaysMs);
	}

	run(sql: string, params?: unknown[]): Promise<number> {
		return retryTransient(() => this.on(this.pool).run(sql, params), this.opts.retryDelaysMs);
	}

	/** A transaction that lost its connection was rolled back by the server: it is run again whole. */
	transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
		return retryTransient(() => this.once(fn), this.opts.retryDelaysMs);
	}

	private async once<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
		const client = await this.pool.connect();
		let broken: Error | undefined;
		// A checked-out client whose link drops emits 'error'; the failing query reports it, so it must not crash the host.
		const onError = (e: Error) => (broken = e);
		client.on('error', onError);
		try {
			await client.query(this.begin);
			const out = await fn(this.on(client));
			await client.query('COMMIT');
			return out;
		} catch (e) {
			if (isTransient(e)) broken = e as Error;
			else await client.query('ROLLBACK').catch((r: Error) => (broken = r));
			throw e;
		} finally {
			// A client whose connection broke is discarded, not handed to the next caller.
			client.off('error', onError);
			client.release(broken);
		}
	}

	close(): Promise<void> {
		return this.pool.end();
	}
}
