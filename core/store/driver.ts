/** The little a SQL store needs from a database: the SQLite and PostgreSQL drivers implement it. */
export interface SqlDriver {
	readonly dialect: 'sqlite' | 'postgres';
	/** Rows of a query; `?` placeholders. */
	all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
	/** Rows changed by a statement. */
	run(sql: string, params?: unknown[]): Promise<number>;
	/** Runs `fn` in one transaction on one connection; rolls back if it throws. */
	transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
	close(): Promise<void>;
}
