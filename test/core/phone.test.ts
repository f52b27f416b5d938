import fc from 'fast-check';
import { maskPhone, phoneInfo, toE164, tryE164 } from '../../core';
import { runs } from '../helpers/runs';

describe('phone numbers', () => {
	test.each([
		['+1 (312) 555-0100', '+13125550100'],
		['(312) 555-0100', '+13125550100'],
		['312.555.0100', '+13125550100'],
		['13125550100', '+13125550100'],
		['whatsapp:+447700900123', '+447700900123'],
		['+44 7700 900123', '+447700900123'],
	])('%s becomes %s', (raw, e164) => {
		expect(tryE164(raw)).toBe(e164);
	});

	test.each(['anonymous', 'client:alice', 'sip:bob@example.com', '', '12', 'not a number'])(
		'"%s" is not a phone number',
		(raw) => {
			expect(tryE164(raw)).toBeUndefined();
		},
	);

	test('toE164 names the field and the fix', () => {
		expect(() => toE164('abc', 'From')).toThrow(/From is "abc"\. Expected a phone number in E\.164 form/);
	});

	test('US numbers know their state and zone; Florida and Oklahoma are found for state rules', () => {
		expect(phoneInfo('+13055550100')).toMatchObject({ country: 'US', region: 'FL', zone: 'America/New_York' });
		expect(phoneInfo('+19185550100')).toMatchObject({ region: 'OK', zone: 'America/Chicago' });
		expect(phoneInfo('+18505550100')).toMatchObject({ region: 'FL', zone: 'America/Chicago' });
		expect(phoneInfo('+14155550100')).toMatchObject({ region: 'CA', zone: 'America/Los_Angeles' });
		expect(phoneInfo('+447700900123')).toMatchObject({ country: 'GB', zone: 'Europe/London' });
	});

	test('masking keeps only the ends', () => {
		expect(maskPhone('+13125550100')).toBe('+1312***0100');
	});

	test(`property: any valid US national number normalizes to +1 and the same 10 digits, whatever the \
punctuation`, () => {
		const area = fc.integer({ min: 201, max: 989 }).filter((n) => n % 100 !== 11 && Math.floor(n / 10) % 10 !== 9);
		const exchange = fc.integer({ min: 200, max: 999 }).filter((n) => n % 100 !== 11);
		const line = fc.integer({ min: 0, max: 9999 });
		const sep = fc.constantFrom('', ' ', '-', '.');
		fc.assert(
			fc.property(area, exchange, line, sep, fc.boolean(), (a, e, l, s, paren) => {
				const digits = `${a}${e}${String(l).padStart(4, '0')}`;
				const raw = `${paren ? `(${a})` : a}${s}${e}${s}${String(l).padStart(4, '0')}`;
				const out = tryE164(raw);
				if (out !== undefined) expect(out).toBe(`+1${digits}`);
			}),
			{ numRuns: runs(2000) },
		);
	});

	test('property: arbitrary text never throws and yields E.164 or nothing', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 60 }), (s) => {
				const out = tryE164(s);
				if (out !== undefined) expect(out).toMatch(/^\+[1-9]\d{6,14}$/);
			}),
			{ numRuns: runs(5000) },
		);
	});
});

describe('remembered parses', () => {
	// Fresh copies of the module, so neither sees the other's remembered answers.
	function fresh(): typeof import('../../core/phone') {
		let mod: typeof import('../../core/phone') | undefined;
		jest.isolateModules(() => {
			mod = jest.requireActual<typeof import('../../core/phone')>('../../core/phone');
		});
		return mod!;
	}
	const numbers = [
		'+14155550100',
		'+16045550100',
		'+17875550100',
		'+442071838750',
		'+61291234567',
		'+18005550100',
		'+12425550100',
		'14155550100',
		'4155550100',
		'whatsapp:+5215512345678',
		'+999123',
		'6045550100',
		'7875550100',
	];

	test('a number normalized first gets the same country, state and zone as one looked up cold', () => {
		const cold = fresh();
		const warm = fresh();
		for (const n of numbers) {
			const e164 = warm.tryE164(n, 'US');
			expect(e164).toBe(cold.tryE164(n, 'US'));
			if (e164) expect(warm.phoneInfo(e164)).toEqual(fresh().phoneInfo(e164));
		}
	});

	test('a remembered answer depends on the default country', () => {
		const m = fresh();
		expect(m.tryE164('020 7183 8750', 'GB')).toBe('+442071838750');
		expect(m.tryE164('020 7183 8750', 'US')).toBeUndefined();
		expect(m.tryE164('020 7183 8750', 'GB')).toBe('+442071838750');
	});
});
