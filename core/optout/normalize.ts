/**
 * The matching form of a message: what a reader sees, not the code points a phone or a prankster sent.
 * Full-width and mathematical letters (NFKC), invisible characters, look-alike Cyrillic and Greek letters,
 * curly quotes and accents all collapse, so "ＳＴＯＰ", "S\u200BTOP", "ЅТОР" and "ARRÊT" read as "stop" and "arret".
 */

/**
 * Format characters (zero-width space and joiners, bidi embeddings, overrides and isolates, the BOM, soft hyphen)
 * and the Hangul fillers, which render as nothing. Variation selectors and the combining grapheme joiner are marks,
 * removed with the accents below.
 */
const INVISIBLE = /[\p{Cf}\u115F\u1160\u3164\uFFA0]/gu;

/**
 * Cyrillic and Greek letters that render like Latin ones (Unicode's confusables for the letters of the keywords),
 * folded before lower-casing because the upper and lower forms look like different Latin letters (Greek "Η" is an H,
 * "η" an n). A whole Russian or Greek message stays unreadable as English: only the look-alikes fold.
 */
const CONFUSABLES: Record<string, string> = {
	// Cyrillic upper case
	А: 'A',
	В: 'B',
	Е: 'E',
	К: 'K',
	М: 'M',
	Н: 'H',
	О: 'O',
	Р: 'P',
	С: 'C',
	Т: 'T',
	У: 'Y',
	Х: 'X',
	Ѕ: 'S',
	І: 'I',
	Ј: 'J',
	Ԁ: 'D',
	Ԛ: 'Q',
	Ԝ: 'W',
	// Cyrillic lower case
	а: 'a',
	в: 'b',
	с: 'c',
	ԁ: 'd',
	е: 'e',
	һ: 'h',
	і: 'i',
	ј: 'j',
	к: 'k',
	м: 'm',
	н: 'h',
	о: 'o',
	р: 'p',
	ԛ: 'q',
	ѕ: 's',
	т: 't',
	у: 'y',
	ԝ: 'w',
	х: 'x',
	// Greek upper case
	Α: 'A',
	Β: 'B',
	Ε: 'E',
	Ζ: 'Z',
	Η: 'H',
	Ι: 'I',
	Κ: 'K',
	Μ: 'M',
	Ν: 'N',
	Ο: 'O',
	Ρ: 'P',
	Τ: 'T',
	Υ: 'Y',
	Χ: 'X',
	// Greek lower case
	α: 'a',
	ε: 'e',
	η: 'n',
	ι: 'i',
	κ: 'k',
	μ: 'u',
	ν: 'v',
	ο: 'o',
	ρ: 'p',
	τ: 't',
	υ: 'u',
	χ: 'x',
	// Latin letters outside ASCII that NFKC leaves as they are
	ı: 'i',
	ȷ: 'j',
	ſ: 's',
	ꜱ: 's',
	ᴛ: 't',
	ᴏ: 'o',
	ᴘ: 'p',
};
const CONFUSABLE = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'gu');

const APOSTROPHES = /[\u2018\u2019\u201A\u201B\u2032\u02BC\u02B9\u0060\u00B4]/g;
const QUOTES = /[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB\u300C\u300D]/g;
const DASHES = /[\u2010-\u2015\u2212\u2E3A\u2E3B\uFE58\uFE63]/g;
const MARKS = /\p{M}/gu;

/**
 * The matching form of a text: NFKC, invisible characters and accents removed, Cyrillic and Greek look-alikes
 * folded to ASCII, lower case, curly quotes and dashes made ASCII, runs of white space made one space.
 */
export function normalizeText(text: string): string {
	return (
		text
			.normalize('NFKC')
			.replace(INVISIBLE, '')
			// NFD splits "ê" into "e" and a combining mark; the marks go, the letters stay. Done again after
			// lower-casing, which gives "İ" a combining dot.
			.normalize('NFD')
			.replace(MARKS, '')
			.replace(CONFUSABLE, (c) => CONFUSABLES[c])
			.toLowerCase()
			// An upper-case letter the table lacks can lower-case into one it has (Cyrillic "Һ" into "һ", an h): folded
			// too, or the result would read differently a second time.
			.replace(CONFUSABLE, (c) => CONFUSABLES[c])
			.normalize('NFD')
			.replace(MARKS, '')
			.normalize('NFC')
			.replace(APOSTROPHES, "'")
			.replace(QUOTES, '"')
			.replace(DASHES, '-')
			.replace(/\s+/g, ' ')
			.trim()
	);
}
