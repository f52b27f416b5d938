import { randomBytes } from 'node:crypto';
import {
	createServer,
	request as httpRequest,
	type IncomingMessage,
	type Server,
	type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { signTwilioRequest } from '../core/twilio/signature';

/**
 * A Twilio-compatible server for tests and demos, on this machine only. It speaks the REST paths the pack
 * uses (Messages, Calls, Lookup v2, IncomingPhoneNumbers, Accounts) with Twilio's response shapes and error
 * codes, checks Basic auth, records every request, fails on demand, and plays whole calls against a webhook
 * by posting signed Voice and Messaging callbacks the way Twilio does.
 */

export interface SimAccount {
	accountSid: string;
	authToken: string;
	apiKeys?: Record<string, string>;
}

export interface SimMessage {
	sid: string;
	accountSid: string;
	to: string;
	from: string;
	body: string;
	status: string;
	statusCallback?: string;
	messagingServiceSid?: string;
	dateCreated: string;
	numSegments: number;
}

export interface SimCall {
	sid: string;
	to: string;
	from: string;
	twiml?: string;
	url?: string;
	status: string;
	dateCreated: string;
}

export interface SimFailure {
	match: 'Messages' | 'Calls' | 'Lookups' | 'any';
	/** Only requests with this method (POST: sends; GET: lookups and lists). */
	method?: 'GET' | 'POST';
	/** Only messages or calls to numbers starting with this. */
	toPrefix?: string;
	status: number;
	code: number;
	message?: string;
	times: number;
	dropConnection?: boolean;
	/** Accept the request and never answer (a provider timeout); nothing is created. */
	hang?: boolean;
	/** Create the message (it reaches the phone), then never answer: the answer is lost on the way back. */
	lost?: boolean;
}

export interface Exchange {
	url: string;
	params: Record<string, string>;
	status: number;
	contentType: string;
	body: string;
}

export interface PlaceCallOptions {
	/** The trigger's URL: Voice URL in forward mode, status callback in status mode. */
	webhookUrl: string;
	from: string;
	to: string;
	/** forward: the full Voice URL flow with Dial; status: only a call status callback. */
	mode?: 'forward' | 'status';
	/** What happened to the forwarded leg (or the call, in status mode). */
	dialStatus?: 'no-answer' | 'busy' | 'failed' | 'canceled' | 'completed';
	dialDurationSec?: number;
	/** What the caller says into voicemail, if the TwiML offers it; transcribed as is. */
	say?: string;
	/** Post each webhook twice, as Twilio does on a retry. */
	deliverTwice?: boolean;
	/** Sign with this token instead of the account's (a forgery). */
	signWith?: string;
	/** Leave the signature header off. */
	unsigned?: boolean;
	callSid?: string;
}

/**
 * Twilio's default keyword handling on long codes: only a reply that is the keyword alone (case and surrounding space
 * forgiven) blocks or unblocks; "stop please" reaches the webhook and blocks nothing. The pack's own classifier
 * (core/optout) is what honours the wider wordings.
 */
const TWILIO_STOP = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'];
const TWILIO_START = ['START', 'UNSTOP', 'YES'];

export function twilioKeyword(body: string): 'stop' | 'start' | undefined {
	const word = body.trim().toUpperCase();
	if (TWILIO_STOP.includes(word)) return 'stop';
	if (TWILIO_START.includes(word)) return 'start';
	return undefined;
}

const ERRORS: Record<number, { status: number; message: string }> = {
	20003: { status: 401, message: 'Authenticate' },
	20404: { status: 404, message: 'The requested resource was not found' },
	20429: { status: 429, message: 'Too Many Requests' },
	21211: { status: 400, message: "Invalid 'To' Phone Number" },
	21602: { status: 400, message: 'Message body is required.' },
	21604: { status: 400, message: "A 'To' phone number is required." },
	21606: {
		status: 400,
		message:
			"The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination.",
	},
	21610: { status: 400, message: 'Attempt to send to unsubscribed recipient' },
	21614: { status: 400, message: "'To' number is not a valid mobile number" },
	30007: { status: 400, message: 'Message filtered' },
};

function sid(prefix: string): string {
	return prefix + randomBytes(16).toString('hex');
}

function rfc2822(d = new Date()): string {
	return d.toUTCString().replace('GMT', '+0000');
}

function errorBody(code: number, status: number, message?: string) {
	return {
		code,
		message: message ?? ERRORS[code]?.message ?? 'Error',
		more_info: `https://www.twilio.com/docs/errors/${code}`,
		status,
	};
}

function segmentsOf(body: string): number {
	// Close enough for a simulator: GSM-7 if ASCII-ish, else UCS-2.
	const gsm = /^[\x20-\x7e\n\r£¥èéùìòÇØøÅåÆæßÉÄÖÑÜ§¿äöñüà€]*$/.test(body);
	const len = body.length;
	return gsm ? (len <= 160 ? 1 : Math.ceil(len / 153)) : len <= 70 ? 1 : Math.ceil(len / 67);
}

/** A tiny TwiML reader: top-level verbs with their attributes and inner text or nested nouns. */
export function parseTwiml(
	xml: string,
): { verb: string; attrs: Record<string, string>; text: string; children: { verb: string; text: string }[] }[] {
	const inner = /<Response>([\s\S]*)<\/Response>/.exec(xml)?.[1] ?? '';
	const out: ReturnType<typeof parseTwiml> = [];
	const re = /<(\w+)((?:\s+[\w:]+="[^"]*")*)\s*(?:\/>|>([\s\S]*?)<\/\1>)/g;
	let m: RegExpExecArray | null;
	while ((m = re.exec(inner))) {
		const attrs: Record<string, string> = {};
		for (const a of m[2].matchAll(/([\w:]+)="([^"]*)"/g)) attrs[a[1]] = a[2].replace(/&amp;/g, '&');
		const body = m[3] ?? '';
		const children = [...body.matchAll(/<(\w+)[^>]*>([^<]*)<\/\1>/g)].map((c) => ({ verb: c[1], text: c[2] }));
		out.push({ verb: m[1], attrs, text: body.replace(/<[^>]+>/g, '').trim(), children });
	}
	return out;
}

export class TwilioSim {
	readonly messages: SimMessage[] = [];
	readonly calls: SimCall[] = [];
	/** Called for every message accepted, as it is stored (the benchmarks time arrivals with it). */
	onMessage?: (m: SimMessage) => void;
	readonly requests: { method: string; path: string; params: Record<string, string>; status: number; at: string }[] =
		[];
	readonly lineTypes = new Map<string, string>();
	/** Recipients no number of the account may text (set by tests to stand for an opt-out made elsewhere). */
	readonly optedOut = new Set<string>();
	/**
	 * Opt-outs made by a keyword reply: `recipient>accountNumber`. Twilio blocks the pair, so the recipient can still
	 * get texts from the account's other numbers (or from any, when a messaging service sends: see createMessage).
	 */
	readonly optOutPairs = new Set<string>();
	readonly numbers = new Map<
		string,
		{ sid: string; phone_number: string; voice_url: string; status_callback: string; sms_url: string }
	>();
	private failures: SimFailure[] = [];
	/** Numbers (by prefix) whose texts are accepted and then never arrive, with the error code Twilio reports. */
	private readonly undeliverable = new Map<string, number>();
	private server?: Server;
	url = '';

	constructor(readonly account: SimAccount) {}

	async start(port = 0, host = '127.0.0.1'): Promise<string> {
		this.server = createServer((req, res) => {
			this.handle(req, res).catch((e) => {
				res.statusCode = 500;
				res.end(JSON.stringify({ code: 20500, message: String((e as Error).message), status: 500 }));
			});
		});
		await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
		const addr = this.server.address() as AddressInfo;
		this.url = `http://${host}:${addr.port}`;
		return this.url;
	}

	async stop(): Promise<void> {
		if (!this.server) return;
		this.server.closeAllConnections?.();
		await new Promise<void>((resolve) => this.server!.close(() => resolve()));
		this.server = undefined;
	}

	reset(): void {
		this.messages.length = 0;
		this.calls.length = 0;
		this.requests.length = 0;
		this.failures = [];
		this.optedOut.clear();
		this.optOutPairs.clear();
		this.lineTypes.clear();
		this.undeliverable.clear();
	}

	/**
	 * Texts to numbers starting with `toPrefix` are accepted (201, a sid) and then end `undelivered` with `code`
	 * (30007: carrier filtering; 30034: a number not registered for A2P 10DLC), reported to their status callback.
	 */
	undeliver(toPrefix: string, code = 30007): void {
		this.undeliverable.set(toPrefix, code);
	}

	/** Injected failures not yet taken by a request. */
	failuresLeft(): number {
		return this.failures.reduce((n, f) => n + f.times, 0);
	}

	/** The next `times` matching requests fail with this status and Twilio error code. */
	fail(f: Partial<SimFailure> & { code: number }): void {
		this.failures.push({
			match: f.match ?? 'Messages',
			method: f.method,
			toPrefix: f.toPrefix,
			status: f.status ?? ERRORS[f.code]?.status ?? 500,
			code: f.code,
			times: f.times ?? 1,
			message: f.message,
			dropConnection: f.dropConnection,
			hang: f.hang,
			lost: f.lost,
		});
	}

	addNumber(phone: string, hooks: { voiceUrl?: string; statusCallback?: string; smsUrl?: string } = {}): string {
		const s = sid('PN');
		this.numbers.set(s, {
			sid: s,
			phone_number: phone,
			voice_url: hooks.voiceUrl ?? '',
			status_callback: hooks.statusCallback ?? '',
			sms_url: hooks.smsUrl ?? '',
		});
		return s;
	}

	private authorized(req: IncomingMessage): boolean {
		const h = req.headers.authorization ?? '';
		if (!h.startsWith('Basic ')) return false;
		const [user, pass] = Buffer.from(h.slice(6), 'base64').toString().split(':');
		if (user === this.account.accountSid && pass === this.account.authToken) return true;
		return !!this.account.apiKeys && this.account.apiKeys[user] === pass;
	}

	private takeFailure(kind: SimFailure['match'], method: string, to: string | undefined): SimFailure | undefined {
		const f = this.failures.find(
			(x) =>
				x.times > 0 &&
				(x.match === kind || x.match === 'any') &&
				(!x.method || x.method === method) &&
				(!x.toPrefix || (to ?? '').startsWith(x.toPrefix)),
		);
		if (f) f.times--;
		this.failures = this.failures.filter((x) => x.times > 0);
		return f;
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://sim');
		const raw = await readBody(req);
		const type = req.headers['content-type'] ?? '';
		const params: Record<string, string> =
			type.includes('json') && raw ? JSON.parse(raw) : Object.fromEntries(new URLSearchParams(raw));
		for (const [k, v] of url.searchParams) params[k] ??= v;
		const send = (status: number, body: unknown) => {
			this.requests.push({
				method: req.method ?? 'GET',
				path: url.pathname,
				params,
				status,
				at: new Date().toISOString(),
			});
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(body));
		};
		if (url.pathname.startsWith('/__sim/'))
			return this.control(url.pathname.slice(7), req.method ?? 'GET', params, send);
		if (!this.authorized(req)) return send(401, errorBody(20003, 401));
		const p = url.pathname;
		const acct = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})(.*)$/.exec(p);
		if (acct && acct[1] !== this.account.accountSid) return send(404, errorBody(20404, 404));
		const rest = acct?.[2] ?? '';
		const kind: SimFailure['match'] = rest.startsWith('/Messages')
			? 'Messages'
			: rest.startsWith('/Calls')
				? 'Calls'
				: p.startsWith('/v2/PhoneNumbers')
					? 'Lookups'
					: 'any';
		const failure = this.takeFailure(kind, req.method ?? 'GET', params.To);
		if (failure) {
			if (failure.lost && kind === 'Messages' && req.method === 'POST' && acct) {
				this.requests.push({ method: 'POST', path: p, params, status: 0, at: new Date().toISOString() });
				this.createMessage(params, () => undefined);
				setTimeout(() => req.socket.destroy(), 60000).unref();
				return;
			}
			if (failure.hang) {
				this.requests.push({ method: req.method ?? 'GET', path: p, params, status: 0, at: new Date().toISOString() });
				// Never answered; the socket goes when the client gives up (or after a minute).
				setTimeout(() => req.socket.destroy(), 60000).unref();
				return;
			}
			if (failure.dropConnection) {
				this.requests.push({ method: req.method ?? 'GET', path: p, params, status: 0, at: new Date().toISOString() });
				req.socket.destroy();
				return;
			}
			return send(failure.status, errorBody(failure.code, failure.status, failure.message));
		}
		if (acct && rest === '.json' && req.method === 'GET') {
			return send(200, {
				sid: this.account.accountSid,
				friendly_name: 'Local Twilio-compatible account',
				status: 'active',
				type: 'Full',
				date_created: rfc2822(),
				uri: `/2010-04-01/Accounts/${this.account.accountSid}.json`,
			});
		}
		if (acct && rest === '/Messages.json' && req.method === 'POST') return this.createMessage(params, send);
		if (acct && rest === '/Messages.json' && req.method === 'GET') {
			// Newest first, as Twilio lists them.
			const list = this.messages
				.filter((m) => (!params.To || m.to === params.To) && (!params.From || m.from === params.From))
				.reverse()
				.slice(0, Number(params.PageSize) || 50);
			return send(200, {
				messages: list.map((m) => this.messageResource(m)),
				end: list.length - 1,
				first_page_uri: p,
				next_page_uri: null,
				page: 0,
				page_size: 50,
				previous_page_uri: null,
				start: 0,
				uri: p,
			});
		}
		const msg = /^\/Messages\/(SM\w+)\.json$/.exec(rest);
		if (acct && msg && req.method === 'GET') {
			const m = this.messages.find((x) => x.sid === msg[1]);
			return m ? send(200, this.messageResource(m)) : send(404, errorBody(20404, 404));
		}
		if (acct && rest === '/Calls.json' && req.method === 'POST') {
			if (!params.To) return send(400, errorBody(21201, 400, "No 'To' number is specified"));
			if (!params.Twiml && !params.Url) return send(400, errorBody(21205, 400, 'Url parameter is required.'));
			const c: SimCall = {
				sid: sid('CA'),
				to: params.To,
				from: params.From,
				twiml: params.Twiml,
				url: params.Url,
				status: 'queued',
				dateCreated: rfc2822(),
			};
			this.calls.push(c);
			return send(201, {
				sid: c.sid,
				account_sid: this.account.accountSid,
				to: c.to,
				from: c.from,
				status: c.status,
				direction: 'outbound-api',
				api_version: '2010-04-01',
				date_created: c.dateCreated,
				uri: `/2010-04-01/Accounts/${this.account.accountSid}/Calls/${c.sid}.json`,
			});
		}
		if (acct && rest === '/IncomingPhoneNumbers.json' && req.method === 'GET') {
			const list = [...this.numbers.values()].filter(
				(n) => !params.PhoneNumber || n.phone_number === params.PhoneNumber,
			);
			return send(200, {
				incoming_phone_numbers: list.map((n) => this.numberResource(n)),
				end: list.length - 1,
				page: 0,
				page_size: 50,
				start: 0,
				uri: p,
				first_page_uri: p,
				next_page_uri: null,
				previous_page_uri: null,
			});
		}
		const num = /^\/IncomingPhoneNumbers\/(PN\w+)\.json$/.exec(rest);
		if (acct && num) {
			const n = this.numbers.get(num[1]);
			if (!n) return send(404, errorBody(20404, 404));
			if (req.method === 'POST') {
				if (params.VoiceUrl !== undefined) n.voice_url = params.VoiceUrl;
				if (params.StatusCallback !== undefined) n.status_callback = params.StatusCallback;
				if (params.SmsUrl !== undefined) n.sms_url = params.SmsUrl;
			}
			return send(200, this.numberResource(n));
		}
		const lookup = /^\/v2\/PhoneNumbers\/([^/]+)$/.exec(p);
		if (lookup && req.method === 'GET') {
			const number = decodeURIComponent(lookup[1]);
			const parsed = parsePhoneNumberFromString(number);
			const valid = !!parsed?.isValid();
			const wantsLine = (params.Fields ?? '').includes('line_type_intelligence');
			return send(200, {
				calling_country_code: parsed?.countryCallingCode ?? null,
				country_code: parsed?.country ?? null,
				phone_number: parsed?.number ?? number,
				national_format: parsed?.formatNational() ?? null,
				valid,
				validation_errors: valid ? [] : ['NOT_A_NUMBER'],
				caller_name: null,
				sim_swap: null,
				call_forwarding: null,
				line_type_intelligence:
					wantsLine && valid
						? {
								carrier_name: 'Local Carrier',
								error_code: null,
								mobile_country_code: '310',
								mobile_network_code: '000',
								type: this.lineTypes.get(parsed!.number) ?? 'mobile',
							}
						: null,
				url: `https://lookups.twilio.com/v2/PhoneNumbers/${encodeURIComponent(number)}`,
			});
		}
		return send(404, errorBody(20404, 404, `The requested resource ${p} was not found`));
	}

	private messageResource(m: SimMessage) {
		return {
			account_sid: m.accountSid,
			api_version: '2010-04-01',
			body: m.body,
			date_created: m.dateCreated,
			date_sent: null,
			date_updated: m.dateCreated,
			direction: 'outbound-api',
			error_code: null,
			error_message: null,
			from: m.from,
			messaging_service_sid: m.messagingServiceSid ?? null,
			num_media: '0',
			num_segments: String(m.numSegments),
			price: null,
			price_unit: 'USD',
			sid: m.sid,
			status: m.status,
			to: m.to,
			subresource_uris: { media: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}/Media.json` },
			uri: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
		};
	}

	private numberResource(n: {
		sid: string;
		phone_number: string;
		voice_url: string;
		status_callback: string;
		sms_url: string;
	}) {
		return {
			...n,
			account_sid: this.account.accountSid,
			friendly_name: n.phone_number,
			voice_method: 'POST',
			sms_method: 'POST',
			status_callback_method: 'POST',
			uri: `/2010-04-01/Accounts/${this.account.accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
		};
	}

	private createMessage(params: Record<string, string>, send: (s: number, b: unknown) => void): void {
		if (!params.To) return send(400, errorBody(21604, 400));
		if (!params.Body && !params.MediaUrl) return send(400, errorBody(21602, 400));
		if (!params.From && !params.MessagingServiceSid) return send(400, errorBody(21606, 400));
		const to = params.To.replace(/^whatsapp:/, '');
		const parsed = parsePhoneNumberFromString(to);
		if (!parsed || !parsed.isValid())
			return send(400, errorBody(21211, 400, `The 'To' number ${params.To} is not a valid phone number.`));
		const from = (params.From ?? '').replace(/^whatsapp:/, '');
		// Twilio refuses a From that is not one of the account's numbers; with no numbers added, any is accepted.
		if (params.From && this.numbers.size && ![...this.numbers.values()].some((n) => n.phone_number === from))
			return send(400, errorBody(21606, 400));
		if (this.optedOut.has(parsed.number) || this.blocked(parsed.number, params.MessagingServiceSid ? undefined : from))
			return send(400, errorBody(21610, 400));
		if (this.lineTypes.get(parsed.number) === 'landline' && !params.To.startsWith('whatsapp:'))
			return send(400, errorBody(21614, 400));
		const m: SimMessage = {
			sid: sid('SM'),
			accountSid: this.account.accountSid,
			to: params.To,
			from: params.From ?? '',
			body: params.Body ?? '',
			status: 'queued',
			statusCallback: params.StatusCallback,
			messagingServiceSid: params.MessagingServiceSid,
			dateCreated: rfc2822(),
			numSegments: segmentsOf(params.Body ?? ''),
		};
		this.messages.push(m);
		this.onMessage?.(m);
		send(201, this.messageResource(m));
		if (m.statusCallback) void this.deliver(m);
	}

	/** Posts signed delivery status callbacks (sent, then delivered or undelivered with its ErrorCode), as Twilio does. */
	private async deliver(m: SimMessage): Promise<void> {
		const code = [...this.undeliverable].find(([prefix]) => m.to.startsWith(prefix))?.[1];
		for (const status of ['sent', code ? 'undelivered' : 'delivered']) {
			await new Promise((r) => setTimeout(r, 20));
			m.status = status;
			const failed: Record<string, string> = status === 'undelivered' ? { ErrorCode: String(code) } : {};
			await this.post(m.statusCallback!, {
				AccountSid: this.account.accountSid,
				MessageSid: m.sid,
				SmsSid: m.sid,
				MessageStatus: status,
				SmsStatus: status,
				To: m.to,
				From: m.from,
				ApiVersion: '2010-04-01',
				...failed,
			}).catch(() => undefined);
		}
	}

	/** Posts a signed form webhook, exactly as Twilio signs it. */
	async post(
		url: string,
		params: Record<string, string>,
		opts: { signWith?: string; unsigned?: boolean } = {},
	): Promise<Exchange> {
		const headers: Record<string, string> = {
			'content-type': 'application/x-www-form-urlencoded',
			'user-agent': 'TwilioProxy/1.1',
			'i-twilio-idempotency-token': randomBytes(8).toString('hex'),
		};
		if (!opts.unsigned)
			headers['x-twilio-signature'] = signTwilioRequest(opts.signWith ?? this.account.authToken, url, params);
		// A connection of its own per callback (node:http, no keep-alive), as Twilio's webhooks come from their own
		// servers: never a socket from the test process's fetch pool, which a runtime may close while it idles.
		const body = new URLSearchParams(params).toString();
		return new Promise<Exchange>((resolve, reject) => {
			const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(
				url,
				{ method: 'POST', agent: false, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
				(res) => {
					readBody(res).then(
						(text) =>
							resolve({
								url,
								params,
								status: res.statusCode ?? 0,
								contentType: String(res.headers['content-type'] ?? ''),
								body: text,
							}),
						reject,
					);
				},
			);
			req.on('error', reject);
			req.end(body);
		});
	}

	/** A keyword reply blocks this recipient from that number; a send through a messaging service, from any. */
	private blocked(recipient: string, accountNumber: string | undefined): boolean {
		if (accountNumber !== undefined) return this.optOutPairs.has(`${recipient}>${accountNumber}`);
		return [...this.optOutPairs].some((pair) => pair.startsWith(`${recipient}>`));
	}

	/** An inbound SMS from a caller to a business number, posted to the messaging webhook. */
	async sendSms(
		webhookUrl: string,
		from: string,
		to: string,
		body: string,
		opts: { signWith?: string; unsigned?: boolean } = {},
	): Promise<Exchange> {
		const s = sid('SM');
		const keyword = twilioKeyword(body);
		const caller = from.replace(/^whatsapp:/, '');
		if (keyword === 'stop') this.optOutPairs.add(`${caller}>${to}`);
		if (keyword === 'start') {
			this.optOutPairs.delete(`${caller}>${to}`);
			this.optedOut.delete(caller);
		}
		return this.post(
			webhookUrl,
			{
				AccountSid: this.account.accountSid,
				MessageSid: s,
				SmsSid: s,
				SmsMessageSid: s,
				From: from,
				To: to,
				Body: body,
				NumMedia: '0',
				NumSegments: '1',
				SmsStatus: 'received',
				ApiVersion: '2010-04-01',
			},
			opts,
		);
	}

	/**
	 * Plays one inbound call against a webhook: the Voice URL request, the Dial action after the forwarded leg
	 * rings out, then the Record action and transcription callback if the TwiML offers voicemail.
	 */
	async placeCall(o: PlaceCallOptions): Promise<{ callSid: string; exchanges: Exchange[] }> {
		const callSid = o.callSid ?? sid('CA');
		const base = {
			AccountSid: this.account.accountSid,
			CallSid: callSid,
			From: o.from,
			To: o.to,
			Caller: o.from,
			Called: o.to,
			Direction: 'inbound',
			ApiVersion: '2010-04-01',
			CallerCountry: 'US',
			CalledCountry: 'US',
		};
		const exchanges: Exchange[] = [];
		const post = async (url: string, params: Record<string, string>) => {
			const x = await this.post(url, params, o);
			exchanges.push(x);
			if (o.deliverTwice) exchanges.push(await this.post(url, params, o));
			return x;
		};
		const status = o.dialStatus ?? 'no-answer';
		if ((o.mode ?? 'forward') === 'status') {
			await post(o.webhookUrl, {
				...base,
				CallStatus: status,
				CallDuration: String(o.dialDurationSec ?? 0),
				Timestamp: rfc2822(),
				CallbackSource: 'call-progress-events',
				SequenceNumber: '0',
			});
			return { callSid, exchanges };
		}
		let answer = await post(o.webhookUrl, { ...base, CallStatus: 'ringing' });
		for (let step = 0; step < 4 && answer.status === 200; step++) {
			const verbs = parseTwiml(answer.body);
			const dial = verbs.find((v) => v.verb === 'Dial');
			const record = verbs.find((v) => v.verb === 'Record');
			if (dial?.attrs.action) {
				const dialed = dial.children.find((c) => c.verb === 'Number')?.text ?? dial.text;
				this.calls.push({ sid: sid('CA'), to: dialed, from: o.from, status, dateCreated: rfc2822() });
				answer = await post(new URL(dial.attrs.action, o.webhookUrl).toString(), {
					...base,
					CallStatus: 'in-progress',
					DialCallStatus: status,
					DialCallSid: sid('CA'),
					DialCallDuration: String(o.dialDurationSec ?? 0),
				});
				continue;
			}
			if (record?.attrs.action && o.say) {
				const recordingSid = sid('RE');
				const recordingUrl = `${this.url}/2010-04-01/Accounts/${this.account.accountSid}/Recordings/${recordingSid}`;
				const seconds = String(Math.max(3, Math.round(o.say.split(/\s+/).length / 2.5)));
				answer = await post(new URL(record.attrs.action, o.webhookUrl).toString(), {
					...base,
					CallStatus: 'completed',
					RecordingUrl: recordingUrl,
					RecordingDuration: seconds,
					RecordingSid: recordingSid,
					Digits: 'hangup',
				});
				if (record.attrs.transcribeCallback) {
					await post(new URL(record.attrs.transcribeCallback, o.webhookUrl).toString(), {
						...base,
						CallStatus: 'completed',
						TranscriptionSid: sid('TR'),
						TranscriptionText: o.say,
						TranscriptionStatus: 'completed',
						TranscriptionUrl: `${recordingUrl}/Transcriptions`,
						RecordingSid: recordingSid,
						RecordingUrl: recordingUrl,
					});
				}
				break;
			}
			break;
		}
		return { callSid, exchanges };
	}

	private async control(
		path: string,
		method: string,
		p: Record<string, unknown>,
		send: (s: number, b: unknown) => void,
	): Promise<void> {
		if (path === 'messages') return send(200, this.messages);
		if (path === 'calls') return send(200, this.calls);
		if (path === 'requests')
			return send(
				200,
				this.requests.filter((r) => !r.path.startsWith('/__sim/')),
			);
		if (method !== 'POST') return send(404, { message: `unknown control path ${path}` });
		if (path === 'reset') return (this.reset(), send(200, { ok: true }));
		if (path === 'fail') return (this.fail(p as unknown as SimFailure), send(200, { ok: true }));
		if (path === 'undeliver')
			return (
				this.undeliver(String(p.toPrefix), p.code === undefined ? undefined : Number(p.code)),
				send(200, { ok: true })
			);
		if (path === 'line-type') return (this.lineTypes.set(String(p.phone), String(p.type)), send(200, { ok: true }));
		if (path === 'place-call') return send(200, await this.placeCall(p as unknown as PlaceCallOptions));
		if (path === 'sms')
			return send(200, await this.sendSms(String(p.webhookUrl), String(p.from), String(p.to), String(p.body)));
		return send(404, { message: `unknown control path ${path}` });
	}
}

function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
	return new Promise((resolve, reject) => {
		let size = 0;
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => {
			size += c.length;
			if (size > limit) {
				reject(new Error('request body too large'));
				req.destroy();
			} else chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}
