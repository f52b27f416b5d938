import { createConnection } from 'node:net';

export const REDIS_HOST = process.env.MCR_TEST_REDIS_HOST ?? '127.0.0.1';
export const REDIS_PORT = Number(process.env.MCR_TEST_REDIS_PORT ?? 6379);

/** Fails with a clear message when the machine's Redis is not answering PING, instead of a vague timeout later. */
export async function requireRedis(): Promise<void> {
	const answer = await new Promise<string>((resolve, reject) => {
		const s = createConnection({ host: REDIS_HOST, port: REDIS_PORT });
		const timer = setTimeout(() => (s.destroy(), reject(new Error('no answer within 3 s'))), 3000);
		s.once('error', (e) => (clearTimeout(timer), reject(e)));
		s.once('connect', () => s.write('PING\r\n'));
		s.once('data', (d) => {
			clearTimeout(timer);
			s.end();
			resolve(d.toString().trim());
		});
	}).catch((e: Error) => `error: ${e.message}`);
	if (answer !== '+PONG') {
		throw new Error(
			`Redis is not answering at ${REDIS_HOST}:${REDIS_PORT} (${answer}). Start it with: redis-server --daemonize ` +
				(`yes --bind 127.0.0.1 --port ${REDIS_PORT} --save "" --appendonly no, or set MCR_TEST_REDIS_HOST and ` +
					`MCR_TEST_REDIS_PORT.`),
		);
	}
}
