import { isoOfMs, msOfIso } from '../instant';
import type { SqlDriver } from './driver';
import type { AckReservation } from './types';

/** A send refused at the moment it was to be reserved: a cap of the business or of the caller is full. */
export class CapReachedError extends Error {
	constructor(
		readonly reason: 'cap-reached' | 'caller-cap-reached',
		readonly detail: string,
	) {
		super(detail);
		this.name = 'CapReachedError';
	}
}

/**
 * A held slot: an acknowledgment row that is on its way out. It counts against every cap (the business counters
 * were raised when it was taken) but is not yet a text the caller got, so the caller's window and state limits
 * do not read it.
 */
export const RESERVED = 'reserved';
/** A slot given back: the send it held never left. */
export const RELEASED = 'released';

/** The per-minute and per-hour send counters of a business, moved by `delta` for one text sent at `at`. */
export async function countSend(db: SqlDriver, businessId: string, at: string, delta: 1 | -1): Promise<void> {
	if (delta > 0) {
		await db.run(
			'INSERT INTO mcr_send_counts (business_id, minute, n) VALUES (?, ?, 1) ON CONFLICT (business_id, minute) DO ' +
				'UPDATE SET n = mcr_send_counts.n + 1',
			[businessId, at.slice(0, 16)],
		);
		await db.run(
			'INSERT INTO mcr_send_hours (business_id, hour, n) VALUES (?, ?, 1) ON CONFLICT (business_id, hour) DO ' +
				'UPDATE SET n = mcr_send_hours.n + 1',
			[businessId, at.slice(0, 13)],
		);
		return;
	}
	await db.run('UPDATE mcr_send_counts SET n = n - 1 WHERE business_id = ? AND minute = ? AND n > 0', [
		businessId,
		at.slice(0, 16),
	]);
	await db.run('UPDATE mcr_send_hours SET n = n - 1 WHERE business_id = ? AND hour = ? AND n > 0', [
		businessId,
		at.slice(0, 13),
	]);
}

/** The start of the hour and of the 24 hours before `at`, which the caps and the caller's stats count from. */
export function capWindows(at: string): { hourAgo: string; dayAgo: string } {
	const t = msOfIso(at);
	return { hourAgo: isoOfMs(t - 3600e3), dayAgo: isoOfMs(t - 24 * 3600e3) };
}

/** Gives back the slots a case still holds (a send cut off by a crash that the provider says never left). */
async function releaseStale(db: SqlDriver, r: AckReservation): Promise<void> {
	const stale = await db.all<{ at: string }>(
		`UPDATE mcr_messages SET status = '${RELEASED}' WHERE business_id = ? AND to_number = ? AND kind = 'ack' AND ` +
			`case_id = ? AND status = '${RESERVED}' RETURNING at`,
		[r.businessId, r.to, r.caseId],
	);
	for (const s of stale) await countSend(db, r.businessId, String(s.at), -1);
}

/**
 * Takes one slot under the business's hourly and daily caps and the caller's daily cap, or throws CapReachedError.
 * Runs inside the transaction that marks the case as sending, so the count read and the slot taken are one step:
 * SQLite has one writer at a time; PostgreSQL takes a lock per business for the rest of the transaction (held for
 * a few statements), so two workers cannot both read 99 and both send the hundredth.
 */
export async function reserveAck(db: SqlDriver, r: AckReservation, notSent: readonly string[]): Promise<void> {
	if (r.afterCutOff) await releaseStale(db, r);
	if (db.dialect === 'postgres') await db.all('SELECT pg_advisory_xact_lock(7423002, hashtext(?))', [r.businessId]);
	const { hourAgo, dayAgo } = capWindows(r.at);
	const sent = `status NOT IN (${notSent.map((s) => `'${s}'`).join(', ')})`;
	// The same windows as messageStats: the hour from per-minute counters, the day from per-hour ones.
	const [counts] = await db.all<{ hour: number; day: number; caller: number }>(
		`SELECT (SELECT COALESCE(SUM(n), 0) FROM mcr_send_counts WHERE business_id = ? AND minute > ?) AS hour,
		        (SELECT COALESCE(SUM(n), 0) FROM mcr_send_hours WHERE business_id = ? AND hour >= ?) AS day,
		        (SELECT COUNT(*) FROM mcr_messages WHERE business_id = ? AND to_number = ? AND at > ? AND ${sent}) AS caller`,
		[r.businessId, hourAgo.slice(0, 16), r.businessId, dayAgo.slice(0, 13), r.businessId, r.to, dayAgo],
	);
	const hour = Number(counts?.hour ?? 0);
	const day = Number(counts?.day ?? 0);
	const caller = Number(counts?.caller ?? 0);
	if (hour >= r.hourlyCap)
		throw new CapReachedError(
			'cap-reached',
			`${hour} acknowledgments sent or on their way in the last hour (cap ${r.hourlyCap}); a burst like this is ` +
				`often SMS pumping`,
		);
	if (day >= r.dailyCap)
		throw new CapReachedError(
			'cap-reached',
			`${day} acknowledgments sent or on their way in the last 24 hours (cap ${r.dailyCap}); raise ` +
				`acknowledgment.dailyCap if this volume is real`,
		);
	if (caller >= r.perCallerDailyCap)
		throw new CapReachedError(
			'caller-cap-reached',
			`${r.to} already has ${caller} texts sent or on their way in 24 hours (cap ${r.perCallerDailyCap})`,
		);
	await db.run(
		'INSERT INTO mcr_messages (business_id, to_number, kind, sid, status, error_code, case_id, at) VALUES (?, ?, ' +
			'?, NULL, ?, NULL, ?, ?)',
		[r.businessId, r.to, 'ack', RESERVED, r.caseId, r.at],
	);
	await countSend(db, r.businessId, r.at, 1);
}

/**
 * Settles the slot a case holds with the outcome of its send: the row becomes the sent text (already counted), or
 * a failed one whose slot is given back. False when the case held no slot (a text recorded the old way).
 */
export async function settleReservation(
	db: SqlDriver,
	m: { businessId: string; to: string; caseId: string; sid: string | null; status: string; errorCode: number | null },
	notSent: readonly string[],
): Promise<boolean> {
	const rows = await db.all<{ at: string }>(
		`UPDATE mcr_messages SET sid = ?, status = ?, error_code = ? WHERE business_id = ? AND to_number = ? AND kind ` +
			`= 'ack' AND case_id = ? AND status = '${RESERVED}' RETURNING at`,
		[m.sid, m.status, m.errorCode, m.businessId, m.to, m.caseId],
	);
	if (!rows.length) return false;
	if (notSent.includes(m.status)) for (const r of rows) await countSend(db, m.businessId, String(r.at), -1);
	return true;
}
