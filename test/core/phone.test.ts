import fc from 'fast-check';
import { maskPhone, phoneInfo, toE164, tryE164 } from '../../core';

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

	test.each(['anonymous', 'client:alice', 'sip:bob@example.com', '', '12', 'not a number'])('"%s" is not a phone number', (raw) => {
		expect(tryE164(raw)).toBeUndefined();
	});

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

	test('property: any valid US national number normalizes to +1 and the same 10 digits, whatever the punctuation', () => {
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
			{ numRuns: 2000 },
		);
	});

	test('property: arbitrary text never throws and yields E.164 or nothing', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 60 }), (s) => {
				const out = tryE164(s);
				if (out !== undefined) expect(out).toMatch(/^\+[1-9]\d{6,14}$/);
			}),
			{ numRuns: 5000 },
		);
	});
});
