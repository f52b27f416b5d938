import { z } from 'zod';
import { IANAZone } from 'luxon';
import Mustache from 'mustache';
import { parseOrThrow, RecoveryInputError } from '../errors';
import { TRADES } from '../classify/presets';
import { classifyKeyword, normalizeText } from '../optout';

const hhmm = z
	.string()
	.regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'Expected a time of day as HH:MM, 24-hour, such as 08:00 or 17:30');
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'Expected an E.164 phone number such as +14155550100');

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

const span = z.object({ open: hhmm, close: hhmm }).refine((s) => s.open < s.close, {
	message: 'open must be before close on the same day (split overnight hours into two days)',
});

const template = z
	.string()
	.max(1600)
	.superRefine((t, ctx) => {
		try {
			Mustache.parse(t);
		} catch (e) {
			ctx.addIssue({
				code: 'custom',
				message: `Template does not parse: ${(e as Error).message}. Check the {{ }} pairs`,
			});
		}
	});

const onCallShift = z.object({
	days: z.array(z.enum(DAYS)).min(1),
	from: hhmm,
	to: hhmm,
});

const optOutWord = z
	.string()
	.max(40)
	.refine((w) => /[\p{L}\p{N}]/u.test(w), {
		message: 'Expected a word or short phrase with at least one letter or digit, such as "NO THANKS"',
	});

function sameWord(a: string, b: string): boolean {
	const key = (w: string) => normalizeText(w).replace(/[^a-z0-9]/g, '');
	return key(a) === key(b);
}

// Ids become keys of per-owner and per-business tables: these three would reach Object.prototype instead.
const RESERVED_IDS = ['__proto__', 'constructor', 'prototype'];
const notReserved = (v: string) => !RESERVED_IDS.includes(v);
const reservedMessage = `Choose another id: ${RESERVED_IDS.join(', ')} are reserved`;

export const RosterMemberSchema = z.object({
	id: z.string().min(1).max(60).refine(notReserved, reservedMessage),
	name: z.string().min(1).max(120),
	phone: e164.optional(),
	email: z.string().email().optional(),
	skills: z.array(z.string()).default([]),
	onCall: z.array(onCallShift).default([]),
	active: z.boolean().default(true),
	maxOpen: z.number().int().positive().optional(),
});
export type RosterMember = z.infer<typeof RosterMemberSchema>;

export const DEFAULT_MESSAGES = {
	// The caller's texts fit one SMS segment (160 GSM-7 characters) for a business name of up to about 20 characters:
	// Twilio bills per segment. A booking link or a long name adds its own length (the simulator shows the count).
	businessHours:
		"{{business.name}}: sorry we missed your call. We'll call you back soon. Reply with what you " +
		'need{{#bookingUrl}} or book at {{bookingUrl}}{{/bookingUrl}}. Reply STOP to opt out.',
	afterHours:
		'{{business.name}}: sorry we missed your call. We open {{nextOpen}} and will call you back ' +
		'then.{{#emergencyLine}} Emergency? Call {{emergencyLine}}.{{/emergencyLine}} Reply STOP to opt out.',
	weekend: '',
	holiday:
		'{{business.name}}: sorry we missed your call. Closed for {{holidayName}}; we open ' +
		'{{nextOpen}}.{{#emergencyLine}} Emergency? Call {{emergencyLine}}.{{/emergencyLine}} Reply STOP to opt out.',
	/** A text held back by quiet hours that goes out once the business is open: the call was earlier, not now. */
	missedEarlier:
		"{{business.name}}: sorry we missed your call {{callWhen}}. We're open now and will call you back soon. Reply " +
		'STOP to opt out.',
	help:
		'{{business.name}}: reply with what you need and we will call you back{{#business.phone}}, or call ' +
		'{{business.phone}}{{/business.phone}}. Reply STOP to opt out.',
	optOutConfirm:
		'You have been unsubscribed from {{business.name}} and will receive no more messages. Reply START to resubscribe.',
	optInConfirm: 'You are subscribed to {{business.name}} again. Reply STOP to opt out.',
	ownerAlert:
		'[{{urgencyLabel}}] Missed call from {{caller}} ({{serviceType}}, {{timingLabel}}). Call back by ' +
		'{{dueLocal}}.{{#transcript}} Voicemail: "{{transcript}}"{{/transcript}} Case {{caseShort}}',
	/** The owner already has the case; the caller's words made it an emergency. */
	emergencyUpdate:
		'[EMERGENCY] Update on case {{caseShort}}: the missed call from {{caller}} is now an emergency ' +
		'({{serviceType}}). Call now.{{#latestReply}} They texted: "{{latestReply}}"{{/latestReply}}' +
		'{{#transcript}} Voicemail: "{{transcript}}"{{/transcript}}',
	escalationAlert:
		'[Escalated to you, level {{level}}] Missed call {{caller}} ({{urgencyLabel}}, {{serviceType}}) was ' +
		"{{previousOwner}}'s, due {{missedDue}}, still open. Call back by {{dueLocal}}. Case {{caseShort}}",
	/** The caller rang again while the case is open: the owner hears it once per call (up to a cap). */
	repeatAlert:
		'[Called again] {{caller}} called again (call {{callNumber}}), {{urgencyLabel}}, {{serviceType}}. Call back by ' +
		'{{dueLocal}}.{{#transcript}} Voicemail: "{{transcript}}"{{/transcript}} Case {{caseShort}}',
	reminder:
		'[Reminder {{reminder}} of {{reminders}}] Missed call from {{caller}} ({{urgencyLabel}}, {{serviceType}}) is ' +
		'still open, past its {{dueLocal}} deadline. Please call back. Case {{caseShort}}',
	/** The SMS assistant handed a case to its owner (core/assistant): why, and what the caller told it so far. */
	assistantHandoff:
		'[Assistant hand-off] {{caller}} needs a person: {{handoffReason}}.{{#intake}} They said: {{intake}}.{{/intake}} ' +
		'Call back by {{dueLocal}}. Case {{caseShort}}',
	voicemailPrompt:
		'Sorry, we could not take your call at {{business.name}}. Please leave a message after the tone and we will ' +
		'call you back.',
};

/** One intake question the assistant asks, and the key its answer is kept under on the case (`intake`). */
export const IntakeQuestionSchema = z.object({
	key: z
		.string()
		.regex(
			/^[a-z][A-Za-z0-9]{0,39}$/,
			'Expected a short key of letters and digits starting lowercase, such as bestTime',
		)
		.refine(notReserved, reservedMessage),
	question: z.string().min(1).max(200),
});
export type IntakeQuestion = z.infer<typeof IntakeQuestionSchema>;

/** The guarded SMS assistant (core/assistant): off unless the business turns it on. */
export const AssistantSchema = z.object({
	/** Answer the caller's replies after the acknowledgment with a language model. Off by default. */
	enabled: z.boolean().default(false),
	/** Short questions and answers the business writes; with the profile's facts, all the assistant may say. */
	faq: z
		.array(z.object({ q: z.string().min(1).max(200), a: z.string().min(1).max(500) }))
		.max(20)
		.default([]),
	/** The services the business offers, in its own words; empty: its trade's service types. */
	services: z.array(z.string().min(1).max(80)).max(30).default([]),
	/** The area it serves, such as "Chicago north side, ZIP codes 60613-60660". */
	area: z.string().max(200).optional(),
	/** The questions it asks, in order; absent: the trade's defaults (core/assistant/intake.ts). */
	intake: z.array(IntakeQuestionSchema).min(1).max(8).optional(),
	/** Assistant texts in one case before the case is handed to the owner. */
	maxTurns: z.number().int().min(1).max(20).default(6),
	/** Assistant texts one case may ever get (hand-off texts included): a hard stop beside maxTurns. */
	perCaseCap: z.number().int().min(1).max(30).default(8),
	/** Assistant texts the business may send in any hour, all cases together (a runaway or a flood stops here). */
	perHourCap: z.number().int().min(1).max(1000).default(60),
});
export type AssistantConfig = z.infer<typeof AssistantSchema>;

export const ProfileSchema = z.object({
	businessId: z
		.string()
		.min(1)
		.max(120)
		.regex(/^[A-Za-z0-9._:-]+$/, 'Use letters, digits, dot, dash, colon or underscore')
		.refine(notReserved, reservedMessage),
	name: z.string().min(1).max(120),
	timeZone: z.string().refine((tz) => IANAZone.isValidZone(tz), {
		message: 'Expected an IANA time zone such as America/Chicago or Europe/London',
	}),
	country: z.string().length(2).default('US'),
	/** The business's public number, quoted in HELP replies. */
	phone: e164.optional(),
	/** Where forward-and-detect mode rings the business. */
	forwardTo: e164.optional(),
	ringSeconds: z.number().int().min(5).max(120).default(20),
	/** The provider numbers that belong to this business (the called number picks the business). */
	numbers: z.array(e164).default([]),
	emergencyLine: e164.optional(),
	/**
	 * The booking page offered in texts; "{caseId}" in it is replaced by the case id (Cal.com:
	 * ?metadata[caseId]={caseId}).
	 */
	bookingUrl: z.string().url().optional(),
	trade: z.enum(TRADES).default('general'),
	hours: z
		.object(
			Object.fromEntries(DAYS.map((d) => [d, z.array(span).default([])])) as Record<
				Day,
				z.ZodDefault<z.ZodArray<typeof span>>
			>,
		)
		.default({
			mon: [{ open: '08:00', close: '17:00' }],
			tue: [{ open: '08:00', close: '17:00' }],
			wed: [{ open: '08:00', close: '17:00' }],
			thu: [{ open: '08:00', close: '17:00' }],
			fri: [{ open: '08:00', close: '17:00' }],
			sat: [],
			sun: [],
		}),
	holidays: z
		.array(
			z.object({
				date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Expected a date as YYYY-MM-DD'),
				name: z.string().default('the holiday'),
			}),
		)
		.default([]),
	roster: z.array(RosterMemberSchema).default([]),
	routing: z
		.object({
			strategy: z.enum(['on-call', 'round-robin', 'skills', 'least-loaded']).default('round-robin'),
			/** Member ids tried in order when the strategy finds nobody. */
			fallback: z.array(z.string()).default([]),
			/** Member ids, level 1 first: who a case goes to when its deadline passes unclaimed. */
			escalation: z.array(z.string()).default([]),
			deadlineMinutes: z
				.object({
					emergency: z.number().positive().default(15),
					high: z.number().positive().default(60),
					normal: z.number().positive().default(240),
					low: z.number().positive().default(1440),
				})
				.default({}),
			/** Deadlines for these urgencies count business minutes only (from the next opening when closed). */
			businessClockFor: z.array(z.enum(['emergency', 'high', 'normal', 'low'])).default(['normal', 'low']),
			/**
			 * Once the escalation ladder is spent, the last owner gets at most `max` reminders, `everyMinutes` apart
			 * (business minutes for the urgencies in businessClockFor); then escalation ends and the report shows it.
			 */
			reminders: z
				.object({
					everyMinutes: z.number().min(15).max(10080).default(60),
					max: z.number().int().min(0).max(10).default(2),
				})
				.default({}),
			/** How the owner's first text about a case is timed (see core/notify.ts). */
			ownerAlerts: z
				.object({
					/**
					 * How long the first alert waits for the voicemail's words when the caller was offered voicemail:
					 * a recording lasts up to 120 s (the trigger's maxLength, Twilio transcribes only up to 120 s) and
					 * Twilio's transcription follows it asynchronously. An emergency is never held.
					 */
					waitForVoicemailSeconds: z.number().int().min(0).max(900).default(300),
					/**
					 * A routine call (an urgency in businessClockFor) that arrives while the business is closed is told to
					 * its owner when the business opens, not at night; an emergency or a call that becomes one, at once.
					 */
					holdRoutineWhileClosed: z.boolean().default(true),
					/**
					 * A caller who rings again while their case is open: the owner is told once per further call, with
					 * that call's voicemail, up to this many times per case (0: never). Bounded so a caller redialling
					 * ten times does not become ten texts to staff.
					 */
					repeatCalls: z.number().int().min(0).max(5).default(2),
					/**
					 * Hours a case-page link in an owner alert works (0: alerts carry no link). The link is added only
					 * when the runtime knows the trigger's public URL (the Twilio account's status callback URL).
					 */
					caseLinkHours: z.number().int().min(0).max(720).default(168),
				})
				.default({}),
		})
		.default({}),
	acknowledgment: z
		.object({
			enabled: z.boolean().default(true),
			channel: z.enum(['sms', 'whatsapp', 'same-as-call']).default('same-as-call'),
			/** A messaging service or sender; default: the number that was called. */
			from: z.string().optional(),
			/** One acknowledgment per caller within this window, however often they call. */
			windowMinutes: z.number().int().min(1).max(10080).default(720),
			/** Calls shorter than this (ring or talk) count as short-abandoned. */
			minCallSeconds: z.number().min(0).max(60).default(8),
			textShortCalls: z.boolean().default(false),
			allowedCountries: z.array(z.string().length(2)).default(['US', 'CA']),
			/** Texts this business may send in any hour, and in any 24 hours: a burst beyond them is stopped (SMS pumping). */
			hourlyCap: z.number().int().min(1).max(10000).default(100),
			dailyCap: z.number().int().min(1).max(100000).default(500),
			/** Texts of any kind one caller may get from this business in 24 hours. */
			perCallerDailyCap: z.number().int().min(1).max(50).default(5),
			checkLineType: z.boolean().default(true),
			quietHours: z
				.object({
					enabled: z.boolean().default(true),
					start: hhmm.default('21:00'),
					end: hhmm.default('08:00'),
					/**
					 * The law's hours (US federal 08:00-21:00 caller's local time; Florida and Oklahoma 08:00-20:00) are written
					 * for telephone solicitations; the text-back answers a call the customer has just made. `defer` (the default,
					 * the cautious reading) holds it to those hours all the same; `send` texts at once at any hour, and leaves
					 * only this business's own quiet hours above (when enabled) and the states' 3-in-24-hours limit. Ask counsel.
					 */
					replyToCaller: z.enum(['defer', 'send']).default('defer'),
				})
				// Equal times leave no quiet span or no sending span, depending on the reading: refuse rather than guess.
				.refine((q) => q.start !== q.end, {
					path: ['end'],
					message:
						'Quiet hours that start and end at the same time are ambiguous. Set end to when texting may resume ' +
						'(such as start 21:00, end 08:00), or set enabled to false for no quiet hours of your own',
				})
				.default({}),
		})
		.default({}),
	messages: z
		.object(
			Object.fromEntries(Object.entries(DEFAULT_MESSAGES).map(([k, v]) => [k, template.default(v)])) as Record<
				keyof typeof DEFAULT_MESSAGES,
				z.ZodDefault<typeof template>
			>,
		)
		.default({}),
	/**
	 * What a caller in danger should do now, by hazard, texted once after the acknowledgment when their words reveal an
	 * emergency with a safety step; an empty text turns one off. Defaults in core/safety.ts.
	 */
	safetySteps: z
		.object({
			gas: template.optional(),
			'carbon-monoxide': template.optional(),
			electrical: template.optional(),
			sewage: template.optional(),
			water: template.optional(),
		})
		.default({}),
	classification: z
		.object({
			emergencyWords: z.array(z.string()).default([]),
			highWords: z.array(z.string()).default([]),
			lowWords: z.array(z.string()).default([]),
			knownCustomers: z.array(e164).default([]),
			repeatWindowMinutes: z.number().positive().default(30),
			/** The language model's prompt for this business, replacing its trade's default (core/classify/model.ts). */
			modelPrompt: z
				.object({ role: z.string().max(2000).optional(), guidance: z.array(z.string().max(500)).max(30).optional() })
				.optional(),
		})
		.default({}),
	/**
	 * The business's own opt-out and opt-in words, on top of the built-in ones (STOP, ARRÊT, "stop texting me"…):
	 * each matches as a whole reply, like STOP and START (core/optout).
	 */
	optOut: z
		.object({
			stopWords: z.array(optOutWord).max(50).default([]),
			startWords: z.array(optOutWord).max(50).default([]),
		})
		.superRefine((o, ctx) => {
			o.startWords.forEach((w, i) => {
				// A start word that already opts out would let a reply mean both; the safe reading (stop) would win anyway.
				if (classifyKeyword(w).keyword === 'stop' || o.stopWords.some((s) => sameWord(s, w)))
					ctx.addIssue({
						code: 'custom',
						path: ['startWords', i],
						message: `"${w}" already opts out; remove it from optOut.startWords (START, UNSTOP and YES always opt back in)`,
					});
			});
		})
		.default({}),
	/** The guarded SMS assistant that answers the caller's replies; off by default (docs/assistant.md). */
	assistant: AssistantSchema.default({}),
});
export type Profile = z.infer<typeof ProfileSchema>;
export type ProfileInput = z.input<typeof ProfileSchema>;

/** Validates a business profile; an error names the field, the value and the fix. */
export function parseProfile(input: unknown): Profile {
	const profile = parseOrThrow(ProfileSchema, input, 'Business profile');
	const ids = new Set(profile.roster.map((m) => m.id));
	const refs: [string, string[]][] = [
		['routing.fallback', profile.routing.fallback],
		['routing.escalation', profile.routing.escalation],
	];
	for (const [field, list] of refs) {
		list.forEach((id, i) => {
			if (!ids.has(id)) {
				throw new RecoveryInputError(
					`${field}.${i}`,
					id,
					'No roster member has this id: add them to the roster or remove the id.',
					'Business profile',
				);
			}
		});
	}
	return profile;
}
