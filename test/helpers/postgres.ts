import { Client } from 'pg';

export const PG_URL = process.env.MCR_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Fails with a clear message when the machine's PostgreSQL is not answering, instead of a vague timeout. */
export async function requirePostgres(): Promise<void> {
	const c = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
	try {
		await c.connect();
		await c.query('SELECT 1');
	} catch (e) {
		throw new Error(
			`PostgreSQL is not answering at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} (${(e as Error).message}). ` +
				'Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or set MCR_TEST_PG_URL.',
		);
	} finally {
		await c.end().catch(() => undefined);
	}
}

export function uniqueSchema(prefix: string): string {
	return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
}

export async function dropSchema(schema: string): Promise<void> {
	const c = new Client({ connectionString: PG_URL });
	await c.connect();
	try {
		await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
	} finally {
		await c.end();
	}
}
