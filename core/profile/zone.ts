import { DateTime, IANAZone, type Zone } from 'luxon';
import { daysInMonth, isoOfMs, storedMs } from '../instant';

/** From here on every time zone transition falls on a whole minute, so one minute's offset holds for all of it. */
const WHOLE_MINUTE_TRANSITIONS_FROM = Date.UTC(2000, 0, 1);

/**
 * An IANA zone that remembers its UTC offset per minute. luxon asks the zone for an offset every time it builds or
 * shifts a local time, and each answer is an `Intl.DateTimeFormat.formatToParts` call: the business-hours and
 * deadline arithmetic made thousands of them per second, about a tenth of the loop's CPU. Same answers, from a map.
 */
class MemoIANAZone extends IANAZone {
	private readonly offsets = new Map<number, number>();

	override offset(ts: number): number {
		if (!(ts >= WHOLE_MINUTE_TRANSITIONS_FROM)) return super.offset(ts);
		const minute = Math.floor(ts / 60000);
		let o = this.offsets.get(minute);
		if (o === undefined) {
			o = super.offset(ts);
			if (this.offsets.size >= 50000) this.offsets.clear();
			this.offsets.set(minute, o);
		}
		return o;
	}
}

const zones = new Map<string, Zone>();

/** The zone to hand luxon for an IANA name. An invalid name is passed through, so luxon reports it as before. */
export function zoneOf(name: string): Zone | string {
	let z = zones.get(name);
	if (!z) {
		if (!IANAZone.isValidZone(name)) return name;
		z = new MemoIANAZone(name);
		if (zones.size < 1000) zones.set(name, z);
	}
	return z;
}

/** A full timestamp with Z or an offset, as the loop writes them (`toISOString`): `Date.parse` reads these exactly. */
const STAMP = new RegExp(
	String.raw`^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])` +
		String.raw`T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$`,
);

/** A day the month has (Date.parse takes "02-30" as March 2nd; luxon calls it invalid). */
function realDay(iso: string): boolean {
	return Number(iso.slice(8, 10)) <= daysInMonth(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)));
}

/**
 * An ISO 8601 instant as a luxon DateTime in `zone` (a `zoneOf` zone, or UTC). The engine's own `Date.parse` reads the
 * full timestamps the loop stores, several times faster than luxon's general parser (a few percent of a call's CPU);
 * anything else (no offset, a date alone) goes to luxon's parser as before.
 */
export function instant(iso: string, zone: Zone | string = 'utc'): DateTime {
	// The stored form first (no pattern to run), then any full stamp the engine reads exactly.
	let ms = storedMs(iso);
	if (Number.isNaN(ms)) ms = STAMP.test(iso) && realDay(iso) ? Date.parse(iso) : NaN;
	// `zone` is already a zoneOf zone or UTC: the lint rule checks every call of instant() for that.
	// eslint-disable-next-line no-restricted-syntax
	return Number.isNaN(ms) ? DateTime.fromISO(iso).setZone(zone) : DateTime.fromMillis(ms, { zone });
}

/** A DateTime as the loop stores instants: UTC, milliseconds, Z (what luxon's `toUTC().toISO()` gives, faster). */
export function utcIso(dt: DateTime): string {
	return dt.isValid ? isoOfMs(dt.toMillis()) : dt.toUTC().toISO()!;
}

/**
 * `dt.plus({ minutes })`, the same instant, zone and locale: minutes are exact time in luxon (no calendar units), so
 * the sum is the instant `minutes` later, built straight from its milliseconds. luxon's own plus builds a Duration,
 * converts it and checks the offset twice; business-minute deadlines do it for every case.
 */
export function plusMinutes(dt: DateTime, minutes: number): DateTime {
	if (!dt.isValid || !Number.isFinite(minutes)) return dt.plus({ minutes });
	return DateTime.fromMillis(dt.toMillis() + minutes * 60_000, {
		// dt's own zone: already the zoneOf zone it was built with.
		// eslint-disable-next-line no-restricted-syntax
		zone: dt.zone,
		locale: dt.locale ?? undefined,
		numberingSystem: dt.numberingSystem ?? undefined,
		outputCalendar: dt.outputCalendar ?? undefined,
	});
}
