import type { Profile } from './profile/schema';

/**
 * Hazards with a step the caller can take before anyone arrives. When a case is an emergency and the caller's words
 * name one of these, the caller gets one follow-up text with the step and the business's emergency line. The steps
 * follow what utilities and fire services tell the public (leave at once for gas; fresh air and 911 for carbon
 * monoxide; keep away from sparking equipment; stop using water for a sewage backup; shut the main valve for a burst
 * pipe); a business rewords them in its profile (`safetySteps`).
 */
export const HAZARDS = ['gas', 'carbon-monoxide', 'electrical', 'sewage', 'water'] as const;
export type Hazard = (typeof HAZARDS)[number];

/** The sentence a safety step ends with when the business gave an emergency line. */
const EMERGENCY_LINE = '{{#emergencyLine}} Our emergency line: {{emergencyLine}}{{/emergencyLine}}';

export const DEFAULT_SAFETY_STEPS: Record<Hazard, string> = {
	gas:
		"{{business.name}}: if you smell gas, leave now, don't touch switches or flames, and call 911 or your gas " +
		'company from outside.' +
		EMERGENCY_LINE,
	'carbon-monoxide':
		'{{business.name}}: if a CO alarm sounds or anyone feels dizzy or sick, get everyone into fresh air now and ' +
		'call 911.' +
		EMERGENCY_LINE,
	electrical:
		'{{business.name}}: keep away from anything sparking, smoking or smelling of burning; switch off the main ' +
		'breaker only if safe. Smoke or fire: call 911.',
	sewage:
		'{{business.name}}: with sewage backing up, stop running water and flushing, and keep people and pets away ' +
		'from it.' +
		EMERGENCY_LINE,
	water:
		'{{business.name}}: shut off your main water valve if you can, and keep away from outlets and appliances ' +
		'near the water.' +
		EMERGENCY_LINE,
};

// A hazard word preceded closely by a negation ("no smoke", "not sparking") names no hazard.
const NEGATED = /\b(no|not|isn'?t|wasn'?t|don'?t|doesn'?t|didn'?t|can'?t|without|never|nothing)\s+(\w+\s+){0,2}$/;

const PATTERNS: Record<Hazard, RegExp> = {
	gas: new RegExp(
		String.raw`\b(smell(s|ed|ing)?\s+(of\s+|like\s+)?(natural\s+)?gas|gas\s+(smell|leak|odou?r)s?|` +
			String.raw`leaking\s+gas|rotten\s+eggs?)\b`,
	),
	'carbon-monoxide': /\b(carbon\s+monoxide|monoxide|co\s+(alarm|detector)s?)\b/,
	electrical: new RegExp(
		String.raw`\b(spark(s|ed|ing)?|smok(e|ing)\s+(from|out\s+of|coming)|burning\s+smell|` +
			String.raw`smell(s|ed|ing)?\s+(like\s+)?burning|melt(ed|ing)\s+(outlet|wire|plug|panel)s?|` +
			String.raw`outlet\s+(is\s+)?on\s+fire)\b`,
	),
	sewage: /\b(sewage|sewer\s+(backup|back(ing)?\s+up)|raw\s+sewage|toilets?\s+(are\s+|is\s+)?backing\s+up)\b/,
	water:
		/\b(burst\s+pipes?|pipes?\s+(burst|bursted|exploded)|flood(ed|ing)?|water\s+(is\s+)?(pouring|gushing|spraying))\b/,
};

/** Which hazards the caller's words name, most dangerous first (gas and carbon monoxide before water). */
export function hazardsIn(texts: string[]): Hazard[] {
	const text = texts.join(' \n ').toLowerCase();
	return HAZARDS.filter((h) => {
		const re = new RegExp(PATTERNS[h].source, 'g');
		for (const m of text.matchAll(re)) if (!NEGATED.test(text.slice(Math.max(0, m.index - 40), m.index))) return true;
		return false;
	});
}

/** The step's template for a hazard: the profile's own wording, or the default; empty means turned off. */
export function safetyStepTemplate(profile: Profile, hazard: Hazard): string {
	return profile.safetySteps[hazard] ?? DEFAULT_SAFETY_STEPS[hazard];
}
