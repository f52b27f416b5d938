/** End-to-end tests in real runtimes (n8n, Node-RED): slow, so apart from the unit run. */
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
	testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
	moduleFileExtensions: ['ts', 'js', 'json'],
	testTimeout: 120000,
	maxWorkers: 1,
};
