#!/usr/bin/env node
// The one test command (npm test, and .ci/run): type check, lint, unit and contract tests, then the
// end-to-end suites in real runtimes. Each step's output streams through; the first failure stops the run.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const steps = [
	['type check', bin('tsc'), ['-p', 'tsconfig.test.json']],
	['lint (Prettier, then ESLint)', 'npm', ['run', 'lint', '--silent']],
	['build', 'npm', ['run', 'build', '--silent']],
	// --forceExit: a CI run once sat after every suite had passed, on a handle no single suite leaves open when run alone
	// (each suite exits cleanly by itself); the results are in by then, so the run ends instead of waiting forever.
	['unit, property and store contract tests', bin('jest'), ['--ci', '--forceExit']],
	["n8n's community package scan of the packed tarball", 'node', ['scripts/scan-package.mjs']],
	// Installs n8n 2.x, Node 24 and Node-RED 4.x and 5.x into a cache outside the repo the first time (about 7 minutes).
	['runtimes for end-to-end tests', 'node', ['scripts/runtimes.js']],
	['end-to-end tests in real n8n and Node-RED', bin('jest'), ['--ci', '-c', 'jest.e2e.config.js']],
];

const only = process.argv.slice(2);
for (const [name, cmd, args] of steps) {
	if (only.length && !only.some((o) => name.includes(o))) continue;
	const started = Date.now();
	console.log(`\n=== ${name} ===`);
	const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
	const secs = ((Date.now() - started) / 1000).toFixed(1);
	if (r.status !== 0) {
		console.error(`\n✗ ${name} failed after ${secs} s`);
		process.exit(r.status ?? 1);
	}
	console.log(`✓ ${name} (${secs} s)`);
}
