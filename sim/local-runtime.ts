import { execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { signTwilioRequest } from '../core/twilio/signature';
import { TwilioSim } from './twilio-server';
import { DEMO_ACCOUNT, DEMO_PROFILE } from './demo-profile';

/**
 * What `npm start` (Node-RED) and `npm run start:n8n` share: the runtimes, the packed pack, the local Twilio server.
 */
// scripts/ when run from source (tests), dist/scripts/ when built.
export const ROOT = existsSync(join(__dirname, '..', 'package.json'))
	? resolve(__dirname, '..')
	: resolve(__dirname, '..', '..');
export const DEMO_DIR = join(ROOT, '.demo');
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const runtimes = require(join(ROOT, 'scripts', 'runtimes.js')) as {
	install(n: string[]): void;
	paths(): { node24: string; nodered5Bin: string; n8nBin: string };
	envFor24(): NodeJS.ProcessEnv;
};
export const SIM_PORT = Number(process.env.MCR_SIM_PORT ?? 3999);

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
	return new Promise((res) => {
		const srv = createServer();
		srv.listen(0, '127.0.0.1', () => {
			const port = (srv.address() as AddressInfo).port;
			srv.close(() => res(port));
		});
	});
}

/** Stops a child process: SIGTERM, then SIGKILL after 8 s; resolves when it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
	return new Promise((r) => {
		if (child.exitCode !== null || child.signalCode !== null) return r();
		child.once('exit', () => r());
		child.kill('SIGTERM');
		setTimeout(() => child.kill('SIGKILL'), 8000).unref();
	});
}

/**
 * A POST to a Missed Call Trigger signed as Twilio signs, with no call in it: a live trigger answers 400 (nothing to
 * record) and runs nothing, so a demo can wait for its workflow without the report counting a forged request.
 */
export function readinessProbe(url: string, authToken: string): RequestInit {
	return {
		method: 'POST',
		headers: {
			'content-type': 'application/x-www-form-urlencoded',
			'x-twilio-signature': signTwilioRequest(authToken, url, {}),
		},
		body: '',
	};
}

export async function waitFor(what: string, fn: () => Promise<boolean>, ms: number): Promise<void> {
	const end = Date.now() + ms;
	while (Date.now() < end) {
		if (await fn().catch(() => false)) return;
		await new Promise((r) => setTimeout(r, 300));
	}
	throw new Error(`Timed out waiting for ${what}`);
}

/** Packs this repository as a user would get it from npm, and returns the tarball. */
export function packTarball(): string {
	const packDir = join(DEMO_DIR, 'pack');
	rmSync(packDir, { recursive: true, force: true });
	mkdirSync(packDir, { recursive: true });
	execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], {
		cwd: ROOT,
		stdio: ['ignore', 'ignore', 'inherit'],
	});
	return join(
		packDir,
		readdirSync(packDir).find((f) => f.endsWith('.tgz'))!,
	);
}

type FlowNode = Record<string, unknown>;

/**
 * A Node-RED template (by name under flows/, or already parsed) made to run here: its Twilio account points at a local
 * Twilio-compatible server, its store at `store` (a SQLite file in the user folder unless given), and every business
 * node holds `profile` (or what it makes of the shipped one). `each` adjusts any node further. What the demo, the
 * bench and the end-to-end suites deploy.
 */
export function localFlow(
	flow: string | FlowNode[],
	o: {
		simUrl: string;
		account: { accountSid: string; authToken: string };
		profile: unknown | ((shipped: unknown) => unknown);
		store?: FlowNode;
		each?: (n: FlowNode) => void;
	},
): FlowNode[] {
	const nodes =
		typeof flow === 'string'
			? (JSON.parse(readFileSync(join(ROOT, 'flows', `${flow}.json`), 'utf8')) as FlowNode[])
			: flow;
	for (const n of nodes) {
		if (n.type === 'mcr-twilio-account')
			Object.assign(n, {
				apiBaseUrl: o.simUrl,
				credentials: { accountSid: o.account.accountSid, authToken: o.account.authToken },
			});
		if (n.type === 'mcr-store') Object.assign(n, o.store ?? { sqliteFile: 'cases.db' });
		if (n.type === 'mcr-business')
			Object.assign(n, {
				profile: JSON.stringify(
					typeof o.profile === 'function' ? o.profile(JSON.parse(String(n.profile))) : o.profile,
					null,
					2,
				),
			});
		o.each?.(n);
	}
	return nodes;
}

export async function startSim(): Promise<TwilioSim> {
	const sim = new TwilioSim(DEMO_ACCOUNT);
	await sim.start(SIM_PORT);
	for (const n of DEMO_PROFILE.numbers ?? []) sim.addNumber(n);
	return sim;
}

export function banner(runtime: string, template: string, lines: [string, string][]): string {
	const width = Math.max(...lines.map(([k]) => k.length)) + 2;
	const reply =
		template === 'ai-after-hours-assistant'
			? `
Then answer the text as the caller; the SMS Assistant replies (run it again for each turn):

  npm run call -- --from +13125550123 --text "my kitchen sink is leaking under the cabinet"
`
			: '';
	return `
Missed Call Recovery is running in ${runtime} with the ${template} template.

${lines.map(([k, v]) => `  ${`${k}:`.padEnd(width)} ${v}`).join('\n')}

Place a missed call in another terminal:

  npm run call -- --from +13125550123 --say "water everywhere in the basement"
${reply}
Press Ctrl-C to stop.
`;
}

/** Stops the runtime and the local server together, whichever ends first. */
export function stopTogether(child: import('node:child_process').ChildProcess, sim: TwilioSim, name: string): void {
	const stop = async () => {
		child.kill('SIGTERM');
		await sim.stop();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
	child.on('exit', (code) => {
		console.error(`${name} exited (${code})`);
		void sim.stop().then(() => process.exit(code ?? 1));
	});
}
