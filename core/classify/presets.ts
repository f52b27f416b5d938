import type { Macros } from './match';
import type { Language } from './text';

/**
 * Trade presets as data: the words that mark danger, urgency or a relaxed request, and the service types
 * a business of that trade handles. Agencies extend them per business in the profile's `classification`.
 *
 * Entries are patterns (see match.ts): stemmed, so one entry covers its inflections; `...` allows a small gap;
 * `a|b` lists alternatives; `{name}` uses a word list from MACROS; `A ~ B` takes either order; `!x` means "x is
 * absent" ("no heat", "sin luz", "pas de chauffage"). A negated mention ("no smoke, the outlet is just dead") is
 * heard and not counted.
 *
 * What counts as an emergency, per trade, follows what dispatch and "is it an emergency" guides tell callers:
 * - HVAC: "What Counts as an HVAC Emergency", https://hvacrepairfrederick.com/service-areas/urbana/emergency/
 *   (no heat below 35 °F, no cooling above 90 °F with elderly or children, CO alarm, gas smell, burning odour);
 *   "Emergency Call Guidelines", https://nelsonsheatingandcooling.com/emergency-call-guidelines/ (inside 60 °F or
 *   lower, 80 °F or higher; sparks or smoke; refrigerant or water leaks); "When Is HVAC an Emergency?",
 *   https://heatandcoolinghayward.com/blog/emergency-hvac-when-to-call (no AC in extreme heat is same-day; tune-ups
 *   and thermostat quirks can wait); "What qualifies as an HVAC emergency?",
 *   https://jphvacma.com/blog/what-qualifies-as-an-hvac-emergency (vulnerable occupants, frozen pipes).
 * - Plumbing: "What constitutes as an emergency plumbing issue?",
 *   https://homealliance.com/faq/what-constitutes-as-an-emergency-plumbing-issue (flooding, sewage, burst pipes,
 *   no running water); "When to Call an Emergency Plumber: 7 Situations",
 *   https://contractors-247.com/blog/when-to-call-an-emergency-plumber; "When To Call An Emergency Plumber",
 *   http://musicosi.com/2020/07/21/when-to-call-an-emergency-plumber/ (a small leak can wait; the only toilet cannot).
 * - Electrical: "Common Warning Signs of an Electrical Emergency",
 *   https://electricalinsight.com/common-warning-signs-of-an-electrical-emergency/ (sparking, smoking, buzzing
 *   panel, burning smell); "5 Signs Its Time to Call an Emergency Electrician",
 *   http://tomashirdman.com/2020/08/07/5-signs-its-time-to-call-an-emergency-electrician/ (water on outlets,
 *   shocks, scorched outlets); "2 Bad Smells Coming From Your Electrical Panel",
 *   https://www.sunsolarelectrical.ca/blog/bad-smells-coming-from-your-electrical-panel/ (a burning smell, "hot" or
 *   "melting", and a fishy smell from overheating wire insulation); "Warning Signs of an Electrical Emergency",
 *   https://www.lumoselectric.ca/warning-signs-of-an-electrical-emergency/ (burning plastic odours).
 * - Roofing: "Emergency Roof Repair: What to Do When Disaster Strikes",
 *   https://www.rivercityroofingsolutions.com/blog/emergency-roof-repair-guide (tree through the roof, sagging or
 *   collapsed sections, water pouring in are emergencies; leaks that stop with the rain and missing shingles without
 *   water inside are urgent).
 * - Dental: "Dental Emergency Triage",
 * https://jenchiangdds.com/sunnyvale-functional-dental-services/dental-emergency-triage/;
 *   "There Are A Few Types Of Dental Emergencies", https://montrose.getclear.ca/resources/emergency (knocked-out
 *   tooth, uncontrolled swelling or bleeding, severe pain).
 * - Legal: "When Should You Call an Attorney After an Arrest?",
 *   https://abovealllegal.com/when-should-you-call-an-attorney-after-an-arrest/ (custody, questioning, bail);
 *   "What Is an Eviction Summons and How Do You Respond?",
 *   https://legalclarity.org/what-is-an-eviction-summons-and-how-do-you-respond/ (answers due in as little as 5 days).
 * - Locksmith: "Child Locked in the Car Alone: What to Do",
 *   http://www.greenville-locksmiths.com/child-locked-in-the-car-alone-what-to-do/ (a child or pet in a car is an
 *   emergency: call 911 and a locksmith); "Locked Out on the Road Emergency Steps",
 *   https://romeo-wiki.win/index.php/Locked_Out_on_the_Road_Emergency_Steps_and_Calling_a_Locksmith (break-ins).
 */
export const TRADES = ['hvac', 'plumbing', 'electrical', 'roofing', 'dental', 'legal', 'locksmith', 'general'] as const;
export type Trade = (typeof TRADES)[number];

/** One language's words for a trade. */
export interface TradeWords {
	emergencyWords: string[];
	highWords: string[];
	lowWords: string[];
	/** A problem, but plainly not for today in this trade ("no pain", "we can still get in"). */
	calmWords?: string[];
	/** Size words that make the urgent word they qualify minor in this trade ("a small leak" in plumbing). */
	minorWords?: string[];
	/** Words per service type (the types are the English preset's). */
	services: Record<string, string[]>;
}

export interface TradePreset {
	label: string;
	/** Danger to people or property: always an emergency. */
	emergencyWords: string[];
	/** Needs attention today. */
	highWords: string[];
	/** Shopping around, no rush. */
	lowWords: string[];
	/** A problem, but plainly not for today in this trade ("no pain", "we can still get in"). */
	calmWords?: string[];
	/** Size words that make the urgent word they qualify minor in this trade ("a small leak" in plumbing). */
	minorWords?: string[];
	/** Service types with the words that reveal them; the first listed is the default. */
	services: { type: string; words: string[] }[];
	/** After-hours calls in this trade are usually urgent (a burst pipe at night), so they lean higher. */
	afterHoursLeansUrgent: boolean;
	/** Spanish and French words for the same trade (every trade has Spanish; French serves Canada). */
	es: TradeWords;
	fr: TradeWords;
}

/** Word lists behind `{name}` in patterns, per language. Single words only (they fill one place in a phrase). */
export const MACROS: Record<Language, Macros> = {
	en: {
		heat: ['heater', 'furnace', 'boiler', 'radiator', 'radiators', 'pilot', 'baseboard'],
		ac: ['ac', 'cooling', 'condenser', 'compressor', 'aircon'],
		broken: ['broken', 'broke', 'stopped', 'quit', 'died', 'dead', 'out', 'failed', 'conked', 'busted'],
		water: ['water', 'leak', 'leaking', 'dripping'],
		pour: ['pouring', 'gushing', 'spraying', 'streaming', 'flowing', 'raining', 'coming', 'leaking', 'dripping'],
		ceiling: ['ceiling', 'light', 'fixture', 'drywall', 'roof'],
		tree: ['tree', 'branch', 'limb', 'trunk'],
		child: ['child', 'kid', 'baby', 'toddler', 'son', 'daughter', 'infant', 'dog', 'pet', 'puppy'],
		car: ['car', 'vehicle', 'truck', 'suv', 'van'],
		outlet: ['outlet', 'outlets', 'socket', 'plug', 'switch', 'panel', 'breaker', 'wire', 'wires', 'wiring'],
		tooth: ['tooth', 'teeth', 'molar', 'crown', 'filling'],
	},
	es: {
		heat: ['calefacción', 'calefaccion', 'calentador', 'calentón', 'caldera', 'horno', 'radiador', 'piloto', 'calor'],
		ac: ['aire', 'clima', 'minisplit', 'enfría', 'enfria', 'compresor'],
		broken: ['descompuso', 'descompuesto', 'rompió', 'roto', 'dejó', 'murió', 'falla', 'apagó', 'sirve'],
		water: ['agua', 'fuga', 'gotera', 'goteando'],
		pour: ['cayendo', 'cae', 'entrando', 'entra', 'chorreando', 'saliendo', 'gotea', 'goteando'],
		ceiling: ['techo', 'lámpara', 'plafón', 'cielo'],
		tree: ['árbol', 'arbol', 'rama'],
		child: ['niño', 'niña', 'hijo', 'hija', 'bebé', 'bebe', 'perro', 'mascota'],
		car: ['carro', 'coche', 'auto', 'camioneta', 'vehículo'],
		outlet: ['enchufe', 'contacto', 'tomacorriente', 'apagador', 'interruptor', 'panel', 'cable', 'cables', 'breaker'],
		tooth: ['diente', 'dientes', 'muela', 'muelas', 'corona'],
	},
	fr: {
		heat: ['chauffage', 'fournaise', 'chaudière', 'calorifère', 'plinthe', 'thermopompe', 'veilleuse'],
		ac: ['climatisation', 'climatiseur', 'clim', 'air', 'thermopompe'],
		broken: ['brisé', 'brisée', 'arrêté', 'lâché', 'mort', 'panne', 'marche', 'fonctionne'],
		water: ['eau', 'fuite', 'dégât'],
		pour: ['coule', 'entre', 'tombe', 'dégoutte', 'goutte', 'pisse'],
		ceiling: ['plafond', 'luminaire', 'toit'],
		tree: ['arbre', 'branche'],
		child: ['enfant', 'bébé', 'fils', 'fille', 'chien', 'chat'],
		car: ['auto', 'voiture', 'char', 'camion'],
		outlet: ['prise', 'prises', 'interrupteur', 'panneau', 'disjoncteur', 'fil', 'fils', 'filage'],
		tooth: ['dent', 'dents', 'molaire', 'couronne', 'plombage'],
	},
};

/** Safety words shared by every trade: a caller who says these is in danger whatever the business does. */
export const SAFETY_WORDS = [
	'gas smell',
	'smell gas',
	'smells like gas',
	'smell of gas',
	'gas leak',
	'rotten egg',
	'carbon monoxide',
	'co alarm|detector',
	'sparks',
	'sparking',
	'arcing',
	'smoke',
	'smoking',
	'burning smell',
	'smell ... burning|burnt|burned',
	// Irregular past forms escape the stemmer ("burnt" is not "burn"); a hot or melting plastic smell is the same
	// warning (sunsolarelectrical.ca, lumoselectric.ca above).
	'burnt|burned|scorched|melting|melted|electrical smell|odor|odour',
	'smell|smells|smelled|odor ... like ... plastic|melting|burnt|burned|burning',
	'fire',
	'flames',
	'flooding',
	'flooded',
	'burst pipe',
	'pipe burst|burst|split',
	'water everywhere',
	'sewer backup',
	'sewage',
	'frozen pipe',
	'pipes ... freeze|froze|frozen|freezing',
	'electrocuted',
	'shock',
	'shocked',
	'tingle|tingling|tingles ... touch',
	'unconscious',
	'collapsed',
	'{water} ... {pour} ... through|from|into ... {ceiling}',
	'{pour} ... through ... {ceiling}',
];
export const SAFETY_WORDS_ES = [
	'olor|huele ... gas',
	'fuga de gas',
	'monóxido',
	'chispas|chispa|chispea',
	'humo',
	'olor|huele ... quemado',
	'fuego',
	'incendio',
	'inundación|inundado|inundó|inunda|inundando',
	'reventó|reventado|rompió ... tubo|tubería|caño',
	'tubo|tubería ... reventó|reventado|roto',
	'agua por todas partes',
	'aguas negras',
	'drenaje ... regresando|desbordando ~ negras',
	'descarga|toque|toques',
	'inconsciente',
	'{water} ... {pour} ... {ceiling}',
	// Spanish puts the verb first: "está entrando agua por el techo".
	'{pour} ... agua ... {ceiling}',
];
export const SAFETY_WORDS_FR = [
	'odeur|sent ... gaz',
	'fuite de gaz',
	'monoxyde',
	'étincelle|étincelles',
	'fumée|boucane',
	'odeur|sent ... brûlé',
	'feu',
	'incendie',
	'inondation|inondé|inondée',
	'tuyau|tuyaux ... éclaté|gelé|gelés|fendu',
	'eau partout',
	'égout|égouts ... refoul|refoulent|refoule',
	'choc|électrocuté',
	'inconscient',
	'{water} ... {pour} ... {ceiling}',
];

/**
 * Shopping and planning: a quote, a price, next month. Low. A request for information about a service the caller
 * needs ("information about a divorce") is not shopping, so "information" alone is not here.
 */
export const LOW_WORDS = ['quote', 'estimate', 'price', 'pricing', 'how much', 'next month', 'brochure'];
export const LOW_WORDS_ES = ['cotización', 'presupuesto', 'precio', 'cuánto cuesta', 'próximo mes'];
export const LOW_WORDS_FR = ['soumission', 'estimation', 'prix', 'combien', 'mois prochain'];

/**
 * A booking the caller already has ("confirm my appointment", "mi cita", "mon rendez-vous"): a customer to answer,
 * not someone shopping, so shopping words in the same message do not make it low.
 */
export const BOOKED_WORDS: Record<Language, string[]> = {
	en: [
		'confirm|confirming|reschedule|rescheduling|cancel|cancelling|move ... appointment|booking|visit',
		'my|our|his|her|husband|wife|son|daughter appointment',
		'appointment on|tomorrow|today|monday|tuesday|wednesday|thursday|friday|saturday',
	],
	es: ['confirmar|cambiar|cancelar|mover ... cita', 'mi|su cita'],
	fr: ['confirmer|déplacer|annuler|changer ... rendez-vous', 'mon|son rendez-vous'],
};

/**
 * Reassurance: "nothing urgent", "no rush", "whenever". The caller still has a problem, only not for today, so
 * it lowers the score less than shopping does (a dead outlet "not urgent" stays normal).
 */
export const CALM_WORDS: Record<Language, string[]> = {
	en: ['no rush', 'whenever', 'when you can|get', '!urgent|emergency|hurry|rush|pressing|big'],
	es: ['sin prisa', '!prisa|urgente|emergencia|apuro', 'cuando puedan|pueda'],
	fr: ['!pressé|presse|urgent|urgence|pressant', 'quand vous pourrez', 'pas pressé'],
};

/**
 * The caller sizing a problem down: "a small chip", "a hairline crack". Such a phrase keeps the urgent word inside it
 * from counting, and nothing else. Whether a small leak is minor depends on the trade (it can wait for a plumber, a
 * roof leak cannot), so leaks are in the trades' own lists.
 */
export const MINOR_WORDS: Record<Language, string[]> = {
	en: ['small|tiny|minor|slight|hairline chip|chipped|crack|cracked|dent|scratch'],
	// Spanish and French adjectives mostly follow the noun: "una grieta pequeña", "une fissure légère".
	es: [
		'pequeña|pequeño|poquito|chiquito|chiquita grieta|despostillado|rajadura',
		'grieta|despostillado|rajadura pequeña|pequeño|chiquita|chiquito|mínima|mínimo',
	],
	fr: ['petite|petit|légère|léger fissure|éclat', 'fissure|éclat petite|petit|légère|léger|mineure'],
};

/** People for whom losing heat, cooling or power is dangerous. */
export const VULNERABLE: Record<Language, string[]> = {
	en: [
		'baby|babies|newborn|infant|toddler',
		'month|week|weeks old',
		'elderly|senior|grandma|grandpa|grandmother|grandfather',
		'mother|mom|dad|father ... 75|76|77|78|79|80|81|82|83|84|85|86|87|88|89|90|91|92|93|94|95|96|97|98|99',
		'oxygen|cpap|dialysis|ventilator|nebulizer|wheelchair|bedridden|disabled',
		'medical equipment|device',
		'pregnant',
		'heart condition',
	],
	es: [
		'bebé|bebe|recién|recien|nacido|infante',
		'anciano|anciana|abuela|abuelo|mayor',
		'oxígeno|oxigeno|diálisis|dialisis|silla de ruedas|encamado',
		'equipo médico',
		'embarazada',
	],
	fr: [
		'bébé|nourrisson|naissant|nouveau-né',
		'âgé|âgée|âgés|aîné|grand-mère|grand-père|grand mère|grand père',
		'oxygène|dialyse|fauteuil roulant|alité',
		'enceinte',
	],
};

/** Failures that leave people without heat, cooling, power or shelter: dangerous in weather, or for the vulnerable. */
export const EXPOSURE: Record<
	Language,
	{ heatLoss: string[]; coolLoss: string[]; powerOut: string[]; lockedOut: string[] }
> = {
	en: {
		heatLoss: [
			'!heat|heating',
			'{heat} ~ {broken}',
			// Bare "heat" only as the subject of the failure ("heat's out"), never "out ... heat wave".
			'heat ... {broken}',
			'heat ... !work|working|turn|start',
			'{heat} ... !work|working|turn|relight|light|start',
			'{heat} ... blowing|blows ... cold',
		],
		coolLoss: [
			'!ac|air|cooling',
			'{ac} ~ {broken}',
			'{ac} ... !work|working|cool|cooling|turn',
			'air conditioner|conditioning ... {broken}|!work|working|cool|cooling',
			'blowing|blows ... warm|hot air',
		],
		powerOut: ['!power|electricity|lights', 'power|electricity ... out|off|outage|gone', 'outage', 'blackout'],
		lockedOut: ['locked|lock out', 'lockout', 'locked ... in|inside ... {car}|house'],
	},
	es: {
		heatLoss: [
			'!calefacción|calefaccion|calor|calentador',
			'{heat} ~ {broken}',
			'{heat} ... !funciona|prende|enciende|calienta',
		],
		coolLoss: ['!aire|enfría|enfria|clima', '{ac} ~ {broken}', '{ac} ... !funciona|enfría|enfria|prende'],
		powerOut: ['!luz|electricidad|corriente', 'apagón', 'se fue la luz'],
		lockedOut: ['quedé|quede|quedó|quedamos ... afuera|fuera', 'encerrado|encerrada', 'llaves ... dentro|adentro'],
	},
	fr: {
		heatLoss: ['!chauffage|chaleur', '{heat} ~ {broken}', '{heat} ... !marche|fonctionne|chauffe|part'],
		coolLoss: ['!climatisation|clim|air', '{ac} ~ {broken}', '{ac} ... !marche|fonctionne|refroidit|refroidir'],
		powerOut: ['!courant|électricité|électricite|lumière', 'panne de courant|électricité'],
		lockedOut: ['barré|barrée ... dehors', 'enfermé|enfermée', 'clés|clefs ... dedans|dans'],
	},
};

/** Weather words that turn a heat or power loss dangerous (temperatures with units are read in units.ts). */
export const WEATHER: Record<Language, { freezing: string[]; heatWave: string[] }> = {
	en: {
		freezing: [
			'below freezing',
			'freezing outside|out|tonight|temperatures|weather|cold',
			'freeze tonight',
			'subzero',
			'snow|snowing|blizzard|ice storm',
		],
		heatWave: ['heat wave|advisory', 'extreme heat', 'heat index', 'triple digits'],
	},
	es: {
		freezing: ['bajo cero', 'helar|helada|heló|congelando', 'nevando|nieve'],
		heatWave: ['ola de calor', 'mucho calor', 'calor extremo'],
	},
	fr: {
		freezing: ['sous zéro|zero', 'geler|gèle|gel', 'neige|tempête de neige', 'moins'],
		heatWave: ['canicule', 'chaleur extrême', 'vague de chaleur', 'fait chaud'],
	},
};

const NO_WORDS: TradeWords = { emergencyWords: [], highWords: [], lowWords: [], services: {} };

export const PRESETS: Record<Trade, TradePreset> = {
	hvac: {
		label: 'HVAC',
		emergencyWords: ['furnace smoke', 'gas smell', 'refrigerant leak', 'burning ... {heat}|{ac}|vents|vent'],
		highWords: [
			'!heat|heating',
			'{heat} ~ {broken}',
			// Bare "heat" only as the subject of the failure ("heat's out"), never "out ... heat wave".
			'heat ... {broken}',
			'heat ... !work|working|turn|start',
			'{heat} ... !work|working|turn|relight|light|start',
			'{heat} ... blowing|blows ... cold',
			'!ac|air|cooling',
			'{ac} ~ {broken}',
			'{ac} ... !work|working|cool|cooling|turn',
			'air conditioner|conditioning ... {broken}|!work|working|cool|cooling',
			'blowing|blows ... warm|hot air',
			'too hot|cold',
			'not heating|cooling',
		],
		lowWords: [
			'tune up',
			'tune-up',
			'tuneup',
			'maintenance',
			'filter|filters',
			'new system quote',
			'check up|check-up|checkup',
		],
		services: [
			{
				type: 'heating',
				words: [
					'furnace|boiler|heater|radiator|radiators|pilot|baseboard',
					'heat ... !work|working|turn|start',
					'!heat',
					'heat ... {broken}',
					'heat pump',
					'heat comes|come|goes|works',
					'cold ... house|inside',
					'blowing ... cold',
				],
			},
			{
				type: 'cooling',
				words: [
					'{ac}',
					'air conditioner|conditioning',
					'cool',
					'not cooling',
					'warm|hot air',
					'air handler',
					'mini split',
				],
			},
			{
				type: 'maintenance',
				words: [
					'tune up',
					'tune-up',
					'tuneup',
					'maintenance',
					'service plan',
					'filter|filters',
					'check up|check-up|checkup',
					'annual',
					// The equipment named with the visit is what gets serviced, not a repair.
					'tune-up|tuneup|checkup|check-up|maintenance ... furnace|boiler|system|unit|ac|condenser',
					'tune-up|tuneup|checkup|check-up|maintenance ... heat pump',
				],
			},
			{
				type: 'installation',
				words: [
					'install',
					'installed',
					'replace|replacing|replacement',
					'new system',
					'new unit',
					'quote',
					'addition',
					// Replacing the equipment itself is an installation, whatever the equipment heats or cools.
					'replace|replacing|replacement|new ... furnace|boiler|system|unit|condenser|ac|conditioner|split',
					'replace|replacing|replacement|new ... heat pump',
				],
			},
		],
		afterHoursLeansUrgent: true,
		es: {
			emergencyWords: ['olor|huele ... gas', 'humo ... {heat}|{ac}'],
			highWords: [
				'!calefacción|calefaccion|calor|calentador',
				'{heat} ~ {broken}',
				'{heat} ... !funciona|prende|enciende|calienta',
				'!aire|enfría|enfria|clima',
				'{ac} ~ {broken}',
				'{ac} ... !funciona|enfría|enfria|prende',
			],
			lowWords: ['mantenimiento', 'filtro|filtros', 'revisión anual'],
			services: {
				heating: ['{heat}'],
				cooling: ['{ac}', 'aire acondicionado', 'enfría|enfria'],
				maintenance: ['mantenimiento', 'filtro|filtros', 'revisión|revision'],
				installation: [
					'instalar|instalación|instalacion',
					'cambiar|reemplazar ... sistema|equipo|unidad|minisplit|calentador|caldera',
					'cotización|cotizacion',
				],
			},
		},
		fr: {
			emergencyWords: ['odeur|sent ... gaz', 'fumée ... {heat}|{ac}'],
			highWords: [
				'!chauffage|chaleur',
				'{heat} ~ {broken}',
				'{heat} ... !marche|fonctionne|chauffe|part',
				'!climatisation|clim',
				'{ac} ~ {broken}',
				'{ac} ... !marche|fonctionne|refroidit|refroidir',
			],
			lowWords: ['entretien', 'filtre|filtres', 'inspection annuelle'],
			services: {
				heating: ['chauffage', 'fournaise', 'chaudière', 'calorifère', 'plinthe', 'veilleuse'],
				cooling: ['climatisation', 'climatiseur', 'clim', 'refroidit|refroidir'],
				maintenance: ['entretien', 'filtre|filtres'],
				installation: [
					'installer|installation',
					'remplacer|remplacement',
					'soumission',
					'remplacer|remplacement|nouvelle|nouveau ... fournaise|thermopompe|chaudière|système|climatiseur',
				],
			},
		},
	},
	plumbing: {
		label: 'Plumbing',
		emergencyWords: [
			'burst pipe',
			'water everywhere',
			'flooding',
			'sewer|sewage backup|backing',
			'gas smell',
			'!water ... house|tap|taps|faucet|faucets',
			'water main ... broke|burst|break',
			"won't stop ... overflowing|running",
		],
		highWords: [
			'leak',
			'leaking',
			'clog',
			'clogged',
			'!hot water',
			'no hot water',
			'water heater ... leak|leaking|puddle',
			'overflowing|overflowed',
			'backed|backing up',
			'only toilet|bathroom',
			'drip|dripping ... steadily|ceiling',
		],
		lowWords: ['remodel', 'new fixture', 'faucet upgrade'],
		// A small leak can wait (musicosi.com, above), unlike the only toilet or a burst pipe.
		minorWords: ['small|tiny|slight|slow|minor leak|leaking|drip|dripping'],
		services: [
			{
				type: 'leak',
				words: [
					'leak',
					'leaking',
					'drip',
					'dripping',
					'burst',
					'water everywhere',
					'flooding',
					'pipe',
					'pipes',
					'spigot',
					'running',
					'water main',
				],
			},
			{
				type: 'drain',
				words: ['clog', 'clogged', 'drain', 'drains', 'backed up', 'sewer', 'sewage', 'toilet', 'plunger'],
			},
			{
				type: 'water-heater',
				// "No hot water" is the heater's failure, not a leak, even when the word "water" is all over the message.
				words: ['water heater', 'hot water', '!hot water', 'no|out of hot water', 'tankless', 'relief valve'],
			},
			{
				type: 'installation',
				words: [
					'install',
					'remodel',
					'fixture',
					'faucet',
					'replace|replaced',
					'vanity',
					're-piping|repipe|repiping',
					'disposal',
				],
			},
		],
		afterHoursLeansUrgent: true,
		es: {
			emergencyWords: ['aguas negras', '!agua ... casa|llave|llaves', 'se reventó', 'inundó|inundado|inundación'],
			highWords: [
				'fuga',
				'gotea|goteando|gotera',
				'tapado|tapada|tapó',
				'atascado',
				'!agua caliente',
				'regresando|desbordando',
				'único|unico baño|inodoro',
				'charco',
			],
			lowWords: ['remodelar|remodelación', 'cambiar ... llave'],
			minorWords: [
				'pequeña|poquita|chiquita fuga|gotera',
				'fuga|gotera pequeña|chiquita|mínima',
				'gotea|goteando un poco|poquito',
			],
			services: {
				leak: [
					'fuga',
					'gotea|goteando|gotera',
					'tubo|tubería|caño',
					'reventó',
					'agua por todas partes',
					'inodoro ... corriendo',
				],
				drain: [
					'tapado|tapada|tapó',
					'drenaje',
					'coladera',
					'inodoro|escusado|taza',
					'destapador',
					'aguas negras',
					'regresando',
				],
				'water-heater': ['calentador', 'agua caliente', '!agua caliente', 'sin|no hay agua caliente', 'boiler'],
				installation: ['instalar|instalación', 'lavabo nuevo', 'remodelar'],
			},
		},
		fr: {
			emergencyWords: [
				'eau partout',
				'égout|égouts ... refoul|refoulent',
				'tuyau ... éclaté',
				'!eau ... maison|robinet',
			],
			highWords: ['fuite|fuit|fuient', 'bouché|bouchée|bloqué', '!eau chaude', "plus d'eau chaude", 'déborde|débordé'],
			lowWords: ['rénovation'],
			minorWords: ['petite|légère fuite', 'fuite légère|mineure', 'fuit|goutte un peu'],
			services: {
				leak: ['fuite|fuit', 'goutte|dégoutte', 'tuyau|tuyaux', 'robinet'],
				drain: ['bouché|bouchée', 'drain', 'égout|égouts', 'toilette'],
				'water-heater': ['chauffe-eau', 'eau chaude', '!eau chaude', "plus d'eau chaude"],
				installation: ['installer|installation', 'nouvelle|nouveau ... toilette|robinet|évier'],
			},
		},
	},
	electrical: {
		label: 'Electrical',
		emergencyWords: [
			'sparks',
			'sparking',
			'burning smell',
			'smoke',
			'shock',
			'exposed wire',
			'power line|lines ... down|fell|fallen|sparking',
			'{water} ... {outlet}',
			'{outlet} ... wet|water',
			'buzzing ... panel|breaker|box',
			'{outlet} ... hot to the touch',
			// Overheating insulation smells of fish (sunsolarelectrical.ca, above).
			'fishy|fish smell|odor|odour ... {outlet}',
			'{outlet} ... smells|smell ... fishy|fish',
		],
		highWords: [
			'no power',
			'!power|electricity',
			'power out',
			'breaker',
			'outage',
			'main breaker',
			'scorched|melted|melting|charred|blackened ... {outlet}|cover',
			'{outlet} ... scorched|melted|melting|charred|blackened',
			'half|part ... house ... !power',
		],
		lowWords: ['ev charger', 'lighting upgrade', 'ceiling fan', 'landscape lighting', 'generator'],
		services: [
			{
				type: 'repair',
				words: [
					'no power',
					'outlet|outlets',
					'flickering|flicker|dim',
					'sparks',
					'short',
					'switch|switches',
					'dead',
					'gfci',
					'power',
					'shock|shocked',
				],
			},
			{ type: 'panel', words: ['panel', 'service upgrade', 'fuse box', 'breaker|breakers', 'amps', 'main'] },
			{
				type: 'installation',
				words: [
					'install|installed',
					'ev charger',
					'lighting',
					'ceiling fan',
					'generator',
					'recessed',
					'dedicated circuit',
					'new circuit',
				],
			},
		],
		afterHoursLeansUrgent: true,
		es: {
			emergencyWords: [
				'chispas|chispa',
				'huele|olor ... quemado',
				'humo',
				'toque|descarga',
				'{outlet} ... caliente',
				'agua ... {outlet}',
			],
			highWords: ['!luz|electricidad|corriente', 'se fue la luz', 'apagón', 'breaker ... bota|botó|brinca'],
			lowWords: ['cargador', 'ventilador de techo', 'iluminación'],
			services: {
				repair: ['enchufe|contacto|tomacorriente', 'apagador', 'luz|luces', 'parpadean|parpadea', 'chispas', 'toque'],
				panel: ['panel|breaker|fusibles', 'interruptor principal'],
				installation: ['instalar|instalación', 'cargador', 'ventilador'],
			},
		},
		fr: {
			emergencyWords: [
				'étincelle|étincelles',
				'sent|odeur ... brûlé',
				'fumée|boucane',
				'grésille|grésillement',
				'choc',
			],
			highWords: ['!courant|électricité', 'panne', 'disjoncteur ... saute'],
			lowWords: ['borne de recharge', 'éclairage'],
			services: {
				repair: ['prise|prises', 'interrupteur', 'courant', 'lumière|lumières', 'étincelle|étincelles'],
				panel: ['panneau', 'disjoncteur|disjoncteurs', 'fusibles'],
				installation: ['installer|installation', 'borne'],
			},
		},
	},
	roofing: {
		label: 'Roofing',
		emergencyWords: [
			'roof collapsed',
			'tree on roof',
			'{tree} ... through|on|onto|into ... roof|house|ceiling',
			'{tree} ... fell|fallen|crashed',
			'water pouring',
			'ceiling caving|sagging|bulging|collapsing',
			'sagging|bulging|collapse|collapsed|caved',
			'hole in ... roof',
			'tore|torn|ripped|blew ... off ... roof|section',
			'raining|pouring ... into|inside ... house|room|bedroom',
		],
		highWords: [
			'leak',
			'leaking',
			'storm damage',
			'hail',
			'missing shingles',
			'tarp',
			'drip|dripping',
			'skylight ... leak|leaking',
			'water stain ... bigger|growing|dripping',
		],
		// A certification for a sale or refinance is a job with a closing date, not shopping: it is not here.
		lowWords: ['inspection', 'gutter', 'gutters', 'new roof quote'],
		// Damage from weeks or months back, now being documented or repaired: real work, but not for today.
		calmWords: ['last month|year|spring|summer|fall|autumn|winter|season', 'months|years ago'],
		services: [
			{
				type: 'repair',
				words: [
					'leak',
					'leaking',
					'shingles',
					'storm',
					'hail',
					'damage',
					'tree',
					'branch',
					'tarp',
					'flashing',
					'hole',
					'skylight',
					'soffit',
					'vent',
					'drip',
				],
			},
			{ type: 'replacement', words: ['new roof', 'replace', 'replacement', 'metal roof', 'reroof'] },
			{
				type: 'inspection',
				words: ['inspection', 'insurance', 'gutter', 'gutters', 'certification', 'report', 'adjuster'],
			},
		],
		afterHoursLeansUrgent: false,
		es: {
			emergencyWords: [
				'{tree} ... techo|casa',
				'cayendo mucha agua',
				'hundiendo|hundió|derrumbó|derrumbe',
				'agua ... entrando|entra ... cuarto|casa|sala',
			],
			highWords: ['gotea|gotera|goteras', 'granizo', 'tejas|tejas', 'lona'],
			lowWords: ['inspección|inspeccion', 'canaleta|canaletas'],
			calmWords: ['mes|año|invierno|verano pasado', 'hace meses|años'],
			services: {
				repair: ['gotea|gotera|goteras', 'tejas', 'tormenta', 'granizo', 'daño|daños', 'árbol'],
				replacement: ['techo nuevo', 'cambiar ... techo', 'reemplazar'],
				inspection: ['inspección|inspeccion', 'seguro', 'reporte'],
			},
		},
		fr: {
			emergencyWords: ['{tree} ... toit|maison', 'eau ... entre|coule ... chambre|maison|salon', 'effondré|affaissé'],
			highWords: ['coule|fuite|fuit', 'grêle', 'bardeaux', 'bâche'],
			lowWords: ['inspection', 'gouttière|gouttières'],
			calmWords: ['mois|hiver|été|automne dernier|passé', 'année dernière|passée', 'an dernier|passé'],
			services: {
				repair: ['coule|fuite', 'bardeaux', 'tempête', 'grêle', 'arbre'],
				replacement: ['refaire ... toiture|toit', 'nouvelle toiture', 'remplacer'],
				inspection: ['inspection', 'assurance'],
			},
		},
	},
	dental: {
		label: 'Dental',
		emergencyWords: [
			'swelling ... face|eye|jaw|neck',
			'swollen face|jaw|cheek',
			'face|jaw|cheek ... swollen',
			"can't stop bleeding",
			"bleeding ... won't|wont stop",
			'knocked out',
			'hard to swallow|breathe',
			'fever',
		],
		highWords: [
			'toothache',
			'tooth pain',
			'broken tooth',
			'broke|cracked|chipped ... {tooth}',
			'chipped',
			'lost filling',
			'crown fell|came off',
			'abscess',
			'throbbing',
			'pain ... 7|8|9|10 out of 10',
			'loose ... tooth|bleeding',
			"can't sleep",
		],
		lowWords: ['cleaning', 'checkup', 'whitening', 'new patient', 'reschedule'],
		// Triage asks about pain, swelling and bleeding first: a caller who says there is none can be seen routinely.
		calmWords: ['no|without pain|swelling|bleeding', "doesn't|does not hurt", 'not painful|sore'],
		services: [
			{
				type: 'emergency-visit',
				words: [
					'pain',
					'toothache',
					'broken|broke',
					'swelling|swollen',
					'knocked out',
					'bleeding|bleed',
					'chip|chipped',
					'crown',
					'filling',
					'abscess',
					'wisdom',
					'loose',
					'pulled',
					'guard',
				],
			},
			{ type: 'cleaning', words: ['cleaning', 'checkup', 'hygiene', 'deep cleaning'] },
			{ type: 'cosmetic', words: ['whitening', 'veneers', 'invisalign', 'braces', 'trays'] },
			{ type: 'new-patient', words: ['new patient|patients', 'insurance', 'new dentist', 'first visit', 'accepting'] },
		],
		afterHoursLeansUrgent: false,
		es: {
			emergencyWords: [
				'cara ... hinchada',
				'hinchazón ... cara|ojo',
				'no para de sangrar',
				'sangra ... no para',
				'se le salió ... diente',
				'fiebre',
			],
			highWords: [
				'dolor de muela|diente|muelas',
				'me duele',
				'rompió|roto|quebró ... {tooth}',
				'se me cayó ... corona|empaste',
				'absceso',
				'no puedo dormir',
			],
			lowWords: ['limpieza', 'blanqueamiento', 'paciente nuevo|pacientes nuevos', 'revisión'],
			calmWords: ['no|sin dolor|hinchazón|sangrado', 'no duele|sangra'],
			services: {
				'emergency-visit': [
					'dolor',
					'muela|diente',
					'hinchada|hinchazón',
					'sangrar|sangra',
					'corona',
					'rompió|roto',
					'despostilló',
				],
				cleaning: ['limpieza', 'revisión'],
				cosmetic: ['blanqueamiento', 'carillas', 'frenos|brackets'],
				'new-patient': ['pacientes nuevos|paciente nuevo', 'nuevo dentista', 'buscamos dentista', 'seguro'],
			},
		},
		fr: {
			emergencyWords: ['visage|joue ... enflé|enflée', 'saigne ... arrête', 'dent ... sortie|tombée|cassée', 'fièvre'],
			highWords: ['rage de dents', 'mal aux dents|de dents', 'cassé|cassée ... dent', 'abcès', 'dors plus'],
			lowWords: ['nettoyage', 'blanchiment', 'nouveau patient', 'examen'],
			calmWords: ['pas|aucune|sans de douleur|enflure', 'fait pas mal', 'pas mal'],
			services: {
				'emergency-visit': ['dent|dents', 'douleur|mal', 'enflé|enflée', 'saigne', 'rage'],
				cleaning: ['nettoyage', 'examen'],
				cosmetic: ['blanchiment', 'facettes'],
				'new-patient': ['nouveau patient', 'nouveaux patients'],
			},
		},
	},
	legal: {
		label: 'Legal',
		emergencyWords: [
			'arrested',
			'in jail',
			'jail tonight|now',
			'custody hearing tomorrow',
			'served today',
			'restraining|protective order',
			'held at ... police',
			'being held|questioned',
			'bail hearing',
			'threatened me',
		],
		highWords: [
			'court date',
			'rear ended|rear-ended',
			'crash',
			'hurt|hurts',
			'deadline',
			'accident',
			'injured',
			'eviction',
			'served',
			'warrant',
			'arraignment',
			'hearing tomorrow',
			'statute of limitations',
			'changed the locks',
			'days to answer|respond',
			'dui',
			'bitten',
			'broke my',
			'fell',
			'took ... kids|children',
		],
		// Clearing a record is a case the caller wants handled, not shopping: "expunge" is not here.
		lowWords: ['will', 'estate planning', 'consultation', 'general question'],
		services: [
			{
				type: 'criminal',
				words: [
					'arrested',
					'jail',
					'dui',
					'charged',
					'bail',
					'police',
					'warrant',
					'misdemeanor',
					'felony',
					'arraignment',
					'search warrant',
				],
			},
			{
				type: 'personal-injury',
				words: ['accident', 'injured', 'injury', 'crash', 'rear ended', 'slipped', 'bitten', 'fell', 'hurt'],
			},
			{
				type: 'family',
				words: ['divorce', 'custody', 'child support', 'protective order', 'ex', 'prenup', 'restraining order'],
			},
			{ type: 'estate', words: ['will', 'estate', 'trust', 'probate', 'power of attorney', 'passed away'] },
			{
				type: 'landlord-tenant',
				words: ['eviction', 'evict', 'landlord', 'lease', 'security deposit', 'tenant', 'locks'],
			},
		],
		afterHoursLeansUrgent: false,
		es: {
			emergencyWords: [
				'arrestaron|arrestado|arrestada|detuvieron|detenido',
				'cárcel|carcel',
				'orden de protección|restricción',
				'me amenazó',
			],
			highWords: [
				'desalojo',
				'demanda',
				'accidente',
				'herido|lesionado',
				'audiencia',
				'días para responder',
				'corte',
				'multa',
				'rompí|rompió',
			],
			lowWords: ['testamento', 'consulta'],
			services: {
				criminal: ['arrestaron|arrestado|detenido', 'cárcel|carcel', 'fianza', 'policía', 'borracho', 'multa'],
				'personal-injury': ['accidente', 'herido|lesionado', 'me caí|caí', 'aseguradora'],
				family: ['divorcio', 'custodia', 'manutención', 'orden de protección', 'mi ex'],
				estate: ['testamento', 'herencia', 'sucesión', 'falleció'],
				'landlord-tenant': ['desalojo', 'dueño|casero|arrendador', 'depósito', 'renta'],
			},
		},
		fr: {
			emergencyWords: ['arrêté|arrêtée', 'prison', 'ordonnance de protection', 'menacé'],
			highWords: ['expulsion|éviction', 'accident', 'blessé', 'audience', 'tribunal'],
			lowWords: ['testament', 'consultation'],
			services: {
				criminal: ['arrêté|arrêtée', 'prison', 'caution|libération', 'police'],
				'personal-injury': ['accident', 'blessé|blessure'],
				family: ['divorce', 'garde', 'pension alimentaire'],
				estate: ['testament', 'succession', 'fiducie'],
				'landlord-tenant': ['expulsion|éviction', 'propriétaire', 'bail'],
			},
		},
	},
	locksmith: {
		label: 'Locksmith',
		emergencyWords: [
			'child locked',
			'kid locked',
			'{child} ... locked ... in|inside',
			'locked ... in ... {car} ~ {child}',
			'break in',
			'broken into',
			'broke into',
			'fell inside',
			"can't get up",
		],
		highWords: [
			'locked out',
			'lost keys',
			'lock broken',
			'car lockout',
			'key stuck',
			'keys ... in ... {car}',
			'only ... key',
			'jammed',
			'lost ... key|keys|fob',
			'changed today',
			'locks changed today',
			'we open|opening in',
		],
		// A key copy is a job the caller wants done, not shopping, so "copy" is not here.
		lowWords: ['rekey', 'new locks quote', 'smart lock', 'master key', 'spare key'],
		// Still able to get in, or a lock that guards no door of the home: a repair, not a lockout.
		calmWords: [
			'can|could still get|go in|inside',
			'through|use|by the other|side|back|garage door',
			'mailbox|cabinet|drawer|desk|padlock|locker|shed lock',
		],
		services: [
			{
				type: 'lockout',
				words: [
					'locked out',
					'lockout',
					'lost keys',
					'keys ... in ... {car}',
					'locked ... in|inside ... {car}',
					'fob',
					'spare key',
					'car key',
				],
			},
			{
				type: 'rekey',
				words: [
					'rekey',
					're-key',
					'rekeyed',
					'change ... locks|lock',
					'broke off',
					// A key broken or stuck in the lock is the lock's repair, whether or not they can get in.
					'key ... broke|broken|snapped|stuck ... in ... lock|cylinder|deadbolt',
					'snapped off',
					'jammed',
					'broken into|broke into',
					'smashed',
					'mailbox',
				],
			},
			{ type: 'installation', words: ['install|installed', 'smart lock', 'deadbolt', 'keypad', 'master key', 'safe'] },
		],
		afterHoursLeansUrgent: true,
		es: {
			emergencyWords: ['{child} ... encerrado|encerrada', 'encerrado ... {car}', 'se metieron a robar', 'robaron|robo'],
			highWords: [
				'quedé|quede ... afuera|fuera',
				'llaves ... dentro|adentro',
				'perdí ... llave|llaves',
				'cambiar ... hoy',
				'no cierra',
			],
			lowWords: ['cerradura inteligente'],
			calmWords: ['podemos|puedo|pueden entrar', 'por la otra puerta', 'buzón|gabinete|cajón|candado'],
			services: {
				lockout: ['afuera|fuera', 'encerrado|encerrada', 'llaves ... dentro|adentro', 'perdí'],
				rekey: [
					'cambiar ... chapas|cerradura|cerraduras|chapa',
					'rompió ... llave',
					'rota|roto',
					'robar',
					// A key broken inside the lock is a lock repair, not keys left inside the house.
					'llave ... dentro|adentro|en ... chapa|cerradura|cerrojo',
				],
				installation: ['instalar|instalación', 'cerradura inteligente'],
			},
		},
		fr: {
			emergencyWords: [
				'{child} ... enfermé|enfermée',
				'enfermé ... {car}',
				'entré par effraction|cambriolage|cambriolé',
			],
			highWords: ['barré|barrée ... dehors', 'perdu ... clés|clefs', 'clés ... dedans'],
			lowWords: ['serrure intelligente'],
			calmWords: ['peut|peux|pouvons entrer|rentrer', 'autre porte', 'boîte aux lettres|casier|cadenas|tiroir'],
			services: {
				lockout: ['barré|barrée', 'enfermé|enfermée', 'clés|clefs'],
				rekey: ['changer ... serrure|serrures', 'cambriolage'],
				installation: ['installer|installation', 'serrure intelligente'],
			},
		},
	},
	general: {
		label: 'General services',
		emergencyWords: [],
		highWords: [
			'urgent',
			'asap',
			'emergency',
			'today',
			'right away',
			'flooding',
			'third time|call',
			"won't close|lock",
		],
		lowWords: [],
		services: [{ type: 'general', words: [] }],
		afterHoursLeansUrgent: false,
		es: { ...NO_WORDS, highWords: ['urgente', 'emergencia', 'hoy', 'lo antes posible', 'ahora mismo', 'tercera vez'] },
		fr: { ...NO_WORDS, highWords: ['urgent', 'urgence', "aujourd'hui", 'tout de suite', 'au plus vite'] },
	},
};
