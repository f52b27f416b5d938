import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../core';
import { MissedCallTrigger } from '../../nodes/MissedCallTrigger/MissedCallTrigger.node';
import { readinessProbe } from '../../sim/local-runtime';
import { E2E_PROFILE } from '../e2e/e2e-profile';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';
import { fakeContext } from './n8n-context';

const WEBHOOK = 'https://n8n.example.com/webhook/abc/missed-call';

/**
 * `npm run start:n8n` waits for its workflow with readinessProbe(). The probe must find the trigger live without
 * running the workflow or showing on the report as "1 forged or unsigned webhook request".
 */
describe("the n8n demo's readiness probe", () => {
	let dir: string;
	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-n8n-probe-'));
	});
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	async function probe(authToken: string) {
		const sqliteFile = join(dir, `${authToken.length}.db`);
		const init = readinessProbe(WEBHOOK, authToken);
		const { ctx, response } = fakeContext({
			params: { provider: 'twilio', mode: 'forward', voicemail: true, validateSignature: true, options: {} },
			credentials: {
				missedCallRecoveryWorkspaceApi: {
					storeType: 'sqlite',
					sqliteFile,
					businesses: JSON.stringify(E2E_PROFILE),
				},
				missedCallRecoveryTwilioApi: {
					accountSid: ACCOUNT_SID,
					authType: 'authToken',
					authToken: AUTH_TOKEN,
					apiBaseUrl: 'http://127.0.0.1:9',
				},
			},
			webhookUrl: WEBHOOK,
			request: { body: {}, headers: init.headers as Record<string, string>, originalUrl: '/webhook/abc/missed-call' },
		});
		const out = await new MissedCallTrigger().webhook.call(ctx);
		const store = await openStore({ type: 'sqlite', file: sqliteFile });
		try {
			return { out, status: response.statusCode, refused: await store.refusals('2000-01-01', '2999-12-31') };
		} finally {
			await store.close();
		}
	}

	test('gets a 400 from a live trigger, runs nothing and is not counted as a refused request', async () => {
		const { out, status, refused } = await probe(AUTH_TOKEN);
		expect(status).toBe(400);
		expect(out.workflowData).toBeUndefined();
		expect(refused).toEqual({});
	});

	test('signed with the wrong token, it is refused and counted like any forgery', async () => {
		const { status, refused } = await probe(`${AUTH_TOKEN}-wrong`);
		expect(status).toBe(403);
		expect(refused).toEqual({ twilio: 1 });
	});
});
