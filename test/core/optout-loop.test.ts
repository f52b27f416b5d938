import { simulateWeek } from '../../sim/week';

/** Opt-out as the loop lives it: said in a voicemail, and a "YES" that answers a question rather than re-subscribes. */
const profile = {
	businessId: 'lakeside',
	name: 'Lakeside Plumbing',
	timeZone: 'America/Chicago',
	numbers: ['+13125550199'],
	trade: 'plumbing',
	roster: [{ id: 'ana', name: 'Ana', phone: '+13125550111' }],
	routing: { fallback: ['ana'] },
};

test(`a voicemail that says stop texting me opts the caller out, confirms once, and tells the \
owner to call`, async () => {
	const week = await simulateWeek({
		name: 'voicemail revocation',
		profile,
		start: '2026-12-21',
		days: 2,
		tickMinutes: 5,
		events: [
			{
				at: 'Mon 10:00',
				call: { from: '+13125550123', voicemail: 'my faucet drips, call me back but please stop texting me' },
			},
			{ at: 'Tue 11:00', call: { from: '+13125550123', voicemail: 'calling again about the faucet' } },
		],
	});
	const toCaller = week.texts.filter((t) => t.to === '+13125550123');
	// The acknowledgment went out at the call, before the words; then one confirmation; nothing on the second call.
	expect(toCaller.map((t) => t.body)).toEqual([
		expect.stringContaining('sorry we missed your call'),
		'You have been unsubscribed from Lakeside Plumbing and will receive no more messages. Reply START to resubscribe.',
	]);
	const first = week.cases.find((c) => c.calls[0].voicemail?.transcript?.includes('stop texting'))!;
	expect(first.flags).toEqual(expect.arrayContaining(['opted-out', 'opted-out-by-voicemail']));
	const owner = week.texts.filter((t) => t.audience === 'owner' && t.body.includes(first.caseId.slice(0, 8)));
	expect(owner[0].body).toMatch(/Caller opted out of texts: call only\.$/);
});

test('"YES" from a caller who never opted out is a reply on the case, not a re-subscription', async () => {
	const week = await simulateWeek({
		name: 'yes as a reply',
		profile,
		start: '2026-12-21',
		days: 1,
		tickMinutes: 5,
		events: [
			{ at: 'Mon 10:00', call: { from: '+13125550124' } },
			{ at: 'Mon 10:05', text: { from: '+13125550124', body: 'Yes' } },
		],
	});
	expect(week.texts.filter((t) => t.to === '+13125550124' && t.kind === 'keyword-reply')).toEqual([]);
	expect(week.cases[0].replies.map((r) => r.body)).toEqual(['Yes']);
});

test(`one confirmation however often, and however, a caller opts out: STOP, "stop please", a voicemail, \
"Stop texting me"`, async () => {
	const caller = '+13125550125';
	const week = await simulateWeek({
		name: 'one confirmation',
		profile,
		start: '2026-12-21',
		days: 1,
		tickMinutes: 5,
		events: [
			{ at: 'Mon 10:00', call: { from: caller } },
			{ at: 'Mon 10:05', text: { from: caller, body: 'STOP' } },
			{ at: 'Mon 10:10', text: { from: caller, body: 'stop please' } },
			{ at: 'Mon 10:15', call: { from: caller, voicemail: 'I said stop texting me, just call' } },
			{ at: 'Mon 10:20', text: { from: caller, body: 'Stop texting me' } },
		],
	});
	const toCaller = week.texts.filter((t) => t.to === caller);
	expect(toCaller.map((t) => t.body)).toEqual([
		expect.stringContaining('sorry we missed your call'),
		'You have been unsubscribed from Lakeside Plumbing and will receive no more messages. Reply START to resubscribe.',
	]);
});
