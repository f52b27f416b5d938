import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ProviderError } from '../../core';
import { formEncode, TwilioHttpClient } from '../../core/twilio/http';
import { proxyFor } from '../../core/twilio/proxy';

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

/** What a CONNECT proxy was asked: the tunnel's target and the credentials it was given. */
interface TunnelAsk {
	target?: string;
	auth?: string;
}

/**
 * A tiny CONNECT proxy that records every tunnel asked of it. It tunnels every target to `deliverTo` (a local
 * port), so a request reaching that server under a name that resolves nowhere can only have come through here;
 * with no `deliverTo` it answers 407.
 */
async function connectProxy(deliverTo?: number) {
	const asked: TunnelAsk[] = [];
	const sockets = new Set<Socket>();
	const server: Server = createServer((_req, res) => res.writeHead(405).end());
	server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
		asked.push({ target: req.url, auth: req.headers['proxy-authorization'] });
		sockets.add(client);
		if (deliverTo === undefined) {
			client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
			return;
		}
		const upstream = connect(deliverTo, '127.0.0.1', () => {
			client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
			if (head.length) upstream.write(head);
			upstream.pipe(client).pipe(upstream);
		});
		sockets.add(upstream);
		upstream.on('error', () => client.destroy());
		client.on('error', () => upstream.destroy());
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	const port = (server.address() as { port: number }).port;
	const close = () => {
		for (const s of sockets) s.destroy();
		return new Promise<void>((r) => server.close(() => r()));
	};
	return { port, asked, close };
}

/** An https server posing as api.twilio.com with a self-signed certificate; it records the names clients ask for. */
async function selfSignedTwilio() {
	const dir = mkdtempSync(join(tmpdir(), 'mcr-proxy-tls-'));
	const pem = (name: string) => join(dir, name);
	const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=api.twilio.com', '-days', '1'];
	execFileSync('openssl', [...args, '-keyout', pem('key.pem'), '-out', pem('cert.pem')], { stdio: 'ignore' });
	const key = readFileSync(pem('key.pem'));
	const cert = readFileSync(pem('cert.pem'));
	rmSync(dir, { recursive: true, force: true });
	const names: string[] = [];
	const server = createHttpsServer(
		{
			key,
			cert,
			SNICallback: (name, cb) => {
				names.push(name);
				cb(null, createSecureContext({ key, cert }));
			},
		},
		(_req, res) => res.end('{}'),
	);
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
	const port = (server.address() as { port: number }).port;
	return { port, names, close: () => new Promise<void>((r) => server.close(() => r())) };
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

describe('the Twilio SDK transport behind a proxy', () => {
	const send = { method: 'post', uri: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json' };

	test('HTTP_PROXY carries the requests through a CONNECT tunnel, with the proxy credentials', async () => {
		const server = await recorder(() => ({ status: 201, body: '{"sid":"SM1"}' }));
		const proxy = await connectProxy(Number(new URL(server.url).port));
		// A name that never resolves (RFC 6761): only the proxy can have delivered the request.
		const base = new URL(`http://twilio-sim.invalid:${new URL(server.url).port}/`);
		const env = { HTTP_PROXY: `http://agency:p%40ss@127.0.0.1:${proxy.port}` };
		const client = new TwilioHttpClient(base, 2000, env);
		try {
			expect(await client.request({ ...send, data: { Body: 'hi' } })).toMatchObject({ statusCode: 201 });
			expect(await client.request({ ...send, data: { Body: 'again' } })).toMatchObject({ statusCode: 201 });
			expect(server.seen.map((s) => s.body)).toEqual(['Body=hi', 'Body=again']);
			expect(server.seen[0].headers.host).toBe(`twilio-sim.invalid:${new URL(server.url).port}`);
			// One tunnel, kept alive for the second request.
			expect(proxy.asked).toEqual([
				{
					target: `twilio-sim.invalid:${new URL(server.url).port}`,
					auth: `Basic ${Buffer.from('agency:p@ss').toString('base64')}`,
				},
			]);
		} finally {
			client.close();
			await proxy.close();
			await server.close();
		}
	});

	test('HTTPS_PROXY (or https_proxy, or HTTP_PROXY as the SDK reads it) tunnels to Twilio on 443', async () => {
		const proxy = await connectProxy();
		try {
			for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY']) {
				const client = new TwilioHttpClient(undefined, 2000, {
					[name]: `http://agency:hunter2@127.0.0.1:${proxy.port}`,
				});
				const err = await client.request(send).catch((e: Error) => e);
				client.close();
				expect(err).toBeInstanceOf(Error);
				expect((err as Error).message).toContain('refused a tunnel to api.twilio.com:443 (HTTP 407)');
				expect((err as Error).message).not.toContain('hunter2');
			}
			expect(proxy.asked.map((a) => a.target)).toEqual(Array(3).fill('api.twilio.com:443'));
		} finally {
			await proxy.close();
		}
	});

	test(`TLS runs end to end with Twilio's name through the tunnel: the proxy cannot pose as Twilio`, async () => {
		const fake = await selfSignedTwilio();
		const proxy = await connectProxy(fake.port);
		const client = new TwilioHttpClient(undefined, 5000, { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` });
		try {
			await expect(client.request(send)).rejects.toThrow(/self[- ]signed certificate/);
			expect(proxy.asked.map((a) => a.target)).toEqual(['api.twilio.com:443']);
			expect(fake.names).toEqual(['api.twilio.com']);
		} finally {
			client.close();
			await proxy.close();
			await fake.close();
		}
	});

	test('this machine and NO_PROXY hosts go direct, never through the proxy', async () => {
		const server = await recorder(() => ({ status: 201 }));
		const proxy = await connectProxy(Number(new URL(server.url).port));
		const env = { HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` };
		const loopback = new TwilioHttpClient(new URL(server.url), 2000, env);
		const listed = new TwilioHttpClient(new URL('http://twilio-sim.invalid:9/'), 1000, {
			...env,
			NO_PROXY: 'example.com, .invalid',
		});
		try {
			expect(await loopback.request(send)).toMatchObject({ statusCode: 201 });
			expect(server.seen).toHaveLength(1);
			// Direct to a name that resolves nowhere: it fails, and the proxy never hears of it.
			await expect(listed.request(send)).rejects.toThrow();
			expect(proxy.asked).toEqual([]);
		} finally {
			loopback.close();
			listed.close();
			await proxy.close();
			await server.close();
		}
	});

	test('NO_PROXY is read as curl reads it: names cover subdomains, ports must match, * is everything', () => {
		const twilio = new URL('https://api.twilio.com/2010-04-01');
		const proxy = { HTTPS_PROXY: 'proxy.agency.example:3128' };
		expect(proxyFor(twilio, proxy)?.href).toBe('http://proxy.agency.example:3128/');
		expect(proxyFor(twilio, {})).toBeUndefined();
		for (const noProxy of ['twilio.com', '.twilio.com', '*.twilio.com', 'api.twilio.com:443', 'a.example,*'])
			expect(proxyFor(twilio, { ...proxy, NO_PROXY: noProxy })).toBeUndefined();
		expect(proxyFor(twilio, { ...proxy, no_proxy: 'twilio.com' })).toBeUndefined();
		for (const noProxy of ['wilio.com', 'api.twilio.com:8443', 'lookups.twilio.com', ''])
			expect(proxyFor(twilio, { ...proxy, NO_PROXY: noProxy })).toBeDefined();
		// A plain http base never takes HTTPS_PROXY.
		expect(proxyFor(new URL('http://sim.agency.example:3000'), proxy)).toBeUndefined();
	});

	test('a proxy variable this client cannot use is a final error naming it, without its password', async () => {
		const client = new TwilioHttpClient(undefined, 1000, { HTTPS_PROXY: 'socks5://agency:hunter2@proxy:1080' });
		const err = await client.request(send).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(ProviderError);
		expect(err).toMatchObject({ kind: 'rejected', retryable: false });
		expect((err as Error).message).toMatch(/^HTTPS_PROXY is not a proxy this client can use/);
		expect((err as Error).message).not.toContain('hunter2');
		client.close();
	});
});
