import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import {
	openStore,
	parseProfile,
	RecoveryInputError,
	RecoveryLoop,
	TwilioProvider,
	type NormalizeOptions,
	type Profile,
	type RecoveryStore,
	type StoreConfig,
	type TickCase,
	type TwilioAccount,
} from '../../core';

/**
 * What both runtimes' nodes share: one store per configuration per process (opened once, migrated once),
 * the business profiles parsed once, and a RecoveryLoop over them.
 */

export interface Businesses {
	list: Profile[];
	byId: Map<string, Profile>;
	byNumber: Map<string, Profile>;
}

const profileCache = new Map<string, Businesses>();

/** One profile or a list of them (an agency's clients), as JSON text or parsed. Errors name the business and field. */
export function parseBusinesses(input: unknown): Businesses {
	const text = typeof input === 'string' ? input : JSON.stringify(input ?? null);
	const cached = profileCache.get(text);
	if (cached) return cached;
	let raw: unknown;
	try {
		raw = typeof input === 'string' ? JSON.parse(input) : input;
	} catch (e) {
		throw new RecoveryInputError(
			'businesses',
			text.slice(0, 40),
			`It must be JSON: one business profile object, or a list of them (${(e as Error).message}).`,
		);
	}
	const items = Array.isArray(raw) ? raw : [raw];
	if (!items.length || items.some((x) => !x || typeof x !== 'object')) {
		throw new RecoveryInputError(
			'businesses',
			raw,
			'Give one business profile object, or a list of them, each with businessId, name and timeZone.',
		);
	}
	const list = items.map((item, i) => {
		try {
			return parseProfile(item);
		} catch (e) {
			if (e instanceof RecoveryInputError && items.length > 1)
				throw new RecoveryInputError(`businesses[${i}].${e.field}`, e.value, e.fix, 'Business profile');
			throw e;
		}
	});
	const byId = new Map(list.map((p) => [p.businessId, p]));
	if (byId.size !== list.length)
		throw new RecoveryInputError(
			'businesses',
			list.map((p) => p.businessId).join(', '),
			'Each business needs its own businessId.',
		);
	const byNumber = new Map<string, Profile>();
	for (const p of list) for (const n of p.numbers) byNumber.set(n, p);
	const out = { list, byId, byNumber };
	if (profileCache.size > 100) profileCache.clear();
	profileCache.set(text, out);
	return out;
}

const stores = new Map<string, Promise<RecoveryStore>>();

function storeKey(c: StoreConfig): string {
	return createHash('sha256').update(JSON.stringify(c)).digest('hex');
}

/** Store settings from an editor's fields (n8n credential or Node-RED config node), the same in both runtimes. */
export function storeConfigFromFields(
	f: Record<string, unknown>,
	password: string | undefined,
	userDir: string,
): StoreConfig {
	if (f.storeType === 'postgres') {
		return {
			type: 'postgres',
			host: String(f.host || 'localhost'),
			port: Number(f.port || 5432),
			database: String(f.database || ''),
			user: String(f.user || ''),
			password: password || undefined,
			ssl: !!f.ssl,
			...(f.ssl && f.sslAllowUnverified ? { sslRejectUnauthorized: false } : {}),
			schema: f.schema ? String(f.schema) : undefined,
		};
	}
	return { type: 'sqlite', file: resolveSqlitePath(String(f.sqliteFile || 'missed-call-recovery.db'), userDir) };
}

/** A relative SQLite path lives in the runtime's user folder, never in whatever directory the process started in. */
export function resolveSqlitePath(file: string, userDir: string): string {
	if (file === ':memory:' || isAbsolute(file)) return file;
	return join(userDir, file);
}

export function defaultUserDir(): string {
	return process.env.N8N_USER_FOLDER ? join(process.env.N8N_USER_FOLDER, '.n8n') : join(homedir(), '.n8n');
}

/** The same settings object (a config node's) finds its store without hashing it for every message. */
const storeOf = new WeakMap<StoreConfig, { key: string; store: Promise<RecoveryStore> }>();

/** Opens the store once per process and configuration; later calls share it. */
export function sharedStore(config: StoreConfig): Promise<RecoveryStore> {
	const known = storeOf.get(config);
	// Still the open one (not closed or failed since): no hash needed.
	if (known && stores.get(known.key) === known.store) return known.store;
	const key = storeKey(config);
	let s = stores.get(key);
	if (!s) {
		s = openStore(config);
		stores.set(key, s);
		s.catch(() => stores.delete(key));
	}
	storeOf.set(config, { key, store: s });
	return s;
}

/** Closes a shared store (Node-RED config node close, tests). */
export async function closeSharedStore(config: StoreConfig): Promise<void> {
	const key = storeKey(config);
	const s = stores.get(key);
	stores.delete(key);
	if (s) await (await s).close().catch(() => undefined);
}

const providers = new Map<string, TwilioProvider>();

/** The same account object (a config node's, a cached credential's) finds its provider without hashing it again. */
let providerOf = new WeakMap<TwilioAccount, TwilioProvider>();

/** One provider, and so one set of kept-alive connections, per Twilio account and settings. */
export function sharedProvider(account: TwilioAccount): TwilioProvider {
	const known = providerOf.get(account);
	if (known) return known;
	const key = createHash('sha256').update(JSON.stringify(account)).digest('hex');
	let p = providers.get(key);
	if (!p) {
		p = new TwilioProvider(account);
		if (providers.size > 50) {
			// Their kept-alive sockets would otherwise stay open until the server drops them.
			for (const dropped of providers.values()) dropped.close();
			providers.clear();
			providerOf = new WeakMap();
		}
		providers.set(key, p);
	}
	providerOf.set(account, p);
	return p;
}

/** A Twilio account as the adapters hold it: the provider's settings plus what the nodes need beside them. */
export type AdapterAccount = TwilioAccount & {
	/** The Auth Token that signs Twilio's webhooks (an API key never does). */
	webhookAuthToken?: string;
	/** Where Twilio reports each text's delivery: the Missed Call Trigger's URL. */
	statusCallbackUrl?: string;
};

/**
 * The Delivery Status URL setting: empty for none, else an http(s) URL (the Missed Call Trigger's production URL).
 * Twilio calls it; the pack never does, so it is checked for form only.
 */
export function statusCallbackUrlFrom(value: unknown): string | undefined {
	const text = typeof value === 'string' ? value.trim() : '';
	if (!text) return undefined;
	let url: URL | undefined;
	try {
		url = new URL(text);
	} catch {
		url = undefined;
	}
	if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
		throw new RecoveryInputError(
			'Delivery Status URL',
			text,
			"Paste the Missed Call Trigger's production URL (https://...), or leave it empty.",
		);
	}
	return url.toString();
}

/** What a runtime knows beyond its store and profiles: where Twilio reports back, and the secret the trigger checks. */
export interface LoopExtra {
	statusCallbackUrl?: string;
	/** The Twilio webhook Auth Token: with the status callback URL (the trigger's own), owner alerts link case pages. */
	caseLinkSecret?: string;
	log?: (l: 'info' | 'warn' | 'error', m: string) => void;
}

export function loopOver(
	store: RecoveryStore,
	businesses: Businesses,
	provider?: TwilioProvider,
	extra: LoopExtra = {},
): RecoveryLoop {
	const { caseLinkSecret, ...rest } = extra;
	// The status callback URL is the trigger's public webhook URL, which also serves the case pages.
	const caseLinks =
		rest.statusCallbackUrl && caseLinkSecret ? { baseUrl: rest.statusCallbackUrl, secret: caseLinkSecret } : undefined;
	return new RecoveryLoop({ store, provider, profileFor: (id) => businesses.byId.get(id), caseLinks, ...rest });
}

/** The business a called number belongs to; a single-business install answers for every number. */
export function businessResolver(b: Businesses): Pick<NormalizeOptions, 'businessId' | 'businessFor' | 'optOutWords'> {
	return {
		businessId: b.list.length === 1 ? b.list[0].businessId : undefined,
		businessFor: (to) => b.byNumber.get(to)?.businessId,
		optOutWords: (id) => b.byId.get(id)?.optOut,
	};
}

export { SAMPLE_PROFILE } from './sample-profile';

/** One case a periodic tick acted on, as both runtimes emit it. */
export function tickCaseView(t: Pick<TickCase, 'case' | 'reasons'> & { action: string }): Record<string, unknown> {
	const c = t.case;
	return {
		caseId: c.caseId,
		action: t.action,
		reasons: t.reasons,
		callerPhone: c.caller,
		owner: c.owner,
		escalationLevel: c.escalationLevel,
		dueAt: c.dueAt,
		case: c,
	};
}
