import { Client } from 'pg';

/** Where the tests find PostgreSQL and whether it answers; no jest globals, so the global setup can use it too. */
export const PG_URL = process.env.MCR_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Set by the jest global setup (test/helpers/postgres-setup.ts) when PostgreSQL is not answering on a developer's
 * machine. Never honoured in CI (env CI set), where a missing PostgreSQL fails the run.
 */
export const PG_SKIP_ENV = 'MCR_TEST_PG_SKIPPED';

const masked = (url: string) => url.replace(/:[^:@/]*@/, ':***@');

/** Why PostgreSQL at PG_URL does not answer a query, or undefined when it does. */
export async function postgresDown(): Promise<string | undefined> {
	const c = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
	try {
		await c.connect();
		await c.query('SELECT 1');
		return undefined;
	} catch (e) {
		return `PostgreSQL is not answering at ${masked(PG_URL)} (${(e as Error).message}).`;
	} finally {
		await c.end().catch(() => undefined);
	}
}
