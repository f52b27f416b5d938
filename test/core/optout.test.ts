import fc from 'fast-check';
import {
	classifyKeyword,
	keywordOf,
	normalize,
	normalizeText,
	parseProfile,
	revocationIn,
	RecoveryInputError,
	type OptOutKeyword,
} from '../../core';
import { runs } from '../helpers/runs';

type Row = [message: string, keyword: OptOutKeyword | undefined, language?: 'en' | 'es' | 'fr'];

/** Replies that opt out: the carriers' keywords, the wordings of issue #19, and what people really send. */
const OPT_OUT: Row[] = [
	// Exact keywords, as carriers and Twilio treat them, with punctuation, quotes, hyphens and case forgiven
	['STOP', 'stop', 'en'],
	['stop', 'stop', 'en'],
	['Stop.', 'stop', 'en'],
	['stop?', 'stop', 'en'],
	['STOP!!!', 'stop', 'en'],
	['"STOP"', 'stop', 'en'],
	["'stop'", 'stop', 'en'],
	['  Stop  ', 'stop', 'en'],
	['STOPALL', 'stop', 'en'],
	['STOP-ALL', 'stop', 'en'],
	['stop all', 'stop', 'en'],
	['UNSUBSCRIBE', 'stop', 'en'],
	['Cancel', 'stop', 'en'],
	['END', 'stop', 'en'],
	['quit', 'stop', 'en'],
	['REVOKE', 'stop', 'en'],
	['OPTOUT', 'stop', 'en'],
	['opt-out', 'stop', 'en'],
	['Opt out', 'stop', 'en'],
	['s.t.o.p', 'stop', 'en'],
	['STOP STOP STOP', 'stop', 'en'],
	['Remove', 'stop', 'en'],
	['unsub', 'stop', 'en'],
	// Keyword with politeness around it
	['stop please', 'stop', 'en'],
	['please stop', 'stop', 'en'],
	['Please stop!', 'stop', 'en'],
	['STOP NOW', 'stop', 'en'],
	['I said STOP', 'stop', 'en'],
	['Stop it', 'stop', 'en'],
	['cancel please', 'stop', 'en'],
	['End please', 'stop', 'en'],
	['stop, thank you', 'stop', 'en'],
	['ok stop', 'stop', 'en'],
	['No more', 'stop', 'en'],
	['Please just stop.', 'stop', 'en'],
	// Keyword in a sentence
	['Stop texting me', 'stop', 'en'],
	['stop texting me please', 'stop', 'en'],
	['Please stop sending me messages', 'stop', 'en'],
	['stop messaging me', 'stop', 'en'],
	['Can you stop texting me?', 'stop', 'en'],
	['Why won’t you stop texting me', 'stop', 'en'],
	['quit sending me messages', 'stop', 'en'],
	['Stop contacting me', 'stop', 'en'],
	['stop calling and texting me', 'stop', 'en'],
	['stop the texts', 'stop', 'en'],
	['Stop sending these messages', 'stop', 'en'],
	['Who is this? STOP', 'stop', 'en'],
	['Wrong number. Stop.', 'stop', 'en'],
	['Already fixed it, stop', 'stop', 'en'],
	['unsubscribe me', 'stop', 'en'],
	['Please unsubscribe me from this list', 'stop', 'en'],
	['how do I unsubscribe', 'stop', 'en'],
	['opt me out', 'stop', 'en'],
	['Please opt me out of texts', 'stop', 'en'],
	['take me off your list', 'stop', 'en'],
	['Take me off your mailing list please', 'stop', 'en'],
	['remove me from your list', 'stop', 'en'],
	['Remove my number', 'stop', 'en'],
	['lose my number', 'stop', 'en'],
	['no more texts', 'stop', 'en'],
	['No more messages please', 'stop', 'en'],
	["don't text me", 'stop', 'en'],
	['Don’t text me again', 'stop', 'en'],
	['do not contact me', 'stop', 'en'],
	['Never text me again', 'stop', 'en'],
	['dont message me', 'stop', 'en'],
	["I don't want these texts", 'stop', 'en'],
	['I do not want any more messages', 'stop', 'en'],
	['I revoke my consent', 'stop', 'en'],
	['leave me alone', 'stop', 'en'],
	["Don't text me, call me instead", 'stop', 'en'],
	['\u{1F6D1}', 'stop', 'en'],
	['\u{1F6D1}\u{1F6D1}', 'stop', 'en'],
	['\u{1F6D1} please', 'stop', 'en'],
	// Unicode: full-width, invisible characters, look-alikes
	['ＳＴＯＰ', 'stop', 'en'],
	['S\u200BT\u200BO\u200BP', 'stop', 'en'],
	['\u200BSTOP\u200D', 'stop', 'en'],
	['\u202ESTOP\u202C', 'stop', 'en'],
	['\uFEFFstop', 'stop', 'en'],
	['ЅТОР', 'stop', 'en'],
	['SΤΟΡ', 'stop', 'en'],
	['𝐒𝐓𝐎𝐏', 'stop', 'en'],
	['Ⓢⓣⓞⓟ', 'stop', 'en'],
	['ｕｎｓｕｂｓｃｒｉｂｅ', 'stop', 'en'],
	// Said without a keyword: a wrong number, no interest, no texts, go away, a misspelt STOP, a question
	['Wrong number', 'stop', 'en'],
	['wrong #', 'stop', 'en'],
	['Sorry, you have the wrong number', 'stop', 'en'],
	['not interested', 'stop', 'en'],
	['Not interested, thanks', 'stop', 'en'],
	['Do not text', 'stop', 'en'],
	["Please don't text this number again", 'stop', 'en'],
	['Do not text, call me instead', 'stop', 'en'],
	['no texts please', 'stop', 'en'],
	['this is spam', 'stop', 'en'],
	['Take me off', 'stop', 'en'],
	['Go away', 'stop', 'en'],
	['F off', 'stop', 'en'],
	['stopp', 'stop', 'en'],
	['Stahp!', 'stop', 'en'],
	['Can you stop?', 'stop', 'en'],
	['Could you please stop', 'stop', 'en'],
	['Quit it', 'stop', 'en'],
	['Número equivocado', 'stop', 'es'],
	['No moleste', 'stop', 'es'],
	['Ne plus m’envoyer de messages', 'stop', 'fr'],
	// Spanish
	['ALTO', 'stop', 'es'],
	['alto por favor', 'stop', 'es'],
	['PARAR', 'stop', 'es'],
	['BASTA', 'stop', 'es'],
	['¡Basta ya!', 'stop', 'es'],
	['cancelar', 'stop', 'es'],
	['Baja', 'stop', 'es'],
	['No más', 'stop', 'es'],
	['no me envíes más mensajes', 'stop', 'es'],
	['No me envíen más textos por favor', 'stop', 'es'],
	['No me escriba', 'stop', 'es'],
	['deja de enviarme mensajes', 'stop', 'es'],
	['Dejen de mandarme textos', 'stop', 'es'],
	['quiero darme de baja', 'stop', 'es'],
	['No quiero recibir más mensajes', 'stop', 'es'],
	['no mas mensajes', 'stop', 'es'],
	['Bórrenme de su lista', 'stop', 'es'],
	['Quítame de la lista', 'stop', 'es'],
	['Alto, no me escriba más', 'stop', 'es'],
	// French (Canada)
	['ARRÊT', 'stop', 'fr'],
	['ARRET', 'stop', 'fr'],
	['arrêt svp', 'stop', 'fr'],
	['Arrête!', 'stop', 'fr'],
	['Arrêtez de m’envoyer des messages', 'stop', 'fr'],
	["arrêtez d'envoyer des textos", 'stop', 'fr'],
	['désabonner', 'stop', 'fr'],
	['Désabonnez-moi', 'stop', 'fr'],
	['je veux me désinscrire', 'stop', 'fr'],
	['Je ne veux plus recevoir de messages', 'stop', 'fr'],
	['ne plus recevoir', 'stop', 'fr'],
	['Ne m’envoyez plus de textos', 'stop', 'fr'],
	['Retirez-moi de votre liste', 'stop', 'fr'],
	['annuler', 'stop', 'fr'],
];

/** Replies that must not opt anyone out, in, or count as HELP: people describing a job, or answering. */
const NOT_OPT_OUT: Row[] = [
	["don't stop by tomorrow, call me", undefined],
	["the leak won't stop", undefined],
	['can you stop by at 3', undefined],
	["water won't stop running", undefined],
	['the end of the pipe is cracked', undefined],
	// Decided: cancelling the job is not revoking consent to texts; the owner sees the reply.
	['cancel my appointment and reschedule', undefined],
	['Cancel the appointment please', undefined],
	['Stop by anytime after 2', undefined],
	['Please stop by before noon', undefined],
	['It keeps dripping and will not stop', undefined],
	["The toilet won't stop running", undefined],
	['I can’t stop the water', undefined],
	['Please help stop the leak', undefined],
	['Make it stop, the basement is flooding', undefined],
	["He won't stop calling me about the bill", undefined],
	["I don't want to unsubscribe, just call me", undefined],
	['The shutoff valve is at the end of the hall', undefined],
	['At the bus stop now, call in 10 min', undefined],
	['Put a stop sign on the invoice lol', undefined],
	['Quitting time is 5, come before', undefined],
	['My AC quit working', undefined],
	['Yes please call me', undefined],
	['yes please', undefined],
	['Yes, tomorrow at 9 works', undefined],
	['Help! water everywhere', undefined],
	['Can you help me with my furnace?', undefined],
	['info about pricing?', undefined],
	['el agua no para de salir', undefined],
	['La fuga no se detiene', undefined],
	['Sí, llámeme por favor', undefined],
	['Le robinet ne veut pas arrêter de couler', undefined],
	["L'arrêt de bus est devant la maison", undefined],
	['Not interested in the promo, but fix my sink', undefined],
	["I'm not interested in a new heater, just a repair", undefined],
	["It's not the wrong number, call me back", undefined],
	['I dont text much, please call', undefined],
	['Wrong time, call me tomorrow', undefined],
	['I can stop by the shop at 3', undefined],
	['Can you end the job by Friday?', undefined],
	['No', undefined],
	['Thanks!', undefined],
	['', undefined],
	['\u200B\u200B', undefined],
	['😀👍', undefined],
];

/** Replies that re-subscribe, or ask for help: only the keyword alone. */
const START_AND_HELP: Row[] = [
	['START', 'start', 'en'],
	['Start.', 'start', 'en'],
	['unstop', 'start', 'en'],
	['YES', 'start', 'en'],
	['yes!', 'start', 'en'],
	['ＹＥＳ', 'start', 'en'],
	['HELP', 'help', 'en'],
	['help?', 'help', 'en'],
	['INFO', 'help', 'en'],
	['AYUDA', 'help', 'es'],
	['Aide', 'help', 'fr'],
];

describe('classifyKeyword: every reply of the table', () => {
	// Every row gets three values: jest reads a test function with more parameters than values as taking `done`.
	const all = [...OPT_OUT, ...NOT_OPT_OUT, ...START_AND_HELP].map(([m, k, l]) => [m, k, l ?? 'none'] as const);

	test('the table is large enough to mean something', () => {
		expect(all.length).toBeGreaterThanOrEqual(80);
		expect(NOT_OPT_OUT.length).toBeGreaterThanOrEqual(25);
		for (const lang of ['en', 'es', 'fr'])
			expect(OPT_OUT.filter((r) => r[2] === lang).length).toBeGreaterThanOrEqual(10);
	});

	test.each(all)('%j is %s (%s)', (message, keyword, language) => {
		const got = classifyKeyword(message);
		expect(got.keyword).toBe(keyword);
		if (keyword) {
			expect(got.language).toBe(language);
			expect(got.matched).toBeTruthy();
		}
	});

	test.each(all)('keywordOf(%j) still answers %s for older callers', (message, keyword) => {
		expect(keywordOf(message)).toBe(keyword);
	});

	test('the match says what was recognised', () => {
		expect(classifyKeyword('Stop texting me')).toEqual({ keyword: 'stop', matched: 'stop texting', language: 'en' });
		expect(classifyKeyword('STOP-ALL')).toEqual({ keyword: 'stop', matched: 'stopall', language: 'en' });
		expect(classifyKeyword('ARRÊT')).toEqual({ keyword: 'stop', matched: 'arret', language: 'fr' });
		expect(classifyKeyword('\u{1F6D1}')).toEqual({ keyword: 'stop', matched: '\u{1F6D1}', language: 'en' });
		expect(classifyKeyword('the leak will not stop')).toEqual({ keyword: undefined });
	});
});

describe("a business's own words", () => {
	const opts = { extraStop: ['NO THANKS', 'Nein'], extraStart: ['Rejoin'] };

	test('opt out and in as whole replies, like STOP and START', () => {
		expect(classifyKeyword('No thanks!', opts)).toEqual({ keyword: 'stop', matched: 'nothanks' });
		expect(classifyKeyword('nein', opts).keyword).toBe('stop');
		expect(classifyKeyword('REJOIN', opts)).toEqual({ keyword: 'start', matched: 'rejoin' });
		expect(classifyKeyword('no thanks, I found a plumber, but rejoin me later', opts).keyword).toBeUndefined();
		expect(classifyKeyword('No thanks!').keyword).toBeUndefined();
		expect(classifyKeyword('STOP', opts).keyword).toBe('stop');
	});

	test('reach the inbound message through NormalizeOptions, per business', () => {
		const sms = (body: string, to: string) =>
			normalize(
				'twilio',
				{ AccountSid: 'AC' + '1'.repeat(32), MessageSid: 'SM1', From: '+13125550123', To: to, Body: body },
				{
					businessFor: (n) => (n === '+13125550199' ? 'acme' : 'other'),
					optOutWords: (id) => (id === 'acme' ? { stopWords: ['no thanks'], startWords: [] } : undefined),
				},
			);
		expect(sms('No thanks', '+13125550199')).toMatchObject({
			kind: 'inbound-message',
			event: { keyword: 'stop', businessId: 'acme' },
		});
		const other = sms('No thanks', '+13125550100');
		expect(other.kind === 'inbound-message' && other.event.keyword).toBeUndefined();
		expect(sms('ＳＴＯＰ texting me', '+13125550100')).toMatchObject({ event: { keyword: 'stop' } });
	});

	test('live in the profile: empty by default, and a start word that already opts out is refused', () => {
		const base = { businessId: 'acme', name: 'Acme', timeZone: 'America/Chicago' };
		expect(parseProfile(base).optOut).toEqual({ stopWords: [], startWords: [] });
		expect(parseProfile({ ...base, optOut: { stopWords: ['NO THANKS'] } }).optOut).toEqual({
			stopWords: ['NO THANKS'],
			startWords: [],
		});
		const bad = () => parseProfile({ ...base, optOut: { startWords: ['Stop'] } });
		expect(bad).toThrow(RecoveryInputError);
		expect(bad).toThrow(/optOut\.startWords\.0.*"Stop" already opts out/);
		expect(() => parseProfile({ ...base, optOut: { stopWords: ['nope'], startWords: ['NOPE!'] } })).toThrow(
			/optOut\.startWords\.0/,
		);
		expect(() => parseProfile({ ...base, optOut: { stopWords: ['...'] } })).toThrow(/optOut\.stopWords\.0/);
	});
});

describe('revocationIn: free text such as a voicemail transcript', () => {
	test.each([
		['Hi, this is Dana. Please stop texting me, I already found someone.', 'stop texting'],
		["yeah don't text me just call me back at this number", "don't text me"],
		['quit sending me messages about the estimate', 'quit sending'],
		['I want you to take me off your list', 'take me off your list'],
		['hola, no me envíe más mensajes por favor', 'no me envie mas'],
		['bonjour, je ne veux plus recevoir de messages de votre part', 'ne veux plus recevoir'],
		['unsubscribe me from the text alerts', 'unsubscribe'],
	])('%j revokes (%s)', (text, phrase) => {
		expect(revocationIn(text)).toBe(phrase);
	});

	test.each([
		"Hi, my water heater is leaking and it won't stop, please call me back",
		'the leak will not stop, water everywhere, call me',
		'Stop. Stop by tomorrow if you can, I am home after 3',
		'can you stop by at 3',
		'STOP',
		'please stop',
		'my neighbor says the city will end the water service at the end of the month',
		'cancel my appointment for Tuesday and reschedule',
		"I'm calling because my furnace quit and it is freezing",
		'el agua no para, llámeme',
	])('%j is not a revocation', (text) => {
		expect(revocationIn(text)).toBeUndefined();
	});
});

describe('properties: what a reader sees decides, not the code points', () => {
	const stopMessages = OPT_OUT.map((r) => r[0]).filter((m) => /^[\x20-\x7e]+$/.test(m));
	const notMessages = NOT_OPT_OUT.map((r) => r[0]).filter((m) => /^[\x20-\x7e]+$/.test(m));
	const invisible = fc.constantFrom(
		'\u200B',
		'\u200C',
		'\u200D',
		'\u2060',
		'\uFEFF',
		'\u00AD',
		'\u200E',
		'\u200F',
		'\u202A',
		'\u202C',
		'\u202E',
		'\u2066',
		'\u2069',
		'\uFE0F',
		'\u034F',
	);

	/** Inserts invisible characters before some characters of the message. */
	const withInvisible = (pool: string[]) =>
		fc
			.tuple(fc.constantFrom(...pool), fc.array(fc.tuple(fc.nat(), invisible), { minLength: 1, maxLength: 8 }))
			.map(([m, inserts]) => {
				const chars = [...m];
				for (const [at, ch] of inserts) chars.splice(at % (chars.length + 1), 0, ch);
				return { original: m, variant: chars.join('') };
			});

	test('zero-width and bidi characters inserted anywhere change nothing', () => {
		fc.assert(
			fc.property(withInvisible(stopMessages), ({ variant }) => {
				expect(classifyKeyword(variant).keyword).toBe('stop');
			}),
			{ numRuns: runs(2000) },
		);
		fc.assert(
			fc.property(withInvisible(notMessages), ({ original, variant }) => {
				expect(classifyKeyword(variant).keyword).toBe(classifyKeyword(original).keyword);
			}),
			{ numRuns: runs(1000) },
		);
	});

	test('any mix of upper and lower case still opts out', () => {
		fc.assert(
			fc.property(fc.constantFrom(...OPT_OUT.map((r) => r[0])), fc.array(fc.boolean(), { minLength: 60 }), (m, up) => {
				const variant = [...m].map((c, i) => (up[i % up.length] ? c.toUpperCase() : c.toLowerCase())).join('');
				expect(classifyKeyword(variant).keyword).toBe('stop');
			}),
			{ numRuns: runs(2000) },
		);
	});

	/** Forms of a letter that NFKC or the look-alike folding turn back into it. */
	const FULL_WIDTH = (c: string) => String.fromCodePoint(c.codePointAt(0)! - 0x21 + 0xff01);
	const MATH_BOLD = (c: string) =>
		/[A-Z]/.test(c)
			? String.fromCodePoint(0x1d400 + c.charCodeAt(0) - 65)
			: /[a-z]/.test(c)
				? String.fromCodePoint(0x1d41a + c.charCodeAt(0) - 97)
				: c;
	const LOOK_ALIKE: Record<string, string> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', S: 'Ѕ', T: 'Т', O: 'Ο', P: 'Р' };
	const forms = [FULL_WIDTH, MATH_BOLD, (c: string) => LOOK_ALIKE[c] ?? c, (c: string) => c];

	test('full-width, mathematical and look-alike letters, and decomposed accents, still opt out', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(...OPT_OUT.map((r) => r[0])),
				fc.array(fc.nat(forms.length - 1), { minLength: 60 }),
				fc.boolean(),
				(m, pick, decompose) => {
					const base = decompose ? m.normalize('NFD') : m;
					const variant = [...base].map((c, i) => (/[A-Za-z]/.test(c) ? forms[pick[i % pick.length]](c) : c)).join('');
					expect(classifyKeyword(variant).keyword).toBe('stop');
				},
			),
			{ numRuns: runs(2000) },
		);
	});

	test('START only re-subscribes alone: a word after it makes it a reply', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('START', 'yes', 'Unstop', 'YES!'),
				fc.constantFrom('call', 'me', 'tomorrow', 'at', 'the', 'house', 'sure', 'fix', 'it', '9am'),
				(k, w) => {
					expect(classifyKeyword(`${k} ${w}`).keyword).not.toBe('start');
				},
			),
		);
	});

	test('any text is classified without throwing, and normalizeText is idempotent', () => {
		fc.assert(
			fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
				classifyKeyword(s);
				revocationIn(s);
				const once = normalizeText(s);
				expect(normalizeText(once)).toBe(once);
			}),
			{ numRuns: runs(3000) },
		);
	});
});

describe('normalizeText', () => {
	test.each([
		['ＳＴＯＰ', 'stop'],
		['ҺЕLP', 'help'],
		['S\u200BT\u2060O\uFEFFP', 'stop'],
		['ЅТОР', 'stop'],
		['ARRÊT', 'arret'],
		['no me envíes más', 'no me envies mas'],
		['Don’t  text\nme', "don't text me"],
		['“STOP”', '"stop"'],
		['opt–out', 'opt-out'],
		['ﬁx', 'fix'],
	])('%j reads as %j', (input, out) => {
		expect(normalizeText(input)).toBe(out);
	});
});
