import { AREA_CODE_ZONES } from './nanp-zones';

/**
 * North American area codes by US state, with the state's main time zone.
 * Used for the caller's local time (quiet hours) and state texting rules (Florida, Oklahoma).
 * Where a state spans two zones, the listed area codes that sit in the other zone are overridden in ZONE_OVERRIDES;
 * every zone an area code may be in comes from nanp-zones.ts (Google libphonenumber's map) and ZONE_ADDITIONS.
 * Unknown area codes fall back to the business's own time zone, which is right for most local callers.
 */
export const STATE_AREA_CODES: Record<string, { zone: string; codes: number[] }> = {
	AL: { zone: 'America/Chicago', codes: [205, 251, 256, 334, 483, 659, 938] },
	AK: { zone: 'America/Anchorage', codes: [907] },
	AZ: { zone: 'America/Phoenix', codes: [480, 520, 602, 623, 928] },
	AR: { zone: 'America/Chicago', codes: [327, 479, 501, 870] },
	CA: {
		zone: 'America/Los_Angeles',
		codes: [
			209, 213, 279, 310, 323, 341, 350, 369, 408, 415, 424, 442, 510, 530, 559, 562, 619, 626, 628, 650, 657, 661, 669,
			707, 714, 738, 747, 760, 805, 818, 820, 831, 837, 840, 858, 909, 916, 925, 949, 951,
		],
	},
	CO: { zone: 'America/Denver', codes: [303, 719, 720, 748, 970, 983] },
	CT: { zone: 'America/New_York', codes: [203, 475, 860, 959] },
	DE: { zone: 'America/New_York', codes: [302] },
	DC: { zone: 'America/New_York', codes: [202, 771] },
	FL: {
		zone: 'America/New_York',
		codes: [
			239, 305, 321, 324, 352, 386, 407, 448, 561, 645, 656, 689, 727, 728, 754, 772, 786, 813, 850, 863, 904, 941, 954,
		],
	},
	GA: { zone: 'America/New_York', codes: [229, 404, 470, 478, 678, 706, 762, 770, 912, 943] },
	HI: { zone: 'Pacific/Honolulu', codes: [808] },
	ID: { zone: 'America/Boise', codes: [208, 986] },
	IL: {
		zone: 'America/Chicago',
		codes: [217, 224, 309, 312, 331, 447, 464, 618, 630, 708, 730, 773, 779, 815, 847, 861, 872],
	},
	IN: { zone: 'America/Indiana/Indianapolis', codes: [219, 260, 317, 463, 574, 765, 812, 930] },
	IA: { zone: 'America/Chicago', codes: [319, 515, 563, 641, 712] },
	KS: { zone: 'America/Chicago', codes: [316, 620, 785, 913] },
	KY: { zone: 'America/New_York', codes: [270, 364, 502, 606, 859] },
	LA: { zone: 'America/Chicago', codes: [225, 318, 337, 504, 985] },
	ME: { zone: 'America/New_York', codes: [207] },
	MD: { zone: 'America/New_York', codes: [227, 240, 301, 410, 443, 667] },
	MA: { zone: 'America/New_York', codes: [339, 351, 413, 508, 617, 774, 781, 857, 978] },
	MI: { zone: 'America/Detroit', codes: [231, 248, 269, 313, 517, 586, 616, 679, 734, 810, 906, 947, 989] },
	MN: { zone: 'America/Chicago', codes: [218, 320, 507, 612, 651, 763, 924, 952] },
	MS: { zone: 'America/Chicago', codes: [228, 601, 662, 769] },
	MO: { zone: 'America/Chicago', codes: [235, 314, 417, 557, 573, 636, 660, 816, 975] },
	MT: { zone: 'America/Denver', codes: [406] },
	NE: { zone: 'America/Chicago', codes: [308, 402, 531] },
	NV: { zone: 'America/Los_Angeles', codes: [702, 725, 775] },
	NH: { zone: 'America/New_York', codes: [603] },
	NJ: { zone: 'America/New_York', codes: [201, 551, 609, 640, 732, 848, 856, 862, 908, 973] },
	NM: { zone: 'America/Denver', codes: [505, 575] },
	NY: {
		zone: 'America/New_York',
		codes: [
			212, 315, 329, 332, 347, 363, 516, 518, 585, 607, 624, 631, 646, 680, 716, 718, 838, 845, 914, 917, 929, 934,
		],
	},
	NC: { zone: 'America/New_York', codes: [252, 336, 472, 704, 743, 828, 910, 919, 980, 984] },
	ND: { zone: 'America/Chicago', codes: [701] },
	OH: { zone: 'America/New_York', codes: [216, 220, 234, 283, 326, 330, 380, 419, 436, 440, 513, 567, 614, 740, 937] },
	OK: { zone: 'America/Chicago', codes: [405, 539, 572, 580, 918] },
	OR: { zone: 'America/Los_Angeles', codes: [458, 503, 541, 971] },
	PA: { zone: 'America/New_York', codes: [215, 223, 267, 272, 412, 445, 484, 570, 582, 610, 717, 724, 814, 835, 878] },
	RI: { zone: 'America/New_York', codes: [401] },
	SC: { zone: 'America/New_York', codes: [803, 821, 839, 843, 854, 864] },
	SD: { zone: 'America/Chicago', codes: [605] },
	TN: { zone: 'America/Chicago', codes: [423, 615, 629, 731, 865, 901, 931] },
	TX: {
		zone: 'America/Chicago',
		codes: [
			210, 214, 254, 281, 325, 346, 361, 409, 430, 432, 469, 512, 621, 682, 713, 726, 737, 806, 817, 830, 832, 903, 915,
			936, 940, 945, 956, 972, 979,
		],
	},
	UT: { zone: 'America/Denver', codes: [385, 435, 801] },
	VT: { zone: 'America/New_York', codes: [802] },
	VA: { zone: 'America/New_York', codes: [276, 434, 540, 571, 686, 703, 757, 804, 826, 948] },
	WA: { zone: 'America/Los_Angeles', codes: [206, 253, 360, 425, 509, 564] },
	WV: { zone: 'America/New_York', codes: [304, 681] },
	WI: { zone: 'America/Chicago', codes: [262, 274, 353, 414, 534, 608, 715, 920] },
	WY: { zone: 'America/Denver', codes: [307] },
	PR: { zone: 'America/Puerto_Rico', codes: [787, 939] },
};

/** Area codes inside a state whose main zone (`zone`, kept for compatibility) is not the state's. */
const ZONE_OVERRIDES: Record<number, string> = {
	850: 'America/Chicago', // Florida panhandle west of the Apalachicola
	448: 'America/Chicago', // overlay of 850
	915: 'America/Denver', // El Paso
	270: 'America/Chicago', // western Kentucky
	364: 'America/Chicago',
	423: 'America/New_York', // Chattanooga, east Tennessee
	865: 'America/New_York', // Knoxville
	906: 'America/Detroit',
	541: 'America/Los_Angeles',
	219: 'America/Chicago', // northwest Indiana
	812: 'America/Indiana/Indianapolis',
	605: 'America/Chicago',
	308: 'America/Chicago',
	701: 'America/Chicago',
	208: 'America/Boise',
	986: 'America/Boise',
};

/** Canadian area codes by province or territory, with its main zone (CNAC's list of Canadian area codes). */
export const CA_PROVINCE_AREA_CODES: Record<string, { zone: string; codes: number[] }> = {
	BC: { zone: 'America/Vancouver', codes: [236, 250, 257, 604, 672, 778] },
	AB: { zone: 'America/Edmonton', codes: [368, 403, 587, 780, 825] },
	SK: { zone: 'America/Regina', codes: [306, 474, 639] },
	MB: { zone: 'America/Winnipeg', codes: [204, 431, 584] },
	ON: {
		zone: 'America/Toronto',
		codes: [226, 249, 289, 343, 365, 382, 416, 437, 519, 548, 613, 647, 683, 705, 742, 753, 807, 905, 942],
	},
	QC: { zone: 'America/Toronto', codes: [263, 354, 367, 418, 438, 450, 468, 514, 579, 581, 819, 873] },
	NB: { zone: 'America/Moncton', codes: [428, 506] },
	NS: { zone: 'America/Halifax', codes: [782, 902] }, // 902 and 782 serve Prince Edward Island too
	NL: { zone: 'America/St_Johns', codes: [709, 879] },
	YT: { zone: 'America/Whitehorse', codes: [867] }, // 867 serves the Northwest Territories and Nunavut too
};

/**
 * Zones Google's map (nanp-zones.ts) does not list for an area code: an overlay serves its parent's ground, so it gets
 * the parent's zones; and places the map gives one zone while part of them keeps another clock.
 */
const ZONE_ADDITIONS: Record<number, string[]> = {
	364: ['America/Chicago', 'America/New_York'], // overlay of 270 (Kentucky)
	448: ['America/Chicago', 'America/New_York'], // overlay of 850 (Florida panhandle)
	458: ['America/Denver', 'America/Los_Angeles'], // overlay of 541 (Oregon; Malheur County keeps Mountain time)
	930: ['America/Chicago', 'America/New_York'], // overlay of 812 (southern Indiana)
	986: ['America/Denver'], // overlay of 208 (Idaho)
	879: ['America/Halifax'], // overlay of 709 (Labrador keeps Atlantic time)
	// BC-wide overlays of 250: the Peace River and East Kootenay keep Mountain time.
	236: ['America/Edmonton'],
	257: ['America/Edmonton'],
	672: ['America/Edmonton'],
	778: ['America/Edmonton'],
	// Overlays of 418 (eastern Quebec; the Lower North Shore keeps Atlantic time).
	367: ['America/Halifax'],
	581: ['America/Halifax'],
	// Saskatchewan: Lloydminster keeps Alberta's clock on both sides of the border (The Time Act, SS 1978 c T-14).
	306: ['America/Edmonton'],
	639: ['America/Edmonton'],
	474: ['America/Regina', 'America/Edmonton'], // the map gives this 2022 overlay Winnipeg's zone only
};

export interface AreaCodeInfo {
	country: 'US' | 'CA' | 'PR' | undefined;
	/** US state or territory, or Canadian province or territory. */
	state?: string;
	/** The main zone of the area code. */
	zone: string;
	/** Every zone a number with this area code may be in, the main zone first. */
	zones: string[];
}

const INDEX = new Map<number, AreaCodeInfo>();
function add(country: AreaCodeInfo['country'], state: string, code: number, zone: string): void {
	const zones = new Set([zone, ...(AREA_CODE_ZONES[code]?.split(' ') ?? []), ...(ZONE_ADDITIONS[code] ?? [])]);
	// 474 is in Saskatchewan, which never moves its clock: the map's Winnipeg entry is an error.
	if (code === 474) zones.delete('America/Winnipeg');
	INDEX.set(code, { country, state, zone, zones: [...zones] });
}
for (const [state, { zone, codes }] of Object.entries(STATE_AREA_CODES)) {
	for (const code of codes) add(state === 'PR' ? 'PR' : 'US', state, code, ZONE_OVERRIDES[code] ?? zone);
}
for (const [province, { zone, codes }] of Object.entries(CA_PROVINCE_AREA_CODES)) {
	for (const code of codes) add('CA', province, code, zone);
}
// The rest of the plan (Caribbean countries, Pacific territories) has a zone but no state or province of ours.
for (const [code, list] of Object.entries(AREA_CODE_ZONES)) {
	if (INDEX.has(Number(code))) continue;
	const zones = list.split(' ');
	INDEX.set(Number(code), { country: undefined, zone: zones[0], zones });
}

export function areaCodeInfo(areaCode: number): AreaCodeInfo | undefined {
	return INDEX.get(areaCode);
}

/** NANP area codes whose numbers bill the caller per call or minute (pay-per-call, 47 CFR 64.1504): never texted. */
export const PREMIUM_AREA_CODES: ReadonlySet<number> = new Set([900]);

/** Countries with a single civil time zone, for callers outside North America. */
export const COUNTRY_ZONES: Record<string, string> = {
	GB: 'Europe/London',
	IE: 'Europe/Dublin',
	FR: 'Europe/Paris',
	DE: 'Europe/Berlin',
	ES: 'Europe/Madrid',
	IT: 'Europe/Rome',
	NL: 'Europe/Amsterdam',
	BE: 'Europe/Brussels',
	CH: 'Europe/Zurich',
	AT: 'Europe/Vienna',
	SE: 'Europe/Stockholm',
	NO: 'Europe/Oslo',
	DK: 'Europe/Copenhagen',
	FI: 'Europe/Helsinki',
	PL: 'Europe/Warsaw',
	PT: 'Europe/Lisbon',
	GR: 'Europe/Athens',
	IL: 'Asia/Jerusalem',
	IN: 'Asia/Kolkata',
	JP: 'Asia/Tokyo',
	NZ: 'Pacific/Auckland',
	ZA: 'Africa/Johannesburg',
	SG: 'Asia/Singapore',
	PH: 'Asia/Manila',
};
