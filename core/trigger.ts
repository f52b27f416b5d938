import {
	InboundMessageSchema,
	isOpen,
	MessageStatusSchema,
	MissedCallSchema,
	notDelivered,
	VoicemailEventSchema,
	type Case,
	type InboundMessage,
	type MessageStatus,
	type MissedCall,
	type Provider,
	type VoicemailEvent,
} from './model';
import {
	AI_RESOLVED_KEY,
	checkBodyShape,
	normalize,
	WEBHOOK_LIMITS,
	type GenericMapping,
	type NormalizeOptions,
	type Normalized,
} from './normalize';
import type { RecoveryLoop } from './loop';
import { messageView, renderTemplate } from './acknowledge';
import { headerOf, verifyWebhook } from './signatures';
import { emptyTwiml, forwardTwiml, messageTwiml, voicemailTwiml } from './twilio/twiml';
import { fromZodError, RecoveryInputError } from './errors';
import type { ZodError } from 'zod';
import { maskPhone } from './phone';

interface EventSchema {
	safeParse(v: unknown): { success: true } | { success: false; error: ZodError };
}

export interface TriggerConfig {
	provider: Provider;
	/**
	 * forward: we are the number's Voice URL and ring the business; status: another system answers and posts call status.
	 */
	mode: 'forward' | 'status';
	/** Offer voicemail after a missed forward (forward mode), and accept its recording and transcription. */
	voicemail: boolean;
	/** Check the provider's signature or token (see core/signatures.ts). Off only for local experiments. */
	validateSignature: boolean;
	/** The provider's secret: Twilio Auth Token, Telnyx public key, Vonage signature secret, webhook token… */
	secret?: string;
	normalize: NormalizeOptions;
	mapping?: GenericMapping;
	/** Answer inbound SMS keywords (STOP, START, HELP) with their confirmation text. */
	replyToKeywords: boolean;
}

export interface WebhookRequest {
	/** The full URL the provider called (the public URL behind a proxy), with its query string. */
	url: string;
	headers: Record<string, string | string[] | undefined>;
	/** Parsed body: form fields or JSON; undefined when only `rawBody` is at hand (it is then parsed here, bounded). */
	body: unknown;
	rawBody?: string;
	/** The HTTP method (default POST): a GET with `?case=` opens an owner's case page (core/case-page.ts). */
	method?: string;
}

export type TriggerEvent =
	| { type: 'missed-call'; event: MissedCall; case: Case; created: boolean }
	| { type: 'voicemail'; event: VoicemailEvent; case?: Case }
	| { type: 'inbound-message'; event: InboundMessage; action: string; case?: Case }
	| { type: 'message-status'; event: MessageStatus; case?: Case };

export interface WebhookAnswer {
	status: number;
	contentType: string;
	body: string;
	/** Headers the answer needs beside its content type (a 405's Allow, as HTTP requires). */
	headers?: Record<string, string>;
	/** What the workflow should receive; absent for forgeries, duplicates and non-events. */
	emit?: TriggerEvent;
	/** Why nothing was emitted, in plain words for logs and node status ("text to +1312***0189 delivered"). */
	note?: string;
}

const XML = 'text/xml; charset=utf-8';

function withStep(url: string, step: string): string {
	const u = new URL(url);
	u.searchParams.set('step', step);
	return u.toString();
}

/** Events without a time of their own happen on the loop's clock (a virtual one in the week simulator). */
function withClock(opts: NormalizeOptions, loop: RecoveryLoop): NormalizeOptions {
	return opts.now || !loop.deps.now ? opts : { ...opts, now: loop.deps.now };
}

/** TwiML-speaking providers answer calls with XML; the others just need a 200. */
function speaksTwiml(p: Provider): boolean {
	return p === 'twilio' || p === 'telnyx';
}

/** A 4xx answer naming the field, the value and the fix. */
function refuse(status: 400 | 413, e: RecoveryInputError): WebhookAnswer {
	return { status, contentType: 'text/plain', body: `Bad request: ${e.message}`, note: e.message };
}

/** A body refused for its size alone (413): it was never parsed. */
class BodyTooLarge extends RecoveryInputError {}

function tooLarge(what: string): RecoveryInputError {
	return new BodyTooLarge(
		'(body)',
		what,
		`Provider webhooks are a few kilobytes with a few dozen fields; this request is refused unread (limits: ` +
			`${WEBHOOK_LIMITS.bytes} bytes, ${WEBHOOK_LIMITS.fields} fields, ${WEBHOOK_LIMITS.depth} levels).`,
		'Webhook',
	);
}

/**
 * Bounds a raw body's cost before it is parsed: one pass over the text counting the separators of JSON members and
 * list items (or form fields) and the nesting, outside strings. Parsing is then cheap whatever the body holds.
 */
function boundRaw(raw: string, json: boolean): void {
	if (raw.length > WEBHOOK_LIMITS.bytes) throw tooLarge(`${raw.length} characters`);
	// Separators overcount fields (a member has a colon and a comma): twice the field limit, and twice the depth.
	const maxSeparators = WEBHOOK_LIMITS.fields * 2;
	let separators = 0;
	if (!json) {
		for (let i = raw.indexOf('&'); i !== -1; i = raw.indexOf('&', i + 1))
			if (++separators > maxSeparators) throw tooLarge(`more than ${maxSeparators} form fields`);
		return;
	}
	let depth = 0;
	let inString = false;
	for (let i = 0; i < raw.length; i++) {
		const c = raw.charCodeAt(i);
		if (inString) {
			if (c === 92) i++;
			else if (c === 34) inString = false;
			continue;
		}
		if (c === 34) inString = true;
		else if (c === 58 || c === 44) {
			if (++separators > maxSeparators) throw tooLarge(`more than ${maxSeparators} JSON members`);
		} else if (c === 123 || c === 91) {
			if (++depth > WEBHOOK_LIMITS.depth * 2) throw tooLarge(`nested more than ${WEBHOOK_LIMITS.depth * 2} levels`);
		} else if (c === 125 || c === 93) depth--;
	}
}

/**
 * A raw webhook body parsed as its content type says (JSON, a JWT as text, or form fields), after its size and
 * field count are bounded. Runtimes that hand over only the bytes (Node-RED's own route) use this.
 */
export function parseWebhookBody(raw: string, contentType: string | undefined): unknown {
	const type = (contentType ?? '').toLowerCase();
	const trimmed = raw.trim();
	const json = type.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[');
	boundRaw(raw, json);
	// Dialpad posts its signed event as a JWT (application/jwt or text): the signature check reads it as text.
	if (!json && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(trimmed)) return trimmed;
	if (!json) return Object.fromEntries(new URLSearchParams(raw));
	try {
		return JSON.parse(raw || '{}') as unknown;
	} catch (e) {
		throw new RecoveryInputError(
			'(body)',
			raw,
			`The body is not valid JSON (${(e as Error).message}): send the provider's webhook as it is.`,
			'Webhook',
		);
	}
}

/** Bounds what arrives before anything costly reads it: the raw size, then the fields of the parsed body. */
function boundRequest(req: WebhookRequest): void {
	if (req.rawBody !== undefined && req.rawBody.length > WEBHOOK_LIMITS.bytes)
		throw tooLarge(`${req.rawBody.length} characters`);
	if (req.body === undefined || typeof req.body !== 'object') return;
	try {
		checkBodyShape(req.body);
	} catch (e) {
		if (e instanceof RecoveryInputError) throw new BodyTooLarge(e.field, e.value, e.fix, 'Webhook');
		throw e;
	}
}

/** Providers whose signature covers the parsed fields (Twilio's form) or sits inside the body (Aircall's token). */
function signsParsedBody(p: Provider, req: WebhookRequest): boolean {
	return p === 'aircall' || (p === 'twilio' && !req.url.includes('bodySHA256'));
}

/**
 * The normalized event checked against the schema the store keeps: a value no stored case may hold (a date past
 * year 9999, a number JSON cannot keep) is refused here as a 400 naming it, not found later as a case that
 * cannot be read.
 */
function checkEvent(n: Normalized, provider: Provider): void {
	const check = (schema: EventSchema, v: unknown) => {
		const r = schema.safeParse(v);
		if (!r.success) throw fromZodError(r.error, v, `${provider} webhook, as normalized`);
	};
	if (n.kind === 'missed-call') check(MissedCallSchema, n.event);
	else if (n.kind === 'voicemail') check(VoicemailEventSchema, n.event);
	else if (n.kind === 'inbound-message') check(InboundMessageSchema, n.event);
	else if (n.kind === 'message-status') check(MessageStatusSchema, n.event);
}

const HANDOFF_OUTCOMES: ReadonlySet<string> = new Set(['asked-for-person', 'escalated', 'failed']);

/**
 * Twilio ConversationRelay's action callback comes while the caller is still on the line: when the AI handed off
 * (the caller asked for a person, the app escalated, or the session failed) and the business forwards calls, the answer
 * rings a person, as a receptionist would; if nobody picks up, the Dial's own callback offers voicemail as for any
 * call.
 */
function aiHandoff(
	event: MissedCall,
	cfg: TriggerConfig,
	loop: RecoveryLoop,
): { forwardTo: string; timeoutSec: number; callerId?: string } | undefined {
	const ai = event.voiceAi;
	if (ai?.platform !== 'twilio-conversation-relay' || !HANDOFF_OUTCOMES.has(ai.outcome)) return undefined;
	if (cfg.mode !== 'forward' || !speaksTwiml(cfg.provider)) return undefined;
	const profile = loop.deps.profileFor(event.businessId);
	if (!profile?.forwardTo) return undefined;
	return { forwardTo: profile.forwardTo, timeoutSec: profile.ringSeconds, callerId: event.from };
}

/** The case-page token a URL carries (`?case=`), if any. */
function caseToken(url: string): string | undefined {
	const q = url.indexOf('?');
	if (q < 0) return undefined;
	const v = new URLSearchParams(url.slice(q + 1)).get('case');
	return v === null ? undefined : v;
}

/** A case-page form's two fields, whatever shape the runtime parsed the body into. */
function formOf(body: unknown): { action?: string; nonce?: string } {
	if (!body || typeof body !== 'object') return {};
	const b = body as Record<string, unknown>;
	const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : undefined);
	return { action: str(b.action), nonce: str(b.nonce) };
}

/**
 * One provider webhook in, one answer out: the signature checked first, the payload normalized, the case
 * opened or folded in the store (so a duplicate delivery changes nothing and emits nothing), and the call
 * answered with the right TwiML for the mode.
 */
export async function answerWebhook(
	req: WebhookRequest,
	cfg: TriggerConfig,
	loop: RecoveryLoop,
): Promise<WebhookAnswer> {
	const twiml = speaksTwiml(cfg.provider);
	const ok = (body = twiml ? emptyTwiml() : '', note?: string): WebhookAnswer => ({
		status: 200,
		contentType: twiml ? XML : 'text/plain',
		body,
		note,
	});
	// An owner's case page (the link in an alert): its signed token is its guard, not a provider's signature.
	const token = caseToken(req.url);
	if (token !== undefined) {
		let form: { action?: string; nonce?: string };
		try {
			boundRequest(req);
			const raw = req.body === undefined && req.rawBody ? req.rawBody : undefined;
			form = formOf(raw === undefined ? req.body : parseWebhookBody(raw, 'application/x-www-form-urlencoded'));
		} catch (e) {
			if (e instanceof RecoveryInputError) return refuse(e instanceof BodyTooLarge ? 413 : 400, e);
			throw e;
		}
		const page = await loop.casePage({ method: (req.method ?? 'POST').toUpperCase(), token, form });
		const answer = {
			status: page.status,
			contentType: page.contentType,
			body: page.body,
			note: `case page ${page.status}`,
		};
		return page.allow ? { ...answer, headers: { allow: page.allow } } : answer;
	}
	let body = req.body;
	try {
		boundRequest(req);
		if (
			body === undefined &&
			req.rawBody !== undefined &&
			(!cfg.validateSignature || signsParsedBody(cfg.provider, req))
		)
			body = parseWebhookBody(req.rawBody, headerOf(req.headers, 'content-type'));
	} catch (e) {
		if (e instanceof RecoveryInputError) return refuse(e instanceof BodyTooLarge ? 413 : 400, e);
		throw e;
	}
	if (cfg.validateSignature) {
		const now = loop.deps.now?.() ?? new Date();
		const check = verifyWebhook(cfg.provider, { ...req, body }, cfg.secret, now);
		if (!check.valid) {
			// Counted, never executed; the request's content is not kept. A failing count must not turn a 403 into a 500.
			await loop.deps.store.recordRefusal(cfg.provider, now.toISOString()).catch(() => undefined);
			return {
				status: 403,
				contentType: 'text/plain',
				body: 'Forbidden: invalid signature',
				note: `refused: ${check.reason}`,
			};
		}
		if (check.body !== undefined) body = check.body;
		else if (body === undefined && req.rawBody !== undefined) {
			try {
				body = parseWebhookBody(req.rawBody, headerOf(req.headers, 'content-type'));
			} catch (e) {
				if (e instanceof RecoveryInputError) return refuse(e instanceof BodyTooLarge ? 413 : 400, e);
				throw e;
			}
		}
	} else if (cfg.provider === 'dialpad' && typeof body === 'string') {
		return {
			status: 400,
			contentType: 'text/plain',
			body: 'Bad request: a signed Dialpad event needs its secret to be read',
			note: 'Dialpad sent a JWT; turn on signature checks and give the webhook secret',
		};
	}
	let n: Normalized;
	try {
		n = normalize(cfg.provider, body, withClock(cfg.normalize, loop), cfg.mapping);
		checkEvent(n, cfg.provider);
	} catch (e) {
		if (e instanceof RecoveryInputError) return refuse(400, e);
		throw e;
	}
	const missedCall = async (event: MissedCall): Promise<WebhookAnswer> => {
		// A voice AI's call has its words already: no voicemail prompt after it, and no alert waiting for one.
		const ai = event.answeredBy === 'voice-ai';
		// In forward mode the caller is offered voicemail next: the owner's first alert may wait for its words.
		const offersVoicemail = !ai && cfg.mode === 'forward' && cfg.voicemail && twiml;
		const d = await loop.detect(event, { voicemailExpected: offersVoicemail });
		let body = twiml ? emptyTwiml() : '';
		const handoff = aiHandoff(event, cfg, loop);
		if (handoff) body = forwardTwiml({ ...handoff, actionUrl: withStep(req.url, 'dial') });
		if (offersVoicemail) {
			const profile = loop.deps.profileFor(event.businessId);
			const prompt = profile
				? renderTemplate(
						profile.messages.voicemailPrompt,
						messageView(
							profile,
							{ caller: event.from, calledNumber: event.to },
							(loop.deps.now?.() ?? new Date()).toISOString(),
						),
						'messages.voicemailPrompt',
					)
				: 'Please leave a message after the tone.';
			body = voicemailTwiml({
				prompt,
				actionUrl: withStep(req.url, 'record'),
				transcribeUrl: withStep(req.url, 'transcription'),
			});
		}
		if (d.duplicate) return { ...ok(body), note: `call from ${maskPhone(event.from)} sent again: already recorded` };
		return { ...ok(body), emit: { type: 'missed-call', event: d.event, case: d.case, created: d.created } };
	};
	switch (n.kind) {
		case 'incoming-call': {
			if (cfg.mode !== 'forward') return ok(undefined, 'incoming call in status mode: nothing to do');
			const profile = loop.deps.profileFor(n.businessId);
			if (!profile?.forwardTo) {
				// Nowhere to ring: the call is missed now. Open its case and offer voicemail rather than lose it.
				const asMissed = normalize(
					cfg.provider,
					{ ...(body as Record<string, unknown>), DialCallStatus: 'no-answer', DialCallDuration: '0' },
					withClock(cfg.normalize, loop),
					cfg.mapping,
				);
				if (asMissed.kind !== 'missed-call')
					return ok(
						undefined,
						`no forwardTo number for ${n.businessId}, and the caller cannot be texted: ` +
							`${'reason' in asMissed ? asMissed.reason : asMissed.kind}`,
					);
				return missedCall(asMissed.event);
			}
			return ok(
				forwardTwiml({
					forwardTo: profile.forwardTo,
					actionUrl: withStep(req.url, 'dial'),
					timeoutSec: profile.ringSeconds,
					callerId: n.from || undefined,
				}),
				'call forwarded to the business phone',
			);
		}
		case 'missed-call':
			return missedCall(n.event);
		case 'voicemail': {
			const c = await loop.voicemail(n.event);
			if (!(await loop.deps.store.claimKey(n.event.eventId, n.event.businessId, n.event.at)))
				return ok(undefined, `voicemail from ${maskPhone(n.event.from)} sent again: already recorded`);
			return { ...ok(twiml ? emptyTwiml() : ''), emit: { type: 'voicemail', event: n.event, case: c } };
		}
		case 'inbound-message': {
			const r = await loop.inbound(n.event);
			if (r.action === 'duplicate')
				return ok(twiml ? messageTwiml() : '', `text from ${maskPhone(n.event.from)} sent again: already recorded`);
			const reply =
				cfg.replyToKeywords && r.replyText && twiml ? messageTwiml(r.replyText) : twiml ? messageTwiml() : '';
			return { ...ok(reply), emit: { type: 'inbound-message', event: n.event, action: r.action, case: r.case } };
		}
		case 'message-status': {
			if (!(await loop.deps.store.claimKey(n.event.eventId, n.event.businessId, n.event.at)))
				return ok('', `text to ${maskPhone(n.event.to)}: repeat delivery report ignored`);
			const r = await loop.messageStatus(n.event);
			// Routine news (queued, sent, delivered) is recorded and ends here: two or three reports come back for every
			// text, and a workflow run for each would cost more than the call itself. A text that did not arrive is emitted.
			if (!notDelivered(n.event.status)) return ok('', `text to ${maskPhone(n.event.to)} ${n.event.status}`);
			return { ...ok(''), emit: { type: 'message-status', event: n.event, case: r.case } };
		}
		case 'not-missed': {
			if (!n.aiResolved) return ok(undefined, n.reason);
			// A call a voice AI resolved opens nothing, and settles the caller's open case if they had one (before the
			// key is claimed, so a delivery that failed half-way is redone); it is counted once for the report.
			const settled = await loop.voiceAgentResolved(n.aiResolved);
			await loop.deps.store.claimKey(
				`${AI_RESOLVED_KEY}${n.aiResolved.eventId}`,
				n.aiResolved.businessId,
				n.aiResolved.at,
			);
			const what = settled && (isOpen(settled.state) ? 'noted (an emergency stays open)' : 'closed');
			return ok(undefined, settled ? `${n.reason}; case ${settled.caseId.slice(0, 8)} ${what}` : n.reason);
		}
		case 'ignored':
			return ok(undefined, n.reason);
	}
}
