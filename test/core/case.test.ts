import {
	CaseSchema,
	cases,
	IllegalTransitionError,
	MissedCallSchema,
	MOVES,
	type Case,
	type MissedCall,
} from '../../core';

const at = '2026-11-25T18:00:00.000Z';
const event: MissedCall = {
	type: 'missed-call',
	eventId: 'twilio:CA1',
	provider: 'twilio',
	callSid: 'CA1',
	from: '+13125550123',
	to: '+13125550199',
	businessId: 'acme',
	reason: 'no-answer',
	startedAt: at,
	durationSec: 0,
	repeat: 0,
	channel: 'sms',
};

describe('case state machine', () => {
	test('detected -> acknowledged -> assigned -> contacted -> recovered, with a stamp per stage', () => {
		let c = cases.newCase(event, at);
		c = cases.recordAck(
			c,
			{ status: 'sent', messageSid: 'SM1', body: 'hi', channel: 'sms', segments: 1 },
			'ack:1',
			'2026-11-25T18:00:05.000Z',
		);
		c = cases.applyRoute(
			c,
			{
				kind: 'assigned',
				owner: { id: 'ana', name: 'Ana' },
				dueAt: '2026-11-25T19:00:00.000Z',
				escalationLevel: 0,
				strategy: 'round-robin',
				reasons: [],
			},
			'route:1',
			'2026-11-25T18:00:06.000Z',
		);
		c = cases.recordAttempt(
			c,
			{ at: '2026-11-25T18:10:00.000Z', channel: 'call', by: 'ana', result: 'reached' },
			'attempt:1',
		);
		c = cases.recordOutcome(c, { kind: 'booked', value: 450 }, 'outcome:1', '2026-11-25T18:12:00.000Z');
		expect(c.state).toBe('recovered');
		expect(c.history.map((h) => h.to)).toEqual(['detected', 'acknowledged', 'assigned', 'contacted', 'recovered']);
		expect(c.stamps).toMatchObject({
			acknowledgedAt: '2026-11-25T18:00:05.000Z',
			assignedAt: '2026-11-25T18:00:06.000Z',
			firstContactAt: '2026-11-25T18:10:00.000Z',
			closedAt: '2026-11-25T18:12:00.000Z',
		});
	});

	test(`a stored case's times must be real ISO 8601 instants: offsets and fractions pass, impossible dates and \
other formats are refused by name`, () => {
		const c = cases.newCase(event, at);
		const withDetected = (detectedAt: string) => CaseSchema.safeParse({ ...c, stamps: { ...c.stamps, detectedAt } });
		for (const ok of [
			'2026-11-25T18:00:00Z',
			'2026-11-25T18:00:00.123Z',
			'2026-11-25T12:00:00-06:00',
			'2024-02-29T00:00:00Z',
		])
			expect({ ok, success: withDetected(ok).success }).toEqual({ ok, success: true });
		for (const bad of [
			'2026-02-30T00:00:00Z',
			'2025-02-29T00:00:00Z',
			'2026-11-25T24:00:00Z',
			'2026-11-25 18:00:00Z',
			'yesterday',
		]) {
			const r = withDetected(bad);
			expect({ bad, success: r.success }).toEqual({ bad, success: false });
			if (!r.success)
				expect(r.error.issues[0]).toMatchObject({
					path: ['stamps', 'detectedAt'],
					message: 'Expected an ISO 8601 time such as 2026-11-25T14:03:00Z',
				});
		}
	});

	test('a transition applied twice with the same key changes nothing', () => {
		const c = cases.recordAttempt(
			cases.newCase(event, at),
			{ at, channel: 'call', by: 'ana', result: 'reached' },
			'attempt:x',
		);
		const again = cases.recordAttempt(c, { at, channel: 'call', by: 'ana', result: 'reached' }, 'attempt:x');
		expect(again).toBe(c);
		expect(again.attempts).toHaveLength(1);
	});

	test('an illegal move names the state and the move', () => {
		const closed = cases.recordOutcome(cases.newCase(event, at), { kind: 'lost' }, 'o', at);
		expect(() => cases.transition(closed, 'assigned', 'k', at)).toThrow(IllegalTransitionError);
		expect(() => cases.transition(closed, 'assigned', 'k', at)).toThrow(
			/is "lost" and cannot move to "assigned"\. "lost" is final/,
		);
		const contacted = cases.transition(cases.newCase(event, at), 'contacted', 'c', at);
		expect(() => cases.transition(contacted, 'acknowledged', 'k2', at)).toThrow(
			/From "contacted" it can move to: contacted, recovered, lost/,
		);
	});

	test('a deferred acknowledgment later sent keeps an assigned case assigned', () => {
		let c = cases.newCase(event, at);
		c = cases.recordAck(
			c,
			{ status: 'deferred', sendAt: '2026-11-26T14:00:00.000Z', reason: 'quiet hours', body: 'hi' },
			'ack:0',
			at,
		);
		c = cases.applyRoute(
			c,
			{
				kind: 'assigned',
				owner: { id: 'ana', name: 'Ana' },
				dueAt: at,
				escalationLevel: 0,
				strategy: 'x',
				reasons: [],
			},
			'route',
			at,
		);
		c = cases.recordAck(
			c,
			{ status: 'sent', messageSid: 'SM1', body: 'hi', channel: 'sms', segments: 1 },
			'ack:1',
			'2026-11-26T14:00:00.000Z',
		);
		expect(c.state).toBe('assigned');
		expect(c.ack.status).toBe('sent');
	});

	test('a failed send flags the case and keeps its retry time', () => {
		const c = cases.recordAck(
			cases.newCase(event, at),
			{ status: 'failed', error: { code: 20429, message: 'Too Many Requests' }, retryAt: '2026-11-25T18:05:00.000Z' },
			'a',
			at,
		);
		expect(c.flags).toContain('ack-failed');
		expect(c.ack).toMatchObject({ status: 'failed', sendAt: '2026-11-25T18:05:00.000Z', tries: 1 });
	});

	test('repeat calls fold in once each', () => {
		const c = cases.newCase(event, at);
		const second = { ...event, eventId: 'twilio:CA2', callSid: 'CA2' };
		const folded = cases.foldCall(cases.foldCall(c, second, at), second, at);
		expect(folded.calls.map((k) => k.callSid)).toEqual(['CA1', 'CA2']);
	});

	test('a reply is contact; outcome values must be money', () => {
		const c = cases.recordReply(cases.newCase(event, at), 'Yes please call me', 'twilio:SM9', at);
		expect(c.state).toBe('contacted');
		expect(c.replies[0].body).toBe('Yes please call me');
		expect(() => cases.recordOutcome(c, { kind: 'booked', value: -5 }, 'o', at)).toThrow(
			/value is -5\. The recovered value is an amount of money/,
		);
	});

	test('the move table is closed: final states allow nothing', () => {
		expect(MOVES.recovered).toEqual([]);
		expect(MOVES.lost).toEqual([]);
	});
});

describe('the case the store opens is the one the schema describes', () => {
	// The store opens cases without parsing them (a parse cost 5-7% of a call): the builders must give every field.
	const full: MissedCall = MissedCallSchema.parse({
		...event,
		eventId: 'vapi:call-9',
		callSid: 'call-9',
		provider: 'vapi',
		reason: 'voicemail',
		durationSec: 42,
		voicemail: { url: 'https://api.twilio.com/rec/RE1', durationSec: 30, transcript: 'the basement is flooding' },
		callerName: 'Dana Ruiz',
		answeredBy: 'voice-ai',
		voiceAi: { platform: 'vapi', outcome: 'not-booked', summary: 'Flooded basement', transcript: 'hi' },
	});
	const openings = [{}, { timing: 'after-hours' as const, voicemailExpected: true }];

	test.each([
		['a plain missed call', event],
		['a call with every optional field', full],
	])('%s: newCase and a repeat call folded in read back field for field', (_, e) => {
		for (const opening of openings) {
			const opened = cases.newCase(e, at, opening);
			expect(CaseSchema.parse(opened)).toEqual(opened);
			const again = cases.foldCall(opened, { ...full, eventId: 'vapi:call-10', callSid: 'call-10' }, at, opening);
			expect(CaseSchema.parse(again)).toEqual(again);
		}
	});

	test('a field the builder leaves out is caught: the schema would fill it', () => {
		const opened: Partial<Case> = { ...cases.newCase(event, at) };
		delete opened.flags;
		expect(CaseSchema.parse(opened)).not.toEqual(opened);
	});
});
