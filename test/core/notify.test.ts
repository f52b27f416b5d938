import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hazardsIn } from '../../core/safety';
import {
	normalize,
	openStore,
	RecoveryLoop,
	TwilioProvider,
	type MissedCall,
	type RecoveryStore,
	type VoicemailEvent,
} from '../../core';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN, chicago, plumber } from '../helpers/fixtures';

/**
 * The owner's and the caller's follow-up texts under races and failures: once each, retried when they did not go out,
 * and never a case woken forever (the independent review's findings on the loop over time).
 */
describe('texts about a case under races and failures', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	let dir: string;
	let store: RecoveryStore;
	let loop: RecoveryLoop;
	let clock: Date;
	let seq = 0;
	const profile = plumber({ routing: { fallback: ['ana'], escalation: ['ben'] } });
	const OWNERS = ['+13125550111', '+13125550112', '+13125550113'];

	function missed(from: string): MissedCall {
		const n = normalize(
			'twilio',
			{
				AccountSid: ACCOUNT_SID,
				CallSid: `CA${String(++seq).padStart(32, '0')}`,
				From: from,
				To: '+13125550199',
				DialCallStatus: 'no-answer',
				DialCallDuration: '0',
			},
			{ businessId: 'acme-plumbing', now: () => clock },
		);
		if (n.kind !== 'missed-call') throw new Error(n.kind);
		return n.event;
	}
	const later = (minutes: number) => (clock = new Date(clock.getTime() + minutes * 60e3));
	const toOwners = () => sim.messages.filter((m) => OWNERS.includes(m.to));

	beforeAll(() => sim.start());
	afterAll(() => sim.stop());
	beforeEach(async () => {
		sim.reset();
		dir = mkdtempSync(join(tmpdir(), 'mcr-notify-'));
		store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
		clock = new Date(chicago('2026-11-25T12:00'));
		loop = new RecoveryLoop({
			store,
			provider: new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url }),
			profileFor: (id) => (id === 'acme-plumbing' ? profile : undefined),
			now: () => clock,
			retry: { retries: 0, baseMs: 1, maxMs: 1 },
		});
	});
	afterEach(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	test('two stages racing on a gas emergency text the caller the safety step once and the owner once', async () => {
		const d = await loop.detect(missed('+13125550150'));
		await loop.voicemail({
			type: 'voicemail',
			eventId: 'twilio:vm:1',
			provider: 'twilio',
			callSid: d.case.calls[0].callSid,
			from: '+13125550150',
			to: '+13125550199',
			businessId: 'acme-plumbing',
			voicemail: { transcript: 'I smell gas in the kitchen', durationSec: 6 },
			at: clock.toISOString(),
		});
		await loop.classify(d.case.caseId);
		const opts = { alertOwner: true, connectCaller: 'emergency' as const };
		await Promise.all([loop.routeAndNotify(d.case.caseId, opts), loop.routeAndNotify(d.case.caseId, opts)]);
		expect(sim.messages.filter((m) => m.body.includes('smell gas, leave now'))).toHaveLength(1);
		expect(toOwners()).toHaveLength(1);
		expect(sim.calls).toHaveLength(1);
	});

	test('an owner alert cut off mid-send is sent by the tick once it is stale, and only once', async () => {
		const r = await loop.run(missed('+13125550151'));
		const alert = r.case.alerts[0];
		expect(alert).toMatchObject({ kind: 'new-case', status: 'sent' });
		// As if the process died after claiming the alert and before sending it.
		const c = (await store.getCase(r.case.caseId))!;
		await store.saveCase(
			{ ...c, alerts: [{ ...alert, status: 'sending', sid: undefined, claim: 'dead' }] },
			{ previous: c },
		);
		sim.reset();
		later(1);
		await loop.tick();
		expect(toOwners()).toHaveLength(0); // still in progress, as far as anyone knows
		later(2);
		await loop.tick();
		expect(toOwners()).toHaveLength(1);
		later(3);
		await loop.tick();
		expect(toOwners()).toHaveLength(1);
		expect((await store.getCase(r.case.caseId))!.alerts[0]).toMatchObject({ status: 'sent', tries: 2 });
	});

	test('a caller who rings again is told to the owner once per call, with its words, up to the cap', async () => {
		const from = '+13125550154';
		const repeats = () => toOwners().filter((m) => m.body.startsWith('[Called again]'));
		const first = await loop.run(missed(from));
		expect(toOwners()).toHaveLength(1);
		const words = ['Me again, the water is now on the floor', 'Third try', 'Fourth try', 'Fifth try'];
		for (const [i, transcript] of words.entries()) {
			later(20);
			const again = await loop.detect(missed(from), { voicemailExpected: true });
			expect(again.case.caseId).toBe(first.case.caseId);
			await loop.routeAndNotify(first.case.caseId, { alertOwner: true, connectCaller: 'never' });
			// Held for the call's voicemail: nothing yet, then the words arrive and the tick sends it.
			expect(repeats()).toHaveLength(Math.min(i, 2));
			await loop.voicemail({
				type: 'voicemail',
				eventId: `twilio:vm:again:${i}`,
				provider: 'twilio',
				callSid: again.case.calls[again.case.calls.length - 1].callSid,
				from,
				to: '+13125550199',
				businessId: 'acme-plumbing',
				voicemail: { transcript, durationSec: 8 },
				at: clock.toISOString(),
			});
			await loop.notifyOwner(first.case.caseId);
			later(1);
			await loop.tick();
		}
		const texts = repeats();
		expect(texts).toHaveLength(2);
		expect(texts[0].body).toContain('call 2');
		expect(texts[0].body).toContain('water is now on the floor');
		expect(texts[1].body).toContain('Third try');
		expect(texts[1].body).not.toContain('water is now on the floor');
		const c = (await store.getCase(first.case.caseId))!;
		expect(c.alerts.filter((a) => a.kind === 'repeat').map((a) => a.key)).toEqual(['repeat:2', 'repeat:3']);
		expect(c.alertHoldUntil).toBeNull();
	});

	test('a repeat call that raises the urgency after its deadline passed moves the deadline from now', async () => {
		const from = '+13125550155';
		const first = await loop.run(missed(from));
		const due = first.case.dueAt!;
		later(3 * 60); // past what a high-urgency deadline counted from detection would be
		await loop.run(missed(from));
		const c = (await store.getCase(first.case.caseId))!;
		expect(c.urgency).toBe('high');
		expect(Date.parse(c.dueAt!)).toBeGreaterThan(clock.getTime());
		expect(Date.parse(c.dueAt!)).toBeLessThanOrEqual(Date.parse(due));
		expect(c.escalationLevel).toBe(0);
		later(1);
		await loop.tick();
		expect((await store.getCase(first.case.caseId))!.escalationLevel).toBe(0);
	});

	test('a case whose tick failed is unflagged once its duties go through again', async () => {
		const r = await loop.run(missed('+13125550156'));
		let known = false;
		const flaky = new RecoveryLoop({ ...loop.deps, profileFor: () => (known ? profile : undefined) });
		later(5 * 60);
		expect((await flaky.tick()).errors.map((e) => e.caseId)).toContain(r.case.caseId);
		expect((await store.getCase(r.case.caseId))!.flags).toContain('tick-failed');
		known = true;
		// A failure that has passed (here the profile is back) holds the case up a minute, not a quarter of an hour.
		later(1);
		await flaky.tick();
		const c = (await store.getCase(r.case.caseId))!;
		expect(c.flags).not.toContain('tick-failed');
		expect(c).toMatchObject({ tickFailures: 0, snoozedUntil: null });
		expect(c.escalationLevel).toBe(1);
	});

	test('a held alert the tick may not send is let go, not woken again every lease', async () => {
		const profileClosed = plumber({ routing: { fallback: ['ana'] } });
		const quiet = new RecoveryLoop({ ...loop.deps, provider: undefined, profileFor: () => profileClosed });
		clock = new Date(chicago('2026-11-25T22:00'));
		const d = await quiet.detect(missed('+13125550152'));
		await loop.route(d.case.caseId);
		await loop.notifyOwner(d.case.caseId);
		expect((await store.getCase(d.case.caseId))!.alertHoldUntil).toBeTruthy();
		later(12 * 60);
		await quiet.tick();
		expect((await store.getCase(d.case.caseId))!.alertHoldUntil).toBeNull();
		later(5);
		expect((await quiet.tick()).cases).toEqual([]);
	});

	test('an alert that failed for an earlier owner does not hold the case off its next step', async () => {
		const fast = plumber({
			routing: {
				fallback: ['ana'],
				escalation: ['ben'],
				deadlineMinutes: { emergency: 3, high: 30, normal: 60, low: 240 },
			},
		});
		const l = new RecoveryLoop({ ...loop.deps, profileFor: () => fast });
		const r = await l.run(missed('+13125550157'));
		expect(r.case.owner?.id).toBe('ana');
		// The emergency update to Ana fails; the case then escalates to Ben, who owns it from there on.
		sim.fail({ code: 30003, status: 400, toPrefix: '+13125550111', times: 5 });
		const e: VoicemailEvent = {
			type: 'voicemail',
			eventId: 'twilio:vm:157',
			provider: 'twilio',
			callSid: r.case.calls[0].callSid,
			from: '+13125550157',
			to: '+13125550199',
			businessId: 'acme-plumbing',
			voicemail: { transcript: 'I smell gas in the kitchen', durationSec: 6 },
			at: clock.toISOString(),
		};
		const heard = await l.voicemail(e);
		await l.handleEvent({ type: 'voicemail', event: e, case: heard });
		const failed = (await store.getCase(r.case.caseId))!.alerts.find((a) => a.kind === 'emergency');
		expect(failed).toMatchObject({ ownerId: 'ana', status: 'failed' });
		later(3.1);
		await l.tick();
		expect((await store.getCase(r.case.caseId))!.owner?.id).toBe('ben');
		// Ana's failed update is not Ben's to retry: it must not wake (and claim) the case when its retry time comes.
		later(2);
		expect((await l.tick()).cases).toEqual([]);
		// Ben's deadline passes a minute later: his first reminder goes at once, not after a useless claim's lease.
		later(1.1);
		await l.tick();
		const c = (await store.getCase(r.case.caseId))!;
		expect(c.alerts.filter((a) => a.kind === 'reminder' && a.ownerId === 'ben' && a.status === 'sent')).toHaveLength(1);
	});

	test('the overdue list keeps a case whose escalation ended', async () => {
		const r = await loop.run(missed('+13125550153'));
		for (let i = 0; i < 12; i++) {
			later(240);
			await loop.tick();
		}
		const c = (await store.getCase(r.case.caseId))!;
		expect(c.escalationEndedAt).toBeTruthy();
		expect((await loop.listOverdue()).map((x) => x.caseId)).toContain(c.caseId);
		// The report lists it among the open cases, with its deadline in the business's own time.
		const r2 = await loop.report([profile], { days: 7, now: clock });
		expect(r2.html).toContain('Open cases (1)');
		expect(r2.html).toMatch(
			new RegExp(
				`${c.caseId.slice(0, 8)}</td><td>[^<]*0153</td><td>normal</td><td>Ben</td>` +
					`<td>[A-Z][a-z]{2} \\d+ [A-Z][a-z]{2}, \\d+:\\d\\d [AP]M</td><td>escalation ended`,
			),
		);
		expect(r2.html).toContain('(America/Chicago)');
		expect(r2.html).not.toContain('+13125550153');
		expect(r2.html).toMatch(/Callers texted back<br><b>half within \d+ s, 9 in 10 within \d+ s/);
	});

	test('a hazard word after a negation names no hazard', () => {
		expect(hazardsIn(["I don't smell gas, the stove just clicks"])).toEqual([]);
		expect(hazardsIn(['no sparks, the outlet is dead'])).toEqual([]);
		expect(hazardsIn(['I smell gas near the water heater'])).toEqual(['gas']);
	});
});
