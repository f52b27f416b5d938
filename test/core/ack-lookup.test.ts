import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOpen, openStore, RecoveryLoop, TwilioProvider, type MissedCall, type RecoveryStore } from '../../core';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN, chicago, plumber } from '../helpers/fixtures';

/** Lookup v2 is paid per request: it must run only for a text that every free guard lets out now. */
describe('the paid line type lookup runs after every free guard', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	let dir: string;
	let store: RecoveryStore;
	let clock: Date;
	let seq = 0;
	const lookups = () => sim.requests.filter((r) => r.path.startsWith('/v2/PhoneNumbers/')).length;

	function call(from: string, extra: Partial<MissedCall> = {}): MissedCall {
		seq++;
		return {
			type: 'missed-call',
			eventId: `twilio:CAlk${seq}`,
			provider: 'twilio',
			callSid: `CAlk${seq}`,
			from,
			to: '+13125550199',
			businessId: 'acme-plumbing',
			reason: 'no-answer',
			startedAt: clock.toISOString(),
			durationSec: 20,
			repeat: 0,
			channel: 'sms',
			...extra,
		};
	}

	function loopFor(acknowledgment: Record<string, unknown> = {}) {
		const profile = plumber({ acknowledgment: { checkLineType: true, ...acknowledgment } });
		return new RecoveryLoop({
			store,
			provider: new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url }),
			profileFor: () => profile,
			now: () => clock,
			retry: { retries: 1, baseMs: 1, maxMs: 1 },
		});
	}

	async function acknowledgeCall(loop: RecoveryLoop, event: MissedCall) {
		return loop.acknowledge((await loop.detect(event)).case.caseId);
	}

	beforeAll(() => sim.start());
	afterAll(() => sim.stop());
	beforeEach(async () => {
		sim.reset();
		dir = mkdtempSync(join(tmpdir(), 'mcr-lookup-'));
		store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
		clock = new Date(chicago('2026-11-25T12:00'));
	});
	afterEach(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	test('1,000 callers from a blocked country cost no Lookup and get no text', async () => {
		const loop = loopFor();
		for (let i = 0; i < 1000; i++) {
			const r = await acknowledgeCall(loop, call(`+44770${String(1000000 + i)}`));
			expect(r.plan).toMatchObject({ action: 'skip', reason: 'country-not-allowed' });
		}
		expect(lookups()).toBe(0);
		expect(sim.messages).toHaveLength(0);
	}, 60000);

	test('opted-out, short, already-texted, capped and quiet-hours callers cost no Lookup', async () => {
		const loop = loopFor({ hourlyCap: 2 });
		await store.setOptOut('acme-plumbing', '+13125550201', true, 'STOP reply', clock.toISOString());
		expect((await acknowledgeCall(loop, call('+13125550201'))).plan).toMatchObject({ reason: 'opted-out' });
		const short = call('+13125550202', { reason: 'short-abandoned', durationSec: 2 });
		expect((await acknowledgeCall(loop, short)).plan).toMatchObject({ reason: 'short-abandoned' });
		expect(lookups()).toBe(0);

		// One text goes out: one Lookup, for that text.
		const first = await acknowledgeCall(loop, call('+13125550203'));
		expect(first.plan.action).toBe('send');
		expect(lookups()).toBe(1);
		// The same caller again within the window, after the case closed: no second Lookup.
		const closed = await loop.recordOutcome(first.case.caseId, { kind: 'called-back' });
		expect(isOpen(closed.state)).toBe(false);
		expect((await acknowledgeCall(loop, call('+13125550203'))).plan).toMatchObject({ reason: 'already-acknowledged' });
		expect(lookups()).toBe(1);

		await acknowledgeCall(loop, call('+13125550204'));
		expect(lookups()).toBe(2);
		// The hourly cap of 2 is full.
		expect((await acknowledgeCall(loop, call('+13125550205'))).plan).toMatchObject({ reason: 'cap-reached' });
		expect(lookups()).toBe(2);

		// 22:30 in Chicago: deferred to the morning, looked up then, not now.
		clock = new Date(chicago('2026-11-25T22:30'));
		const night = await acknowledgeCall(loopFor(), call('+13125550206'));
		expect(night.plan.action).toBe('defer');
		expect(lookups()).toBe(2);
	}, 60000);

	test('a landline found by the Lookup is still not texted', async () => {
		sim.lineTypes.set('+13125550207', 'landline');
		const r = await acknowledgeCall(loopFor(), call('+13125550207'));
		expect(r.plan).toMatchObject({ action: 'skip', reason: 'landline' });
		expect(lookups()).toBe(1);
		expect(sim.messages).toHaveLength(0);
	});
});
