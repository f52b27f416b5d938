/**
 * How many generated cases a property or fuzz test plays. CI (env CI set) plays the full count each test names; a
 * developer's run plays a tenth of it (at least 100), so the unit step stays quick on a laptop while CI keeps the
 * depth. MCR_FULL_RUNS=1 plays the full counts locally.
 */
export function runs(full: number): number {
	if (process.env.CI || process.env.MCR_FULL_RUNS) return full;
	return Math.max(100, Math.round(full / 10));
}

/** A count for a test's title: 10000 -> "10,000". */
export const count = (n: number): string => n.toLocaleString('en-US');
