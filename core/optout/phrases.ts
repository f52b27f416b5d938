/**
 * The words and phrases that opt a caller out, in and ask for help, as data. Everything here is in matching form
 * (see normalizeText: lower case, no accents, ASCII apostrophes). docs/security.md lists the same rules for people.
 */

export type OptOutLanguage = 'en' | 'es' | 'fr';

/**
 * A whole reply that is one of these (letters and digits only, so "STOP-ALL", "opt out" and '"Stop."' count) opts
 * out. English: the carriers' and Twilio's default keywords (REVOKE and OPTOUT since 2025) and the FCC's list,
 * plus UNSUB, REMOVE and NO MORE; Spanish and French: the words Canadian and US Spanish speakers send.
 */
export const STOP_WORDS: Readonly<Record<string, OptOutLanguage>> = {
	stop: 'en',
	stopall: 'en',
	unsubscribe: 'en',
	unsub: 'en',
	cancel: 'en',
	end: 'en',
	quit: 'en',
	revoke: 'en',
	optout: 'en',
	optmeout: 'en',
	remove: 'en',
	removeme: 'en',
	nomore: 'en',
	// Common misspellings of STOP, sent in a hurry.
	stopp: 'en',
	stahp: 'en',
	sotp: 'en',
	stpo: 'en',
	// Replies that say "not me, not this" as a whole: a wrong number, no interest, no texts, go away.
	wrongnumber: 'en',
	wrongperson: 'en',
	wrongnum: 'en',
	wrongno: 'en',
	notinterested: 'en',
	notexts: 'en',
	notext: 'en',
	nomessages: 'en',
	nosms: 'en',
	spam: 'en',
	thisisspam: 'en',
	takemeoff: 'en',
	quitit: 'en',
	goaway: 'en',
	getlost: 'en',
	fuckoff: 'en',
	foff: 'en',
	pissoff: 'en',
	numeroequivocado: 'es',
	nomolestes: 'es',
	nomoleste: 'es',
	nomolesten: 'es',
	alto: 'es',
	parar: 'es',
	basta: 'es',
	baja: 'es',
	cancelar: 'es',
	detener: 'es',
	nomas: 'es',
	desuscribir: 'es',
	arret: 'fr',
	arrete: 'fr',
	arrett: 'fr',
	arreter: 'fr',
	arretez: 'fr',
	desabonner: 'fr',
	desinscrire: 'fr',
	annuler: 'fr',
};

/** Only one of these, alone, re-subscribes: opting back in must be unmistakable (see classifyKeyword). */
export const START_WORDS: Readonly<Record<string, OptOutLanguage>> = {
	start: 'en',
	unstop: 'en',
	yes: 'en',
	optin: 'en',
	subscribe: 'en',
};

export const HELP_WORDS: Readonly<Record<string, OptOutLanguage>> = {
	help: 'en',
	info: 'en',
	ayuda: 'es',
	aide: 'fr',
};

/**
 * Words that carry no meaning of their own around a keyword ("stop please", "I said STOP", "alto por favor",
 * "arrêt svp"): dropped before a whole reply is compared with STOP_WORDS.
 */
export const FILLERS: ReadonlySet<string> = new Set([
	'please',
	'pls',
	'plz',
	'plse',
	'now',
	'thanks',
	'thank',
	'you',
	'thx',
	'ty',
	'ok',
	'okay',
	'just',
	'asap',
	'immediately',
	'already',
	'i',
	'said',
	// "Can you stop?", "could you please stop": a request in question form.
	'can',
	'could',
	'would',
	'por',
	'favor',
	'porfa',
	'gracias',
	'ya',
	'ahora',
	'svp',
	'stp',
	'merci',
	"s'il",
	'vous',
	'te',
	'plait',
	'maintenant',
]);

/**
 * Commands that opt out when they stand alone in a clause of a longer reply ("Who is this? STOP", "Alto, no me
 * escriba"), with fillers around them. Cancel, end and quit are left out: "Cancel. I found someone else" is about the
 * job, not the texts.
 */
export const CLAUSE_COMMANDS: Readonly<Record<string, OptOutLanguage>> = {
	stop: 'en',
	stopall: 'en',
	alto: 'es',
	parar: 'es',
	basta: 'es',
	arret: 'fr',
	arrete: 'fr',
	arretez: 'fr',
};

/** Objects "stop" may take in its own clause: "stop it", "stop all this". */
export const STOP_OBJECTS: ReadonlySet<string> = new Set(['it', 'this', 'that', 'all', 'everything', 'them']);

export interface Phrase {
	/** Matched against a clause's words joined by single spaces. */
	pattern: RegExp;
	language: OptOutLanguage;
	/**
	 * Clear enough to count in free text such as a voicemail transcript (revocationIn), not only in a reply to a text.
	 */
	strong: boolean;
	/**
	 * The words right before the match that cancel it, as in "the leak won't stop calling" or "I don't want to
	 * unsubscribe"; `window` is how many words back to look.
	 */
	unless?: { words: ReadonlySet<string>; window: number };
}

/** Auxiliaries that make "stop" a description ("it won't stop", "he never stops calling"), not a request. */
const DESCRIBING = new Set([
	"won't",
	'wont',
	"doesn't",
	'doesnt',
	"didn't",
	'didnt',
	"can't",
	'cant',
	'cannot',
	"couldn't",
	"wouldn't",
	"don't",
	'dont',
	'not',
	'never',
	'will',
	"i'll",
	'gonna',
	'to',
]);
const DESCRIBING_BUT_TO = new Set([...DESCRIBING].filter((w) => w !== 'to'));
const NEGATIONS = new Set(["don't", 'dont', 'not', 'never', 'no', "won't", 'wont']);

const MSG = '(?:texts?|text messages?|messages?|msgs?|sms|txts?|spam|notifications?|alerts?|reminders?)';
// Spanish for send, write, text and contact, in the forms "no me ..." takes.
const SEND_ES =
	'(?:envies|envie|envien|mandes|mande|manden|escribas|escriba|escriban|textees|texteen|contactes|contacte|contacten)';
const VERBS_ING =
	'(?:texting|txting|texing|messaging|msging|sending|contacting|calling|spamming|bothering|harassing|emailing)';
const ME_VERBS = '(?:text|txt|message|msg|sms|contact|email) me';

function re(source: string): RegExp {
	return new RegExp(`(?:^| )(?:${source})(?= |$)`);
}

export const PHRASES: readonly Phrase[] = [
	// English
	{
		pattern: re(`(?:stop|quit|cease|stop all) ${VERBS_ING}`),
		language: 'en',
		strong: true,
		unless: { words: DESCRIBING_BUT_TO, window: 1 },
	},
	{
		pattern: re(`stop (?:(?:all|all of|with|sending|sending me) )?(?:the |these |those |your |ur )?${MSG}`),
		language: 'en',
		strong: true,
		unless: { words: DESCRIBING_BUT_TO, window: 1 },
	},
	{ pattern: re(`(?:don't|dont|do not|never) (?:ever )?${ME_VERBS}`), language: 'en', strong: true },
	{
		pattern: re(`(?:don't|dont|do not|never) send (?:me )?(?:any )?(?:more )?${MSG}`),
		language: 'en',
		strong: true,
	},
	{
		pattern: re(`(?:don't|dont|do not) want (?:to (?:get|receive) )?(?:any |these |your |ur )?(?:more )?${MSG}`),
		language: 'en',
		strong: true,
	},
	{ pattern: re(`no more (?:texting|${MSG})`), language: 'en', strong: true },
	{ pattern: re('unsubscribe\\w*|unsub'), language: 'en', strong: true, unless: { words: NEGATIONS, window: 3 } },
	{ pattern: re('opt (?:me )?out|optout'), language: 'en', strong: true, unless: { words: NEGATIONS, window: 3 } },
	{
		pattern: re('(?:revoke|withdraw)\\w* (?:my |all |your )?(?:consent|permission)'),
		language: 'en',
		strong: true,
	},
	{ pattern: re('revok\\w*'), language: 'en', strong: false, unless: { words: NEGATIONS, window: 3 } },
	{
		pattern: re(
			'(?:take|remove|delete) (?:me|my (?:phone )?number) (?:off|from) ' +
				'(?:of )?(?:your |the |this |ur |all )?(?:\\w+ )?list',
		),
		language: 'en',
		strong: true,
	},
	{ pattern: re('take my (?:phone )?number off'), language: 'en', strong: true },
	{ pattern: re('(?:delete|lose|erase|remove) my (?:phone )?number'), language: 'en', strong: true },
	{ pattern: re('remove me'), language: 'en', strong: false },
	// "Do not text", "please don't message this number": the whole clause, so "I don't text much" stays a reply.
	{
		pattern: new RegExp(
			"(?:^| )(?:don't|dont|do not|never) (?:text|txt|sms|message|msg)" +
				'(?: (?:this number|me|again|anymore|any more|please))*$',
		),
		language: 'en',
		strong: false,
	},
	{ pattern: re('wrong (?:number|person)'), language: 'en', strong: false, unless: { words: NEGATIONS, window: 2 } },
	{ pattern: re('leave me alone'), language: 'en', strong: false },
	{
		pattern: re(`(?:end|cancel) (?:the |these |my |all |all the |your |ur )?(?:${MSG}|subscription)`),
		language: 'en',
		strong: false,
	},
	// Spanish
	{
		pattern: re(`no me ${SEND_ES} (?:mas|mensajes|textos|sms)`),
		language: 'es',
		strong: true,
	},
	{
		pattern: re(`no me ${SEND_ES}`),
		language: 'es',
		strong: false,
	},
	{
		pattern: re('(?:deja|dejen|deje|dejar|para|paren|pare) de (?:enviar|mandar|escribir|textear|contactar|llamar)\\w*'),
		language: 'es',
		strong: true,
	},
	{ pattern: re('(?:dame|denme|darme|deme|darse|me doy) de baja'), language: 'es', strong: true },
	{ pattern: re('no (?:quiero|deseo) (?:recibir )?(?:mas )?(?:mensajes|textos|sms)'), language: 'es', strong: true },
	{ pattern: re('no mas (?:mensajes|textos|sms)'), language: 'es', strong: true },
	{ pattern: re('basta (?:de|con) (?:mensajes|textos|sms)'), language: 'es', strong: true },
	{
		pattern: re('(?:borr|elimin|quit|saqu|sac)\\w* (?:mi numero|me de (?:la |su |tu |esta )?lista)'),
		language: 'es',
		strong: true,
	},
	// The pronoun joined to the verb: "quítame", "bórrenme", "sáquenme de su lista".
	{ pattern: re('(?:borr|elimin|quit|saqu|sac)\\w*me de (?:la |su |tu |esta )?lista'), language: 'es', strong: true },
	{
		pattern: re('(?:cancelar|cancela|cancelen) (?:los |mis |sus |estos )?(?:mensajes|textos|suscripcion)'),
		language: 'es',
		strong: false,
	},
	{ pattern: re('desuscrib\\w*'), language: 'es', strong: true },
	// French
	{
		pattern: re("(?:arret|cess)\\w* (?:de |d')(?:m'|me )?(?:envoy|ecri|text|contact|appel)\\w*"),
		language: 'fr',
		strong: true,
	},
	{ pattern: re('desabonn\\w*|desinscri\\w*'), language: 'fr', strong: true },
	{ pattern: re("ne plus (?:m'|me )?(?:envoy|ecri|text|contact)\\w*"), language: 'fr', strong: true },
	{ pattern: re('ne plus recevoir'), language: 'fr', strong: true },
	{
		pattern: re('ne (?:veux|veut|voulons|souhaite|desire) plus (?:recevoir|de (?:messages|textos|texto|sms)|de vos)'),
		language: 'fr',
		strong: true,
	},
	{
		pattern: re(
			"ne (?:m'envoyez|m'envoie|m'envoyer|m'ecrivez|m'ecris|me textez|me texte|me contactez|me contacte) plus",
		),
		language: 'fr',
		strong: true,
	},
	{
		pattern: re(
			'(?:retirez|enlevez|supprimez|effacez|retire|enleve|supprime) ' +
				'(?:moi (?:de (?:votre|la|ta|cette|vos) liste)|mon numero)',
		),
		language: 'fr',
		strong: true,
	},
];
