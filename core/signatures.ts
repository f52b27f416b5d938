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

function fresh(tsSec: number, nowMs: number): boolean {
	return Number.isFinite(tsSec) && Math.abs(nowMs / 1000 - tsSec) <= SIGNATURE_TOLERANCE_SEC;
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
	dialpad(secret: string, event: Record<string, unknown>, tsSec: number): string {
		return signJwt({ ...event, iat: tsSec }, secret);
	},
};
