import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	normalize,
	openStore,
	parseProfile,
	RecoveryLoop,
	type MessagingProvider,
	type MissedCall,
	type RecoveryStore,
} from '../core';

/**
 * The core's own CPU cost, in one process: missed calls through the whole loop (detect, acknowledge, classify,
 * route, owner alert) against the embedded SQLite store and an instant in-process provider, then idle ticks (nothing
 * due), then moves (call attempts with keys of their own) on one case whose history is past its limit. No runtime, no
 * HTTP, no SDK: what is left is the core and its store.
 *
 *   node dist/bench/core-cost.js [--calls 500] [--warm 2000] [--ticks 500] [--tick-warm 500] [--moves 300]
 *                                [--callers 1]
 *   node dist/bench/core-cost.js --callgrind [--calls N]   (fixed counts, prints nothing timed)
 *
 * Under callgrind the figure per call is the difference between two runs that differ only in --calls, divided by
 * the difference in calls: the start-up, the warm-up and the JIT's first compilations cancel out.
 * The file uses only APIs that existed at ec56b18 (RecoveryLoop.run, openStore), so it can be copied into an older
 * checkout to measure a baseline; the tick is RecoveryLoop.tick where it exists, else the two sweeps it replaced.
 */
interface Options {
	calls: number;
	warm: number;
	ticks: number;
	tickWarm: number;
	/** Moves recorded on one case whose history is past its limit (after as many to fill it). */
	moves: number;
	/** Calls in flight at once, as concurrent callers put them in a runtime (the store's commits are then shared). */
	callers: number;
	callgrind: boolean;
}

function options(argv: string[]): Options {
	const num = (name: string, fallback: number) => {
		const i = argv.indexOf(`--${name}`);
		return i >= 0 ? Number(argv[i + 1]) : fallback;
	};
	const callgrind = argv.includes('--callgrind');
	return {
		callgrind,
		calls: num('calls', callgrind ? 100 : 500),
		warm: num('warm', callgrind ? 300 : 2000),
		ticks: num('ticks', callgrind ? 0 : 500),
		tickWarm: num('tick-warm', callgrind ? 0 : 500),
		moves: num('moves', callgrind ? 0 : 300),
		callers: Math.max(1, num('callers', 1)),
	};
}

const ACCOUNT_SID = 'AC' + '5a'.repeat(16);

const profile = parseProfile({
	businessId: 'bench',
	name: 'Bench Plumbing',
	timeZone: 'America/Chicago',
	phone: '+13125550100',
	numbers: ['+13125550199'],
	trade: 'plumbing',
	roster: [
		{ id: 'a', name: 'A', phone: '+13125550111', skills: ['leak'] },
		{ id: 'b', name: 'B', phone: '+13125550112', skills: ['drain'] },
		{ id: 'c', name: 'C', phone: '+13125550113' },
	],
	routing: { strategy: 'round-robin', fallback: ['c'] },
	// Every call is a new caller within one business's working day: the caps must not change the path measured.
	acknowledgment: { checkLineType: true, hourlyCap: 10000, dailyCap: 100000 },
});

let sids = 0;
const provider: MessagingProvider = {
	sendMessage: async () => ({ sid: `SM${String(++sids).padStart(32, '0')}`, status: 'queued' }),
	lookupLineType: async () => 'mobile',
	placeCall: async () => ({ sid: `CA${String(++sids).padStart(32, '0')}` }),
};

/** Wednesday 2026-11-25 09:00 in Chicago: open hours, a working day, no holiday near. */
const START = Date.parse('2026-11-25T15:00:00.000Z');

/** The events, built before anything is measured (the trigger's parsing is not the loop's cost). */
function missedCalls(n: number, first: number): MissedCall[] {
	const out: MissedCall[] = [];
	for (let i = first; i < first + n; i++) {
		const r = normalize(
			'twilio',
			{
				AccountSid: ACCOUNT_SID,
				CallSid: `CA${String(i).padStart(32, '0')}`,
				From: `+1773${String(2000000 + i)}`,
				To: '+13125550199',
				DialCallStatus: 'no-answer',
				DialCallDuration: '0',
			},
			{ businessId: 'bench', now: () => new Date(START + i * 1000) },
		);
		if (r.kind !== 'missed-call') throw new Error(`call ${i} normalized as ${r.kind}`);
		out.push(r.event);
	}
	return out;
}

/** The periodic tick of this version of the core. */
type Tick = () => Promise<unknown>;
function tickOf(loop: RecoveryLoop): Tick {
	const l = loop as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
	if (typeof l.tick === 'function') return () => l.tick.call(loop, {});
	return async () => {
		await l.sweepOverdue.call(loop, {});
		await l.sendDueAcks.call(loop);
	};
}

/**
 * CPU per move on one case with a full history: the first `n` moves (and the 300 before them) fill it, the next `n`
 * are measured, each one pushing an older move out of the document.
 */
async function longCase(loop: RecoveryLoop, clock: { t: number }, n: number): Promise<number> {
	if (!n) return 0;
	const [event] = missedCalls(1, 1_000_000);
	clock.t = Date.parse(event.startedAt);
	const caseId = (await loop.run(event)).case.caseId;
	const move = (i: number) =>
		loop.recordAttempt(caseId, { channel: 'call', by: 'a', result: 'no-answer' }, `bench-attempt:${i}`);
	for (let i = 0; i < 300 + n; i++) await move(i);
	const t0 = cpuUs();
	for (let i = 300 + n; i < 300 + 2 * n; i++) await move(i);
	return (cpuUs() - t0) / n;
}

function cpuUs(): number {
	const u = process.cpuUsage();
	return u.user + u.system;
}

async function main(): Promise<void> {
	const o = options(process.argv.slice(2));
	const dir = mkdtempSync(join(tmpdir(), 'mcr-core-cost-'));
	let store: RecoveryStore | undefined;
	try {
		store = await openStore({ type: 'sqlite', file: join(dir, 'cases.db') });
		// Each call a second after the one before, handled as it comes in: all of them fall in the same open hours.
		const clock = { t: START };
		const loop = new RecoveryLoop({ store, provider, profileFor: () => profile, now: () => new Date(clock.t) });
		// Each of `callers` takes the next event as soon as its last one is handled.
		const play = async (events: MissedCall[]) => {
			let next = 0;
			const caller = async () => {
				while (next < events.length) {
					const e = events[next++];
					clock.t = Math.max(clock.t, Date.parse(e.startedAt));
					const r = await loop.run(e);
					if (r.duplicate || !r.case.owner) throw new Error(`call ${e.callSid} was not routed: ${r.case.state}`);
				}
			};
			await Promise.all(Array.from({ length: o.callers }, caller));
		};
		const tick = tickOf(loop);
		const ticks = async (n: number) => {
			for (let i = 0; i < n; i++) await tick();
		};

		const warm = missedCalls(o.warm, 0);
		const measured = missedCalls(o.calls, o.warm);
		await play(warm);
		const c0 = cpuUs();
		await play(measured);
		const callUs = (cpuUs() - c0) / Math.max(o.calls, 1);
		await ticks(o.tickWarm);
		const t0 = cpuUs();
		await ticks(o.ticks);
		const tickUs = (cpuUs() - t0) / Math.max(o.ticks, 1);
		const moveUs = await longCase(loop, clock, o.moves);
		if (o.callgrind) {
			process.stdout.write(`done: ${o.warm} warm-up calls, ${o.calls} calls, ${o.ticks} ticks\n`);
			return;
		}
		process.stdout.write(
			`${JSON.stringify({
				node: process.version,
				calls: o.calls,
				callers: o.callers,
				warm: o.warm,
				ticks: o.ticks,
				cpuUsPerCall: Math.round(callUs),
				cpuUsPerIdleTick: Math.round(tickUs),
				moves: o.moves,
				cpuUsPerMoveOnFullHistory: Math.round(moveUs),
			})}\n`,
		);
	} finally {
		await store?.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

main().catch((e: unknown) => {
	process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
	process.exit(1);
});
