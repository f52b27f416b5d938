import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type { SqlDriver } from './driver';

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
	ssl?: boolean;
	/** A schema of its own, so the pack's tables stay apart in a shared database. */
	schema?: string;
	max?: number;
}

/** PostgreSQL for several n8n workers or Node-RED instances sharing cases. */
export class PostgresDriver implements SqlDriver {
	readonly dialect = 'postgres' as const;
	private readonly pool: Pool;

	constructor(private readonly opts: PostgresOptions) {
		const config: PoolConfig = {
			connectionString: opts.connectionString,
			host: opts.host,
			port: opts.port,
			database: opts.database,
			user: opts.user,
			password: opts.password,
			ssl: opts.ssl ? { rejectUnauthorized: false } : undefined,
			max: opts.max ?? 10,
			connectionTimeoutMillis: 5000,
		};
		if (opts.schema) {
			if (!/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema)) throw new Error(`PostgreSQL schema "${opts.schema}" must be lower-case letters, digits and underscores.`);
			config.options = `-c search_path=${opts.schema}`;
		}
		this.pool = new Pool(config);
		// An idle client that loses its connection must not crash the host process.
		this.pool.on('error', () => undefined);
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
		return this.on(this.pool).all<T>(sql, params);
	}

	run(sql: string, params?: unknown[]): Promise<number> {
		return this.on(this.pool).run(sql, params);
	}

	async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
		const client = await this.pool.connect();
		try {
			await client.query('BEGIN');
			const out = await fn(this.on(client));
			await client.query('COMMIT');
			return out;
		} catch (e) {
			await client.query('ROLLBACK').catch(() => undefined);
			throw e;
		} finally {
			client.release();
		}
	}

	close(): Promise<void> {
		return this.pool.end();
	}
}
