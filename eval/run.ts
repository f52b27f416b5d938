import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify, parseProfile, URGENCIES, type Classification, type Trade, type Urgency } from '../core';

/**
 * npm run eval: the rules against the labelled voicemails in eval/classification.jsonl.
 * Prints urgency and service-type accuracy per trade and language (dev and held-out apart), a confusion matrix and
 * every dev miss with its reasons. Held-out misses stay hidden unless asked for (--show-heldout), so tuning never
 * sees them.
 */
interface EvalLine {
	id: string;
	trade: Trade;
	language: 'en' | 'es' | 'fr';
	split: 'dev' | 'heldout';
	timing: 'business-hours' | 'after-hours' | 'weekend' | 'holiday';
	text: string;
	acceptable: Urgency[];
	serviceType: string | string[];
}

interface Outcome {
	line: EvalLine;
	k: Classification;
	urgencyOk: boolean;
	serviceOk: boolean;
}

type Tally = { n: number; urgency: number; service: number };

const args = new Set(process.argv.slice(2));
const file = join(__dirname, '..', '..', '..', 'eval', 'classification.jsonl');
const lines: EvalLine[] = readFileSync(file, 'utf8')
	.split('\n')
	.filter((l) => l.trim())
	.map((l) => JSON.parse(l) as EvalLine);

const profiles = new Map<string, ReturnType<typeof parseProfile>>();
function profileFor(trade: Trade, language: string) {
	// French callers in this set are Canadian, as a Quebec business would see them.
	const country = language === 'fr' ? 'CA' : 'US';
	const key = `${trade}:${country}`;
	let p = profiles.get(key);
	if (!p) {
		p = parseProfile({ businessId: `eval-${trade}`, name: 'Eval', timeZone: 'America/Chicago', trade, country });
		profiles.set(key, p);
	}
	return p;
}

const outcomes: Outcome[] = lines.map((line) => {
	const k = classify(profileFor(line.trade, line.language), {
		texts: [line.text],
		callCount: 1,
		timing: line.timing,
		reason: 'voicemail',
	});
	const services = Array.isArray(line.serviceType) ? line.serviceType : [line.serviceType];
	return { line, k, urgencyOk: line.acceptable.includes(k.urgency), serviceOk: services.includes(k.serviceType) };
});

function tally(list: Outcome[]): Tally {
	return {
		n: list.length,
		urgency: list.filter((o) => o.urgencyOk).length,
		service: list.filter((o) => o.serviceOk).length,
	};
}
const pct = (a: number, n: number) => (n ? `${((100 * a) / n).toFixed(1)}%` : '-');
const cell = (t: Tally) => `${pct(t.urgency, t.n).padStart(6)} ${pct(t.service, t.n).padStart(6)} (${t.n})`;

function table(title: string, key: (o: Outcome) => string) {
	const keys = [...new Set(outcomes.map(key))].sort();
	console.log(`\n${title.padEnd(12)} ${'dev: urgency service'.padEnd(26)} ${'held-out'.padEnd(26)} all`);
	for (const k of keys) {
		const group = outcomes.filter((o) => key(o) === k);
		const dev = tally(group.filter((o) => o.line.split === 'dev'));
		const held = tally(group.filter((o) => o.line.split === 'heldout'));
		console.log(`${k.padEnd(12)} ${cell(dev).padEnd(26)} ${cell(held).padEnd(26)} ${cell(tally(group))}`);
	}
}

const dev = tally(outcomes.filter((o) => o.line.split === 'dev'));
const held = tally(outcomes.filter((o) => o.line.split === 'heldout'));
const all = tally(outcomes);

if (args.has('--json')) {
	console.log(JSON.stringify({ dev, heldout: held, all }, null, 2));
} else {
	console.log(`classification eval: ${lines.length} lines (${file})`);
	console.log(
		`urgency accuracy: all ${pct(all.urgency, all.n)}, dev ${pct(dev.urgency, dev.n)}, held-out ` +
			`${pct(held.urgency, held.n)}`,
	);
	console.log(
		`service accuracy: all ${pct(all.service, all.n)}, dev ${pct(dev.service, dev.n)}, held-out ` +
			`${pct(held.service, held.n)}`,
	);
	table('trade', (o) => o.line.trade);
	table('language', (o) => o.line.language);

	// Rows: the acceptable urgency nearest to what the rules chose (the diagonal is a hit); columns: the rules' choice.
	console.log('\nconfusion (rows: expected, nearest acceptable; columns: classified)');
	console.log(`${''.padEnd(10)}${URGENCIES.map((u) => u.padStart(10)).join('')}`);
	const rank = (u: Urgency) => URGENCIES.indexOf(u);
	for (const row of URGENCIES) {
		const counts = URGENCIES.map(
			(col) =>
				outcomes.filter((o) => {
					const nearest = [...o.line.acceptable].sort(
						(a, b) => Math.abs(rank(a) - rank(o.k.urgency)) - Math.abs(rank(b) - rank(o.k.urgency)),
					)[0];
					return nearest === row && o.k.urgency === col;
				}).length,
		);
		console.log(`${row.padEnd(10)}${counts.map((c) => String(c).padStart(10)).join('')}`);
	}

	const shown = outcomes.filter(
		(o) => (!o.urgencyOk || !o.serviceOk) && (o.line.split === 'dev' || args.has('--show-heldout')),
	);
	const hidden = outcomes.filter((o) => (!o.urgencyOk || !o.serviceOk) && o.line.split === 'heldout').length;
	console.log(`\nmisses (${shown.length} shown${args.has('--show-heldout') ? '' : `, ${hidden} held-out hidden`}):`);
	for (const o of shown) {
		const what = [
			o.urgencyOk ? '' : `urgency ${o.k.urgency}, want ${o.line.acceptable.join('/')}`,
			o.serviceOk ? '' : `service ${o.k.serviceType}, want ${[o.line.serviceType].flat().join('/')}`,
		]
			.filter(Boolean)
			.join('; ');
		console.log(`- ${o.line.id} [${o.line.split}] ${what}\n  "${o.line.text}"`);
		for (const r of o.k.reasons) console.log(`    ${r}`);
	}
}
