import fc from 'fast-check';
import { DateTime } from 'luxon';
import { addBusinessMinutes, describeOpening, isOnCall, nextOpening, parseProfile, timingOf } from '../../core';
import { chicago, plumber } from '../helpers/fixtures';
import { runs } from '../helpers/runs';

describe('business profile', () => {
	test('a minimal profile gets sensible defaults: weekday 8-5 hours, templates, round-robin', () => {
		const p = parseProfile({ businessId: 'b1', name: 'Bob HVAC', timeZone: 'America/Denver' });
		expect(p.hours.mon).toEqual([{ open: '08:00', close: '17:00' }]);
		expect(p.hours.sat).toEqual([]);
		expect(p.messages.businessHours).toContain('{{business.name}}');
		expect(p.routing.strategy).toBe('round-robin');
		expect(p.acknowledgment.allowedCountries).toEqual(['US', 'CA']);
	});

	test('errors name the field, the value and the fix', () => {
		expect(() => parseProfile({ businessId: 'b1', name: 'X', timeZone: 'Mars/Olympus' })).toThrow(
			/Business profile: timeZone is "Mars\/Olympus"\. Expected an IANA time zone/,
		);
		expect(() =>
			parseProfile({ businessId: 'b1', name: 'X', timeZone: 'UTC', hours: { mon: [{ open: '9am', close: '17:00' }] } }),
		).toThrow(/hours\.mon\.0\.open is "9am"\. Expected a time of day as HH:MM/);
		expect(() =>
			parseProfile({
				businessId: 'b1',
				name: 'X',
				timeZone: 'UTC',
				roster: [{ id: 'a', name: 'A', phone: '555-1234' }],
			}),
		).toThrow(/roster\.0\.phone is "555-1234"\. Expected an E\.164 phone number/);
		expect(() =>
			parseProfile({ businessId: 'b1', name: 'X', timeZone: 'UTC', routing: { fallback: ['ghost'] } }),
		).toThrow(/routing\.fallback\.0 is "ghost"\. No roster member has this id/);
		expect(() =>
			parseProfile({ businessId: 'b1', name: 'X', timeZone: 'UTC', messages: { afterHours: 'Hi {{#open}} unclosed' } }),
		).toThrow(/messages\.afterHours .*Template does not parse/);
		expect(() => parseProfile({ businessId: 'b1', name: 'X', timeZone: 'UTC', trade: 'bakery' })).toThrow(
			/trade is "bakery"\. Use one of: hvac, plumbing/,
		);
	});
});

describe('timing', () => {
	const p = plumber();
	test.each([
		['2026-11-25T10:00', 'business-hours'], // Wednesday
		['2026-11-25T07:59', 'after-hours'],
		['2026-11-25T17:00', 'after-hours'],
		['2026-11-28T11:00', 'weekend'], // Saturday
		['2026-12-25T10:00', 'holiday'],
	])('a call at %s Chicago time is %s', (local, timing) => {
		expect(timingOf(p, chicago(local))).toBe(timing);
	});

	test('next opening skips the weekend and holidays, and reads naturally', () => {
		const fridayNight = chicago('2026-12-18T19:00');
		const open = nextOpening(p, fridayNight)!;
		expect(open.toISO()).toBe('2026-12-21T08:00:00.000-06:00');
		expect(describeOpening(p, open, fridayNight)).toBe('Monday at 8:00 AM');
		const christmasEve = chicago('2026-12-24T18:00');
		expect(nextOpening(p, christmasEve)!.toISODate()).toBe('2026-12-28');
		expect(describeOpening(p, nextOpening(p, chicago('2026-11-25T06:00')), chicago('2026-11-25T06:00'))).toBe(
			'today at 8:00 AM',
		);
	});

	test('on-call shifts cross midnight', () => {
		const ana = p.roster[0].onCall;
		expect(isOnCall(p, ana, chicago('2026-11-25T23:00'))).toBe(true); // Wednesday night
		expect(isOnCall(p, ana, chicago('2026-11-26T03:00'))).toBe(true); // early Thursday, Wednesday's shift
		expect(isOnCall(p, ana, chicago('2026-11-28T03:00'))).toBe(true); // early Saturday, Friday's shift
		expect(isOnCall(p, ana, chicago('2026-11-29T03:00'))).toBe(false); // early Sunday: no Saturday shift
		expect(isOnCall(p, ana, chicago('2026-11-25T12:00'))).toBe(false);
	});

	test('business minutes stop at closing and resume at the next opening', () => {
		const start = DateTime.fromISO(chicago('2026-11-25T16:30'));
		// 30 min Wednesday, 30 min Thursday
		expect(addBusinessMinutes(p, start, 60).setZone('America/Chicago').toISO()).toBe('2026-11-26T08:30:00.000-06:00');
	});

	test(`property: across DST changes the next opening is always 08:00 local on an open day, never inside \
closed time`, () => {
		const p2 = parseProfile({ businessId: 'dst', name: 'DST Co', timeZone: 'America/New_York' });
		// Spans both 2026 transitions (March 8 and November 1).
		const instants = fc.integer({ min: Date.parse('2026-02-20T00:00:00Z'), max: Date.parse('2026-11-20T00:00:00Z') });
		fc.assert(
			fc.property(instants, (ms) => {
				const when = new Date(ms).toISOString();
				const open = nextOpening(p2, when)!;
				const local = open.setZone('America/New_York');
				expect(open.toMillis()).toBeGreaterThanOrEqual(ms - 60000);
				if (open.toMillis() > ms + 60000) {
					expect(local.toFormat('HH:mm')).toBe('08:00');
					expect(local.weekday).toBeLessThanOrEqual(5);
					expect(timingOf(p2, open)).toBe('business-hours');
					// Everything strictly between now and the opening is closed.
					expect(timingOf(p2, open.minus({ minutes: 1 }))).not.toBe('business-hours');
				}
			}),
			{ numRuns: runs(3000) },
		);
	});
});
