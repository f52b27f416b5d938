import fc from 'fast-check';
import { DateTime } from 'luxon';
import { cases, parseProfile, phoneInfo, planAcknowledgment, quietHoursRelease, type MissedCall } from '../../core';
import { isFederalHoliday, STATE_RULES } from '../../core/data/texting-rules';
import { plumber } from '../helpers/fixtures';

function caseFor(from: string, at: string) {
	const event: MissedCall = {
		type: 'missed-call',
		eventId: `twilio:CA${at}${from}`,
		provider: 'twilio',
		callSid: `CA${at}`,
		from,
		to: '+13125550199',
		businessId: 'acme-plumbing',
		reason: 'no-answer',
		startedAt: at,
		durationSec: 0,
		repeat: 0,
		channel: 'sms',
	};
	return cases.newCase(event, at);
}

const ctx = (now: string, sent: string[] = []) => ({
	now,
	optedOut: false,
	sentToCallerLast24h: sent,
	businessSentLastHour: 0,
	lineType: 'mobile' as const,
});

/** An instant given as a local time in a zone, as the UTC ISO string the core uses. */
function at(zone: string, local: string): string {
	return DateTime.fromISO(local, { zone }).toUTC().toISO()!;
}

describe("quiet hours in every zone the caller's number may be in", () => {
	const p = plumber(); // Chicago business, own quiet hours 21:00-08:00

	test('a Vancouver caller at 06:30 there is texted at 08:00 Vancouver time, not by the Chicago clock', () => {
		const now = at('America/Vancouver', '2026-11-25T06:30');
		const plan = planAcknowledgment(p, caseFor('+16045550123', now), ctx(now));
		expect(plan).toMatchObject({ action: 'defer', sendAt: at('America/Vancouver', '2026-11-25T08:00') });
		expect(plan.action === 'defer' && plan.reason).toMatch(/America\/Vancouver/);
		expect(phoneInfo('+16045550123')).toMatchObject({ country: 'CA', region: 'BC', zone: 'America/Vancouver' });
	});

	test('a Halifax caller at 22:15 there waits for 08:00 Halifax time', () => {
		const now = at('America/Halifax', '2026-11-25T22:15'); // 20:15 in Chicago
		const plan = planAcknowledgment(p, caseFor('+19025550123', now), ctx(now));
		expect(plan).toMatchObject({ action: 'defer', sendAt: at('America/Halifax', '2026-11-26T08:00') });
		expect(phoneInfo('+19025550123')).toMatchObject({ country: 'CA', region: 'NS', zone: 'America/Halifax' });
	});

	test(`a 605 number (South Dakota, Central and Mountain) waits for 08:00 Mountain, and 21:00 Central \
ends the day`, () => {
		expect(phoneInfo('+16055550123').zones).toEqual(expect.arrayContaining(['America/Chicago', 'America/Denver']));
		const evening = at('America/Chicago', '2026-11-25T21:30'); // 20:30 in the Mountain half
		const plan = planAcknowledgment(p, caseFor('+16055550123', evening), ctx(evening));
		expect(plan).toMatchObject({ action: 'defer', sendAt: at('America/Denver', '2026-11-26T08:00') });
		expect(plan.action === 'defer' && plan.reason).toMatch(/America\/Denver/);
		const morning = at('America/Chicago', '2026-11-26T08:30'); // 07:30 Mountain
		expect(quietHoursRelease(p, '+16055550123', morning, []).at).toBe(at('America/Denver', '2026-11-26T08:00'));
		// 20:30 Central is 19:30 Mountain: inside the window in both zones, so it goes at once.
		const inside = at('America/Chicago', '2026-11-25T20:30');
		expect(planAcknowledgment(p, caseFor('+16055550123', inside), ctx(inside)).action).toBe('send');
	});

	test.each([
		['308 (Nebraska)', '+13085550123', 'America/Chicago', 'America/Denver'],
		['701 (North Dakota)', '+17015550123', 'America/Chicago', 'America/Denver'],
		['208 (Idaho)', '+12085550123', 'America/Boise', 'America/Los_Angeles'],
		['541 (Oregon)', '+15415550123', 'America/Denver', 'America/Los_Angeles'],
	])('%s spans two zones: the later morning and the earlier evening both hold', (_area, caller, east, west) => {
		expect(phoneInfo(caller).zones).toEqual(expect.arrayContaining([east, west]));
		// 08:30 in the eastern half is 07:30 in the western: wait for 08:00 there.
		const morning = at(east, '2026-11-25T08:30');
		expect(quietHoursRelease(p, caller, morning, []).at).toBe(at(west, '2026-11-25T08:00'));
		// 21:15 in the eastern half is 20:15 in the western: the eastern evening has ended, so next morning.
		const evening = at(east, '2026-11-25T21:15');
		expect(quietHoursRelease(p, caller, evening, []).at).toBe(at(west, '2026-11-26T08:00'));
	});

	test(`Oklahoma: at most 3 texts in 24 hours, the 4th deferred to 24 hours after the oldest, and quiet \
from 20:00`, () => {
		const now = at('America/Chicago', '2026-11-25T13:00');
		const sent = ['09:00', '10:00', '11:00'].map((t) => at('America/Chicago', `2026-11-25T${t}`));
		const plan = planAcknowledgment(p, caseFor('+14055550123', now), ctx(now, sent));
		expect(plan).toMatchObject({ action: 'defer', sendAt: at('America/Chicago', '2026-11-26T09:00') });
		expect(plan.action === 'defer' && plan.reason).toMatch(/OK allows 3 messages in 24 hours \(15 Okla\. Stat/);
		const late = at('America/Chicago', '2026-11-25T20:15');
		expect(quietHoursRelease(p, '+14055550123', late, [])).toMatchObject({
			at: at('America/Chicago', '2026-11-26T08:00'),
			why: expect.stringMatching(/OK only 08:00-20:00/),
		});
	});

	test(`Maryland: at most 3 texts in 24 hours, the 4th deferred to 24 hours after the oldest, and quiet \
from 20:00`, () => {
		const now = at('America/New_York', '2026-11-25T13:00');
		const sent = ['09:00', '10:00', '11:00'].map((t) => at('America/New_York', `2026-11-25T${t}`));
		const plan = planAcknowledgment(p, caseFor('+14105550123', now), ctx(now, sent));
		expect(plan).toMatchObject({ action: 'defer', sendAt: at('America/New_York', '2026-11-26T09:00') });
		expect(plan.action === 'defer' && plan.reason).toMatch(/MD allows 3 messages in 24 hours \(Md\. Code/);
		const late = at('America/New_York', '2026-11-25T20:15');
		expect(quietHoursRelease(p, '+14105550123', late, [])).toMatchObject({
			at: at('America/New_York', '2026-11-26T08:00'),
			why: expect.stringMatching(/MD only 08:00-20:00/),
		});
	});

	test(`Texas Sundays open at noon; Mississippi none on Sunday and by Central Standard Time; Louisiana none on \
a holiday`, () => {
		const sunday = at('America/Chicago', '2026-11-29T10:00');
		expect(quietHoursRelease(p, '+17135550123', sunday, [])).toMatchObject({
			at: at('America/Chicago', '2026-11-29T12:00'),
			why: expect.stringMatching(/TX only 12:00-21:00 \(Tex\. Bus\. & Com\. Code/),
		});
		expect(quietHoursRelease(p, '+16015550123', sunday, [])).toMatchObject({
			at: at('America/Chicago', '2026-11-30T08:00'),
			why: expect.stringMatching(/MS allows no texts on Sunday/),
		});
		// In summer 08:00 Central Standard Time is 09:00 on the caller's daylight clock.
		const summer = at('America/Chicago', '2026-07-15T08:30');
		expect(quietHoursRelease(p, '+16015550123', summer, []).at).toBe(at('America/Chicago', '2026-07-15T09:00'));
		const thanksgiving = at('America/Chicago', '2026-11-26T10:00');
		expect(quietHoursRelease(p, '+15045550123', thanksgiving, [])).toMatchObject({
			at: at('America/Chicago', '2026-11-27T08:00'),
			why: expect.stringMatching(/LA allows no texts on a holiday/),
		});
	});

	test('Rhode Island: Saturdays 10:00-17:00 only', () => {
		const saturday = at('America/New_York', '2026-11-28T09:30');
		expect(quietHoursRelease(p, '+14015550123', saturday, []).at).toBe(at('America/New_York', '2026-11-28T10:00'));
	});

	test('a premium-rate +1 900 number is never texted, and says why', () => {
		const now = at('America/Chicago', '2026-11-25T12:00');
		expect(planAcknowledgment(p, caseFor('+19005550123', now), ctx(now))).toMatchObject({
			action: 'skip',
			reason: 'premium-rate',
			detail: expect.stringMatching(/premium-rate \(pay-per-call 900\)/),
		});
	});

	test('quiet hours that start and end at the same time are refused, naming the field and the fix', () => {
		const input = { acknowledgment: { quietHours: { start: '21:00', end: '21:00' } } };
		expect(() => plumber(input)).toThrow(
			/acknowledgment\.quietHours\.end.*"21:00".*Set end to when texting may resume/,
		);
		expect(() => parseProfile({ businessId: 'b', name: 'B', timeZone: 'America/Chicago', ...input })).toThrow(
			/same time/,
		);
	});

	test('property: no release time falls outside the allowed window in any zone the number may be in', () => {
		const areaCodes = [605, 701, 308, 208, 541, 850, 270, 906, 928, 250, 306, 709, 807, 867, 212, 305, 410, 713, 601];
		const areaCodes2 = [504, 205, 401, 206, 405, 604, 902, 907, 808, 787];
		const allowed = (utc: string, caller: string): string | undefined => {
			const info = phoneInfo(caller);
			const rule = info.country === 'CA' ? undefined : STATE_RULES[info.region ?? ''];
			const clocks = rule?.zone ? [...info.zones, rule.zone] : info.zones;
			for (const zone of clocks) {
				const local = DateTime.fromISO(utc, { zone });
				const m = local.hour * 60 + local.minute;
				const own = !rule?.zone || zone !== rule.zone;
				if (own && (m < 8 * 60 || m >= 21 * 60)) return `${zone} ${local.toISO()} outside 08:00-21:00`;
				if (!rule) continue;
				const day = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'][local.weekday - 1] as 'mon';
				const w = rule.days && day in rule.days ? rule.days[day] : rule.hours;
				if (!w) return `${zone} ${local.toISO()} on a closed ${day}`;
				if (m < w.start || m >= w.end) return `${zone} ${local.toISO()} outside ${rule.region}'s hours`;
				if (rule.noHolidays && isFederalHoliday(local.toISODate()!)) return `${zone} ${local.toISODate()} holiday`;
			}
			return undefined;
		};
		fc.assert(
			fc.property(
				fc.constantFrom(...areaCodes, ...areaCodes2),
				fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) }),
				fc.array(fc.integer({ min: 0, max: 24 * 60 - 1 }), { maxLength: 4 }),
				(area, ms, ago) => {
					const caller = `+1${area}5550123`;
					const now = new Date(ms).toISOString();
					const sent = ago.map((m) => new Date(ms - m * 60000).toISOString());
					const r = quietHoursRelease(p, caller, now, sent);
					expect(r.at >= now).toBe(true);
					expect(allowed(r.at, caller)).toBeUndefined();
				},
			),
			{ numRuns: 400 },
		);
	});
});
