import { IANAZone, type Zone } from 'luxon';

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
