import fc from 'fast-check';
import { classify, parseProfile, RecoveryInputError, TIMINGS, TRADES, URGENCIES, type Trade } from '../../core';
import { plumber } from '../helpers/fixtures';
import { runs } from '../helpers/runs';

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

	test(`property: any text, trade and signals give one urgency, a service type, and reasons that end with \
the score`, () => {
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
			{ numRuns: runs(2000) },
		);
	});
});

describe('urgency classifier: what callers say', () => {
	const base = { texts: [] as string[], callCount: 1, timing: 'business-hours' as const, reason: 'voicemail' as const };
	const biz = (trade: Trade, country = 'US') =>
		parseProfile({ businessId: `t-${trade}`, name: 'T', timeZone: 'America/Chicago', trade, country });
	const say = (trade: Trade, text: string, country?: string) =>
		classify(biz(trade, country), { ...base, texts: [text] });

	test('a negated danger word is heard and not counted: "no smoke, the outlet is just dead" is not an emergency', () => {
		const k = say('electrical', 'No smoke, no burning smell, the outlet in the garage is just dead.');
		expect(k.urgency).toBe('normal');
		expect(k.reasons.join('\n')).toMatch(/"no smoke".*negated, not counted/);
	});

	test('"nothing urgent, just a quote" is low, not urgent', () => {
		expect(say('general', 'Nothing urgent, just a quote for painting the fence.').urgency).toBe('low');
	});

	test('"not sure who to call, a pipe burst": a negation reaches only its own clause', () => {
		expect(say('plumbing', 'Not sure who to call, a pipe burst and water is everywhere').urgency).toBe('emergency');
	});

	test('inflections match their word: "leaked" and "leaks" count as a leak', () => {
		const k = say('plumbing', 'The pipe under the sink leaked overnight and now it leaks again');
		expect(k.urgency).toBe('high');
		expect(k.serviceType).toBe('leak');
		expect(k.reasons.join('\n')).toMatch(/"leaked"/);
	});

	test('phrases with small gaps: "a branch came through the roof", water "through the light fixture"', () => {
		expect(say('roofing', 'A big branch came through the roof in the storm').urgency).toBe('emergency');
		expect(say('plumbing', 'Water is dripping through the light fixture in the hall').urgency).toBe('emergency');
	});

	test('numbers with units: 50 degrees inside is an emergency, 68 is not; inches of water are flooding', () => {
		const cold = say('hvac', "The furnace is making noise and it's 50 degrees in the house");
		expect(cold.urgency).toBe('emergency');
		expect(cold.reasons.join('\n')).toMatch(/"50 degrees in".*60 °F or colder/);
		expect(say('hvac', "The furnace is making noise, it's 68 in the house").urgency).not.toBe('emergency');
		expect(say('plumbing', 'There are two inches of water in the laundry room').urgency).toBe('emergency');
	});

	test('no heat in freezing weather is an emergency; a vulnerable person raises a heat loss to one', () => {
		expect(say('hvac', 'The furnace stopped working.').urgency).toBe('high');
		expect(say('hvac', 'The furnace stopped working and it will be below freezing tonight.').urgency).toBe('emergency');
		const baby = say('hvac', 'The furnace stopped working, we have a newborn at home.');
		expect(baby.urgency).toBe('emergency');
		expect(baby.signals?.map((s) => s.kind)).toContain('vulnerable');
	});

	test('Spanish: detected per message, shown in the reasons, with its own words and negations', () => {
		const k = say('plumbing', 'Se reventó un tubo en la cocina y hay agua por todas partes');
		expect(k).toMatchObject({ urgency: 'emergency', language: 'es', serviceType: 'leak' });
		expect(k.reasons.join('\n')).toMatch(/language: Spanish/);
		expect(say('electrical', 'No hay chispas ni humo, solo que el enchufe no funciona').urgency).not.toBe('emergency');
		expect(say('dental', 'Tengo un dolor de muela terrible, no puedo dormir').urgency).toBe('high');
	});

	test('French for Canada: its words, and degrees read as Celsius', () => {
		expect(say('hvac', 'Pas de chauffage depuis hier et il va geler cette nuit', 'CA')).toMatchObject({
			urgency: 'emergency',
			language: 'fr',
			serviceType: 'heating',
		});
		expect(say('hvac', 'La fournaise fait du bruit, il fait 12 degrés dans la maison', 'CA').urgency).toBe('emergency');
		expect(say('electrical', 'Il y a des étincelles qui sortent de la prise', 'CA').urgency).toBe('emergency');
	});

	test('HVAC splits heating and cooling', () => {
		expect(say('hvac', 'The AC is blowing warm air').serviceType).toBe('cooling');
		expect(say('hvac', "The furnace won't turn on").serviceType).toBe('heating');
		expect(say('hvac', 'Please book the annual tune-up').serviceType).toBe('maintenance');
	});

	test('an ordinary word adds nothing on its own: "basement" is not urgent', () => {
		expect(say('plumbing', 'Can you look at the faucet in the basement bathroom?').urgency).toBe('normal');
	});

	test('a gas smell stays an emergency even on a call cut short', () => {
		const k = classify(biz('general'), { ...base, reason: 'short-abandoned', texts: ['I smell gas in the kitchen'] });
		expect(k.urgency).toBe('emergency');
	});

	test('missing timing (plain JavaScript) is computed from the call time, with no "undefined" reason', () => {
		const input = { texts: ['my toilet is clogged'], callCount: 1, reason: 'no-answer', at: '2026-03-04T15:00:00Z' };
		const k = classify(biz('plumbing'), input as never);
		expect(k.timing).toBe('business-hours');
		expect(k.score).toBe(55);
		expect(k.reasons.join('\n')).not.toMatch(/undefined/);
		const now = classify(biz('plumbing'), { texts: [], callCount: 1, reason: 'no-answer' } as never);
		expect(TIMINGS).toContain(now.timing);
		expect(now.reasons.join('\n')).not.toMatch(/undefined/);
	});

	test('a bad timing is an input error naming the field and the fix', () => {
		expect(() => classify(biz('plumbing'), { ...base, timing: 'lunch' } as never)).toThrow(RecoveryInputError);
		expect(() => classify(biz('plumbing'), { ...base, timing: 'lunch' } as never)).toThrow(
			/timing is "lunch".*business-hours/,
		);
	});
});
