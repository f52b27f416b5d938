import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore, type RecoveryStore } from '../../core';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
import { playOwnerSide } from './owner-side';
import { E2E_PROFILE, HVAC_PROFILE } from './e2e-profile';
import {
	calBooking,
	HIGHLEVEL_LOCATION,
	HIGHLEVEL_TOKEN,
	HUBSPOT_TOKEN,
	PIPEDRIVE_TOKEN,
	StandIns,
} from './crm-stand-ins';
import { photographN8n } from './browser';
import {
	caseState,
	fetchOnce,
	filesLeaking,
	freePort,
	installTarball,
	packOnce,
	ROOT,
	runtimeEnv,
	runtimes,
	start,
	waitFor,
	type Proc,
	n8nEnv,
	triggerLive,
} from './harness';

const WORKFLOW_ID = 'mcrQuickStart0001';
/** The CRM template imported once more per other CRM, with its Settings node's crm set as an agency would. */
const CRM_VARIANTS = [
	{
		crm: 'pipedrive',
		label: 'Pipedrive',
		id: 'mcrTemplatePd001',
		hook: '2b0c1d3e-4f5a-4b6c-8d7e-f9a0b1c2d301',
		booking: '2b0c1d3e-4f5a-4b6c-8d7e-f9a0b1c2d302',
	},
	{
		crm: 'gohighlevel',
		label: 'GoHighLevel',
		id: 'mcrTemplateGhl01',
		hook: '2b0c1d3e-4f5a-4b6c-8d7e-f9a0b1c2d303',
		booking: '2b0c1d3e-4f5a-4b6c-8d7e-f9a0b1c2d304',
	},
];
const OTHER_TEMPLATES = [
	'full-loop-crm-calendar',
	'after-hours-emergency',
	'voicemail-to-action',
	'daily-report-and-overdue',
	'agency-multi-client',
];
const WEBHOOK_ID = '5b1f3c2e-7d4a-4c8e-9f10-0a1b2c3d4e5f';

/**
 * Only the daily-report template keeps its overdue sweeper, so its Slack posts can be counted (sweepers share the
 * cases).
 */
function oneSweeper(w: { nodes: { name: string; type: string }[]; connections: Record<string, unknown> }) {
	const gone = w.nodes.filter((n) => n.type.endsWith('.recoveryOverdueTrigger')).map((n) => n.name);
	return {
		...w,
		nodes: w.nodes.filter((n) => !gone.includes(n.name)),
		connections: Object.fromEntries(Object.entries(w.connections).filter(([k]) => !gone.includes(k))),
	};
}

describe(`inside a real n8n 2.x: the packed package as a community package, the quick-start workflow activated \
by the CLI`, () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	const standIns = new StandIns();
	const { slack, hubspot, pipedrive, highlevel } = standIns;
	let dir: string;
	let n8n: Proc;
	let port: number;
	let hook: string;
	let store: RecoveryStore;
	let cli: (args: string[]) => string;
	const storeFile = () => join(dir, 'cases.db');
	const toCaller = (n: string) => sim.messages.filter((m) => m.to === n);
	/**
	 * What came before has had its turn, shown by events rather than a sleep: the local server has posted every
	 * delivery report it owes, then a later call from a new caller is acknowledged and its one execution (the
	 * missed call) has finished. Counts taken after this include that execution and that case.
	 */
	const afterALaterCall = async (from: string) => {
		await waitFor(
			'every delivery report posted',
			async () => sim.messages.every((m) => !m.statusCallback || ['delivered', 'undelivered'].includes(m.status)),
			30000,
		);
		const before = executions().length;
		await sim.placeCall({ webhookUrl: hook, from, to: '+13125550199' });
		await waitFor(`the later call's acknowledgment to ${from}`, async () => toCaller(from)[0], 30000);
		await waitFor(
			"the later call's execution to finish",
			async () => {
				const rows = executions().slice(before);
				return rows.length > 0 && rows.every((x) => !['new', 'running', 'waiting'].includes(x.status));
			},
			30000,
		);
	};
	/** The quick-start workflow's executions, from n8n's own database. */
	const executions = () => {
		const db = new Database(join(dir, 'user', '.n8n', 'database.sqlite'), { readonly: true });
		try {
			return db.prepare('SELECT id, status FROM execution_entity WHERE workflowId = ?').all(WORKFLOW_ID) as {
				id: string;
				status: string;
			}[];
		} finally {
			db.close();
		}
	};

	beforeAll(async () => {
		runtimes.install(['n8n']);
		const p = runtimes.paths();
		dir = mkdtempSync(join(tmpdir(), 'mcr-n8n-'));
		const tarball = packOnce(join(tmpdir(), `mcr-pack-${process.pid}`));
		const user = join(dir, 'user');
		installTarball(join(user, '.n8n', 'nodes'), tarball, runtimes.envFor24());
		await sim.start();
		port = await freePort();
		hook = `http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/missed-call`;
		writeFileSync(
			join(dir, 'creds.json'),
			JSON.stringify([
				{
					id: 'mcrWorkspace0001',
					name: 'Missed Call Recovery Workspace',
					type: 'missedCallRecoveryWorkspaceApi',
					data: {
						storeType: 'sqlite',
						sqliteFile: storeFile(),
						businesses: JSON.stringify([
							{ ...E2E_PROFILE, bookingUrl: 'https://cal.com/e2e-plumbing/visit?metadata[caseId]={caseId}' },
							HVAC_PROFILE,
						]),
					},
				},
				{
					id: 'mcrHubspot000001',
					name: 'HubSpot App Token',
					type: 'hubspotAppToken',
					data: { appToken: HUBSPOT_TOKEN },
				},
				{
					id: 'mcrPipedrive0001',
					name: 'Pipedrive API Token',
					type: 'pipedriveApi',
					data: { apiToken: PIPEDRIVE_TOKEN },
				},
				{
					id: 'mcrHighLevel0001',
					name: 'GoHighLevel Private Integration Token',
					type: 'httpHeaderAuth',
					data: { name: 'Authorization', value: `Bearer ${HIGHLEVEL_TOKEN}` },
				},
				{
					id: 'mcrTwilio0000001',
					name: 'Twilio (Missed Call Recovery)',
					type: 'missedCallRecoveryTwilioApi',
					data: {
						accountSid: ACCOUNT_SID,
						authType: 'authToken',
						authToken: AUTH_TOKEN,
						apiBaseUrl: sim.url,
						statusCallbackUrl: hook,
					},
				},
			]),
		);
		const wf = oneSweeper(
			JSON.parse(
				readFileSync(join(ROOT, 'workflows', 'quick-start-text-back.json'), 'utf8')
					.replace(/REPLACE_WORKSPACE_CREDENTIAL_ID/g, 'mcrWorkspace0001')
					.replace(/REPLACE_TWILIO_CREDENTIAL_ID/g, 'mcrTwilio0000001'),
			),
		);
		writeFileSync(join(dir, 'wf.json'), JSON.stringify({ ...wf, id: WORKFLOW_ID }));
		const env = await n8nEnv(user, port);
		cli = (args: string[]) =>
			execFileSync(p.node24, [p.n8nBin, ...args], {
				env: runtimeEnv(env),
				encoding: 'utf8',
				stdio: ['ignore', 'pipe', 'pipe'],
			});
		cli(['import:credentials', `--input=${join(dir, 'creds.json')}`]);
		rmSync(join(dir, 'creds.json')); // the plain-text import file is ours, not n8n's: it goes once imported
		cli(['import:workflow', `--input=${join(dir, 'wf.json')}`]);
		cli(['publish:workflow', `--id=${WORKFLOW_ID}`]);
		// Every other template, as shipped, with the credentials filled in and Slack pointed at the local stand-in.
		await standIns.start();
		for (const [i, t] of OTHER_TEMPLATES.entries()) {
			const text = readFileSync(join(ROOT, 'workflows', `${t}.json`), 'utf8')
				.replace(/REPLACE_WORKSPACE_CREDENTIAL_ID/g, 'mcrWorkspace0001')
				.replace(/REPLACE_TWILIO_CREDENTIAL_ID/g, 'mcrTwilio0000001')
				.replace(/https:\/\/hooks\.slack\.com\/services\/REPLACE\/WITH\/YOUR_WEBHOOK/g, slack.url)
				.replace(/REPLACE_HUBSPOT_CREDENTIAL_ID/g, 'mcrHubspot000001')
				.replace('"https://api.hubapi.com"', JSON.stringify(hubspot.url))
				.replace(/REPLACE_PIPEDRIVE_CREDENTIAL_ID/g, 'mcrPipedrive0001')
				.replace('"https://api.pipedrive.com"', JSON.stringify(pipedrive.url))
				.replace(/REPLACE_HIGHLEVEL_CREDENTIAL_ID/g, 'mcrHighLevel0001')
				.replace('"https://services.leadconnectorhq.com"', JSON.stringify(highlevel.url))
				.replace('REPLACE_WITH_YOUR_LOCATION_ID', HIGHLEVEL_LOCATION);
			const w = JSON.parse(text);
			for (const n of w.nodes) if (n.type === 'n8n-nodes-base.wait') n.parameters = { amount: 2, unit: 'seconds' };
			writeFileSync(
				join(dir, `${t}.json`),
				JSON.stringify({ ...(t === 'daily-report-and-overdue' ? w : oneSweeper(w)), id: `mcrTemplate0000${i + 3}` }),
			);
			cli(['import:workflow', `--input=${join(dir, `${t}.json`)}`]);
			cli(['publish:workflow', `--id=mcrTemplate0000${i + 3}`]);
			if (t !== 'full-loop-crm-calendar') continue;
			for (const v of CRM_VARIANTS) {
				const variant = JSON.parse(
					text
						.replace('2b0c1d3e-4f5a-4b6c-8d7e-f9a0b1c2d3e4', v.hook)
						.replace('2b0c1d3e-4f5a-4b6c-8d7e-f9a0b1c2d3e5', v.booking),
				);
				for (const n of variant.nodes) {
					if (n.name === 'Settings')
						n.parameters.assignments.assignments.find((a: { name: string }) => a.name === 'crm').value = v.crm;
					if (n.name === 'Cal.com Booking') n.parameters.path = `booking-${v.crm}`;
				}
				writeFileSync(
					join(dir, `${v.id}.json`),
					JSON.stringify({ ...oneSweeper(variant), id: v.id, name: `${variant.name} (${v.label})` }),
				);
				cli(['import:workflow', `--input=${join(dir, `${v.id}.json`)}`]);
				cli(['publish:workflow', `--id=${v.id}`]);
			}
		}
		n8n = start(p.node24, [p.n8nBin, 'start'], env);
		await waitFor(
			'n8n to answer /healthz',
			async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
			180000,
			1000,
		).catch((e) => {
			throw new Error(`${e.message}\n--- n8n log ---\n${n8n.log().slice(-4000)}`);
		});
		await triggerLive(hook).catch((e) => {
			throw new Error(`${e.message}\n--- n8n log ---\n${n8n.log().slice(-4000)}`);
		});
		store = await openStore({ type: 'sqlite', file: storeFile() });
	}, 900000);

	afterAll(async () => {
		await store?.close();
		await n8n?.stop();
		await sim.stop();
		await standIns.stop();
		if (dir && !process.env.MCR_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
		else if (dir) console.log(`kept ${dir}`);
	});

	test(`a missed call: TwiML forward, then voicemail TwiML, an acknowledgment at Twilio, the owner texted, and \
the case stored`, async () => {
		const r = await sim.placeCall({
			webhookUrl: hook,
			from: '+13125550123',
			to: '+13125550199',
			say: 'water everywhere in the basement',
		});
		expect(r.exchanges[0]).toMatchObject({ status: 200 });
		expect(r.exchanges[0].contentType).toMatch(/text\/xml/);
		expect(r.exchanges[0].body).toMatch(
			/<Dial action="http:\/\/127\.0\.0\.1:\d+\/webhook\/[^"]+\?step=dial" method="POST" timeout="20"[^>]*><Number>\+13125550101<\/Number><\/Dial>/,
		);
		expect(r.exchanges[1].body).toMatch(/<Say[^>]*>Sorry, we could not take your call at E2E Plumbing/);
		expect(r.exchanges[1].body).toMatch(/<Record action="[^"]+step=record"/);
		const ack = await waitFor('the acknowledgment', async () => toCaller('+13125550123')[0], 30000);
		expect(ack.body).toContain('E2E Plumbing');
		expect(ack.from).toBe('+13125550199');
		const c = await waitFor(
			'the routed case',
			async () => {
				const x = await store.findOpenCase('e2e-plumbing', '+13125550123');
				return x?.owner && x.urgency === 'emergency' ? x : undefined;
			},
			30000,
		);
		expect(c).toMatchObject({ serviceType: 'leak', ack: { status: 'sent' }, state: 'assigned' });
		expect(c.dueAt).toBeTruthy();
		expect(c.calls[0].voicemail?.transcript).toBe('water everywhere in the basement');
		await waitFor(
			'the owner alert',
			async () => sim.messages.find((m) => m.to === c.owner!.phone && m.body.includes('EMERGENCY')),
			30000,
		);
		// Three executions (the missed call, the recording, its transcript), all finished and all successful; delivery
		// reports (sent, delivered) run none.
		const runs = await waitFor(
			'the three executions to finish',
			async () => {
				const rows = executions();
				return rows.length >= 3 && rows.every((x) => !['new', 'running', 'waiting'].includes(x.status))
					? rows
					: undefined;
			},
			30000,
		);
		expect(runs).toHaveLength(3);
		// The call's delivery reports (sent, delivered) must run nothing: a later call's execution is the 4th.
		await afterALaterCall('+13125550126');
		expect(executions().map((x) => x.status)).toEqual(['success', 'success', 'success', 'success']);
	});

	test(`a text that never arrives: Twilio reports it to the trigger, the case is flagged, and only that report \
runs the workflow`, async () => {
		sim.undeliver('+13125550190', 30034);
		const runsBefore = executions().length;
		await sim.placeCall({ webhookUrl: hook, from: '+13125550190', to: '+13125550199' });
		const ack = await waitFor('the acknowledgment', async () => toCaller('+13125550190')[0], 30000);
		expect(ack.statusCallback).toBe(hook);
		const c = await waitFor(
			'the flag',
			async () => {
				const x = await store.findOpenCase('e2e-plumbing', '+13125550190');
				return x?.flags.includes('message-undelivered') ? x : undefined;
			},
			30000,
		);
		expect(c.ack.status).toBe('sent');
		// Executions: the missed call, and the undelivered report on the Text Not Delivered output; the owner's text
		// arrived, and its sent and delivered reports (and the caller's sent) ended at the trigger.
		await waitFor(
			'the owner alert delivered',
			async () =>
				sim.messages.find(
					(m) => m.to === c.owner?.phone && m.body.includes('(312) 555-0190') && m.status === 'delivered',
				),
			30000,
		);
		await afterALaterCall('+13125550127');
		// Plus the later call's own execution.
		expect(executions().length - runsBefore).toBe(3);
	});

	test('a forged signature gets 403 and opens no case', async () => {
		const before = await store.countCases();
		const r = await sim.placeCall({
			webhookUrl: hook,
			from: '+13125550124',
			to: '+13125550199',
			signWith: 'not-the-auth-token',
		});
		expect(r.exchanges[0].status).toBe(403);
		const unsigned = await sim.placeCall({
			webhookUrl: hook,
			from: '+13125550124',
			to: '+13125550199',
			unsigned: true,
		});
		expect(unsigned.exchanges[0].status).toBe(403);
		await afterALaterCall('+13125550128');
		expect(await store.countCases()).toBe(before + 1);
		expect(await store.listCases({ caller: '+13125550124' })).toEqual([]);
		expect(toCaller('+13125550124')).toHaveLength(0);
	});

	test('the same callback delivered twice: one case, one text', async () => {
		await sim.placeCall({ webhookUrl: hook, from: '+13125550125', to: '+13125550199', deliverTwice: true });
		await waitFor('the acknowledgment', async () => toCaller('+13125550125')[0], 30000);
		await afterALaterCall('+13125550129');
		expect(toCaller('+13125550125')).toHaveLength(1);
		expect((await store.listCases({ caller: '+13125550125' })).length).toBe(1);
	});

	test('STOP is confirmed, recorded, and the caller gets nothing more', async () => {
		const stop = await sim.sendSms(hook, '+13125550123', '+13125550199', 'STOP');
		expect(stop.status).toBe(200);
		expect(stop.body).toMatch(/<Message>You have been unsubscribed from E2E Plumbing/);
		await waitFor('the opt-out', async () => store.isOptedOut('e2e-plumbing', '+13125550123'), 10000);
		const open = (await store.findOpenCase('e2e-plumbing', '+13125550123'))!;
		await store.saveCase({ ...open, state: 'lost', outcome: { kind: 'opted-out' } });
		const before = toCaller('+13125550123').length;
		await sim.placeCall({ webhookUrl: hook, from: '+13125550123', to: '+13125550199' });
		const next = await waitFor(
			'the new case with its skipped acknowledgment',
			async () => {
				const c = await store.findOpenCase('e2e-plumbing', '+13125550123');
				return c && c.ack.status === 'skipped' ? c : undefined;
			},
			30000,
		);
		expect(next.ack.reason).toMatch(/^opted-out/);
		expect(toCaller('+13125550123')).toHaveLength(before);
	});

	test('an overdue case is picked up by the polling trigger and escalated up the ladder', async () => {
		const c = (await store.listCases({ caller: '+13125550125' }))[0];
		expect(c.owner).toBeTruthy();
		const escalated = await waitFor(
			'the overdue trigger to escalate the case',
			async () => {
				const x = await store.getCase(c.caseId);
				return x && x.escalationLevel >= 1 ? x : undefined;
			},
			150000,
			2000,
		);
		expect(escalated.owner?.id).not.toBe(c.owner!.id);
		await waitFor(
			'the escalation text',
			async () => sim.messages.find((m) => m.to === escalated.owner!.phone && m.body.includes(c.caseId.slice(0, 8))),
			30000,
		);
	}, 200000);

	test('an emergency over its whole ladder in n8n: the safety step once, one text per level, no repeats', async () => {
		const caller = '+13125550149';
		await sim.placeCall({ webhookUrl: hook, from: caller, to: '+13125550199', say: 'I smell gas in the kitchen' });
		await waitFor(
			'the safety step to the caller',
			async () => toCaller(caller).find((m) => m.body.includes('smell gas, leave now')),
			30000,
		);
		// The polling trigger runs every minute: level 1, level 2, then the spent ladder's first reminder.
		const c = await waitFor(
			'the first reminder',
			async () => {
				const x = (await store.listCases({ caller }))[0];
				return x?.alerts.some((a) => a.kind === 'reminder' && a.status === 'sent') ? x : undefined;
			},
			300000,
			2000,
			async () => caseState((await store.listCases({ caller }))[0], n8n.log()),
		);
		// One more poll must run over the case before counting: a later emergency escalating is the sign.
		const marker = '+13125550150';
		await sim.placeCall({ webhookUrl: hook, from: marker, to: '+13125550199', say: 'sparks from the outlet' });
		await waitFor(
			'a later case escalated',
			async () => ((await store.listCases({ caller: marker }))[0]?.escalationLevel ?? 0) >= 1,
			150000,
			2000,
		);
		const now = (await store.getCase(c.caseId))!;
		const sent = now.alerts.filter((a) => a.status === 'sent');
		const first = sent.find((a) => a.kind === 'new-case')!.ownerId;
		const levels = E2E_PROFILE.routing.escalation.filter((id, i) => i > 0 || id !== first).length;
		expect(sent.filter((a) => a.kind === 'emergency').length).toBeLessThanOrEqual(1);
		const rest = sent.filter((a) => a.kind !== 'emergency').map((a) => a.kind);
		expect(rest.sort()).toEqual([...Array.from({ length: levels }, () => 'escalation'), 'new-case', 'reminder']);
		// Owners' texts only: the caller's acknowledgment carries the whole case id in its booking link.
		const toOwners = sim.messages.filter((m) => m.to !== caller && m.body.includes(c.caseId.slice(0, 8)));
		expect(toOwners).toHaveLength(sent.length);
		expect(toCaller(caller).filter((m) => m.body.includes('smell gas'))).toHaveLength(1);
	}, 600000);

	test('the owner acts from the text and the case page in n8n: 1, the thread, CALL, STOP, Booked', async () => {
		await playOwnerSide({
			sim,
			hook,
			store,
			business: '+13125550199',
			caller: '+13125550162',
			screenshot: 'n8n',
			authToken: AUTH_TOKEN,
		});
	}, 120000);

	test(`after the run the Auth Token is nowhere: not in exported workflows or credentials, n8n's database and \
executions, the store, the log or the texts`, async () => {
		const out = join(dir, 'export');
		mkdirSync(out);
		cli(['export:workflow', '--all', `--output=${join(out, 'workflows.json')}`]);
		cli(['export:credentials', '--all', `--output=${join(out, 'credentials.json')}`]);
		const workflows = readFileSync(join(out, 'workflows.json'), 'utf8');
		expect(workflows).toContain('missedCallTrigger');
		expect(readFileSync(join(out, 'credentials.json'), 'utf8')).toContain('missedCallRecoveryTwilioApi');
		// n8n's own database holds every execution's data; the credential is stored encrypted.
		const { files, leaking } = filesLeaking(dir, AUTH_TOKEN);
		expect(files.some((f) => f.endsWith('database.sqlite'))).toBe(true);
		expect(leaking).toEqual([]);
		expect(n8n.log()).toContain('Missed Call Trigger');
		expect(n8n.log()).not.toContain(AUTH_TOKEN);
		expect(JSON.stringify(sim.messages)).not.toContain(AUTH_TOKEN);
	});

	test(`every template imports and activates: no unknown node types, their webhooks answer, the agency report \
page is served by n8n`, async () => {
		expect(n8n.log()).not.toMatch(
			/Unrecognized node type|could not be activated|Problem with workflow|There was a problem activating/i,
		);
		for (const id of [
			'2b0c1d3e-4f5a-4b6c-8d7e-f9a0b1c2d3e4',
			'3c1d2e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5',
			'4d2e3f5a-6b7c-4d8e-9fa0-b1c2d3e4f5a6',
			'6f4a5b7c-8d9e-4f0a-9b1c-d3e4f5a6b7c8',
		]) {
			const url = `http://127.0.0.1:${port}/webhook/${id}/missed-call`;
			expect((await fetchOnce(url, { method: 'POST' })).status).toBe(403);
		}
		const r = await fetchOnce(`http://127.0.0.1:${port}/webhook/agency-report?business=e2e-plumbing&days=1`);
		expect(r.status).toBe(200);
		expect(r.headers.get('content-type')).toMatch(/text\/html/);
		const html = await r.text();
		expect(html).toContain('E2E Plumbing: missed call recovery');
		expect(html).toMatch(/data-score="[1-5]"/);
	});

	test("the daily-report template posts overdue escalations to Slack in Slack's shape", async () => {
		const post = await waitFor(
			'an overdue post from n8n',
			async () => slack.posts.find((p) => p.text.startsWith('Overdue:')),
			150000,
			2000,
		);
		expect(post.text).not.toMatch(/\+1\d{10}/);
		expect(slack.rejected).toEqual([]);
	}, 160000);

	test(`full loop with CRM and calendar in n8n: HubSpot contact and task, Slack, and the Cal.com booking \
closes the case`, async () => {
		await sim.placeCall({
			webhookUrl: `http://127.0.0.1:${port}/webhook/2b0c1d3e-4f5a-4b6c-8d7e-f9a0b1c2d3e4/missed-call`,
			from: '+13125550174',
			to: '+13125550199',
		});
		const text = await waitFor('the text with the booking link', async () => toCaller('+13125550174')[0], 30000);
		const caseId = decodeURIComponent(text.body.match(/metadata\[caseId\]=([\w%-]+)/)?.[1] ?? '');
		expect(caseId).toMatch(/^[0-9a-f-]{36}$/);
		const task = await waitFor(
			'the HubSpot task',
			async () => hubspot.tasks.find((t) => t.properties.hs_task_body.includes(caseId)),
			30000,
		);
		expect(hubspot.contacts.find((c) => c.id === task.contactId)?.properties.phone).toBe('+13125550174');
		await waitFor(
			'the Slack alert',
			async () => slack.posts.find((p) => p.text.includes(caseId.slice(0, 8)) && p.text.includes('Logged in HubSpot')),
			30000,
		);
		const booked = await fetch(`http://127.0.0.1:${port}/webhook/booking`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(calBooking(caseId, '+13125550174')),
		});
		expect(booked.status).toBe(200);
		const c = await waitFor(
			'the recovered case',
			async () => {
				const x = await store.getCase(caseId);
				return x?.state === 'recovered' ? x : undefined;
			},
			30000,
		);
		expect(c.outcome).toMatchObject({ kind: 'booked' });
		expect(hubspot.rejected).toEqual([]);
	}, 120000);

	test('each workflow on the real n8n canvas, photographed for the catalogue', async () => {
		const ids: Record<string, string> = {
			'quick-start-text-back': WORKFLOW_ID,
			...Object.fromEntries(OTHER_TEMPLATES.map((t, i) => [t, `mcrTemplate0000${i + 3}`])),
		};
		await photographN8n(
			port,
			Object.entries(ids).map(([name, id]) => ({ name, id, nodes: 4 })),
		);
	}, 180000);

	const hookOf = (id: string) => `http://127.0.0.1:${port}/webhook/${id}/missed-call`;

	test('after-hours emergency in n8n: the owner is texted and rung, and the bridge call dials the caller', async () => {
		await sim.placeCall({
			webhookUrl: hookOf('3c1d2e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5'),
			from: '+13125550181',
			to: '+13125550199',
			say: 'a pipe burst and there is water everywhere',
		});
		const bridge = await waitFor(
			'the bridge call',
			async () => sim.calls.find((c) => c.twiml?.includes('<Number>+13125550181</Number>')),
			30000,
		);
		expect(['+13125550111', '+13125550112']).toContain(bridge.to);
		expect(bridge.twiml).toMatch(/Emergency\. Missed call for E2E Plumbing/);
		await waitFor(
			'the emergency text to the owner',
			async () =>
				sim.messages.find(
					(m) => m.to === bridge.to && m.body.includes('EMERGENCY') && m.body.includes('(312) 555-0181'),
				),
			30000,
		);
	}, 60000);

	test("voicemail to action in n8n: one owner text carries the caller's words", async () => {
		await sim.placeCall({
			webhookUrl: hookOf('4d2e3f5a-6b7c-4d8e-9fa0-b1c2d3e4f5a6'),
			from: '+13125550182',
			to: '+13125550199',
			say: 'my water heater is leaking in the garage',
		});
		const c = await waitFor(
			'the routed case',
			async () => (await store.listCases({ caller: '+13125550182' })).find((x) => x.owner),
			30000,
		);
		await waitFor(
			'the owner text with the words',
			async () => sim.messages.find((m) => m.to === c.owner!.phone && m.body.includes('water heater is leaking')),
			30000,
		);
		// Past the template's wait for callers who leave no voicemail: a silent caller placed later is routed only
		// after that wait, which began after this call's.
		await sim.placeCall({
			webhookUrl: hookOf('4d2e3f5a-6b7c-4d8e-9fa0-b1c2d3e4f5a6'),
			from: '+13125550184',
			to: '+13125550199',
		});
		const silent = await waitFor(
			'the silent caller routed after the wait',
			async () => (await store.listCases({ caller: '+13125550184' })).find((x) => x.owner),
			30000,
		);
		await waitFor(
			"the silent caller's owner alert",
			async () => sim.messages.find((m) => m.to === silent.owner!.phone && m.body.includes(silent.caseId.slice(0, 8))),
			30000,
		);
		expect(sim.messages.filter((m) => m.to === c.owner!.phone && m.body.includes(c.caseId.slice(0, 8)))).toHaveLength(
			1,
		);
	}, 60000);

	test('agency multi-client in n8n: the called number picks the business', async () => {
		await sim.placeCall({
			webhookUrl: hookOf('6f4a5b7c-8d9e-4f0a-9b1c-d3e4f5a6b7c8'),
			from: '+16175550183',
			to: '+16175550199',
		});
		expect((await waitFor('the HVAC text', async () => toCaller('+16175550183')[0], 30000)).body).toContain(
			'Northside HVAC',
		);
		const c = await waitFor(
			'the HVAC case',
			async () => (await store.listCases({ caller: '+16175550183' })).find((x) => x.owner),
			30000,
		);
		expect(c).toMatchObject({ businessId: 'northside-hvac', owner: { id: 'dee' } });
		const html = await (
			await fetch(`http://127.0.0.1:${port}/webhook/agency-report?business=northside-hvac&days=1`)
		).text();
		expect(html).toContain('Northside HVAC: missed call recovery');
	}, 60000);

	test.each(CRM_VARIANTS)(
		'full loop with $label in n8n: the caller and a callback in the CRM, Slack told, the booking closes the case',
		async (v) => {
			const from = v.crm === 'pipedrive' ? '+13125550175' : '+13125550176';
			await sim.placeCall({ webhookUrl: hookOf(v.hook), from, to: '+13125550199' });
			const text = await waitFor('the text with the booking link', async () => toCaller(from)[0], 30000);
			const caseId = decodeURIComponent(text.body.match(/metadata\[caseId\]=([\w%-]+)/)?.[1] ?? '');
			if (v.crm === 'pipedrive') {
				const a = await waitFor(
					'the Pipedrive call activity',
					async () => pipedrive.activities.find((x) => x.note.includes(caseId)),
					30000,
				);
				expect(pipedrive.persons.find((p) => p.id === a.personId)?.phone).toBe(from);
			} else {
				const t = await waitFor(
					'the GoHighLevel task',
					async () => highlevel.tasks.find((x) => x.body.includes(caseId)),
					30000,
				);
				expect(highlevel.contacts.find((c) => c.id === t.contactId)?.phone).toBe(from);
			}
			await waitFor(
				'the Slack alert',
				async () =>
					slack.posts.find((p) => p.text.includes(caseId.slice(0, 8)) && p.text.includes(`Logged in ${v.label}`)),
				30000,
			);
			const booked = await fetch(`http://127.0.0.1:${port}/webhook/booking-${v.crm}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(calBooking(caseId, from)),
			});
			expect(booked.status).toBe(200);
			await waitFor('the recovered case', async () => (await store.getCase(caseId))?.state === 'recovered', 30000);
			expect([...pipedrive.rejected, ...highlevel.rejected]).toEqual([]);
		},
		90000,
	);
});
