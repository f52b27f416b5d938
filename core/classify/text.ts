import { stemmer as stemEnglish } from '@orama/stemmers/english';
import { stemmer as stemSpanish } from '@orama/stemmers/spanish';
import { stemmer as stemFrench } from '@orama/stemmers/french';

export const LANGUAGES = ['en', 'es', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', es: 'Spanish', fr: 'French' };

/**
 * One word of a message: its surface form (for reasons), its stem (for matching), and the negation cue governing it.
 */
export interface Token {
	word: string;
	stem: string;
	/** Index of the negation cue whose scope covers this token, or -1. */
	negatedBy: number;
	/** Sentence number: gapped phrases never reach across a sentence. */
	sentence: number;
}

const STEMMERS: Record<Language, (w: string) => string> = { en: stemEnglish, es: stemSpanish, fr: stemFrench };
const stemCache: Record<Language, Map<string, string>> = { en: new Map(), es: new Map(), fr: new Map() };

/** Accents are dropped after stemming, so "calefacción" and "calefaccion" (a transcript's spelling) meet. */
export function stem(word: string, language: Language): string {
	const cache = stemCache[language];
	let s = cache.get(word);
	if (s === undefined) {
		s = STEMMERS[language](word)
			.normalize('NFD')
			.replace(/[\u0300-\u036f]/g, '');
		if (cache.size < 20000) cache.set(word, s);
	}
	return s;
}

// Words common in one language and rare in the others; accents and inverted marks count extra.
const MARKERS: Record<Language, Set<string>> = {
	en: new Set(
		(
			"the is and my to it of we our you please call have has with this that there was my i'm it's what when " +
			// Short English messages often have no other marker, and one French "on" would outvote them.
			'i in for at but can just need been from your are'
		).split(' '),
	),
	es: new Set(
		(
			'el los las que y por con para una hay está esta mi mis se muy casa del tengo tiene agua pero cuando ' +
			'llámenme favor'
		).split(' '),
	),
	fr: new Set(
		'le les des du et est il je pas dans pour avec ça on nous vous une au chez qui mon ma ai fait plus mais svp'.split(
			' ',
		),
	),
};

/** The message's language from its function words: English unless Spanish or French words clearly outnumber it. */
export function detectLanguage(text: string): Language {
	const score: Record<Language, number> = { en: 0, es: 0, fr: 0 };
	for (const w of text.toLowerCase().split(/[^\p{L}'’]+/u)) {
		if (!w) continue;
		for (const l of LANGUAGES) if (MARKERS[l].has(w)) score[l]++;
	}
	score.es += 2 * (text.match(/[ñ¿¡]|ción\b/gi)?.length ?? 0);
	score.fr += 2 * (text.match(/[çèêàù]|\b[ldjnqu]['’]/gi)?.length ?? 0);
	let best: Language = 'en';
	for (const l of LANGUAGES) if (score[l] > score[best]) best = l;
	return best;
}

// Negation cues per language, compared on the lower-cased word with apostrophes removed ("isn't" -> "isnt").
const CUES: Record<Language, Set<string>> = {
	en: new Set(
		(
			'no not nothing never without none nor neither isnt arent wasnt werent dont doesnt didnt wont cant cannot ' +
			'hasnt havent hadnt aint nobody'
		).split(' '),
	),
	es: new Set('no ni nada nunca sin tampoco ningun ninguna ninguno jamas nadie'.split(' ')),
	fr: new Set('ne n pas aucun aucune sans jamais rien ni personne'.split(' ')),
};
// Words that close a negation's scope ("no smoke, but ..."; "nothing urgent, just a quote").
const SCOPE_ENDS: Record<Language, Set<string>> = {
	en: new Set('but just only though although except and so because since then'.split(' ')),
	es: new Set('pero solo solamente sino aunque y porque entonces'.split(' ')),
	fr: new Set('mais juste seulement sauf et parce car puis alors'.split(' ')),
};
/** A cue covers at most this many words after it: "no heat" yes, a negation three clauses back no. */
const SCOPE_WORDS = 5;

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[.!?;:,\n]/gu;

/** Words of one message, each stemmed in the message's language and marked when a negation cue governs it. */
export function tokenize(text: string, language: Language): Token[] {
	const tokens: Token[] = [];
	let sentence = 0;
	let cue = -1;
	let scopeLeft = 0;
	const lower = text.toLowerCase().slice(0, 5000);
	for (const m of lower.matchAll(WORD)) {
		const raw = m[0];
		if (raw.length === 1 && '.!?;:,\n'.includes(raw)) {
			if (raw !== ',') sentence++;
			cue = -1;
			continue;
		}
		// French elides before a vowel ("l'eau", "n'a"): the part before the apostrophe is a word of its own.
		const parts = language === 'fr' ? raw.split(/['’]/) : [raw.replace(/['’]/g, '')];
		for (const word of parts) {
			if (!word) continue;
			if (SCOPE_ENDS[language].has(word)) cue = -1;
			const isCue =
				CUES[language].has(word) ||
				(language === 'fr' && word === 'plus' && cue === -1 && isClauseStart(tokens, sentence));
			tokens.push({ word, stem: stem(word, language), negatedBy: cue >= 0 && scopeLeft > 0 ? cue : -1, sentence });
			if (isCue) {
				cue = tokens.length - 1;
				scopeLeft = SCOPE_WORDS;
			} else if (cue >= 0 && --scopeLeft <= 0) cue = -1;
		}
	}
	return tokens;
}

/** Quebec French drops "ne": "plus d'eau chaude" at the start of a clause means "no more hot water". */
function isClauseStart(tokens: Token[], sentence: number): boolean {
	const prev = tokens[tokens.length - 1];
	return !prev || prev.sentence !== sentence;
}
