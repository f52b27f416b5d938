import { DateTime, IANAZone } from 'luxon';
import { instant, plusMinutes, utcIso, zoneOf } from '../../core/profile/zone';

describe('zoneOf: the per-minute offset memo gives luxon the same answers', () => {
	const STEP = 37 * 60e3;
	const names = [
		'America/Chicago',
		'America/New_York',
		'America/St_Johns',
		'Australia/Lord_Howe',
		'Asia/Kathmandu',
		'Europe/London',
		'Pacific/Chatham',
	];

	test.each(names)('%s: every 37 minutes across 2026, and every 10 seconds around its transitions', (name) => {
		const memo = zoneOf(name) as IANAZone;
		const plain = new IANAZone(name);
		const start = Date.UTC(2026, 0, 1);
		let mismatches = 0;
		let transitions = 0;
		let prev = plain.offset(start);
		for (let ts = start; ts < Date.UTC(2027, 0, 1); ts += STEP) {
			const o = plain.offset(ts);
			if (memo.offset(ts) !== o) mismatches++;
			if (o !== prev) {
				transitions++;
				// The change happened within the last step: every 10 s of it, and a minute after.
				for (let t = ts - STEP; t < ts + 60e3; t += 10e3) if (memo.offset(t) !== plain.offset(t)) mismatches++;
			}
			prev = o;
		}
		expect(mismatches).toBe(0);
		if (name !== 'Asia/Kathmandu') expect(transitions).toBe(2);
	});

	test('local times built with it are the same instants, DST gap and overlap included', () => {
		for (const [y, m, d, h, min] of [
			[2026, 3, 8, 2, 30],
			[2026, 11, 1, 1, 30],
			[2026, 7, 4, 12, 0],
			[1999, 12, 31, 23, 59],
		]) {
			const a = DateTime.fromObject(
				{ year: y, month: m, day: d, hour: h, minute: min },
				{ zone: zoneOf('America/Chicago') },
			);
			const b = DateTime.fromObject({ year: y, month: m, day: d, hour: h, minute: min }, { zone: 'America/Chicago' });
			expect(a.toISO()).toBe(b.toISO());
		}
	});

	test('an unknown zone name stays invalid, as luxon reports it', () => {
		expect(zoneOf('Mars/Olympus')).toBe('Mars/Olympus');
		expect(DateTime.now().setZone(zoneOf('Mars/Olympus')).isValid).toBe(false);
	});
});

describe('instant and utcIso: the fast reading and writing of stored instants match luxon', () => {
	const stamps = [
		'2026-11-26T09:58:49.123Z',
		'2026-03-08T08:30:00.000Z',
		'2026-11-01T06:30:00Z',
		'2026-07-04T12:00:00.5+05:45',
		'2026-01-31T23:59:59.999-06:00',
		'1999-12-31T23:59:59.000Z',
		'2026-11-26T09:58:49.123456Z',
		// Not full timestamps: luxon's own parser reads them, exactly as before.
		'2026-11-26',
		'2026-11-26T10:00',
		'2026-11-26T10:00:00',
		'2026-W48-4',
		'not a date',
		'2026-02-30T10:00:00Z',
		'2026-02-29T10:00:00Z',
		'2028-02-29T10:00:00Z',
		'2026-04-31T00:00:00Z',
		'2026-12-31T10:00:00Z',
		'2026-01-01T24:00:00Z',
		'2026-01-01T23:60:00Z',
		'2026-01-01T23:59:60Z',
		'2026-13-01T00:00:00Z',
		'2026-01-01T10:00:00+24:00',
		'',
	];

	test.each(stamps)('%p: the same instant and zone as luxon gives', (s) => {
		for (const zone of [undefined, zoneOf('America/Chicago'), zoneOf('Asia/Kathmandu')]) {
			const ours = zone === undefined ? instant(s) : instant(s, zone);
			const theirs = DateTime.fromISO(s).setZone(zone ?? 'utc');
			expect(ours.isValid).toBe(theirs.isValid);
			if (!theirs.isValid) continue;
			expect(ours.toMillis()).toBe(theirs.toMillis());
			expect(ours.zoneName).toBe(theirs.zoneName);
			expect(ours.toISO()).toBe(theirs.toISO());
			expect(utcIso(ours)).toBe(theirs.toUTC().toISO());
		}
	});

	test('utcIso writes what luxon writes, for local times too, and null-safe for an invalid one as before', () => {
		const local = DateTime.fromObject(
			{ year: 2026, month: 3, day: 8, hour: 3, minute: 15 },
			{ zone: zoneOf('America/Chicago') },
		);
		expect(utcIso(local)).toBe(local.toUTC().toISO());
		expect(utcIso(local.plus({ days: 200, minutes: 7 }))).toBe(local.plus({ days: 200, minutes: 7 }).toUTC().toISO());
		const bad = DateTime.fromISO('nope');
		expect(utcIso(bad)).toBe(bad.toUTC().toISO());
	});
});

describe('plusMinutes: what luxon plus({ minutes }) gives, across clock changes', () => {
	test.each(['America/Chicago', 'Australia/Lord_Howe', 'America/St_Johns', 'utc'])('%s', (name) => {
		const zone = name === 'utc' ? 'utc' : zoneOf(name);
		let mismatches = 0;
		// Every 53 minutes across 2026, a deadline's worth of minutes on: every transition is stepped over.
		for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 53 * 60e3) {
			const from = instant(new Date(t).toISOString(), zone);
			for (const m of [1, 45, 240]) {
				const want = from.plus({ minutes: m });
				const got = plusMinutes(from, m);
				if (got.toISO() !== want.toISO() || got.zoneName !== want.zoneName) mismatches++;
			}
		}
		expect(mismatches).toBe(0);
	});

	test('keeps the locale, and an invalid time stays invalid', () => {
		const de = DateTime.fromMillis(Date.UTC(2026, 2, 8, 7, 30), { zone: zoneOf('America/Chicago'), locale: 'de' });
		expect(plusMinutes(de, 45).locale).toBe('de');
		expect(plusMinutes(DateTime.fromISO('nope'), 5).isValid).toBe(false);
	});
});
