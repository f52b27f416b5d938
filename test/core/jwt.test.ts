import { createHmac } from 'node:crypto';
import { JwtError, signJwt, verifyJwt } from '../../core/jwt';

// jwt.io's example token (HS256, secret "your-256-bit-secret"): a token any JWT library makes and accepts.
const JWT_IO =
	'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.' +
	'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const SECRET = 'your-256-bit-secret';
const NOW = 1516239022;
const at = (nowSec: number) => ({ nowSec, toleranceSec: 300 });

/** A token with any header and claims, signed (or not) as given: what a forger can send. */
function forged(header: object, claims: unknown, sig = ''): string {
	const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
	return `${part(header)}.${part(claims)}.${sig}`;
}

function refusal(token: string, nowSec = NOW, secret = SECRET): JwtError {
	try {
		verifyJwt(token, secret, at(nowSec));
	} catch (e) {
		expect(e).toBeInstanceOf(JwtError);
		return e as JwtError;
	}
	throw new Error('the token was accepted');
}

describe('HS256 tokens on node:crypto', () => {
	test('a token from another JWT library verifies, and signing the same claims gives the same token', () => {
		const claims = { sub: '1234567890', name: 'John Doe', iat: NOW };
		expect(verifyJwt(JWT_IO, SECRET, at(NOW))).toEqual(claims);
		expect(signJwt(claims, SECRET)).toBe(JWT_IO);
	});

	test('a wrong secret or a changed payload is refused', () => {
		expect(refusal(JWT_IO, NOW, 'another-secret').message).toBe('the signature does not match');
		const [head, , sig] = JWT_IO.split('.');
		const changed = `${head}.${Buffer.from('{"sub":"1","iat":1516239022}').toString('base64url')}.${sig}`;
		expect(refusal(changed).message).toBe('the signature does not match');
	});

	test('only HS256 is accepted: "none" and other algorithms are refused before any signature check', () => {
		const claims = { iat: NOW };
		expect(refusal(forged({ alg: 'none', typ: 'JWT' }, claims)).message).toBe('the token is not signed with HS256');
		expect(refusal(forged({ alg: 'HS512' }, claims, 'x')).message).toBe('the token is not signed with HS256');
		expect(refusal(forged({ typ: 'JWT' }, claims, 'x')).name).toBe('JsonWebTokenError');
	});

	test('exp and nbf are honoured within the tolerance, and must be numbers', () => {
		const expiring = signJwt({ iat: NOW, exp: NOW + 60 }, SECRET);
		expect(verifyJwt(expiring, SECRET, at(NOW + 60 + 299)).exp).toBe(NOW + 60);
		expect(refusal(expiring, NOW + 60 + 300).name).toBe('TokenExpiredError');
		const early = signJwt({ iat: NOW, nbf: NOW + 1000 }, SECRET);
		expect(verifyJwt(early, SECRET, at(NOW + 700)).nbf).toBe(NOW + 1000);
		expect(refusal(early, NOW + 699).name).toBe('NotBeforeError');
		for (const claim of ['iat', 'exp', 'nbf'])
			expect(refusal(signJwt({ [claim]: String(NOW) }, SECRET)).message).toBe(`the ${claim} claim is not a number`);
	});

	test('anything that is not three base64url parts with JSON objects is refused as malformed', () => {
		const head = Buffer.from('{"alg":"HS256"}').toString('base64url');
		for (const token of ['', 'abc', 'a.b', `${JWT_IO}.x`, 'a+b.c.d', `${head}.bm90IGpzb24.x`])
			expect(refusal(token).name).toBe('JsonWebTokenError');
		// Signed, but its payload is a list, not claims.
		const list = `${head}.${Buffer.from('[1,2]').toString('base64url')}`;
		const sig = createHmac('sha256', SECRET).update(list).digest('base64url');
		expect(refusal(`${list}.${sig}`).message).toBe('the payload is not a JSON object');
	});
});
