import { normalize } from '../../core';
import { simulateWeek, type WeekResult } from '../../sim/week';
import { plumber } from '../helpers/fixtures';
import { loopBench } from '../helpers/loop-bench';

/**
 * A caller's reply to the text-back can reveal what the call did not ("I can smell gas now"): the case is classified
 * again with it, and a raised urgency reaches the owner as the voicemail's words would (an [EMERGENCY] alert with the
 * tighter deadline) and the caller gets the trade's safety step. A reply that raises nothing costs the owner only the
 * relayed reply. Played through the core on a virtual clock, the way every template's trigger delivers a reply.
 */
const ANA = '+13125550111';
const BEN = '+13125550112';
const GAS = '+13125550131';
const CALM = '+13125550132';
const profile = {
	businessId: 'lakeside',
	name: 'Lakeside Plumbing',
	timeZone: 'America/Chicago',
	numbers: ['+13125550199'],
	trade: 'plumbing',
	emergencyLine: '+13125550177',
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
		name: 'replies that say more',
		profile,
		start: '2026-12-21',
		days: 1,
		tickMinutes: 1,
		events: [
			{ at: 'Mon 10:00', call: { from: GAS, voicemail: 'Hi, the water heater is making a clicking noise, call me' } },
			{ at: 'Mon 10:20', text: { from: GAS, body: 'Actually I can smell gas near it now' } },
			{ at: 'Mon 11:00', call: { from: CALM, voicemail: 'The bathroom faucet drips, call me back please' } },
			{ at: 'Mon 11:10', text: { from: CALM, body: 'Tomorrow morning is fine, no rush' } },
		],
	});
}, 120_000);

const texts = (to: string, from: string) =>
	week.texts.filter((t) => t.to === to && Date.parse(t.at) >= Date.parse(from)).map((t) => t.body);
const caseOf = (caller: string) => week.cases.find((c) => c.caller === caller)!;

test('a reply naming a gas smell raises the case: the owner gets the emergency, the caller the safety step', () => {
	const c = caseOf(GAS);
	expect(c.urgency).toBe('emergency');
	expect(c.reasons.join('\n')).toMatch(/gas/);
	const afterReply = '2026-12-21T16:20:00.000Z'; // Mon 10:20 in Chicago
	const ana = texts(ANA, afterReply);
	expect(ana[0]).toMatch(/^Reply from \(312\) 555-0131/);
	expect(ana.find((t) => t.startsWith('[EMERGENCY]'))).toBeDefined();
	const gas = texts(GAS, afterReply);
	expect(gas.join('\n')).toMatch(/gas/i);
	expect(gas.join('\n')).toContain('+13125550177');
	// The alert says why: the words that made it an emergency, not only the voicemail that did not.
	expect(ana.find((t) => t.startsWith('[EMERGENCY]'))).toContain('They texted: "Actually I can smell gas near it now"');
});

test('a reply that raises nothing costs the owner only the relayed reply', () => {
	const c = caseOf(CALM);
	expect(c.urgency).not.toBe('emergency');
	const afterReply = '2026-12-21T17:10:00.000Z'; // Mon 11:10 in Chicago
	const ana = texts(ANA, afterReply).filter((t) => t.includes('555-0132') || t.includes(c.caseId.slice(0, 8)));
	expect(ana).toEqual([expect.stringMatching(/^Reply from \(312\) 555-0132/)]);
	expect(texts(CALM, afterReply)).toEqual([]);
});

describe("through inbound() alone, as every template's trigger delivers a reply (no stage wired after it)", () => {
	const b = loopBench(() => plumber({ emergencyLine: '+13125550177' }), {
		start: '2026-11-25T12:00',
		tmpPrefix: 'mcr-reply-reassess-',
	});
	let seq = 0;
	const reply = async (from: string, body: string) => {
		b.later(5);
		const n = normalize(
			'twilio',
			{ MessageSid: `SM${String(++seq).padStart(32, 'e')}`, From: from, To: '+13125550199', Body: body },
			{ businessId: 'acme-plumbing', now: () => b.clock },
		);
		if (n.kind !== 'inbound-message') throw new Error(n.kind);
		return b.loop.inbound(n.event);
	};
	const textsTo = (phone: string) => b.sim.messages.filter((m) => m.to === phone).map((m) => m.body);

	test('sparks named in a reply: emergency, the owner alerted and the caller given the safety step', async () => {
		const caller = '+13125550133';
		const opened = await b.loop.run(b.missed(caller));
		expect(opened.case.urgency).not.toBe('emergency');
		const owner = opened.case.owner!.phone!;
		const ownerHad = textsTo(owner).length;
		const callerHad = textsTo(caller).length;
		const r = await reply(caller, 'the outlet by the sink is sparking and smells like burning');
		expect(r.action).toBe('reply');
		expect(r.case).toMatchObject({ urgency: 'emergency' });
		const toOwner = textsTo(owner).slice(ownerHad);
		expect(toOwner).toHaveLength(2);
		expect(toOwner[0]).toMatch(/^Reply from/);
		expect(toOwner[1]).toMatch(/^\[EMERGENCY\]/);
		expect(toOwner[1]).toContain('They texted: "the outlet by the sink is sparking');
		expect(textsTo(caller).slice(callerHad)).toHaveLength(1);
	});
});
