import http from 'node:http';
import https from 'node:https';
import { isIPv4, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { ProviderError } from '../provider';

/** The environment the proxy variables are read from (process.env, or a test's own). */
export type ProxyEnv = Record<string, string | undefined>;

/** This machine's own addresses (a URL's hostname: IPv6 in brackets), where plain http never crosses a network. */
export function isLoopbackHost(hostname: string): boolean {
	const host = hostname.toLowerCase();
	if (host === 'localhost' || host === '[::1]') return true;
	return isIPv4(host) && host.startsWith('127.');
}

/** The port a URL reaches, its scheme's default when it names none. */
function portOf(url: URL): string {
	return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/**
 * Whether NO_PROXY sends `target` direct, as curl and most tools read it: `*` for every host, otherwise a comma or
 * space separated list of names (a name also covers its subdomains; a leading `.` or `*.` means the same) or
 * addresses, each with an optional `:port`.
 */
export function bypassesProxy(target: URL, noProxy: string): boolean {
	const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
	for (const raw of noProxy.split(/[\s,]+/)) {
		let entry = raw.trim().toLowerCase();
		if (!entry) continue;
		if (entry === '*') return true;
		let port: string | undefined;
		const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
		if (withPort) [, entry, port] = withPort;
		entry = entry.replace(/^\[|\]$/g, '').replace(/^\*?\./, '');
		if (port && port !== portOf(target)) continue;
		if (host === entry || (!isIP(host) && host.endsWith(`.${entry}`))) return true;
	}
	return false;
}

/**
 * The proxy a request to `target` goes through, from the variables the Twilio SDK's own transport (and curl) honour:
 * HTTPS_PROXY for https targets, falling back to HTTP_PROXY as the SDK reads it; HTTP_PROXY for plain http. This
 * machine's own addresses and NO_PROXY hosts go direct. Throws a non-retryable ProviderError naming the variable when
 * its value is not an http(s) proxy URL, without echoing the value (it may carry a password).
 */
export function proxyFor(target: URL, env: ProxyEnv = process.env): URL | undefined {
	const names = target.protocol === 'https:' ? ['HTTPS_PROXY', 'https_proxy'] : [];
	names.push('HTTP_PROXY', 'http_proxy');
	const name = names.find((n) => env[n]?.trim());
	if (!name || isLoopbackHost(target.hostname)) return undefined;
	if (bypassesProxy(target, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
	const value = (env[name] ?? '').trim();
	let proxy: URL | undefined;
	try {
		proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
	} catch {
		proxy = undefined;
	}
	if (!proxy || (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') || !proxy.hostname) {
		throw new ProviderError(
			`${name} is not a proxy this client can use: give it as http://host:port (or https://, with ` +
				'user:password@ before the host when the proxy asks for them), or unset it',
			'rejected',
			false,
		);
	}
	return proxy;
}

/** Connection options the agents hand createConnection: a request's host, port and TLS settings. */
type ConnectOptions = http.ClientRequestArgs & tls.ConnectionOptions;
type SocketCallback = (err: Error | null, socket: Duplex) => void;

/** An error of the tunnel itself, with a code the retry policy reads as a network failure. */
function tunnelError(message: string, code = 'ECONNRESET'): Error {
	return Object.assign(new Error(message), { code });
}

/**
 * Opens a CONNECT tunnel through `proxy` to host:port, as the SDK's https-proxy-agent does, with Node's own http
 * client. Proxy credentials from the URL go in Proxy-Authorization and never into an error.
 */
function openTunnel(
	proxy: URL,
	host: string,
	port: string,
	timeoutMs: number,
	done: (e: Error | null, s?: Socket) => void,
) {
	const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
	const headers: Record<string, string> = { Host: authority };
	if (proxy.username) {
		const user = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
		headers['Proxy-Authorization'] = `Basic ${Buffer.from(user).toString('base64')}`;
	}
	const where = `the proxy at ${proxy.host}`;
	const req = (proxy.protocol === 'https:' ? https : http).request({
		protocol: proxy.protocol,
		hostname: proxy.hostname.replace(/^\[|\]$/g, ''),
		port: portOf(proxy),
		method: 'CONNECT',
		path: authority,
		headers,
		agent: false,
		timeout: timeoutMs,
	});
	let settled = false;
	const finish = (e: Error | null, s?: Socket) => {
		if (settled) return;
		settled = true;
		done(e, s);
	};
	req.once('connect', (res, socket, head) => {
		if (res.statusCode !== 200) {
			socket.destroy();
			finish(tunnelError(`${where} refused a tunnel to ${authority} (HTTP ${res.statusCode})`, 'EPROXY'));
			return;
		}
		// The CONNECT's own timeout is done; the request's timer and the agent's keep-alive govern the tunnel now.
		socket.setTimeout(0);
		// Bytes the proxy sent past its answer belong to the tunnelled connection.
		if (head.length) socket.unshift(head);
		finish(null, socket);
	});
	req.once('timeout', () =>
		req.destroy(tunnelError(`${where} did not open a tunnel within ${timeoutMs} ms`, 'ETIMEDOUT')),
	);
	req.once('error', (e: Error & { code?: string }) =>
		finish(tunnelError(`${where} could not be reached: ${e.message}`, e.code ?? 'ECONNRESET')),
	);
	req.end();
}

/** Kept-alive https connections, each a TLS session to the target inside a CONNECT tunnel. */
export class HttpsTunnelAgent extends https.Agent {
	constructor(
		private readonly proxy: URL,
		private readonly timeoutMs: number,
		options: https.AgentOptions,
	) {
		super(options);
	}

	override createConnection(options: ConnectOptions, callback?: SocketCallback): Duplex | undefined {
		const host = String(options.hostname ?? options.host ?? 'localhost');
		openTunnel(this.proxy, host, String(options.port ?? 443), this.timeoutMs, (e, socket) => {
			if (e || !socket) return callback?.(e ?? tunnelError('no tunnel'), undefined as unknown as Duplex);
			// The request's own TLS settings (certificate checks against the target's name), over the tunnel.
			const servername = options.servername || (isIP(host) ? undefined : host);
			callback?.(null, tls.connect({ ...options, socket, servername }));
		});
		return undefined;
	}
}

/** Kept-alive plain http connections through a CONNECT tunnel (a base URL on another machine, behind the proxy). */
export class HttpTunnelAgent extends http.Agent {
	constructor(
		private readonly proxy: URL,
		private readonly timeoutMs: number,
		options: http.AgentOptions,
	) {
		super(options);
	}

	override createConnection(options: ConnectOptions, callback?: SocketCallback): Duplex | undefined {
		const host = String(options.hostname ?? options.host ?? 'localhost');
		openTunnel(this.proxy, host, String(options.port ?? 80), this.timeoutMs, (e, socket) =>
			callback?.(e, socket as Duplex),
		);
		return undefined;
	}
}
