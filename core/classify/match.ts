import { stem, type Language, type Token } from './text';

/**
 * Phrase patterns over stemmed words. Syntax, kept small enough to write presets by hand:
 * - words in a row may have one word between them ("burst pipe" matches "burst a pipe");
 * - `...` allows a gap of up to five words within the sentence ("water ... through ... ceiling");
 * - `a|b|c` is any of those words at that place; `{name}` is a list of words defined in the macros;
 * - `A ~ B`: both parts within six words of each other, in either order ("furnace ~ stopped");
 * - a leading `!` asks for the first word under a negation ("!heat" matches "no heat", "we don't have heat").
 * Every word is stemmed like the message, so "leak" matches "leaked", "leaking" and "leaks".
 */
export type Macros = Record<string, readonly string[]>;

interface Slot {
	stems: Set<string>;
	/** `!word`: this word must be under a negation ("furnace ... isn't working"). */
	negated: boolean;
	/** Words allowed between the previous slot and this one. */
	gap: number;
}
interface Sequence {
	slots: Slot[];
}
export interface Pattern {
	source: string;
	/** What the pattern is evidence of (a kind such as "safety", or "service:leak"), for sets that hold many kinds. */
	tag: string;
	negated: boolean;
	parts: Sequence[];
}
export interface PatternSet {
	patterns: Pattern[];
	/** First-word stems to the patterns they may start, so a message only tries the patterns its words can begin. */
	trigger: Map<string, number[]>;
}
export interface Match {
	pattern: string;
	/** The caller's words, as said. */
	said: string;
	negated: boolean;
	/** Words in the pattern: a longer phrase is more specific ("water heater" over "leaking"). */
	weight: number;
	tag: string;
	/** First and last token of the caller's words, in the message's tokens. */
	start: number;
	end: number;
}

const PHRASE_GAP = 1;
const WIDE_GAP = 5;
const UNORDERED_WINDOW = 6;

function compileSequence(text: string, language: Language, macros: Macros): Sequence {
	const slots: Slot[] = [];
	let gap = 0;
	for (const piece of text.trim().split(/\s+/)) {
		if (piece === '...') {
			gap = WIDE_GAP;
			continue;
		}
		const negated = piece.startsWith('!');
		const stems = new Set<string>();
		for (const alt of (negated ? piece.slice(1) : piece).split('|')) {
			const words = alt.startsWith('{') && alt.endsWith('}') ? (macros[alt.slice(1, -1)] ?? []) : [alt];
			for (const w of words) {
				const clean = w.toLowerCase().replace(/['’]/g, '');
				if (clean) stems.add(stem(clean, language));
			}
		}
		slots.push({ stems, negated, gap: slots.length ? Math.max(gap, PHRASE_GAP) : 0 });
		gap = 0;
	}
	return { slots };
}

export function compilePattern(source: string, language: Language, macros: Macros, tag = ''): Pattern {
	const parts = source
		.split(' ~ ')
		.map((p) => compileSequence(p, language, macros))
		.filter((p) => p.slots.length);
	return { source, tag, negated: parts[0]?.slots[0]?.negated ?? false, parts };
}

/**
 * The tokenizer splits "re-piping" and "tune-up" into two words, so a hyphenated entry is a phrase: each hyphenated
 * alternative becomes its own sequence ("re-piping|repipe" is "re piping" or "repipe").
 */
export function expandHyphens(source: string): string[] {
	let variants = [''];
	for (const piece of source.trim().split(/\s+/)) {
		const bang = piece.startsWith('!') ? '!' : '';
		const alts = (bang ? piece.slice(1) : piece).split('|');
		const joined = alts.filter((a) => !/\p{L}-\p{L}/u.test(a));
		const split = alts.filter((a) => /\p{L}-\p{L}/u.test(a)).map((a) => bang + a.split('-').join(' '));
		const choices = [...(joined.length ? [bang + joined.join('|')] : []), ...split];
		variants = variants.flatMap((v) => choices.map((c) => (v ? `${v} ${c}` : c)));
	}
	return variants;
}

/** French elisions are two words in a message ("d'eau" is "d" "eau"), so they are two words in a pattern too. */
function elide(source: string, language: Language): string {
	return language === 'fr' ? source.replace(/(\p{L})['’](\p{L})/gu, '$1 $2') : source;
}

/** One set for many kinds of evidence: a message is read once, whatever it is searched for. */
export function compileSet(
	sources: readonly string[] | readonly (readonly [string, string])[],
	language: Language,
	macros: Macros,
): PatternSet {
	const tagged = sources.map((s) => (typeof s === 'string' ? ([s, ''] as const) : s));
	const patterns = tagged
		.filter(([s]) => s && s.trim())
		.flatMap(([s, tag]) =>
			expandHyphens(elide(s, language)).map((e) => ({ ...compilePattern(e, language, macros, tag), source: s })),
		);
	const trigger = new Map<string, number[]>();
	patterns.forEach((p, i) => {
		for (const part of p.parts)
			for (const s of part.slots[0].stems) {
				const list = trigger.get(s);
				if (!list) trigger.set(s, [i]);
				else if (list[list.length - 1] !== i) list.push(i);
			}
	});
	return { patterns, trigger };
}

/** The end of a sequence starting at `start`, or -1. */
function sequenceAt(seq: Sequence, tokens: Token[], start: number): number {
	if (!seq.slots[0].stems.has(tokens[start].stem)) return -1;
	if (seq.slots[0].negated && tokens[start].negatedBy < 0) return -1;
	let at = start;
	for (let k = 1; k < seq.slots.length; k++) {
		const slot = seq.slots[k];
		let found = -1;
		for (let q = at + 1; q <= at + 1 + slot.gap && q < tokens.length; q++) {
			if (tokens[q].sentence !== tokens[start].sentence) break;
			if (slot.stems.has(tokens[q].stem) && (!slot.negated || tokens[q].negatedBy >= 0)) {
				found = q;
				break;
			}
		}
		if (found < 0) return -1;
		at = found;
	}
	return at;
}

function said(tokens: Token[], from: number, to: number): string {
	return tokens
		.slice(from, to + 1)
		.map((t) => t.word)
		.join(' ');
}

function weightOf(p: Pattern): number {
	return p.parts.reduce((n, part) => n + part.slots.length, 0);
}

function matchAt(p: Pattern, tokens: Token[], i: number): Match | undefined {
	for (let k = 0; k < p.parts.length; k++) {
		const end = sequenceAt(p.parts[k], tokens, i);
		if (end < 0) continue;
		const negated = tokens[i].negatedBy >= 0;
		const cue = negated ? tokens[i].negatedBy : i;
		if (p.parts.length === 1)
			return {
				pattern: p.source,
				said: said(tokens, cue, end),
				negated,
				weight: weightOf(p),
				tag: p.tag,
				start: cue,
				end,
			};
		// Unordered pair: the other part anywhere near, in the same sentence.
		const other = p.parts[1 - k];
		for (let j = Math.max(0, i - UNORDERED_WINDOW); j <= Math.min(tokens.length - 1, end + UNORDERED_WINDOW); j++) {
			if (j >= i && j <= end) continue;
			if (tokens[j].sentence !== tokens[i].sentence) continue;
			const otherEnd = sequenceAt(other, tokens, j);
			if (otherEnd < 0) continue;
			const from = Math.min(cue, j);
			const to = Math.max(end, otherEnd);
			const neg = negated || tokens[j].negatedBy >= 0;
			return {
				pattern: p.source,
				said: said(tokens, from, to),
				negated: neg,
				weight: weightOf(p),
				tag: p.tag,
				start: from,
				end: to,
			};
		}
	}
	return undefined;
}

/**
 * Every pattern of the set found in the message, once each. A pattern found only under a negation ("no smoke")
 * comes back with `negated: true` so the reasons can say it was heard and not counted; a `!` pattern is found
 * only under one.
 */
export function findMatches(set: PatternSet, tokens: Token[]): Match[] {
	const found = new Map<number, Match>();
	for (let i = 0; i < tokens.length; i++) {
		const list = set.trigger.get(tokens[i].stem);
		if (!list) continue;
		for (const idx of list) {
			const prev = found.get(idx);
			if (prev && !prev.negated) continue;
			const p = set.patterns[idx];
			const m = matchAt(p, tokens, i);
			if (!m) continue;
			// For "!x" patterns the negation is the point: found only when negated, and then it counts.
			if (p.negated && !m.negated) continue;
			const counted = p.negated ? { ...m, negated: false } : m;
			if (!prev || !counted.negated) found.set(idx, counted);
		}
	}
	return [...found.values()];
}
