import { DateTime, IANAZone } from 'luxon';
import { zoneOf } from '../../core/profile/zone';

describe('zoneOf: the per-minute offset memo gives luxon the same answers', () => {
	const STEP = 37 * 60e3;
	const names = ['America/Chicago', 'America/New_York', 'America/St_Johns', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Europe/London', 'Pacific/Chatham'];

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
		for (const [y, m, d, h, min] of [[2026, 3, 8, 2, 30], [2026, 11, 1, 1, 30], [2026, 7, 4, 12, 0], [1999, 12, 31, 23, 59]]) {
			const a = DateTime.fromObject({ year: y, month: m, day: d, hour: h, minute: min }, { zone: zoneOf('America/Chicago') });
			const b = DateTime.fromObject({ year: y, month: m, day: d, hour: h, minute: min }, { zone: 'America/Chicago' });
			expect(a.toISO()).toBe(b.toISO());
		}
	});

	test('an unknown zone name stays invalid, as luxon reports it', () => {
		expect(zoneOf('Mars/Olympus')).toBe('Mars/Olympus');
		expect(DateTime.now().setZone(zoneOf('Mars/Olympus')).isValid).toBe(false);
	});
});
