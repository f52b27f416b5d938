import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_ACCOUNT, DEMO_PROFILE } from '../sim/demo-profile';
import { OpenAISim } from '../sim/openai-server';
import {
	banner,
	DEMO_DIR,
	localFlow,
	packTarball,
	runtimes,
	startSim,
	stopTogether,
	waitFor,
} from '../sim/local-runtime';

/**
 * The main job: real Node-RED 5 (on Node 24) with this pack installed from its packed tarball, the quick-start
 * flow deployed with the embedded SQLite store, and the local Twilio-compatible server. Prints what to open and
 * how to place a test call. Everything it makes lives in .demo/ (delete it to start over).
 *
 * `--assistant` deploys the AI after-hours assistant template instead, its language model config pointed at the
 * local OpenAI-compatible server (a stand-in model that asks the intake questions in turn): `npm run call -- --text`
 * then plays a caller's reply.
 */
const RED_PORT = Number(process.env.MCR_RED_PORT ?? 1880);
const MODEL_PORT = Number(process.env.MCR_MODEL_PORT ?? 3998);
const ASSISTANT = process.argv.includes('--assistant');
const TEMPLATE = ASSISTANT ? 'ai-after-hours-assistant' : 'quick-start-text-back';

type ShippedProfile = { bookingUrl?: string; assistant?: unknown; acknowledgment?: Record<string, unknown> };

/** The demo business, with the template's assistant section and booking link when the assistant is on. */
function demoProfile(shipped: unknown) {
	if (!ASSISTANT) return DEMO_PROFILE;
	const s = shipped as ShippedProfile;
	return {
		...DEMO_PROFILE,
		bookingUrl: s.bookingUrl,
		assistant: s.assistant,
		acknowledgment: { ...DEMO_PROFILE.acknowledgment, ...s.acknowledgment },
	};
}

async function main() {
	const userDir = join(DEMO_DIR, 'node-red');
	mkdirSync(userDir, { recursive: true });
	console.log('Preparing Node-RED 5 on Node 24 (installed once into ~/.cache/missed-call-recovery-runtimes)...');
	runtimes.install(['nodered5']);
	const env24 = runtimes.envFor24();
	const tgz = packTarball();
	if (!existsSync(join(userDir, 'package.json')))
		writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-demo', private: true }));
	execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', '--omit=optional', tgz], {
		cwd: userDir,
		env: env24,
		stdio: ['ignore', 'ignore', 'inherit'],
	});
	writeFileSync(
		join(userDir, 'settings.js'),
		`module.exports = { uiPort: ${RED_PORT}, uiHost: '127.0.0.1', flowFile: 'flows.json', credentialSecret: ` +
			(`'local-demo-only', httpNodeRoot: '/', editorTheme: { tours: false }, telemetry: { enabled: false }, ` +
				`diagnostics: { enabled: false }, logging: { console: { level: 'warn' } } };\n`),
	);

	const sim = await startSim();
	const red = spawn(
		runtimes.paths().node24,
		[runtimes.paths().nodered5Bin, '-u', userDir, '-s', join(userDir, 'settings.js')],
		{ env: { ...env24, NODE_ENV: 'production' }, stdio: ['ignore', 'inherit', 'inherit'] },
	);
	const base = `http://127.0.0.1:${RED_PORT}`;
	await waitFor('Node-RED', async () => (await fetch(`${base}/settings`)).ok, 120000);

	const model = ASSISTANT ? new OpenAISim({ apiKey: 'sk-local-demo-only' }) : undefined;
	await model?.start(MODEL_PORT);
	let hookPath = 'missed-call';
	const flow = localFlow(TEMPLATE, {
		simUrl: sim.url,
		account: DEMO_ACCOUNT,
		profile: demoProfile,
		each: (n) => {
			if (n.type === 'missed-call-trigger') hookPath = String(n.path ?? hookPath).replace(/^\//, '');
			if (n.type === 'mcr-business') n.name = DEMO_PROFILE.name;
			if (n.type === 'recovery-overdue') n.intervalSeconds = 30;
			if (n.type === 'mcr-model' && model)
				Object.assign(n, { baseUrl: model.url, credentials: { apiKey: 'sk-local-demo-only' } });
		},
	});
	// Twilio (here, the local server) reports each text's delivery back to the trigger.
	for (const n of flow) if (n.type === 'mcr-twilio-account') n.statusCallbackUrl = `${base}/${hookPath}`;
	const r = await fetch(`${base}/flows`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full', 'node-red-api-version': 'v2' },
		body: JSON.stringify({ flows: flow }),
	});
	if (!r.ok) throw new Error(`Deploying the ${TEMPLATE} flow failed: ${r.status} ${await r.text()}`);
	writeFileSync(
		join(DEMO_DIR, 'demo.json'),
		JSON.stringify({
			store: join(userDir, 'cases.db'),
			sim: sim.url,
			webhook: `${base}/${hookPath}`,
			assistant: ASSISTANT,
			businessId: DEMO_PROFILE.businessId,
		}),
	);
	console.log(
		banner('Node-RED 5', TEMPLATE, [
			['Node-RED editor', `${base}/`],
			[
				'Missed Call Trigger webhook',
				`${base}/${hookPath}   (Voice URL and Messaging URL of ${DEMO_PROFILE.numbers?.[0]})`,
			],
			...(model ? [['Local OpenAI-compatible server', `${model.url}   (a stand-in model)`] as [string, string]] : []),
			['Recovery report', `${base}/recovery-report?business=${DEMO_PROFILE.businessId}&days=7`],
			['Local Twilio-compatible server', `${sim.url}   (texts sent: ${sim.url}/__sim/messages)`],
			['Store (SQLite)', join(userDir, 'cases.db')],
		]),
	);
	stopTogether(red, sim, 'Node-RED');
}

main().catch((e) => {
	console.error(e instanceof Error ? e.message : e);
	process.exit(1);
});
