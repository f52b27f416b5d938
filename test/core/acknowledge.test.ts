import fc from 'fast-check';
import { callerTextCosts, describeTextCosts } from '../../core/acknowledge/preview';
import {
	cases,
	countSegments,
	keywordOf,
	planAcknowledgment,
	quietHoursRelease,
	renderTemplate,
	type AckContext,
	type MissedCall,
} from '../../core';
import { chicago, plumber } from '../helpers/fixtures';
import { runs } from '../helpers/runs';

function caseFor(from: string, at: string, extra: Partial<MissedCall> = {}) {
	const event: MissedCall = {
		type: 'missed-call',
		eventId: `twilio:CA${at}`,
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
		...extra,
	};
	return cases.newCase(event, at);
}

function ctx(now: string, extra: Partial<AckContext> = {}): AckContext {
	return { now, optedOut: false, sentToCallerLast24h: [], businessSentLastHour: 0, lineType: 'mobile', ...extra };
}

describe('acknowledgment', () => {
	const p = plumber();
	const noon = chicago('2026-11-25T12:00');

	test('a business-hours missed call gets the business-hours text from the called number', () => {
		const plan = planAcknowledgment(p, caseFor('+13125550123', noon), ctx(noon));
		expect(plan).toMatchObject({
			action: 'send',
			to: '+13125550123',
			from: '+13125550199',
			channel: 'sms',
			variant: 'business-hours',
			segments: 1,
			encoding: 'GSM-7',
		});
		if (plan.action === 'send')
			expect(plan.body).toBe(
				"Acme Plumbing: sorry we missed your call. We'll call you back soon. Reply with what you need. Reply STOP " +
					'to opt out.',
			);
	});

	test('an after-hours call says when the business opens; a holiday call names the holiday', () => {
		const evening = chicago('2026-11-25T18:30');
		const plan = planAcknowledgment(p, { ...caseFor('+13125550123', evening), timing: 'after-hours' }, ctx(evening));
		expect(plan.action === 'send' && plan.body).toContain('We open tomorrow at 8:00 AM and will call you back then.');
		const xmas = chicago('2026-12-25T10:00');
		const h = planAcknowledgment(p, { ...caseFor('+13125550123', xmas), timing: 'holiday' }, ctx(xmas));
		expect(h.action === 'send' && h.body).toContain('Closed for Christmas; we open Monday at 8:00 AM.');
	});

	test('the booking link carries the case id, so the booking webhook can close the right case', () => {
		const withLink = plumber({ bookingUrl: 'https://cal.com/acme-plumbing/visit?metadata[caseId]={caseId}' });
		const c = caseFor('+13125550123', noon);
		const plan = planAcknowledgment(withLink, c, ctx(noon));
		expect(plan.action === 'send' && plan.body).toContain(
			`book at https://cal.com/acme-plumbing/visit?metadata[caseId]=${c.caseId}.`,
		);
	});

	test('a template without the business name or STOP gets both added', () => {
		const bare = plumber({ messages: { businessHours: 'We will call you back.' } });
		const plan = planAcknowledgment(bare, caseFor('+13125550123', noon), ctx(noon));
		expect(plan.action === 'send' && plan.body).toBe('Acme Plumbing: We will call you back. Reply STOP to opt out.');
	});

	test.each([
		[{ optedOut: true }, 'opted-out'],
		[{ lineType: 'landline' as const }, 'landline'],
		[{ lastAckAt: chicago('2026-11-25T11:30') }, 'already-acknowledged'],
		[{ businessSentLastHour: 100 }, 'cap-reached'],
		[{ businessSentLastDay: 500 }, 'cap-reached'],
		[
			{ sentToCallerLast24h: ['a', 'b', 'c', 'd', 'e'].map((_, i) => chicago(`2026-11-25T0${i}:00`)) },
			'caller-cap-reached',
		],
	])('context %j is skipped as %s, with a reason', (extra, reason) => {
		const plan = planAcknowledgment(p, caseFor('+13125550123', noon), ctx(noon, extra));
		expect(plan).toMatchObject({ action: 'skip', reason });
		expect(plan.action === 'skip' && plan.detail.length).toBeGreaterThan(15);
	});

	test('just under each cap still sends: the caps are limits, not off-by-one refusals', () => {
		const under = ctx(noon, {
			businessSentLastHour: 99,
			businessSentLastDay: 499,
			sentToCallerLast24h: ['a', 'b', 'c', 'd'].map((_, i) => chicago(`2026-11-25T0${i}:00`)),
		});
		expect(planAcknowledgment(p, caseFor('+13125550123', noon), under).action).toBe('send');
	});

	test('a caller from outside the allowed countries is not texted (SMS pumping guard)', () => {
		expect(planAcknowledgment(p, caseFor('+447700900123', noon), ctx(noon))).toMatchObject({
			action: 'skip',
			reason: 'country-not-allowed',
		});
	});

	test('a short-abandoned call is not texted unless the business asks', () => {
		const c = caseFor('+13125550123', noon, { reason: 'short-abandoned', durationSec: 2 });
		expect(planAcknowledgment(p, c, ctx(noon))).toMatchObject({ action: 'skip', reason: 'short-abandoned' });
		expect(planAcknowledgment(plumber({ acknowledgment: { textShortCalls: true } }), c, ctx(noon)).action).toBe('send');
	});

	test('the acknowledgment window: a second call 13 hours later is texted again', () => {
		const later = chicago('2026-11-26T13:00');
		expect(planAcknowledgment(p, caseFor('+13125550123', later), ctx(later, { lastAckAt: noon })).action).toBe('send');
	});

	test(`quiet hours are the caller's local time: a 21:30 Chicago call from a Los Angeles number (19:30 \
there) goes now`, () => {
		const late = chicago('2026-11-25T21:30');
		expect(planAcknowledgment(p, caseFor('+14155550123', late), ctx(late)).action).toBe('send');
		const chi = planAcknowledgment(p, caseFor('+13125550123', late), ctx(late));
		expect(chi).toMatchObject({ action: 'defer', sendAt: chicago('2026-11-26T08:00') });
	});

	test('Florida numbers: quiet from 20:00 and at most 3 messages in 24 hours, deferred not dropped', () => {
		const eightThirtyMiami = chicago('2026-11-25T19:30'); // 20:30 in Miami
		const plan = planAcknowledgment(p, caseFor('+13055550123', eightThirtyMiami), ctx(eightThirtyMiami));
		expect(plan).toMatchObject({ action: 'defer' });
		expect(plan.action === 'defer' && plan.reason).toMatch(/quiet hours.*FL.*08:00-20:00/);
		const sent = ['2026-11-25T14:00:00.000Z', '2026-11-25T15:00:00.000Z', '2026-11-25T16:00:00.000Z'];
		const r = quietHoursRelease(p, '+13055550123', '2026-11-25T18:00:00.000Z', sent);
		expect(r.at).toBe('2026-11-26T14:00:00.000Z');
		expect(r.why).toMatch(/FL allows 3 messages in 24 hours/);
	});

	test(`replyToCaller: send texts a caller at once at night; the business's own quiet hours and the \
3-in-24-hours limit still hold`, () => {
		const late = chicago('2026-11-25T23:30');
		const night = plumber({ acknowledgment: { quietHours: { enabled: false, replyToCaller: 'send' } } });
		expect(planAcknowledgment(night, caseFor('+13125550123', late), ctx(late)).action).toBe('send');
		// the default reads the law cautiously
		expect(planAcknowledgment(p, caseFor('+13125550123', late), ctx(late)).action).toBe('defer');
		const own = plumber({
			acknowledgment: { quietHours: { enabled: true, start: '22:00', end: '07:00', replyToCaller: 'send' } },
		});
		expect(planAcknowledgment(own, caseFor('+13125550123', late), ctx(late))).toMatchObject({
			action: 'defer',
			sendAt: chicago('2026-11-26T07:00'),
		});
		const sent = ['2026-11-25T14:00:00.000Z', '2026-11-25T15:00:00.000Z', '2026-11-25T16:00:00.000Z'];
		expect(quietHoursRelease(night, '+13055550123', '2026-11-25T18:00:00.000Z', sent)).toMatchObject({
			at: '2026-11-26T14:00:00.000Z',
			why: expect.stringMatching(/FL allows 3/),
		});
	});

	test('GSM-7 and UCS-2 segments', () => {
		expect(countSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
		expect(countSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
		expect(countSegments('{'.repeat(80))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
		expect(countSegments('😀'.repeat(35))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
		expect(countSegments('é'.repeat(71)).encoding).toBe('GSM-7');
		expect(countSegments('ş'.repeat(71))).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 });
	});

	test('keywords: STOP and its synonyms, START, HELP', () => {
		for (const w of ['STOP', 'stop', 'Stopall', 'UNSUBSCRIBE', 'cancel', 'END', 'quit', 'revoke', 'optout'])
			expect(keywordOf(w)).toBe('stop');
		for (const w of ['START', 'unstop', 'yes']) expect(keywordOf(w)).toBe('start');
		expect(keywordOf('help')).toBe('help');
		expect(keywordOf('please stop by tomorrow')).toBeUndefined();
	});

	test('property: caller-provided text in a template value is inserted as text, never parsed as a template', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 200 }), (text) => {
				const out = renderTemplate('Voicemail: "{{transcript}}"', {
					transcript: text,
					business: { name: 'SECRET-NAME' },
				});
				expect(out).not.toContain('SECRET-NAME');
				if (!/\s/.test(text)) expect(out).toContain(text);
			}),
			{ numRuns: runs(3000) },
		);
		expect(renderTemplate('{{transcript}}', { transcript: '{{business.name}}', business: { name: 'Acme' } })).toBe(
			'{{business.name}}',
		);
	});

	test('property: segment counts match the character budget', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 500 }), (s) => {
				const c = countSegments(s);
				const per = c.encoding === 'GSM-7' ? (c.units <= 160 ? 160 : 153) : c.units <= 70 ? 70 : 67;
				expect(c.segments).toBe(Math.max(1, Math.ceil(c.units / per)));
			}),
			{ numRuns: runs(3000) },
		);
	});

	test('the default caller texts fit one segment for a 20-character name; a long one is flagged with its count', () => {
		const week = new Date('2026-12-21T15:00:00Z');
		const typical = plumber({ name: 'Lakeside Plumbing Co', emergencyLine: '+13125550911' });
		const costs = callerTextCosts(typical, week);
		expect(costs.map((c) => c.message).sort()).toEqual(['afterHours', 'businessHours', 'holiday', 'missedEarlier']);
		for (const c of costs)
			expect({ message: c.message, segments: c.segments }).toEqual({ message: c.message, segments: 1 });
		const long = plumber({
			name: 'Northside Heating, Cooling and Plumbing',
			bookingUrl: 'https://cal.com/northside/visit',
		});
		const summary = describeTextCosts(callerTextCosts(long, week));
		expect(summary).toMatch(/businessHours 2 segments \(\d+ GSM-7 characters: shorten it/);
	});
});
