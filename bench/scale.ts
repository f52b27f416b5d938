import { join } from 'node:path';
import { Client } from 'pg';
import { openStore, RecoveryLoop, type MessagingProvider, type Profile, type RecoveryStore } from '../core';
import { SqliteDriver } from '../core/store/sqlite';

/**
 * How time per case grows with the cases already stored: the store is filled to 10,000, 100,000 and 1,000,000
 * cases (closed, with their call, message and history, as a business's past looks), and at each size the same
 * number of full lifecycles runs through the real loop. Flat means every query a lifecycle makes is indexed.
 * Filling is done in bulk by the database itself (a recursive query), so the figure is the loop's, not the fill's.
 */
export interface ScalePoint {
	storedCases: number;
	msPerLifecycle: number;
	fillSec: number;
	dbMB?: number;
}

const SIZES = (process.env.MCR_BENCH_SCALE ?? '10000,100000,1000000').split(',').map(Number);
const LIFECYCLES = 1000;

const instant: MessagingProvider = {
	sendMessage: async () => ({ sid: `SM${Math.random().toString(16).slice(2).padEnd(32, '0')}`, status: 'queued' }),
	lookupLineType: async () => 'mobile',
	placeCall: async () => ({ sid: 'CA0' }),
};

let seq = 0;
async function lifecycles(store: RecoveryStore, profile: Profile, n: number): Promise<number> {
	const loop = new RecoveryLoop({ store, provider: instant, profileFor: () => profile });
	const t = process.hrtime.bigint();
	for (let i = 0; i < n; i++) {
		seq++;
		const from = `+1773${String(1000000 + seq).padStart(7, '0')}`;
		const d = await loop.detect({
			type: 'missed-call',
			eventId: `twilio:CAscale${seq}`,
			provider: 'twilio',
			callSid: `CAscale${seq}`,
			from,
			to: '+13125550199',
			businessId: profile.businessId,
			reason: 'no-answer',
			startedAt: new Date().toISOString(),
			durationSec: 0,
			repeat: 0,
			channel: 'sms',
		});
		await loop.acknowledge(d.case.caseId);
		await loop.classify(d.case.caseId);
		await loop.route(d.case.caseId);
		await loop.recordAttempt(d.case.caseId, { channel: 'call', by: 'a', result: 'reached' });
		await loop.recordOutcome(d.case.caseId, { kind: 'booked' });
	}
	return Number(process.hrtime.bigint() - t) / 1e6 / n;
}

/** A closed case as the loop leaves it, as a JSON template whose ids the fill replaces per row. */
async function closedCaseTemplate(store: RecoveryStore, profile: Profile): Promise<string> {
	await lifecycles(store, profile, 1);
	const [c] = await store.listCases({ businessId: profile.businessId, limit: 1 });
	return JSON.stringify(c).replaceAll(c.caseId, '@ID@').replaceAll(c.caller, '@CALLER@');
}

/**
 * Fills SQLite to `target` cases with one statement per table: a recursive counter, ids and callers derived from it.
 */
/** Every column of a stored case, in the order the fills below give them. */
const CASE_COLUMNS =
	'case_id, business_id, caller, state, is_open, owner_id, due_at, ack_due_at, claimed_until, detected_at, version, doc';

async function fillSqlite(
	file: string,
	from: number,
	target: number,
	template: string,
	businessId: string,
): Promise<void> {
	const db = new SqliteDriver(file);
	const doc = template.replace(/'/g, "''");
	const ids = `WITH RECURSIVE s(i) AS (SELECT ${from + 1} UNION ALL SELECT i + 1 FROM s WHERE i < ${target})`;
	const id = `'past-' || i`;
	const caller = `'+1630' || (1000000 + i)`;
	const at = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (i % 700) || ' days')`;
	await db.transaction(async (tx) => {
		await tx.run(`${ids} INSERT INTO mcr_cases (${CASE_COLUMNS})
			SELECT ${id}, '${businessId}', ${caller}, 'recovered', 0, 'a', NULL, NULL, NULL, ${at}, 7,
				replace(replace('${doc}', '@ID@', ${id}), '@CALLER@', ${caller}) FROM s`);
		await tx.run(
			`${ids} INSERT INTO mcr_case_calls (event_id, case_id, business_id, at, claim) SELECT 'twilio:CApast' || i, ` +
				`${id}, '${businessId}', ${at}, NULL FROM s`,
		);
		await tx.run(
			`${ids} INSERT INTO mcr_messages (business_id, to_number, kind, sid, status, error_code, case_id, at) SELECT ` +
				`'${businessId}', ${caller}, 'ack', 'SMpast' || i, 'delivered', NULL, ${id}, ${at} FROM s`,
		);
	});
	await db.close();
}

async function fillPostgres(
	url: string,
	schema: string,
	from: number,
	target: number,
	template: string,
	businessId: string,
): Promise<void> {
	const c = new Client({ connectionString: url });
	await c.connect();
	try {
		await c.query(`SET search_path = ${schema}`);
		const id = `'past-' || i`;
		const caller = `'+1630' || (1000000 + i)`;
		const at = `to_char((now() - (i % 700) * interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
		const series = `generate_series(${from + 1}, ${target}) AS i`;
		await c.query('BEGIN');
		await c.query(
			`INSERT INTO mcr_cases (${CASE_COLUMNS})
			 SELECT ${id}, $1, ${caller}, 'recovered', 0, 'a', NULL, NULL, NULL, ${at}, 7,
				replace(replace($2, '@ID@', ${id}), '@CALLER@', ${caller}) FROM ${series}`,
			[businessId, template],
		);
		await c.query(
			`INSERT INTO mcr_case_calls (event_id, case_id, business_id, at, claim) SELECT 'twilio:CApast' || i, ${id}, ` +
				`$1, ${at}, NULL FROM ${series}`,
			[businessId],
		);
		await c.query(
			`INSERT INTO mcr_messages (business_id, to_number, kind, sid, status, error_code, case_id, at) SELECT $1, ` +
				`${caller}, 'ack', 'SMpast' || i, 'delivered', NULL, ${id}, ${at} FROM ${series}`,
			[businessId],
		);
		await c.query('COMMIT');
		await c.query('ANALYZE mcr_cases; ANALYZE mcr_case_calls; ANALYZE mcr_messages');
	} finally {
		await c.end();
	}
}

export async function benchStoreScaling(
	dir: string,
	profile: Profile,
	pgUrl: string | undefined,
): Promise<Record<string, ScalePoint[] | string>> {
	const out: Record<string, ScalePoint[] | string> = {};
	const file = join(dir, 'scale.db');
	let store = await openStore({ type: 'sqlite', file });
	const template = await closedCaseTemplate(store, profile);
	await lifecycles(store, profile, 200); // warm up
	const sqlite: ScalePoint[] = [];
	let stored = 0;
	for (const size of SIZES) {
		await store.close();
		const t = Date.now();
		await fillSqlite(file, stored, size, template, profile.businessId);
		stored = size;
		store = await openStore({ type: 'sqlite', file });
		const fillSec = (Date.now() - t) / 1000;
		const ms = await lifecycles(store, profile, LIFECYCLES);
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const dbMB = Math.round(require('node:fs').statSync(file).size / 1048576);
		sqlite.push({ storedCases: size, msPerLifecycle: +ms.toFixed(3), fillSec: +fillSec.toFixed(1), dbMB });
		console.log(
			`  SQLite, ${size.toLocaleString('en-US')} stored cases: ${ms.toFixed(2)} ms per lifecycle (filled in ` +
				`${fillSec.toFixed(1)} s, file ${dbMB} MB)`,
		);
	}
	await store.close();
	out.sqlite = sqlite;
	if (!pgUrl) return out;
	const schema = `mcr_scale_${process.pid}`;
	const admin = new Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
	try {
		await admin.connect();
	} catch (e) {
		out.postgres = `skipped: PostgreSQL not reachable (${(e as Error).message})`;
		return out;
	}
	try {
		const pg = await openStore({ type: 'postgres', connectionString: pgUrl, schema, max: 4 });
		await lifecycles(pg, profile, 200);
		const points: ScalePoint[] = [];
		stored = 0;
		for (const size of SIZES) {
			const t = Date.now();
			await fillPostgres(pgUrl, schema, stored, size, template, profile.businessId);
			stored = size;
			const fillSec = (Date.now() - t) / 1000;
			const ms = await lifecycles(pg, profile, LIFECYCLES);
			points.push({ storedCases: size, msPerLifecycle: +ms.toFixed(3), fillSec: +fillSec.toFixed(1) });
			console.log(
				`  PostgreSQL, ${size.toLocaleString('en-US')} stored cases: ${ms.toFixed(2)} ms per lifecycle (filled in ` +
					`${fillSec.toFixed(1)} s)`,
			);
		}
		await pg.close();
		out.postgres = points;
	} finally {
		await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
		await admin.end();
	}
	return out;
}
