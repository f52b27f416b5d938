import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	answerWebhook,
	buildReport,
	cases,
	normalize,
	openStore,
	ProviderError,
	RecoveryLoop,
	TwilioProvider,
	type MessagingProvider,
	type MissedCall,
	type RecoveryStore,
} from '../../core';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN, chicago, plumber } from '../helpers/fixtures';

describe('the recovery loop end to end in core: SQLite store, official SDK, local Twilio-compatible server', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	let dir: string;
	let store: RecoveryStore;
	let loop: RecoveryLoop;
	let clock: Date;
	let provider: MessagingProvider;
	let twilio: TwilioProvider;
	const profile = plumber();
	let seq = 0;

	function missed(from: string, extra: Partial<MissedCall> = {}): MissedCall {
		seq++;
		const n = normalize(
			'twilio',
			{
				AccountSid: ACCOUNT_SID,
				CallSid: `CA${String(seq).padStart(32, '0')}`,
				From: from,
				To: '+13125550199',
				DialCallStatus: 'no-answer',
				DialCallDuration: '0',
			},
			{ businessId: 'acme-plumbing', now: () => clock },
		);
		if (n.kind !== 'missed-call') throw new Error(n.kind);
		return { ...n.event, ...extra };
	}

	beforeAll(async () => {
		await sim.start();
	});
	afterAll(() => sim.stop());
	beforeEach(async () => {
		sim.reset();
		dir = mkdtempSync(join(tmpdir(), 'mcr-loop-'));
		store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
		clock = new Date(chicago('2026-11-25T12:00'));
		twilio = new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url });
		// The case must be in the store before any message leaves: checked at the moment of sending.
		provider = {
			sendMessage: async (req) => {
				const open = await store.findOpenCase('acme-plumbing', req.to);
				if (req.to !== '+13125550111' && req.to !== '+13125550112' && req.to !== '+13125550113' && !open)
					throw new Error(`message to ${req.to} before its case was stored`);
				return twilio.sendMessage(req);
			},
			findSentMessage: (r) => twilio.findSentMessage(r),
			lookupLineType: (p) => twilio.lookupLineType(p),
			placeCall: (r) => twilio.placeCall(r),
		};
		loop = new RecoveryLoop({
			store,
			provider,
			profileFor: (id) => (id === 'acme-plumbing' ? profile : undefined),
			now: () => clock,
			retry: { retries: 2, baseMs: 1, maxMs: 2 },
		});
	});
	afterEach(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	const toCaller = (n: string) => sim.messages.filter((m) => m.to === n);

	test('a missed call is stored, acknowledged, classified, routed and the owner alerted', async () => {
		const r = await loop.run(missed('+13125550123'));
		expect(r.duplicate).toBe(false);
		expect(toCaller('+13125550123')).toHaveLength(1);
		expect(toCaller('+13125550123')[0].body).toContain('Acme Plumbing');
		expect(r.case).toMatchObject({
			state: 'assigned',
			urgency: 'normal',
			serviceType: 'leak',
			timing: 'business-hours',
			ack: { status: 'sent' },
		});
		expect(r.case.owner).not.toBeNull();
		expect(r.case.dueAt).toBe(chicago('2026-11-25T16:00'));
		const alert = sim.messages.find((m) => m.to === r.case.owner!.phone);
		expect(alert?.body).toMatch(
			/^\[Normal\] Missed call from \(312\) 555-0123 \(leak, business-hours\)\. Call back by 4:00 PM today\./,
		);
	});

	test('calls routed at once share the leak pool in turn: each owner gets as many, each alerted once', async () => {
		// Ana and Cy take leaks. Six callers at the same moment: the turns and the routings are taken together.
		const callers = Array.from({ length: 6 }, (_, i) => `+1312555072${i}`);
		const runs = await Promise.all(callers.map((from) => loop.run(missed(from))));
		const owners = runs.map((r) => r.case.owner?.id);
		expect(owners.filter((o) => o === 'ana')).toHaveLength(3);
		expect(owners.filter((o) => o === 'cy')).toHaveLength(3);
		const alerts = sim.messages.filter((m) => m.to === '+13125550111' || m.to === '+13125550113');
		expect(alerts).toHaveLength(6);
	});

	test("the owner's deadline reads as tomorrow, or with its date past a weekend and a clock change", async () => {
		// Wednesday late afternoon: the routine deadline runs into Thursday's business hours.
		clock = new Date(chicago('2026-11-18T16:30'));
		const r1 = await loop.run(missed('+13125550123'));
		const alert1 = sim.messages.find((m) => m.to === r1.case.owner!.phone);
		expect(alert1?.body).toMatch(/Call back by \d{1,2}:\d{2} [AP]M tomorrow\./);
		// Friday late afternoon before the spring-forward Sunday: due on Monday, shown with its date.
		sim.reset();
		clock = new Date(chicago('2026-03-06T16:30'));
		const r2 = await loop.run(missed('+13125550124'));
		const alert2 = sim.messages.find((m) => m.to === r2.case.owner!.phone);
		expect(alert2?.body).toMatch(/Call back by \d{1,2}:\d{2} [AP]M Mon Mar 9\./);
	});

	test('an SMS pumping burst is held back and surfaced on the report, beside refused forgeries', async () => {
		const capped = plumber({ acknowledgment: { hourlyCap: 5, checkLineType: false } });
		const l = new RecoveryLoop({ ...loop.deps, profileFor: () => capped });
		// Premium-rate style numbers abroad, then a burst of US numbers past the hourly cap.
		for (let i = 0; i < 10; i++) await l.run(missed(`+44704${String(100000 + i)}`));
		for (let i = 0; i < 8; i++) await l.run(missed(`+1312555${String(2000 + i)}`));
		expect(sim.messages.filter((m) => m.to.startsWith('+44'))).toHaveLength(0);
		expect(sim.messages.filter((m) => m.to.startsWith('+1312555200'))).toHaveLength(5);
		const forged = await answerWebhook(
			{
				url: 'https://hooks.example.com/missed-call',
				headers: { 'x-twilio-signature': 'forged' },
				body: { CallSid: 'CA1', From: '+13125550123', DialCallStatus: 'no-answer' },
			},
			{
				provider: 'twilio',
				mode: 'forward',
				voicemail: false,
				validateSignature: true,
				secret: AUTH_TOKEN,
				normalize: { businessId: 'acme-plumbing' },
				replyToKeywords: true,
			},
			l,
		);
		expect(forged.status).toBe(403);
		const r = await buildReport(store, [capped], { businessId: 'acme-plumbing', days: 1, now: clock });
		expect(r.protection).toEqual({
			pumpingBlocked: { 'country-not-allowed': 10, 'cap-reached': 3 },
			refusedWebhooks: { twilio: 1 },
			optedOut: 0,
		});
		expect(r.html).toContain('data-pumping="13"');
		expect(r.html).toContain('13 texts held back as likely SMS pumping');
		expect(r.html).toContain('1 forged or unsigned webhook request refused');
		expect(r.html).toMatch(/<option value="acme-plumbing" selected>Acme Plumbing<\/option>/);
	});

	test(`an after-hours emergency: the on-call owner is texted and rung, then the caller dialled from the \
business number`, async () => {
		clock = new Date(chicago('2026-11-25T22:30'));
		const e = missed('+13125550144');
		const d = await loop.detect(e);
		await loop.acknowledge(d.case.caseId);
		const vm = normalize(
			'twilio',
			{
				CallSid: e.callSid,
				From: e.from,
				To: e.to,
				TranscriptionText: 'There is water everywhere in the basement, a pipe burst',
				TranscriptionStatus: 'completed',
				TranscriptionSid: 'TR9',
			},
			{ businessId: 'acme-plumbing' },
		);
		if (vm.kind !== 'voicemail') throw new Error(vm.kind);
		await loop.voicemail(vm.event);
		await loop.classify(d.case.caseId);
		const r = await loop.routeAndNotify(d.case.caseId, { alertOwner: true, connectCaller: 'emergency' });
		expect(r.case.urgency).toBe('emergency');
		expect(r.case.owner?.id).toBe('ana');
		expect(r.bridge?.callSid).toMatch(/^CA/);
		const call = sim.calls.find((c) => c.sid === r.bridge!.callSid)!;
		expect(call).toMatchObject({ to: '+13125550111', from: '+13125550199' });
		expect(call.twiml).toContain('<Dial callerId="+13125550199"><Number>+13125550144</Number></Dial>');
		expect(call.twiml).toMatch(/Emergency\. Missed call for Acme Plumbing from 3 1 2 5 5 5 0 1 4 4/);
		expect(r.case.attempts).toEqual([expect.objectContaining({ channel: 'call', result: 'sent', by: 'ana' })]);
		// Routing the same case again neither re-texts nor re-rings the owner.
		const again = await loop.routeAndNotify(d.case.caseId, { alertOwner: true, connectCaller: 'emergency' });
		expect(again.bridge).toBeUndefined();
		expect(sim.calls).toHaveLength(1);
	});

	test('a routine case is not bridged when only emergencies are', async () => {
		const d = await loop.detect(missed('+13125550145'));
		await loop.classify(d.case.caseId);
		const r = await loop.routeAndNotify(d.case.caseId, { alertOwner: true, connectCaller: 'emergency' });
		expect(r.case.urgency).not.toBe('emergency');
		expect(r.ownerAlert?.messageSid).toMatch(/^SM/);
		expect(r.bridge).toBeUndefined();
		expect(sim.calls).toHaveLength(0);
	});

	test(`a process that dies right after detection loses nothing: the sweeps acknowledge and \
route the case`, async () => {
		// The worker stored the case, then died before Acknowledge and Owner Router ran.
		const d = await loop.detect(missed('+13125550146'));
		expect((await loop.tick()).acks).toHaveLength(0);
		expect((await loop.tick()).cases.map((t) => t.case)).toHaveLength(0);
		clock = new Date(clock.getTime() + 2 * 60e3 + 1000);
		const acks = (await loop.tick()).acks;
		expect(acks.map((a) => a.case.caseId)).toEqual([d.case.caseId]);
		expect(toCaller('+13125550146')).toHaveLength(1);
		expect((await loop.tick()).acks).toHaveLength(0); // sent once, never again
		clock = new Date(clock.getTime() + 3 * 60e3);
		const swept = (await loop.tick()).cases.map((t) => t.case);
		expect(swept.map((c) => c.caseId)).toEqual([d.case.caseId]);
		const c = (await store.getCase(d.case.caseId))!;
		expect(c).toMatchObject({ state: 'assigned', urgency: 'normal' });
		expect(c.owner).not.toBeNull();
		expect((await loop.tick()).cases.map((t) => t.case)).toHaveLength(0);
	});

	test('the same webhook delivered twice makes one case and one text', async () => {
		const e = missed('+13125550123');
		await loop.run(e);
		const again = await loop.run(e);
		expect(again.duplicate).toBe(true);
		expect(toCaller('+13125550123')).toHaveLength(1);
		expect(await store.countCases()).toBe(1);
	});

	test('a repeat call joins the case, raises urgency, and sends no second text', async () => {
		await loop.run(missed('+13125550123'));
		clock = new Date(clock.getTime() + 4 * 60000);
		const second = missed('+13125550123');
		const d = await loop.detect(second);
		expect(d.event.repeat).toBe(1);
		const ack = await loop.acknowledge(d.case.caseId);
		expect(ack.plan.action).toBe('none');
		const k = await loop.classify(d.case.caseId);
		expect(k.classification.urgency).toBe('high');
		expect(toCaller('+13125550123')).toHaveLength(1);
	});

	test('STOP is honoured: no message of any kind afterwards, until START', async () => {
		const first = await loop.run(missed('+13125550123'));
		const stop = normalize(
			'twilio',
			{
				MessageSid: 'SM' + 'd'.repeat(32),
				From: '+13125550123',
				To: '+13125550199',
				Body: 'STOP',
				SmsStatus: 'received',
			},
			{ businessId: 'acme-plumbing', now: () => clock },
		);
		if (stop.kind !== 'inbound-message') throw new Error();
		const r = await loop.inbound(stop.event);
		expect(r.action).toBe('opted-out');
		expect(r.replyText).toContain('unsubscribed from Acme Plumbing');
		await loop.recordOutcome(first.case.caseId, { kind: 'lost' });
		clock = new Date(clock.getTime() + 24 * 3600e3);
		const later = await loop.run(missed('+13125550123'));
		expect(later.case.ack).toMatchObject({ status: 'skipped' });
		expect(later.case.ack.reason).toMatch(/^opted-out/);
		expect(toCaller('+13125550123')).toHaveLength(1);
		const start = normalize(
			'twilio',
			{
				MessageSid: 'SM' + 'e'.repeat(32),
				From: '+13125550123',
				To: '+13125550199',
				Body: 'START',
				SmsStatus: 'received',
			},
			{ businessId: 'acme-plumbing' },
		);
		if (start.kind !== 'inbound-message') throw new Error();
		expect((await loop.inbound(start.event)).action).toBe('opted-in');
		expect(await store.isOptedOut('acme-plumbing', '+13125550123')).toBe(false);
	});

	test('Twilio error 21610 records an opt-out; a landline is not texted', async () => {
		sim.optedOut.add('+13125550124');
		const a = await loop.run(missed('+13125550124'));
		expect(a.case.ack.reason).toMatch(/^opted-out: Twilio message send failed with error 21610/);
		expect(await store.isOptedOut('acme-plumbing', '+13125550124')).toBe(true);
		sim.lineTypes.set('+13125550125', 'landline');
		const b = await loop.run(missed('+13125550125'));
		expect(b.case.ack.reason).toMatch(/^landline/);
		expect(toCaller('+13125550125')).toHaveLength(0);
	});

	/** The state a process leaves when it dies after marking the text as going out and before recording the result. */
	async function diedMidSend(from: string, textLeft: boolean) {
		const d = await loop.detect(missed(from));
		const body = 'Sorry we missed your call at Acme Plumbing. Reply STOP to opt out.';
		const c = await store.saveCase(
			cases.recordAck(
				d.case,
				{ status: 'sending', body, channel: 'sms', from: '+13125550199', claim: 'crashed-worker' },
				'ack:0:pending::sending',
				clock.toISOString(),
			),
		);
		const left = textLeft
			? await twilio.sendMessage({ to: from, from: '+13125550199', body, channel: 'sms' })
			: undefined;
		return { c, left };
	}

	test(`a crash after the text left: the sweep finds it at the provider and records it, and sends \
nothing more`, async () => {
		const { c, left } = await diedMidSend('+13125550147', true);
		clock = new Date(clock.getTime() + 60e3);
		expect((await loop.tick()).acks).toHaveLength(0); // not due yet
		const early = await loop.acknowledge(c.caseId); // a slow run of the same case meanwhile leaves it alone
		expect(early.plan).toMatchObject({ action: 'none', reason: expect.stringMatching(/still in progress/) });
		clock = new Date(clock.getTime() + 61e3);
		const [r] = (await loop.tick()).acks;
		expect(r.sent?.sid).toBe(left!.sid);
		expect(r.case.ack).toMatchObject({ status: 'sent', messageSid: left!.sid });
		expect(r.case.state).toBe('acknowledged');
		expect(toCaller('+13125550147')).toHaveLength(1);
		expect((await loop.tick()).acks).toHaveLength(0);
		expect((await store.messageStats('acme-plumbing', '+13125550147', clock.toISOString())).lastAckAt).toBeDefined();
	});

	test('a crash before the text left: the sweep asks the provider, finds nothing, and sends it once', async () => {
		const { c } = await diedMidSend('+13125550148', false);
		clock = new Date(clock.getTime() + 2 * 60e3 + 1000);
		const [r] = (await loop.tick()).acks;
		expect(r.case.caseId).toBe(c.caseId);
		expect(r.case.ack.status).toBe('sent');
		expect(toCaller('+13125550148')).toHaveLength(1);
		expect(sim.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/Messages.json'))).toHaveLength(1);
	});

	test('two runs settling the same cut-off send at once: one sends, the other stands back', async () => {
		const { c } = await diedMidSend('+13125550151', false);
		clock = new Date(clock.getTime() + 2 * 60e3 + 1000);
		const [a, b] = await Promise.all([loop.acknowledge(c.caseId), loop.acknowledge(c.caseId)]);
		expect(toCaller('+13125550151')).toHaveLength(1);
		expect([a.sent, b.sent].filter(Boolean)).toHaveLength(1);
		expect((await store.getCase(c.caseId))!.ack).toMatchObject({
			status: 'sent',
			messageSid: toCaller('+13125550151')[0].sid,
		});
	});

	test(`the provider cannot tell whether a cut-off text left: the case is flagged, nothing is sent, and it is \
asked again`, async () => {
		const { c } = await diedMidSend('+13125550149', false);
		clock = new Date(clock.getTime() + 2 * 60e3 + 1000);
		sim.fail({ match: 'Messages', code: 20500, status: 503, times: 3 });
		const [r] = (await loop.tick()).acks;
		expect(r.case.flags).toContain('ack-unconfirmed');
		expect(r.case.ack.status).toBe('sending');
		expect(toCaller('+13125550149')).toHaveLength(0);
		clock = new Date(clock.getTime() + 6 * 60e3); // the sweep's lease ran out
		const [again] = (await loop.tick()).acks;
		expect(again.case.caseId).toBe(c.caseId);
		expect(again.case.ack.status).toBe('sent');
		expect(toCaller('+13125550149')).toHaveLength(1);
	});

	test('a send whose answer was lost is not sent twice by the retry', async () => {
		let first = true;
		const lossy: MessagingProvider = {
			...provider,
			sendMessage: async (req) => {
				const sent = await twilio.sendMessage(req);
				if (first) {
					first = false;
					throw new ProviderError('socket hang up (the message was created; its answer was lost)', 'transient', true);
				}
				return sent;
			},
		};
		const l = new RecoveryLoop({ ...loop.deps, provider: lossy });
		const d = await l.detect(missed('+13125550150'));
		const r = await l.acknowledge(d.case.caseId);
		expect(r.case.ack.status).toBe('sent');
		expect(toCaller('+13125550150')).toHaveLength(1);
		expect(r.sent?.sid).toBe(toCaller('+13125550150')[0].sid);
	});

	test('a send that keeps failing is flagged with a retry time, then sent when the provider recovers', async () => {
		sim.fail({ code: 20500, status: 503, times: 3 });
		const r = await loop.run(missed('+13125550126'));
		expect(r.case.ack).toMatchObject({ status: 'failed', error: { code: 20500 } });
		expect(r.case.flags).toContain('ack-failed');
		expect(toCaller('+13125550126')).toHaveLength(0);
		clock = new Date(Date.parse(r.case.ack.sendAt!) + 1000);
		const retried = (await loop.tick()).acks;
		expect(retried).toHaveLength(1);
		expect(retried[0].case.ack.status).toBe('sent');
		expect(retried[0].case.flags).not.toContain('ack-failed');
		expect(toCaller('+13125550126')).toHaveLength(1);
	});

	test('a 21:30 call from a Chicago number is deferred to 08:00 and sent then', async () => {
		clock = new Date(chicago('2026-11-25T21:30'));
		const r = await loop.run(missed('+13125550127'));
		expect(r.case.ack).toMatchObject({ status: 'deferred', sendAt: chicago('2026-11-26T08:00') });
		expect(toCaller('+13125550127')).toHaveLength(0);
		expect(r.case.owner?.id).toBe('ana'); // on call tonight
		clock = new Date(chicago('2026-11-26T08:00'));
		await loop.tick();
		expect(toCaller('+13125550127')).toHaveLength(1);
		// Sent at opening, it says the call was last night and that the business is open now, never "we are closed".
		expect(toCaller('+13125550127')[0].body).toBe(
			"Acme Plumbing: sorry we missed your call last night at 9:30 PM. We're open now and will call you back soon. " +
				'Reply STOP to opt out.',
		);
	});

	test('a voicemail transcript re-classifies the case as an emergency', async () => {
		const e = missed('+13125550128');
		const r = await loop.run(e);
		const vm = normalize(
			'twilio',
			{
				CallSid: e.callSid,
				From: e.from,
				To: e.to,
				TranscriptionText: 'Water everywhere in the basement!',
				TranscriptionStatus: 'completed',
				TranscriptionSid: 'TR1',
			},
			{ businessId: 'acme-plumbing' },
		);
		if (vm.kind !== 'voicemail') throw new Error();
		await loop.voicemail(vm.event);
		const k = await loop.classify(r.case.caseId);
		expect(k.case.urgency).toBe('emergency');
		expect(k.case.reasons.join(' ')).toContain('"water everywhere"');
	});

	test('a reply re-engages; an outcome closes the loop', async () => {
		const r = await loop.run(missed('+13125550129'));
		const sms = normalize(
			'twilio',
			{
				MessageSid: 'SM' + 'f'.repeat(32),
				From: '+13125550129',
				To: '+13125550199',
				Body: 'Can someone come tomorrow?',
				SmsStatus: 'received',
			},
			{ businessId: 'acme-plumbing' },
		);
		if (sms.kind !== 'inbound-message') throw new Error();
		const reply = await loop.inbound(sms.event);
		expect(reply).toMatchObject({ action: 'reply', case: { state: 'contacted' } });
		expect((await loop.inbound(sms.event)).action).toBe('duplicate');
		const done = await loop.recordOutcome(r.case.caseId, { kind: 'booked', value: 350 });
		expect(done).toMatchObject({ state: 'recovered', outcome: { kind: 'booked', value: 350 } });
	});

	test(`delivery reports: a text that never arrives flags its case, one to the caller and one to the \
owner alike`, async () => {
		// The trigger's part in core, behind a real HTTP server: Twilio's signed status callbacks come back to it.
		const received: string[] = [];
		const emitted: string[] = [];
		const hook = createServer((req, res) => {
			let body = '';
			req.on('data', (c) => (body += c));
			req.on('end', () => {
				const params = Object.fromEntries(new URLSearchParams(body));
				received.push(params.MessageStatus);
				answerWebhook(
					{ url: statusUrl, headers: req.headers, body: params },
					{
						provider: 'twilio',
						mode: 'forward',
						voicemail: false,
						validateSignature: true,
						secret: AUTH_TOKEN,
						normalize: { businessId: 'acme-plumbing' },
						replyToKeywords: true,
					},
					l,
				).then(
					(a) => {
						if (a.emit?.type === 'message-status')
							emitted.push(`${a.emit.event.status} ${a.emit.event.errorCode} ${a.emit.case?.caseId ?? 'no case'}`);
						res.writeHead(a.status, { 'content-type': a.contentType }).end(a.body);
					},
					() => res.writeHead(500).end(),
				);
			});
		});
		await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
		const statusUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/missed-call`;
		const l = new RecoveryLoop({ ...loop.deps, statusCallbackUrl: statusUrl });
		try {
			sim.undeliver('+1312555016', 30034);
			sim.undeliver('+13125550111', 30007);
			const lost = await l.run(missed('+13125550160'));
			const fine = await l.run(missed('+13125550170'));
			// Every text asked for its delivery report.
			expect(sim.messages.length).toBe(4);
			expect(sim.messages.every((m) => m.statusCallback === statusUrl)).toBe(true);
			const until = Date.now() + 15000;
			while (received.length < 8 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
			expect(received.sort()).toEqual([
				'delivered',
				'delivered',
				'sent',
				'sent',
				'sent',
				'sent',
				'undelivered',
				'undelivered',
			]);
			// The caller's text never arrived: the case says so. The owner's alert for it did not either (Ana: 30007).
			const a = await store.getCase(lost.case.caseId);
			expect(lost.case.owner?.id).toBe('ana');
			expect(a?.flags).toEqual(['message-undelivered', 'owner-alert-failed']);
			// The report says so, for the agency to act on.
			const report = await buildReport(store, [profile], { businessId: 'acme-plumbing', days: 1, now: clock });
			expect(report.html).toContain('data-undelivered="1" data-owner-alerts-failed="1"');
			expect(report.html).toContain('1 caller never got the acknowledgment');
			// Only the two texts that did not arrive reach the workflow, with their case; sent and delivered end at the trigger.
			expect(emitted.sort()).toEqual([`undelivered 30007 ${a?.caseId}`, `undelivered 30034 ${a?.caseId}`]);
			// The other caller's text arrived, and so did its owner's alert (round-robin: Cy, whose texts arrive).
			const b = await store.getCase(fine.case.caseId);
			expect(b?.owner?.id).toBe('cy');
			expect(b?.flags).toEqual([]);
		} finally {
			await new Promise((r) => hook.close(r));
		}
	});

	test('overdue cases climb the escalation ladder once per deadline', async () => {
		const r = await loop.run(missed('+13125550130'));
		clock = new Date(Date.parse(r.case.dueAt!) + 60000);
		const swept = (await loop.tick()).cases.map((t) => t.case);
		expect(swept).toHaveLength(1);
		expect(swept[0]).toMatchObject({ escalationLevel: 1 });
		expect(swept[0].owner!.id).not.toBe(r.case.owner!.id);
		expect((await loop.tick()).cases.map((t) => t.case)).toHaveLength(0);
	});

	test('an unknown business is a clear error', async () => {
		await expect(loop.run(missed('+13125550131', { businessId: 'ghost' }))).rejects.toThrow(
			/businessId is "ghost"\. No business profile has this id/,
		);
	});
});

describe('urgency raised after routing', () => {
	test('a transcript that arrives after the owner was assigned tightens the deadline to the new urgency', async () => {
		const { mkdtempSync: mk } = await import('node:fs');
		const d = mk(join(tmpdir(), 'mcr-raise-'));
		const store = await openStore({ type: 'sqlite', file: join(d, 'c.db') });
		const profile = plumber();
		const clock = new Date(chicago('2026-11-25T12:00'));
		const loop = new RecoveryLoop({ store, profileFor: () => profile, now: () => clock });
		try {
			const n = normalize(
				'twilio',
				{ CallSid: 'CA' + '7'.repeat(32), From: '+13125550140', To: '+13125550199', DialCallStatus: 'no-answer' },
				{ businessId: 'acme-plumbing', now: () => clock },
			);
			if (n.kind !== 'missed-call') throw new Error();
			const { case: c } = await loop.detect(n.event);
			await loop.classify(c.caseId);
			const routed = await loop.route(c.caseId);
			expect(routed.case.dueAt).toBe(chicago('2026-11-25T16:00'));
			await loop.voicemail({
				type: 'voicemail',
				eventId: 'twilio:x:transcription:TR',
				provider: 'twilio',
				callSid: n.event.callSid,
				from: n.event.from,
				to: n.event.to,
				businessId: 'acme-plumbing',
				voicemail: { transcript: 'there is a burst pipe' },
				at: clock.toISOString(),
			});
			const k = await loop.classify(c.caseId);
			expect(k.raised).toBe(true);
			expect(k.case.urgency).toBe('emergency');
			expect(k.case.dueAt).toBe(chicago('2026-11-25T12:15'));
			expect(k.case.reasons[k.case.reasons.length - 1]).toMatch(/urgency rose from normal: deadline moved/);
		} finally {
			await store.close();
			rmSync(d, { recursive: true, force: true });
		}
	});
});
