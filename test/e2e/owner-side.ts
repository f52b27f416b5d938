import type { RecoveryStore } from '../../core';
import { caseLinkKey, signCaseLink } from '../../core/case-page';
import type { TwilioSim } from '../../sim/twilio-server';
import { openChromium, screenshotPath } from './browser';
import { waitFor } from './harness';

/**
 * The owner's side of the loop as a real runtime plays it, the same script for n8n and Node-RED: a missed call; the
 * owner's "1" (escalation stops); the caller's reply forwarded to the owner; the owner's answer relayed to the caller
 * from the business number; CALL placing the bridge; a relay refused after the caller's STOP; the case page at phone
 * size in Chromium, its Booked button closing the case; an altered link refused.
 */
export async function playOwnerSide(o: {
	sim: TwilioSim;
	hook: string;
	store: RecoveryStore;
	business: string;
	caller: string;
	screenshot: string;
	authToken: string;
}): Promise<void> {
	const { sim, hook, store, business, caller } = o;
	await o.sim.placeCall({ webhookUrl: hook, from: caller, to: business, say: 'the kitchen sink is dripping a little' });
	const c0 = await waitFor(
		'the owner alert',
		async () => {
			const c = (await store.listCases({ caller }))[0];
			return c?.alerts.some((a) => a.kind === 'new-case' && a.status === 'sent') ? c : undefined;
		},
		30000,
	);
	const owner = c0.owner!;
	const code = c0.caseId.slice(0, 8);
	const alert = sim.messages.find((m) => m.to === owner.phone && m.body.includes(code))!;
	const link = /https?:\/\/\S+/.exec(alert.body)?.[0];
	expect(link).toBeTruthy();

	// "1": the case is the owner's, and escalation stops.
	const claim = await sim.sendSms(hook, owner.phone!, business, '1');
	expect(claim.body).toContain(`Case ${code} is yours`);
	expect((await store.getCase(c0.caseId))!.claimedBy).toBe(owner.id);

	// The caller's reply reaches the owner with the case code; the owner's answer reaches the caller from the
	// business number, never from the owner's own.
	await sim.sendSms(hook, caller, business, 'Thursday after 3 works for me');
	await waitFor('the reply forwarded to the owner', async () =>
		sim.messages.find((m) => m.to === owner.phone && m.body.includes('Thursday after 3 works for me')),
	);
	const answered = await sim.sendSms(hook, owner.phone!, business, 'See you Thursday at 3:30');
	expect(answered.body).toContain('Sent to');
	const relayed = await waitFor('the answer relayed to the caller', async () =>
		sim.messages.find((m) => m.to === caller && m.body.includes('See you Thursday at 3:30')),
	);
	expect(relayed.from).toBe(business);

	// CALL: Twilio rings the owner, then dials the caller from the business number.
	const calls = sim.calls.length;
	const call = await sim.sendSms(hook, owner.phone!, business, 'CALL');
	expect(call.body).toContain('Calling you now');
	expect(sim.calls.slice(calls).some((k) => k.to === owner.phone)).toBe(true);

	// After the caller's STOP, an answer is refused and the owner is told why.
	await sim.sendSms(hook, caller, business, 'STOP');
	const refused = await sim.sendSms(hook, owner.phone!, business, 'Are you still there?');
	expect(refused.body).toMatch(/Not sent to .*opted out/i);
	expect(sim.messages.filter((m) => m.to === caller && m.body.includes('still there'))).toHaveLength(0);

	// The case page at 390 px: what the owner needs, and Booked closes the case.
	const { context, close } = await openChromium({ width: 390, height: 844 });
	try {
		const page = await context.newPage();
		const res = await page.goto(link!);
		expect(res?.status()).toBe(200);
		expect(await page.textContent('body')).toContain(code);
		const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
		expect(width).toBeLessThanOrEqual(390);
		await page.screenshot({ path: screenshotPath('case-page', o.screenshot), fullPage: true });
		await page.click('button:has-text("Booked")');
		await page.waitForSelector('text=closed: booked');
		expect(await page.locator('button').count()).toBe(0);
	} finally {
		await close();
	}
	const closed = (await store.getCase(c0.caseId))!;
	expect(closed.state).toBe('recovered');
	expect(closed.outcome).toMatchObject({ kind: 'booked' });

	// A link with one character changed is refused; so is one past its expiry (made here with the key the runtime
	// derives from the Auth Token, as an old alert's link would be).
	const token = new URL(link!).searchParams.get('case')!;
	const altered = link!.replace(token, `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`);
	const r = await fetch(altered);
	expect(r.status).toBe(403);
	expect(await r.text()).toContain('cannot be used');
	const exp = Math.floor(Date.now() / 1000) - 60;
	const old = signCaseLink(caseLinkKey(o.authToken), { caseId: c0.caseId, ownerId: owner.id, exp, rev: 0 });
	const expired = await fetch(link!.replace(token, old));
	expect(expired.status).toBe(403);
	expect(await expired.text()).toContain('expired');

	// BOOKED by text, after the case code, closes that case.
	const next = '+1' + String(Number(caller.slice(2)) + 100);
	await sim.placeCall({ webhookUrl: hook, from: next, to: business, say: 'my drain is slow' });
	const c1 = await waitFor(
		'the second case owned',
		async () => {
			const c = (await store.listCases({ caller: next }))[0];
			return c?.owner ? c : undefined;
		},
		30000,
	);
	const booked = await sim.sendSms(hook, c1.owner!.phone!, business, `#${c1.caseId.slice(0, 8)} BOOKED Friday 9am`);
	expect(booked.body).toContain(`Case ${c1.caseId.slice(0, 8)} closed: booked`);
	expect((await store.getCase(c1.caseId))!.outcome).toMatchObject({ kind: 'booked' });
}
