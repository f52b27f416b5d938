#!/usr/bin/env node
// `npm audit --omit=dev`, and where the registry's advisories endpoint cannot be reached, a check of every production
// dependency against the registry: deprecated releases fail the run; releases behind the newest of their major line are
// listed.
import { execFileSync, spawnSync } from 'node:child_process';

const audit = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
let report;
try {
	report = JSON.parse(audit.stdout || '{}');
} catch {
	report = {};
}
if (report.metadata?.vulnerabilities) {
	const v = report.metadata.vulnerabilities;
	console.log(`npm audit --omit=dev: ${v.critical} critical, ${v.high} high, ${v.moderate} moderate, ${v.low} low`);
	for (const [name, x] of Object.entries(report.vulnerabilities ?? {}))
		console.log(
			`  ${x.severity.padEnd(8)} ${name}: ${[x.via]
				.flat()
				.map((y) => (typeof y === 'string' ? y : y.title))
				.join('; ')}`,
		);
	process.exit(v.critical || v.high ? 1 : 0);
}
console.log(
	`npm audit could not reach the advisories endpoint ` +
		(`(${(audit.stderr || '').split('\n').find((l) => /audit|405|404/.test(l)) ?? 'no answer'}); checking each ` +
			`production dependency against the registry instead.`),
);

const tree = JSON.parse(
	execFileSync('npm', ['ls', '--omit=dev', '--all', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }),
);
const installed = new Map();
(function walk(deps) {
	for (const [name, d] of Object.entries(deps ?? {})) {
		if (!d.version) continue;
		const key = `${name}@${d.version}`;
		if (installed.has(key)) continue;
		installed.set(key, { name, version: d.version });
		walk(d.dependencies);
	}
})(tree.dependencies);

const major = (v) => v.split('.')[0];
const cmp = (a, b) => {
	const [x, y] = [a, b].map((v) => v.split(/[.-]/).slice(0, 3).map(Number));
	return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};
let deprecated = 0;
let behind = 0;
const list = [...installed.values()].sort((a, b) => a.name.localeCompare(b.name));
const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim().replace(/\/?$/, '/');
async function pool(items, n, fn) {
	const out = new Array(items.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: n }, async () => {
			while (next < items.length) {
				const i = next++;
				out[i] = await fn(items[i]);
			}
		}),
	);
	return out;
}
const results = await pool(list, 6, async (p) => {
	let r;
	for (let attempt = 0; attempt < 3 && !r?.ok; attempt++)
		r = await fetch(`${registry}${p.name.replace('/', '%2f')}`, {
			headers: { accept: 'application/vnd.npm.install-v1+json' },
		}).catch(() => undefined);
	if (!r?.ok) return { ...p, error: r ? `HTTP ${r.status}` : 'unreachable' };
	const doc = await r.json();
	const versions = Object.keys(doc.versions ?? {}).filter((v) => !v.includes('-') && major(v) === major(p.version));
	const newest = versions.sort(cmp).at(-1) ?? p.version;
	return { ...p, newest, deprecated: doc.versions?.[p.version]?.deprecated };
});
for (const r of results) {
	if (r.error) console.log(`  ?          ${r.name}@${r.version}: ${r.error}`);
	else if (r.deprecated) {
		deprecated++;
		console.log(`  DEPRECATED ${r.name}@${r.version}: ${r.deprecated}`);
	} else if (cmp(r.newest, r.version) > 0) {
		behind++;
		console.log(`  behind     ${r.name}@${r.version} (newest ${r.newest})`);
	}
}
console.log(
	`${list.length} production packages: ${deprecated} deprecated, ${behind} behind the newest release of their ` +
		`major line, ${list.length - deprecated - behind} current.`,
);
process.exit(deprecated ? 1 : 0);
