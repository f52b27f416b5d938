/**
 * Trade presets as data: the words that mark danger, urgency or a relaxed request, and the service types
 * a business of that trade handles. Agencies extend them per business in the profile's `classification`.
 */
export const TRADES = ['hvac', 'plumbing', 'electrical', 'roofing', 'dental', 'legal', 'locksmith', 'general'] as const;
export type Trade = (typeof TRADES)[number];

export interface TradePreset {
	label: string;
	/** Danger to people or property: always an emergency. */
	emergencyWords: string[];
	/** Needs attention today. */
	highWords: string[];
	/** Shopping around, no rush. */
	lowWords: string[];
	/** Service types with the words that reveal them; the first listed is the default. */
	services: { type: string; words: string[] }[];
	/** After-hours calls in this trade are usually urgent (a burst pipe at night), so they lean higher. */
	afterHoursLeansUrgent: boolean;
}

/** Safety words shared by every trade: a caller who says these is in danger whatever the business does. */
export const SAFETY_WORDS = [
	'gas smell',
	'smell gas',
	'smells like gas',
	'gas leak',
	'carbon monoxide',
	'co alarm',
	'co detector',
	'sparks',
	'sparking',
	'smoke',
	'smoking outlet',
	'burning smell',
	'smells like burning',
	'fire',
	'flooding',
	'flooded',
	'burst pipe',
	'pipe burst',
	'water everywhere',
	'sewer backup',
	'sewage',
	'no heat',
	'frozen pipe',
	'electrocuted',
	'shock',
	'unconscious',
	'bleeding',
];

export const LOW_WORDS = [
	'quote',
	'estimate',
	'price',
	'pricing',
	'how much',
	'no rush',
	'whenever',
	'next month',
	'brochure',
	'information',
];

export const PRESETS: Record<Trade, TradePreset> = {
	hvac: {
		label: 'HVAC',
		emergencyWords: ['no heat', 'furnace smoke', 'carbon monoxide', 'gas smell'],
		highWords: [
			'no ac',
			'no air',
			'not cooling',
			'not heating',
			'ac broke',
			'furnace',
			'heat pump',
			'too hot',
			'freezing',
		],
		lowWords: ['tune up', 'tune-up', 'maintenance', 'filter', 'new system quote'],
		services: [
			{
				type: 'repair',
				words: ['broken', 'not working', 'not cooling', 'not heating', 'no heat', 'no ac', 'noise', 'leak'],
			},
			{ type: 'maintenance', words: ['tune up', 'tune-up', 'maintenance', 'service plan', 'filter'] },
			{ type: 'installation', words: ['install', 'replace', 'new system', 'new unit', 'quote'] },
		],
		afterHoursLeansUrgent: true,
	},
	plumbing: {
		label: 'Plumbing',
		emergencyWords: ['burst pipe', 'water everywhere', 'flooding', 'sewer backup', 'gas smell'],
		highWords: [
			'leak',
			'leaking',
			'clog',
			'clogged',
			'no hot water',
			'water heater',
			'overflowing',
			'backed up',
			'basement',
		],
		lowWords: ['remodel', 'new fixture', 'faucet upgrade'],
		services: [
			{ type: 'leak', words: ['leak', 'leaking', 'drip', 'burst', 'water everywhere', 'flooding'] },
			{ type: 'drain', words: ['clog', 'clogged', 'drain', 'backed up', 'sewer', 'toilet'] },
			{ type: 'water-heater', words: ['water heater', 'no hot water', 'tankless'] },
			{ type: 'installation', words: ['install', 'remodel', 'fixture', 'faucet', 'replace'] },
		],
		afterHoursLeansUrgent: true,
	},
	electrical: {
		label: 'Electrical',
		emergencyWords: ['sparks', 'sparking', 'burning smell', 'smoke', 'shock', 'exposed wire'],
		highWords: ['no power', 'power out', 'breaker', 'outage', 'flickering', 'outlet not working'],
		lowWords: ['ev charger', 'lighting upgrade', 'ceiling fan'],
		services: [
			{ type: 'repair', words: ['no power', 'breaker', 'outlet', 'flickering', 'sparks', 'short'] },
			{ type: 'panel', words: ['panel', 'service upgrade', 'fuse box'] },
			{ type: 'installation', words: ['install', 'ev charger', 'lighting', 'ceiling fan', 'generator'] },
		],
		afterHoursLeansUrgent: true,
	},
	roofing: {
		label: 'Roofing',
		emergencyWords: ['roof collapsed', 'tree on roof', 'water pouring', 'ceiling caving'],
		highWords: ['leak', 'leaking', 'storm damage', 'hail', 'missing shingles', 'tarp'],
		lowWords: ['inspection', 'gutter', 'new roof quote'],
		services: [
			{ type: 'repair', words: ['leak', 'leaking', 'shingles', 'storm', 'hail', 'damage'] },
			{ type: 'replacement', words: ['new roof', 'replace', 'replacement'] },
			{ type: 'inspection', words: ['inspection', 'insurance', 'gutter'] },
		],
		afterHoursLeansUrgent: false,
	},
	dental: {
		label: 'Dental',
		emergencyWords: ['swelling', 'swollen face', "can't stop bleeding", 'knocked out', 'abscess'],
		highWords: ['toothache', 'tooth pain', 'broken tooth', 'chipped', 'lost filling', 'crown fell'],
		lowWords: ['cleaning', 'checkup', 'whitening', 'new patient'],
		services: [
			{ type: 'emergency-visit', words: ['pain', 'toothache', 'broken', 'swelling', 'knocked out', 'bleeding'] },
			{ type: 'cleaning', words: ['cleaning', 'checkup', 'hygiene'] },
			{ type: 'cosmetic', words: ['whitening', 'veneers', 'invisalign', 'braces'] },
			{ type: 'new-patient', words: ['new patient', 'insurance'] },
		],
		afterHoursLeansUrgent: false,
	},
	legal: {
		label: 'Legal',
		emergencyWords: ['arrested', 'in jail', 'custody hearing tomorrow', 'served today', 'restraining order'],
		highWords: ['court date', 'deadline', 'accident', 'injured', 'eviction', 'served'],
		lowWords: ['will', 'estate planning', 'consultation', 'general question'],
		services: [
			{ type: 'criminal', words: ['arrested', 'jail', 'dui', 'charged', 'bail'] },
			{ type: 'personal-injury', words: ['accident', 'injured', 'injury', 'crash'] },
			{ type: 'family', words: ['divorce', 'custody', 'child support'] },
			{ type: 'estate', words: ['will', 'estate', 'trust', 'probate'] },
		],
		afterHoursLeansUrgent: false,
	},
	locksmith: {
		label: 'Locksmith',
		emergencyWords: ['locked out', 'child locked', 'kid locked', 'break in', 'broken into'],
		highWords: ['lost keys', 'lock broken', 'car lockout', 'key stuck'],
		lowWords: ['rekey', 'new locks quote', 'smart lock'],
		services: [
			{ type: 'lockout', words: ['locked out', 'lockout', 'lost keys'] },
			{ type: 'rekey', words: ['rekey', 're-key', 'change locks'] },
			{ type: 'installation', words: ['install', 'smart lock', 'deadbolt'] },
		],
		afterHoursLeansUrgent: true,
	},
	general: {
		label: 'General services',
		emergencyWords: [],
		highWords: ['urgent', 'asap', 'emergency', 'today', 'right away'],
		lowWords: [],
		services: [{ type: 'general', words: [] }],
		afterHoursLeansUrgent: false,
	},
};
