import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatWeek, simulateWeek } from '../sim/week';

/**
 * npm run simulate [-- script.json]: plays a scripted business week through the real core on a virtual clock and
 * prints what each caller and each owner received (docs/simulate.md). Default: the shipped plumber's week.
 */
async function main(): Promise<void> {
	const file = resolve(process.argv[2] ?? resolve(__dirname, '../../sim/weeks/plumber-christmas-week.json'));
	const script = JSON.parse(readFileSync(file, 'utf8')) as unknown;
	const result = await simulateWeek(script);
	console.log(formatWeek(result));
}

main().catch((e: Error) => {
	console.error(`simulate: ${e.message}`);
	process.exit(1);
});
