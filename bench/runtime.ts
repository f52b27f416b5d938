import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { Client } from 'pg';
import { signTwilioRequest } from '../core';
import { TwilioSim } from '../sim/twilio-server';
import { DEMO_ACCOUNT, DEMO_PROFILE } from '../sim/demo-profile';
import { freePort, localFlow, packTarball, ROOT, runtimes, stopChild, waitFor } from '../sim/local-runtime';

/**
 * Webhook to acknowledgment inside the real runtimes: the pack's quick-start template beside a baseline built from
 * the runtime's own plain nodes (webhook in, one HTTP request to the same local Twilio-compatible server, respond),
 * measured side by side in one run at 1, 10 and 50 concurrent callers. Latency is from the webhook request leaving
 * the load generator to the text arriving at the Twilio-compatible server; throughput is texts per second.
 */
export interface LoadResult {
	concurrency: number;
	requests: number;
	perSec: number;
	p50Ms: number;
	p99Ms: number;
	runtimeCpuMsPerCall?: number;
	/**
	 * The CPU this process (load generator and Twilio-compatible server) spent per call: it shares the runtime's cores,
	 * and a flow that sends more texts costs it more.
	 */
	benchCpuMsPerCall: number;
}

/** CPU time (user + system, ms) the processes have used so far, from /proc; undefined where /proc is missing. */
function cpuMs(pids: number | number[] | undefined): number | undefined {
	try {
		let ms = 0;
		for (const pid of [pids ?? -1].flat()) {
			const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
			ms += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100/s on Linux)
		}
		return ms;
	} catch {
		return undefined;
	}
}

const PROFILE = {
	...DEMO_PROFILE,
	// The owner is texted within the call, as the baseline with the owner text does: no wait for a voicemail's words
	// (the bench's calls leave none) and no hold until opening (the bench runs at any hour).
	routing: { ...DEMO_PROFILE.routing, ownerAlerts: { waitForVoicemailSeconds: 0, holdRoutineWhileClosed: false } },
	acknowledgment: {
		...(DEMO_PROFILE.acknowledgment ?? {}),
		checkLineType: false,
		hourlyCap: 10000,
		dailyCap: 100000,
		perCallerDailyCap: 50,
		quietHours: { enabled: false, replyToCaller: 'send' as const },
	},
};
/**
 * A second business on the same config nodes (a second number): the trigger+Acknowledge-only flow's, and half the
 * soak's calls, so each business stays under the highest hourly cap a profile takes (10,000 texts) through a whole run.
 */
export const SECOND_NUMBER = '+13125550198';
/**
 * Businesses whose numbers only the warm-up calls ring, one per flow of the pack, so that the measured calls start
 * with the business's hourly send cap (10,000, the most a profile allows) untouched.
 */
export const WARM_UP_NUMBERS = { pack: '+13125550197', ackOnly: '+13125550196' };
/**
 * The numbers the pack's flows ring in each repetition of a level, one business per flow and repetition: a flow's calls
 * over every level and repetition would pass one business's hourly cap (10,000 texts, the most a profile allows).
 */
const REPEAT_NUMBERS = {
	pack: [PROFILE.numbers![0], '+13125550189', '+13125550188'],
	ackOnly: [SECOND_NUMBER, '+13125550187', '+13125550186'],
};
const BUSINESSES = [
	PROFILE,
	{ ...PROFILE, businessId: 'bench-second', name: 'Bench Second Business', numbers: [SECOND_NUMBER] },
	{ ...PROFILE, businessId: 'bench-warm-up', name: 'Bench Warm-up', numbers: [WARM_UP_NUMBERS.pack] },
	{ ...PROFILE, businessId: 'bench-warm-up-second', name: 'Bench Warm-up Second', numbers: [WARM_UP_NUMBERS.ackOnly] },
	// The repetitions' own businesses.
	...[...REPEAT_NUMBERS.pack.slice(1), ...REPEAT_NUMBERS.ackOnly.slice(1)].map((n) => ({
		...PROFILE,
		businessId: `bench-repeat-${n.slice(-2)}`,
		name: `Bench Repeat ${n.slice(-2)}`,
		numbers: [n],
	})),
];
/**
 * A text that has not arrived by then never will (a cap, a refusal): the run stops and says so instead of waiting
 * forever.
 */
const ARRIVAL_TIMEOUT_MS = 30_000;
const LEVELS = [1, 10, 50];

function pct(sorted: number[], q: number): number {
	return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] * 10) / 10;
}

class Arrivals {
	private waiting = new Map<string, (at: number) => void>();
	constructor(sim: TwilioSim) {
		sim.onMessage = (m) => {
			const done = this.waiting.get(m.to);
			if (done) {
				this.waiting.delete(m.to);
				done(performance.now());
			}
		};
	}
	next(to: string): Promise<number> {
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiting.delete(to);
				reject(
					new Error(
						`no text reached ${to} within ${ARRIVAL_TIMEOUT_MS / 1000} s of its call: held back (a cap, quiet hours) ` +
							`or refused; the runtime's log says which`,
					),
				);
			}, ARRIVAL_TIMEOUT_MS);
			this.waiting.set(to, (at) => {
				clearTimeout(timer);
				resolve(at);
			});
		});
	}
}

let callerSeq = 2000000;

/** A positive whole number from the environment variable `name`, else `fallback`. */
function countFromEnv(name: string, fallback: number): number {
	const n = Number(process.env[name]);
	return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** MCR_BENCH_WARM_UP overrides the calls each flow gets before it is measured. */
function warmUpCalls(fallback: number): number {
	return countFromEnv('MCR_BENCH_WARM_UP', fallback);
}

/**
 * MCR_BENCH_REPEAT overrides how often each flow is measured at each level (at most 3; the median is kept). Node-RED's
 * runs take seconds and this machine kind's speed drifts by a quarter from one minute to the next (one flow measured
 * 586 and 798 texts/s minutes apart), so it is measured three times, interleaved; n8n's runs take minutes, once.
 */
function repeats(fallback: number): number {
	return countFromEnv('MCR_BENCH_REPEAT', fallback);
}

async function load(
	concurrency: number,
	requests: number,
	arrivals: Arrivals,
	send: (caller: string) => Promise<Response>,
	pid?: number | number[],
): Promise<LoadResult> {
	const latencies: number[] = [];
	const cpu0 = cpuMs(pid);
	const own0 = process.cpuUsage();
	let next = 0;
	const started = performance.now();
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < requests) {
				next++;
				const caller = `+1312${String(callerSeq++).padStart(7, '0')}`;
				const arrived = arrivals.next(caller);
				arrived.catch(() => undefined); // awaited below; a timeout while the webhook is still out must not crash the run
				const t0 = performance.now();
				const r = await send(caller);
				if (r.status >= 300) throw new Error(`webhook answered ${r.status}: ${(await r.text()).slice(0, 200)}`);
				await r.arrayBuffer();
				latencies.push((await arrived) - t0);
			}
		}),
	);
	const seconds = (performance.now() - started) / 1000;
	const cpu1 = cpuMs(pid);
	latencies.sort((a, b) => a - b);
	const own = process.cpuUsage(own0);
	const runtimeCpuMsPerCall =
		cpu0 !== undefined && cpu1 !== undefined ? +((cpu1 - cpu0) / requests).toFixed(2) : undefined;
	const benchCpuMsPerCall = +((own.user + own.system) / 1000 / requests).toFixed(2);
	return {
		concurrency,
		requests,
		perSec: Math.round(requests / seconds),
		p50Ms: pct(latencies, 0.5),
		p99Ms: pct(latencies, 0.99),
		runtimeCpuMsPerCall,
		benchCpuMsPerCall,
	};
}

function missedCallBody(caller: string, to = PROFILE.numbers![0]): Record<string, string> {
	return {
		AccountSid: DEMO_ACCOUNT.accountSid,
		CallSid: `CA${caller.slice(1).padEnd(32, '0')}`,
		From: caller,
		To: to,
		DialCallStatus: 'no-answer',
		DialCallDuration: '0',
		CallStatus: 'completed',
		Direction: 'inbound',
	};
}

/** The missed call from `caller` posted unsigned, as the runtime's own webhook nodes take it (the baselines). */
function plainPost(url: string, caller: string): Promise<Response> {
	return fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams(missedCallBody(caller)).toString(),
	});
}

function signedPost(url: string, params: Record<string, string>): Promise<Response> {
	return fetch(url, {
		method: 'POST',
		headers: {
			'content-type': 'application/x-www-form-urlencoded',
			'x-twilio-signature': signTwilioRequest(DEMO_ACCOUNT.authToken, url, params),
		},
		body: new URLSearchParams(params).toString(),
	});
}

/** One missed call from `caller` to `to` (the first business's number unless given). */
export type Send = (caller: string, to?: string) => Promise<Response>;

/**
 * The median of each figure over repeated runs of one flow at one level (each figure on its own), with every run's
 * rate.
 */
function median(runs: LoadResult[]): LoadResult & { runs?: number[] } {
	if (runs.length === 1) return runs[0];
	const mid = <K extends keyof LoadResult>(k: K) => {
		const xs = runs
			.map((r) => r[k] as number | undefined)
			.filter((x): x is number => x !== undefined)
			.sort((a, b) => a - b);
		return xs.length ? xs[Math.floor(xs.length / 2)] : undefined;
	};
	return {
		concurrency: runs[0].concurrency,
		requests: runs[0].requests,
		perSec: mid('perSec')!,
		p50Ms: mid('p50Ms')!,
		p99Ms: mid('p99Ms')!,
		runtimeCpuMsPerCall: mid('runtimeCpuMsPerCall'),
		benchCpuMsPerCall: mid('benchCpuMsPerCall')!,
		runs: runs.map((r) => r.perSec),
	};
}

/**
 * Runs the pack's template, the baseline and (where given) the pack's trigger and Acknowledge alone and the baseline
 * with the owner text, in turn at each concurrency, so all see the same machine state; `repeat` times each, every
 * repetition starting with another flow, the median kept. The runtime's own CPU per call is read from /proc beside
 * each.
 *
 * Each flow first gets the same warm-up, `warmUp` calls at 10 callers (the pack's to businesses of their own, so the
 * measured business starts with its hourly send cap untouched): V8 compiles a function for speed only once it has run
 * often, and the template runs far more code than the baseline (the SDK, zod, luxon, the store), so its first few
 * thousand calls in a fresh process cost up to twice the CPU of later ones (measured in Node-RED: 2.0-2.5 ms per call
 * in the first 3,000, 1.3-1.7 ms after 6,000); the baseline warms up too, less. A runtime serving calls all day runs
 * warm; the warm-up's own figures are kept too (`warmUp`), for what the first calls after a restart see.
 */
async function compare(
	arrivals: Arrivals,
	pid: number | number[] | undefined,
	v: { pack: Send; baseline: Send; ackOnly?: Send; twoTexts?: Send },
	per: (c: number) => number,
	warmUp: number,
	repeat = 1,
) {
	const warm = async (send: Send, to?: string) => load(10, warmUp, arrivals, (c) => send(c, to), pid);
	const wp = await warm(v.pack, WARM_UP_NUMBERS.pack);
	const wb = await warm(v.baseline);
	const wa = v.ackOnly ? await warm(v.ackOnly, WARM_UP_NUMBERS.ackOnly) : undefined;
	if (v.twoTexts) await warm(v.twoTexts);
	const warmUpResult = {
		calls: warmUp,
		concurrency: 10,
		pack: wp,
		baseline: wb,
		...(wa ? { ackOnly: wa } : {}),
		throughputRatio: +(wp.perSec / wb.perSec).toFixed(2),
		p99Ratio: +(wp.p99Ms / wb.p99Ms).toFixed(2),
	};
	console.log(
		`  warm-up, ${warmUp} calls each at 10 callers, from a fresh start: template ${wp.perSec}/s ` +
			(`(${wp.runtimeCpuMsPerCall} ms CPU/call) | baseline ${wb.perSec}/s (${wb.runtimeCpuMsPerCall} ms ` +
				`CPU/call)${wa ? ` | trigger+ack only ${wa.perSec}/s` : ''} | template/baseline ${warmUpResult.throughputRatio}x`),
	);
	const out: {
		concurrency: number;
		pack: LoadResult;
		baseline: LoadResult;
		ackOnly?: LoadResult;
		twoTexts?: LoadResult;
		throughputRatio: number;
		p99Ratio: number;
		ackOnlyThroughputRatio?: number;
		twoTextsThroughputRatio?: number;
		twoTextsP99Ratio?: number;
	}[] = [];
	const line = (name: string, r: LoadResult & { runs?: number[] }) =>
		`${name} ${r.perSec}/s${r.runs ? ` (${r.runs.join(', ')})` : ''} p50 ${r.p50Ms} ms p99 ${r.p99Ms} ` +
		`ms${
			r.runtimeCpuMsPerCall !== undefined
				? ` (${r.runtimeCpuMsPerCall} ms CPU/call; bench ` + `${r.benchCpuMsPerCall})`
				: ''
		}`;
	const reps = Math.min(repeat, REPEAT_NUMBERS.pack.length);
	for (const c of LEVELS) {
		const flows = [
			{ name: 'baseline', send: v.baseline, to: [] as (string | undefined)[] },
			{ name: 'pack', send: v.pack, to: REPEAT_NUMBERS.pack },
			...(v.ackOnly ? [{ name: 'ackOnly', send: v.ackOnly, to: REPEAT_NUMBERS.ackOnly }] : []),
			...(v.twoTexts ? [{ name: 'twoTexts', send: v.twoTexts, to: [] }] : []),
		];
		const runs = new Map<string, LoadResult[]>(flows.map((f) => [f.name, []]));
		// Each repetition starts with a different flow, so none is always measured first (or right after the same one).
		for (let rep = 0; rep < reps; rep++) {
			for (let i = 0; i < flows.length; i++) {
				const f = flows[(i + rep) % flows.length];
				runs.get(f.name)!.push(await load(c, per(c), arrivals, (caller) => f.send(caller, f.to[rep]), pid));
			}
		}
		const [b, p] = [median(runs.get('baseline')!), median(runs.get('pack')!)];
		const a = v.ackOnly ? median(runs.get('ackOnly')!) : undefined;
		const t = v.twoTexts ? median(runs.get('twoTexts')!) : undefined;
		out.push({
			concurrency: c,
			pack: p,
			baseline: b,
			...(a ? { ackOnly: a, ackOnlyThroughputRatio: +(a.perSec / b.perSec).toFixed(2) } : {}),
			...(t
				? {
						twoTexts: t,
						twoTextsThroughputRatio: +(t.perSec / b.perSec).toFixed(2),
						twoTextsP99Ratio: +(t.p99Ms / b.p99Ms).toFixed(2),
					}
				: {}),
			throughputRatio: +(p.perSec / b.perSec).toFixed(2),
			p99Ratio: +(p.p99Ms / b.p99Ms).toFixed(2),
		});
		const ackOnly = a ? ` | ${line('trigger+ack only', a)}` : '';
		const withOwner = t ? ` | ${line('baseline with the owner text', t)}` : '';
		const ownerRatio = t
			? `; baseline with the owner text/baseline ${(t.perSec / b.perSec).toFixed(2)}x, ` +
				`p99 ${(t.p99Ms / b.p99Ms).toFixed(2)}x`
			: '';
		console.log(
			`  ${String(c).padStart(2)} ` +
				(`callers${reps > 1 ? ` (median of ${reps} runs each, rates of every run in brackets)` : ''}: ` +
					`${line('template', p)} | ${line('baseline', b)}${ackOnly}${withOwner} | template/baseline ` +
					`throughput ${(p.perSec / b.perSec).toFixed(2)}x, p99 ${(p.p99Ms / b.p99Ms).toFixed(2)}x${ownerRatio}`),
		);
	}
	return { warmUp: warmUpResult, repeat: reps, levels: out };
}

/** MCR_BENCH_CPU_PROF=<dir>: the runtime writes a V8 CPU profile there on exit (for finding where time goes). */
function profileArgs(): string[] {
	return process.env.MCR_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MCR_BENCH_CPU_PROF}`] : [];
}

/**
 * The owner's text of the "baseline with the owner text" flows: the runtime's own nodes doing the template's two texts
 * (the caller's, then the owner's once the webhook is answered) and nothing else, as long as the template's owner text.
 * What the second text alone costs a runtime, so how near the template can come to the one-text baseline at best.
 */
const OWNER_PHONE = DEMO_PROFILE.roster![0].phone!;
/** The baselines' text to the caller. */
const CALLER_TEXT = 'Sorry we missed your call. Reply STOP to opt out.';
const OWNER_TEXT =
	'[Normal] Missed call from +13125550142 (leak, business-hours). Call back by 4:51 PM Thu. Case 347d6ca1';

/** The Twilio-compatible server's Messages API, where every flow's texts go. */
function messagesUrl(sim: TwilioSim): string {
	return `${sim.url}/2010-04-01/Accounts/${DEMO_ACCOUNT.accountSid}/Messages.json`;
}

function basicAuth(): string {
	return `Basic ${Buffer.from(`${DEMO_ACCOUNT.accountSid}:${DEMO_ACCOUNT.authToken}`).toString('base64')}`;
}

/** A runtime running the quick-start template, the baseline and the trigger+Acknowledge-only flow, against `sim`. */
export interface Running {
	label: string;
	pid: number | undefined;
	/** Every process that does the work (n8n queue mode: main and workers). */ pids?: number[];
	sends: { pack: Send; baseline: Send; ackOnly: Send; twoTexts: Send };
	stop(): Promise<void>;
}

export async function startNodeRedBench(tarball: string, sim: TwilioSim): Promise<Running> {
	runtimes.install(['nodered5']);
	const dir = mkdtempSync(join(tmpdir(), 'mcr-bench-nr-'));
	let red: ChildProcess | undefined;
	const cleanup = async () => {
		if (red) await stopChild(red);
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench', private: true }));
		execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', '--omit=optional', tarball], {
			cwd: dir,
			env: runtimes.envFor24(),
			stdio: ['ignore', 'ignore', 'inherit'],
		});
		const port = await freePort();
		writeFileSync(
			join(dir, 'settings.js'),
			`module.exports = { uiPort: ${port}, uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: 'bench', ` +
				(`httpNodeRoot: '/', logging: { console: { level: 'warn' } }, editorTheme: { tours: false }, telemetry: { ` +
					`enabled: false } };\n`),
		);
		red = spawn(
			runtimes.paths().node24,
			[...profileArgs(), runtimes.paths().nodered5Bin, '-u', dir, '-s', join(dir, 'settings.js')],
			{ env: { ...runtimes.envFor24(), NODE_ENV: 'production' }, stdio: 'ignore' },
		);
		const base = `http://127.0.0.1:${port}`;
		await waitFor('Node-RED', async () => (await fetch(`${base}/settings`)).ok, 120000);
		const flow = localFlow('quick-start-text-back', {
			simUrl: sim.url,
			account: DEMO_ACCOUNT,
			profile: BUSINESSES,
			each: (n) => n.type === 'debug' && (n.active = false),
		});
		// The baseline: Node-RED's own nodes only. Webhook in, one request to the Messages API, answer. `request` and `form`
		// are the function nodes' code setting a Messages API request and its form body.
		const request =
			`msg.url = ${JSON.stringify(messagesUrl(sim))}; msg.headers = { 'content-type': ` +
			`'application/x-www-form-urlencoded', authorization: ${JSON.stringify(basicAuth())} }`;
		const form = (to: string, body: string) =>
			`'To=' + encodeURIComponent(${to}) + '&From=' + encodeURIComponent(msg.payload.To) + '&Body=' + ` +
			`encodeURIComponent(${JSON.stringify(body)})`;
		const baseline = [
			{ id: 'bl.tab', type: 'tab', label: 'baseline' },
			{ id: 'bl.in', type: 'http in', z: 'bl.tab', url: '/baseline', method: 'post', wires: [['bl.req.fmt']] },
			{
				id: 'bl.req.fmt',
				type: 'function',
				z: 'bl.tab',
				func: `msg.res_ = msg.res; ${request}; msg.payload = ${form('msg.payload.From', CALLER_TEXT)}; return msg;`,
				outputs: 1,
				wires: [['bl.req']],
			},
			{ id: 'bl.req', type: 'http request', z: 'bl.tab', method: 'POST', ret: 'txt', url: '', wires: [['bl.out.fmt']] },
			{
				id: 'bl.out.fmt',
				type: 'function',
				z: 'bl.tab',
				func:
					"msg.payload = '<Response/>'; msg.headers = { 'content-type': 'text/xml' }; msg.statusCode = 200; " +
					'return msg;',
				outputs: 1,
				wires: [['bl.out']],
			},
			{ id: 'bl.out', type: 'http response', z: 'bl.tab', wires: [] },
		];
		// The baseline with the owner text: the same, then a second request (the owner's text) once the webhook is answered.
		const twoTexts = [
			{ id: 'tt.tab', type: 'tab', label: 'baseline with the owner text' },
			{
				id: 'tt.in',
				type: 'http in',
				z: 'tt.tab',
				url: '/baseline-two-texts',
				method: 'post',
				wires: [['tt.req.fmt']],
			},
			{
				id: 'tt.req.fmt',
				type: 'function',
				z: 'tt.tab',
				func:
					`${request}; msg.owner = ${form(JSON.stringify(OWNER_PHONE), OWNER_TEXT)}; msg.payload = ` +
					`${form('msg.payload.From', CALLER_TEXT)}; return msg;`,
				outputs: 1,
				wires: [['tt.req']],
			},
			{ id: 'tt.req', type: 'http request', z: 'tt.tab', method: 'POST', ret: 'txt', url: '', wires: [['tt.after']] },
			{
				id: 'tt.after',
				type: 'function',
				z: 'tt.tab',
				func:
					`const owner = { url: msg.url, headers: msg.headers, payload: msg.owner }; msg.payload = ` +
					`'<Response/>'; msg.headers = { 'content-type': 'text/xml' }; msg.statusCode = 200; return [msg, owner];`,
				outputs: 2,
				wires: [['tt.out'], ['tt.req2']],
			},
			{ id: 'tt.out', type: 'http response', z: 'tt.tab', wires: [] },
			{ id: 'tt.req2', type: 'http request', z: 'tt.tab', method: 'POST', ret: 'txt', url: '', wires: [[]] },
		];
		// The pack's trigger and Acknowledge alone (the baseline's job with the pack's nodes), on the same config nodes.
		const trigger = flow.find((n) => n.type === 'missed-call-trigger')!;
		const ack = flow.find((n) => n.type === 'mcr-acknowledge')!;
		const ackOnly = [
			{ id: 'ao.tab', type: 'tab', label: 'trigger and acknowledge only' },
			{ ...trigger, id: 'ao.trigger', z: 'ao.tab', path: '/missed-call-ack', wires: [['ao.ack'], [], [], []] },
			{ ...ack, id: 'ao.ack', z: 'ao.tab', wires: [[], []] },
		];
		const r = await fetch(`${base}/flows`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full', 'node-red-api-version': 'v2' },
			body: JSON.stringify({ flows: [...flow, ...baseline, ...twoTexts, ...ackOnly] }),
		});
		if (!r.ok) throw new Error(`deploy failed: ${r.status}`);
		await waitFor(
			'the trigger',
			async () => (await fetch(`${base}/missed-call`, { method: 'POST' })).status === 403,
			30000,
		);
		const hook = `${base}/missed-call?step=dial`;
		return {
			label: 'Node-RED 5',
			pid: red.pid,
			sends: {
				pack: (c, to) => signedPost(hook, missedCallBody(c, to)),
				baseline: (c) => plainPost(`${base}/baseline`, c),
				ackOnly: (c, to = SECOND_NUMBER) => signedPost(`${base}/missed-call-ack?step=dial`, missedCallBody(c, to)),
				twoTexts: (c) => plainPost(`${base}/baseline-two-texts`, c),
			},
			stop: cleanup,
		};
	} catch (e) {
		await cleanup();
		throw e;
	}
}

export async function benchNodeRed(tarball: string): Promise<unknown> {
	const sim = new TwilioSim(DEMO_ACCOUNT);
	await sim.start();
	const arrivals = new Arrivals(sim);
	const r = await startNodeRedBench(tarball, sim);
	try {
		console.log(
			'Node-RED 5: webhook to acknowledgment, quick-start template vs baseline flow (http in, http request, http ' +
				'response)',
		);
		// 2,000 calls at every level: the p99 of 2,000 is the twentieth-slowest call, not one garbage collection's worth.
		return await compare(arrivals, r.pid, r.sends, () => 2000, warmUpCalls(6000), repeats(3));
	} finally {
		await r.stop();
		await sim.stop();
	}
}

/**
 * n8n 2.x evaluates expressions in isolated V8 isolates and, by default, builds one for every webhook request and one
 * for every execution, whether or not anything evaluates an expression (about 40 ms of CPU each, measured, most of it
 * on threads other than the main one). Its own Webhook node is the one trigger exempted from the webhook request's
 * isolate (n8n's `webhookPhaseNeedsIsolate`), so the baseline pays for one isolate per call and a workflow started by
 * any other trigger, the pack's included, for two. n8n's own setting N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true (marked
 * experimental in n8n 2.x) builds an isolate only when an expression needs it; the bench measures both.
 */
export const N8N_LAZY_ISOLATES = { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' };

/**
 * n8n with the template, the baseline and the trigger+Acknowledge-only workflow. Regular mode: one process on SQLite.
 * Queue mode: a main process and `workers` workers on the machine's PostgreSQL (n8n's data and the pack's store) and
 * Redis. `settings`: more of n8n's own environment settings (N8N_LAZY_ISOLATES), the same for all three workflows.
 */
export async function startN8nBench(
	tarball: string,
	sim: TwilioSim,
	queue?: { workers: number; pgUrl: string; redisHost: string; redisPort: number },
	settings: Record<string, string> = {},
): Promise<Running> {
	runtimes.install(['n8n']);
	const dir = mkdtempSync(join(tmpdir(), 'mcr-bench-n8n-'));
	let n8n: ChildProcess | undefined;
	const workers: ChildProcess[] = [];
	const pg = queue ? new URL(queue.pgUrl) : undefined;
	const db = `mcr_bench_n8n_${process.pid}`;
	const schema = `mcr_bench_store_${process.pid}`;
	const admin = async (sql: string) => {
		const c = new Client({ connectionString: queue!.pgUrl });
		await c.connect();
		await c.query(sql).finally(() => c.end());
	};
	const cleanup = async () => {
		for (const w of workers) await stopChild(w);
		if (n8n) await stopChild(n8n);
		rmSync(dir, { recursive: true, force: true });
		if (queue) {
			await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
			await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
		}
	};
	try {
		const nodesDir = join(dir, '.n8n', 'nodes');
		mkdirSync(nodesDir, { recursive: true });
		writeFileSync(
			join(nodesDir, 'package.json'),
			JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }),
		);
		execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', '--omit=optional', tarball], {
			cwd: nodesDir,
			env: runtimes.envFor24(),
			stdio: ['ignore', 'ignore', 'inherit'],
		});
		const port = await freePort();
		const env: NodeJS.ProcessEnv = {
			...Object.fromEntries(Object.entries(runtimes.envFor24()).filter(([k]) => !/^(JEST_|NODE_OPTIONS$)/.test(k))),
			NODE_ENV: 'production',
			N8N_USER_FOLDER: dir,
			N8N_PORT: String(port),
			WEBHOOK_URL: `http://127.0.0.1:${port}/`,
			N8N_ENCRYPTION_KEY: 'bench-encryption-key-0123456789',
			N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'false',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			N8N_LOG_LEVEL: 'warn',
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'none',
			EXECUTIONS_DATA_SAVE_ON_PROGRESS: 'false',
			...settings,
			...(queue && pg
				? {
						EXECUTIONS_MODE: 'queue',
						QUEUE_BULL_REDIS_HOST: queue.redisHost,
						QUEUE_BULL_REDIS_PORT: String(queue.redisPort),
						QUEUE_BULL_PREFIX: `mcr-bench-${process.pid}`,
						DB_TYPE: 'postgresdb',
						DB_POSTGRESDB_HOST: pg.hostname,
						DB_POSTGRESDB_PORT: pg.port || '5432',
						DB_POSTGRESDB_DATABASE: db,
						DB_POSTGRESDB_USER: decodeURIComponent(pg.username) || 'postgres',
					}
				: {}),
		};
		if (queue) await admin(`CREATE DATABASE ${db}`);
		const store =
			queue && pg
				? {
						storeType: 'postgres',
						host: pg.hostname,
						port: Number(pg.port || 5432),
						database: pg.pathname.slice(1),
						user: decodeURIComponent(pg.username),
						schema,
					}
				: { storeType: 'sqlite', sqliteFile: join(dir, 'cases.db') };
		const cli = (args: string[]) =>
			execFileSync(runtimes.paths().node24, [runtimes.paths().n8nBin, ...args], {
				env,
				stdio: ['ignore', 'ignore', 'inherit'],
			});
		writeFileSync(
			join(dir, 'creds.json'),
			JSON.stringify([
				{
					id: 'mcrWorkspace0001',
					name: 'Workspace',
					type: 'missedCallRecoveryWorkspaceApi',
					data: { ...store, businesses: JSON.stringify(BUSINESSES) },
				},
				{
					id: 'mcrTwilio0000001',
					name: 'Twilio',
					type: 'missedCallRecoveryTwilioApi',
					data: {
						accountSid: DEMO_ACCOUNT.accountSid,
						authType: 'authToken',
						authToken: DEMO_ACCOUNT.authToken,
						apiBaseUrl: sim.url,
					},
				},
			]),
		);
		cli(['import:credentials', `--input=${join(dir, 'creds.json')}`]);
		rmSync(join(dir, 'creds.json'));
		const quick = JSON.parse(
			readFileSync(join(ROOT, 'workflows', 'quick-start-text-back.json'), 'utf8')
				.replace(/REPLACE_WORKSPACE_CREDENTIAL_ID/g, 'mcrWorkspace0001')
				.replace(/REPLACE_TWILIO_CREDENTIAL_ID/g, 'mcrTwilio0000001'),
		);
		const webhookId = (quick.nodes as { type: string; webhookId?: string }[]).find((n) =>
			n.type.endsWith('.missedCallTrigger'),
		)!.webhookId;
		writeFileSync(join(dir, 'quick.json'), JSON.stringify({ ...quick, id: 'benchQuickStart01' }));
		// The baseline: n8n's own nodes only. Webhook in, one HTTP Request to the Messages API, Respond to Webhook.
		const httpSend = (id: string, name: string, x: number, to: string, body: string) => ({
			id,
			name,
			type: 'n8n-nodes-base.httpRequest',
			typeVersion: 4.2,
			position: [x, 0],
			parameters: {
				method: 'POST',
				url: messagesUrl(sim),
				sendHeaders: true,
				headerParameters: { parameters: [{ name: 'Authorization', value: basicAuth() }] },
				sendBody: true,
				contentType: 'form-urlencoded',
				bodyParameters: {
					parameters: [
						{ name: 'To', value: to },
						{ name: 'From', value: "={{ $('Webhook').item.json.body.To }}" },
						{ name: 'Body', value: body },
					],
				},
				options: {},
			},
		});
		const webhook = (n: number, path: string) => ({
			id: 'w',
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: `b0000000-0000-4000-8000-00000000000${n}`,
			parameters: { httpMethod: 'POST', path, responseMode: 'responseNode', options: {} },
		});
		const respond = {
			id: 'r',
			name: 'Respond',
			type: 'n8n-nodes-base.respondToWebhook',
			typeVersion: 1.1,
			position: [440, 0],
			parameters: { respondWith: 'text', responseBody: '<Response/>', options: {} },
		};
		const link = (node: string) => ({ main: [[{ node, type: 'main', index: 0 }]] });
		const send = httpSend('s', 'Send', 220, "={{ $('Webhook').item.json.body.From }}", CALLER_TEXT);
		const baseline = {
			id: 'benchBaseline0001',
			name: 'baseline',
			active: false,
			settings: { executionOrder: 'v1' },
			pinData: {},
			connections: { Webhook: link('Send'), Send: link('Respond') },
			nodes: [webhook(1, 'baseline'), send, respond],
		};
		writeFileSync(join(dir, 'baseline.json'), JSON.stringify(baseline));
		// The baseline with the owner text: the same, then a second HTTP Request (the owner's text) after the answer.
		const twoTexts = {
			...baseline,
			id: 'benchBaseline0002',
			name: 'baseline with the owner text',
			nodes: [
				webhook(2, 'baseline-two-texts'),
				send,
				respond,
				httpSend('o', 'Send to owner', 660, OWNER_PHONE, OWNER_TEXT),
			],
			connections: { ...baseline.connections, Respond: link('Send to owner') },
		};
		writeFileSync(join(dir, 'two-texts.json'), JSON.stringify(twoTexts));
		// The pack's trigger and Acknowledge alone (the baseline's job with the pack's nodes), on the same credentials.
		type N = { name: string; type: string; webhookId?: string };
		const qTrigger = (quick.nodes as N[]).find((n) => n.type.endsWith('.missedCallTrigger'))!;
		const qAck = (quick.nodes as N[]).find((n) => n.type.endsWith('.acknowledge'))!;
		const ackOnly = {
			id: 'benchAckOnly00001',
			name: 'trigger and acknowledge only',
			active: false,
			settings: { executionOrder: 'v1' },
			pinData: {},
			nodes: [
				{ ...qTrigger, id: 'ao-t', webhookId: 'a0000000-0000-4000-8000-000000000001' },
				{ ...qAck, id: 'ao-a' },
			],
			connections: { [qTrigger.name]: { main: [[{ node: qAck.name, type: 'main', index: 0 }], [], [], []] } },
		};
		writeFileSync(join(dir, 'ack-only.json'), JSON.stringify(ackOnly));
		for (const [f, id] of [
			['quick.json', 'benchQuickStart01'],
			['baseline.json', 'benchBaseline0001'],
			['two-texts.json', 'benchBaseline0002'],
			['ack-only.json', 'benchAckOnly00001'],
		]) {
			cli(['import:workflow', `--input=${join(dir, f)}`]);
			cli(['publish:workflow', `--id=${id}`]);
		}
		n8n = spawn(runtimes.paths().node24, [...profileArgs(), runtimes.paths().n8nBin, 'start'], {
			env,
			stdio: 'ignore',
		});
		const base = `http://127.0.0.1:${port}`;
		await waitFor('n8n', async () => (await fetch(`${base}/healthz`)).ok, 180000);
		const hook = `${base}/webhook/${webhookId}/missed-call`;
		await waitFor('the workflows', async () => (await fetch(hook, { method: 'POST' })).status === 403, 90000);
		await waitFor(
			'the trigger+Acknowledge workflow',
			async () =>
				(await fetch(`${base}/webhook/a0000000-0000-4000-8000-000000000001/missed-call`, { method: 'POST' })).status ===
				403,
			90000,
		);
		for (let i = 0; i < (queue?.workers ?? 0); i++) {
			const health = await freePort();
			const w = spawn(runtimes.paths().node24, [runtimes.paths().n8nBin, 'worker', '--concurrency=10'], {
				env: {
					...env,
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(health),
					N8N_RUNNERS_BROKER_PORT: String(await freePort()),
				},
				stdio: 'ignore',
			});
			workers.push(w);
			await waitFor(`worker ${i + 1}`, async () => (await fetch(`http://127.0.0.1:${health}/healthz`)).ok, 120000);
		}
		return {
			label: `${
				queue ? `n8n (queue mode, ` + `${queue.workers} workers)` : 'n8n (regular mode)'
			}${settings.N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE === 'true' ? ', lazy expression isolates' : ''}`,
			pid: n8n.pid,
			pids: [n8n.pid!, ...workers.map((w) => w.pid!)],
			sends: {
				pack: (c, to) => signedPost(`${hook}?step=dial`, missedCallBody(c, to)),
				baseline: (c) => plainPost(`${base}/webhook/baseline`, c),
				ackOnly: (c, to = SECOND_NUMBER) =>
					signedPost(
						`${base}/webhook/a0000000-0000-4000-8000-000000000001/missed-call?step=dial`,
						missedCallBody(c, to),
					),
				twoTexts: (c) => plainPost(`${base}/webhook/baseline-two-texts`, c),
			},
			stop: cleanup,
		};
	} catch (e) {
		await cleanup();
		throw e;
	}
}

export async function benchN8n(
	tarball: string,
	queue?: Parameters<typeof startN8nBench>[2],
	settings: Record<string, string> = {},
): Promise<unknown> {
	const sim = new TwilioSim(DEMO_ACCOUNT);
	await sim.start();
	const arrivals = new Arrivals(sim);
	const r = await startN8nBench(tarball, sim, queue, settings);
	try {
		console.log(
			`${r.label}: webhook to acknowledgment, quick-start template vs baseline workflow (Webhook, HTTP Request, ` +
				`Respond to Webhook)${queue ? '; CPU summed over main and workers' : ''}`,
		);
		// 200 calls at every level: the p99 of 200 is the second-slowest call. n8n's own work per execution dwarfs the
		// pack's, so a short warm-up does.
		return await compare(arrivals, r.pids ?? r.pid, r.sends, () => 200, warmUpCalls(100), repeats(1));
	} finally {
		await r.stop();
		await sim.stop();
	}
}

/** `node dist/bench/runtime.js`: both runtimes; also called by `npm run bench`. */
export async function benchRuntimes(): Promise<Record<string, unknown>> {
	const tarball = packTarball();
	const only = process.env.MCR_BENCH_ONLY; // node-red or n8n, to measure one runtime while working on it
	return {
		...(only !== 'n8n' ? { nodeRed5: await benchNodeRed(tarball) } : {}),
		...(only !== 'node-red' ? { n8nRegular: await benchN8n(tarball) } : {}),
		...(only !== 'node-red' ? { n8nRegularLazyIsolates: await benchN8n(tarball, undefined, N8N_LAZY_ISOLATES) } : {}),
		...(only !== 'node-red' ? { n8nQueue: await benchN8nQueue(tarball) } : {}),
		...(only !== 'node-red' ? { n8nQueueLazyIsolates: await benchN8nQueue(tarball, N8N_LAZY_ISOLATES) } : {}),
	};
}

/** Queue mode needs the machine's PostgreSQL and Redis; without them the figure is skipped with the reason. */
async function benchN8nQueue(tarball: string, settings: Record<string, string> = {}): Promise<unknown> {
	const pgUrl = process.env.MCR_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
	const redisHost = process.env.MCR_BENCH_REDIS_HOST ?? '127.0.0.1';
	const redisPort = Number(process.env.MCR_BENCH_REDIS_PORT ?? 6379);
	try {
		const c = new Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
		await c.connect();
		await c.end();
		await new Promise<void>((res, rej) => {
			const s = createConnection({ host: redisHost, port: redisPort }, () => (s.end(), res()));
			s.once('error', rej);
		});
	} catch (e) {
		console.log(`n8n queue mode: skipped (${(e as Error).message})`);
		return { skipped: (e as Error).message };
	}
	return benchN8n(tarball, { workers: 2, pgUrl, redisHost, redisPort }, settings);
}

if (require.main === module) {
	benchRuntimes().then(
		(r) => console.log(JSON.stringify(r, null, 2)),
		(e) => {
			console.error(e);
			process.exit(1);
		},
	);
}
