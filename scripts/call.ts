/**
 * Places a missed call through the local Twilio-compatible server against the running demo, then prints
 * what the caller got, how the call was classified and why, who owns it, and the case.
 *   npm run call -- --from +13125550123 --say "water everywhere in the basement" [--answered] [--twice]
 * or sends a text as the caller (a reply to the text-back; with `npm start -- --assistant`, the assistant answers it):
 *   npm run call -- --from +13125550123 --text "my kitchen sink is leaking"
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openStore, type Case } from '../core';

// npm start writes where things are; the core-only demo (npm run start:core) uses the defaults.
const DEMO_FILE = join(resolve(__dirname, '..', '..'), '.demo', 'demo.json');
const demo =
	existsSync(DEMO_FILE) && !process.env.MCR_CORE_DEMO
		? (JSON.parse(readFileSync(DEMO_FILE, 'utf8')) as {
				store: string;
				sim: string;
				webhook: string;
				businessId: string;
			})
		: undefined;
const SIM = process.env.MCR_SIM_URL ?? demo?.sim ?? `http://127.0.0.1:${process.env.MCR_SIM_PORT ?? 3999}`;
const HOOK = process.env.MCR_DEMO_URL ?? `http://127.0.0.1:${process.env.MCR_DEMO_PORT ?? 3100}`;

function arg(name: string, fallback?: string): string | undefined {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 ? process.argv[i + 1] : fallback;
}

interface SimText {
	sid: string;
	to: string;
	body: string;
}

/** Only what this call caused: the case's own acknowledgment, follow-ups and owner alerts, found by message id. */
function messagesOf(c: Case, all: SimText[]): SimText[] {
	const sids = new Set(
		[c.ack.messageSid, ...c.followUps.map((f) => f.sid), ...c.alerts.map((a) => a.sid)].filter(Boolean) as string[],
	);
	return all.filter((m) => sids.has(m.sid));
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function simMessages(): Promise<SimText[]> {
	return (await (await fetch(`${SIM}/__sim/messages`)).json()) as SimText[];
}

/** A text from the caller to the business, then every text it caused (to the caller and to the owner). */
async function textAsCaller(from: string, to: string, body: string, webhookUrl: string): Promise<void> {
	const known = new Set((await simMessages().catch(() => [])).map((m) => m.sid));
	const r = await fetch(`${SIM}/__sim/sms`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ webhookUrl, from, to, body }),
	}).catch((e) => {
		throw new Error(`The demo is not running at ${SIM} (${(e as Error).message}). Start it with: npm start`);
	});
	if (!r.ok) throw new Error(`The local Twilio-compatible server answered ${r.status}: ${await r.text()}`);
	console.log(`Text from ${from} to ${to}: "${body}"`);
	// The assistant's answer follows the webhook (a model may take up to its timeout, 8 s by default).
	let fresh: SimText[] = [];
	for (let i = 0; i < 100 && !fresh.some((m) => m.to.endsWith(from)); i++) {
		await sleep(150);
		fresh = (await simMessages()).filter((m) => !known.has(m.sid));
	}
	await sleep(500);
	fresh = (await simMessages()).filter((m) => !known.has(m.sid));
	const toCaller = fresh.filter((m) => m.to.endsWith(from));
	console.log(`\nText back to the caller:`);
	console.log(toCaller.length ? toCaller.map((m) => `  "${m.body}"`).join('\n') : '  none');
	for (const m of fresh.filter((x) => !x.to.endsWith(from))) console.log(`  text to ${m.to}: "${m.body}"`);
	if (!demo) return;
	const store = await openStore({ type: 'sqlite', file: demo.store });
	try {
		const [c] = await store.listCases({ businessId: demo.businessId, caller: from, limit: 1 });
		if (c?.intake && Object.keys(c.intake).length) console.log(`\nIntake answers on case ${c.caseId}:`, c.intake);
		if (c?.assistantHandoff) console.log(`Handed to the owner: ${c.assistantHandoff.reason}`);
	} finally {
		await store.close();
	}
}

async function main() {
	const from = arg('from', '+13125550123')!;
	const to = arg('to', '+13125550199')!;
	const say = arg('say');
	const text = arg('text');
	if (text !== undefined) return textAsCaller(from, to, text, arg('webhook', demo?.webhook ?? `${HOOK}/twilio/voice`)!);
	const webhookUrl = arg('webhook', demo?.webhook ?? `${HOOK}/twilio/voice`)!;
	const r = await fetch(`${SIM}/__sim/place-call`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			webhookUrl,
			from,
			to,
			say,
			dialStatus: process.argv.includes('--answered') ? 'completed' : 'no-answer',
			deliverTwice: process.argv.includes('--twice'),
		}),
	}).catch((e) => {
		throw new Error(`The demo is not running at ${SIM} (${(e as Error).message}). Start it with: npm start`);
	});
	if (!r.ok) throw new Error(`The local Twilio-compatible server answered ${r.status}: ${await r.text()}`);
	const played = (await r.json()) as { callSid: string; exchanges: { url: string; status: number; body: string }[] };
	const answered = process.argv.includes('--answered');
	console.log(
		`Call ${played.callSid} from ${from} to ${to}: ` +
			`${answered ? 'the business picked up.' : 'the forwarded phone did not answer.'}`,
	);
	for (const x of played.exchanges)
		console.log(
			`  -> ${new URL(x.url).pathname}${new URL(x.url).search}  ${x.status}  ${x.body.replace(/\s+/g, ' ').slice(0, 140)}`,
		);
	if (answered) {
		console.log('\nAnswered calls are not missed: no case is opened and nobody is texted.');
		return;
	}
	let data: { case: Case; messages: SimText[] } | undefined;
	const store = demo ? await openStore({ type: 'sqlite', file: demo.store }) : undefined;
	try {
		for (let i = 0; i < 100; i++) {
			if (store) {
				const [c] = await store.listCases({ businessId: demo!.businessId, caller: from, limit: 1 });
				const messages = (await (await fetch(`${SIM}/__sim/messages`)).json()) as SimText[];
				if (c) data = { case: c, messages: messagesOf(c, messages) };
			} else {
				const c = await fetch(`${HOOK}/api/case?caller=${encodeURIComponent(from)}`);
				if (c.ok) {
					const got = (await c.json()) as { case: Case; messages: SimText[] };
					data = { case: got.case, messages: messagesOf(got.case, got.messages) };
				}
			}
			// With a voicemail, wait for the classification and routing that follow its transcript.
			const h = data?.case.history ?? [];
			const heard = h.findIndex((e) => e.move === 'transcript');
			const settled = !say || (heard >= 0 && h.slice(heard).some((e) => e.move === 'classified'));
			if (data && (data.case.owner || data.case.nobodyAvailable) && settled) break;
			await sleep(150);
		}
	} finally {
		await store?.close();
	}
	if (!data) throw new Error('No case was opened for this call: was it answered (--answered)?');
	const c = data.case;
	console.log(`\nText to the caller (${from}):`);
	const toCaller = data.messages.filter((m) => m.to.endsWith(from));
	console.log(
		toCaller.length
			? toCaller.map((m) => `  "${m.body}"`).join('\n')
			: `  none: ${c.ack.status}${c.ack.reason ? ` (${c.ack.reason})` : ''}`,
	);
	console.log(`\nClassification: ${c.urgency ?? '?'} / ${c.serviceType ?? '?'}`);
	for (const reason of c.reasons) console.log(`  - ${reason}`);
	console.log(`\nOwner: ${c.owner?.name ?? 'nobody available'}${c.dueAt ? `, call back by ${c.dueAt}` : ''}`);
	for (const alert of data.messages.filter((m) => !m.to.endsWith(from)))
		console.log(`  text to ${alert.to}: "${alert.body}"`);
	if (c.owner && !c.alerts.some((a) => a.kind === 'new-case') && c.alertHoldUntil) {
		const why = c.history.filter((h) => h.move === 'owner-alert-held').pop()?.note ?? 'held';
		console.log(`  not texted yet: ${why} (the overdue node sends it then)`);
	}
	console.log(`\nCase ${c.caseId}: ${c.state}`);
	console.log(JSON.stringify({ ...c, history: undefined }, null, 2));
}

main().catch((e) => {
	console.error(e instanceof Error ? e.message : e);
	process.exit(1);
});
