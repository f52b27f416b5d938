/**
 * Instants as the loop stores them: `YYYY-MM-DDTHH:mm:ss.sssZ`, what `Date.prototype.toISOString` writes. A call
 * writes and reads several dozen of them (every save works out the case's indexed times), and the engine's own
 * `toISOString` formats through `snprintf` and `Date.parse` runs a general date tokenizer: about 7,000 instructions
 * each, a twentieth of a call in Node 24 (figures in docs/performance.md). These give the same answers with
 * arithmetic, and hand anything outside the stored form to the engine, so they are never less exact than it.
 */

/** 1970-01-01 to 9999-12-31 (four-digit years, no sign): the range the fast paths cover. */
const MAX_MS = 253402300799999;
const DAY_MS = 86400000;

const TWO: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** The date part of the last day formatted: a run of instants falls mostly on one day. */
let lastDay = -1;
let lastDayText = '';

/** `YYYY-MM-DD` of a day counted from 1970-01-01 (the civil-from-days algorithm, proleptic Gregorian). */
function dayText(days: number): string {
	if (days === lastDay) return lastDayText;
	const z = days + 719468;
	const era = Math.floor(z / 146097);
	const doe = z - era * 146097;
	const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
	const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
	const mp = Math.floor((5 * doy + 2) / 153);
	const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
	const month = mp < 10 ? mp + 3 : mp - 9;
	const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
	lastDay = days;
	lastDayText = `${year}-${TWO[month]}-${TWO[day]}`;
	return lastDayText;
}

/** `new Date(ms).toISOString()`, the same text (and the same RangeError for an invalid time). */
export function isoOfMs(ms: number): string {
	if (!(ms >= 0 && ms <= MAX_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
	const days = Math.floor(ms / DAY_MS);
	let rest = ms - days * DAY_MS;
	const hours = Math.floor(rest / 3600000);
	rest -= hours * 3600000;
	const minutes = Math.floor(rest / 60000);
	rest -= minutes * 60000;
	const seconds = Math.floor(rest / 1000);
	return `${dayText(days)}T${TWO[hours]}:${TWO[minutes]}:${TWO[seconds]}.${THREE[rest - seconds * 1000]}Z`;
}

/** A clock's reading (the system's when there is none) in the stored form. */
export function isoNow(reading?: Date): string {
	return isoOfMs(reading ? reading.getTime() : Date.now());
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** How many days a month (1-12) of a year has in the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
	const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
	return DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0);
}

/** The digits of `s` from `from` to `to` as a number, or -1 when one of them is not a digit. */
function digits(s: string, from: number, to: number): number {
	let n = 0;
	for (let i = from; i < to; i++) {
		const d = s.charCodeAt(i) - 48;
		if (d < 0 || d > 9) return -1;
		n = n * 10 + d;
	}
	return n;
}

/** Where the stored form has its separators, and which (- - T : : . Z). */
const SEPARATORS: readonly (readonly [number, number])[] = [
	[4, 45],
	[7, 45],
	[10, 84],
	[13, 58],
	[16, 58],
	[19, 46],
	[23, 90],
];

/**
 * The milliseconds of a stamp in the stored form, or NaN when `s` is not one (another valid form, a day the month
 * lacks, a year before 1970). Exactly `Date.parse(s)` for every stored-form stamp of a real day.
 */
export function storedMs(s: string): number {
	if (s.length !== 24) return NaN;
	for (const [at, code] of SEPARATORS) if (s.charCodeAt(at) !== code) return NaN;
	const year = digits(s, 0, 4);
	const month = digits(s, 5, 7);
	const day = digits(s, 8, 10);
	const hours = digits(s, 11, 13);
	const minutes = digits(s, 14, 16);
	const seconds = digits(s, 17, 19);
	const millis = digits(s, 20, 23);
	if (year < 1970 || month < 1 || month > 12 || day < 1 || hours < 0 || hours > 23) return NaN;
	if (minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59 || millis < 0) return NaN;
	if (day > daysInMonth(year, month)) return NaN;
	return daysOf(year, month, day) * DAY_MS + hours * 3600000 + minutes * 60000 + seconds * 1000 + millis;
}

/** Days from 1970-01-01 to a day of the proleptic Gregorian calendar (days-from-civil, the inverse of dayText). */
function daysOf(year: number, month: number, day: number): number {
	const y = month <= 2 ? year - 1 : year;
	const era = Math.floor(y / 400);
	const yoe = y - era * 400;
	const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
	return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** `Date.parse(s)`: the stored form read with arithmetic, anything else by the engine. */
export function msOfIso(s: string): number {
	const ms = storedMs(s);
	return Number.isNaN(ms) ? Date.parse(s) : ms;
}

/**
 * `new Date(value).toISOString()`: a string already in the stored form (a real day) is returned as it is, since that
 * is what the round trip gives; anything else goes through the engine (and throws its RangeError when invalid).
 */
export function storedIso(value: string | Date): string {
	if (typeof value === 'string' && !Number.isNaN(storedMs(value))) return value;
	return new Date(value).toISOString();
}
