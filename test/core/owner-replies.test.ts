import { parseOwnerCommand } from '../../core/owner';
import { simulateWeek, type WeekResult } from '../../sim/week';

/**
 * The owner's side of the loop played through the core on a virtual clock (issue #21): the owner claims from the
 * alert, the caller's reply reaches them, their answer reaches the caller from the business number, CALL bridges,
 * BOOKED closes, PASS hands on, and a relay to a caller who said STOP is refused with the reason.
 */
const ANA = '+13125550111';
const BEN = '+13125550112';
const profile = {
	businessId: 'lakeside',
	name: 'Lakeside Plumbing',
	timeZone: 'America/Chicago',
	numbers: ['+13125550199'],
	trade: 'plumbing',
	roster: [
		{
			id: 'ana',
			name: 'Ana',
			phone: ANA,
			onCall: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '00:00', to: '24:00' }],
		},
		{ id: 'ben', name: 'Ben', phone: BEN },
	],
	routing: { strategy: 'on-call', fallback: ['ana'], escalation: ['ben'] },
};

let week: WeekResult;
beforeAll(async () => {
	week = await simulateWeek({
		name: 'owners who answer',
		profile,
		start: '2026-12-21',
		days: 1,
		tickMinutes: 1,
		events: [
			{ at: 'Mon 10:00', call: { from: '+13125550123', voicemail: 'The water heater is making a banging noise' } },
			{ at: 'Mon 10:05', text: { from: ANA, body: 'OK' } },
			{ at: 'Mon 10:10', text: { from: '+13125550123', body: 'Can you come at 3?' } },
			{ at: 'Mon 10:12', text: { from: ANA, body: 'Yes, 3pm works, see you then' } },
			{ at: 'Mon 10:20', text: { from: ANA, body: 'CALL' } },
			{ at: 'Mon 11:00', text: { from: ANA, body: 'Booked flush and anode' } },
			{ at: 'Mon 12:00', call: { from: '+13125550124' } },
			{ at: 'Mon 12:01', text: { from: '+13125550124', body: 'STOP' } },
			{ at: 'Mon 12:10', text: { from: ANA, body: 'Hello, when suits you?' } },
			{ at: 'Mon 12:20', text: { from: ANA, body: 'pass' } },
			{ at: 'Mon 12:30', text: { from: ANA, body: 'booked 0000ffff' } },
		],
	});
}, 120_000);

const to = (n: string) => week.texts.filter((t) => t.to === n).map((t) => t.body);
const caseOf = (caller: string) => week.cases.find((c) => c.caller === caller)!;

test("the owner's commands read as a pager's replies", () => {
	expect(parseOwnerCommand('1')).toEqual({ kind: 'claim' });
	expect(parseOwnerCommand('ok 1b17c34e')).toEqual({ kind: 'claim', caseCode: '1b17c34e' });
	expect(parseOwnerCommand('Called back, left a message')).toMatchObject({ kind: 'outcome', outcome: 'called-back' });
	expect(parseOwnerCommand('#1b17 lost went elsewhere')).toMatchObject({
		kind: 'outcome',
		outcome: 'lost',
		caseCode: '1b17',
	});
	expect(parseOwnerCommand('PASS')).toEqual({ kind: 'pass' });
	expect(parseOwnerCommand('1b17: running 10 min late')).toEqual({
		kind: 'relay',
		text: 'running 10 min late',
		caseCode: '1b17',
	});
	expect(parseOwnerCommand('Okay see you at 3')).toMatchObject({ kind: 'relay' });
	expect(parseOwnerCommand('On my way #1b17')).toEqual({ kind: 'relay', text: 'On my way', caseCode: '1b17' });
	expect(parseOwnerCommand('Face it, the pipe is old')).toEqual({ kind: 'relay', text: 'Face it, the pipe is old' });
	// A code of letters only (about one case id in 2,600) is read when marked with #, never when bare.
	expect(parseOwnerCommand('#abcdefab booked')).toMatchObject({ kind: 'outcome', caseCode: 'abcdefab' });
	expect(parseOwnerCommand('faded booked')).toMatchObject({ kind: 'relay' });
});

test('OK claims the case: escalation stops and the owner is told', () => {
	const c = caseOf('+13125550123');
	expect(c.claimedBy).toBe('ana');
	expect(to(ANA)).toContainEqual(expect.stringMatching(/^Case [0-9a-f]{8} is yours: \(312\) 555-0123\./));
	// The 10:00 normal case was due at 14:00; it was claimed, so Ben was never texted about it.
	expect(to(BEN).filter((b) => b.includes(c.caseId.slice(0, 8)))).toEqual([]);
});

test("the caller's reply reaches the owner, and the owner's answer reaches the caller from the business number", () => {
	const c = caseOf('+13125550123');
	expect(to(ANA)).toContainEqual(expect.stringContaining(`(case ${c.caseId.slice(0, 8)}): "Can you come at 3?"`));
	const answer = week.texts.find((t) => t.to === '+13125550123' && t.body.includes('3pm works'))!;
	expect(answer.body).toBe('Lakeside Plumbing: Yes, 3pm works, see you then');
	expect(answer.from).toBe('+13125550199');
	expect(c.thread.map((t) => [t.from, t.status])).toEqual([
		['caller', 'relayed'],
		['owner', 'relayed'],
	]);
});

test('CALL places the bridge, and BOOKED closes the case with the note', () => {
	const c = caseOf('+13125550123');
	expect(c.attempts.some((a) => a.channel === 'call' && a.note?.startsWith('bridge call'))).toBe(true);
	expect(to(ANA)).toContainEqual(expect.stringMatching(/^Calling you now; when you answer, we dial \(312\) 555-0123/));
	expect(c.state).toBe('recovered');
	expect(c.outcome).toMatchObject({ kind: 'booked', note: 'by Ana by text: flush and anode' });
});

test('a relay to a caller who said STOP is refused and the owner is told why; PASS hands the case on', () => {
	const c = caseOf('+13125550124');
	expect(to('+13125550124').some((b) => b.includes('when suits you'))).toBe(false);
	expect(to(ANA)).toContainEqual(expect.stringMatching(/^Not sent to \(312\) 555-0124: they opted out of texts/));
	expect(c.thread).toEqual([expect.objectContaining({ from: 'owner', status: 'refused' })]);
	expect(c.owner?.id).toBe('ben');
	expect(to(BEN)).toContainEqual(expect.stringMatching(/^\[Escalated to you, level 1\].*was Ana's/));
	expect(to(ANA)).toContainEqual(`Case ${c.caseId.slice(0, 8)} passed to Ben.`);
	// A code that names no case of hers gets the list of commands, and changes nothing.
	expect(to(ANA)[to(ANA).length - 1]).toMatch(/^Not done: no open case of yours has the code 0000ffff\. Reply 1 or OK/);
});
