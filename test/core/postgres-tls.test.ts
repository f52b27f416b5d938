import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { openStore } from '../../core';
import { PostgresDriver } from '../../core/store/postgres';
import { storeConfigFromFields } from '../../nodes/shared/runtime';

/**
 * A server that answers PostgreSQL's SSLRequest with "S" and then speaks TLS with a self-signed certificate, as a
 * database with a self-made certificate would. It records whether a client finished the TLS handshake (and would
 * have sent its password through it), then hangs up.
 */
async function selfSignedServer(): Promise<{ port: number; handshakes: () => number; close: () => Promise<void> }> {
	const dir = mkdtempSync(join(tmpdir(), 'mcr-tls-'));
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-subj',
			'/CN=127.0.0.1',
			'-days',
			'1',
			'-keyout',
			join(dir, 'key.pem'),
			'-out',
			join(dir, 'cert.pem'),
		],
		{ stdio: 'ignore' },
	);
	const key = readFileSync(join(dir, 'key.pem'));
	const cert = readFileSync(join(dir, 'cert.pem'));
	rmSync(dir, { recursive: true, force: true });
	let handshakes = 0;
	const sockets = new Set<Socket>();
	const server: Server = createServer((socket) => {
		sockets.add(socket);
		socket.once('data', () => {
			socket.write('S');
			const tls = new TLSSocket(socket, { isServer: true, key, cert });
			tls.on('secure', () => {
				handshakes++;
				tls.destroy();
			});
			tls.on('error', () => socket.destroy());
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const port = (server.address() as { port: number }).port;
	return {
		port,
		handshakes: () => handshakes,
		close: () => {
			for (const s of sockets) s.destroy();
			return new Promise<void>((r) => server.close(() => r()));
		},
	};
}

describe('PostgreSQL over SSL verifies the server certificate', () => {
	let server: Awaited<ReturnType<typeof selfSignedServer>>;
	beforeAll(async () => {
		server = await selfSignedServer();
	});
	afterAll(() => server.close());
	const settings = () => ({
		host: '127.0.0.1',
		port: server.port,
		database: 'cases',
		user: 'mcr',
		password: 'secret-password',
		ssl: true,
	});
	const config = () => ({ type: 'postgres' as const, ...settings() });

	test('by default a self-signed certificate is refused before anything is sent', async () => {
		const before = server.handshakes();
		await expect(openStore(config())).rejects.toThrow(/self[- ]signed certificate/);
		expect(server.handshakes()).toBe(before);
	});

	test('an explicit setting accepts a self-signed certificate', async () => {
		const before = server.handshakes();
		// The server hangs up after the handshake: the query still fails, but past TLS (no retries: that is a wait).
		const driver = new PostgresDriver({ ...settings(), sslRejectUnauthorized: false, retryDelaysMs: [] });
		const e = await driver.all('SELECT 1').catch((x: Error) => x);
		await driver.close();
		expect(e).toBeInstanceOf(Error);
		expect((e as Error).message).not.toMatch(/self[- ]signed/);
		expect(server.handshakes()).toBeGreaterThan(before);
	});
});

describe('the editors map their SSL fields onto the store settings', () => {
	const fields = (extra: Record<string, unknown>) =>
		storeConfigFromFields({ storeType: 'postgres', host: 'db', database: 'cases', user: 'mcr', ...extra }, 'pw', '/u');

	test('SSL verifies unless the insecure box is ticked too', () => {
		expect(fields({ ssl: true })).toMatchObject({ ssl: true });
		expect(fields({ ssl: true })).not.toHaveProperty('sslRejectUnauthorized');
		expect(fields({ ssl: true, sslAllowUnverified: true })).toMatchObject({ ssl: true, sslRejectUnauthorized: false });
		expect(fields({ ssl: false, sslAllowUnverified: true })).not.toHaveProperty('sslRejectUnauthorized');
	});
});
