import type { MissedReason, Timing, Urgency } from '../model';
import type { Profile } from '../profile/schema';
import { LOW_WORDS, PRESETS, SAFETY_WORDS } from './presets';

export interface ClassifyInput {
	/** Voicemail transcript and SMS replies: what the caller said, in their words. */
	texts: string[];
	/** Missed calls from this caller in the open case, this one included. */
	callCount: number;
	/** Minutes between the first and the latest call of the open case. */
	minutesBetweenCalls?: number;
	timing: Timing;
	reason: MissedReason;
	voicemailSec?: number;
	knownCustomer?: boolean;
}

export interface Classification {
	urgency: Urgency;
	serviceType: string;
	timing: Timing;
	score: number;
	reasons: string[];
}

const THRESHOLDS: [Urgency, number][] = [
	['emergency', 80],
	['high', 50],
	['normal', 20],
	['low', -Infinity],
];

const matcherCache = new Map<string, RegExp>();
function phraseRegex(phrase: string): RegExp {
	let re = matcherCache.get(phrase);
	if (!re) {
		const escaped = phrase
			.toLowerCase()
			.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
			.replace(/\s+/g, '\\s+');
		re = new RegExp(`(?:^|[^a-z0-9])${escaped}(?:$|[^a-z0-9])`);
		if (matcherCache.size < 5000) matcherCache.set(phrase, re);
	}
	return re;
}

function findWords(text: string, words: readonly string[]): string[] {
	if (!text) return [];
	const found = new Set<string>();
	for (const w of words) if (w && !found.has(w.toLowerCase()) && phraseRegex(w).test(text)) found.add(w.toLowerCase());
	return [...found];
}

function quote(words: string[]): string {
	return words.map((w) => `"${w}"`).join(', ');
}

/**
 * Explainable urgency: every point of the score comes with a reason a dispatcher can read.
 * A plain missed call in business hours is normal; words, repeats and timing move it up or down.
 */
export function classify(profile: Profile, input: ClassifyInput): Classification {
	const preset = PRESETS[profile.trade];
	const text = input.texts.join(' \n ').toLowerCase().slice(0, 10000);
	const reasons: string[] = [];
	let score = 30;
	reasons.push('missed call: normal until something says otherwise (base 30)');

	const safety = findWords(text, [...SAFETY_WORDS, ...preset.emergencyWords, ...profile.classification.emergencyWords]);
	if (safety.length) {
		score += 60;
		reasons.push(`caller mentioned ${quote(safety)}: a safety or emergency word (+60)`);
	}
	const high = findWords(text, [...preset.highWords, ...profile.classification.highWords]).filter(
		(w) => !safety.includes(w),
	);
	if (high.length) {
		score += 25;
		reasons.push(`caller mentioned ${quote(high)}: needs attention today (+25)`);
	}
	const low = findWords(text, [...LOW_WORDS, ...preset.lowWords, ...profile.classification.lowWords]);
	if (low.length && !safety.length) {
		score -= 20;
		reasons.push(`caller mentioned ${quote(low)}: no rush (-20)`);
	}

	if (input.callCount >= 2) {
		const within =
			input.minutesBetweenCalls !== undefined
				? ` within ${Math.max(1, Math.round(input.minutesBetweenCalls))} min`
				: '';
		const bump = input.callCount >= 3 ? 30 : 20;
		score += bump;
		reasons.push(`called ${input.callCount} times${within}: repeat calls mean it matters (+${bump})`);
	}

	if (input.timing !== 'business-hours') {
		if (preset.afterHoursLeansUrgent) {
			score += 15;
			reasons.push(`${input.timing} call to a ${preset.label} business: people call then when it cannot wait (+15)`);
		} else {
			reasons.push(`${input.timing} call: answered when the business opens`);
		}
	}

	if (input.reason === 'short-abandoned') {
		score -= 25;
		reasons.push('hung up within seconds: often a pocket dial or robocall (-25)');
	}
	if (input.voicemailSec !== undefined && input.voicemailSec >= 20) {
		score += 10;
		reasons.push(`left a ${Math.round(input.voicemailSec)} s voicemail: the caller invested time (+10)`);
	}
	if (input.knownCustomer) {
		score += 10;
		reasons.push('known customer (+10)');
	}

	const urgency = THRESHOLDS.find(([, min]) => score >= min)![0];
	reasons.push(`score ${score}: ${urgency}`);

	let serviceType = preset.services[0].type;
	let best = 0;
	for (const s of preset.services) {
		const hits = findWords(text, s.words).length;
		if (hits > best) {
			best = hits;
			serviceType = s.type;
		}
	}
	reasons.push(
		best
			? `service type ${serviceType}: matched ${best} word${best > 1 ? 's' : ''}`
			: `service type ${serviceType}: the ${preset.label} default, no words matched`,
	);

	return { urgency, serviceType, timing: input.timing, score, reasons };
}
