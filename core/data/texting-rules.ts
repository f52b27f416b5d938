/**
 * When a text may reach a caller, by the caller's state: the federal floor and the states' stricter rules.
 * Every row cites its law; docs/security.md (Quiet hours) says what each says and how the pack reads it.
 * Hours are minutes after midnight in the caller's local time; `end` is exclusive.
 * Most of these laws are written for telephone solicitation (sales calls and texts). The pack holds the text-back to
 * them all the same unless the business sets `acknowledgment.quietHours.replyToCaller: "send"` (see the profile).
 */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface Window {
	start: number;
	end: number;
}

export interface TextingRule {
	/** Who made it: "federal" or the two-letter state. */
	region: string;
	/** The law, short enough for a reason text. */
	law: string;
	/** The hours on any day not listed in `days`. */
	hours: Window;
	/** Days with other hours; null: no texts that day. */
	days?: Partial<Record<Weekday, Window | null>>;
	/** No texts on US federal holidays (5 U.S.C. § 6103, with the observed Friday or Monday). */
	noHolidays?: boolean;
	/** At most this many texts to one caller in any 24 hours. */
	maxPer24h?: number;
	/** A clock the statute names besides the caller's own (Mississippi: "Central Standard Time", UTC-6 all year). */
	zone?: string;
}

const h = (hh: number, mm = 0): number => hh * 60 + mm;

/** 47 CFR § 64.1200(c)(1): no telephone solicitation before 8 a.m. or after 9 p.m. at the called party's location. */
export const FEDERAL_RULE: TextingRule = {
	region: 'federal',
	law: '47 CFR 64.1200(c)(1)',
	hours: { start: h(8), end: h(21) },
};

export const STATE_RULES: Readonly<Record<string, TextingRule>> = {
	// Fla. Stat. § 501.059(8): 8 a.m. to 8 p.m. at the called person's location; at most 3 on one subject in 24 hours.
	FL: { region: 'FL', law: 'Fla. Stat. § 501.059(8)', hours: { start: h(8), end: h(20) }, maxPer24h: 3 },
	// 15 Okla. Stat. § 775C.4 (Telephone Solicitation Act of 2022): the same hours and limit as Florida.
	OK: { region: 'OK', law: '15 Okla. Stat. § 775C.4', hours: { start: h(8), end: h(20) }, maxPer24h: 3 },
	// Md. Code, Com. Law § 14-4502 (Stop the Spam Calls Act of 2023, in force 2024-01-01): 8 a.m. to 8 p.m.,
	// at most 3 calls or texts on one subject in 24 hours.
	MD: { region: 'MD', law: 'Md. Code, Com. Law § 14-4502', hours: { start: h(8), end: h(20) }, maxPer24h: 3 },
	// RCW 19.158.040(2): a commercial telephone solicitor's calls may not be received before 8 a.m. or after 8 p.m.
	WA: { region: 'WA', law: 'RCW 19.158.040(2)', hours: { start: h(8), end: h(20) } },
	// Tex. Bus. & Com. Code § 301.051: 9 a.m. to 9 p.m. on weekdays and Saturday, noon to 9 p.m. on Sunday.
	TX: {
		region: 'TX',
		law: 'Tex. Bus. & Com. Code § 301.051',
		hours: { start: h(9), end: h(21) },
		days: { sun: { start: h(12), end: h(21) } },
	},
	// La. R.S. 45:811: calls by automatic dialer or live operator only 8 a.m. to 8 p.m. Monday to Saturday,
	// never on Sundays or state holidays.
	LA: {
		region: 'LA',
		law: 'La. R.S. 45:811',
		hours: { start: h(8), end: h(20) },
		days: { sun: null },
		noHolidays: true,
	},
	// Miss. Code § 77-3-723(1): 8 a.m. to 8 p.m. Central Standard Time; none on Sunday (the holiday rule, 39 Miss.
	// Admin. Code Pt. I R. 1:28, was repealed in 2023).
	MS: {
		region: 'MS',
		law: 'Miss. Code § 77-3-723(1)',
		hours: { start: h(8), end: h(20) },
		days: { sun: null },
		zone: 'Etc/GMT+6',
	},
	// Ala. Admin. Code r. 770-X-5-.17(1)(b): automated solicitation calls never on Sundays or holidays, otherwise
	// 8 a.m. to 8 p.m.
	AL: {
		region: 'AL',
		law: 'Ala. Admin. Code r. 770-X-5-.17(1)(b)',
		hours: { start: h(8), end: h(20) },
		days: { sun: null },
		noHolidays: true,
	},
	// R.I. Gen. Laws §§ 5-61-3.6 and 5-61-2(2): unsolicited sales calls to residential and mobile numbers only
	// Monday to Friday 9 a.m. to 6 p.m. except state or federal holidays, Saturday 10 a.m. to 5 p.m.; never Sunday.
	RI: {
		region: 'RI',
		law: 'R.I. Gen. Laws § 5-61-3.6',
		hours: { start: h(9), end: h(18) },
		days: { sat: { start: h(10), end: h(17) }, sun: null },
		noHolidays: true,
	},
};

/** The nth (1-based; -1 for the last) given weekday (1 Monday .. 7 Sunday) of a month, as a day of the month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
	if (n > 0) {
		const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay() || 7;
		return 1 + ((weekday - first + 7) % 7) + (n - 1) * 7;
	}
	const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
	const last = new Date(Date.UTC(year, month - 1, lastDay)).getUTCDay() || 7;
	return lastDay - ((last - weekday + 7) % 7);
}

const holidayCache = new Map<number, Set<string>>();

/**
 * US federal legal holidays of a year (5 U.S.C. § 6103) as "YYYY-MM-DD", each with its observed day when it falls on a
 * weekend (Saturday: the Friday before, which may be in the year before; Sunday: the Monday after).
 * States' own extra holidays are not modelled.
 */
export function federalHolidays(year: number): Set<string> {
	const cached = holidayCache.get(year);
	if (cached) return cached;
	const fixed: [number, number][] = [
		[1, 1],
		[6, 19],
		[7, 4],
		[11, 11],
		[12, 25],
	];
	const floating: [number, number][] = [
		[1, nthWeekday(year, 1, 1, 3)], // Martin Luther King Jr. Day
		[2, nthWeekday(year, 2, 1, 3)], // Washington's Birthday
		[5, nthWeekday(year, 5, 1, -1)], // Memorial Day
		[9, nthWeekday(year, 9, 1, 1)], // Labor Day
		[10, nthWeekday(year, 10, 1, 2)], // Columbus Day
		[11, nthWeekday(year, 11, 4, 4)], // Thanksgiving Day
	];
	const key = (d: Date): string => d.toISOString().slice(0, 10);
	const out = new Set<string>();
	for (const [m, d] of [...fixed, ...floating]) {
		const date = new Date(Date.UTC(year, m - 1, d));
		out.add(key(date));
		const dow = date.getUTCDay();
		if (dow === 6) out.add(key(new Date(Date.UTC(year, m - 1, d - 1))));
		if (dow === 0) out.add(key(new Date(Date.UTC(year, m - 1, d + 1))));
	}
	holidayCache.set(year, out);
	return out;
}

/** Whether a local calendar date ("YYYY-MM-DD") is a US federal holiday or its observed day. */
export function isFederalHoliday(date: string): boolean {
	const year = Number(date.slice(0, 4));
	return federalHolidays(year).has(date) || federalHolidays(year + 1).has(date);
}
