import { createServer, type IncomingMessage, type Server } from 'node:http';
import { ProviderError } from '../../core';
import { formEncode, TwilioHttpClient } from '../../core/twilio/http';

/** A local server that records what reaches it and answers as told. */
async function recorder(
	answer: (req: IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body?: string },
) {
	const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
	let connections = 0;
	const server: Server = createServer((req, res) => {
		let body = '';
		req.on('data', (c) => (body += c));
		req.on('end', () => {
			seen.push({ method: req.method, url: req.url, headers: req.headers, body });
			const a = answer(req, body);
			res.writeHead(a.status, { 'content-type': 'application/json', ...(a.headers ?? {}) }).end(a.body ?? '{}');
		});
	});
	server.on('connection', () => connections++);
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
	return { url, seen, connections: () => connections, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('the Twilio SDK transport', () => {
	test('a request aimed anywhere but Twilio over https is refused before anything leaves', async () => {
		const client = new TwilioHttpClient(undefined, 1000);
		for (const uri of [
			'https://evil.example.com/2010-04-01/Accounts.json',
			'http://api.twilio.com/2010-04-01/Accounts.json',
			'https://api.twilio.com.evil.example/x',
		]) {
			const err = await client.request({ method: 'GET', uri }).catch((e) => e);
			expect(err).toBeInstanceOf(ProviderError);
			expect(err).toMatchObject({ kind: 'rejected', retryable: false });
		}
		client.close();
	});

	test(`with a base URL every SDK path lands under it, with its query and form body encoded as \
the SDK does`, async () => {
		const server = await recorder(() => ({ status: 201, body: '{"sid":"SM1"}' }));
		const client = new TwilioHttpClient(new URL(`${server.url}/twilio-local/`), 1000);
		try {
			const r = await client.request({
				method: 'post',
				uri: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json',
				username: 'AC1',
				password: 'token',
				headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
				params: { PageSize: 20, To: ['+1', '+2'] },
				data: { Body: 'hi there & you', MediaUrl: ['https://a/1', 'https://a/2'], StatusCallback: undefined },
			});
			expect(r).toMatchObject({ statusCode: 201, body: '{"sid":"SM1"}' });
			expect(server.seen[0]).toMatchObject({
				method: 'POST',
				url: '/twilio-local/2010-04-01/Accounts/AC1/Messages.json?PageSize=20&To=%2B1&To=%2B2',
				body: 'Body=hi+there+%26+you&MediaUrl=https%3A%2F%2Fa%2F1&MediaUrl=https%3A%2F%2Fa%2F2',
			});
			expect(server.seen[0].headers.authorization).toBe(`Basic ${Buffer.from('AC1:token').toString('base64')}`);
			// A next-page URI the SDK got from Twilio keeps its own query.
			await client.request({
				method: 'get',
				uri: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=20&Page=1&PageToken=PA1',
			});
			expect(server.seen[1].url).toBe(
				'/twilio-local/2010-04-01/Accounts/AC1/Messages.json?PageSize=20&Page=1&PageToken=PA1',
			);
			// Kept alive: both went over one connection.
			expect(server.connections()).toBe(1);
		} finally {
			client.close();
			await server.close();
		}
	});

	test('a redirect is handed back to the SDK, never followed', async () => {
		const elsewhere = await recorder(() => ({ status: 200 }));
		const server = await recorder(() => ({ status: 302, headers: { location: `${elsewhere.url}/steal` } }));
		const client = new TwilioHttpClient(new URL(server.url), 1000);
		try {
			const r = await client.request({
				method: 'get',
				uri: 'https://api.twilio.com/2010-04-01/Accounts/AC1.json',
				username: 'AC1',
				password: 'token',
			});
			expect(r.statusCode).toBe(302);
			expect(elsewhere.seen).toHaveLength(0);
		} finally {
			client.close();
			await server.close();
			await elsewhere.close();
		}
	});

	test('form encoding: arrays repeat, undefined is left out, null is empty', () => {
		expect(formEncode({ A: ['1', 2], B: undefined, C: null, D: true })).toBe('A=1&A=2&C=&D=true');
		expect(formEncode(undefined)).toBe('');
	});
});
