import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_ACCOUNT, DEMO_PROFILE } from '../sim/demo-profile';
import {
	banner,
	DEMO_DIR,
	packTarball,
	readinessProbe,
	ROOT,
	runtimes,
	startSim,
	stopTogether,
	waitFor,
} from '../sim/local-runtime';

/**
 * `npm run start:n8n`: real n8n 2.x (on Node 24) with this pack installed as a community package from its packed
 * tarball, the quick-start workflow imported and active, its credentials filled in for the local Twilio-compatible
 * server, and an owner account to log in with. Prints what to open and how to place a test call.
 */
const N8N_PORT = Number(process.env.MCR_N8N_PORT ?? 5678);
const WORKFLOW_ID = 'mcrQuickStart0001';

async function main() {
	const userDir = join(DEMO_DIR, 'n8n');
	const nodesDir = join(userDir, '.n8n', 'nodes');
	mkdirSync(nodesDir, { recursive: true });
	console.log(
		'Preparing n8n on Node 24 (installed once into ~/.cache/missed-call-recovery-runtimes; the first time takes a ' +
			'few minutes)...',
	);
	runtimes.install(['n8n']);
	const env24 = runtimes.envFor24();
	if (!existsSync(join(nodesDir, 'package.json')))
		writeFileSync(
			join(nodesDir, 'package.json'),
			JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }),
		);
	execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', '--omit=optional', packTarball()], {
		cwd: nodesDir,
		env: env24,
		stdio: ['ignore', 'ignore', 'inherit'],
	});

	const sim = await startSim();
	const base = `http://127.0.0.1:${N8N_PORT}`;
	const env: NodeJS.ProcessEnv = {
		...Object.fromEntries(Object.entries(env24).filter(([k]) => !/^(JEST_|NODE_OPTIONS$)/.test(k))),
		NODE_ENV: 'production',
		N8N_USER_FOLDER: userDir,
		N8N_PORT: String(N8N_PORT),
		N8N_HOST: '127.0.0.1',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		WEBHOOK_URL: `${base}/`,
		N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'false',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: 'warn',
	};
	const cli = (args: string[]) =>
		execFileSync(runtimes.paths().node24, [runtimes.paths().n8nBin, ...args], {
			env,
			stdio: ['ignore', 'ignore', 'inherit'],
		});
	const store = join(userDir, 'cases.db');
	const wf = readFileSync(join(ROOT, 'workflows', 'quick-start-text-back.json'), 'utf8')
		.replace(/REPLACE_WORKSPACE_CREDENTIAL_ID/g, 'mcrWorkspace0001')
		.replace(/REPLACE_TWILIO_CREDENTIAL_ID/g, 'mcrTwilio0000001');
	const quick = JSON.parse(wf) as { nodes: { type: string; webhookId?: string }[] };
	const trigger = quick.nodes.find((n) => n.type.endsWith('.missedCallTrigger'))!;
	const webhook = `${base}/webhook/${trigger.webhookId}/missed-call`;
	// Credentials go in through a file that is deleted at once: n8n keeps them encrypted.
	const creds = join(userDir, 'creds.json');
	writeFileSync(
		creds,
		JSON.stringify([
			{
				id: 'mcrWorkspace0001',
				name: 'Missed Call Recovery Workspace',
				type: 'missedCallRecoveryWorkspaceApi',
				data: { storeType: 'sqlite', sqliteFile: store, businesses: JSON.stringify(DEMO_PROFILE) },
			},
			{
				id: 'mcrTwilio0000001',
				name: 'Twilio (Missed Call Recovery)',
				type: 'missedCallRecoveryTwilioApi',
				data: {
					accountSid: DEMO_ACCOUNT.accountSid,
					authType: 'authToken',
					authToken: DEMO_ACCOUNT.authToken,
					apiBaseUrl: sim.url,
					statusCallbackUrl: webhook,
				},
			},
		]),
	);
	try {
		cli(['import:credentials', `--input=${creds}`]);
	} finally {
		rmSync(creds, { force: true });
	}
	const wfFile = join(userDir, 'quick-start.json');
	writeFileSync(wfFile, JSON.stringify({ ...JSON.parse(wf), id: WORKFLOW_ID }));
	cli(['import:workflow', `--input=${wfFile}`]);
	cli(['publish:workflow', `--id=${WORKFLOW_ID}`]);

	const n8n = spawn(runtimes.paths().node24, [runtimes.paths().n8nBin, 'start'], {
		env,
		stdio: ['ignore', 'inherit', 'inherit'],
	});
	await waitFor('n8n', async () => (await fetch(`${base}/healthz`)).ok, 180000);
	// The readiness probe is signed with the demo's Auth Token and carries no call, so the live trigger answers 400
	// (nothing to record) and runs nothing. An unsigned probe would be refused and counted on the report as a forgery.
	let probeRefused = false;
	await waitFor(
		'the quick-start workflow to activate',
		async () => {
			const status = (await fetch(webhook, readinessProbe(webhook, DEMO_ACCOUNT.authToken))).status;
			probeRefused = status === 403;
			return status === 400 || status === 403;
		},
		60000,
	);
	if (probeRefused)
		console.warn(
			"Warning: the Missed Call Trigger refused the demo's signed probe (counted once on the report): its Twilio " +
				"credential's Auth Token does not match the local server's, so test calls will be refused too.",
		);
	// A local owner account, so the editor opens at once. Kept in .demo/ only.
	const owner = {
		email: 'owner@missed-call-recovery.local',
		firstName: 'Demo',
		lastName: 'Owner',
		password: `Demo-${randomBytes(6).toString('hex')}-1`,
	};
	const setup = await fetch(`${base}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(owner),
	});
	const login = setup.ok
		? `${owner.email} / ${owner.password}`
		: 'the owner account made on a previous run (delete .demo/n8n to start over)';
	if (setup.ok) writeFileSync(join(userDir, 'owner.txt'), `${owner.email}\n${owner.password}\n`);
	writeFileSync(
		join(DEMO_DIR, 'demo.json'),
		JSON.stringify({ store, sim: sim.url, webhook, businessId: DEMO_PROFILE.businessId }),
	);
	console.log(
		banner('n8n', 'quick-start-text-back', [
			['n8n editor', `${base}/   (log in: ${login})`],
			['Missed Call Trigger webhook', `${webhook}   (Voice URL and Messaging URL of ${DEMO_PROFILE.numbers?.[0]})`],
			['Recovery report', `${base}/webhook/recovery-report?business=${DEMO_PROFILE.businessId}&days=7`],
			['Local Twilio-compatible server', `${sim.url}   (texts sent: ${sim.url}/__sim/messages)`],
			['Store (SQLite)', store],
		]),
	);
	stopTogether(n8n, sim, 'n8n');
}

main().catch((e) => {
	console.error(e instanceof Error ? e.message : e);
	process.exit(1);
});
