import { createServer, type IncomingMessage } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
	answerWebhook,
	openStore,
	parseProfile,
	RecoveryLoop,
	TwilioProvider,
	computeMetrics,
	scorecard,
	type TriggerConfig,
} from '../core';
import { TwilioSim } from '../sim/twilio-server';
import { DEMO_ACCOUNT, DEMO_PROFILE } from '../sim/demo-profile';

/**
 * The main job: the local Twilio-compatible server, the loop on an embedded SQLite store, and a webhook
 * endpoint that answers like the Missed Call Trigger. `npm run call` places a missed call against it.
 */
const SIM_PORT = Number(process.env.MCR_SIM_PORT ?? 3999);
const HOOK_PORT = Number(process.env.MCR_DEMO_PORT ?? 3100);

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((res, rej) => {
		let s = '';
		req.on('data', (c) => {
			s += c;
			if (s.length > 1 << 20) req.destroy();
		});
		req.on('end', () => res(s));
		req.on('error', rej);
	});
}

async function main() {
	const dir = resolve(process.env.MCR_DEMO_DIR ?? join(process.cwd(), '.demo'));
	mkdirSync(dir, { recursive: true });
	// npm run call reads .demo/demo.json to find a running Node-RED demo; this one is the core-only demo.
	rmSync(join(dir, 'demo.json'), { force: true });
	const profile = parseProfile(DEMO_PROFILE);
	const sim = new TwilioSim(DEMO_ACCOUNT);
	await sim.start(SIM_PORT);
	sim.addNumber('+13125550199');
	const store = await openStore({ type: 'sqlite', file: join(dir, 'cases.db') });
	const provider = new TwilioProvider({ ...DEMO_ACCOUNT, apiBaseUrl: sim.url });
	const loop = new RecoveryLoop({
		store,
		provider,
		profileFor: (id) => (id === profile.businessId ? profile : undefined),
		log: (lvl, m) => console.log(`[${lvl}] ${m}`),
	});
	const cfg: TriggerConfig = {
		provider: 'twilio',
		mode: 'forward',
		voicemail: true,
		validateSignature: true,
		secret: DEMO_ACCOUNT.authToken,
		normalize: { businessId: profile.businessId, minCallSeconds: 8 },
		replyToKeywords: true,
	};
	const hookBase = `http://127.0.0.1:${HOOK_PORT}`;
	const server = createServer(async (req, res): Promise<void> => {
		try {
			const url = new URL(req.url ?? '/', hookBase);
			if (req.method === 'POST' && url.pathname === '/twilio/voice') {
				const raw = await readBody(req);
				const answer = await answerWebhook(
					{
						url: url.toString(),
						headers: req.headers,
						body: Object.fromEntries(new URLSearchParams(raw)),
						rawBody: raw,
					},
					cfg,
					loop,
				);
				res.writeHead(answer.status, { 'content-type': answer.contentType });
				res.end(answer.body);
				// The same stages, in the same order, as the quick-start template's nodes (core's PIPELINE).
				if (answer.emit) await loop.handleEvent(answer.emit);
				return;
			}
			if (req.method === 'GET' && url.pathname === '/api/case') {
				const caller = url.searchParams.get('caller') ?? '';
				const [c] = await store.listCases({ businessId: profile.businessId, caller, limit: 1 });
				res.writeHead(c ? 200 : 404, { 'content-type': 'application/json' });
				res.end(
					JSON.stringify(
						c
							? { case: c, messages: sim.messages.filter((m) => m.to === caller || m.to === c.owner?.phone) }
							: { error: 'no case yet' },
					),
				);
				return;
			}
			if (req.method === 'GET' && url.pathname === '/api/scorecard') {
				const all = await store.listCases({ businessId: profile.businessId });
				const m = computeMetrics(all, { now: new Date().toISOString() });
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ metrics: m, scorecard: scorecard(all, m) }));
				return;
			}
			res.writeHead(404).end();
		} catch (err) {
			console.error(err);
			res.writeHead(500).end();
		}
	});
	await new Promise<void>((r) => server.listen(HOOK_PORT, '127.0.0.1', r));
	// What the overdue node does in the templates: held owner alerts, deferred texts, escalation, every 15 s here.
	const ticker = setInterval(() => {
		loop.tick().catch((e: Error) => console.error(`tick: ${e.message}`));
	}, 15_000);
	console.log(`
Missed Call Recovery demo is running.

  Local Twilio-compatible server:  ${sim.url}   (messages sent: ${sim.url}/__sim/messages)
  Missed Call Trigger webhook:     ${hookBase}/twilio/voice   (the Voice URL of ${profile.numbers[0]})
  Scorecard (JSON):                ${hookBase}/api/scorecard
  Store:                           ${join(dir, 'cases.db')}

Place a missed call in another terminal:

  npm run call -- --from +13125550123 --say "water everywhere in the basement"

Press Ctrl-C to stop.
`);
	const stop = async () => {
		clearInterval(ticker);
		server.close();
		await sim.stop();
		await store.close();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((e) => {
	console.error(e instanceof Error ? e.message : e);
	process.exit(1);
});
