import {
	createHash,
	createHmac,
	createPublicKey,
	type KeyObject,
	sign as edSign,
	timingSafeEqual,
	verify as verifySignature,
} from 'node:crypto';
import { signJwt, verifyJwt, type JwtClaims } from './jwt';
import type { Provider } from './model';
import { validateTwilioSignature, type SignatureResult } from './twilio/signature';

/**
 * How each provider proves a webhook is its own, and what secret the agency gives us to check it:
 * - twilio: X-Twilio-Signature, HMAC-SHA1 of the URL and form fields (or bodySHA256 for JSON); the Auth Token.
 * - telnyx: telnyx-signature-ed25519 over `${telnyx-timestamp}|${raw body}`; the account's public key (base64).
 *   TeXML requests are signed the same way, so a public key can never be misused as an HMAC key.
 * - vonage: Authorization: Bearer <JWT, HS256> with a payload_hash claim (SHA-256 of the body); the signature secret.
 * - openphone: openphone-signature `hmac;1;<ms timestamp>;<base64 HMAC-SHA256 of "<timestamp>.<raw body>">`;
 *   the webhook's signing key (base64).
 * - dialpad: the whole body is a JWT (HS256) signed with the webhook secret; the verified claims are the event.
 * - aircall: a `token` field in the body, equal to the webhook's token.
 * - ringcentral: the Verification-Token header set when the subscription was created.
 * - vapi: a custom HMAC credential (HMACAuthenticationPlan in Vapi's OpenAPI schema and its server-sdk-typescript,
 *   src/api/types/HmacAuthenticationPlan.ts): hex HMAC-SHA256 in `x-signature` (its default) or the header the agency
 *   named, usually `x-vapi-signature`, with an optional `sha256=` prefix; by default of `"<timestamp>.<raw body>"` with
 *   the time in `x-timestamp`, else of the raw body alone (then no time is signed and a replay is not detected here:
 *   the trigger refuses stale end-of-call reports by their own endedAt). Or the older server secret, sent as is in
 *   `x-vapi-secret`. https://docs.vapi.ai/server-url/server-authentication
 * - retell: `x-retell-signature: v=<ms timestamp>,d=<hex HMAC-SHA256 of raw body + timestamp>`, keyed with the
 *   Retell API key that has the webhook badge; its SDK's verify refuses signatures over 5 minutes old.
 *   https://docs.retellai.com/features/secure-webhook
 * - elevenlabs: `ElevenLabs-Signature: t=<s timestamp>,v0=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, keyed with
 *   the webhook's shared secret; its docs' example handler refuses timestamps over 30 minutes old.
 *   https://elevenlabs.io/docs/eleven-agents/workflows/post-call-webhooks
 * - Twilio ConversationRelay's action callback is a Twilio webhook: the twilio scheme above.
 * - plivo, generic: no signature of their own: a shared token in the URL (`?token=`) or an X-Webhook-Token header.
 */
export const SIGNATURE_SCHEMES: Record<Provider, { secret: string; how: string }> = {
	twilio: { secret: 'Auth Token', how: 'X-Twilio-Signature (HMAC-SHA1 of the URL and fields)' },
	telnyx: {
		secret: 'Public Key (base64, Mission Control > Keys & Credentials)',
		how: 'Ed25519 signature of timestamp and body',
	},
	vonage: { secret: 'Signature Secret (API settings)', how: 'signed JWT (HS256) with a hash of the body' },
	openphone: { secret: 'Webhook Signing Key (base64)', how: 'openphone-signature HMAC-SHA256 of timestamp and body' },
	dialpad: { secret: 'Webhook Secret', how: 'the body is a JWT (HS256)' },
	aircall: { secret: 'Webhook Token', how: 'token field in the body' },
	ringcentral: { secret: 'Verification Token', how: 'Verification-Token header' },
	vapi: {
		secret: 'Server URL secret (the HMAC credential or the older x-vapi-secret)',
		how: 'x-signature or x-vapi-signature HMAC-SHA256 of time and body, or the x-vapi-secret header',
	},
	retell: { secret: 'Retell API key with the webhook badge', how: 'x-retell-signature HMAC-SHA256 of body and time' },
	elevenlabs: {
		secret: 'Webhook secret (HMAC, shown when the webhook is created)',
		how: 'ElevenLabs-Signature HMAC-SHA256 of time and body',
	},
	plivo: {
		secret: 'a token you choose, added to the webhook URL as ?token=',
		how: 'shared token in the URL or X-Webhook-Token header',
	},
	generic: {
		secret: 'a token you choose, added to the webhook URL as ?token=',
		how: 'shared token in the URL or X-Webhook-Token header',
	},
};

export interface WebhookProof {
	url: string;
	headers: Record<string, string | string[] | undefined>;
	body: unknown;
	rawBody?: string;
}

export type VerifyResult = (SignatureResult & { valid: true; body?: unknown }) | { valid: false; reason: string };

/** Replayed requests older than this (or this far in the future) are refused where the provider signs a time. */
export const SIGNATURE_TOLERANCE_SEC = 300;
/** ElevenLabs documents a 30-minute window for its post-call webhooks (they follow analysis, sometimes slowly). */
export const ELEVENLABS_TOLERANCE_SEC = 30 * 60;

/** A request header by name, whatever its case; the first value of a repeated one. */
export function headerOf(h: WebhookProof['headers'], name: string): string | undefined {
	const want = name.toLowerCase();
	for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === want) return Array.isArray(v) ? v[0] : v;
	return undefined;
}

/** Constant-time comparison of two strings of any length (hashing first hides the length too). */
export function safeEqual(a: string, b: string): boolean {
	const x = createHash('sha256').update(a).digest();
	const y = createHash('sha256').update(b).digest();
	return timingSafeEqual(x, y) && a.length === b.length;
}

function fresh(tsSec: number, nowMs: number, tolerance = SIGNATURE_TOLERANCE_SEC): boolean {
	return Number.isFinite(tsSec) && Math.abs(nowMs / 1000 - tsSec) <= tolerance;
}

function rawOf(p: WebhookProof): string | undefined {
	if (p.rawBody !== undefined) return p.rawBody;
	if (typeof p.body === 'string') return p.body;
	return undefined;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const publicKeys = new Map<string, KeyObject>();

/** The Telnyx public key (raw 32 bytes or DER, in base64) as a key object, made once per key. */
function telnyxKey(publicKey: string): KeyObject {
	let key = publicKeys.get(publicKey);
	if (!key) {
		const keyBytes = Buffer.from(publicKey, 'base64');
		key = createPublicKey({
			key: keyBytes.length === 32 ? Buffer.concat([ED25519_SPKI_PREFIX, keyBytes]) : keyBytes,
			format: 'der',
			type: 'spki',
		});
		if (publicKeys.size > 100) publicKeys.clear();
		publicKeys.set(publicKey, key);
	}
	return key;
}

function telnyx(p: WebhookProof, publicKey: string, nowMs: number): VerifyResult {
	const sig = headerOf(p.headers, 'telnyx-signature-ed25519');
	const ts = headerOf(p.headers, 'telnyx-timestamp');
	if (!sig || !ts)
		return { valid: false, reason: 'the request has no telnyx-signature-ed25519 and telnyx-timestamp headers' };
	if (!fresh(Number(ts), nowMs))
		return {
			valid: false,
			reason: `the telnyx-timestamp ${ts} is more than ${SIGNATURE_TOLERANCE_SEC} s from now: a replay or a wrong clock`,
		};
	const raw = rawOf(p);
	if (raw === undefined)
		return { valid: false, reason: 'the raw body is not available to check the Telnyx signature against' };
	try {
		const key = telnyxKey(publicKey);
		const ok = verifySignature(null, Buffer.from(`${ts}|${raw}`), key, Buffer.from(sig, 'base64'));
		return ok
			? { valid: true }
			: { valid: false, reason: 'the Telnyx signature does not match: wrong public key or a changed body' };
	} catch {
		return {
			valid: false,
			reason:
				'the Telnyx signature could not be checked: the public key must be the base64 Ed25519 key from Mission Control',
		};
	}
}

function vonage(p: WebhookProof, secret: string, nowMs: number): VerifyResult {
	const auth = headerOf(p.headers, 'authorization');
	const token = auth?.match(/^Bearer\s+(.+)$/i)?.[1];
	if (!token)
		return {
			valid: false,
			reason: 'the request has no Authorization: Bearer token (turn on signed webhooks in Vonage)',
		};
	let claims: JwtClaims;
	try {
		claims = verifyJwt(token, secret, { nowSec: Math.floor(nowMs / 1000), toleranceSec: SIGNATURE_TOLERANCE_SEC });
	} catch (e) {
		return {
			valid: false,
			reason: `the Vonage JWT does not verify (${(e as Error).name}): wrong signature secret or a forged token`,
		};
	}
	if (typeof claims.iat !== 'number' || !fresh(claims.iat, nowMs))
		return {
			valid: false,
			reason: `the Vonage JWT was issued more than ${SIGNATURE_TOLERANCE_SEC} s from now: a replay or a wrong clock`,
		};
	const raw = rawOf(p);
	if (claims.payload_hash !== undefined) {
		if (raw === undefined)
			return { valid: false, reason: 'the raw body is not available to check the Vonage payload_hash against' };
		if (!safeEqual(String(claims.payload_hash), createHash('sha256').update(raw).digest('hex')))
			return {
				valid: false,
				reason: 'the body does not match the payload_hash in the Vonage JWT: it was changed on the way',
			};
	}
	return { valid: true };
}

function openphone(p: WebhookProof, signingKey: string, nowMs: number): VerifyResult {
	const h = headerOf(p.headers, 'openphone-signature');
	const parts = h?.split(';');
	if (!parts || parts.length !== 4 || parts[0] !== 'hmac')
		return {
			valid: false,
			reason: 'the request has no openphone-signature header of the form hmac;1;<timestamp>;<signature>',
		};
	const [, , ts, digest] = parts;
	if (!fresh(Number(ts) / 1000, nowMs))
		return {
			valid: false,
			reason:
				`the OpenPhone signature timestamp ${ts} is more than ${SIGNATURE_TOLERANCE_SEC} s from now: a ` +
				`replay or a wrong clock`,
		};
	const raw = rawOf(p);
	if (raw === undefined)
		return { valid: false, reason: 'the raw body is not available to check the OpenPhone signature against' };
	const expected = createHmac('sha256', Buffer.from(signingKey, 'base64')).update(`${ts}.${raw}`).digest('base64');
	return safeEqual(digest, expected)
		? { valid: true }
		: { valid: false, reason: 'the OpenPhone signature does not match: wrong signing key or a changed body' };
}

function dialpad(p: WebhookProof, secret: string, nowMs: number): VerifyResult {
	const raw = (rawOf(p) ?? '').trim();
	if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(raw))
		return {
			valid: false,
			reason: 'the Dialpad body is not a signed JWT: set a secret on the Dialpad webhook so it signs its events',
		};
	try {
		const claims = verifyJwt(raw, secret, { nowSec: Math.floor(nowMs / 1000), toleranceSec: SIGNATURE_TOLERANCE_SEC });
		const event: Record<string, unknown> = { ...claims };
		for (const k of ['iat', 'exp', 'nbf']) delete event[k];
		return { valid: true, body: event };
	} catch (e) {
		return {
			valid: false,
			reason: `the Dialpad JWT does not verify (${(e as Error).name}): wrong webhook secret or a forged event`,
		};
	}
}

function hmacHex(secret: string, text: string): string {
	return createHmac('sha256', secret).update(text).digest('hex');
}

/** The signature and time headers Vapi's HMAC credential sends: its defaults, then the names agencies usually set. */
const VAPI_SIGNATURE_HEADERS = ['x-vapi-signature', 'x-signature'];
const VAPI_TIME_HEADERS = ['x-vapi-timestamp', 'x-timestamp'];

function vapi(p: WebhookProof, secret: string, nowMs: number): VerifyResult {
	const first = (names: string[]) => names.map((n) => headerOf(p.headers, n)).find((v) => v !== undefined);
	const sig = first(VAPI_SIGNATURE_HEADERS);
	if (sig !== undefined) {
		const raw = rawOf(p);
		if (raw === undefined)
			return { valid: false, reason: 'the raw body is not available to check the Vapi signature against' };
		const given = sig
			.trim()
			.replace(/^sha256=/i, '')
			.toLowerCase();
		const ts = first(VAPI_TIME_HEADERS)?.trim();
		if (ts !== undefined) {
			// The plan does not say the unit: a time past 1e12 is milliseconds.
			const n = Number(ts);
			if (!fresh(n > 1e12 ? n / 1000 : n, nowMs))
				return {
					valid: false,
					reason:
						`the Vapi signature time ${ts} is more than ${SIGNATURE_TOLERANCE_SEC} s from now: ` +
						'a replay or a wrong clock',
				};
		}
		const signed = ts !== undefined ? [`${ts}.${raw}`, raw] : [raw];
		return signed.some((text) => safeEqual(given, hmacHex(secret, text)))
			? { valid: true }
			: { valid: false, reason: 'the Vapi signature does not match: wrong secret or a changed body' };
	}
	const given = headerOf(p.headers, 'x-vapi-secret');
	if (given === undefined)
		return {
			valid: false,
			reason:
				'the request has no x-vapi-signature, x-signature or x-vapi-secret header ' +
				'(set an HMAC credential on the Vapi server URL)',
		};
	return safeEqual(given, secret)
		? { valid: true }
		: { valid: false, reason: 'the x-vapi-secret header does not match the secret configured' };
}

function retell(p: WebhookProof, apiKey: string, nowMs: number): VerifyResult {
	const m = headerOf(p.headers, 'x-retell-signature')?.match(/^v=(\d+),d=([0-9a-f]+)$/i);
	if (!m) return { valid: false, reason: 'the request has no x-retell-signature header of the form v=<time>,d=<hex>' };
	const [, ts, digest] = m;
	if (!fresh(Number(ts) / 1000, nowMs))
		return {
			valid: false,
			reason:
				`the x-retell-signature time ${ts} is more than ${SIGNATURE_TOLERANCE_SEC} s from now: ` +
				'a replay or a wrong clock',
		};
	const raw = rawOf(p);
	if (raw === undefined)
		return { valid: false, reason: 'the raw body is not available to check the Retell signature against' };
	return safeEqual(digest.toLowerCase(), hmacHex(apiKey, raw + ts))
		? { valid: true }
		: {
				valid: false,
				reason:
					'the Retell signature does not match: wrong API key (use the one with the webhook badge) or a changed body',
			};
}

function elevenlabs(p: WebhookProof, secret: string, nowMs: number): VerifyResult {
	const parts = new Map(
		(headerOf(p.headers, 'elevenlabs-signature') ?? '').split(',').map((kv) => {
			const i = kv.indexOf('=');
			return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()] as const;
		}),
	);
	const ts = parts.get('t');
	const digest = parts.get('v0');
	if (!ts || !digest)
		return { valid: false, reason: 'the request has no ElevenLabs-Signature header of the form t=<time>,v0=<hex>' };
	if (!fresh(Number(ts), nowMs, ELEVENLABS_TOLERANCE_SEC))
		return {
			valid: false,
			reason:
				`the ElevenLabs-Signature time ${ts} is more than ${ELEVENLABS_TOLERANCE_SEC} s from now: ` +
				'a replay or a wrong clock',
		};
	const raw = rawOf(p);
	if (raw === undefined)
		return { valid: false, reason: 'the raw body is not available to check the ElevenLabs signature against' };
	return safeEqual(digest.toLowerCase(), hmacHex(secret, `${ts}.${raw}`))
		? { valid: true }
		: { valid: false, reason: 'the ElevenLabs signature does not match: wrong webhook secret or a changed body' };
}

function sharedToken(p: WebhookProof, secret: string, where: 'aircall' | 'ringcentral' | 'url'): VerifyResult {
	let given: string | undefined;
	if (where === 'aircall')
		given = p.body && typeof p.body === 'object' ? String((p.body as Record<string, unknown>).token ?? '') : undefined;
	else if (where === 'ringcentral') given = headerOf(p.headers, 'verification-token');
	else {
		try {
			given = new URL(p.url).searchParams.get('token') ?? headerOf(p.headers, 'x-webhook-token');
		} catch {
			given = headerOf(p.headers, 'x-webhook-token');
		}
	}
	if (!given)
		return {
			valid: false,
			reason:
				where === 'aircall'
					? 'the body has no Aircall token field'
					: where === 'ringcentral'
						? 'the request has no Verification-Token header'
						: 'the request has no ?token= in its URL and no X-Webhook-Token header',
		};
	return safeEqual(given, secret)
		? { valid: true }
		: { valid: false, reason: 'the webhook token does not match the one configured' };
}

/**
 * Checks that a webhook comes from the provider, in constant time, before anything else reads it.
 * A valid Dialpad request returns the verified event as `body`.
 */
export function verifyWebhook(
	provider: Provider,
	p: WebhookProof,
	secret: string | undefined,
	now: Date = new Date(),
): VerifyResult {
	if (!secret)
		return {
			valid: false,
			reason: `no ${SIGNATURE_SCHEMES[provider].secret} is configured to check ${provider} requests with`,
		};
	const nowMs = now.getTime();
	switch (provider) {
		case 'twilio':
			return validateTwilioSignature({
				authToken: secret,
				signature: headerOf(p.headers, 'x-twilio-signature'),
				url: p.url,
				params: typeof p.body === 'object' && p.body ? (p.body as Record<string, unknown>) : {},
				rawBody: p.rawBody,
			});
		case 'telnyx':
			return telnyx(p, secret, nowMs);
		case 'vonage':
			return vonage(p, secret, nowMs);
		case 'openphone':
			return openphone(p, secret, nowMs);
		case 'dialpad':
			return dialpad(p, secret, nowMs);
		case 'aircall':
			return sharedToken(p, secret, 'aircall');
		case 'ringcentral':
			return sharedToken(p, secret, 'ringcentral');
		case 'vapi':
			return vapi(p, secret, nowMs);
		case 'retell':
			return retell(p, secret, nowMs);
		case 'elevenlabs':
			return elevenlabs(p, secret, nowMs);
		case 'plivo':
		case 'generic':
			return sharedToken(p, secret, 'url');
	}
}

/** Signs requests the way each provider does: for the local test server, tests and the fuzzers. */
export const sign = {
	telnyx(privateKeyPem: string | KeyObject, raw: string, tsSec: number): Record<string, string> {
		const sig = edSign(null, Buffer.from(`${tsSec}|${raw}`), privateKeyPem).toString('base64');
		return { 'telnyx-signature-ed25519': sig, 'telnyx-timestamp': String(tsSec) };
	},
	vonage(secret: string, raw: string, tsSec: number): Record<string, string> {
		const token = signJwt(
			{ iat: tsSec, jti: `${tsSec}-${Math.random()}`, payload_hash: createHash('sha256').update(raw).digest('hex') },
			secret,
		);
		return { authorization: `Bearer ${token}` };
	},
	openphone(signingKeyB64: string, raw: string, tsMs: number): Record<string, string> {
		const digest = createHmac('sha256', Buffer.from(signingKeyB64, 'base64')).update(`${tsMs}.${raw}`).digest('base64');
		return { 'openphone-signature': `hmac;1;${tsMs};${digest}` };
	},
	/** Body only into x-vapi-signature; with a time, the HMAC credential's defaults (x-signature, x-timestamp). */
	vapi(secret: string, raw: string, tsMs?: number): Record<string, string> {
		if (tsMs === undefined) return { 'x-vapi-signature': hmacHex(secret, raw) };
		return { 'x-signature': hmacHex(secret, `${tsMs}.${raw}`), 'x-timestamp': String(tsMs) };
	},
	retell(apiKey: string, raw: string, tsMs: number): Record<string, string> {
		return { 'x-retell-signature': `v=${tsMs},d=${hmacHex(apiKey, raw + tsMs)}` };
	},
	elevenlabs(secret: string, raw: string, tsSec: number): Record<string, string> {
		return { 'elevenlabs-signature': `t=${tsSec},v0=${hmacHex(secret, `${tsSec}.${raw}`)}` };
	},
	dialpad(secret: string, event: Record<string, unknown>, tsSec: number): string {
		return signJwt({ ...event, iat: tsSec }, secret);
	},
};
