/**
 * Places a missed call through the local Twilio-compatible server against the running demo, then prints
 * what the caller got, how the call was classified and why, who owns it, and the case.
 *   npm run call -- --from +13125550123 --say "water everywhere in the basement" [--answered] [--twice]
 */
const SIM = process.env.MCR_SIM_URL ?? `http://127.0.0.1:${process.env.MCR_SIM_PORT ?? 3999}`;
const HOOK = process.env.MCR_DEMO_URL ?? `http://127.0.0.1:${process.env.MCR_DEMO_PORT ?? 3100}`;

function arg(name: string, fallback?: string): string | undefined {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main() {
	const from = arg('from', '+13125550123')!;
	const to = arg('to', '+13125550199')!;
	const say = arg('say');
	const webhookUrl = arg('webhook', `${HOOK}/twilio/voice`)!;
	const r = await fetch(`${SIM}/__sim/place-call`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ webhookUrl, from, to, say, dialStatus: process.argv.includes('--answered') ? 'completed' : 'no-answer', deliverTwice: process.argv.includes('--twice') }),
	}).catch((e) => {
		throw new Error(`The demo is not running at ${SIM} (${(e as Error).message}). Start it with: npm start`);
	});
	if (!r.ok) throw new Error(`The local Twilio-compatible server answered ${r.status}: ${await r.text()}`);
	const played = (await r.json()) as { callSid: string; exchanges: { url: string; status: number; body: string }[] };
	console.log(`Call ${played.callSid} from ${from} to ${to}: the forwarded phone did not answer.`);
	for (const x of played.exchanges) console.log(`  -> ${new URL(x.url).pathname}${new URL(x.url).search}  ${x.status}  ${x.body.replace(/\s+/g, ' ').slice(0, 140)}`);
	let data: { case: Record<string, unknown> & { ack: { body?: string; status: string; reason?: string }; owner?: { name: string }; reasons: string[]; urgency?: string; serviceType?: string; dueAt?: string; caseId: string; state: string }; messages: { to: string; body: string }[] } | undefined;
	for (let i = 0; i < 40; i++) {
		const c = await fetch(`${HOOK}/api/case?caller=${encodeURIComponent(from)}`);
		if (c.ok) {
			data = (await c.json()) as typeof data;
			if (data!.case.owner || data!.case.state !== 'detected') break;
		}
		await new Promise((res) => setTimeout(res, 100));
	}
	if (!data) throw new Error('No case was opened for this call: was it answered (--answered)?');
	const c = data.case;
	console.log(`\nText to the caller (${from}):`);
	const toCaller = data.messages.filter((m) => m.to.endsWith(from));
	console.log(toCaller.length ? toCaller.map((m) => `  "${m.body}"`).join('\n') : `  none: ${c.ack.status}${c.ack.reason ? ` (${c.ack.reason})` : ''}`);
	console.log(`\nClassification: ${c.urgency ?? '?'} / ${c.serviceType ?? '?'}`);
	for (const reason of c.reasons) console.log(`  - ${reason}`);
	console.log(`\nOwner: ${c.owner?.name ?? 'nobody available'}${c.dueAt ? `, call back by ${c.dueAt}` : ''}`);
	const alert = data.messages.find((m) => !m.to.endsWith(from));
	if (alert) console.log(`  alert: "${alert.body}"`);
	console.log(`\nCase ${c.caseId}: ${c.state}`);
	console.log(JSON.stringify({ ...c, history: undefined }, null, 2));
}

main().catch((e) => {
	console.error(e instanceof Error ? e.message : e);
	process.exit(1);
});
