import fc from 'fast-check';
import { isoNow, isoOfMs, msOfIso, storedIso } from '../../core/instant';

/** What the engine answers, or the error's class when it throws. */
function engine<T>(f: () => T): T | string {
	try {
		return f();
	} catch (e) {
		return (e as Error).constructor.name;
	}
}

const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

describe('instants in the stored form: the same answers as the engine', () => {
	test('isoOfMs writes what toISOString writes, on any time, in range or not', () => {
		fc.assert(
			fc.property(
				fc.oneof(
					fc.integer({ min: 0, max: MAX_MS }),
					fc.integer({ min: -MAX_MS, max: 2 * MAX_MS }),
					fc.double({ noNaN: false }),
					fc.constantFrom(0, -0, MAX_MS, MAX_MS + 1, -1, NaN, Infinity, 1.5),
				),
				(ms) => expect(engine(() => isoOfMs(ms))).toBe(engine(() => new Date(ms).toISOString())),
			),
			{ numRuns: 20000 },
		);
	});

	test('isoOfMs around the days that trip calendars: leap days, century years, the turn of each month', () => {
		for (const year of [1970, 1999, 2000, 2024, 2025, 2026, 2100, 2400, 9999])
			for (let month = 0; month < 12; month++)
				for (const day of [1, 28, 29, 30, 31])
					for (const ms of [0, 1, 999, 59999, 86399999]) {
						const t = Date.UTC(year, month, day) + ms;
						if (t <= MAX_MS) expect(isoOfMs(t)).toBe(new Date(t).toISOString());
					}
	});

	test('msOfIso reads what Date.parse reads: stored stamps, other forms, and near misses', () => {
		const stored = fc.integer({ min: 0, max: MAX_MS }).map((ms) => new Date(ms).toISOString());
		// Stored-looking text with any digits: month 13, day 30 of February, hour 24, year 0999 and so on.
		const lookalike = fc
			.tuple(
				fc.integer({ min: 0, max: 9999 }),
				fc.integer({ min: 0, max: 19 }),
				fc.integer({ min: 0, max: 39 }),
				fc.integer({ min: 0, max: 29 }),
				fc.integer({ min: 0, max: 69 }),
				fc.integer({ min: 0, max: 69 }),
				fc.integer({ min: 0, max: 999 }),
			)
			.map(
				([y, mo, d, h, mi, s, ms]) =>
					`${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T` +
					`${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}.` +
					`${String(ms).padStart(3, '0')}Z`,
			);
		const other = fc.constantFrom(
			'2026-11-25T15:00:00Z',
			'2026-11-25T15:00:00.000+01:00',
			'2026-11-25',
			'2026-11-25T15:00:00.0000Z',
			'2026-11-25 15:00:00.000Z',
			'2026-11-25T15:00:00.00aZ',
			'2026-02-29T00:00:00.000Z',
			'2024-02-29T00:00:00.000Z',
			'2100-02-29T00:00:00.000Z',
			'+002026-11-25T15:00:00.000Z',
			'',
			'not a date',
		);
		fc.assert(
			fc.property(fc.oneof(stored, lookalike, other, fc.string()), (s) => {
				expect(msOfIso(s)).toEqual(Date.parse(s));
				expect(engine(() => storedIso(s))).toBe(engine(() => new Date(s).toISOString()));
			}),
			{ numRuns: 20000 },
		);
	});

	test('storedIso takes a Date as the engine does', () => {
		expect(storedIso(new Date(Date.UTC(2026, 1, 3, 4, 5, 6, 7)))).toBe('2026-02-03T04:05:06.007Z');
		expect(engine(() => storedIso(new Date(NaN)))).toBe('RangeError');
	});

	test('isoNow gives the reading it is handed, else the system clock', () => {
		expect(isoNow(new Date(Date.UTC(2026, 11, 2, 9, 30)))).toBe('2026-12-02T09:30:00.000Z');
		expect(() => isoNow(new Date(NaN))).toThrow(RangeError);
		const before = Date.now();
		const now = Date.parse(isoNow());
		expect(now).toBeGreaterThanOrEqual(before);
		expect(now).toBeLessThanOrEqual(Date.now());
	});
});
