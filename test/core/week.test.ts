import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { quietHoursRelease } from '../../core/acknowledge';
import { isOpenAt } from '../../core/profile/timing';
import { phoneInfo } from '../../core/phone';
import { simulateWeek, ownerTextsPerCase, type WeekResult } from '../../sim/week';

/**
 * A shipped week played through the real core on a virtual clock (sim/week.ts), and what every person received read
 * against the loop's promises (issue #18): right words at a lawful time, bounded owner texts, no text after STOP,
 * deferred texts on time, every case owned, and a broken case that holds up nobody.
 */
const script = JSON.parse(readFileSync(join(__dirname, '../../sim/weeks/plumber-christmas-week.json'), 'utf8'));

let week: WeekResult;
beforeAll(async () => {
	week = await simulateWeek(script);
}, 120_000);

const local = (iso: string, zone: string) => DateTime.fromISO(iso, { zone });

/** A call in the script: to the business's number unless it names another. */
interface ScriptCall {
	from: string;
	to?: string;
	voicemail?: string;
}
// The exact counts below come from the script's own calls.
const scriptCalls: ScriptCall[] = (script.events as { call?: ScriptCall }[]).flatMap((e) => (e.call ? [e.call] : []));
const uniqueSorted = (xs: string[]) => [...new Set(xs)].sort();
/** Everyone who rang the business (one case each: a second call from the same caller joins their case). */
const businessCallers = () =>
	uniqueSorted(scriptCalls.filter((c) => !c.to || week.profile.numbers.includes(c.to)).map((c) => c.from));
/** The Sunday-night caller: their acknowledgment and alert wait for Monday, after the simulated week ends. */
const SUNDAY_NIGHT = '+13055550265';

describe('a simulated week through the core', () => {
	test('each caller gets at most one acknowledgment per window, worded for the moment it is read', () => {
		const acks = week.texts.filter((t) => t.kind === 'ack');
		// Once each, everyone but the Sunday-night caller (the STOP caller was texted before saying STOP).
		expect(acks.map((t) => t.to).sort()).toEqual(businessCallers().filter((c) => c !== SUNDAY_NIGHT));
		const window = week.profile.acknowledgment.windowMinutes * 60e3;
		for (const caller of new Set(acks.map((t) => t.to))) {
			const times = acks.filter((t) => t.to === caller).map((t) => Date.parse(t.at));
			for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(window);
		}
		for (const t of acks) {
			if (isOpenAt(week.profile, t.at)) {
				expect(t.body).not.toMatch(/We open|Closed for/);
			} else {
				expect(t.body).not.toMatch(/We'll call you back soon|We're open now/);
				expect(t.body).toMatch(/We open|Closed for/);
			}
			expect(t.segments).toBe(1);
		}
	});

	test('every text to a caller but a safety step arrives at a lawful time in the caller zone', () => {
		for (const t of week.texts.filter((x) => x.audience === 'caller' && x.kind === 'ack')) {
			const zone = phoneInfo(t.to).zone ?? week.profile.timeZone;
			const hour = local(t.at, zone).hour;
			expect(hour).toBeGreaterThanOrEqual(8);
			expect(hour).toBeLessThan(21);
			expect(quietHoursRelease(week.profile, t.to, t.at, []).at).toBe(t.at);
		}
		// The gas caller at 23:10 gets the safety step at once (emergency purposes), and the acknowledgment at 08:00.
		const gas = week.texts.filter((t) => t.to === '+17735550166');
		expect(gas.map((t) => t.kind)).toEqual(['follow-up', 'ack']);
		expect(gas[0].body).toMatch(/smell gas, leave now/);
		expect(local(gas[0].at, 'America/Chicago').toFormat('ccc HH')).toBe('Mon 23');
	});

	test('owners get one alert per case, one per escalation level, bounded reminders, then nothing', () => {
		const ladder = week.profile.routing.escalation.length;
		const max = week.profile.routing.reminders.max;
		const repeats = week.profile.routing.ownerAlerts.repeatCalls;
		for (const c of week.cases) {
			const sent = c.alerts.filter((a) => a.status === 'sent');
			expect(sent.filter((a) => a.kind === 'new-case').length).toBeLessThanOrEqual(1);
			expect(sent.filter((a) => a.kind === 'emergency').length).toBeLessThanOrEqual(1);
			expect(sent.filter((a) => a.kind === 'escalation').length).toBeLessThanOrEqual(ladder);
			expect(sent.filter((a) => a.kind === 'reminder').length).toBeLessThanOrEqual(max);
			expect(sent.filter((a) => a.kind === 'repeat').length).toBeLessThanOrEqual(repeats);
			expect(sent.filter((a) => a.kind === 'repeat').length).toBeLessThanOrEqual(c.calls.length - 1);
			// The owners' phones agree with the case: every text about it names its short code.
			const texts = week.texts.filter((t) => t.audience === 'owner' && t.body.includes(c.caseId.slice(0, 8)));
			expect(texts.filter((t) => t.kind === 'owner-alert')).toHaveLength(sent.length);
			// Besides the alerts, only the caller's own replies, forwarded, and answers to the owner's own commands.
			expect(texts.filter((t) => t.kind === 'relay')).toHaveLength(c.replies.length);
			const others = texts.filter((t) => t.kind !== 'owner-alert' && t.kind !== 'relay').map((t) => t.kind);
			expect(others.every((k) => k === 'keyword-reply')).toBe(true);
		}
		const perCase = ownerTextsPerCase(week);
		expect(perCase.max).toBeLessThanOrEqual(2 + ladder + max + repeats);
		// Escalation ends: the cases nobody handled are marked, and nobody was texted about them afterwards.
		const ended = week.cases.filter((c) => c.escalationEndedAt);
		expect(ended.length).toBeGreaterThan(0);
		for (const c of ended) {
			const after = week.texts.filter((t) => t.body.includes(c.caseId.slice(0, 8)) && t.at > c.escalationEndedAt!);
			expect(after).toEqual([]);
		}
	});

	test('a caller who rings again is news to the owner who has the case, not a reason to skip them', () => {
		// Wed: a STOP, then a second call hours later whose voicemail raises the urgency past the first deadline.
		const c = week.cases.find((x) => x.caller === '+13125550210')!;
		const repeat = c.alerts.find((a) => a.kind === 'repeat' && a.status === 'sent')!;
		expect(repeat).toBeTruthy();
		const short = c.caseId.slice(0, 8);
		const text = week.texts.find((t) => t.body.startsWith('[Called again]') && t.body.includes(short))!;
		expect(text.to).toBe(repeat.to);
		expect(text.body).toContain('dripping faucet');
		// The owner told of the call keeps it for the new urgency's window: nobody is escalated over them at once.
		const next = week.texts.find((t) => t.at > text.at && t.body.includes(short) && t.body.includes('Escalated'));
		if (next) expect(Date.parse(next.at) - Date.parse(text.at)).toBeGreaterThanOrEqual(30 * 60e3);
	});

	test('every text is accounted for, and every owned case told its first owner exactly once', () => {
		// Every text sent through the API is a case's acknowledgment, follow-up, owner alert or relay.
		expect(week.texts.filter((t) => t.kind === 'other')).toEqual([]);
		const owned = week.cases.filter((c) => c.businessId === week.profile.businessId && c.owner);
		expect(owned.map((c) => c.caller).sort()).toEqual(businessCallers());
		for (const c of owned) {
			const first = c.alerts.filter((a) => a.kind === 'new-case' && a.status === 'sent');
			// The Sunday-night caller's alert waits for Monday's opening, after the simulated week ends.
			if (c.caller === SUNDAY_NIGHT) expect(first).toHaveLength(0);
			else expect(first).toHaveLength(1);
		}
	});

	test('a routine call while closed reaches its owner when the business opens, an emergency at once', () => {
		for (const c of week.cases.filter((x) => x.businessId === week.profile.businessId)) {
			const first = c.alerts.find((a) => a.kind === 'new-case' && a.status === 'sent');
			if (!first) continue;
			if (first.urgency === 'normal' || first.urgency === 'low') {
				expect(isOpenAt(week.profile, first.at)).toBe(true);
				// Within a tick of the later of the call (or its words) and the opening.
				const held = c.history.filter((h) => h.move === 'owner-alert-held').pop();
				const until = held?.note && /until (\S+)$/.exec(held.note)?.[1];
				if (until) expect(Date.parse(first.at) - Date.parse(until)).toBeLessThanOrEqual(60e3);
			}
			if (first.urgency === 'emergency') {
				expect(Date.parse(first.at) - Date.parse(c.stamps.detectedAt)).toBeLessThan(5 * 60e3);
			}
		}
	});

	test("the owner's first alert carries the voicemail's words when the caller leaves one", () => {
		const withWords = week.cases.filter((c) => c.calls.some((k) => k.voicemail?.transcript));
		expect(withWords.map((c) => c.caller).sort()).toEqual(
			uniqueSorted(scriptCalls.filter((c) => c.voicemail).map((c) => c.from)),
		);
		for (const c of withWords) {
			const text = week.texts.find((t) => t.kind === 'owner-alert' && t.caseId === c.caseId);
			if (!text) continue;
			const words = c.calls.find((k) => k.voicemail?.transcript)!.voicemail!.transcript!.slice(0, 20);
			if (c.calls[0].voicemail?.transcript) expect(text.body).toContain(words);
		}
	});

	test('no text reaches a number after it said STOP', () => {
		expect(Object.keys(week.optOuts)).toEqual(['+13125550210']);
		for (const [phone, at] of Object.entries(week.optOuts)) {
			const later = week.texts.filter((t) => t.to === phone && t.at > at);
			expect(later).toEqual([]);
		}
	});

	test('every deferred acknowledgment goes out within a minute of its window opening', () => {
		const deferred: string[] = [];
		for (const c of week.cases) {
			const held = c.history.find((h) => h.move === 'ack-deferred');
			const sendAt = held?.note && /sends at (\S+)/.exec(held.note)?.[1];
			if (!sendAt || Date.parse(sendAt) > Date.parse(week.texts[week.texts.length - 1].at)) continue;
			deferred.push(c.caller);
			const ack = week.texts.find((t) => t.kind === 'ack' && t.caseId === c.caseId)!;
			expect(Date.parse(ack.at) - Date.parse(sendAt)).toBeLessThanOrEqual(60e3);
			expect(Date.parse(ack.at)).toBeGreaterThanOrEqual(Date.parse(sendAt));
		}
		// Monday 23:10 and Tuesday 06:45 in Chicago wait for 08:00; the Sunday-night one opens after the week.
		expect(deferred.sort()).toEqual(['+13125550177', '+17735550166']);
	});

	test('every case of the business is owned or marked nobody-available', () => {
		const ours = week.cases.filter((c) => c.businessId === week.profile.businessId);
		expect(ours.map((c) => c.caller).sort()).toEqual(businessCallers());
		for (const c of ours) expect(!!c.owner || c.nobodyAvailable).toBe(true);
	});

	test('a case of a number no profile lists is set aside, and holds up nobody', () => {
		const broken = week.cases.filter((c) => c.businessId !== week.profile.businessId);
		expect(broken).toHaveLength(1);
		expect(broken[0].flags).toContain('tick-failed');
		const errors = week.tickErrors.filter((e) => e.caseId === broken[0].caseId);
		expect(errors.length).toBeGreaterThan(0);
		// Retried after a minute, then each wait twice the one before (up to a day), not every tick.
		const gaps = errors.slice(1).map((e, i) => (Date.parse(e.at) - Date.parse(errors[i].at)) / 60e3);
		expect(gaps.length).toBeGreaterThanOrEqual(3);
		for (let i = 0; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(Math.min(24 * 60, 2 ** i));
		// The caller a minute later was texted and their owner told at once, in business hours.
		const next = week.texts.filter((t) => t.to === '+13125550232' && t.kind === 'ack');
		expect(next).toHaveLength(1);
		expect(local(next[0].at, 'America/Chicago').toFormat('ccc HH:mm')).toBe('Thu 10:06');
	});
});
