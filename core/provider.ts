import type { LineType } from './acknowledge';

export interface SendRequest {
	to: string;
	from: string;
	body: string;
	channel: 'sms' | 'whatsapp';
	statusCallback?: string;
}

/** A message the provider accepted: its id and its first status ("queued", "sent"...). */
export interface SentMessage {
	sid: string;
	status: string;
}

/** What identifies a message an earlier send may have created: the numbers, the body, and since when. */
export interface SentMessageQuery {
	to: string;
	from: string;
	body: string;
	channel: 'sms' | 'whatsapp';
	since: string;
}

export interface CallRequest {
	to: string;
	from: string;
	/** TwiML to run when the call is answered. */
	twiml: string;
}

/**
 * The provider as the loop sees it: send a message, look up a line type, place a call.
 * The Twilio SDK implements it; another transport (n8n's HTTP helpers) can too, without touching the loop.
 */
export interface MessagingProvider {
	sendMessage(req: SendRequest): Promise<SentMessage>;
	/**
	 * A message this account created to `to` from `from` with this body since `since`, if any: how a send cut off
	 * by a crash is told apart from one that never left, so it is neither lost nor sent twice.
	 */
	findSentMessage?(req: SentMessageQuery): Promise<SentMessage | undefined>;
	lookupLineType(phone: string): Promise<LineType>;
	placeCall(req: CallRequest): Promise<{ sid: string }>;
}

/** What a provider failure means for the case. */
export type FailureKind =
	| 'opted-out'
	| 'landline'
	| 'invalid-number'
	| 'carrier-filtered'
	| 'unreachable'
	| 'auth'
	| 'rate-limited'
	| 'transient'
	| 'rejected';

/** A provider error with no secrets in it, classified for the retry policy and the case. */
export class ProviderError extends Error {
	constructor(
		message: string,
		readonly kind: FailureKind,
		readonly retryable: boolean,
		readonly code?: number,
		readonly status?: number,
	) {
		super(message);
		this.name = 'ProviderError';
	}
}

/** Twilio error codes that are final, and what each means for the case. */
export const FINAL_CODES: Record<number, FailureKind> = {
	21610: 'opted-out', // Attempt to send to unsubscribed recipient
	21614: 'landline', // 'To' number is not a valid mobile number
	21211: 'invalid-number', // Invalid 'To' phone number
	30007: 'carrier-filtered', // Message filtered by the carrier
	21408: 'rejected', // Permission to send an SMS has not been enabled for the region
	30003: 'unreachable', // Unreachable destination handset
	30005: 'invalid-number', // Unknown destination handset
	30006: 'landline', // Landline or unreachable carrier
	20003: 'auth', // Authentication failed
	20404: 'rejected',
};

/** Classifies an HTTP status and provider error code. */
export function classifyFailure(status: number | undefined, code: number | undefined, message: string): ProviderError {
	if (code !== undefined && FINAL_CODES[code])
		return new ProviderError(message, FINAL_CODES[code], false, code, status);
	if (status === 429 || code === 20429) return new ProviderError(message, 'rate-limited', true, code, status);
	if (status === undefined || status >= 500) return new ProviderError(message, 'transient', true, code, status);
	if (status === 401 || status === 403) return new ProviderError(message, 'auth', false, code, status);
	return new ProviderError(message, 'rejected', false, code, status);
}

export interface RetryPolicy {
	retries: number;
	baseMs: number;
	maxMs: number;
	sleep?: (ms: number) => Promise<void>;
	random?: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseMs: 250, maxMs: 8000 };

// Codes Node's sockets and DNS resolver give a request that never reached, or never heard back from, the provider;
// ETIMEDOUT is also what the Twilio transport gives an exchange past its timeout (core/twilio/http.ts).
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

/** Whether an error that is not a ProviderError is a network failure worth another attempt. */
export function isTransientNetworkError(e: unknown): boolean {
	if (!(e instanceof Error)) return false;
	const code = (e as { code?: unknown }).code;
	if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
	return /socket hang up/i.test(e.message);
}

/**
 * Exponential backoff with full jitter, for transient failures only: a retryable ProviderError or a network error.
 * Anything else (bad input, a programming error, a final provider answer) is thrown at once, as it was thrown.
 */
export async function withRetry<T>(
	fn: (attempt: number) => Promise<T>,
	policy: RetryPolicy = DEFAULT_RETRY,
	onRetry?: (e: ProviderError, attempt: number, waitMs: number) => void,
): Promise<T> {
	const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
	const random = policy.random ?? Math.random;
	for (let attempt = 0; ; attempt++) {
		try {
			return await fn(attempt);
		} catch (e) {
			if (!(e instanceof ProviderError) && !isTransientNetworkError(e)) throw e;
			const err = e instanceof ProviderError ? e : new ProviderError((e as Error).message, 'transient', true);
			if (!err.retryable || attempt >= policy.retries) throw err;
			const wait = Math.round(random() * Math.min(policy.maxMs, policy.baseMs * 2 ** attempt));
			onRetry?.(err, attempt + 1, wait);
			await sleep(wait);
		}
	}
}
