// A separate OS process acknowledging missed calls against a PostgreSQL store shared with its siblings, as n8n
// queue-mode workers would. It runs the TypeScript sources as they are (ts-register), opens its own cases, says
// "ready", waits for "go" so the siblings send at the same moment, acknowledges every case at once, and prints
// how many texts it sent as one JSON line.
require('./ts-register');
const { openStore, parseProfile, RecoveryLoop } = require('../../core');

async function main() {
	const { url, schema, businessId, callers, hourlyCap, at } = JSON.parse(process.argv[2]);
	const store = await openStore({ type: 'postgres', connectionString: url, schema, max: 10 });
	const profile = parseProfile({
		businessId,
		name: 'Two Workers Plumbing',
		timeZone: 'America/Chicago',
		numbers: ['+13125550199'],
		roster: [{ id: 'ana', name: 'Ana', phone: '+13125550111' }],
		acknowledgment: { checkLineType: false, hourlyCap, dailyCap: 100000, perCallerDailyCap: 5 },
	});
	let sent = 0;
	const provider = {
		sendMessage: async () => {
			// A provider that takes a moment, as Twilio does: the other worker's sends are in flight meanwhile.
			await new Promise((r) => setTimeout(r, 5));
			sent++;
			return { sid: `SM${process.pid}x${sent}`, status: 'queued' };
		},
		lookupLineType: async () => 'mobile',
		placeCall: async () => ({ sid: 'CA1' }),
	};
	const clock = new Date(at);
	const loop = new RecoveryLoop({ store, provider, profileFor: () => profile, now: () => clock });
	const ids = [];
	for (const from of callers) {
		const d = await loop.detect({
			type: 'missed-call',
			eventId: `twilio:${from}`,
			provider: 'twilio',
			callSid: `CA${from.slice(1)}`,
			from,
			to: '+13125550199',
			businessId,
			reason: 'no-answer',
			startedAt: at,
			durationSec: 0,
			repeat: 0,
			channel: 'sms',
		});
		ids.push(d.case.caseId);
	}
	process.stdout.write(JSON.stringify({ ready: ids.length }) + '\n');
	await new Promise((r) => process.stdin.once('data', r));
	process.stdin.destroy();
	const outcomes = await Promise.all(ids.map((id) => loop.acknowledge(id)));
	const skipped = outcomes.filter((o) => o.plan.action === 'skip' && o.plan.reason === 'cap-reached').length;
	process.stdout.write(JSON.stringify({ sent, skipped }) + '\n');
	await store.close();
}

main().catch((e) => {
	process.stderr.write(String(e && e.stack ? e.stack : e));
	process.exit(1);
});
