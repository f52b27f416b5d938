import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HS256 JSON Web Tokens (RFC 7519), the only kind the providers sign webhooks with (Vonage, Dialpad), on node:crypto:
 * a whole library for one algorithm would be one more runtime dependency for every install.
 */

/** The claims of a verified token; the registered time claims are checked numbers when present. */
export type JwtClaims = Record<string, unknown> & { iat?: number; exp?: number; nbf?: number };

/** Why a token was refused; `name` as jsonwebtoken's errors, which the reasons we give quote. */
export class JwtError extends Error {
	constructor(
		readonly name: 'JsonWebTokenError' | 'TokenExpiredError' | 'NotBeforeError',
		message: string,
	) {
		super(message);
	}
}

export interface JwtCheck {
	/** Now, in seconds since the epoch. */
	nowSec: number;
	/** How far exp and nbf may be off, for clocks that differ. */
	toleranceSec: number;
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;

function encode(value: unknown): string {
	return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function signature(signingInput: string, secret: string): Buffer {
	return createHmac('sha256', secret).update(signingInput).digest();
}

function jsonObject(segment: string, what: string): Record<string, unknown> {
	let value: unknown;
	try {
		value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
	} catch {
		value = undefined;
	}
	if (!value || typeof value !== 'object' || Array.isArray(value))
		throw new JwtError('JsonWebTokenError', `the ${what} is not a JSON object`);
	return value as Record<string, unknown>;
}

/** A token signed with HS256 over `claims`, as the providers sign theirs. */
export function signJwt(claims: Record<string, unknown>, secret: string): string {
	const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
	return `${input}.${signature(input, secret).toString('base64url')}`;
}

/**
 * The claims of an HS256 token whose signature `secret` made, not expired and already valid at `nowSec`. Any other
 * algorithm (`none` above all) is refused before the signature is looked at.
 */
export function verifyJwt(token: string, secret: string, check: JwtCheck): JwtClaims {
	const parts = token.split('.');
	if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p)))
		throw new JwtError('JsonWebTokenError', 'the token is not three base64url parts');
	const [head, body, sig] = parts;
	if (jsonObject(head, 'header').alg !== 'HS256')
		throw new JwtError('JsonWebTokenError', 'the token is not signed with HS256');
	const given = Buffer.from(sig, 'base64url');
	const expected = signature(`${head}.${body}`, secret);
	if (given.length !== expected.length || !timingSafeEqual(given, expected))
		throw new JwtError('JsonWebTokenError', 'the signature does not match');
	const claims = jsonObject(body, 'payload');
	for (const name of ['iat', 'exp', 'nbf'])
		if (claims[name] !== undefined && typeof claims[name] !== 'number')
			throw new JwtError('JsonWebTokenError', `the ${name} claim is not a number`);
	const { exp, nbf } = claims as JwtClaims;
	if (exp !== undefined && check.nowSec >= exp + check.toleranceSec)
		throw new JwtError('TokenExpiredError', 'the token has expired');
	if (nbf !== undefined && nbf > check.nowSec + check.toleranceSec)
		throw new JwtError('NotBeforeError', 'the token is not valid yet');
	return claims as JwtClaims;
}
