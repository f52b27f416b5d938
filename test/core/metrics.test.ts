import { cases, computeMetrics, scorecard, type Case, type MissedCall } from '../../core';

const t0 = Date.parse('2026-11-25T15:00:00.000Z');
const iso = (sec: number) => new Date(t0 + sec * 1000).toISOString();

function make(
	i: number,
	opts: {
		ack?: boolean;
		owner?: boolean;
		contactAfter?: number;
		outcome?: 'booked' | 'lost';
		urgency?: 'emergency' | 'normal';
		detectLag?: number;
	},
): Case {
	const ev: MissedCall = {
		type: 'missed-call',
		eventId: `twilio:CA${i}`,
		provider: 'twilio',
		callSid: `CA${i}`,
		from: `+1312555${String(1000 + i)}`,
		to: '+13125550199',
		businessId: 'acme',
		reason: 'no-answer',
		startedAt: iso(0),
		durationSec: 0,
		repeat: 0,
		channel: 'sms',
	};
	let c = cases.newCase(ev, iso(opts.detectLag ?? 5));
	if (opts.ack)
		c = cases.recordAck(
			c,
			{ status: 'sent', messageSid: `SM${i}`, body: 'x', channel: 'sms', segments: 1 },
			'a',
			iso(10),
		);
	c = cases.applyClassification(
		c,
		{ urgency: opts.urgency ?? 'normal', serviceType: 'leak', timing: 'business-hours', score: 30, reasons: [] },
		'k',
		iso(11),
	);
	if (opts.owner)
		c = cases.applyRoute(
			c,
			{
				kind: 'assigned',
				owner: { id: 'ana', name: 'Ana' },
				dueAt: iso(opts.urgency === 'emergency' ? 900 : 14400),
				escalationLevel: 0,
				strategy: 'rr',
				reasons: [],
			},
			'r',
			iso(12),
		);
	if (opts.contactAfter !== undefined)
		c = cases.recordAttempt(c, { at: iso(opts.contactAfter), channel: 'call', by: 'ana', result: 'reached' }, 'c');
	if (opts.outcome)
		c = cases.recordOutcome(
			c,
			{ kind: opts.outcome, value: opts.outcome === 'booked' ? 300 : undefined },
			'o',
			iso(4000),
		);
	return c;
}

describe('metrics and scorecard', () => {
	test('a business that texts, owns and closes every call scores 5', () => {
		const all = Array.from({ length: 20 }, (_, i) =>
			make(i, {
				ack: true,
				owner: true,
				contactAfter: 600,
				outcome: i % 4 === 0 ? 'lost' : 'booked',
				urgency: i % 5 === 0 ? 'emergency' : 'normal',
			}),
		);
		const m = computeMetrics(all, { now: iso(5000) });
		expect(m.funnel).toEqual({ missed: 20, acknowledged: 20, owned: 20, contacted: 20, recovered: 15, lost: 5 });
		expect(m.timeToAcknowledge).toEqual({ p50: 5, p90: 5, count: 20 });
		expect(m.recoveredValue).toBe(4500);
		expect(m.recoveryRate).toBe(0.75);
		expect(m.perOwner.ana).toMatchObject({ cases: 20, recovered: 15 });
		const s = scorecard(all, m);
		expect(s.score).toBe(5);
		expect(s.band).toBe('missed calls rarely become silent demand leaks');
		expect(s.checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
	});

	test('a business with no texts, no owners and no follow-up scores 1, and each check says why', () => {
		const all = Array.from({ length: 10 }, (_, i) => make(i, { detectLag: 3600 }));
		const m = computeMetrics(all, { now: iso(90000) });
		expect(m.unowned).toBe(10);
		const s = scorecard(all, m);
		expect(s.score).toBe(1);
		expect(s.checks.find((c) => c.name === 'Ownership')!.why).toMatch(
			/0% of cases had an owner; 10 open case\(s\) without one/,
		);
		expect(s.checks.find((c) => c.name === 'Detection')!.status).toBe('fail');
	});

	test('middling recovery lands in the middle band', () => {
		const all = Array.from({ length: 10 }, (_, i) =>
			make(i, { ack: true, owner: i < 8, contactAfter: i < 3 ? 600 : undefined }),
		);
		const s = scorecard(all, computeMetrics(all, { now: iso(20000) }));
		expect(s.score).toBe(3);
		expect(s.band).toBe('some recovery exists, but it is inconsistent');
	});

	test('emergencies reached after their deadline fail the urgency check', () => {
		const all = Array.from({ length: 5 }, (_, i) =>
			make(i, { ack: true, owner: true, urgency: 'emergency', contactAfter: 3000, outcome: 'booked' }),
		);
		const s = scorecard(all, computeMetrics(all, { now: iso(5000) }));
		expect(s.checks.find((c) => c.name === 'Urgency')).toMatchObject({ status: 'partial' });
		expect(s.checks.find((c) => c.name === 'Urgency')!.why).toMatch(
			/0% of 5 emergency\/high cases reached within their deadline/,
		);
	});

	test('no missed calls: nothing to score', () => {
		expect(scorecard([], computeMetrics([], { now: iso(0) }))).toMatchObject({ score: null, cases: 0 });
	});
});
