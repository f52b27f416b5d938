import { z } from 'zod';
import { RecoveryInputError } from '../errors';
import { isoNow, isoOfMs } from '../instant';
import {
	clipCallerText,
	type InboundMessage,
	type MessageStatus,
	type MissedCall,
	type MissedReason,
	type Provider,
	type VoicemailEvent,
} from '../model';
import { stripChannel, tryE164 } from '../phone';
import { redactPayload } from '../redact';
import { classifyKeyword } from '../optout';

export interface NormalizeOptions {
	/** The business when the called number does not tell (single-client installs). */
	businessId?: string;
	/** Maps the called number (E.164) to a business id, for agencies serving many clients from one trigger. */
	businessFor?: (calledNumber: string) => string | undefined;
	/** Calls shorter than this are short-abandoned. */
	minCallSeconds?: number;
	/** Country for national-format numbers. */
	defaultCountry?: string;
	/** Clock, for providers whose payload carries no time. */
	now?: () => Date;
	/**
	 * A business's own opt-out and opt-in words (its profile's `optOut`), matched in inbound texts like STOP and START.
	 */
	optOutWords?: (businessId: string) => OptOutWords | undefined;
}

export interface OptOutWords {
	stopWords: readonly string[];
	startWords: readonly string[];
}

export type Normalized =
	| { kind: 'missed-call'; event: MissedCall }
	| {
			kind: 'not-missed';
			callSid: string;
			reason: string;
			/** A voice AI answered and resolved the call: counted for the report (see core/normalize/voice-ai.ts). */
			aiResolved?: AiResolved;
	  }
	| { kind: 'incoming-call'; callSid: string; from: string; to: string; businessId: string }
	| { kind: 'voicemail'; event: VoicemailEvent }
	| { kind: 'inbound-message'; event: InboundMessage }
	| { kind: 'message-status'; event: MessageStatus }
	| { kind: 'ignored'; reason: string };

/** The store key prefix of calls a voice AI answered and resolved (claimed by the trigger, counted by the report). */
export const AI_RESOLVED_KEY = 'ai-resolved:';

/** A call a voice AI answered and resolved (booked, or settled): no case, one count on the report. */
export interface AiResolved {
	eventId: string;
	businessId: string;
	at: string;
	/** The caller (E.164) when the platform gives a textable number: their open case is settled by this call. */
	from?: string;
	/** The platform, for the case's history. */
	platform?: string;
}

export const str = z.union([z.string(), z.number().transform(String)]);
// Finite: JSON's 1e400 parses to Infinity, which a stored case would keep as null and then fail to read back.
export const num = z
	.union([
		z.number(),
		z
			.string()
			.regex(/^\s*-?\d+(\.\d+)?\s*$/, 'Expected a number of seconds')
			.transform(Number),
	])
	.pipe(z.number().finite('Expected a finite number'));

/**
 * A provider's call or message id: it becomes a key in the store, where PostgreSQL refuses a NUL byte (error 22021),
 * so control characters are refused here with the field named, and so is an id longer than any provider's.
 */
export const id = str.pipe(
	z
		.string()
		.min(1, 'It is required (the provider always sends it)')
		.max(120, 'Provider ids are at most a few dozen characters; this is not one')
		.regex(/^[^\u0000-\u001f\u007f]+$/, 'An id holds no control characters (NUL, line breaks); this is not one'),
);

/** Outbound calls (the business dialling out) are never missed calls, whatever their status. */
export function isOutbound(direction: string | null | undefined): boolean {
	// Twilio's trunking-originating is a SIP trunk dialling out to the phone network.
	return !!direction && /^(out|trunking-originating)/i.test(direction.trim());
}

// The latest time an ISO 8601 stamp with a four-digit year can hold: later times cannot be stored as one.
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function inRange(d: Date): boolean {
	const t = d.getTime();
	return t >= 0 && t <= LATEST_MS;
}

export function businessOf(opts: NormalizeOptions, to: string): string {
	return (to && opts.businessFor?.(to)) || opts.businessId || 'default';
}

export function isoOf(value: unknown, opts: NormalizeOptions): string {
	if (typeof value === 'number' && Number.isFinite(value)) {
		// Unix seconds or milliseconds.
		const ms = value > 1e12 ? value : value * 1000;
		const d = new Date(ms);
		if (inRange(d)) return isoOfMs(d.getTime());
	}
	if (typeof value === 'string' && value) {
		const d = /^\d+$/.test(value) ? new Date(Number(value) * (value.length > 11 ? 1 : 1000)) : new Date(value);
		if (inRange(d)) return isoOfMs(d.getTime());
	}
	// A time the provider got wrong (before 1970, past year 9999) is no reason to lose the call: it is dated now.
	return isoNow(opts.now?.());
}

/** Caller numbers must be textable; a withheld caller id cannot be recovered by text and is said so. */
export function callerNumber(
	raw: unknown,
	field: string,
	opts: NormalizeOptions,
): { e164?: string; channel: 'sms' | 'whatsapp'; why?: string } {
	if (raw === undefined || raw === null || raw === '') {
		throw new RecoveryInputError(
			field,
			raw,
			'The webhook must carry the caller number; check that the provider sends this field.',
		);
	}
	const text = String(raw);
	const { channel } = stripChannel(text);
	const e164 = tryE164(text, opts.defaultCountry);
	if (!e164) {
		const withheld =
			/anonymous|restricted|unknown|private|unavailable|^client:|^sip:/i.test(text) ||
			text.replace(/\D/g, '').length < 4;
		return {
			channel,
			why: withheld
				? `caller id withheld (${text.slice(0, 40)}): nothing to text back`
				: `caller number "${text.slice(0, 40)}" is not a phone number`,
		};
	}
	return { e164, channel };
}

export function calledNumber(raw: unknown, opts: NormalizeOptions): string {
	return tryE164(raw === undefined || raw === null ? '' : String(raw), opts.defaultCountry) ?? '';
}

export function missed(
	provider: Provider,
	args: {
		callSid: string;
		from: unknown;
		to: unknown;
		reason: MissedReason;
		startedAt: unknown;
		durationSec?: number;
		voicemail?: MissedCall['voicemail'];
		raw: unknown;
		fromField: string;
		/** The provider's name for the caller, where it sends one (Twilio: CallerName). */
		callerName?: unknown;
	},
	opts: NormalizeOptions,
): Normalized {
	const caller = callerNumber(args.from, args.fromField, opts);
	if (!caller.e164) return { kind: 'ignored', reason: caller.why! };
	const to = calledNumber(args.to, opts);
	const duration = Math.max(0, args.durationSec ?? 0) || 0;
	let reason = args.reason;
	const min = opts.minCallSeconds ?? 8;
	if ((reason === 'canceled' || reason === 'no-answer') && duration > 0 && duration < min) reason = 'short-abandoned';
	const event: MissedCall = {
		type: 'missed-call',
		eventId: `${provider}:${args.callSid}`,
		provider,
		callSid: args.callSid,
		from: caller.e164,
		to,
		businessId: businessOf(opts, to),
		reason,
		startedAt: isoOf(args.startedAt, opts),
		durationSec: duration,
		repeat: 0,
		channel: caller.channel,
		raw: redactPayload(args.raw),
	};
	if (args.voicemail) event.voicemail = args.voicemail;
	const name = callerNameOf(args.callerName);
	if (name) event.callerName = name;
	return { kind: 'missed-call', event };
}

// What carriers' caller-name databases give when they know no name: not worth showing an owner.
const NO_NAME =
	/^(wireless caller|unknown|unavailable|private|anonymous|toll free call|restricted|out of area|name unavailable)$/i;

/** A caller's name as a provider gave it, or undefined for an empty, placeholder or number-only value. */
export function callerNameOf(v: unknown): string | undefined {
	if (typeof v !== 'string') return undefined;
	const name = v
		.replace(/[\u0000-\u001f\u007f]/g, '')
		.replace(/\s+/g, ' ')
		.trim()
		.slice(0, 80);
	if (!name || NO_NAME.test(name) || !/\p{L}/u.test(name)) return undefined;
	return name;
}

export function inbound(
	provider: Provider,
	args: { messageSid: string; from: unknown; to: unknown; body: string; at?: unknown; raw: unknown },
	opts: NormalizeOptions,
): Normalized {
	const caller = callerNumber(args.from, 'From', opts);
	if (!caller.e164) return { kind: 'ignored', reason: caller.why! };
	const to = calledNumber(args.to, opts);
	const businessId = businessOf(opts, to);
	const words = opts.optOutWords?.(businessId);
	const { keyword } = classifyKeyword(args.body, { extraStop: words?.stopWords, extraStart: words?.startWords });
	const event: InboundMessage = {
		type: 'inbound-message',
		eventId: `${provider}:${args.messageSid}`,
		provider,
		messageSid: args.messageSid,
		from: caller.e164,
		to: to || caller.e164,
		businessId,
		body: clipCallerText(args.body),
		channel: caller.channel,
		receivedAt: isoOf(args.at, opts),
		raw: redactPayload(args.raw),
	};
	if (keyword) event.keyword = keyword;
	return { kind: 'inbound-message', event };
}

/**
 * A table lookup that only sees the table's own keys: a provider sending "valueOf" or "__proto__" as a
 * status must not find Object.prototype's members.
 */
export function lookup<T>(table: Record<string, T>, key: string | undefined | null): T | undefined {
	return key !== undefined && key !== null && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

export function get(obj: unknown, path: string): unknown {
	let cur: unknown = obj;
	for (const key of path.split('.')) {
		if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
		cur = (cur as Record<string, unknown>)[key];
	}
	return cur;
}
