import { classify, parseProfile, type Classification, type Trade } from '../../core';
import { compileSet, expandHyphens, findMatches } from '../../core/classify/match';
import { MACROS } from '../../core/classify/presets';
import { detectLanguage, tokenize } from '../../core/classify/text';

/** One voicemail to a business of the trade, in business hours. */
function heard(trade: Trade, text: string, country: 'US' | 'CA' = 'US'): Classification {
	const profile = parseProfile({ businessId: `t-${trade}`, name: 'Test', timeZone: 'UTC', trade, country });
	return classify(profile, { texts: [text], callCount: 1, timing: 'business-hours', reason: 'voicemail' });
}
const reasons = (k: Classification) => k.reasons.join('\n');

describe('patterns: hyphens and French elisions', () => {
	test('a hyphenated entry is a two-word phrase, next to its other spellings', () => {
		expect(expandHyphens('re-piping|repipe house')).toEqual(['repipe house', 're piping house']);
		expect(expandHyphens('!tune-up')).toEqual(['!tune up']);
		const set = compileSet(['check-up|checkup'], 'en', MACROS.en);
		expect(findMatches(set, tokenize('time for the yearly check-up', 'en'))).toHaveLength(1);
		expect(findMatches(set, tokenize('time for the yearly checkup', 'en'))).toHaveLength(1);
		expect(findMatches(set, tokenize('check the unit', 'en'))).toHaveLength(0);
	});

	test('a hyphenated word in the message reaches its preset entry (re-piping is an installation)', () => {
		expect(heard('plumbing', 'We would like the old galvanized lines re-piped this spring.').serviceType).toBe(
			'installation',
		);
	});

	test('a French entry with an elision matches the words the tokenizer makes', () => {
		const set = compileSet(["plus d'eau chaude"], 'fr', MACROS.fr);
		expect(findMatches(set, tokenize("On n'a plus d'eau chaude", 'fr'))).toHaveLength(1);
		const k = heard('general', "Pouvez-vous passer aujourd'hui pour la porte?", 'CA');
		expect(k.urgency).toBe('high');
	});
});

describe('language', () => {
	test('a short English message with a French-looking "on" is still English', () => {
		expect(detectLanguage('I cracked a molar on a popcorn kernel.')).toBe('en');
		expect(detectLanguage("On n'a plus de chauffage.")).toBe('fr');
	});
});

describe('minor problems: the size word drops only the urgent word it qualifies', () => {
	test('a tiny leak under a sink is routine for a plumber, and the reason says why', () => {
		const k = heard('plumbing', 'There is a tiny leak under the bathroom sink.');
		expect(k.urgency).toBe('normal');
		expect(reasons(k)).toMatch(/"tiny leak": a minor problem/);
		expect(k.signals?.find((s) => s.kind === 'minor')?.said).toEqual(['tiny leak']);
	});

	test('another urgent word in the same message still counts', () => {
		expect(heard('plumbing', 'A small drip under the sink, and our only toilet is clogged.').urgency).toBe('high');
	});

	test('a roof leak stays urgent however small the caller says it is', () => {
		expect(heard('roofing', 'A small leak showed up in the bedroom ceiling after the rain.').urgency).toBe('high');
	});

	test('a hairline crack in a tooth is not a same-day visit; a cracked molar is', () => {
		expect(heard('dental', 'Hairline crack in a molar, nothing else.').urgency).toBe('normal');
		expect(heard('dental', 'I cracked a molar on a popcorn kernel.').urgency).toBe('high');
	});

	test('Spanish and French put the size after the noun, or before it', () => {
		expect(heard('plumbing', 'Tenemos una fuga pequeña debajo del fregadero.').urgency).toBe('normal');
		expect(heard('plumbing', 'Tenemos una fuga debajo del fregadero.').urgency).toBe('high');
		expect(heard('plumbing', "Une petite fuite sous l'évier de la cuisine.", 'CA').urgency).toBe('normal');
		expect(heard('dental', 'Tengo una grieta pequeña en un diente.').urgency).toBe('normal');
	});

	test('safety words are never sized down', () => {
		expect(heard('plumbing', 'Small leak, but there is a gas smell near the water heater.').urgency).toBe('emergency');
	});
});

describe('calm words per trade', () => {
	test('dental: a lost crown with no pain can wait; with pain it cannot', () => {
		expect(heard('dental', 'My crown came off but there is no pain at all.').urgency).toBe('normal');
		expect(heard('dental', 'My crown came off and it is killing me.').urgency).toBe('high');
		expect(heard('dental', 'Se me cayó la corona, no duele nada.').urgency).toBe('normal');
	});

	test('locksmith: a key snapped in the lock is a rekey job, normal while they can still get in', () => {
		const k = heard('locksmith', 'The key snapped off in the front door lock but we can still get in the garage.');
		expect(k).toMatchObject({ urgency: 'normal', serviceType: 'rekey' });
		const es = heard('locksmith', 'La llave quedó rota dentro de la cerradura, pero podemos entrar por atrás.');
		expect(es).toMatchObject({ urgency: 'normal', serviceType: 'rekey' });
	});

	test('locksmith: a broken cabinet lock is not a broken front door', () => {
		expect(heard('locksmith', 'The cabinet lock is broken in my office.').urgency).toBe('normal');
		expect(heard('locksmith', 'The lock is broken on our front door.').urgency).toBe('high');
	});

	test('roofing: hail damage from last summer is normal, from last night it is high', () => {
		expect(heard('roofing', 'Hail damage from last summer, want it fixed before winter.').urgency).toBe('normal');
		expect(heard('roofing', 'Hail damage from last night, shingles all over the yard.').urgency).toBe('high');
	});
});

describe('requests for work are not shopping', () => {
	test('confirming an existing appointment is answered, not parked as low', () => {
		const k = heard('dental', "I need to confirm my daughter's appointment for her cleaning.");
		expect(k.urgency).toBe('normal');
		expect(reasons(k)).toMatch(/a booking to answer, not shopping/);
		expect(heard('dental', 'Quiero confirmar mi cita de limpieza para el martes.').urgency).toBe('normal');
		expect(heard('dental', "I'd like to book a cleaning sometime.").urgency).toBe('low');
		expect(heard('dental', 'Can I make an appointment for a cleaning?').urgency).toBe('low');
	});

	test('information about a case the caller needs is normal; a price check stays low', () => {
		expect(heard('legal', 'I would like information about getting divorced.').urgency).toBe('normal');
		expect(heard('legal', 'Necesito información sobre un divorcio.').urgency).toBe('normal');
		expect(heard('legal', 'How much do you charge for a divorce?').urgency).toBe('low');
	});

	test('a key copy is a job; a quote is shopping', () => {
		expect(heard('locksmith', 'I need two copies of my office key.').urgency).toBe('normal');
		expect(heard('locksmith', 'Can I get a quote for new locks on the whole house?').urgency).toBe('low');
	});
});

describe('burnt and melting smells', () => {
	test('a burnt odor at the breaker box is an electrical emergency, in English and French', () => {
		expect(heard('electrical', "There's a burnt odor coming from the breaker box.").urgency).toBe('emergency');
		expect(heard('electrical', 'The outlet smells like melting plastic.').urgency).toBe('emergency');
		expect(heard('electrical', 'Le panneau sent le brûlé.', 'CA').urgency).toBe('emergency');
		expect(heard('electrical', 'There is a fishy smell by the breaker panel.').urgency).toBe('emergency');
	});

	test('"no burnt smell" is heard and not counted', () => {
		const k = heard('electrical', 'No burnt smell or anything, the kitchen outlet just stopped.');
		expect(k.urgency).toBe('normal');
		expect(reasons(k)).toMatch(/"no burnt smell": negated, not counted/);
	});

	test('pipes that froze (an irregular past) are an emergency', () => {
		expect(heard('plumbing', 'Our pipes froze overnight and nothing comes out.').urgency).toBe('emergency');
	});
});

describe('service types', () => {
	test('no hot water is the water heater, in each language', () => {
		expect(heard('plumbing', 'No hot water since this morning, the pipes look dry.').serviceType).toBe('water-heater');
		expect(heard('plumbing', 'No tenemos agua caliente desde ayer.').serviceType).toBe('water-heater');
		const fr = heard('plumbing', "Il n'y a plus d'eau chaude chez nous depuis hier.", 'CA');
		expect(fr).toMatchObject({ urgency: 'high', serviceType: 'water-heater' });
		expect(reasons(fr)).not.toMatch(/negated/);
	});

	test('replacing the equipment is an installation; a bad part of it is a repair', () => {
		expect(heard('hvac', 'Thinking about replacing our furnace, it is 25 years old.').serviceType).toBe('installation');
		expect(heard('hvac', 'We want a price on a new heat pump.').serviceType).toBe('installation');
		expect(heard('hvac', 'The furnace clicks but will not light.').serviceType).toBe('heating');
	});

	test('a tune-up for named equipment is maintenance', () => {
		expect(heard('hvac', 'Can we book a tune-up for the heat pump?').serviceType).toBe('maintenance');
	});
});
