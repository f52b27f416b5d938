import type { Case, CaseState, MissedCall } from '../model';

export interface CaseFilter {
	businessId?: string;
	/** Detected at or after (ISO). */
	from?: string;
	/** Detected before (ISO). */
	to?: string;
	states?: CaseState[];
	caller?: string;
	ownerId?: string;
	limit?: number;
}

export interface MessageRecord {
	businessId: string;
	to: string;
	kind:
		| 'ack'
		| 'owner-alert'
		| 'help'
		| 'opt-out-confirm'
		| 'opt-in-confirm'
		| 'follow-up'
		| 'escalation'
		| 'relay'
		| 'assistant';
	at: string;
	sid?: string;
	status: string;
	caseId?: string;
	errorCode?: number;
}

export interface CallerMessageStats {
	lastAckAt?: string;
	sentToCallerLast24h: string[];
	businessSentLastHour: number;
	businessSentLastDay: number;
}

/**
 * One acknowledgment's slot under the caps, taken in the same commit that marks its case as sending: counted from
 * that moment, so sends in flight at once (in one process or several) cannot all pass a cap each read as not full.
 */
export interface AckReservation {
	businessId: string;
	to: string;
	caseId: string;
	/** When the slot is taken (ISO): the hour and day it counts in. */
	at: string;
	hourlyCap: number;
	dailyCap: number;
	perCallerDailyCap: number;
	/** The case's last send was cut off (a crash) and never left: the slot it may still hold is given back first. */
	afterCutOff?: boolean;
}

export interface SaveCaseOptions {
	messages?: MessageRecord[];
	previous?: Case;
	/** Takes a send slot in the same commit, or throws CapReachedError and saves nothing. */
	reserve?: AckReservation;
}

export interface OpenCaseResult {
	case: Case;
	/** A new case was opened for this call. */
	created: boolean;
	/** The exact event was seen before: nothing changed. */
	duplicate: boolean;
}

/**
 * Everything the loop persists. Implementations: SQLite (embedded, default) and PostgreSQL (shared by
 * several n8n workers or Node-RED instances). Idempotency and "one open case per caller" are enforced
 * by constraints, not by read-then-write, so concurrent processes cannot double up.
 */
export interface RecoveryStore {
	readonly kind: 'sqlite' | 'postgres';
	/** Opens a case for the call, or folds it into the caller's open case. `build` runs inside the transaction. */
	openOrJoinCase(event: MissedCall, build: (existing: Case | undefined) => Case): Promise<OpenCaseResult>;
	getCase(caseId: string): Promise<Case | undefined>;
	findCaseByEvent(eventId: string): Promise<Case | undefined>;
	findOpenCase(businessId: string, caller: string): Promise<Case | undefined>;
	/**
	 * Saves a case whose `version` is the one read; throws ConcurrentUpdateError if someone saved first.
	 * `messages` are recorded in the same transaction (a sent text and the case that says so land together).
	 * `previous` is the case as it was read (same version), when the caller has it: the store then rewrites only the
	 * indexed columns that changed (SQLite writes an index's pages for every column named in an UPDATE, changed or
	 * not; PostgreSQL can update in place when no indexed column changes).
	 * `reserve` takes an acknowledgment's slot under the caps in the same commit (see AckReservation). An ack message
	 * saved later for the same case settles that slot: sent (already counted) or not sent (given back).
	 */
	saveCase(c: Case, opts?: SaveCaseOptions): Promise<Case>;
	listCases(filter: CaseFilter): Promise<Case[]>;
	/** Open cases past their deadline, oldest deadline first, without claiming them. */
	listOverdue(now: string, opts?: { businessId?: string; limit?: number }): Promise<Case[]>;
	/** Claims overdue cases for one sweeper: each is returned to one caller only until `leaseUntil`. */
	claimOverdue(now: string, leaseUntil: string, opts?: { businessId?: string; limit?: number }): Promise<Case[]>;
	/** Cases whose deferred acknowledgment is due. */
	claimDueAcks(now: string, leaseUntil: string, limit?: number): Promise<Case[]>;
	openCountsByOwner(businessId: string): Promise<Record<string, number>>;
	/** Advances and returns the round-robin counter of a pool, atomically. */
	nextRoundRobin(businessId: string, pool: string): Promise<number>;
	/**
	 * Takes a pool's next turn and saves the case `build` makes from it, in one commit (the routing's save): the turn
	 * is taken only if the case is saved, and nothing is saved when `build` returns undefined. Throws
	 * ConcurrentUpdateError, with the turn given back, when the case changed since `build`'s input was read.
	 */
	saveWithTurn(
		businessId: string,
		pool: string,
		build: (turn: number) => Case | undefined,
		opts?: SaveCaseOptions,
	): Promise<Case | undefined>;
	/** Records a transition or event key; false when it was recorded before (a duplicate). */
	claimKey(key: string, businessId: string, at: string): Promise<boolean>;
	/** How many keys starting with `prefix` were claimed in a period (ISO times), for one business or all. */
	countKeys(prefix: string, filter: { businessId?: string; from?: string; to?: string }): Promise<number>;
	setOptOut(businessId: string, phone: string, optedOut: boolean, source: string, at: string): Promise<void>;
	isOptedOut(businessId: string, phone: string): Promise<boolean>;
	recordMessage(m: MessageRecord): Promise<void>;
	/**
	 * A delivery report for a text: undefined when no text has this sid, or the report is older news than the one kept.
	 */
	updateMessageStatus(sid: string, status: string, errorCode?: number): Promise<MessageRecord | undefined>;
	messageStats(businessId: string, to: string, now: string): Promise<CallerMessageStats>;
	countCases(businessId?: string): Promise<number>;
	/** Counts a refused webhook (bad or missing signature) for the day; the request itself is not kept. */
	recordRefusal(provider: string, at: string): Promise<void>;
	/** Refused webhooks per provider between two days (inclusive, YYYY-MM-DD). */
	refusals(fromDay?: string, toDay?: string): Promise<Record<string, number>>;
	close(): Promise<void>;
}
