// A separate OS process sharing one PostgreSQL store with its siblings, as n8n queue-mode workers or
// several Node-RED instances would. It delivers the calls it is given (duplicates included), in its own
// order, then sweeps overdue cases, and prints what it saw as one JSON line.
const { openStore, cases } = require('../../dist/core');

async function main() {
	const { url, schema, events, seed, overdueNow } = JSON.parse(process.argv[2]);
	const store = await openStore({ type: 'postgres', connectionString: url, schema, max: 4 });
	const order = events
		.map((e, i) => ({ e, k: Math.sin(seed * 1000 + i) }))
		.sort((a, b) => a.k - b.k)
		.map((x) => x.e);
	const at = new Date().toISOString();
	let created = 0;
	let duplicates = 0;
	await Promise.all(
		[0, 1, 2].map(async (lane) => {
			for (let i = lane; i < order.length; i += 3) {
				const ev = order[i];
				const r = await store.openOrJoinCase(ev, (existing) =>
					existing ? cases.foldCall(existing, ev, at) : cases.newCase(ev, at),
				);
				if (r.created) created++;
				if (r.duplicate) duplicates++;
			}
		}),
	);
	const turns = [];
	for (let i = 0; i < 20; i++) turns.push(await store.nextRoundRobin('mp', 'pool'));
	process.stdout.write(JSON.stringify({ created, duplicates, turns }) + '\n');
	// Wait for the parent to make some cases overdue, then claim concurrently with the siblings.
	await new Promise((r) => process.stdin.once('data', r));
	// An open stdin keeps the process alive: release it once the signal came.
	process.stdin.destroy();
	const claimed = (
		await store.claimOverdue(overdueNow, new Date(Date.parse(overdueNow) + 60000).toISOString(), { limit: 1000 })
	).map((c) => c.caseId);
	process.stdout.write(JSON.stringify({ claimed }) + '\n');
	await store.close();
}

main().catch((e) => {
	process.stderr.write(String(e && e.stack ? e.stack : e));
	process.exit(1);
});
