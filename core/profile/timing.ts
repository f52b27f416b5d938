import { DateTime } from 'luxon';
import type { Timing } from '../model';
import { instant, plusMinutes, zoneOf } from './zone';
import { DAYS, type Day, type Profile } from './schema';

function at(iso: string | Date | DateTime, zone: string): DateTime {
	if (typeof iso === 'string') return instant(iso, zoneOf(zone));
	return (iso instanceof DateTime ? iso : DateTime.fromJSDate(iso)).setZone(zoneOf(zone));
}

function dayKey(dt: DateTime): Day {
	return DAYS[dt.weekday - 1];
}

function minutesOf(hhmm: string): number {
	const [h, m] = hhmm.split(':').map(Number);
	return h * 60 + m;
}

export function holidayOn(profile: Profile, local: DateTime): { date: string; name: string } | undefined {
	const date = local.toISODate();
	return profile.holidays.find((h) => h.date === date);
}

/** True when the business is open at this instant, in its own time zone. */
export function isOpenAt(profile: Profile, when: string | Date | DateTime): boolean {
	const local = at(when, profile.timeZone);
	if (holidayOn(profile, local)) return false;
	const minute = local.hour * 60 + local.minute;
	return profile.hours[dayKey(local)].some((s) => minute >= minutesOf(s.open) && minute < minutesOf(s.close));
}

/** When a call came in, relative to the business's week: open, closed at night, weekend, or a holiday. */
export function timingOf(profile: Profile, when: string | Date | DateTime): Timing {
	const local = at(when, profile.timeZone);
	if (holidayOn(profile, local)) return 'holiday';
	if (isOpenAt(profile, local)) return 'business-hours';
	const day = dayKey(local);
	if ((day === 'sat' || day === 'sun') && profile.hours[day].length === 0) return 'weekend';
	return 'after-hours';
}

/**
 * The next instant the business opens, at or after `when`. DST-safe: opening times are wall-clock times
 * in the business's zone, resolved by luxon for that date. Undefined if it never opens in the next 21 days.
 */
export function nextOpening(profile: Profile, when: string | Date | DateTime): DateTime | undefined {
	const start = at(when, profile.timeZone);
	if (isOpenAt(profile, start)) return start;
	for (let d = 0; d <= 21; d++) {
		const day = start.plus({ days: d }).startOf('day');
		if (holidayOn(profile, day)) continue;
		const spans = [...profile.hours[dayKey(day)]].sort((a, b) => minutesOf(a.open) - minutesOf(b.open));
		for (const s of spans) {
			const [h, m] = s.open.split(':').map(Number);
			const open = DateTime.fromObject(
				{ year: day.year, month: day.month, day: day.day, hour: h, minute: m },
				{ zone: zoneOf(profile.timeZone) },
			);
			if (open >= start) return open;
		}
	}
	return undefined;
}

/** "today at 8:00 AM", "tomorrow at 8:00 AM", "Monday at 8:00 AM" in the business's zone. */
export function describeOpening(
	profile: Profile,
	opening: DateTime | undefined,
	now: string | Date | DateTime,
): string {
	if (!opening) return 'soon';
	const local = opening.setZone(zoneOf(profile.timeZone));
	const today = at(now, profile.timeZone).startOf('day');
	const days = Math.round(local.startOf('day').diff(today, 'days').days);
	const time = local.toFormat('h:mm a');
	if (days === 0) return `today at ${time}`;
	if (days === 1) return `tomorrow at ${time}`;
	return `${local.toFormat('cccc')} at ${time}`;
}

/** Is the member on call at this instant? Shifts may cross midnight (from 18:00 to 08:00). */
export function isOnCall(
	profile: Profile,
	shifts: Profile['roster'][number]['onCall'],
	when: string | Date | DateTime,
): boolean {
	const local = at(when, profile.timeZone);
	const minute = local.hour * 60 + local.minute;
	const today = dayKey(local);
	const yesterday = dayKey(local.minus({ days: 1 }));
	return shifts.some((s) => {
		const from = minutesOf(s.from);
		const to = minutesOf(s.to);
		if (from < to) return s.days.includes(today) && minute >= from && minute < to;
		// Overnight: the part after midnight belongs to the shift that started the day before.
		return (s.days.includes(today) && minute >= from) || (s.days.includes(yesterday) && minute < to);
	});
}

/** Adds minutes of business time: the clock only runs while the business is open. */
export function addBusinessMinutes(profile: Profile, from: DateTime, minutes: number): DateTime {
	let cursor: DateTime = from.setZone(zoneOf(profile.timeZone));
	let left = minutes;
	for (let guard = 0; guard < 400 && left > 0; guard++) {
		const open = nextOpening(profile, cursor);
		if (!open) return from.plus({ minutes });
		cursor = open;
		const spans = profile.hours[dayKey(cursor)];
		const minute = cursor.hour * 60 + cursor.minute;
		const span = spans.find((s) => minute >= minutesOf(s.open) && minute < minutesOf(s.close));
		if (!span) return from.plus({ minutes });
		const closeMin = minutesOf(span.close);
		const available = closeMin - minute;
		if (left <= available) return plusMinutes(cursor, left);
		left -= available;
		cursor =
			closeMin >= 1440
				? cursor.plus({ days: 1 }).startOf('day')
				: cursor.set({ hour: Math.floor(closeMin / 60), minute: closeMin % 60, second: 0, millisecond: 0 });
	}
	return cursor;
}
