import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type RecoveryStore } from '../../core';
import { OpenAISim } from '../../sim/openai-server';
import { TwilioSim } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
import { E2E_PROFILE, HVAC_PROFILE as HVAC } from './e2e-profile';
import {
	calBooking,
	HIGHLEVEL_LOCATION,
	HIGHLEVEL_TOKEN,
	HUBSPOT_TOKEN,
	PIPEDRIVE_TOKEN,
	StandIns,
} from './crm-stand-ins';
import { openChromium, screenshotPath } from './browser';
import {
	caseState,
	chatWith,
	installTarball,
	localFlow,
	MODEL_KEY,
	packOnce,
	ROOT,
	runtimes,
	startNodeRed,
	waitFor,
	type Proc,
} from './harness';

const CRMS = ['hubspot', 'pipedrive', 'gohighlevel'];
const TEMPLATES = [
	'full-loop-crm-calendar',
	'quick-start-text-back',
	'after-hours-emergency',
	'voicemail-to-action',
	'daily-report-and-overdue',
	'agency-multi-client',
	'ai-after-hours-assistant',
];

describe('every Node-RED template deployed together in real Node-RED 5 and played end to end', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	const standIns = new StandIns();
	const oai = new OpenAISim({ apiKey: MODEL_KEY });
	const { slack, hubspot, pipedrive, highlevel } = standIns;
	let dir: string;
	let red: Proc;
	let base: string;
	let store: RecoveryStore;
	const to = (n: string) => sim.messages.filter((m) => m.to === n);

	beforeAll(async () => {
		runtimes.install(['nodered5']);
		dir = mkdtempSync(join(tmpdir(), 'mcr-nr-templates-'));
		installTarball(dir, packOnce(join(tmpdir(), `mcr-pack-${process.pid}`)), runtimes.envFor24());
		await sim.start();
		await standIns.start();
		await oai.start();
		({ red, base } = await startNodeRed({
			dir,
			node: runtimes.paths().node24,
			bin: runtimes.paths().nodered5Bin,
			env: {
				...runtimes.envFor24(),
				SLACK_WEBHOOK_URL: slack.url,
				HUBSPOT_BASE_URL: hubspot.url,
				HUBSPOT_TOKEN,
				PIPEDRIVE_BASE_URL: pipedrive.url,
				PIPEDRIVE_TOKEN,
				HIGHLEVEL_BASE_URL: highlevel.url,
				HIGHLEVEL_TOKEN,
				HIGHLEVEL_LOCATION_ID: HIGHLEVEL_LOCATION,
			},
			label: 'Node-RED 5',
		}));
		// Each template as shipped, with only what an agency fills in changed: credentials, the store file, the business.
		const flows: Record<string, unknown>[] = [];
		// The CRM template once per CRM, as three agencies would set its tab's CRM variable.
		const copies = TEMPLATES.flatMap((t) =>
			t === 'full-loop-crm-calendar' ? CRMS.map((crm) => ({ t, crm })) : [{ t, crm: '' }],
		);
		for (const { t, crm } of copies) {
			let text = readFileSync(join(ROOT, 'flows', `${t}.json`), 'utf8');
			if (crm && crm !== 'hubspot')
				text = text
					.replace(/"mcr2\./g, `"mcr2${crm}.`)
					.replace('"path": "full-loop"', `"path": "full-loop-${crm}"`)
					.replace('"url": "/booking"', `"url": "/booking-${crm}"`);
			const profile = (shipped: unknown) => {
				const s = shipped as {
					bookingUrl?: string;
					routing?: { strategy?: string };
					acknowledgment?: object;
					assistant?: object;
				};
				return Array.isArray(shipped)
					? [E2E_PROFILE, HVAC]
					: {
							...E2E_PROFILE,
							bookingUrl: s.bookingUrl,
							// The assistant template's own section and caps, as shipped.
							...(s.assistant
								? {
										assistant: s.assistant,
										acknowledgment: { ...E2E_PROFILE.acknowledgment, ...s.acknowledgment },
									}
								: {}),
							routing: { ...E2E_PROFILE.routing, strategy: s.routing?.strategy ?? 'round-robin' },
							roster: E2E_PROFILE.roster.map((r) => ({
								...r,
								onCall: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '00:00', to: '24:00' }],
							})),
						};
			};
			const each = (n: Record<string, unknown>) => {
				if (n.type === 'tab' && crm) Object.assign(n, { env: [{ name: 'CRM', value: crm, type: 'str' }] });
				// One sweeper (the daily-report template's) so its Slack posts can be counted.
				if (n.type === 'recovery-overdue')
					Object.assign(n, { intervalSeconds: String(n.id).startsWith('mcr5') ? 3 : 3600 });
				if (n.type === 'delay') Object.assign(n, { timeout: '2', timeoutUnits: 'seconds' });
				// The language model config node on the local OpenAI-compatible server, its key a credential.
				if (n.type === 'mcr-model') Object.assign(n, { baseUrl: oai.url, credentials: { apiKey: MODEL_KEY } });
			};
			flows.push(
				...localFlow(JSON.parse(text), {
					simUrl: sim.url,
					account: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
					profile,
					each,
				}),
			);
		}
		const deploy = await fetch(`${base}/flows`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full', 'node-red-api-version': 'v2' },
			body: JSON.stringify({ flows }),
		});
		expect(deploy.status).toBe(200);
		for (const path of ['missed-call', 'after-hours', 'voicemail-action', 'agency', 'ai-assistant'])
			await waitFor(
				`/${path}`,
				async () => (await fetch(`${base}/${path}`, { method: 'POST' })).status === 403,
				30000,
				300,
			);
		store = await openStore({ type: 'sqlite', file: join(dir, 'cases.db') });
	}, 600000);

	afterAll(async () => {
		await store?.close();
		await red?.stop();
		await sim.stop();
		await standIns.stop();
		await oai.stop();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	test(`all seven templates deploy with no unknown node types, every wire to a node that exists, and are offered \
under Import > Examples`, async () => {
		expect(red.log()).not.toMatch(/missing types|Unknown type|Waiting for missing/i);
		const deployed = (await (await fetch(`${base}/flows`, { headers: { 'node-red-api-version': 'v2' } })).json()) as {
			flows: { id: string; wires?: string[][] }[];
		};
		const ids = new Set(deployed.flows.map((n) => n.id));
		for (const n of deployed.flows)
			for (const w of (n.wires ?? []).flat())
				expect({ from: n.id, to: w, exists: ids.has(w) }).toEqual({ from: n.id, to: w, exists: true });
		for (const t of TEMPLATES)
			expect(
				(await fetch(`${base}/library/examples/flows/@recovery-loop/n8n-nodes-missed-call-recovery/${t}`)).status,
			).toBe(200);
		expect(readdirSync(join(ROOT, 'examples')).sort()).toEqual(TEMPLATES.map((t) => `${t}.json`).sort());
	});

	test(`full loop with CRM and calendar: a HubSpot contact and task, the owner told in Slack, and the Cal.com \
booking closes the case`, async () => {
		await sim.placeCall({ webhookUrl: `${base}/full-loop`, from: '+13125550164', to: '+13125550199' });
		const text = await waitFor('the text with the booking link', async () => to('+13125550164')[0], 20000);
		const caseId = decodeURIComponent(text.body.match(/metadata\[caseId\]=([\w%-]+)/)?.[1] ?? '');
		expect(caseId).toMatch(/^[0-9a-f-]{36}$/);
		const task = await waitFor(
			'the HubSpot task',
			async () => hubspot.tasks.find((t) => t.properties.hs_task_body.includes(caseId)),
			20000,
		);
		expect(hubspot.contacts.find((c) => c.id === task.contactId)?.properties.phone).toBe('+13125550164');
		expect(task.properties.hs_task_subject).toMatch(/^Call back \+13125550164/);
		await waitFor(
			'the Slack alert',
			async () => slack.posts.find((p) => p.text.includes(caseId.slice(0, 8)) && p.text.includes('Logged in HubSpot')),
			20000,
		);
		const booked = await fetch(`${base}/booking`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(calBooking(caseId, '+13125550164')),
		});
		expect(booked.status).toBe(200);
		expect(await booked.text()).toBe('recorded');
		const c = await waitFor(
			'the recovered case',
			async () => {
				const x = await store.getCase(caseId);
				return x?.state === 'recovered' ? x : undefined;
			},
			20000,
		);
		expect(c.outcome).toMatchObject({ kind: 'booked' });
		const other = await fetch(`${base}/booking`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ triggerEvent: 'BOOKING_CANCELLED', payload: {} }),
		});
		expect(await other.text()).toBe('ignored');
		expect(hubspot.rejected).toEqual([]);
	});

	test.each([
		['pipedrive', 'Pipedrive', '+13125550165'],
		['gohighlevel', 'GoHighLevel', '+13125550166'],
	])(
		'full loop with %s: the caller and a callback in the CRM, Slack told, the booking closes the case',
		async (crm, label, from) => {
			await sim.placeCall({ webhookUrl: `${base}/full-loop-${crm}`, from, to: '+13125550199' });
			const text = await waitFor('the text with the booking link', async () => to(from)[0], 20000);
			const caseId = decodeURIComponent(text.body.match(/metadata\[caseId\]=([\w%-]+)/)?.[1] ?? '');
			if (crm === 'pipedrive') {
				const a = await waitFor(
					'the Pipedrive call activity',
					async () => pipedrive.activities.find((x) => x.note.includes(caseId)),
					20000,
				);
				expect(pipedrive.persons.find((p) => p.id === a.personId)?.phone).toBe(from);
			} else {
				const t = await waitFor(
					'the GoHighLevel task',
					async () => highlevel.tasks.find((x) => x.body.includes(caseId)),
					20000,
				);
				expect(highlevel.contacts.find((c) => c.id === t.contactId)?.phone).toBe(from);
			}
			await waitFor(
				'the Slack alert',
				async () =>
					slack.posts.find((p) => p.text.includes(caseId.slice(0, 8)) && p.text.includes(`Logged in ${label}`)),
				20000,
			);
			const booked = await fetch(`${base}/booking-${crm}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(calBooking(caseId, from)),
			});
			expect(await booked.text()).toBe('recorded');
			await waitFor('the recovered case', async () => (await store.getCase(caseId))?.state === 'recovered', 20000);
			expect([...pipedrive.rejected, ...highlevel.rejected]).toEqual([]);
		},
	);

	test('after-hours emergency: the on-call owner is texted and rung, and the call dials the caller', async () => {
		await sim.placeCall({
			webhookUrl: `${base}/after-hours`,
			from: '+13125550161',
			to: '+13125550199',
			say: 'a pipe burst and there is water everywhere',
		});
		const bridge = await waitFor(
			'the bridge call',
			async () => sim.calls.find((c) => c.twiml?.includes('<Number>+13125550161</Number>')),
			20000,
		);
		expect(['+13125550111', '+13125550112']).toContain(bridge.to);
		expect(bridge.twiml).toMatch(/Emergency\. Missed call for E2E Plumbing/);
		await waitFor(
			'the owner alert',
			async () => sim.messages.find((m) => m.to === bridge.to && m.body.includes('EMERGENCY')),
			20000,
		);
		const c = (await store.listCases({ caller: '+13125550161' }))[0];
		expect(c.attempts).toEqual([expect.objectContaining({ channel: 'call', result: 'sent' })]);
	});

	test(`voicemail to action: one owner text carries the caller's words; a caller with no voicemail is \
still routed`, async () => {
		await sim.placeCall({
			webhookUrl: `${base}/voicemail-action`,
			from: '+13125550162',
			to: '+13125550199',
			say: 'my water heater is leaking in the garage',
		});
		const withWords = await waitFor(
			'the routed voicemail case',
			async () => (await store.listCases({ caller: '+13125550162' })).find((c) => c.owner),
			20000,
		);
		await waitFor(
			'the owner text with the words',
			async () =>
				sim.messages.find((m) => m.to === withWords.owner!.phone && m.body.includes('water heater is leaking')),
			20000,
		);
		await sim.placeCall({ webhookUrl: `${base}/voicemail-action`, from: '+13125550163', to: '+13125550199' });
		const silent = await waitFor(
			'the silent caller routed after the wait',
			async () => (await store.listCases({ caller: '+13125550163' })).find((c) => c.owner),
			20000,
		);
		expect(silent.urgency).toBeTruthy();
		// The silent caller's alert goes out after the flow's wait for a voicemail, and that wait began after the first
		// call's: once it is sent, any second alert the first case would get has had its turn.
		await waitFor(
			"the silent caller's owner alert, after the wait",
			async () => sim.messages.find((m) => m.to === silent.owner!.phone && m.body.includes(silent.caseId.slice(0, 8))),
			20000,
		);
		const alerts = sim.messages.filter(
			(m) => m.to === withWords.owner!.phone && m.body.includes(withWords.caseId.slice(0, 8)),
		);
		expect(alerts).toHaveLength(1);
	});

	test('agency multi-client: the called number picks the business, and each client has its own report', async () => {
		await sim.placeCall({ webhookUrl: `${base}/agency`, from: '+16175550177', to: '+16175550199' });
		await sim.placeCall({ webhookUrl: `${base}/agency`, from: '+13125550178', to: '+13125550199' });
		expect((await waitFor('the HVAC text', async () => to('+16175550177')[0], 20000)).body).toContain('Northside HVAC');
		expect((await waitFor('the plumbing text', async () => to('+13125550178')[0], 20000)).body).toContain(
			'E2E Plumbing',
		);
		const hvac = await waitFor(
			'the HVAC case',
			async () => (await store.listCases({ caller: '+16175550177' })).find((c) => c.owner),
			20000,
		);
		expect(hvac).toMatchObject({ businessId: 'northside-hvac', owner: { id: 'dee' } });
		const html = await (await fetch(`${base}/agency-report?business=northside-hvac&days=1`)).text();
		expect(html).toContain('Northside HVAC: missed call recovery');
		expect(html).toMatch(/<option value="northside-hvac" selected>Northside HVAC<\/option>/);
	});

	test(`AI after-hours assistant: the missed call is texted back and routed, and the caller's reply is answered by \
the model with the booking link`, async () => {
		const caller = '+13125550167';
		await sim.placeCall({ webhookUrl: `${base}/ai-assistant`, from: caller, to: '+13125550199' });
		const c = await waitFor(
			'the routed case',
			async () => (await store.listCases({ caller })).find((x) => x.owner),
			20000,
		);
		const shipped = JSON.parse(readFileSync(join(ROOT, 'flows', 'ai-after-hours-assistant.json'), 'utf8')) as {
			type: string;
			profile?: string;
		}[];
		const booking = (JSON.parse(shipped.find((n) => n.type === 'mcr-business')!.profile!) as { bookingUrl: string })
			.bookingUrl;
		const link = booking.replace('{caseId}', c.caseId);
		const words = 'the toilet keeps running all night';
		oai.reply({
			match: chatWith(words),
			content: {
				reply: `Thanks. You can pick a time at ${link}`,
				intake: { whatHappened: 'running toilet', address: null, bestTime: null },
				handoff: false,
				handoffReason: null,
			},
		});
		await sim.sendSms(`${base}/ai-assistant`, caller, '+13125550199', words);
		const answer = await waitFor(
			'the assistant text',
			async () => to(caller).find((m) => m.body.includes('pick a time')),
			20000,
			250,
			async () =>
				`${caseState(await store.getCase(c.caseId), red.log())}\ntexts to the caller: ` +
				`${JSON.stringify(to(caller).map((m) => m.body))}\nmodel requests: ${oai.chats().length}, ` +
				`scripted replies left: ${oai.pending()}`,
		);
		expect(answer.body).toBe(`E2E Plumbing: Thanks. You can pick a time at ${link}`);
		expect((await store.getCase(c.caseId))!.intake).toEqual({ whatHappened: 'running toilet' });
	});

	test("daily report and overdue: the scorecard and the overdue escalations reach Slack in Slack's shape", async () => {
		const r = await fetch(`${base}/inject/mcr5.daily`, { method: 'POST' });
		expect(r.status).toBe(200);
		const card = await waitFor(
			'the scorecard in Slack',
			async () => slack.posts.find((p) => p.blocks?.[0]?.type === 'header'),
			20000,
		);
		expect(card.text).toMatch(/^Missed call recovery: [1-5–]\/5/);
		// The cases above have short test deadlines: the sweeper escalates them and posts each one.
		const overdue = await waitFor(
			'an overdue post',
			async () => slack.posts.find((p) => p.text.startsWith('Overdue:')),
			60000,
			1000,
		);
		expect(overdue.text).not.toMatch(/\+1\d{10}/); // the caller's number is masked in chat
		expect(slack.rejected).toEqual([]);
	}, 90000);

	test(`the report page in headless Chromium at phone size: readable without sideways scrolling, filterable by \
business and period`, async () => {
		const { context, close } = await openChromium({ width: 390, height: 844 });
		try {
			const page = await context.newPage();
			const res = await page.goto(`${base}/agency-report?business=northside-hvac&days=1`);
			expect(res?.status()).toBe(200);
			expect(await page.locator('h1').textContent()).toBe('Northside HVAC: missed call recovery');
			expect(await page.locator('.score').textContent()).toMatch(/^[1-5–] \/ 5$/);
			expect(await page.locator('.checks li').count()).toBe(5);
			expect(await page.locator('section.protect').isVisible()).toBe(true);
			const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
			expect(width).toBeLessThanOrEqual(390);
			await page.screenshot({ path: screenshotPath('report', 'report-phone'), fullPage: true });
			// The filter is a plain form: no script needed, so it works in any phone browser.
			await page.selectOption('select[name=business]', 'e2e-plumbing');
			await page.selectOption('select[name=days]', '30');
			await Promise.all([page.waitForURL(/business=e2e-plumbing&days=30/), page.click('button[type=submit]')]);
			expect(await page.locator('h1').textContent()).toBe('E2E Plumbing: missed call recovery');
			expect(await page.locator('body').textContent()).toContain('Last 30 days');
			expect(Number(await page.locator('.bar').first().textContent())).toBeGreaterThan(0);
		} finally {
			await close();
		}
	}, 60000);

	test('each flow on the real Node-RED canvas, photographed for the catalogue', async () => {
		const { context, close } = await openChromium({ width: 1720, height: 720 });
		try {
			const page = await context.newPage();
			const tabs: Record<string, string> = {
				'full-loop-crm-calendar': 'mcr2.tab',
				'quick-start-text-back': 'mcr.tab.quick',
				'after-hours-emergency': 'mcr3.tab',
				'voicemail-to-action': 'mcr4.tab',
				'daily-report-and-overdue': 'mcr5.tab',
				'agency-multi-client': 'mcr6.tab',
				'ai-after-hours-assistant': 'mcr7.tab',
			};
			await page.goto(`${base}/`);
			await page.waitForSelector('#red-ui-workspace-chart', { timeout: 60000 });
			// The picture is of the canvas: no sidebar, no first-run prompt.
			const prompt = page.getByRole('button', { name: /do not enable/i });
			if (await prompt.isVisible().catch(() => false)) await prompt.click();
			await page.addStyleTag({
				content:
					'#red-ui-sidebar, #red-ui-sidebar-separator { display: none !important } #red-ui-workspace { right: 0 ' +
					'!important }',
			});
			for (const [name, tab] of Object.entries(tabs)) {
				await page.evaluate(`RED.workspaces.show(${JSON.stringify(tab)})`);
				await page.waitForTimeout(500);
				const nodes = await page.locator('#red-ui-workspace-chart .red-ui-flow-node-group').count();
				expect({ name, nodes: nodes > 3 }).toEqual({ name, nodes: true });
				await page.locator('#red-ui-workspace').screenshot({ path: screenshotPath('flows', name) });
			}
		} finally {
			await close();
		}
	}, 120000);
});
