import { Client } from 'pg';
import { PG_SKIP_ENV, PG_URL, postgresDown } from './postgres-probe';

export { PG_URL };

/** The global setup found PostgreSQL down on a developer's machine (never in CI). */
export const PG_SKIPPED = !process.env.CI && !!process.env[PG_SKIP_ENV];

/** describe and test for what needs the machine's PostgreSQL: skipped only where the global setup said so. */
export const describePostgres: jest.Describe = PG_SKIPPED ? describe.skip : describe;
export const testPostgres: jest.It = PG_SKIPPED ? test.skip : test;

/**
 * Fails with a clear message when the machine's PostgreSQL is not answering, instead of a vague timeout. A no-op when
 * the PostgreSQL tests are skipped: a suite mixing them with others still runs the others.
 */
export async function requirePostgres(): Promise<void> {
	if (PG_SKIPPED) return;
	const down = await postgresDown();
	if (down)
		throw new Error(
			`${down} Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, ` +
				'or set MCR_TEST_PG_URL.',
		);
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
