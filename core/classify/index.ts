import { RecoveryInputError } from '../errors';
import { TIMINGS, type MissedReason, type Timing, type Urgency } from '../model';
import type { Profile } from '../profile/schema';
import { timingOf } from '../profile/timing';
import { compileSet, findMatches, type Match, type PatternSet } from './match';
import {
	BOOKED_WORDS,
	CALM_WORDS,
	MINOR_WORDS,
	EXPOSURE,
	LOW_WORDS,
	LOW_WORDS_ES,
	LOW_WORDS_FR,
	MACROS,
	PRESETS,
	SAFETY_WORDS,
	SAFETY_WORDS_ES,
	SAFETY_WORDS_FR,
	VULNERABLE,
	WEATHER,
	type Trade,
} from './presets';
import { readUnits, type Readings } from './units';
import { detectLanguage, LANGUAGE_NAMES, tokenize, type Language } from './text';

export { LANGUAGES, type Language } from './text';

export interface ClassifyInput {
	/** Voicemail transcript and SMS replies: what the caller said, in their words. */
	texts: string[];
	/** Missed calls from this caller in the open case, this one included. */
	callCount: number;
	/** Minutes between the first and the latest call of the open case. */
	minutesBetweenCalls?: number;
	/** The call's timing; when missing it is computed from `at` (or the current time) and the profile's hours. */
	timing?: Timing;
	/** When the call came (ISO time), used only to compute a missing `timing`. */
	at?: string;
	reason: MissedReason;
	voicemailSec?: number;
	knownCustomer?: boolean;
}

/** A kind of evidence the rules found, with the caller's words behind it. */
export interface Signal {
	kind: 'safety' | 'high' | 'low' | 'vulnerable' | 'temperature' | 'weather' | 'water' | 'outage' | 'negated' | 'minor';
	said: string[];
	points: number;
}

export interface Classification {
	urgency: Urgency;
	serviceType: string;
	timing: Timing;
	score: number;
	reasons: string[];
	/** The language of most of the caller's words (English when there were none). Optional for older callers. */
	language?: Language;
	/** The evidence behind the score, by kind; classify() always fills it. */
	signals?: Signal[];
}

const THRESHOLDS: [Urgency, number][] = [
	['emergency', 80],
	['high', 50],
	['normal', 20],
	['low', -Infinity],
];
const EMERGENCY_FLOOR = 80;

const SHARED_SAFETY: Record<Language, string[]> = { en: SAFETY_WORDS, es: SAFETY_WORDS_ES, fr: SAFETY_WORDS_FR };
const SHARED_LOW: Record<Language, string[]> = { en: LOW_WORDS, es: LOW_WORDS_ES, fr: LOW_WORDS_FR };

type Kind =
	| 'safety'
	| 'high'
	| 'low'
	| 'calm'
	| 'booked'
	| 'minor'
	| 'vulnerable'
	| 'heatLoss'
	| 'coolLoss'
	| 'powerOut'
	| 'lockedOut'
	| 'freezing'
	| 'heatWave';
const KINDS: Kind[] = [
	'safety',
	'high',
	'low',
	'calm',
	'booked',
	'minor',
	'vulnerable',
	'heatLoss',
	'coolLoss',
	'powerOut',
	'lockedOut',
	'freezing',
	'heatWave',
];

/** A trade's patterns in one language, all in one set tagged by kind (one pass over the message finds them all). */
const compiledCache = new Map<string, PatternSet>();
function compiledFor(trade: Trade, language: Language): PatternSet {
	const key = `${trade}:${language}`;
	let c = compiledCache.get(key);
	if (c) return c;
	const preset = PRESETS[trade];
	const words = language === 'en' ? preset : preset[language];
	const lists: Record<Kind, readonly string[]> = {
		safety: [...SHARED_SAFETY[language], ...words.emergencyWords],
		high: words.highWords,
		low: [...SHARED_LOW[language], ...words.lowWords],
		calm: [...CALM_WORDS[language], ...(words.calmWords ?? [])],
		booked: BOOKED_WORDS[language],
		minor: [...MINOR_WORDS[language], ...(words.minorWords ?? [])],
		vulnerable: VULNERABLE[language],
		...EXPOSURE[language],
		...WEATHER[language],
	};
	const tagged: [string, string][] = KINDS.flatMap((k) => lists[k].map((w): [string, string] => [w, k]));
	for (const s of preset.services)
		for (const w of language === 'en' ? s.words : (preset[language].services[s.type] ?? []))
			tagged.push([w, `service:${s.type}`]);
	c = compileSet(tagged, language, MACROS[language]);
	compiledCache.set(key, c);
	return c;
}

/** The business's own words, compiled per language; cached by their text so a profile edit takes effect at once. */
const customCache = new Map<string, PatternSet>();
function customSet(words: readonly string[], language: Language): PatternSet | undefined {
	if (!words.length) return undefined;
	const key = `${language}\u0000${words.join('\u0000')}`;
	let s = customCache.get(key);
	if (!s) {
		s = compileSet(words, language, MACROS[language]);
		if (customCache.size > 500) customCache.clear();
		customCache.set(key, s);
	}
	return s;
}

/** What every message said, gathered by kind. */
interface Heard {
	safety: Match[];
	high: Match[];
	low: Match[];
	calm: Match[];
	booked: Match[];
	/** Size words that made a high word minor ("a small leak"); the high word itself is left out of `high`. */
	minor: Match[];
	vulnerable: Match[];
	heatLoss: Match[];
	coolLoss: Match[];
	powerOut: Match[];
	lockedOut: Match[];
	freezing: Match[];
	heatWave: Match[];
	services: Map<string, Match[]>;
	readings: Readings;
	words: Record<Language, number>;
}

function hear(profile: Profile, texts: string[]): Heard {
	const heard: Heard = {
		safety: [],
		high: [],
		low: [],
		calm: [],
		booked: [],
		minor: [],
		vulnerable: [],
		heatLoss: [],
		coolLoss: [],
		powerOut: [],
		lockedOut: [],
		freezing: [],
		heatWave: [],
		services: new Map(),
		readings: { inside: [], outside: [] },
		words: { en: 0, es: 0, fr: 0 },
	};
	const custom = profile.classification;
	for (const text of texts) {
		const language = detectLanguage(text);
		const tokens = tokenize(text, language);
		if (!tokens.length) continue;
		heard.words[language] += tokens.length;
		const found = findMatches(compiledFor(profile.trade, language), tokens);
		const minor = found.filter((m) => m.tag === 'minor' && !m.negated);
		const overlaps = (a: Match, b: Match) => a.start <= b.end && b.start <= a.end;
		for (const m of found) {
			if (m.tag.startsWith('service:')) {
				if (m.negated) continue;
				const type = m.tag.slice(8);
				heard.services.set(type, [...(heard.services.get(type) ?? []), m]);
			} else if (m.tag === 'minor') continue;
			// The caller sized this very problem down ("a small leak"): other urgent words still count.
			else if (m.tag === 'high' && minor.some((n) => overlaps(m, n)))
				heard.minor.push(...minor.filter((n) => overlaps(m, n)));
			else heard[m.tag as Kind].push(m);
		}
		const add = (into: Match[], set: PatternSet | undefined) => {
			if (set) into.push(...findMatches(set, tokens));
		};
		add(heard.safety, customSet(custom.emergencyWords, language));
		add(heard.high, customSet(custom.highWords, language));
		add(heard.low, customSet(custom.lowWords, language));
		const r = readUnits(tokens, language, profile.country);
		heard.readings.inside.push(...r.inside);
		heard.readings.outside.push(...r.outside);
		if (r.waterInches && (!heard.readings.waterInches || r.waterInches.inches > heard.readings.waterInches.inches))
			heard.readings.waterInches = r.waterInches;
		if (r.hoursWithout && (!heard.readings.hoursWithout || r.hoursWithout.hours > heard.readings.hoursWithout.hours))
			heard.readings.hoursWithout = r.hoursWithout;
	}
	return heard;
}

const counted = (list: Match[]) => [...new Set(list.filter((m) => !m.negated).map((m) => m.said))];
const quote = (words: string[]) => words.map((w) => `"${w}"`).join(', ');

function checkInput(input: ClassifyInput): void {
	if (!input || typeof input !== 'object')
		throw new RecoveryInputError(
			'input',
			input,
			'Pass an object with texts, callCount, timing and reason.',
			'classify',
		);
	if (input.texts !== undefined && !Array.isArray(input.texts))
		throw new RecoveryInputError('texts', input.texts, "Pass the caller's words as a list of strings.", 'classify');
	if (input.timing !== undefined && !TIMINGS.includes(input.timing))
		throw new RecoveryInputError(
			'timing',
			input.timing,
			`Use one of ${TIMINGS.join(', ')}, or leave it out.`,
			'classify',
		);
	if (input.at !== undefined && Number.isNaN(Date.parse(input.at)))
		throw new RecoveryInputError('at', input.at, 'Use an ISO time such as 2026-01-15T21:30:00Z.', 'classify');
}

/**
 * Explainable urgency: every point of the score comes with a reason a dispatcher can read.
 * A plain missed call in business hours is normal; words, numbers, people at risk, repeats and timing move it.
 */
export function classify(profile: Profile, input: ClassifyInput): Classification {
	checkInput(input);
	const preset = PRESETS[profile.trade];
	const texts = (input.texts ?? []).filter((t): t is string => typeof t === 'string' && t.trim() !== '');
	const heard = hear(profile, texts);
	const reasons: string[] = [];
	const signals: Signal[] = [];
	const point = (kind: Signal['kind'], said: string[], points: number, reason: string) => {
		signals.push({ kind, said, points });
		reasons.push(reason);
		return points;
	};
	let score = 30;
	reasons.push('missed call: normal until something says otherwise (base 30)');

	const spoken = (Object.keys(heard.words) as Language[]).filter((l) => heard.words[l] > 0);
	const language = spoken.sort((a, b) => heard.words[b] - heard.words[a])[0] ?? 'en';
	if (spoken.length)
		reasons.push(`language: ${spoken.map((l) => LANGUAGE_NAMES[l]).join(', ')} (detected per message)`);

	// A phrase also heard as counted ("n'y a plus d'eau chaude" is both a negation and a "!" pattern) is not negated.
	const notNegated = new Set(
		[...heard.calm, ...heard.safety, ...heard.high].filter((m) => !m.negated).map((m) => m.said),
	);
	const negated = [
		...new Set([...heard.safety, ...heard.high].filter((m) => m.negated && !notNegated.has(m.said)).map((m) => m.said)),
	];
	if (negated.length) {
		signals.push({ kind: 'negated', said: negated, points: 0 });
		reasons.push(`caller said ${quote(negated)}: negated, not counted`);
	}

	const minor = counted(heard.minor);
	if (minor.length) {
		signals.push({ kind: 'minor', said: minor, points: 0 });
		reasons.push(`caller said ${quote(minor)}: a minor problem, its urgent word not counted`);
	}

	const safety = counted(heard.safety);
	if (safety.length)
		score += point('safety', safety, 60, `caller mentioned ${quote(safety)}: a safety or emergency word (+60)`);
	const high = counted(heard.high).filter((w) => !safety.includes(w));
	if (high.length) score += point('high', high, 25, `caller mentioned ${quote(high)}: needs attention today (+25)`);
	const booked = counted(heard.booked);
	const low = booked.length ? [] : counted(heard.low);
	const calm = counted(heard.calm);
	if (booked.length && counted(heard.low).length)
		reasons.push(`caller mentioned ${quote(booked)}: a booking to answer, not shopping (no points)`);
	if (low.length && !safety.length)
		score += point('low', low, -20, `caller mentioned ${quote(low)}: shopping or planning, no rush (-20)`);
	else if (calm.length && !safety.length)
		score += point('low', calm, -10, `caller said ${quote(calm)}: a problem, but not for today (-10)`);

	score += weigh(heard, point);

	if (input.callCount >= 2) {
		const within =
			input.minutesBetweenCalls !== undefined
				? ` within ${Math.max(1, Math.round(input.minutesBetweenCalls))} min`
				: '';
		const bump = input.callCount >= 3 ? 30 : 20;
		score += bump;
		reasons.push(`called ${input.callCount} times${within}: repeat calls mean it matters (+${bump})`);
	}

	let timing = input.timing;
	if (!timing) {
		timing = timingOf(profile, input.at ?? new Date());
		reasons.push(`timing not given: ${timing}, from ${input.at ? 'the call time' : 'the current time'} and the hours`);
	}
	if (timing !== 'business-hours') {
		if (preset.afterHoursLeansUrgent) {
			score += 15;
			reasons.push(`${timing} call to a ${preset.label} business: people call then when it cannot wait (+15)`);
		} else {
			reasons.push(`${timing} call: answered when the business opens`);
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
	// Safety words are a floor: nothing (a short call, a "quote" in the same breath) talks a gas smell down.
	if (safety.length && score < EMERGENCY_FLOOR) {
		reasons.push(`safety words keep this an emergency: score raised from ${score} to ${EMERGENCY_FLOOR}`);
		score = EMERGENCY_FLOOR;
	}

	const urgency = THRESHOLDS.find(([, min]) => score >= min)![0];
	reasons.push(`score ${score}: ${urgency}`);

	let serviceType = preset.services[0].type;
	let best: Match[] = [];
	let bestWeight = 0;
	for (const s of preset.services) {
		const found = heard.services.get(s.type) ?? [];
		// The same words found by two entries ("leak", "leaking") count once, at their most specific.
		const bySaid = new Map<string, number>();
		for (const m of found) bySaid.set(m.said, Math.max(bySaid.get(m.said) ?? 0, m.weight));
		const weight = [...bySaid.values()].reduce((n, w) => n + w, 0);
		if (weight > bestWeight) {
			best = found;
			bestWeight = weight;
			serviceType = s.type;
		}
	}
	const words = [...new Set(best.map((m) => m.said))];
	reasons.push(
		words.length
			? `service type ${serviceType}: matched ${quote(words)}`
			: `service type ${serviceType}: the ${preset.label} default, no words matched`,
	);

	return { urgency, serviceType, timing, score, reasons, language, signals };
}

type Point = (kind: Signal['kind'], said: string[], points: number, reason: string) => number;

/** Numbers with units, weather and vulnerable people, weighed together: the danger no single keyword names. */
function weigh(heard: Heard, point: Point): number {
	let score = 0;
	const r = heard.readings;
	const heatLoss = counted(heard.heatLoss);
	const coolLoss = counted(heard.coolLoss);
	const powerOut = counted(heard.powerOut);
	const lockedOut = counted(heard.lockedOut);
	const coldest = r.inside.reduce<{ f: number; said: string } | undefined>(
		(a, b) => (!a || b.f < a.f ? b : a),
		undefined,
	);
	const hottest = r.inside.reduce<{ f: number; said: string } | undefined>(
		(a, b) => (!a || b.f > a.f ? b : a),
		undefined,
	);
	const coldInside = coldest && coldest.f <= 60 ? coldest : undefined;
	const hotInside = hottest && hottest.f >= 85 ? hottest : undefined;
	if (coldInside)
		score += point(
			'temperature',
			[coldInside.said],
			50,
			`"${coldInside.said}" inside: 60 °F or colder indoors is a heating emergency (+50)`,
		);
	if (hotInside)
		score += point('temperature', [hotInside.said], 15, `"${hotInside.said}" inside: 85 °F or hotter indoors (+15)`);

	const coldOut = r.outside.filter((t) => t.f <= 35).map((t) => t.said);
	const hotOut = r.outside.filter((t) => t.f >= 95).map((t) => t.said);
	const freezing = [...coldOut, ...counted(heard.freezing)];
	const heatWave = [...hotOut, ...counted(heard.heatWave)];
	const coldExposure = [...heatLoss, ...powerOut, ...lockedOut];
	const heatExposure = [...coolLoss, ...powerOut];
	if (freezing.length && coldExposure.length)
		score += point(
			'weather',
			[...freezing, ...coldExposure],
			30,
			`${quote(coldExposure)} with ${quote(freezing)}: no heat or shelter in freezing weather (+30)`,
		);
	if (heatWave.length && heatExposure.length)
		score += point(
			'weather',
			[...heatWave, ...heatExposure],
			15,
			`${quote(heatExposure)} with ${quote(heatWave)}: no cooling in extreme heat (+15)`,
		);
	if (r.waterInches && r.waterInches.inches >= 1)
		score += point('water', [r.waterInches.said], 60, `"${r.waterInches.said}": standing water is flooding (+60)`);
	if (r.hoursWithout && r.hoursWithout.hours >= 4 && (powerOut.length || heatLoss.length))
		score += point('outage', [r.hoursWithout.said], 15, `"${r.hoursWithout.said}" without: a long outage (+15)`);

	const vulnerable = counted(heard.vulnerable);
	if (vulnerable.length) {
		const exposed = coldExposure.length || heatExposure.length || coldInside || hotInside;
		score += exposed
			? point(
					'vulnerable',
					vulnerable,
					30,
					`${quote(vulnerable)} in the home with the heat, cooling or power out: at risk (+30)`,
				)
			: point('vulnerable', vulnerable, 10, `${quote(vulnerable)}: a vulnerable person involved (+10)`);
	}
	return score;
}
