import fc from 'fast-check';
import { classify, parseProfile, TRADES, URGENCIES } from '../../core';
import { plumber } from '../helpers/fixtures';

describe('urgency classifier', () => {
	const p = plumber();
	const base = { texts: [] as string[], callCount: 1, timing: 'business-hours' as const, reason: 'no-answer' as const };

	test('a plain missed call in business hours is normal, and says so', () => {
		const k = classify(p, base);
		expect(k).toMatchObject({ urgency: 'normal', serviceType: 'leak', score: 30 });
		expect(k.reasons[0]).toMatch(/base 30/);
	});

	test('"water everywhere in the basement" is an emergency leak, with the words quoted in the reasons', () => {
		const k = classify(p, { ...base, texts: ['Hi, there is water everywhere in the basement, please call'] });
		expect(k.urgency).toBe('emergency');
		expect(k.serviceType).toBe('leak');
		expect(k.reasons.join('\n')).toMatch(/"water everywhere".*safety or emergency word \(\+60\)/);
	});

	test('a repeat call within minutes raises urgency from normal to high', () => {
		const k = classify(p, { ...base, callCount: 2, minutesBetweenCalls: 4, texts: ['my toilet is clogged'] });
		expect(k.urgency).toBe('high');
		expect(k.reasons.join('\n')).toMatch(/called 2 times within 4 min/);
		expect(k.serviceType).toBe('drain');
	});

	test('after-hours leans urgent for plumbing but not for dental', () => {
		expect(classify(p, { ...base, timing: 'after-hours', texts: ['leaking under the sink'] }).urgency).toBe('high');
		const dental = parseProfile({ businessId: 'd', name: 'Smile', timeZone: 'UTC', trade: 'dental' });
		const k = classify(dental, { ...base, timing: 'after-hours', texts: ['I want to book a cleaning'] });
		expect(k.urgency).toBe('low');
		expect(k.serviceType).toBe('cleaning');
	});

	test('words match whole words only: "fireplace" is not "fire"', () => {
		const k = classify(parseProfile({ businessId: 'g', name: 'G', timeZone: 'UTC' }), {
			...base,
			texts: ['quote for a fireplace insert'],
		});
		expect(k.urgency).toBe('low');
	});

	test('a hang-up within seconds is low', () => {
		expect(classify(p, { ...base, reason: 'short-abandoned' }).urgency).toBe('low');
	});

	test('the business adds its own emergency words', () => {
		const custom = plumber({ classification: { emergencyWords: ['boiler alarm'] } });
		expect(classify(custom, { ...base, texts: ['the BOILER ALARM is going off'] }).urgency).toBe('emergency');
	});

	test('property: any text, trade and signals give one urgency, a service type, and reasons that end with the score', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(...TRADES),
				fc.array(fc.string({ maxLength: 300 }), { maxLength: 3 }),
				fc.integer({ min: 1, max: 10 }),
				fc.constantFrom('business-hours', 'after-hours', 'weekend', 'holiday'),
				(trade, texts, callCount, timing) => {
					const prof = parseProfile({ businessId: 'x', name: 'X', timeZone: 'UTC', trade });
					const k = classify(prof, { texts, callCount, timing: timing as never, reason: 'no-answer' });
					expect(URGENCIES).toContain(k.urgency);
					expect(k.serviceType.length).toBeGreaterThan(0);
					expect(k.reasons[k.reasons.length - 2]).toBe(`score ${k.score}: ${k.urgency}`);
				},
			),
			{ numRuns: 2000 },
		);
	});
});
