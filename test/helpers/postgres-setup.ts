import { PG_SKIP_ENV, postgresDown } from './postgres-probe';

/**
 * Jest global setup: on a developer's machine without PostgreSQL, skip the PostgreSQL tests with one loud message
 * rather than fail the whole unit run. In CI (env CI set) nothing is skipped: the tests fail as they should, each
 * saying how to start PostgreSQL. The decision reaches the test workers through the environment they inherit.
 */
export default async function postgresSetup(): Promise<void> {
	delete process.env[PG_SKIP_ENV];
	const down = await postgresDown();
	if (!down || process.env.CI) return;
	process.env[PG_SKIP_ENV] = '1';
	const line = '!'.repeat(100);
	console.warn(
		`\n${line}\n  SKIPPING EVERY POSTGRESQL TEST: ${down}\n` +
			'  Start PostgreSQL (or point MCR_TEST_PG_URL at one) to run them; in CI (env CI set) they fail instead.\n' +
			`${line}\n`,
	);
}
