import twilio from 'twilio';

export interface SignatureCheck {
	authToken: string;
	signature: string | undefined;
	/** The URL Twilio called: the public URL when behind a proxy, including the query string. */
	url: string;
	/** Parsed form fields, for form-encoded bodies. */
	params?: Record<string, unknown>;
	/** The raw body, for JSON bodies (Twilio signs the URL and puts bodySHA256 in the query). */
	rawBody?: string;
}

export type SignatureResult = { valid: true } | { valid: false; reason: string };

/**
 * Validates `X-Twilio-Signature` with the official validator (HMAC-SHA1, compared in constant time).
 * Twilio signs the URL it called, so behind a proxy pass the public URL, not the one the server saw.
 */
export function validateTwilioSignature(c: SignatureCheck): SignatureResult {
	if (!c.authToken) return { valid: false, reason: 'no Auth Token is configured to check signatures with' };
	if (!c.signature) return { valid: false, reason: 'the request has no X-Twilio-Signature header' };
	let ok: boolean;
	try {
		const url = new URL(c.url);
		ok =
			url.searchParams.has('bodySHA256') && c.rawBody !== undefined
				? twilio.validateRequestWithBody(c.authToken, c.signature, c.url, c.rawBody)
				: twilio.validateRequest(c.authToken, c.signature, c.url, stringParams(c.params ?? {}));
	} catch {
		ok = false;
	}
	return ok
		? { valid: true }
		: {
				valid: false,
				reason:
					'the X-Twilio-Signature does not match: wrong Auth Token, a changed body, or the public URL differs from ' +
					'the one Twilio called',
			};
}

/** Twilio signs each value as text; repeated keys arrive as arrays and are signed in order. */
function stringParams(p: Record<string, unknown>): Record<string, string | string[]> {
	const out: Record<string, string | string[]> = {};
	for (const [k, v] of Object.entries(p))
		out[k] = Array.isArray(v) ? v.map(String) : v === undefined || v === null ? '' : String(v);
	return out;
}

/** Signs a request as Twilio does: for the local Twilio-compatible server and tests. */
export function signTwilioRequest(authToken: string, url: string, params: Record<string, string>): string {
	return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/** The public URL of a request: a configured base (proxy) plus the path and query the server received. */
export function publicUrl(
	base: string | undefined,
	received: { protocol?: string; host?: string; originalUrl: string },
): string {
	if (base) {
		const b = new URL(base);
		const path = received.originalUrl.startsWith('/') ? received.originalUrl : `/${received.originalUrl}`;
		return `${b.origin}${b.pathname.replace(/\/$/, '')}${path}`;
	}
	return `${received.protocol ?? 'https'}://${received.host ?? 'localhost'}${received.originalUrl}`;
}
