import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { benchRuntimes } from './runtime';
import { benchStoreScaling } from './scale';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
	classify,
	computeMetrics,
	normalize,
	openStore,
	parseProfile,
	RecoveryLoop,
	scorecard,
	type MessagingProvider,
	type MissedCall,
	type RecoveryStore,
} from '../core';
import { SqliteDriver } from '../core/store/sqlite';

/**
 * npm run bench: the core's figures, each beside a baseline measured in the same run on this machine.
 * Nothing here asserts a timing; it prints and writes bench/results.json.
 */
const PG_URL = process.env.MCR_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const results: Record<string, unknown> = {
	machine: { node: process.version, cpus: cpus().length, at: new Date().toISOString() },
};

const profile = parseProfile({
	businessId: 'bench',
	name: 'Bench Plumbing',
	timeZone: 'America/Chicago',
	trade: 'plumbing',
	roster: [
		{ id: 'a', name: 'A', phone: '+13125550111', skills: ['leak'] },
		{ id: 'b', name: 'B', phone: '+13125550112', skills: ['drain'] },
		{ id: 'c', name: 'C', phone: '+13125550113' },
	],
	routing: { fallback: ['c'] },
	acknowledgment: { checkLineType: false, quietHours: { enabled: false, replyToCaller: 'send' }, hourlyCap: 10000 },
});

const TEXTS = [
	'',
	'water everywhere in the basement',
	'my toilet is clogged again',
	'can I get a quote for a new water heater',
	'there is a leak under the sink, please call back asap',
	'no hot water since this morning',
];

function fmt(n: number, digits = 0): string {
	return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

function benchClassification() {
	const inputs = Array.from({ length: 60000 }, (_, i) => ({
		texts: [TEXTS[i % TEXTS.length]],
		callCount: 1 + (i % 3),
		timing: (['business-hours', 'after-hours', 'weekend'] as const)[i % 3],
		reason: 'no-answer' as const,
		voicemailSec: i % 40,
	}));
	for (let i = 0; i < 5000; i++) classify(profile, inputs[i]);
	let t = process.hrtime.bigint();
	for (const x of inputs) classify(profile, x);
	const classifySec = Number(process.hrtime.bigint() - t) / 1e9;
	// Baseline: the normalizer on the same count of Twilio payloads (the cheapest stage every event passes).
	const payloads = inputs.map((_, i) => ({
		CallSid: `CA${i}`,
		From: '+13125550123',
		To: '+13125550199',
		DialCallStatus: 'no-answer',
	}));
	t = process.hrtime.bigint();
	for (const p of payloads) normalize('twilio', p, { businessId: 'bench' });
	const normalizeSec = Number(process.hrtime.bigint() - t) / 1e9;
	const perSec = inputs.length / classifySec;
	results.classification = {
		eventsPerSec: Math.round(perSec),
		target: 50000,
		normalizeEventsPerSec: Math.round(inputs.length / normalizeSec),
		ratioToNormalize: +(perSec / (inputs.length / normalizeSec)).toFixed(2),
	};
	console.log(
		`classification: ${fmt(perSec)} events/s (target 50,000: ${(perSec / 50000).toFixed(2)}x); normalization ` +
			`beside it ${fmt(inputs.length / normalizeSec)} events/s`,
	);
}

/** A provider that answers at once: the lifecycle figure measures the loop and its store, not a network. */
const instant: MessagingProvider = {
	sendMessage: async () => ({ sid: `SM${Math.random().toString(16).slice(2).padEnd(32, '0')}`, status: 'queued' }),
	lookupLineType: async () => 'mobile',
	placeCall: async () => ({ sid: 'CA0' }),
};

let callSeq = 0;
function event(i: number): MissedCall {
	callSeq++;
	return {
		type: 'missed-call',
		eventId: `twilio:CA${callSeq}-${i}`,
		provider: 'twilio',
		callSid: `CA${callSeq}`,
		from: `+1312${String(2000000 + ((callSeq * 7919) % 7999999)).padStart(7, '0')}`,
		to: '+13125550199',
		businessId: 'bench',
		reason: 'no-answer',
		startedAt: new Date().toISOString(),
		durationSec: 0,
		repeat: 0,
		channel: 'sms',
	};
}

/** One full case: detect, acknowledge (send), classify, route, an attempt that reaches the caller, an outcome. */
async function lifecycle(loop: RecoveryLoop, i: number) {
	const d = await loop.detect(event(i));
	await loop.acknowledge(d.case.caseId);
	await loop.classify(d.case.caseId);
	await loop.route(d.case.caseId);
	await loop.recordAttempt(d.case.caseId, { channel: 'call', by: 'a', result: 'reached' });
	await loop.recordOutcome(d.case.caseId, { kind: i % 3 ? 'booked' : 'lost' });
}

async function runLifecycles(store: RecoveryStore, total: number, concurrency: number): Promise<number> {
	const loop = new RecoveryLoop({ store, provider: instant, profileFor: () => profile });
	let next = 0;
	const t = process.hrtime.bigint();
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < total) await lifecycle(loop, next++);
		}),
	);
	return total / (Number(process.hrtime.bigint() - t) / 1e9);
}

/**
 * Baseline: the same number of durable writes per case (insert, then five updates of a JSON row) straight on the
 * driver.
 */
async function rawSqliteBaseline(file: string, total: number): Promise<number> {
	const db = new SqliteDriver(file);
	await db.run('CREATE TABLE raw (id TEXT PRIMARY KEY, doc TEXT NOT NULL, v INTEGER NOT NULL)');
	const doc = JSON.stringify({ ...event(0), state: 'detected', history: [] });
	const t = process.hrtime.bigint();
	for (let i = 0; i < total; i++) {
		await db.run('INSERT INTO raw (id, doc, v) VALUES (?, ?, 1)', [`r${i}`, doc]);
		for (let k = 0; k < 5; k++) await db.run('UPDATE raw SET doc = ?, v = v + 1 WHERE id = ?', [doc, `r${i}`]);
	}
	const rate = total / (Number(process.hrtime.bigint() - t) / 1e9);
	await db.close();
	return rate;
}

async function benchStores(dir: string) {
	const sqliteFile = join(dir, 'bench.db');
	const sqlite = await openStore({ type: 'sqlite', file: sqliteFile });
	await runLifecycles(sqlite, 300, 4); // warm up
	const sqliteRate = await runLifecycles(sqlite, 3000, 8);
	const sqliteByWriters: Record<string, number> = {};
	for (const c of [1, 2, 4]) sqliteByWriters[c] = Math.round(await runLifecycles(sqlite, 1000 * c, c));
	await sqlite.close();
	const raw = await rawSqliteBaseline(join(dir, 'raw.db'), 3000);
	results.sqlite = {
		lifecyclesPerSec: Math.round(sqliteRate),
		lifecyclesPerSecByConcurrentWriters: sqliteByWriters,
		target: 2000,
		rawWritesBaselinePerSec: Math.round(raw),
		ratioToRaw: +(sqliteRate / raw).toFixed(2),
		engine: new SqliteDriver(join(dir, 'probe.db')).engine,
		journal: 'WAL, synchronous=NORMAL',
	};
	const byWriters = Object.entries(sqliteByWriters)
		.map(([c, r]) => `${fmt(r)}/s with ${c} writer${c === '1' ? '' : 's'}`)
		.join(', ');
	console.log(
		`SQLite lifecycles: ${fmt(sqliteRate)}/s with 8 at once (target 2,000: ${(sqliteRate / 2000).toFixed(2)}x); ` +
			`${byWriters}; raw driver doing the same 6 writes per case: ${fmt(raw)}/s ` +
			`(ratio ${(sqliteRate / raw).toFixed(2)})`,
	);

	const probe = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
	try {
		await probe.connect();
	} catch (e) {
		results.postgres = { skipped: `PostgreSQL not reachable at ${PG_URL}: ${(e as Error).message}` };
		console.log(`PostgreSQL lifecycles: skipped (${(e as Error).message})`);
		return;
	}
	const schema = `mcr_bench_${process.pid}`;
	try {
		const pg = await openStore({ type: 'postgres', connectionString: PG_URL, schema, max: 8 });
		await runLifecycles(pg, 100, 4);
		const byWriters: Record<string, number> = {};
		for (const c of [1, 2, 4]) byWriters[c] = Math.round(await runLifecycles(pg, 600 * c, c));
		await pg.close();
		results.postgres = { lifecyclesPerSecByConcurrentWriters: byWriters };
		console.log(
			`PostgreSQL lifecycles: ${Object.entries(byWriters)
				.map(([c, r]) => `${fmt(r)}/s with ${c} writer${c === '1' ? '' : 's'}`)
				.join(', ')}; SQLite beside it ${fmt(sqliteRate)}/s`,
		);
	} finally {
		await probe.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
		await probe.end();
	}
}

async function benchMemory(dir: string) {
	const store = await openStore({ type: 'sqlite', file: join(dir, 'mem.db') });
	const loop = new RecoveryLoop({ store, provider: instant, profileFor: () => profile });
	const gc = (globalThis as { gc?: () => void }).gc;
	gc?.();
	const before = process.memoryUsage();
	let peakRss = before.rss;
	let peakHeap = before.heapUsed;
	const sample = () => {
		const m = process.memoryUsage();
		peakRss = Math.max(peakRss, m.rss);
		peakHeap = Math.max(peakHeap, m.heapUsed);
	};
	const timer = setInterval(sample, 20);
	const N = 100000;
	const t = process.hrtime.bigint();
	let next = 0;
	await Promise.all(
		Array.from({ length: 8 }, async () => {
			while (next < N) {
				const d = await loop.detect(event(next++));
				await loop.classify(d.case.caseId);
			}
		}),
	);
	const storeSec = Number(process.hrtime.bigint() - t) / 1e9;
	const all = await store.listCases({ businessId: 'bench', limit: 100000 });
	const m = computeMetrics(all, { now: new Date().toISOString() });
	const s = scorecard(all, m);
	sample();
	clearInterval(timer);
	await store.close();
	const mb = (b: number) => Math.round(b / 1048576);
	results.memory = {
		cases: all.length,
		peakRssMB: mb(peakRss),
		peakHeapMB: mb(peakHeap),
		baselineRssMB: mb(before.rss),
		storedInSec: +storeSec.toFixed(1),
		scorecard: s.score,
	};
	console.log(
		`100,000 cases: stored in ${storeSec.toFixed(1)} s; metrics and scorecard over all of them in memory: peak ` +
			`RSS ${mb(peakRss)} MB (process at start ${mb(before.rss)} MB), peak heap ${mb(peakHeap)} MB`,
	);
}

async function main() {
	const dir = mkdtempSync(join(tmpdir(), 'mcr-bench-'));
	try {
		benchClassification();
		await benchStores(dir);
		await benchMemory(dir);
		if (process.env.MCR_BENCH_SCALE !== '0') {
			console.log('Store scaling: time per lifecycle as stored cases grow');
			const scaling = await benchStoreScaling(dir, profile, PG_URL);
			const growth = (points: unknown) =>
				Array.isArray(points) && points.length > 1
					? +(points[points.length - 1].msPerLifecycle / points[0].msPerLifecycle).toFixed(2)
					: undefined;
			results.storeScaling = {
				...scaling,
				growthLargestToSmallest: { sqlite: growth(scaling.sqlite), postgres: growth(scaling.postgres) },
			};
		}
		// Inside the real runtimes, beside each runtime's own plain-node baseline (skip with MCR_BENCH_RUNTIMES=0).
		if (process.env.MCR_BENCH_RUNTIMES !== '0') results.runtimes = await benchRuntimes();
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
	const out = join(__dirname, '..', '..', 'bench', 'results.json');
	// A section this run skipped (MCR_BENCH_RUNTIMES=0, MCR_BENCH_SCALE=0) keeps the previous run's figures, marked with
	// that run's time.
	if (existsSync(out)) {
		const previous = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown> & { machine?: { at?: string } };
		const kept = (v: unknown) => ({
			...(v as object),
			measuredAt: (v as { measuredAt?: string }).measuredAt ?? previous.machine?.at,
		});
		for (const [k, v] of Object.entries(previous)) {
			if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
			if (!(k in results)) results[k] = kept(v);
			// A runtime this run skipped (MCR_BENCH_ONLY) keeps its previous figures beside the ones measured now.
			else if (k === 'runtimes' && results.runtimes && typeof results.runtimes === 'object') {
				const now = results.runtimes as Record<string, unknown>;
				for (const [name, figures] of Object.entries(v)) {
					// Only a runtime's figures (an object or, from older runs, a list); a stray scalar is not carried on.
					if (name in now || !figures || typeof figures !== 'object') continue;
					now[name] = Array.isArray(figures) ? { figures, measuredAt: previous.machine?.at } : kept(figures);
				}
			}
		}
	}
	writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
	console.log(`\nwrote ${out}`);
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
