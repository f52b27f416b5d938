import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	normalize,
	openStore,
	RecoveryLoop,
	TwilioProvider,
	type LoopDeps,
	type MissedCall,
	type RecoveryStore,
} from '../../core';
import type { Profile } from '../../core/profile/schema';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN, chicago } from './fixtures';

/**
 * The loop on a set clock, a fresh SQLite store per test and the official SDK against the local Twilio-compatible
 * server: what the core tests of the loop over time share. Call inside a describe; read the fields in tests.
 */
export interface LoopBench {
	sim: TwilioSim;
	store: RecoveryStore;
	loop: RecoveryLoop;
	clock: Date;
	/** Moves the clock on by this many minutes. */
	later(minutes: number): Date;
	/** A Twilio missed call (no answer) from `from` to the business number, with any extra Twilio fields. */
	missed(from: string, extra?: Record<string, string>): MissedCall;
}

export function loopBench(
	profile: () => Profile,
	opts: { start?: string; deps?: Partial<LoopDeps>; tmpPrefix?: string } = {},
): LoopBench {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	let dir = '';
	let seq = 0;
	const bench = {
		sim,
		clock: new Date(chicago(opts.start ?? '2026-11-25T12:00')),
		later(minutes: number) {
			bench.clock = new Date(bench.clock.getTime() + minutes * 60e3);
			return bench.clock;
		},
		missed(from: string, extra: Record<string, string> = {}): MissedCall {
			const n = normalize(
				'twilio',
				{
					AccountSid: ACCOUNT_SID,
					CallSid: `CA${String(++seq).padStart(32, '0')}`,
					From: from,
					To: '+13125550199',
					DialCallStatus: 'no-answer',
					DialCallDuration: '0',
					...extra,
				},
				{ businessId: 'acme-plumbing', now: () => bench.clock },
			);
			if (n.kind !== 'missed-call') throw new Error(n.kind);
			return n.event;
		},
	} as LoopBench;
	beforeAll(() => sim.start());
	afterAll(() => sim.stop());
	beforeEach(async () => {
		sim.reset();
		dir = mkdtempSync(join(tmpdir(), opts.tmpPrefix ?? 'mcr-loop-'));
		bench.store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
		bench.clock = new Date(chicago(opts.start ?? '2026-11-25T12:00'));
		bench.loop = new RecoveryLoop({
			store: bench.store,
			provider: new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url }),
			profileFor: (id) => (id === 'acme-plumbing' ? profile() : undefined),
			now: () => bench.clock,
			retry: { retries: 0, baseMs: 1, maxMs: 1 },
			...opts.deps,
		});
	});
	afterEach(async () => {
		await bench.store.close();
		rmSync(dir, { recursive: true, force: true });
	});
	return bench;
}
