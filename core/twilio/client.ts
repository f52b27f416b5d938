import twilio from 'twilio';
import type { LineType } from '../acknowledge';
import { RecoveryInputError } from '../errors';
import {
	classifyFailure,
	ProviderError,
	type CallRequest,
	type MessagingProvider,
	type SendRequest,
	type SentMessage,
	type SentMessageQuery,
} from '../provider';
import { scrubSecrets } from '../redact';
import { TwilioHttpClient } from './http';
import { isLoopbackHost } from './proxy';

export { isLoopbackHost };

export interface TwilioAccount {
	accountSid: string;
	/** Auth Token, or leave empty and give an API key and secret. */
	authToken?: string;
	apiKey?: string;
	apiSecret?: string;
	/**
	 * Base URL that replaces every `https://*.twilio.com` host: the project's local Twilio-compatible server
	 * in tests and demos. Unset in production. https, or http to this machine only (the requests carry the token).
	 */
	apiBaseUrl?: string;
	timeoutMs?: number;
}

export function validateAccount(a: TwilioAccount): URL | undefined {
	if (!/^AC[0-9a-fA-F]{32}$/.test(a.accountSid ?? '')) {
		throw new RecoveryInputError(
			'accountSid',
			a.accountSid ? `${String(a.accountSid).slice(0, 6)}...` : a.accountSid,
			'It starts with AC followed by 32 hex characters: copy it from the Twilio Console.',
			'Twilio account',
		);
	}
	if (!a.authToken && !(a.apiKey && a.apiSecret)) {
		throw new RecoveryInputError(
			'authToken',
			undefined,
			'Give the Auth Token, or an API key (SK...) and its secret.',
			'Twilio account',
		);
	}
	if (a.apiKey && !/^SK[0-9a-fA-F]{32}$/.test(a.apiKey)) {
		throw new RecoveryInputError(
			'apiKey',
			`${a.apiKey.slice(0, 4)}...`,
			'An API key SID starts with SK followed by 32 hex characters.',
			'Twilio account',
		);
	}
	if (!a.apiBaseUrl) return undefined;
	let url: URL;
	try {
		url = new URL(a.apiBaseUrl);
	} catch {
		throw new RecoveryInputError(
			'apiBaseUrl',
			a.apiBaseUrl,
			'Give a full URL such as http://127.0.0.1:3999, or leave it empty for Twilio itself.',
			'Twilio account',
		);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new RecoveryInputError('apiBaseUrl', a.apiBaseUrl, 'Only http and https URLs are allowed.', 'Twilio account');
	}
	// Every request carries the Auth Token (or API secret): over plain http anyone on the path could read it.
	if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
		throw new RecoveryInputError(
			'apiBaseUrl',
			a.apiBaseUrl,
			`Plain http is allowed only to this machine (localhost, 127.x.x.x, [::1]): ${url.hostname} would receive the ` +
				'Auth Token unencrypted. Use https, or leave it empty for Twilio itself.',
			'Twilio account',
		);
	}
	return url;
}

/** The loop's provider on the official Twilio SDK. Errors come back classified and free of secrets. */
export class TwilioProvider implements MessagingProvider {
	readonly client: twilio.Twilio;
	private readonly secrets: (string | undefined)[];
	private readonly http: TwilioHttpClient;

	constructor(private readonly account: TwilioAccount) {
		const base = validateAccount(account);
		// The SDK builds and reads every call; its bytes go over Node's own kept-alive connections, only to Twilio or the
		// base URL.
		this.http = new TwilioHttpClient(base, account.timeoutMs ?? 15000);
		const httpClient = this.http as unknown as twilio.RequestClient;
		this.client = account.apiKey
			? twilio(account.apiKey, account.apiSecret, { accountSid: account.accountSid, httpClient })
			: twilio(account.accountSid, account.authToken, { httpClient });
		this.secrets = [account.authToken, account.apiSecret];
	}

	private wrap(e: unknown, what: string): ProviderError {
		if (e instanceof ProviderError) return e;
		const err = e as { status?: number; code?: number | string; message?: string };
		const code = typeof err.code === 'number' ? err.code : undefined;
		const status = typeof err.status === 'number' ? err.status : undefined;
		const network = typeof err.code === 'string' ? ` (${err.code})` : '';
		const message = scrubSecrets(
			`Twilio ${what} failed${code ? ` with error ${code}` : ''}${status ? ` (HTTP ${status})` : network}: ` +
				`${err.message ?? String(e)}`,
			this.secrets,
		);
		return classifyFailure(status, code, message);
	}

	async sendMessage(req: SendRequest): Promise<SentMessage> {
		const prefix = req.channel === 'whatsapp' ? 'whatsapp:' : '';
		const from = req.from.startsWith('MG') ? undefined : `${prefix}${req.from}`;
		try {
			const m = await this.client.messages.create({
				to: `${prefix}${req.to}`,
				body: req.body,
				...(from ? { from } : { messagingServiceSid: req.from }),
				...(req.statusCallback ? { statusCallback: req.statusCallback } : {}),
			});
			return { sid: m.sid, status: m.status };
		} catch (e) {
			throw this.wrap(e, 'message send');
		}
	}

	async findSentMessage(req: SentMessageQuery): Promise<SentMessage | undefined> {
		const prefix = req.channel === 'whatsapp' ? 'whatsapp:' : '';
		const since = Date.parse(req.since) - 60e3; // clocks differ; the body and numbers must match too
		try {
			// Newest first; the few latest to this caller from this sender are enough.
			const list = await this.client.messages.list({
				to: `${prefix}${req.to}`,
				...(req.from.startsWith('MG') ? {} : { from: `${prefix}${req.from}` }),
				limit: 20,
			});
			const m = list.find((x) => x.body === req.body && (!x.dateCreated || x.dateCreated.getTime() >= since));
			return m ? { sid: m.sid, status: m.status } : undefined;
		} catch (e) {
			throw this.wrap(e, 'message lookup');
		}
	}

	async lookupLineType(phone: string): Promise<LineType> {
		try {
			const r = await this.client.lookups.v2.phoneNumbers(phone).fetch({ fields: 'line_type_intelligence' });
			const type = (r.lineTypeIntelligence as { type?: string } | null)?.type;
			const known: LineType[] = ['mobile', 'landline', 'voip', 'fixedVoip', 'nonFixedVoip', 'tollFree'];
			return known.includes(type as LineType) ? (type as LineType) : 'unknown';
		} catch (e) {
			throw this.wrap(e, 'line type lookup');
		}
	}

	async placeCall(req: CallRequest): Promise<{ sid: string }> {
		try {
			const c = await this.client.calls.create({ to: req.to, from: req.from, twiml: req.twiml });
			return { sid: c.sid };
		} catch (e) {
			throw this.wrap(e, 'call');
		}
	}

	/**
	 * Checks the credentials by fetching the account. The editors do not call it: n8n's credential test sends the
	 * same request declaratively (MissedCallRecoveryTwilioApi.credentials.ts), and Node-RED has no credential test.
	 */
	async verify(): Promise<{ ok: true; friendlyName: string } | { ok: false; message: string }> {
		try {
			const a = await this.client.api.v2010.accounts(this.account.accountSid).fetch();
			return { ok: true, friendlyName: a.friendlyName };
		} catch (e) {
			return { ok: false, message: this.wrap(e, 'account check').message };
		}
	}

	/** Closes the kept-alive connections: the provider is no longer used (dropped from a cache, settings changed). */
	close(): void {
		this.http.close();
	}

	/** Reads a number's Voice URL and status callback, to set them on activation and restore them after. */
	async getNumberWebhooks(
		phone: string,
	): Promise<{ sid: string; voiceUrl: string; statusCallback: string; smsUrl: string } | undefined> {
		try {
			const list = await this.client.incomingPhoneNumbers.list({ phoneNumber: phone, limit: 1 });
			const n = list[0];
			return n ? { sid: n.sid, voiceUrl: n.voiceUrl, statusCallback: n.statusCallback, smsUrl: n.smsUrl } : undefined;
		} catch (e) {
			throw this.wrap(e, 'number lookup');
		}
	}

	async setNumberWebhooks(
		sid: string,
		hooks: { voiceUrl?: string; statusCallback?: string; smsUrl?: string },
	): Promise<void> {
		try {
			await this.client.incomingPhoneNumbers(sid).update({
				...(hooks.voiceUrl !== undefined ? { voiceUrl: hooks.voiceUrl, voiceMethod: 'POST' } : {}),
				...(hooks.statusCallback !== undefined
					? { statusCallback: hooks.statusCallback, statusCallbackMethod: 'POST' }
					: {}),
				...(hooks.smsUrl !== undefined ? { smsUrl: hooks.smsUrl, smsMethod: 'POST' } : {}),
			});
		} catch (e) {
			throw this.wrap(e, 'number update');
		}
	}
}
