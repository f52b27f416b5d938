// GSM 03.38 basic character set and its extension table (each extension character costs two septets).
const GSM_BASIC =
	'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ ' +
	'!"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';
const BASIC = new Set(GSM_BASIC);
const EXTENDED = new Set(GSM_EXTENDED);

export interface SegmentCount {
	encoding: 'GSM-7' | 'UCS-2';
	/** Septets for GSM-7, UTF-16 code units for UCS-2. */
	units: number;
	segments: number;
}

/** How many SMS segments a body costs: 160/153 septets in GSM-7, 70/67 code units in UCS-2. */
export function countSegments(body: string): SegmentCount {
	let septets = 0;
	let gsm = true;
	for (const ch of body) {
		if (BASIC.has(ch)) septets += 1;
		else if (EXTENDED.has(ch)) septets += 2;
		else {
			gsm = false;
			break;
		}
	}
	if (gsm) {
		return {
			encoding: 'GSM-7',
			units: septets,
			segments: septets === 0 ? 1 : septets <= 160 ? 1 : Math.ceil(septets / 153),
		};
	}
	const units = body.length;
	return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
