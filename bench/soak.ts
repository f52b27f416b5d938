import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TwilioSim } from '../sim/twilio-server';
import { DEMO_ACCOUNT, DEMO_PROFILE } from '../sim/demo-profile';
import { packTarball, ROOT } from '../sim/local-runtime';
import { SECOND_NUMBER, startN8nBench, startNodeRedBench, type Running } from './runtime';

/**
 * npm run soak: steady missed calls into the quick-start template in Node-RED 5 and in n8n at the same time, for
 * MCR_SOAK_MINUTES (10 by default), every caller new, each runtime's resident memory read from /proc every 10 s.
 * Flat means the second half's trend is near zero: nothing the pack keeps per call stays in memory.
 * Writes bench/soak-results.json; asserts nothing.
 */
const MINUTES = Number(process.env.MCR_SOAK_MINUTES ?? 10);
const RATES: Record<string, number> = {
	'Node-RED 5': Number(process.env.MCR_SOAK_NR_RATE ?? 20),
	'n8n (regular mode)': Number(process.env.MCR_SOAK_N8N_RATE ?? 4),
};

function rssMB(pid: number | undefined): number | undefined {
	try {
		const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
		return kb ? Math.round(Number(kb) / 1024) : undefined;
	} catch {
		return undefined;
	}
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
	const n = points.length;
	const mx = points.reduce((s, [x]) => s + x, 0) / n;
	const my = points.reduce((s, [, y]) => s + y, 0) / n;
	const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
	const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
	return den ? num / den : 0;
}

let callerSeq = 5000000;

/** Each runtime's callers have their own area code, so its acknowledgments can be counted apart. */
const AREA: Record<string, string> = { 'Node-RED 5': '+1415', 'n8n (regular mode)': '+1628' };

async function drive(r: Running, rate: number, until: number, sim: TwilioSim) {
	const samples: { minute: number; rssMB: number }[] = [];
	let sent = 0;
	let failed = 0;
	let inFlight = 0;
	const t0 = Date.now();
	const sampler = setInterval(() => {
		const mb = rssMB(r.pid);
		if (mb !== undefined) samples.push({ minute: +((Date.now() - t0) / 60000).toFixed(2), rssMB: mb });
	}, 10000);
	const area = AREA[r.label];
	const acksBefore = sim.messages.filter((m) => m.to.startsWith(area)).length;
	while (Date.now() < until) {
		const tick = Date.now();
		if (inFlight < 50) {
			inFlight++;
			sent++;
			const caller = `${area}${String(callerSeq++).padStart(7, '0')}`;
			// Calls alternate between two businesses: at 20 calls/s one business would pass the highest hourly cap a
			// profile takes (10,000 texts) in under nine minutes, and the texts past it would be held back.
			r.sends
				.pack(caller, sent % 2 ? SECOND_NUMBER : DEMO_PROFILE.numbers![0])
				.then(async (res) => {
					await res.arrayBuffer();
					if (res.status !== 200) failed++;
				})
				.catch(() => failed++)
				.finally(() => inFlight--);
		}
		await new Promise((res) => setTimeout(res, Math.max(0, 1000 / rate - (Date.now() - tick))));
	}
	clearInterval(sampler);
	// The last calls' texts: a moment to arrive.
	await new Promise((res) => setTimeout(res, 5000));
	const acknowledged = sim.messages.filter((m) => m.to.startsWith(area)).length - acksBefore;
	const half = samples.filter((s) => s.minute >= MINUTES / 2);
	const trend = slope(half.map((s) => [s.minute, s.rssMB]));
	const out = {
		callsPerSec: rate,
		calls: sent,
		failedWebhooks: failed,
		/** Texts that reached the callers (the owners' texts not counted): one per call unless one was held back. */
		acknowledgments: acknowledged,
		rssMB: {
			atMinute1: samples.find((s) => s.minute >= 1)?.rssMB,
			atEnd: samples[samples.length - 1]?.rssMB,
			max: Math.max(...samples.map((s) => s.rssMB)),
			min: Math.min(...samples.map((s) => s.rssMB)),
		},
		secondHalfTrendMBPerMin: +trend.toFixed(2),
		samples,
	};
	console.log(
		`${r.label}: ${sent} calls at ${rate}/s, ${failed} failed, ${acknowledged} callers texted; RSS ` +
			(`${out.rssMB.atMinute1} MB at minute 1, ${out.rssMB.atEnd} MB at the end (min ${out.rssMB.min}, max ` +
				`${out.rssMB.max}); second-half trend ${out.secondHalfTrendMBPerMin} MB/min`),
	);
	return out;
}

async function main() {
	const tarball = packTarball();
	const sim = new TwilioSim(DEMO_ACCOUNT);
	await sim.start();
	const running: Running[] = [];
	try {
		running.push(await startNodeRedBench(tarball, sim));
		running.push(await startN8nBench(tarball, sim));
		console.log(
			`soak: ${MINUTES} minutes, ${running.map((r) => `${r.label} at ${RATES[r.label]} calls/s`).join(', ')}`,
		);
		const until = Date.now() + MINUTES * 60000;
		const results = await Promise.all(running.map((r) => drive(r, RATES[r.label], until, sim)));
		const out = {
			machine: { node: process.version, at: new Date().toISOString() },
			minutes: MINUTES,
			runtimes: Object.fromEntries(running.map((r, i) => [r.label, results[i]])),
		};
		const file = join(ROOT, 'bench', 'soak-results.json');
		writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
		console.log(`wrote ${file}`);
	} finally {
		for (const r of running) await r.stop();
		await sim.stop();
	}
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
