import { normalizeText } from './normalize';
import {
	CLAUSE_COMMANDS,
	FILLERS,
	HELP_WORDS,
	PHRASES,
	START_WORDS,
	STOP_OBJECTS,
	STOP_WORDS,
	type OptOutLanguage,
	type Phrase,
} from './phrases';

export { normalizeText } from './normalize';
export type { OptOutLanguage } from './phrases';

export type OptOutKeyword = 'stop' | 'start' | 'help';

export interface KeywordMatch {
	keyword: OptOutKeyword | undefined;
	/** What matched, in matching form: "stopall", "stop texting", "arret", or a business's own word. */
	matched?: string;
	/** The language of the built-in word or phrase that matched; absent for a business's own words. */
	language?: OptOutLanguage;
}

export interface ClassifyOptions {
	/** The business's own opt-out words (profile `optOut.stopWords`), matched as whole replies like STOP. */
	extraStop?: readonly string[];
	/** The business's own opt-in words (profile `optOut.startWords`), matched as whole replies like START. */
	extraStart?: readonly string[];
}

const STOP_SIGN = /\u{1F6D1}/gu;
/** "wrong #": the sign is not a word character, so it is spelled out before matching. */
const WRONG_NUMBER_SIGN = /\bwrong\s*#/gi;
/** Clause ends: sentence punctuation, and quotes and brackets around a keyword. */
const CLAUSE_END = /[.!?;:,()[\]{}"¡¿…]+| - /;
const WORD = /[a-z0-9]+(?:'[a-z0-9]+)*/g;

function wordsOf(text: string): string[] {
	return text.match(WORD) ?? [];
}

/** Letters and digits only: "STOP-ALL", "opt out", '"Stop."' and "s t o p" all compact to one keyword. */
function compact(words: readonly string[]): string {
	return words.join('').replace(/'/g, '');
}

/** "stop stop stop" is one stop. */
function dedupe(words: readonly string[]): string[] {
	return words.filter((w, i) => w !== words[i - 1]);
}

function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
	return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

function extraSet(words: readonly string[] | undefined): Set<string> {
	return new Set((words ?? []).map((w) => compact(wordsOf(normalizeText(w)))).filter(Boolean));
}

/** The first phrase found in any clause, unless a word just before it says it is a description, not a request. */
function findPhrase(clauses: readonly string[][], strongOnly: boolean): { phrase: Phrase; text: string } | undefined {
	for (const words of clauses) {
		const line = words.join(' ');
		for (const phrase of PHRASES) {
			if (strongOnly && !phrase.strong) continue;
			const m = phrase.pattern.exec(line);
			if (!m) continue;
			const text = m[0].trim();
			if (phrase.unless) {
				const before = line.slice(0, m.index).split(' ').filter(Boolean);
				const near = before.slice(-phrase.unless.window);
				if (near.some((w) => phrase.unless!.words.has(w))) continue;
			}
			return { phrase, text };
		}
	}
	return undefined;
}

/** A clause that is only a stop command and fillers: "please stop", "STOP it", "alto por favor". */
function clauseCommand(clauses: readonly string[][]): { word: string; language: OptOutLanguage } | undefined {
	for (const words of clauses) {
		const rest = dedupe(words.filter((w) => !FILLERS.has(w)));
		const [head, object] = rest;
		if (!head || rest.length > 2) continue;
		const language = lookup(CLAUSE_COMMANDS, head);
		if (!language) continue;
		if (object === undefined || (head === 'stop' && STOP_OBJECTS.has(object))) return { word: head, language };
	}
	return undefined;
}

/**
 * What an inbound text asks for, by these rules in order (docs/security.md, "Opt-out", says the same for people):
 *
 * 1. The whole reply, in matching form (normalizeText) with punctuation, quotes, hyphens and spaces removed, is a
 *    HELP word (HELP, INFO, AYUDA, AIDE): help. Nothing else may be in the reply: "help, water everywhere" is a reply.
 * 2. The whole reply, with politeness fillers ("please", "now", "I said", "por favor", "svp") also removed and a
 *    repeated word counted once, is a stop word (STOP_WORDS, or the business's `extraStop`): stop. So "stop please",
 *    "STOP-ALL", '"STOP"', "Opt-out", "ARRÊT", "Cancel." opt out; "Cancel my appointment" does not.
 * 3. The whole reply, with only punctuation, case and spaces forgiven (no fillers), is START, UNSTOP, YES, OPTIN,
 *    SUBSCRIBE or one of the business's `extraStart`: start. Opting back in must be unmistakable, so "Yes please call
 *    me" and "yes please" stay replies and never re-subscribe anyone.
 * 4. A clause of a longer reply (split at . ! ? , ; : and quotes) that is only STOP, ALTO, PARAR, BASTA or ARRÊT with
 *    fillers ("Who is this? STOP", "please stop", "Stop it"): stop. "Stop by at 3", "the leak won't stop" and "don't
 *    stop by" have other words in the clause and do not.
 * 5. A phrase of PHRASES anywhere in a clause ("stop texting me", "take me off your list", "no me envíes más
 *    mensajes", "je ne veux plus recevoir de messages"), unless a word right before it makes it a description
 *    ("he won't stop calling", "I don't want to unsubscribe"): stop.
 *
 * The stop-sign emoji reads as the word "stop". Help and start are never found inside a sentence.
 */
export function classifyKeyword(body: string, opts: ClassifyOptions = {}): KeywordMatch {
	const emoji = body.includes('\u{1F6D1}');
	const text = normalizeText(body.replace(STOP_SIGN, ' stop ')).replace(WRONG_NUMBER_SIGN, 'wrong number');
	const all = wordsOf(text);
	if (!all.length) return { keyword: undefined };
	const whole = compact(all);
	const viaEmoji = (m: string) => (emoji && m.startsWith('stop') ? '\u{1F6D1}' : m);

	const help = lookup(HELP_WORDS, whole);
	if (help) return { keyword: 'help', matched: whole, language: help };

	const meaningful = compact(dedupe(all.filter((w) => !FILLERS.has(w))));
	const stop = lookup(STOP_WORDS, meaningful);
	if (stop) return { keyword: 'stop', matched: viaEmoji(meaningful), language: stop };
	const extraStop = extraSet(opts.extraStop);
	if (extraStop.has(whole)) return { keyword: 'stop', matched: whole };
	if (extraStop.has(meaningful)) return { keyword: 'stop', matched: meaningful };

	const start = lookup(START_WORDS, whole);
	if (start) return { keyword: 'start', matched: whole, language: start };
	if (extraSet(opts.extraStart).has(whole)) return { keyword: 'start', matched: whole };

	const clauses = text
		.split(CLAUSE_END)
		.map(wordsOf)
		.filter((w) => w.length);
	const command = clauseCommand(clauses);
	if (command) return { keyword: 'stop', matched: viaEmoji(command.word), language: command.language };
	const found = findPhrase(clauses, false);
	if (found) return { keyword: 'stop', matched: found.text, language: found.phrase.language };
	return { keyword: undefined };
}

/**
 * A request to stop texting inside free text such as a voicemail transcript ("stop texting me", "don't text me",
 * "quit sending me messages", "no me envíe más mensajes"): the phrase, in matching form, or undefined. Conservative:
 * only the phrases of rule 5 marked strong count; a lone "stop" does not ("the leak won't stop", "stop by anytime"),
 * because a caller describing a problem says it often and a transcript has no reliable punctuation.
 */
export function revocationIn(text: string): string | undefined {
	const clauses = normalizeText(text.replace(STOP_SIGN, ' '))
		.split(CLAUSE_END)
		.map(wordsOf)
		.filter((w) => w.length);
	return findPhrase(clauses, true)?.text;
}
