import { randomUUID } from 'node:crypto';
import { ConcurrentUpdateError } from '../errors';
import { isoOfMs, msOfIso, storedIso } from '../instant';
import {
	ACK_SAFETY_NET_MS,
	isOpen,
	notBeforeSnooze,
	NOT_DELIVERED,
	ROUTE_SAFETY_NET_MS,
	wakeAt,
	type Case,
	type MissedCall,
} from '../model';
import { droppedKeys, earlierKeys, HISTORY_LIMIT, withEarlierKeys } from '../track/case';
import { capWindows, countSend, RELEASED, RESERVED, reserveAck, settleReservation } from './caps';
import type { SqlDriver } from './driver';
import { MIGRATIONS } from './schema';
import type {
	CallerMessageStats,
	CaseFilter,
	MessageRecord,
	OpenCaseResult,
	RecoveryStore,
	SaveCaseOptions,
} from './types';

type Row = Record<string, unknown>;

/**
 * Message statuses that mean nothing reached the phone: Twilio's final failures, texts the pack held back, and send
 * slots given back.
 */
const FAILED = [...NOT_DELIVERED, 'skipped', RELEASED];

/**
 * How far along a text is, in Twilio's order (queued, sending, sent, then delivered, undelivered or failed; read last
 * on WhatsApp). Twilio's reports can arrive out of order: one never moves a text back (a late "sent" after
 * "undelivered").
 */
const STAGE: Record<string, number> = {
	accepted: 0,
	scheduled: 0,
	queued: 0,
	sending: 1,
	sent: 2,
	delivered: 3,
	undelivered: 3,
	failed: 3,
	canceled: 3,
	read: 4,
};
const STAGE_SQL = `CASE status ${Object.entries(STAGE)
	.map(([s, n]) => `WHEN '${s}' THEN ${n}`)
	.join(' ')} ELSE 0 END`;

/** An instant as the store writes it (the stored form is kept as it is; see core/instant.ts). */
const iso = storedIso;

function after(at: string, ms: number): string {
	return isoOfMs(msOfIso(at) + ms);
}

/** What the indexes and sweeps read, derived from the document; each key is its column's name. */
interface IndexedColumns {
	state: string;
	is_open: number;
	owner_id: string | null;
	due_at: string | null;
	ack_due_at: string | null;
}

/** The indexed columns an update may leave out when they did not change (state is always written with the document). */
const INDEXED: readonly (keyof IndexedColumns)[] = ['is_open', 'owner_id', 'due_at', 'ack_due_at'];

/** Every column a case write sets, in the order caseValues gives their values. */
const CASE_COLUMNS = ['state', ...INDEXED, 'doc'] as const;

function indexedColumns(c: Case): IndexedColumns {
	const open = isOpen(c.state);
	const ackDue =
		(c.ack.status === 'deferred' || c.ack.status === 'failed') && c.ack.sendAt
			? iso(c.ack.sendAt)
			: c.ack.status === 'pending' && open
				? after(c.stamps.detectedAt, ACK_SAFETY_NET_MS)
				: c.ack.status === 'sending' && open
					? after(c.ack.since ?? c.stamps.detectedAt, ACK_SAFETY_NET_MS)
					: null;
	const wake = wakeAt(c);
	const dueAt = !open
		? null
		: wake
			? iso(wake)
			: !c.owner && !c.nobodyAvailable
				? after(c.stamps.detectedAt, ROUTE_SAFETY_NET_MS)
				: null;
	return {
		state: c.state,
		is_open: open ? 1 : 0,
		owner_id: c.owner?.id ?? null,
		due_at: dueAt && iso(notBeforeSnooze(c, dueAt)),
		ack_due_at: ackDue && iso(notBeforeSnooze(c, ackDue)),
	};
}

/** The values of CASE_COLUMNS for a case. */
function caseValues(c: Case): unknown[] {
	const cols = indexedColumns(c);
	return [cols.state, ...INDEXED.map((k) => cols[k]), JSON.stringify(c)];
}

const CASE_SET = CASE_COLUMNS.map((k) => `${k} = ?`).join(', ');
const CASE_INSERT_COLUMNS = CASE_COLUMNS.join(', ');

/**
 * A message row, and for a sent acknowledgment the business's per-minute and per-hour send counters (the caps read
 * them). An acknowledgment whose case holds a send slot settles that slot instead of adding a row.
 */
async function insertMessage(db: SqlDriver, m: MessageRecord): Promise<void> {
	const at = iso(m.at);
	if (
		m.kind === 'ack' &&
		m.caseId &&
		(await settleReservation(
			db,
			{
				businessId: m.businessId,
				to: m.to,
				caseId: m.caseId,
				sid: m.sid ?? null,
				status: m.status,
				errorCode: m.errorCode ?? null,
			},
			FAILED,
		))
	)
		return;
	await db.run(
		'INSERT INTO mcr_messages (business_id, to_number, kind, sid, status, error_code, case_id, at) VALUES (?, ?, ' +
			'?, ?, ?, ?, ?, ?)',
		[m.businessId, m.to, m.kind, m.sid ?? null, m.status, m.errorCode ?? null, m.caseId ?? null, at],
	);
	if (m.kind === 'ack' && !FAILED.includes(m.status)) await countSend(db, m.businessId, at, 1);
}

/** Advances a round-robin pool's counter and returns the turn it gives (0 for a new pool). */
async function nextTurn(db: SqlDriver, businessId: string, pool: string): Promise<number> {
	const rows = await db.all<{ counter: number }>(
		`INSERT INTO mcr_round_robin (business_id, pool, counter) VALUES (?, ?, 0)
		 ON CONFLICT (business_id, pool) DO UPDATE SET counter = mcr_round_robin.counter + 1 RETURNING counter`,
		[businessId, pool],
	);
	return Number(rows[0].counter);
}

/** A history at its limit: moves may have left it, and their keys are in mcr_case_keys. */
function historyFull(c: Case): boolean {
	return c.history.length >= HISTORY_LIMIT;
}

/**
 * Keeps the keys of the moves a write drops from the case's history (before the write lands, in its transaction);
 * returns them.
 */
async function keepDroppedKeys(db: SqlDriver, stored: Case | undefined, next: Case): Promise<string[]> {
	if (!stored || !historyFull(next)) return [];
	const dropped = droppedKeys(stored, next);
	// When: the move that pushed them out.
	const at = iso(next.history[next.history.length - 1].at);
	for (const key of dropped)
		await db.run('INSERT INTO mcr_case_keys (case_id, key, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [
			next.caseId,
			key,
			at,
		]);
	return dropped;
}

/** Attaches the kept keys to cases read with a full history, so a replay of an old move is recognised. */
async function withKeys<T extends Case | undefined>(db: SqlDriver, c: T): Promise<T> {
	if (!c || !historyFull(c)) return c;
	const rows = await db.all<{ key: string }>('SELECT key FROM mcr_case_keys WHERE case_id = ?', [c.caseId]);
	withEarlierKeys(
		c,
		rows.map((r) => String(r.key)),
	);
	return c;
}

async function allWithKeys(db: SqlDriver, list: Case[]): Promise<Case[]> {
	for (const c of list) await withKeys(db, c);
	return list;
}

function parseDoc(row: Row | undefined): Case | undefined {
	if (!row) return undefined;
	const c = JSON.parse(String(row.doc)) as Case;
	c.version = Number(row.version);
	return c;
}

/**
 * The store over any SQL driver. The two dialects differ only where noted: PostgreSQL locks rows
 * (FOR UPDATE, SKIP LOCKED) because several processes share it; SQLite serializes writers itself.
 */
export class SqlStore implements RecoveryStore {
	readonly kind: 'sqlite' | 'postgres';
	private readonly lock: string;
	private readonly skipLocked: string;

	constructor(private readonly db: SqlDriver) {
		this.kind = db.dialect;
		this.lock = db.dialect === 'postgres' ? ' FOR UPDATE' : '';
		this.skipLocked = db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
	}

	/** Creates or upgrades the schema; safe to call from several processes at once. */
	async migrate(): Promise<number> {
		return this.db.transaction(async (tx) => {
			if (tx.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(7423001)');
			await tx.run('CREATE TABLE IF NOT EXISTS mcr_schema (version INTEGER NOT NULL)');
			const rows = await tx.all<{ version: number }>('SELECT version FROM mcr_schema');
			let current = rows.length ? Number(rows[0].version) : 0;
			for (const m of MIGRATIONS) {
				if (m.version <= current) continue;
				for (const sql of m.statements(tx.dialect)) await tx.run(sql);
				current = m.version;
			}
			if (rows.length) await tx.run('UPDATE mcr_schema SET version = ?', [current]);
			else await tx.run('INSERT INTO mcr_schema (version) VALUES (?)', [current]);
			return current;
		});
	}

	async openOrJoinCase(event: MissedCall, build: (existing: Case | undefined) => Case): Promise<OpenCaseResult> {
		const claim = randomUUID();
		for (let attempt = 0; attempt < 5; attempt++) {
			const result = await this.db
				.transaction(async (tx): Promise<OpenCaseResult | 'retry'> => {
					const seen = await tx.all<{ case_id: string; claim: string | null }>(
						'SELECT case_id, claim FROM mcr_case_calls WHERE event_id = ?',
						[event.eventId],
					);
					if (seen.length) {
						const rows = await tx.all('SELECT doc, version FROM mcr_cases WHERE case_id = ?', [seen[0].case_id]);
						const c = parseDoc(rows[0])!;
						// Our own write, committed before the connection dropped and run again: not a duplicate.
						if (seen[0].claim === claim)
							return {
								case: c,
								created: c.calls.length === 1 && c.calls[0].eventId === event.eventId,
								duplicate: false,
							};
						return { case: c, created: false, duplicate: true };
					}
					const open = await tx.all(
						`SELECT doc, version FROM mcr_cases WHERE business_id = ? AND caller = ? AND is_open = 1${this.lock}`,
						[event.businessId, event.from],
					);
					const existing = parseDoc(open[0]);
					// Not parsed with CaseSchema: `build` is the core's newCase or foldCall over an event the trigger's schema
					// already checked, and they give every field the schema has (held to it by test/core/case.test.ts and the
					// webhook fuzz); the parse cost 5-7% of a call's CPU. A copy, since its version is set below.
					const next = { ...build(existing) };
					if (existing) {
						await keepDroppedKeys(tx, existing, next);
						next.version = existing.version + 1;
						const n = await tx.run(`UPDATE mcr_cases SET ${CASE_SET}, version = ? WHERE case_id = ? AND version = ?`, [
							...caseValues(next),
							next.version,
							existing.caseId,
							existing.version,
						]);
						if (n !== 1) return 'retry';
					} else {
						next.version = 1;
						const n = await tx.run(
							`INSERT INTO mcr_cases (${CASE_INSERT_COLUMNS}, version, case_id, business_id, caller, detected_at)
						 VALUES (${CASE_COLUMNS.map(() => '?').join(', ')}, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
							[
								...caseValues(next),
								next.version,
								next.caseId,
								next.businessId,
								next.caller,
								iso(next.stamps.detectedAt),
							],
						);
						// Another process opened this caller's case between our read and insert: fold into theirs.
						if (n !== 1) return 'retry';
					}
					const claimed = await tx.run(
						'INSERT INTO mcr_case_calls (event_id, case_id, business_id, at, claim) VALUES (?, ?, ?, ?, ?) ON ' +
							'CONFLICT DO NOTHING',
						[event.eventId, next.caseId, event.businessId, iso(next.stamps.detectedAt), claim],
					);
					if (claimed !== 1) throw new DuplicateRace();
					return { case: next, created: !existing, duplicate: false };
				})
				.catch((e) => {
					if (e instanceof DuplicateRace) return 'retry' as const;
					throw e;
				});
			if (result !== 'retry') return { ...result, case: await withKeys(this.db, result.case) };
		}
		throw new ConcurrentUpdateError(`(open case for ${event.eventId})`);
	}

	async getCase(caseId: string): Promise<Case | undefined> {
		const rows = await this.db.all('SELECT doc, version FROM mcr_cases WHERE case_id = ?', [caseId]);
		return withKeys(this.db, parseDoc(rows[0]));
	}

	async findCaseByEvent(eventId: string): Promise<Case | undefined> {
		const rows = await this.db.all(
			'SELECT c.doc, c.version FROM mcr_case_calls k JOIN mcr_cases c ON c.case_id = k.case_id WHERE k.event_id = ?',
			[eventId],
		);
		return withKeys(this.db, parseDoc(rows[0]));
	}

	async findOpenCase(businessId: string, caller: string): Promise<Case | undefined> {
		const rows = await this.db.all(
			'SELECT doc, version FROM mcr_cases WHERE business_id = ? AND caller = ? AND is_open = 1',
			[businessId, caller],
		);
		return withKeys(this.db, parseDoc(rows[0]));
	}

	async saveCase(c: Case, opts: SaveCaseOptions = {}): Promise<Case> {
		// One commit for the case and the messages its change reports (or the send slot it takes): all land, or none.
		const written =
			opts.messages?.length || opts.reserve || historyFull(c)
				? await this.db.transaction((tx) => this.writeCase(tx, c, opts))
				: await this.writeCase(this.db, c, opts);
		return this.saved(c, opts, written);
	}

	async saveWithTurn(
		businessId: string,
		pool: string,
		build: (turn: number) => Case | undefined,
		opts: SaveCaseOptions = {},
	): Promise<Case | undefined> {
		let built: Case | undefined;
		const written = await this.db
			.transaction(async (tx) => {
				built = build(await nextTurn(tx, businessId, pool));
				// Nothing to save: the turn is given back with the rolled-back transaction.
				if (!built) throw new NoChange();
				return this.writeCase(tx, built, opts);
			})
			.catch((e) => {
				if (e instanceof NoChange) return undefined;
				throw e;
			});
		return built && written ? this.saved(built, opts, written) : undefined;
	}

	/**
	 * Writes the next version of `c` with the statements on `db` (a transaction when the caller holds one), checking the
	 * version read; returns it, and the keys of the moves a full history dropped.
	 */
	private async writeCase(db: SqlDriver, c: Case, opts: SaveCaseOptions): Promise<Written> {
		const next = { ...c, version: c.version + 1 };
		const cols = indexedColumns(next);
		// The indexed columns that changed since the version read (all of them when that version is not at hand).
		const was =
			opts.previous && opts.previous.caseId === c.caseId && opts.previous.version === c.version
				? indexedColumns(opts.previous)
				: undefined;
		const set = ['state = ?', 'doc = ?', 'version = ?', 'claimed_until = NULL'];
		const params: unknown[] = [cols.state, JSON.stringify(next), next.version];
		for (const name of INDEXED) {
			if (was && was[name] === cols[name]) continue;
			set.push(`${name} = ?`);
			params.push(cols[name]);
		}
		// A full history drops its oldest moves: their keys are kept in the same commit (read the version replaced
		// unless the caller has it).
		let dropped: string[] = [];
		if (historyFull(next)) {
			const stored =
				opts.previous?.caseId === c.caseId && opts.previous.version === c.version
					? opts.previous
					: parseDoc(
							(
								await db.all('SELECT doc, version FROM mcr_cases WHERE case_id = ? AND version = ?', [
									c.caseId,
									c.version,
								])
							)[0],
						);
			dropped = await keepDroppedKeys(db, stored, next);
		}
		const n = await db.run(`UPDATE mcr_cases SET ${set.join(', ')} WHERE case_id = ? AND version = ?`, [
			...params,
			c.caseId,
			c.version,
		]);
		if (n !== 1) throw new ConcurrentUpdateError(c.caseId);
		if (opts.reserve) await reserveAck(db, { ...opts.reserve, at: iso(opts.reserve.at) }, FAILED);
		for (const m of opts.messages ?? []) await insertMessage(db, m);
		return { next, dropped };
	}

	/** The case as saved: the next version, carrying the keys of moves its history no longer holds. */
	private saved(c: Case, opts: SaveCaseOptions, { next, dropped }: Written): Promise<Case> | Case {
		// The keys the version read carried and those this write dropped: no need to read them all again.
		const known =
			earlierKeys(c) ??
			(opts.previous?.caseId === c.caseId && opts.previous.version === c.version
				? earlierKeys(opts.previous)
				: undefined);
		return known && historyFull(next) ? withEarlierKeys(next, [...known, ...dropped]) : withKeys(this.db, next);
	}

	async listCases(f: CaseFilter): Promise<Case[]> {
		const where: string[] = [];
		const params: unknown[] = [];
		const add = (clause: string, ...values: unknown[]) => {
			where.push(clause);
			params.push(...values);
		};
		if (f.businessId) add('business_id = ?', f.businessId);
		if (f.from) add('detected_at >= ?', iso(f.from));
		if (f.to) add('detected_at < ?', iso(f.to));
		if (f.caller) add('caller = ?', f.caller);
		if (f.ownerId) add('owner_id = ?', f.ownerId);
		if (f.states?.length) add(`state IN (${f.states.map(() => '?').join(', ')})`, ...f.states);
		const limit = Math.min(Math.max(f.limit ?? 10000, 1), 100000);
		const sql =
			`SELECT doc, version FROM mcr_cases${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER ` +
			`BY detected_at DESC LIMIT ${limit}`;
		return allWithKeys(
			this.db,
			(await this.db.all(sql, params)).map((r) => parseDoc(r)!),
		);
	}

	async listOverdue(now: string, opts: { businessId?: string; limit?: number } = {}): Promise<Case[]> {
		const params: unknown[] = [iso(now)];
		const extra = opts.businessId ? ' AND business_id = ?' : '';
		if (opts.businessId) params.push(opts.businessId);
		const rows = await this.db.all(
			`SELECT doc, version FROM mcr_cases WHERE is_open = 1 AND due_at <= ?${extra} ORDER BY due_at LIMIT ` +
				`${Math.min(opts.limit ?? 100, 1000)}`,
			params,
		);
		return allWithKeys(
			this.db,
			rows.map((r) => parseDoc(r)!),
		);
	}

	async claimOverdue(
		now: string,
		leaseUntil: string,
		opts: { businessId?: string; limit?: number } = {},
	): Promise<Case[]> {
		const params: unknown[] = [iso(leaseUntil), iso(now), iso(now)];
		const extra = opts.businessId ? ' AND business_id = ?' : '';
		if (opts.businessId) params.push(opts.businessId);
		const limit = Math.min(opts.limit ?? 100, 1000);
		const rows = await this.db.all(
			`UPDATE mcr_cases SET claimed_until = ? WHERE case_id IN (
				SELECT case_id FROM mcr_cases
				WHERE is_open = 1 AND due_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)${extra}
				ORDER BY due_at LIMIT ${limit}${this.skipLocked}
			) RETURNING doc, version`,
			params,
		);
		return allWithKeys(
			this.db,
			rows.map((r) => parseDoc(r)!),
		);
	}

	async claimDueAcks(now: string, leaseUntil: string, limit = 100): Promise<Case[]> {
		const rows = await this.db.all(
			`UPDATE mcr_cases SET claimed_until = ? WHERE case_id IN (
				SELECT case_id FROM mcr_cases
				WHERE ack_due_at IS NOT NULL AND ack_due_at <= ? AND is_open = 1
					AND (claimed_until IS NULL OR claimed_until < ?)
				ORDER BY ack_due_at LIMIT ${Math.min(limit, 1000)}${this.skipLocked}
			) RETURNING doc, version`,
			[iso(leaseUntil), iso(now), iso(now)],
		);
		return allWithKeys(
			this.db,
			rows.map((r) => parseDoc(r)!),
		);
	}

	async openCountsByOwner(businessId: string): Promise<Record<string, number>> {
		const rows = await this.db.all<{ owner_id: string; n: number }>(
			'SELECT owner_id, COUNT(*) AS n FROM mcr_cases WHERE business_id = ? AND is_open = 1 AND owner_id IS NOT ' +
				'NULL GROUP BY owner_id',
			[businessId],
		);
		return Object.fromEntries(rows.map((r) => [r.owner_id, Number(r.n)]));
	}

	nextRoundRobin(businessId: string, pool: string): Promise<number> {
		return nextTurn(this.db, businessId, pool);
	}

	async claimKey(key: string, businessId: string, at: string): Promise<boolean> {
		const claim = randomUUID();
		if (
			(await this.db.run(
				'INSERT INTO mcr_keys (key, business_id, at, claim) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
				[key, businessId, iso(at), claim],
			)) === 1
		)
			return true;
		// The insert may have committed on a connection that dropped before answering, then run again: ours is ours.
		const rows = await this.db.all<{ claim: string | null }>('SELECT claim FROM mcr_keys WHERE key = ?', [key]);
		return rows[0]?.claim === claim;
	}

	async countKeys(prefix: string, filter: { businessId?: string; from?: string; to?: string }): Promise<number> {
		// LIKE's wildcards in the prefix are escaped: it is matched as written.
		const pattern = prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
		const rows = await this.db.all<{ n: number }>(
			"SELECT COUNT(*) AS n FROM mcr_keys WHERE key LIKE ? ESCAPE '\\' AND at >= ? AND at <= ?" +
				(filter.businessId === undefined ? '' : ' AND business_id = ?'),
			[
				pattern,
				filter.from ? iso(filter.from) : '0000',
				filter.to ? iso(filter.to) : '9999',
				...(filter.businessId === undefined ? [] : [filter.businessId]),
			],
		);
		return Number(rows[0]?.n ?? 0);
	}

	async setOptOut(businessId: string, phone: string, optedOut: boolean, source: string, at: string): Promise<void> {
		await this.db.run(
			`INSERT INTO mcr_opt_outs (business_id, phone, opted_out, source, at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (business_id, phone)
			 DO UPDATE SET opted_out = excluded.opted_out, source = excluded.source, at = excluded.at`,
			[businessId, phone, optedOut ? 1 : 0, source, iso(at)],
		);
	}

	async isOptedOut(businessId: string, phone: string): Promise<boolean> {
		const rows = await this.db.all<{ opted_out: number }>(
			'SELECT opted_out FROM mcr_opt_outs WHERE business_id = ? AND phone = ?',
			[businessId, phone],
		);
		return rows.length > 0 && Number(rows[0].opted_out) === 1;
	}

	async recordMessage(m: MessageRecord): Promise<void> {
		// An acknowledgment may settle a send slot (a row and two counters): one commit.
		if (m.kind === 'ack') await this.db.transaction((tx) => insertMessage(tx, m));
		else await insertMessage(this.db, m);
	}

	async updateMessageStatus(sid: string, status: string, errorCode?: number): Promise<MessageRecord | undefined> {
		const rows = await this.db.all<Row>(
			`UPDATE mcr_messages SET status = ?, error_code = ? WHERE sid = ? AND ${STAGE_SQL} <= ? RETURNING ` +
				`business_id, to_number, kind, sid, status, error_code, case_id, at`,
			[status, errorCode ?? null, sid, STAGE[status] ?? 0],
		);
		const r = rows[0];
		if (!r) return undefined;
		return {
			businessId: String(r.business_id),
			to: String(r.to_number),
			kind: r.kind as MessageRecord['kind'],
			sid: String(r.sid),
			status: String(r.status),
			errorCode: r.error_code == null ? undefined : Number(r.error_code),
			caseId: r.case_id == null ? undefined : String(r.case_id),
			at: String(r.at),
		};
	}

	async messageStats(businessId: string, to: string, now: string): Promise<CallerMessageStats> {
		const { hourAgo, dayAgo } = capWindows(now);
		// Texts the caller got: a slot still held (a send on its way) counts against the caps, not here.
		const sent = `status NOT IN (${[...FAILED, RESERVED].map((f) => `'${f}'`).join(', ')})`;
		const [last, recent, counts] = await Promise.all([
			this.db.all<{ at: string }>(
				`SELECT at FROM mcr_messages WHERE business_id = ? AND to_number = ? AND kind = 'ack' AND ${sent} ORDER BY ` +
					`at DESC LIMIT 1`,
				[businessId, to],
			),
			this.db.all<{ at: string }>(
				`SELECT at FROM mcr_messages WHERE business_id = ? AND to_number = ? AND at > ? AND ${sent} ORDER BY at`,
				[businessId, to, dayAgo],
			),
			// The hour from per-minute counters (at most 60 rows); the day from per-hour counters (at most 25 rows,
			// counting the whole of the hour 24 hours ago, so the daily cap errs on the safe side).
			this.db.all<{ hour: number; day: number }>(
				`SELECT (SELECT COALESCE(SUM(n), 0) FROM mcr_send_counts WHERE business_id = ? AND minute > ?) AS hour,
				        (SELECT COALESCE(SUM(n), 0) FROM mcr_send_hours WHERE business_id = ? AND hour >= ?) AS day`,
				[businessId, hourAgo.slice(0, 16), businessId, dayAgo.slice(0, 13)],
			),
		]);
		return {
			lastAckAt: last[0]?.at,
			sentToCallerLast24h: recent.map((r) => r.at),
			businessSentLastHour: Number(counts[0]?.hour ?? 0),
			businessSentLastDay: Number(counts[0]?.day ?? 0),
		};
	}

	async countCases(businessId?: string): Promise<number> {
		const rows = businessId
			? await this.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM mcr_cases WHERE business_id = ?', [businessId])
			: await this.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM mcr_cases');
		return Number(rows[0].n);
	}

	async recordRefusal(provider: string, at: string): Promise<void> {
		await this.db.run(
			'INSERT INTO mcr_refusals (day, provider, n) VALUES (?, ?, 1) ON CONFLICT (day, provider) DO UPDATE SET n = ' +
				'mcr_refusals.n + 1',
			[iso(at).slice(0, 10), provider],
		);
	}

	async refusals(fromDay = '0000-00-00', toDay = '9999-99-99'): Promise<Record<string, number>> {
		const rows = await this.db.all<{ provider: string; n: number }>(
			'SELECT provider, SUM(n) AS n FROM mcr_refusals WHERE day >= ? AND day <= ? GROUP BY provider',
			[fromDay, toDay],
		);
		return Object.fromEntries(rows.map((r) => [String(r.provider), Number(r.n)]));
	}

	close(): Promise<void> {
		return this.db.close();
	}
}

class DuplicateRace extends Error {}

/** A case version written, and the keys of the moves its full history dropped. */
interface Written {
	next: Case;
	dropped: string[];
}

/** saveWithTurn's build had nothing to save. */
class NoChange extends Error {}
