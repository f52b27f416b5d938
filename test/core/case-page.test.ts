import { caseLinkKey, signCaseLink, verifyCaseLink } from '../../core/case-page';
import { answerWebhook, RecoveryLoop, type TriggerConfig } from '../../core';
import { AUTH_TOKEN, plumber } from '../helpers/fixtures';
import { loopBench } from '../helpers/loop-bench';

const BASE = 'https://hooks.example.test/webhook/mcr/missed-call';

describe('case-page links', () => {
	const key = caseLinkKey(AUTH_TOKEN);
	const claims = { caseId: '1b17c34e-0a5b-4c1d-9e2f-3a4b5c6d7e8f', ownerId: 'ana', exp: 1_900_000_000, rev: 0 };

	test('a link names one case and one owner, is short, and reads back', () => {
		const token = signCaseLink(key, claims);
		expect(token.length).toBeLessThanOrEqual(64);
		expect(verifyCaseLink(key, token, new Date('2026-12-01T00:00:00Z'))).toEqual({ ok: true, claims });
	});

	test('an altered, foreign, truncated or expired link is refused, saying which', () => {
		const token = signCaseLink(key, claims);
		const now = new Date('2026-12-01T00:00:00Z');
		// Another owner's id in an otherwise valid token: the signature no longer matches.
		const mine = Buffer.from(token, 'base64url');
		const bens = Buffer.from(signCaseLink(key, { ...claims, ownerId: 'ben' }), 'base64url');
		const spliced = Buffer.concat([bens.subarray(0, -16), mine.subarray(-16)]).toString('base64url');
		expect(verifyCaseLink(key, spliced, now)).toMatchObject({ ok: false, why: 'altered' });
		const flipped = token.slice(0, 5) + (token[5] === 'A' ? 'B' : 'A') + token.slice(6);
		expect(verifyCaseLink(key, flipped, now)).toMatchObject({ ok: false, why: 'altered' });
		expect(verifyCaseLink(caseLinkKey('another-auth-token-000000000000'), token, now)).toMatchObject({
			ok: false,
			why: 'altered',
		});
		expect(verifyCaseLink(key, token.slice(0, 30), now)).toMatchObject({ ok: false, why: 'malformed' });
		expect(verifyCaseLink(key, '<script>', now)).toMatchObject({ ok: false, why: 'malformed' });
		expect(verifyCaseLink(key, token, new Date(claims.exp * 1000))).toMatchObject({ ok: false, why: 'expired' });
	});
});

describe('the case page an owner alert links to', () => {
	const profile = plumber({ routing: { strategy: 'round-robin', fallback: ['ana'], escalation: ['ben'] } });
	const b = loopBench(() => profile, {
		start: '2026-11-25T10:00',
		tmpPrefix: 'mcr-case-page-',
		deps: { caseLinks: { baseUrl: BASE, secret: AUTH_TOKEN } },
	});

	/** The link in the latest text to this owner phone. */
	function linkTo(phone: string): string {
		const text = [...b.sim.messages].reverse().find((m) => m.to === phone)!;
		const url = /https:\/\/\S+/.exec(text.body)![0];
		expect(url.startsWith(`${BASE}?case=`)).toBe(true);
		return new URL(url).searchParams.get('case')!;
	}
	const nonceOf = (html: string) => /name="nonce" value="([^"]+)"/.exec(html)![1];
	const press = async (token: string, action: string, nonce?: string) => {
		const page = await b.loop.casePage({ method: 'GET', token });
		return b.loop.casePage({ method: 'POST', token, form: { action, nonce: nonce ?? nonceOf(page.body) } });
	};

	test('the alert carries a link to a page with what the owner needs, escaped', async () => {
		const r = await b.loop.run(b.missed('+13125550170', { CallerName: 'Maria <b>Lopez</b>' }));
		const alert = b.sim.messages.find((m) => m.to === '+13125550111')!;
		expect(alert.body).toContain('(312) 555-0170 (Maria <b>Lopez</b>)');
		const page = await b.loop.casePage({ method: 'GET', token: linkTo('+13125550111') });
		expect(page).toMatchObject({ status: 200, contentType: 'text/html; charset=utf-8' });
		expect(page.body).toContain('Acme Plumbing');
		expect(page.body).toContain(`Case ${r.case.caseId.slice(0, 8)}`);
		expect(page.body).toContain('href="tel:+13125550170"');
		expect(page.body).toContain('Maria &lt;b&gt;Lopez&lt;&#x2F;b&gt;');
		expect(page.body).not.toContain('<b>Lopez');
		expect(page.body).not.toMatch(/<script/i);
		for (const label of ['Take it', 'Call me, then connect the caller', 'Booked', 'Called back', 'Lost', 'Pass'])
			expect(page.body).toContain(label);
	});

	test('buttons act once each: take it, then booked closes the case', async () => {
		const r = await b.loop.run(b.missed('+13125550171'));
		const token = linkTo('+13125550111');
		const claimed = await press(token, 'claim');
		expect(claimed.status).toBe(200);
		expect(claimed.body).toContain('is yours');
		expect(claimed.body).not.toContain('Take it');
		expect((await b.store.getCase(r.case.caseId))!.claimedBy).toBe('ana');
		const page = await b.loop.casePage({ method: 'GET', token });
		const nonce = nonceOf(page.body);
		const booked = await press(token, 'booked', nonce);
		expect(booked.body).toContain('closed: booked');
		// The same form sent again (a double tap, a browser resend) does nothing more.
		const again = await press(token, 'lost', nonce);
		expect(again.body).toContain('already done');
		const c = (await b.store.getCase(r.case.caseId))!;
		expect(c.state).toBe('recovered');
		expect(c.outcome).toMatchObject({ kind: 'booked', note: 'by Ana on the case page' });
		expect(booked.body).not.toContain('name="action"');
	});

	test('pass hands the case on: the old link is refused, the new owner gets a working one', async () => {
		const r = await b.loop.run(b.missed('+13125550172'));
		const anas = linkTo('+13125550111');
		expect((await press(anas, 'pass')).body).toContain('passed to Ben');
		const old = await b.loop.casePage({ method: 'GET', token: anas });
		expect(old.status).toBe(403);
		expect(old.body).toContain('It is Ben&#39;s now');
		const bens = linkTo('+13125550112');
		const page = await b.loop.casePage({ method: 'GET', token: bens });
		expect(page.status).toBe(200);
		expect(page.body).toContain(r.case.caseId.slice(0, 8));
	});

	test('revoked, expired, altered links and bad requests are refused with the reason', async () => {
		const r = await b.loop.run(b.missed('+13125550173'));
		const token = linkTo('+13125550111');
		const bad = await b.loop.casePage({ method: 'POST', token, form: { action: 'delete', nonce: 'x' } });
		expect(bad.status).toBe(400);
		expect(bad.body).toContain('The field action is &quot;delete&quot;');
		const noNonce = await b.loop.casePage({ method: 'POST', token, form: { action: 'booked' } });
		expect(noNonce.status).toBe(400);
		expect(noNonce.body).toContain('nonce');
		expect(await b.loop.casePage({ method: 'PUT', token })).toMatchObject({ status: 405, allow: 'GET, POST' });
		const flipped = token.slice(0, 8) + (token[8] === 'A' ? 'B' : 'A') + token.slice(9);
		expect((await b.loop.casePage({ method: 'GET', token: flipped })).status).toBe(403);
		b.later(169 * 60);
		const expired = await b.loop.casePage({ method: 'GET', token });
		expect(expired.status).toBe(403);
		expect(expired.body).toContain('expired');
		b.later(-168 * 60);
		await b.loop.revokeCaseLinks(r.case.caseId);
		const revoked = await b.loop.casePage({ method: 'GET', token });
		expect(revoked.status).toBe(403);
		expect(revoked.body).toContain('withdrawn');
		expect((await b.store.getCase(r.case.caseId))!.state).toBe('assigned');
	});

	test('without case links configured, alerts carry none and pages answer 404', async () => {
		const plain = new RecoveryLoop({ ...b.loop.deps, caseLinks: undefined });
		await plain.run(b.missed('+13125550174', { CallerName: 'WIRELESS CALLER' }));
		const alert = b.sim.messages.find((m) => m.to === '+13125550111')!;
		expect(alert.body).not.toContain('http');
		expect(alert.body).not.toContain('WIRELESS');
		expect((await plain.casePage({ method: 'GET', token: 'x'.repeat(60) })).status).toBe(404);
	});

	/** The trigger whose webhook URL serves the case pages. */
	const cfg: TriggerConfig = {
		provider: 'twilio',
		mode: 'forward',
		voicemail: true,
		validateSignature: true,
		secret: AUTH_TOKEN,
		normalize: { businessId: 'acme-plumbing' },
		replyToKeywords: true,
	};

	test("the trigger's own webhook URL serves the page (GET) and its buttons (a form POST), unsigned", async () => {
		const r = await b.loop.run(b.missed('+13125550175'));
		const token = linkTo('+13125550111');
		const url = `${BASE}?case=${token}`;
		const got = await answerWebhook({ url, method: 'GET', headers: {}, body: undefined }, cfg, b.loop);
		expect(got.status).toBe(200);
		expect(got.contentType).toMatch(/text\/html/);
		const form = `action=claim&nonce=${nonceOf(got.body)}`;
		const headers = { 'content-type': 'application/x-www-form-urlencoded' };
		const posted = await answerWebhook({ url, method: 'POST', headers, body: undefined, rawBody: form }, cfg, b.loop);
		expect(posted.status).toBe(200);
		expect((await b.store.getCase(r.case.caseId))!.claimedBy).toBe('ana');
		// Without a case token the same URL is still Twilio's, and an unsigned request is refused.
		const forged = await answerWebhook({ url: BASE, method: 'POST', headers, body: { From: '+1' } }, cfg, b.loop);
		expect(forged.status).toBe(403);
		const altered = await answerWebhook({ url: `${url}x`, method: 'GET', headers: {}, body: undefined }, cfg, b.loop);
		expect(altered.status).toBe(403);
	});

	test('a method the page does not take is a 405 whose Allow header the runtimes send (RFC 9110 §15.5.6)', async () => {
		await b.loop.run(b.missed('+13125550176'));
		const url = `${BASE}?case=${linkTo('+13125550111')}`;
		// HEAD is what Express routes to a GET route, as Node-RED's is: a link previewer's HEAD reaches the page.
		for (const method of ['HEAD', 'PUT']) {
			const a = await answerWebhook({ url, method, headers: {}, body: undefined }, cfg, b.loop);
			expect(a).toMatchObject({ status: 405, headers: { allow: 'GET, POST' } });
		}
		const ok = await answerWebhook({ url, method: 'GET', headers: {}, body: undefined }, cfg, b.loop);
		expect(ok.headers).toBeUndefined();
	});
});
