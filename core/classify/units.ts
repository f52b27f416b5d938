import type { Language, Token } from './text';

/** What numbers with units say about the place: read from the caller's words, in the units of their country. */
export interface Readings {
	/** Inside temperatures, in °F, with the words said. */
	inside: { f: number; said: string }[];
	/** Outside (or unplaced) temperatures, in °F. */
	outside: { f: number; said: string }[];
	/** Standing water, in inches. */
	waterInches?: { inches: number; said: string };
	/** Hours without power or heat, when said. */
	hoursWithout?: { hours: number; said: string };
}

const NUMBER_WORDS: Record<string, number> = {
	one: 1,
	two: 2,
	three: 3,
	four: 4,
	five: 5,
	six: 6,
	seven: 7,
	eight: 8,
	nine: 9,
	ten: 10,
	twelve: 12,
	un: 1,
	una: 1,
	uno: 1,
	dos: 2,
	tres: 3,
	cuatro: 4,
	cinco: 5,
	seis: 6,
	siete: 7,
	ocho: 8,
	nueve: 9,
	diez: 10,
	doce: 12,
	une: 1,
	deux: 2,
	trois: 3,
	quatre: 4,
	cinq: 5,
	sept: 7,
	huit: 8,
	neuf: 9,
	dix: 10,
	douze: 12,
};
const DEGREES = new Set([
	'degrees',
	'degree',
	'deg',
	'grados',
	'grado',
	'degrés',
	'degrés',
	'degres',
	'degré',
	'f',
	'c',
	'fahrenheit',
	'celsius',
]);
const CELSIUS = new Set(['c', 'celsius']);
const FAHRENHEIT = new Set(['f', 'fahrenheit']);
const INSIDE = new Set([
	'inside',
	'indoors',
	'house',
	'home',
	'upstairs',
	'downstairs',
	'room',
	'apartment',
	'dentro',
	'adentro',
	'casa',
	'cuarto',
	'maison',
	'intérieur',
	'dedans',
	'chambre',
]);
const OUTSIDE = new Set([
	'outside',
	'out',
	'outdoors',
	'today',
	'tonight',
	'weather',
	'afuera',
	'fuera',
	'hoy',
	'dehors',
	'extérieur',
	'aujourd',
]);
// A number followed by one of these is not a temperature ("20 year old", "10 percent", "11 at night").
const NOT_TEMPERATURE = new Set([
	'year',
	'years',
	'yr',
	'percent',
	'minutes',
	'min',
	'hours',
	'hour',
	'days',
	'day',
	'months',
	'month',
	'weeks',
	'week',
	'inches',
	'inch',
	'feet',
	'foot',
	'square',
	'amps',
	'at',
	'pm',
	'am',
	'of',
	'times',
	'años',
	'año',
	'horas',
	'días',
	'meses',
	'pulgadas',
	'de',
	'ans',
	'heures',
	'jours',
	'mois',
	'pouces',
	'o',
	'h',
]);
const INCHES = new Set(['inch', 'inches', 'in', 'pulgada', 'pulgadas', 'pouce', 'pouces']);
const CENTIMETRES = new Set(['cm', 'centimeters', 'centímetros', 'centimètres']);
const WATER = new Set(['water', 'agua', 'eau']);
const HOURS = new Set(['hours', 'hour', 'hrs', 'horas', 'hora', 'heures', 'heure']);
const WITHOUT = new Set(['without', 'no', 'sin', 'sans', 'out']);

function numberAt(t: Token): number | undefined {
	const c = t.word.charCodeAt(0);
	if (c >= 48 && c <= 57) return /^\d{1,3}$/.test(t.word) ? Number(t.word) : undefined;
	return NUMBER_WORDS[t.word];
}

function near(tokens: Token[], i: number, words: Set<string>, before: number, after: number): boolean {
	for (let j = Math.max(0, i - before); j <= Math.min(tokens.length - 1, i + after); j++) {
		if (j !== i && tokens[j].sentence === tokens[i].sentence && words.has(tokens[j].word)) return true;
	}
	return false;
}

/**
 * Temperatures ("it's 50 degrees in the house", "98 outside"), inches of water, hours without power. Canada and
 * French messages read degrees as Celsius unless the caller says F.
 */
export function readUnits(tokens: Token[], language: Language, country: string): Readings {
	const r: Readings = { inside: [], outside: [] };
	const celsiusCountry = language === 'fr' || country === 'CA';
	for (let i = 0; i < tokens.length; i++) {
		const n = numberAt(tokens[i]);
		if (n === undefined) continue;
		const next = tokens[i + 1]?.word ?? '';
		const next2 = tokens[i + 2]?.word ?? '';
		const said = tokens
			.slice(i, i + 3)
			.map((t) => t.word)
			.join(' ');
		if ((INCHES.has(next) || CENTIMETRES.has(next)) && (WATER.has(next2) || WATER.has(tokens[i + 3]?.word ?? ''))) {
			const inches = CENTIMETRES.has(next) ? n / 2.54 : n;
			if (!r.waterInches || inches > r.waterInches.inches) r.waterInches = { inches, said };
			continue;
		}
		if (
			HOURS.has(next) &&
			(near(tokens, i, WITHOUT, 3, 3) ||
				near(tokens, i, new Set(['power', 'luz', 'courant', 'heat', 'calefacción', 'chauffage']), 4, 4))
		) {
			if (!r.hoursWithout || n > r.hoursWithout.hours) r.hoursWithout = { hours: n, said };
			continue;
		}
		if (!/^\d{1,3}$/.test(tokens[i].word) || NOT_TEMPERATURE.has(next) || (next === 'out' && next2 === 'of')) continue;
		const hasUnit = DEGREES.has(next) || next === '°';
		const inside = near(tokens, i, INSIDE, 4, 4);
		const outside = near(tokens, i, OUTSIDE, 3, 3);
		if (!hasUnit && !inside && !outside) continue;
		const celsius =
			CELSIUS.has(next) || CELSIUS.has(next2) || (celsiusCountry && !FAHRENHEIT.has(next) && !FAHRENHEIT.has(next2));
		const f = celsius ? n * 1.8 + 32 : n;
		if (f < -40 || f > 125) continue;
		(inside && !outside ? r.inside : r.outside).push({ f, said });
	}
	return r;
}
