import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
	cases,
	ConcurrentUpdateError,
	openStore,
	SCHEMA_VERSION,
	type MissedCall,
	type RecoveryStore,
} from '../../core';
import { describePostgres, dropSchema, PG_URL, requirePostgres, uniqueSchema } from '../helpers/postgres';

const at = '2026-11-25T18:00:00.000Z';
function call(n: number, from = '+13125550123', businessId = 'acme'): MissedCall {
	return {
		type: 'missed-call',
		eventId: `twilio:CA${n}`,
		provider: 'twilio',
		callSid: `CA${n}`,
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
const build = (ev: MissedCall) => (existing: Parameters<Parameters<RecoveryStore['openOrJoinCase']>[1]>[0]) =>
	existing ? cases.foldCall(existing, ev, at) : cases.newCase(ev, at);

interface Harness {
	open(): Promise<RecoveryStore>;
	cleanup(): Promise<void>;
	/** The rows of the store's schema-version table, read past the store. */
	schemaVersions(): Promise<number[]>;
}

function sqliteHarness(): Harness {
	const dir = mkdtempSync(join(tmpdir(), 'mcr-store-'));
	return {
		open: () => openStore({ type: 'sqlite', file: join(dir, 'cases.db') }),
		cleanup: async () => rmSync(dir, { recursive: true, force: true }),
		schemaVersions: async () => {
			const db = new Database(join(dir, 'cases.db'), { readonly: true });
			try {
				return (db.prepare('SELECT version FROM mcr_schema').all() as { version: number }[]).map((r) => r.version);
			} finally {
				db.close();
			}
		},
	};
}

function postgresHarness(): Harness {
	const schema = uniqueSchema('mcr_contract');
	return {
		open: () => openStore({ type: 'postgres', connectionString: PG_URL, schema }),
		cleanup: () => dropSchema(schema),
		schemaVersions: async () => {
			const c = new Client({ connectionString: PG_URL });
			await c.connect();
			try {
				return (await c.query(`SELECT version FROM ${schema}.mcr_schema`)).rows.map((r) => Number(r.version));
			} finally {
				await c.end();
			}
		},
	};
}

/** The same contract for every store: what the loop relies on. */
function contract(name: string, makeHarness: () => Harness, before?: () => Promise<void>, describeIt = describe) {
	describeIt(`${name} store contract`, () => {
		let h: Harness;
		let store: RecoveryStore;
		beforeAll(async () => {
			await before?.();
		});
		beforeEach(async () => {
			h = makeHarness();
			store = await h.open();
		});
		afterEach(async () => {
			await store.close();
			await h.cleanup();
		});

		test('a case is stored when opened and read back whole', async () => {
			const r = await store.openOrJoinCase(call(1), build(call(1)));
			expect(r).toMatchObject({ created: true, duplicate: false });
			const back = await store.getCase(r.case.caseId);
			expect(back).toMatchObject({ caseId: r.case.caseId, caller: '+13125550123', state: 'detected', version: 1 });
			expect(await store.findCaseByEvent('twilio:CA1')).toMatchObject({ caseId: r.case.caseId });
		});

		test('the same event twice changes nothing; a repeat call folds into the open case', async () => {
			const a = await store.openOrJoinCase(call(1), build(call(1)));
			const dup = await store.openOrJoinCase(call(1), build(call(1)));
			expect(dup).toMatchObject({ duplicate: true, created: false });
			expect(dup.case.version).toBe(1);
			const repeat = await store.openOrJoinCase(call(2), build(call(2)));
			expect(repeat).toMatchObject({ duplicate: false, created: false });
			expect(repeat.case.caseId).toBe(a.case.caseId);
			expect(repeat.case.calls).toHaveLength(2);
			expect(await store.countCases('acme')).toBe(1);
		});

		test('concurrent deliveries of the same calls make one case per caller', async () => {
			const events = [1, 2, 3, 1, 2, 3, 4, 4].map((n) => call(n));
			const results = await Promise.all(events.map((e) => store.openOrJoinCase(e, build(e))));
			expect(new Set(results.map((r) => r.case.caseId)).size).toBe(1);
			expect(results.filter((r) => r.duplicate)).toHaveLength(4);
			const c = (await store.findOpenCase('acme', '+13125550123'))!;
			expect(c.calls.map((k) => k.callSid).sort()).toEqual(['CA1', 'CA2', 'CA3', 'CA4']);
		});

		test('saving with a stale version is refused', async () => {
			const { case: c } = await store.openOrJoinCase(call(1), build(call(1)));
			const saved = await store.saveCase({ ...c, urgency: 'high' });
			expect(saved.version).toBe(2);
			await expect(store.saveCase({ ...c, urgency: 'low' })).rejects.toBeInstanceOf(ConcurrentUpdateError);
			expect((await store.getCase(c.caseId))!.urgency).toBe('high');
		});

		test('saving with the version read rewrites only what changed, and every index still finds the case', async () => {
			const { case: c1 } = await store.openOrJoinCase(call(1), build(call(1)));
			// Only the document changes: the deadline, owner and open flag stay as stored.
			const c2 = await store.saveCase({ ...c1, urgency: 'high' }, { previous: c1 });
			const routed = cases.applyRoute(
				c2,
				{
					kind: 'assigned',
					owner: { id: 'ana', name: 'Ana' },
					dueAt: '2026-11-25T18:30:00.000Z',
					escalationLevel: 0,
					strategy: 'x',
					reasons: [],
				},
				'r',
				at,
			);
			const c3 = await store.saveCase(routed, { previous: c2 });
			expect(await store.openCountsByOwner('acme')).toEqual({ ana: 1 });
			expect((await store.listOverdue('2026-11-25T19:00:00.000Z')).map((c) => c.caseId)).toEqual([c1.caseId]);
			expect((await store.listCases({ ownerId: 'ana' })).map((c) => c.urgency)).toEqual(['high']);
			// A `previous` of another version is not trusted: everything is written (trusted, this one would write nothing
			// indexed).
			const closed = cases.recordOutcome(c3, { kind: 'booked' }, 'o', at);
			await store.saveCase(closed, { previous: { ...closed, version: c1.version } });
			expect(await store.openCountsByOwner('acme')).toEqual({});
			expect(await store.listOverdue('2026-11-25T19:00:00.000Z')).toEqual([]);
			expect((await store.openOrJoinCase(call(2), build(call(2)))).created).toBe(true);
		});

		test('a closed case frees the caller: the next call opens a new case', async () => {
			const { case: c } = await store.openOrJoinCase(call(1), build(call(1)));
			await store.saveCase(cases.recordOutcome(c, { kind: 'booked' }, 'o', at));
			const next = await store.openOrJoinCase(call(2), build(call(2)));
			expect(next.created).toBe(true);
			expect(next.case.caseId).not.toBe(c.caseId);
		});

		test('overdue: listed by deadline, and each claimed by one sweeper only', async () => {
			for (let i = 0; i < 5; i++) {
				const { case: c } = await store.openOrJoinCase(
					call(10 + i, `+1312555010${i}`),
					build(call(10 + i, `+1312555010${i}`)),
				);
				await store.saveCase(
					cases.applyRoute(
						c,
						{
							kind: 'assigned',
							owner: { id: 'ana', name: 'Ana' },
							dueAt: i < 3 ? '2026-11-25T18:30:00.000Z' : '2026-11-25T23:00:00.000Z',
							escalationLevel: 0,
							strategy: 'x',
							reasons: [],
						},
						'r',
						at,
					),
				);
			}
			const now = '2026-11-25T19:00:00.000Z';
			expect(await store.listOverdue(now)).toHaveLength(3);
			const [a, b] = await Promise.all([
				store.claimOverdue(now, '2026-11-25T19:02:00.000Z', { limit: 2 }),
				store.claimOverdue(now, '2026-11-25T19:02:00.000Z', { limit: 2 }),
			]);
			const ids = [...a, ...b].map((c) => c.caseId);
			expect(ids).toHaveLength(3);
			expect(new Set(ids).size).toBe(3);
			expect(await store.claimOverdue(now, '2026-11-25T19:02:00.000Z')).toHaveLength(0);
			// After the lease, an unhandled case can be claimed again.
			expect(await store.claimOverdue('2026-11-25T19:03:00.000Z', '2026-11-25T19:05:00.000Z')).toHaveLength(3);
		});

		test('deferred acknowledgments come due', async () => {
			const { case: c } = await store.openOrJoinCase(call(1), build(call(1)));
			await store.saveCase(
				cases.recordAck(
					c,
					{ status: 'deferred', sendAt: '2026-11-26T14:00:00.000Z', reason: 'quiet hours', body: 'x' },
					'a',
					at,
				),
			);
			expect(await store.claimDueAcks('2026-11-26T13:59:00.000Z', '2026-11-26T14:04:00.000Z')).toHaveLength(0);
			expect(await store.claimDueAcks('2026-11-26T14:00:00.000Z', '2026-11-26T14:05:00.000Z')).toHaveLength(1);
		});

		test('round-robin counters advance atomically and survive reopening', async () => {
			const turns = await Promise.all(Array.from({ length: 10 }, () => store.nextRoundRobin('acme', 'pool')));
			expect([...turns].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
			expect(await store.nextRoundRobin('acme', 'other')).toBe(0);
		});

		test('a routing save takes its turn in the same commit: a turn is spent only on a case saved', async () => {
			const { case: c } = await store.openOrJoinCase(call(1), build(call(1)));
			const seen: number[] = [];
			const saved = await store.saveWithTurn('acme', 'pool', (turn) => (seen.push(turn), { ...c, urgency: 'high' }), {
				previous: c,
			});
			expect(saved).toMatchObject({ caseId: c.caseId, urgency: 'high', version: 2 });
			expect((await store.getCase(c.caseId))!.urgency).toBe('high');
			// Nothing to save: the turn goes back.
			expect(await store.saveWithTurn('acme', 'pool', (turn) => (seen.push(turn), undefined))).toBeUndefined();
			// A stale version: refused, nothing saved, the turn goes back.
			await expect(
				store.saveWithTurn('acme', 'pool', (turn) => (seen.push(turn), { ...c, urgency: 'low' }), { previous: c }),
			).rejects.toBeInstanceOf(ConcurrentUpdateError);
			expect((await store.getCase(c.caseId))!.urgency).toBe('high');
			expect(seen).toEqual([0, 1, 1]);
			expect(await store.nextRoundRobin('acme', 'pool')).toBe(1);
		});

		test('routing saves racing for turns each get their own, in one pool', async () => {
			const opened = await Promise.all(
				[1, 2, 3, 4, 5, 6].map((n) =>
					store.openOrJoinCase(call(n, `+1312555020${n}`), build(call(n, `+1312555020${n}`))),
				),
			);
			const turns = await Promise.all(
				opened.map(async ({ case: c }) => {
					let got = -1;
					await store.saveWithTurn('acme', 'race', (turn) => ((got = turn), { ...c, urgency: 'high' }), {
						previous: c,
					});
					return got;
				}),
			);
			expect([...turns].sort()).toEqual([0, 1, 2, 3, 4, 5]);
		});

		test('opt-outs per business, and START undoes them', async () => {
			await store.setOptOut('acme', '+13125550123', true, 'STOP', at);
			expect(await store.isOptedOut('acme', '+13125550123')).toBe(true);
			expect(await store.isOptedOut('other', '+13125550123')).toBe(false);
			await store.setOptOut('acme', '+13125550123', false, 'START', at);
			expect(await store.isOptedOut('acme', '+13125550123')).toBe(false);
		});

		test('message stats: last acknowledgment, texts in 24 h, business sends in the hour', async () => {
			await store.recordMessage({
				businessId: 'acme',
				to: '+13125550123',
				kind: 'ack',
				at: '2026-11-25T17:30:00.000Z',
				sid: 'SM1',
				status: 'queued',
			});
			await store.recordMessage({
				businessId: 'acme',
				to: '+13125550123',
				kind: 'ack',
				at: '2026-11-24T10:00:00.000Z',
				sid: 'SM0',
				status: 'delivered',
			});
			await store.recordMessage({
				businessId: 'acme',
				to: '+13125550124',
				kind: 'ack',
				at: '2026-11-25T17:45:00.000Z',
				sid: 'SM2',
				status: 'failed',
			});
			const s = await store.messageStats('acme', '+13125550123', at);
			expect(s).toEqual({
				lastAckAt: '2026-11-25T17:30:00.000Z',
				sentToCallerLast24h: ['2026-11-25T17:30:00.000Z'],
				businessSentLastHour: 1,
				businessSentLastDay: 1,
			});
			const updated = await store.updateMessageStatus('SM1', 'undelivered', 30007);
			expect(updated).toMatchObject({ to: '+13125550123', status: 'undelivered', errorCode: 30007 });
			expect((await store.messageStats('acme', '+13125550123', at)).lastAckAt).toBe('2026-11-24T10:00:00.000Z');
		});

		test('delivery reports never move a text back: a late "sent" after "undelivered" changes nothing', async () => {
			await store.recordMessage({
				businessId: 'acme',
				to: '+13125550125',
				kind: 'ack',
				at,
				sid: 'SM5',
				status: 'queued',
			});
			expect(await store.updateMessageStatus('SM5', 'undelivered', 30034)).toMatchObject({
				status: 'undelivered',
				errorCode: 30034,
			});
			expect(await store.updateMessageStatus('SM5', 'sent')).toBeUndefined();
			expect(await store.updateMessageStatus('SM5', 'queued')).toBeUndefined();
			expect(await store.updateMessageStatus('SM6', 'delivered')).toBeUndefined();
			// In order, each report moves it on; WhatsApp's "read" comes last.
			await store.recordMessage({
				businessId: 'acme',
				to: '+13125550126',
				kind: 'ack',
				at,
				sid: 'SM7',
				status: 'queued',
			});
			for (const s of ['sending', 'sent', 'delivered', 'read'])
				expect(await store.updateMessageStatus('SM7', s)).toMatchObject({ status: s });
			expect(await store.updateMessageStatus('SM7', 'delivered')).toBeUndefined();
			// The same stage again (a repeated report) is taken: nothing goes back.
			await store.recordMessage({
				businessId: 'acme',
				to: '+13125550127',
				kind: 'ack',
				at,
				sid: 'SM8',
				status: 'sent',
			});
			expect(await store.updateMessageStatus('SM8', 'sent')).toMatchObject({ status: 'sent' });
		});

		test('keys are claimed once', async () => {
			expect(await store.claimKey('twilio:SM1', 'acme', at)).toBe(true);
			expect(await store.claimKey('twilio:SM1', 'acme', at)).toBe(false);
		});

		test('keys are counted by prefix (matched as written), period and business', async () => {
			await store.claimKey('ai-resolved:vapi:1', 'acme', '2026-11-20T10:00:00.000Z');
			await store.claimKey('ai-resolved:vapi:2', 'acme', '2026-11-24T10:00:00.000Z');
			await store.claimKey('ai-resolved:retell:1', 'other', '2026-11-24T10:00:00.000Z');
			await store.claimKey('ai-resolvedXvapi:3', 'acme', '2026-11-24T10:00:00.000Z');
			await store.claimKey('ai_resolved:vapi:4', 'acme', '2026-11-24T10:00:00.000Z');
			const period = { from: '2026-11-22T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z' };
			expect(await store.countKeys('ai-resolved:', {})).toBe(3);
			expect(await store.countKeys('ai-resolved:', period)).toBe(2);
			expect(await store.countKeys('ai-resolved:', { ...period, businessId: 'acme' })).toBe(1);
			// LIKE's wildcard in a prefix is a plain character: "ai_" finds only the key spelled so.
			expect(await store.countKeys('ai_resolved:', {})).toBe(1);
		});

		test('a replay of any move is recognised after the history has dropped it, and after reopening', async () => {
			const { case: opened } = await store.openOrJoinCase(call(1), build(call(1)));
			const attempt = (i: number) => ({
				at: new Date(Date.parse(at) + i * 1000).toISOString(),
				channel: 'call' as const,
				by: 'ana',
				result: 'no-answer' as const,
			});
			// Past the history's limit; every other save without the version read, as callers without it save.
			const moves = cases.HISTORY_LIMIT + 50;
			let c = opened;
			for (let i = 0; i < moves; i++)
				c = await store.saveCase(cases.recordAttempt(c, attempt(i), `attempt:k${i}`), {
					previous: i % 2 ? c : undefined,
				});
			// A repeat call pushes one more out, through the other write path.
			await store.openOrJoinCase(call(2), build(call(2)));
			const replays = async (s: RecoveryStore) => {
				const now = (await s.getCase(opened.caseId))!;
				expect(now.history).toHaveLength(cases.HISTORY_LIMIT);
				expect(now.history.some((e) => e.key === 'attempt:k0')).toBe(false);
				const applied = [...Array(moves).keys()].filter(
					(i) => cases.recordAttempt(now, attempt(i), `attempt:k${i}`) !== now,
				);
				expect(applied).toEqual([]);
				expect(cases.hasApplied(now, `detect:${call(1).eventId}`)).toBe(true);
				expect(cases.recordAttempt(now, attempt(moves), `attempt:k${moves}`)).not.toBe(now);
			};
			await replays(store);
			const again = await h.open();
			try {
				await replays(again);
			} finally {
				await again.close();
			}
		});

		test('cases list by business, period and state; open counts by owner', async () => {
			for (let i = 0; i < 4; i++) {
				const ev = call(20 + i, `+1312555020${i}`, i === 3 ? 'other' : 'acme');
				const { case: c } = await store.openOrJoinCase(ev, build(ev));
				if (i < 2)
					await store.saveCase(
						cases.applyRoute(
							c,
							{
								kind: 'assigned',
								owner: { id: i === 0 ? 'ana' : 'cy', name: 'X' },
								dueAt: at,
								escalationLevel: 0,
								strategy: 'x',
								reasons: [],
							},
							'r',
							at,
						),
					);
			}
			expect(await store.listCases({ businessId: 'acme' })).toHaveLength(3);
			expect(await store.listCases({ businessId: 'acme', states: ['assigned'] })).toHaveLength(2);
			expect(await store.listCases({ businessId: 'acme', from: '2026-11-26T00:00:00.000Z' })).toHaveLength(0);
			expect(await store.openCountsByOwner('acme')).toEqual({ ana: 1, cy: 1 });
		});

		test('reopening migrates nothing twice and keeps the data', async () => {
			await store.openOrJoinCase(call(1), build(call(1)));
			const again = await h.open();
			try {
				expect(await again.countCases()).toBe(1);
			} finally {
				await again.close();
			}
			// One row, at the newest migration: the second open found nothing left to run.
			expect(await h.schemaVersions()).toEqual([SCHEMA_VERSION]);
		});
	});
}

contract('SQLite', sqliteHarness);
contract('PostgreSQL', postgresHarness, requirePostgres, describePostgres);

test('a PostgreSQL store that cannot connect says where and what to check, without the password', async () => {
	await expect(
		openStore({ type: 'postgres', host: '127.0.0.1', port: 1, database: 'x', user: 'u', password: 'hunter2-secret' }),
	).rejects.toThrow(/Could not open the PostgreSQL store at 127\.0\.0\.1:1\/x: .*Check the server is running/);
	await openStore({ type: 'postgres', host: '127.0.0.1', port: 1, password: 'hunter2-secret' }).catch((e: Error) =>
		expect(e.message).not.toContain('hunter2'),
	);
});

test('store settings are validated', async () => {
	await expect(openStore({ type: 'mysql' } as never)).rejects.toThrow(/Store settings: type is "mysql"/);
});
