import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js';
import metadata from 'libphonenumber-js/metadata.min.json';
import { remember } from './bounded';
import { RecoveryInputError } from './errors';
import { areaCodeInfo, COUNTRY_ZONES, PREMIUM_AREA_CODES } from './data/us-area-codes';

export interface PhoneInfo {
	e164: string;
	country?: string;
	/** Two-letter US state or territory, or Canadian province or territory, from the area code, when known. */
	region?: string;
	/** IANA time zone of the number, when it can be known from the number alone (the area code's main zone). */
	zone?: string;
	/** Every zone the number may be in (an area code can span several), `zone` first; empty when unknown. */
	zones: string[];
	/** A pay-per-call number (NANP 900): texts to it are billed or pumped, never sent. */
	premiumRate?: true;
}

/** Strips the channel prefix Twilio puts on WhatsApp and other channels. */
export function stripChannel(raw: string): { channel: 'sms' | 'whatsapp'; number: string } {
	const m = /^(whatsapp|sms|mms):/i.exec(raw.trim());
	if (!m) return { channel: 'sms', number: raw.trim() };
	return { channel: m[1].toLowerCase() === 'whatsapp' ? 'whatsapp' : 'sms', number: raw.trim().slice(m[0].length) };
}

/**
 * Remembered answers, bounded: the business's own numbers, its owners and returning callers come up again and again.
 */
const REMEMBERED = 10000;
const e164Cache = new Map<string, string | undefined>();
const infoCache = new Map<string, PhoneInfo>();
/** Numbers parsed from their international form, kept so that showing one to a person needs no second parse. */
const parsedCache = new Map<string, PhoneNumber>();

/**
 * Normalizes a phone number to E.164. National numbers use the default country (the business's).
 * Returns undefined for what cannot be a phone number (anonymous callers, SIP URIs, garbage).
 */
export function tryE164(raw: unknown, defaultCountry: string = 'US'): string | undefined {
	if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
	const text = stripChannel(String(raw)).number;
	if (!text || text.length > 40) return undefined;
	const key = `${defaultCountry}|${text}`;
	if (e164Cache.has(key)) return e164Cache.get(key);
	return remember(e164Cache, key, parseE164(text, defaultCountry), REMEMBERED);
}

function parseE164(text: string, defaultCountry: string): string | undefined {
	// Digits with a country code but no plus, as Vonage and Telnyx send them (e.g. "14155550100").
	const candidate = /^\d{11,15}$/.test(text) && !text.startsWith('0') ? `+${text}` : text;
	try {
		let input = candidate;
		let parsed = parsePhoneNumberFromString(input, defaultCountry as CountryCode);
		// A national number that looked international by accident ("4155550100" without plus is handled above for 11+
		// digits).
		if ((!parsed || !parsed.isPossible()) && candidate !== text)
			parsed = parsePhoneNumberFromString((input = text), defaultCountry as CountryCode);
		if (!parsed || !parsed.isPossible()) return undefined;
		// An international form parses as phoneInfo would parse it (the default country plays no part): keep what it knows.
		if (input.startsWith('+')) {
			if (!infoCache.has(parsed.number)) remember(infoCache, parsed.number, infoOf(parsed.number, parsed), REMEMBERED);
			remember(parsedCache, parsed.number, parsed, REMEMBERED);
		}
		return parsed.number;
	} catch {
		return undefined;
	}
}

/** Like tryE164 but throws an error naming the field when the number is unusable. */
export function toE164(raw: unknown, field: string, defaultCountry = 'US'): string {
	const out = tryE164(raw, defaultCountry);
	if (!out) {
		throw new RecoveryInputError(
			field,
			raw,
			"Expected a phone number in E.164 form such as +14155550100 (or a national number of the business's country).",
		);
	}
	return out;
}

/** Country, state or province and time zones of a number; remembered, since the same callers come back. */
export function phoneInfo(e164: string): PhoneInfo {
	return infoCache.get(e164) ?? remember(infoCache, e164, infoOf(e164, parsePhoneNumberFromString(e164)), REMEMBERED);
}

function infoOf(e164: string, parsed: PhoneNumber | undefined): PhoneInfo {
	if (!parsed) return { e164, zones: [] };
	// Numbers in reserved ranges have no country of their own: take the calling code's main country.
	const country =
		parsed.country ??
		(metadata as { country_calling_codes: Record<string, string[]> }).country_calling_codes[
			parsed.countryCallingCode
		]?.[0];
	if (parsed.countryCallingCode === '1') {
		const area = Number(parsed.nationalNumber.slice(0, 3));
		if (PREMIUM_AREA_CODES.has(area)) return { e164, country, zones: [], premiumRate: true };
		const info = areaCodeInfo(area);
		if (info) {
			const region = info.state;
			return { e164, country: info.country ?? country, region, zone: info.zone, zones: info.zones };
		}
		return { e164, country, zones: [] };
	}
	const zone = country ? COUNTRY_ZONES[country] : undefined;
	return { e164, country, zone, zones: zone ? [zone] : [] };
}

/** Masks the middle of a number for logs and status text: +1415***0100. */
export function maskPhone(e164: string): string {
	if (e164.length < 8) return '***';
	return `${e164.slice(0, 5)}***${e164.slice(-4)}`;
}

/** A number as a person reads it: national form within North America ("(312) 555-0123"), international elsewhere. */
const displayCache = new Map<string, string>();

export function formatPhone(e164: string): string {
	const known = displayCache.get(e164);
	if (known !== undefined) return known;
	const parsed = parsedCache.get(e164) ?? parsePhoneNumberFromString(e164);
	// Shown once, remembered as text below: the parsed form has served.
	parsedCache.delete(e164);
	const text = !parsed
		? e164
		: parsed.countryCallingCode === '1'
			? parsed.formatNational()
			: parsed.formatInternational();
	return remember(displayCache, e164, text, REMEMBERED);
}
