import http from 'node:http';
import https from 'node:https';
import { ProviderError } from '../provider';
import { HttpsTunnelAgent, HttpTunnelAgent, proxyFor, type ProxyEnv } from './proxy';

/** What the Twilio SDK hands its HTTP client for one API call (its `httpClient` option). */
export interface SdkRequest {
	method: string;
	uri: string;
	username?: string;
	password?: string;
	authStrategy?: { getAuthString(): Promise<string> };
	headers?: Record<string, string>;
	params?: Record<string, unknown>;
	data?: Record<string, unknown> | string;
	timeout?: number;
}

/** What the SDK expects back: it checks the status, parses the JSON body and builds its own errors and objects. */
export interface SdkResponse {
	statusCode: number;
	body: string;
	headers: http.IncomingHttpHeaders;
}

/** Form or query encoding as the SDK's own client does it: arrays repeat the key, undefined is left out. */
export function formEncode(data: Record<string, unknown> | undefined): string {
	const out = new URLSearchParams();
	for (const [k, v] of Object.entries(data ?? {})) {
		if (v === undefined) continue;
		for (const item of Array.isArray(v) ? v : [v])
			out.append(k, item === null || item === undefined ? '' : String(item));
	}
	return out.toString();
}

/**
 * The Twilio SDK's HTTP transport, on Node's own http and https with kept-alive connections: the SDK still builds
 * every request (paths, parameters, authentication) and reads every answer (instances, error codes, paging); this
 * only carries the bytes. It replaces the SDK's default axios transport, which cost about as much CPU per text as the
 * runtime's whole webhook-to-request path (measured with V8 profiles of both runtimes; see docs/scaling.md).
 *
 * Requests go only to Twilio's own hosts, or to `base` when set (the local Twilio-compatible server): the URI the
 * SDK builds is rewritten onto the base, never followed anywhere else, and redirects are never followed.
 *
 * Like the SDK's own transport, it honours the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; see ./proxy):
 * agencies whose machines reach the internet only through a proxy would otherwise lose Twilio.
 */
export class TwilioHttpClient {
	/** Kept-alive connections per route: `direct`, or the proxy's URL. */
	private readonly agents = new Map<string, http.Agent>();
	/** http or https, chosen once: Twilio's hosts are https; a base URL says which it speaks. */
	private readonly transport: typeof http | typeof https;
	private readonly secure: boolean;

	constructor(
		private readonly base: URL | undefined,
		private readonly timeoutMs: number,
		private readonly env: ProxyEnv = process.env,
	) {
		this.secure = base ? base.protocol === 'https:' : true;
		this.transport = this.secure ? https : http;
	}

	/** The agent for a request to `host`: direct, or through the proxy the environment names for it. */
	private agentFor(host: URL): http.Agent {
		const proxy = proxyFor(host, this.env);
		const key = proxy?.href ?? 'direct';
		let agent = this.agents.get(key);
		if (!agent) {
			const options = { keepAlive: true, scheduling: 'lifo' as const };
			if (proxy)
				agent = this.secure
					? new HttpsTunnelAgent(proxy, this.timeoutMs, options)
					: new HttpTunnelAgent(proxy, this.timeoutMs, options);
			else agent = this.secure ? new https.Agent(options) : new http.Agent(options);
			this.agents.set(key, agent);
		}
		return agent;
	}

	async request(opts: SdkRequest): Promise<SdkResponse> {
		const target = new URL(opts.uri);
		if (target.protocol !== 'https:' || !/(^|\.)twilio\.com$/.test(target.hostname)) {
			throw new ProviderError(
				`Refusing a request to ${target.hostname}: only the Twilio API is reachable from this client`,
				'rejected',
				false,
			);
		}
		const query = formEncode(opts.params as Record<string, unknown> | undefined);
		const search = [target.search.slice(1), query].filter(Boolean).join('&');
		const prefix = this.base ? this.base.pathname.replace(/\/$/, '') : '';
		const path = `${prefix}${target.pathname}${search ? `?${search}` : ''}`;
		const headers: Record<string, string> = { ...(opts.headers ?? {}) };
		if (opts.username && opts.password)
			headers.Authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
		else if (opts.authStrategy) headers.Authorization = await opts.authStrategy.getAuthString();
		let body: string | undefined;
		if (opts.data !== undefined && opts.data !== null) {
			const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
			body =
				typeof opts.data === 'string'
					? opts.data
					: type.includes('json')
						? JSON.stringify(opts.data)
						: formEncode(opts.data);
			headers['Content-Length'] = String(Buffer.byteLength(body));
		}
		const timeout = opts.timeout ?? this.timeoutMs;
		const host = this.base ?? target;
		const agent = this.agentFor(host);
		return new Promise<SdkResponse>((resolve, reject) => {
			const req = this.transport.request(
				{
					protocol: host.protocol,
					hostname: host.hostname,
					port: host.port || undefined,
					method: opts.method.toUpperCase(),
					path,
					headers,
					agent,
				},
				(res) => {
					const chunks: Buffer[] = [];
					res.on('data', (c: Buffer) => chunks.push(c));
					res.on('end', () => {
						clearTimeout(timer);
						resolve({
							statusCode: res.statusCode ?? 0,
							body: Buffer.concat(chunks).toString('utf8'),
							headers: res.headers,
						});
					});
					res.on('error', (e) => {
						clearTimeout(timer);
						reject(e);
					});
				},
			);
			// The whole exchange, not just an idle socket: a provider that accepts and never answers is a timeout.
			const timer = setTimeout(
				() => req.destroy(Object.assign(new Error(`no answer within ${timeout} ms`), { code: 'ETIMEDOUT' })),
				timeout,
			);
			req.on('error', (e) => {
				clearTimeout(timer);
				reject(e);
			});
			req.end(body);
		});
	}

	/** Closes the kept-alive connections (a config node or credential that changed). */
	close(): void {
		for (const agent of this.agents.values()) agent.destroy();
		this.agents.clear();
	}
}
