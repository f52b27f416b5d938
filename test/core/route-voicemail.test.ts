import { type Case } from '../../core';
import { plumber } from '../helpers/fixtures';
import { loopBench } from '../helpers/loop-bench';

/**
 * Routing waits for the caller's words when they are coming: the owner picked at the missed call is provisional while
 * the first alert is held for the voicemail, and the case is routed again on the service the words name before anyone
 * is told. Round-robin pools stay fair on a mixed day.
 */
describe('routing on the voicemail words', () => {
	const OWNERS: Record<string, string> = { '+13125550111': 'ana', '+13125550112': 'ben', '+13125550113': 'cy' };
	// Ana and Cy fix leaks and drains, Ben does water heaters; all three work the business's opening hours.
	const profile = plumber({
		roster: [
			{ id: 'ana', name: 'Ana', phone: '+13125550111', skills: ['leak', 'drain'] },
			{ id: 'ben', name: 'Ben', phone: '+13125550112', skills: ['water-heater'] },
			{ id: 'cy', name: 'Cy', phone: '+13125550113', skills: ['leak', 'drain'] },
		],
		routing: { strategy: 'round-robin', fallback: ['ana'], escalation: ['cy'] },
	});
	const b = loopBench(() => profile, { start: '2026-11-25T10:00', tmpPrefix: 'mcr-route-vm-' });
	const later = (seconds: number) => b.later(seconds / 60);
	const alertsTo = (caseId: string) =>
		b.sim.messages.filter((m) => OWNERS[m.to] && m.body.includes(caseId.slice(0, 8))).map((m) => OWNERS[m.to]);

	/** A missed call offered voicemail, as the quick start plays it, then the caller's words some seconds later. */
	async function callWithVoicemail(from: string, words: string | null, after = 60): Promise<Case> {
		const r = await b.loop.run(b.missed(from), { voicemailExpected: true });
		later(after);
		if (words === null) return r.case;
		const v = await b.loop.voicemail({
			type: 'voicemail',
			eventId: `twilio:vm:${r.case.calls[0].callSid}`,
			provider: 'twilio',
			callSid: r.case.calls[0].callSid,
			from,
			to: '+13125550199',
			businessId: 'acme-plumbing',
			voicemail: { transcript: words, durationSec: 20 },
			at: b.clock.toISOString(),
		});
		const h = await b.loop.handleEvent({ type: 'voicemail', event: {} as never, case: v });
		return h.case!;
	}

	test('a water-heater voicemail reaches the water-heater person, who is the only one texted', async () => {
		const first = await b.loop.run(b.missed('+13125550160'), { voicemailExpected: true });
		// Picked at once so the case is owned, but nobody is texted while the words are coming.
		expect(first.case.owner).toBeTruthy();
		expect(first.case.routeProvisional).toBe(true);
		expect(alertsTo(first.case.caseId)).toEqual([]);
		later(45);
		const v = await b.loop.voicemail({
			type: 'voicemail',
			eventId: 'twilio:vm:160',
			provider: 'twilio',
			callSid: first.case.calls[0].callSid,
			from: '+13125550160',
			to: '+13125550199',
			businessId: 'acme-plumbing',
			voicemail: { transcript: 'Hi, our water heater quit overnight, can someone come look at it', durationSec: 14 },
			at: b.clock.toISOString(),
		});
		const c = (await b.loop.handleEvent({ type: 'voicemail', event: {} as never, case: v })).case!;
		expect(c.serviceType).toBe('water-heater');
		expect(c.owner?.id).toBe('ben');
		expect(c.routeProvisional).toBe(false);
		expect(alertsTo(c.caseId)).toEqual(['ben']);
		expect(c.history.some((h) => h.move === 'routed-on-words')).toBe(true);
		// Nothing more for anyone when the hold would have ended.
		later(600);
		await b.loop.tick();
		expect(alertsTo(c.caseId)).toEqual(['ben']);
	});

	test('on a mixed day each pool takes turns among its own people', async () => {
		const leak = 'There is water leaking under the kitchen sink, please call me back';
		const heater = 'Our water heater is not working, no hot water at all';
		const owners: Record<string, string[]> = { leak: [], 'water-heater': [] };
		for (let i = 0; i < 12; i++) {
			const c = await callWithVoicemail(`+131255502${String(i).padStart(2, '0')}`, i % 3 ? leak : heater);
			owners[c.serviceType!].push(c.owner!.id);
			expect(alertsTo(c.caseId)).toEqual([c.owner!.id]);
			later(600);
		}
		expect(owners['water-heater']).toEqual(['ben', 'ben', 'ben', 'ben']);
		// Eight leak calls between Ana and Cy: four each, alternating.
		const leaks = owners.leak;
		expect(leaks).toHaveLength(8);
		expect(leaks.filter((o) => o === 'ana')).toHaveLength(4);
		expect(leaks.filter((o) => o === 'cy')).toHaveLength(4);
		for (let i = 1; i < leaks.length; i++) expect(leaks[i]).not.toBe(leaks[i - 1]);
	});

	test('when the words never come the owner is told once the hold ends, picked on the pool turn', async () => {
		const c = await callWithVoicemail('+13125550190', null, 0);
		expect(alertsTo(c.caseId)).toEqual([]);
		later(301);
		await b.loop.tick();
		const after = (await b.store.getCase(c.caseId))!;
		expect(after.routeProvisional).toBe(false);
		expect(after.owner).toBeTruthy();
		expect(alertsTo(c.caseId)).toEqual([after.owner!.id]);
		later(60);
		await b.loop.tick();
		expect(alertsTo(c.caseId)).toHaveLength(1);
	});

	test('an emergency in the words is routed and told at once, once', async () => {
		const c = await callWithVoicemail(
			'+13125550191',
			'Water is pouring through the ceiling light, it will not stop',
			30,
		);
		expect(c.urgency).toBe('emergency');
		expect(c.routeProvisional).toBe(false);
		expect(alertsTo(c.caseId)).toEqual([c.owner!.id]);
	});

	test('words classified while the missed call was being routed set the deadline of what they reveal', async () => {
		const d = await b.loop.detect(b.missed('+13125550192'));
		await b.loop.classify(d.case.caseId);
		// The missed-call pass read the case before the transcript's pass classified it an emergency.
		const stale = (await b.store.getCase(d.case.caseId))!;
		const v = await b.loop.voicemail({
			type: 'voicemail',
			eventId: 'twilio:vm:192',
			provider: 'twilio',
			callSid: d.case.calls[0].callSid,
			from: '+13125550192',
			to: '+13125550199',
			businessId: 'acme-plumbing',
			voicemail: { transcript: 'I smell gas by the water heater', durationSec: 8 },
			at: b.clock.toISOString(),
		});
		await b.loop.classify(v!.caseId);
		const r = await b.loop.route(d.case.caseId, { known: stale });
		expect(r.case.urgency).toBe('emergency');
		const minutes = (Date.parse(r.case.dueAt!) - b.clock.getTime()) / 60e3;
		expect(minutes).toBe(profile.routing.deadlineMinutes.emergency);
	});
});
