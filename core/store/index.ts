import { z } from 'zod';
import { parseOrThrow } from '../errors';
import { PostgresDriver } from './postgres';
import { SqliteDriver } from './sqlite';
import { SqlStore } from './sql-store';
import type { RecoveryStore } from './types';

export type {
	RecoveryStore,
	CaseFilter,
	MessageRecord,
	CallerMessageStats,
	OpenCaseResult,
	AckReservation,
	SaveCaseOptions,
} from './types';
export { CapReachedError } from './caps';
export { SqlStore } from './sql-store';
export { SCHEMA_VERSION } from './schema';

export const StoreConfigSchema = z.discriminatedUnion('type', [
	z.object({
		type: z.literal('sqlite'),
		file: z.string().min(1, 'Give the SQLite file path, or ":memory:" for tests'),
	}),
	z.object({
		type: z.literal('postgres'),
		connectionString: z.string().optional(),
		host: z.string().optional(),
		port: z.number().int().optional(),
		database: z.string().optional(),
		user: z.string().optional(),
		password: z.string().optional(),
		ssl: z.boolean().optional(),
		/**
		 * With ssl on, false accepts a certificate that does not verify (self-signed, another host's, expired). Off by
		 * default: without verification anyone on the path can pose as the server and read the password and cases.
		 */
		sslRejectUnauthorized: z.boolean().optional(),
		schema: z.string().optional(),
		max: z.number().int().positive().optional(),
		idleInTransactionTimeoutMs: z.number().int().nonnegative().optional(),
	}),
]);
export type StoreConfig = z.infer<typeof StoreConfigSchema>;

/** Opens the configured store and creates or migrates its schema. */
export async function openStore(input: StoreConfig): Promise<RecoveryStore> {
	const config = parseOrThrow(StoreConfigSchema, input, 'Store settings');
	if (config.type === 'sqlite') {
		const store = new SqlStore(new SqliteDriver(config.file));
		await store.migrate();
		return store;
	}
	const driver = new PostgresDriver(config);
	try {
		await driver.init();
		const store = new SqlStore(driver);
		await store.migrate();
		return store;
	} catch (e) {
		await driver.close().catch(() => undefined);
		const where = config.connectionString
			? 'the connection string'
			: `${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? ''}`;
		const err = new Error(
			`Could not open the PostgreSQL store at ${where}: ${(e as Error).message}. Check the server is running and ` +
				`the credentials are right.`,
		);
		throw err;
	}
}
