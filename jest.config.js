/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
	testMatch: ['<rootDir>/test/**/*.test.ts'],
	testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/e2e/'],
	moduleFileExtensions: ['ts', 'js', 'json'],
	testTimeout: 30000,
	// Skips the PostgreSQL tests, loudly, when it is down on a developer's machine; never in CI.
	globalSetup: '<rootDir>/test/helpers/postgres-setup.ts',
};
