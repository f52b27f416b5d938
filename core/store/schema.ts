/**
 * Versioned schema. Each migration runs once, in order, inside a transaction; the store records the version.
 * Times are ISO-8601 UTC strings (fixed width, so they sort and compare as text in both databases).
 */
export interface Migration {
	version: number;
	statements: (dialect: 'sqlite' | 'postgres') => string[];
}

export const MIGRATIONS: Migration[] = [
	{
		version: 1,
		statements: (d) => [
			`CREATE TABLE IF NOT EXISTS mcr_cases (
				case_id TEXT PRIMARY KEY,
				business_id TEXT NOT NULL,
				caller TEXT NOT NULL,
				state TEXT NOT NULL,
				is_open INTEGER NOT NULL,
				owner_id TEXT,
				due_at TEXT,
				ack_due_at TEXT,
				claimed_until TEXT,
				detected_at TEXT NOT NULL,
				version INTEGER NOT NULL,
				doc TEXT NOT NULL
			)`,
			// One open case per caller and business: repeat calls fold into it, even across processes.
			`CREATE UNIQUE INDEX IF NOT EXISTS mcr_cases_open_caller ON mcr_cases (business_id, caller) WHERE is_open = 1`,
			`CREATE INDEX IF NOT EXISTS mcr_cases_due ON mcr_cases (due_at) WHERE is_open = 1`,
			`CREATE INDEX IF NOT EXISTS mcr_cases_ack_due ON mcr_cases (ack_due_at) WHERE ack_due_at IS NOT NULL`,
			`CREATE INDEX IF NOT EXISTS mcr_cases_business_detected ON mcr_cases (business_id, detected_at)`,
			`CREATE INDEX IF NOT EXISTS mcr_cases_owner_open ON mcr_cases (business_id, owner_id) WHERE is_open = 1`,
			`CREATE TABLE IF NOT EXISTS mcr_case_calls (
				event_id TEXT PRIMARY KEY,
				case_id TEXT NOT NULL,
				business_id TEXT NOT NULL,
				at TEXT NOT NULL
			)`,
			`CREATE INDEX IF NOT EXISTS mcr_case_calls_case ON mcr_case_calls (case_id)`,
			`CREATE TABLE IF NOT EXISTS mcr_keys (
				key TEXT PRIMARY KEY,
				business_id TEXT NOT NULL,
				at TEXT NOT NULL
			)`,
			`CREATE TABLE IF NOT EXISTS mcr_opt_outs (
				business_id TEXT NOT NULL,
				phone TEXT NOT NULL,
				opted_out INTEGER NOT NULL,
				source TEXT NOT NULL,
				at TEXT NOT NULL,
				PRIMARY KEY (business_id, phone)
			)`,
			`CREATE TABLE IF NOT EXISTS mcr_messages (
				id ${d === 'postgres' ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT'},
				business_id TEXT NOT NULL,
				to_number TEXT NOT NULL,
				kind TEXT NOT NULL,
				sid TEXT,
				status TEXT NOT NULL,
				error_code INTEGER,
				case_id TEXT,
				at TEXT NOT NULL
			)`,
			`CREATE INDEX IF NOT EXISTS mcr_messages_to ON mcr_messages (business_id, to_number, at)`,
			`CREATE INDEX IF NOT EXISTS mcr_messages_business_at ON mcr_messages (business_id, at)`,
			`CREATE INDEX IF NOT EXISTS mcr_messages_sid ON mcr_messages (sid)`,
			`CREATE TABLE IF NOT EXISTS mcr_round_robin (
				business_id TEXT NOT NULL,
				pool TEXT NOT NULL,
				counter INTEGER NOT NULL,
				PRIMARY KEY (business_id, pool)
			)`,
		],
	},
	{
		// Per-minute send counters: the hourly cap reads at most 60 rows instead of every message of the hour.
		version: 2,
		statements: () => [
			`CREATE TABLE IF NOT EXISTS mcr_send_counts (
				business_id TEXT NOT NULL,
				minute TEXT NOT NULL,
				n INTEGER NOT NULL,
				PRIMARY KEY (business_id, minute)
			)`,
		],
	},
	{
		// Refused webhooks (forged, unsigned, replayed), counted per day and provider: never executed, never stored as data.
		version: 3,
		statements: () => [
			`CREATE TABLE IF NOT EXISTS mcr_refusals (
				day TEXT NOT NULL,
				provider TEXT NOT NULL,
				n INTEGER NOT NULL,
				PRIMARY KEY (day, provider)
			)`,
		],
	},
	{
		// Who claimed an event or key: when a commit's answer is lost with the connection and the write is
		// run again, the writer recognises its own claim instead of mistaking it for a duplicate.
		version: 4,
		statements: () => [
			`ALTER TABLE mcr_case_calls ADD COLUMN claim TEXT`,
			`ALTER TABLE mcr_keys ADD COLUMN claim TEXT`,
		],
	},
	{
		// Per-hour send counters beside the per-minute ones: the daily cap reads at most 25 rows instead of 1,440.
		version: 5,
		statements: () => [
			`CREATE TABLE IF NOT EXISTS mcr_send_hours (
				business_id TEXT NOT NULL,
				hour TEXT NOT NULL,
				n INTEGER NOT NULL,
				PRIMARY KEY (business_id, hour)
			)`,
			`INSERT INTO mcr_send_hours (business_id, hour, n) SELECT business_id, substr(minute, 1, 13), SUM(n) FROM ` +
				`mcr_send_counts GROUP BY business_id, substr(minute, 1, 13)`,
		],
	},
	{
		// Keys of moves that left a case's bounded history: a replay of any of them is still recognised (issue #23).
		// Written only when a case's history is full, so an ordinary case costs nothing more.
		version: 6,
		statements: () => [
			`CREATE TABLE IF NOT EXISTS mcr_case_keys (
				case_id TEXT NOT NULL,
				key TEXT NOT NULL,
				at TEXT NOT NULL,
				PRIMARY KEY (case_id, key)
			)`,
		],
	},
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
