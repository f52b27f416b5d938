import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecoveryInputError, TwilioProvider, validateAccount } from '../../core';
import { MissedCallRecoveryTwilioApi } from '../../credentials/MissedCallRecoveryTwilioApi.credentials';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';

const account = (apiBaseUrl: string) => ({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl });
const LOOPBACK = ['http://127.0.0.1:3999', 'http://127.8.9.10', 'http://localhost:3999/base', 'http://[::1]:3999'];
const REMOTE = [
	'http://api.example.com',
	'http://10.0.0.5:3999',
	'http://128.0.0.1',
	'http://127.0.0.1.example.com',
	'http://localhost.example.com:3999',
	'http://[::2]:3999',
];

describe('the Twilio API base URL keeps the Auth Token off plain-http networks', () => {
	test.each(LOOPBACK)('plain http to this machine is allowed: %s', (url) => {
		expect(validateAccount(account(url))?.protocol).toBe('http:');
		expect(() => new TwilioProvider(account(url))).not.toThrow();
	});

	test('https to any host is allowed', () => {
		expect(validateAccount(account('https://twilio-proxy.example.com'))?.hostname).toBe('twilio-proxy.example.com');
	});

	test.each(REMOTE)('plain http to another host is refused with the fix: %s', (url) => {
		let e: RecoveryInputError | undefined;
		try {
			new TwilioProvider(account(url));
		} catch (x) {
			e = x as RecoveryInputError;
		}
		expect(e).toBeInstanceOf(RecoveryInputError);
		expect(e).toMatchObject({ field: 'apiBaseUrl', value: url });
		expect(e!.message).toContain('Plain http is allowed only to this machine');
		expect(e!.message).toContain('Use https');
	});

	test('the n8n credential test never sends the token over plain http to another host', () => {
		const expression = String(new MissedCallRecoveryTwilioApi().test.request.baseURL);
		const body = /^=\{\{(.*)\}\}$/s.exec(expression)![1];
		// Evaluated as n8n evaluates an expression: plain JavaScript with $credentials in scope.
		const evaluate = new Function('$credentials', `return (${body});`) as (c: object) => string;
		expect(evaluate({})).toBe('https://api.twilio.com');
		for (const url of LOOPBACK) expect(evaluate({ apiBaseUrl: url })).toBe(url);
		for (const url of REMOTE) expect(evaluate({ apiBaseUrl: url })).toBe(url.replace(/^http:/, 'https:'));
		expect(evaluate({ apiBaseUrl: 'https://proxy.example.com' })).toBe('https://proxy.example.com');
	});

	test('the Node-RED editor marks the same URLs invalid', () => {
		const html = readFileSync(join(__dirname, '..', '..', 'nodes', 'RecoveryConfig', 'recovery-config.html'), 'utf8');
		const source = /apiBaseUrl: \{ value: '', validate: (function \(v\) \{.*?\}) \},\n/.exec(html)![1];
		const validate = new Function(`return (${source});`)() as (v: string) => boolean;
		expect(validate('')).toBe(true);
		for (const url of [...LOOPBACK, 'https://proxy.example.com']) expect(validate(url)).toBe(true);
		for (const url of REMOTE) expect(validate(url)).toBe(false);
	});
});
