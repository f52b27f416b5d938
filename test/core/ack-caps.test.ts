import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
	cases,
	openStore,
	ProviderError,
	RecoveryLoop,
	type Case,
	type MessagingProvider,
	type MissedCall,
	type RecoveryStore,
} from '../../core';
import { CapReachedError } from '../../core/store';
import { chicago, plumber } from '../helpers/fixtures';
import { describePostgres, dropSchema, PG_URL, requirePostgres, uniqueSchema } from '../helpers/postgres';

const at = chicago('2026-11-25T12:00');

function call(i: number, businessId = 'acme-plumbing'): MissedCall {
	const from = `+1312${String(6000000 + i)}`;
	return {
		type: 'missed-call',
		eventId: `twilio:CAcap${i}`,
		provider: 'twilio',
		callSid: `CAcap${i}`,
		from,
		to: '+13125550199',
		businessId,
		reason: 'no-answer',
		startedAt: at,
		durationSec: 0,
		repeat: 0,
		channel: 'sms',
	};
}

/** A provider that answers after a few milliseconds, as Twilio does, so many sends are in flight at once. */
function slowProvider(fail?: (to: string) => ProviderError | undefined) {
	const sent: string[] = [];
	let inFlight = 0;
	let maxInFlight = 0;
	const provider: MessagingProvider = {
		sendMessage: async (req) => {
			inFlight++;
			maxInFlight = Math.max(maxInFlight, inFlight);
			try {
				await new Promise((r) => setTimeout(r, 5));
				const err = fail?.(req.to);
				if (err) throw err;
				sent.push(req.to);
				return { sid: `SM${sent.length}`, status: 'queued' };
			} finally {
				inFlight--;
			}
		},
		lookupLineType: async () => 'mobile',
		placeCall: async () => ({ sid: 'CA1' }),
	};
	return { provider, sent, maxInFlight: () => maxInFlight };
}

function capsOn(
	name: string,
	open: () => Promise<{ store: RecoveryStore; cleanup: () => Promise<void> }>,
	describeIt = describe,
) {
	describeIt(`send caps are reserved, not only checked (${name})`, () => {
		let store: RecoveryStore;
		let cleanup: () => Promise<void>;
		beforeEach(async () => {
			({ store, cleanup } = await open());
		});
		afterEach(async () => {
			await store.close();
			await cleanup();
		});

		function loopWith(provider: MessagingProvider, caps: { hourlyCap: number; dailyCap?: number }) {
			const profile = plumber({ acknowledgment: { checkLineType: false, dailyCap: 1000, ...caps } });
			return new RecoveryLoop({
				store,
				provider,
				profileFor: () => profile,
				now: () => new Date(at),
				retry: { retries: 1, baseMs: 1, maxMs: 1 },
			});
		}

		test('250 acknowledgments in flight at once against an hourly cap of 100 send exactly 100', async () => {
			const p = slowProvider();
			const loop = loopWith(p.provider, { hourlyCap: 100 });
			const ids: string[] = [];
			for (let i = 0; i < 250; i++) ids.push((await loop.detect(call(i))).case.caseId);
			const outcomes = await Promise.all(ids.map((id) => loop.acknowledge(id)));
			expect(p.maxInFlight()).toBeGreaterThan(1);
			expect(p.sent).toHaveLength(100);
			expect(new Set(p.sent).size).toBe(100);
			const capped = outcomes.filter((o) => o.plan.action === 'skip' && o.plan.reason === 'cap-reached');
			expect(capped).toHaveLength(150);
			expect(capped[0].case.ack).toMatchObject({ status: 'skipped' });
			expect(capped[0].case.ack.reason).toMatch(/^cap-reached: .*cap 100/);
			expect((await store.messageStats('acme-plumbing', '+13125550000', at)).businessSentLastHour).toBe(100);
		}, 60000);

		test('75 in flight after 60 sent fill the daily cap of 100 and no more', async () => {
			const p = slowProvider();
			const loop = loopWith(p.provider, { hourlyCap: 1000, dailyCap: 100 });
			for (let i = 0; i < 60; i++) await loop.acknowledge((await loop.detect(call(i))).case.caseId);
			expect(p.sent).toHaveLength(60);
			const ids: string[] = [];
			for (let i = 60; i < 135; i++) ids.push((await loop.detect(call(i))).case.caseId);
			const outcomes = await Promise.all(ids.map((id) => loop.acknowledge(id)));
			expect(p.sent).toHaveLength(100);
			expect(outcomes.filter((o) => o.plan.action === 'skip')).toHaveLength(35);
		}, 60000);

		test(`a text on its way holds the caller's daily cap: a second case of the caller cannot \
reserve past it`, async () => {
			const ev = call(0);
			const build = (e: MissedCall) => (x: Case | undefined) => (x ? cases.foldCall(x, e, at) : cases.newCase(e, at));
			const reserve = (c: Case) => ({
				businessId: c.businessId,
				to: c.caller,
				caseId: c.caseId,
				at,
				hourlyCap: 100,
				dailyCap: 100,
				perCallerDailyCap: 1,
			});
			const first = (await store.openOrJoinCase(ev, build(ev))).case;
			const held = await store.saveCase({ ...first, flags: ['held'] }, { reserve: reserve(first) });
			// The first case closes while its text is still on its way; the caller calls again.
			await store.saveCase(cases.recordOutcome(held, { kind: 'spam' }, 'outcome:spam', at));
			const again = { ...call(1), from: ev.from };
			const second = (await store.openOrJoinCase(again, build(again))).case;
			expect(second.caseId).not.toBe(first.caseId);
			const e = await store.saveCase({ ...second, flags: ['x'] }, { reserve: reserve(second) }).catch((x) => x);
			expect(e).toBeInstanceOf(CapReachedError);
			expect(e).toMatchObject({ reason: 'caller-cap-reached' });
			expect((await store.getCase(second.caseId))!.flags).toEqual([]);
			// Held, not yet received: the caller's own history (window, state limits) does not show it.
			expect((await store.messageStats('acme-plumbing', ev.from, at)).sentToCallerLast24h).toEqual([]);
		});

		test('a send refused for good gives its slot back; one that succeeds keeps it', async () => {
			// The first caller is a landline (21614): that text never left, so it must not use up the cap of 2.
			const landline = call(0).from;
			const p = slowProvider((to) =>
				to === landline ? new ProviderError('not a mobile number', 'landline', false, 21614, 400) : undefined,
			);
			const loop = loopWith(p.provider, { hourlyCap: 2 });
			const first = await loop.acknowledge((await loop.detect(call(0))).case.caseId);
			expect(first.case.ack).toMatchObject({ status: 'skipped' });
			expect((await store.messageStats('acme-plumbing', landline, at)).businessSentLastHour).toBe(0);
			for (let i = 1; i <= 3; i++) await loop.acknowledge((await loop.detect(call(i))).case.caseId);
			expect(p.sent).toEqual([call(1).from, call(2).from]);
		}, 60000);

		test('a send whose retries ran out gives its slot back, and its retry takes a new one', async () => {
			let down = true;
			const p = slowProvider(() =>
				down ? new ProviderError('HTTP 503', 'transient', true, undefined, 503) : undefined,
			);
			const loop = loopWith(p.provider, { hourlyCap: 1 });
			const id = (await loop.detect(call(0))).case.caseId;
			const failed = await loop.acknowledge(id);
			expect(failed.case.ack.status).toBe('failed');
			expect((await store.messageStats('acme-plumbing', call(0).from, at)).businessSentLastHour).toBe(0);
			down = false;
			const retried = await loop.acknowledge(id);
			expect(retried.case.ack.status).toBe('sent');
			const stats = await store.messageStats('acme-plumbing', call(0).from, at);
			expect(stats.businessSentLastHour).toBe(1);
			expect(stats.sentToCallerLast24h).toHaveLength(1);
		}, 60000);
	});
}

capsOn('SQLite', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'mcr-caps-'));
	const store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
	return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

capsOn(
	'PostgreSQL',
	async () => {
		await requirePostgres();
		const schema = uniqueSchema('mcr_caps');
		const store = await openStore({ type: 'postgres', connectionString: PG_URL, schema, max: 10 });
		return { store, cleanup: () => dropSchema(schema) };
	},
	describePostgres,
);

const ROOT = resolve(__dirname, '..', '..');

/** One acknowledging worker process (test/helpers/ack-worker.js) and its JSON lines. */
function worker(arg: object) {
	const child = spawn(process.execPath, [join(ROOT, 'test', 'helpers', 'ack-worker.js'), JSON.stringify(arg)], {
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	const exited = new Promise<number | null>((r) => child.once('exit', r));
	let err = '';
	child.stderr.on('data', (d) => (err += d));
	const lines = createInterface({ input: child.stdout });
	const queue: string[] = [];
	const waiters: ((s: string) => void)[] = [];
	lines.on('line', (l) => (waiters.length ? waiters.shift()!(l) : queue.push(l)));
	const next = () =>
		new Promise<Record<string, number>>((res, rej) => {
			const take = (l: string) => res(JSON.parse(l));
			if (queue.length) return take(queue.shift()!);
			waiters.push(take);
			void exited.then((code) => rej(new Error(`worker exited ${code}: ${err}`)));
		});
	return { next, go: () => child.stdin.write('go\n'), done: () => exited };
}

describePostgres('send caps across two processes sharing PostgreSQL', () => {
	const schema = uniqueSchema('mcr_caps_mp');
	beforeAll(async () => {
		await requirePostgres();
		// The schema exists before the workers race to migrate it.
		await (await openStore({ type: 'postgres', connectionString: PG_URL, schema })).close();
	});
	afterAll(() => dropSchema(schema));

	test('two workers acknowledging 150 callers each send at most the hourly cap of 100 together', async () => {
		const callers = (from: number) => Array.from({ length: 150 }, (_, i) => `+1312${String(7000000 + from + i)}`);
		const common = { url: PG_URL, schema, businessId: 'two-workers', hourlyCap: 100, at };
		const workers = [0, 1000].map((from) => worker({ ...common, callers: callers(from) }));
		expect(await Promise.all(workers.map((w) => w.next()))).toEqual([{ ready: 150 }, { ready: 150 }]);
		workers.forEach((w) => w.go());
		const results = await Promise.all(workers.map((w) => w.next()));
		expect(results.reduce((n, r) => n + r.sent, 0)).toBe(100);
		expect(results.reduce((n, r) => n + r.skipped, 0)).toBe(200);
		// Both sent some: the cap was shared, not won by one process before the other started.
		expect(results.every((r) => r.sent > 0)).toBe(true);
		expect(await Promise.all(workers.map((w) => w.done()))).toEqual([0, 0]);
	}, 90000);
});

describe('a send cut off by a crash keeps its slot until the sweep settles it', () => {
	let dir: string;
	let store: RecoveryStore;
	beforeEach(async () => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-caps-crash-'));
		store = await openStore({ type: 'sqlite', file: join(dir, 'c.db') });
	});
	afterEach(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	/** A process that marks the send and dies while the request is out (its send never returns). */
	async function crashMidSend(textLeft: boolean) {
		const profile = plumber({ acknowledgment: { checkLineType: false, hourlyCap: 1 } });
		const texts: { to: string; body: string; sid: string }[] = [];
		let reachedProvider!: () => void;
		const reached = new Promise<void>((r) => (reachedProvider = r));
		const dying: MessagingProvider = {
			sendMessage: (req) => {
				if (textLeft) texts.push({ to: req.to, body: req.body, sid: 'SMleft' });
				reachedProvider();
				return new Promise(() => undefined);
			},
			lookupLineType: async () => 'mobile',
			placeCall: async () => ({ sid: 'CA1' }),
		};
		let clock = new Date(at);
		const first = new RecoveryLoop({ store, provider: dying, profileFor: () => profile, now: () => clock });
		const id = (await first.detect(call(0))).case.caseId;
		void first.acknowledge(id);
		await reached;
		expect((await store.getCase(id))!.ack.status).toBe('sending');
		expect((await store.messageStats('acme-plumbing', call(0).from, at)).businessSentLastHour).toBe(1);
		// The sweep of another process, past the safety net.
		clock = new Date(Date.parse(at) + 3 * 60e3);
		const healthy: MessagingProvider = {
			sendMessage: async (req) => {
				texts.push({ to: req.to, body: req.body, sid: `SM${texts.length + 1}` });
				return { sid: `SM${texts.length}`, status: 'queued' };
			},
			findSentMessage: async (q) => {
				const t = texts.find((x) => x.to === q.to && x.body === q.body);
				return t && { sid: t.sid, status: 'sent' };
			},
			lookupLineType: async () => 'mobile',
			placeCall: async () => ({ sid: 'CA1' }),
		};
		const sweeper = new RecoveryLoop({ store, provider: healthy, profileFor: () => profile, now: () => clock });
		const r = await sweeper.acknowledge(id);
		return { r, texts, stats: await store.messageStats('acme-plumbing', call(0).from, clock.toISOString()) };
	}

	test('the text had left: recorded as the one text in the slot, nothing sent again', async () => {
		const { r, texts, stats } = await crashMidSend(true);
		expect(r.case.ack).toMatchObject({ status: 'sent', messageSid: 'SMleft' });
		expect(texts).toHaveLength(1);
		expect(stats.businessSentLastHour).toBe(1);
		expect(stats.sentToCallerLast24h).toHaveLength(1);
	});

	test('the text never left: the slot is given back and taken again, so even a cap of 1 lets it out once', async () => {
		const { r, texts, stats } = await crashMidSend(false);
		expect(r.case.ack.status).toBe('sent');
		expect(texts).toHaveLength(1);
		expect(stats.businessSentLastHour).toBe(1);
		expect(stats.sentToCallerLast24h).toHaveLength(1);
	});
});
