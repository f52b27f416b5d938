import type { IncomingMessage, ServerResponse } from 'node:http';
import { WEBHOOK_LIMITS } from '../../core';
import { collectBody, removeRoute, type HttpApp, type HttpHandler, type NodeRedNode, type RED } from './node-red';

/**
 * A webhook route on Node-RED's HTTP server, registered the way its own `http in` node does (21-httpin.js): off
 * when `httpNodeRoot` is false, through `httpNodeMiddleware` and `httpNodeCors`, bounded by `apiMaxLength`, and with
 * the request's exact bytes kept for signature checks. Every request is handed on; the handler decides the answer.
 */

/** The `cors` package's options as Node-RED's `httpNodeCors` setting holds them (the parts that shape a response). */
export interface NodeCorsOptions {
	origin?: boolean | string | RegExp | (string | RegExp)[] | OriginCallback;
	credentials?: boolean;
	exposedHeaders?: string | string[];
}
type OriginCallback = (
	origin: string | undefined,
	cb: (err: Error | null, origin?: NodeCorsOptions['origin']) => void,
) => void;

/** The settings.js entries the route honours. */
export interface NodeHttpSettings {
	httpNodeRoot?: string | false;
	httpNodeMiddleware?: HttpHandler | HttpHandler[];
	httpNodeCors?: NodeCorsOptions;
	apiMaxLength?: string | number;
}

/** What the route read: the body's text, exactly as sent, or why it was not kept. */
export interface RouteBody {
	/** Absent only when a parser outside Node-RED's apps took the body first; `parsed` is then what it made. */
	raw?: string;
	parsed?: unknown;
	/** Set when the body is over `apiMaxLength` (which is below the pack's own bound): answer 413 naming it. */
	overApiMaxLength?: { limit: string | number };
}

export type RouteHandler = (req: Parameters<HttpHandler>[0], res: Parameters<HttpHandler>[1], body: RouteBody) => void;

type Layer = { handle?: unknown; route?: { path: string; methods: Record<string, boolean> } };
type MountedApp = Omit<HttpApp, '_router' | 'router'> & {
	parent?: MountedApp;
	path?(): string;
	_router?: { stack: Layer[] };
	router?: { stack: Layer[] };
};
type BodyReq = IncomingMessage & { body?: unknown; _body?: boolean; mcrBody?: RouteBody };

const UNITS: Record<string, number> = { b: 1, kb: 1 << 10, mb: 1 << 20, gb: 1 << 30 };

/** `apiMaxLength` in bytes, read as body-parser reads it ('5mb', '100kb', a number); Node-RED's default is 5mb. */
export function apiMaxBytes(setting: string | number | undefined): number {
	if (typeof setting === 'number' && Number.isFinite(setting)) return setting;
	const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(String(setting ?? ''));
	return m ? Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]) : 5 * UNITS.mb;
}

/** Express matches paths case-insensitively and ignores a trailing slash; the route keys do the same. */
function routeKey(method: string, path: string): string {
	return `${method.toUpperCase()}:${path
		.replace(/\/{2,}/g, '/')
		.replace(/\/$/, '')
		.toLowerCase()}`;
}

/** The body's bound: Node-RED's `apiMaxLength` or the pack's webhook limit, whichever is lower. */
async function readRouteBody(req: IncomingMessage, settings: NodeHttpSettings): Promise<RouteBody> {
	const apiMax = apiMaxBytes(settings.apiMaxLength);
	const raw = await collectBody(req, Math.min(apiMax, WEBHOOK_LIMITS.bytes));
	// Over the pack's own bound, answerWebhook answers 413 with its reason; over a lower apiMaxLength, the route does.
	return raw.length > apiMax ? { raw: '', overApiMaxLength: { limit: settings.apiMaxLength ?? apiMax } } : { raw };
}

/** A request whose body broke off (the caller hung up mid-upload): a 400 if anyone still listens, never a 500. */
function unreadable(res: ServerResponse): void {
	if (!res.headersSent)
		res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad request: the body could not be read');
}

const captures = new WeakMap<object, Map<string, NodeHttpSettings>>();

/**
 * With httpAdminRoot and httpNodeRoot both at "/", the editor's body parsers read every request before a node's
 * route sees it, and the bytes a signature covers are gone. Like `http in` with "don't parse the body", a
 * middleware at the top of Node-RED's root app reads the webhook's bytes first; `_body` then tells every
 * body-parser after it (the editor's, httpNodeMiddleware's) that the body is taken.
 */
function captureRawBodies(app: MountedApp): Map<string, NodeHttpSettings> | undefined {
	let root = app;
	while (root.parent) root = root.parent;
	// Express 4 keeps the root app's router as _router, Express 5 as router.
	const stack = (root._router ?? root.router)?.stack;
	if (!stack) return undefined;
	let keys = captures.get(root);
	if (keys) return keys;
	const routes = new Map<string, NodeHttpSettings>();
	keys = routes;
	const capture = (req: BodyReq, res: ServerResponse, next: (err?: unknown) => void) => {
		const settings = routes.get(routeKey(req.method ?? '', (req.url ?? '').split('?')[0]));
		if (!settings || req._body || req.readableEnded) return next();
		req._body = true;
		readRouteBody(req, settings).then(
			(body) => {
				req.mcrBody = body;
				next();
			},
			() => unreadable(res),
		);
	};
	(root as unknown as { use(h: unknown): void }).use(capture);
	const at = stack.findIndex((l) => l.handle === capture);
	if (at > 0) stack.unshift(stack.splice(at, 1)[0]);
	captures.set(root, keys);
	return keys;
}

/**
 * The response headers the `cors` package sets on an actual (not preflight) request. Preflight OPTIONS requests are
 * answered by Node-RED's own `http in` module, which registers `options('*')` with the same settings when it loads.
 */
export function corsHandler(options: NodeCorsOptions): HttpHandler {
	const apply = (req: IncomingMessage, res: ServerResponse, origin: NodeCorsOptions['origin']) => {
		const from = req.headers.origin;
		if (!origin || origin === '*') res.setHeader('Access-Control-Allow-Origin', '*');
		else {
			const allowed = (o: string | RegExp | boolean): boolean =>
				typeof o === 'boolean' ? o : o instanceof RegExp ? !!from && o.test(from) : o === from;
			if (typeof origin === 'string') res.setHeader('Access-Control-Allow-Origin', origin);
			else if (from && (Array.isArray(origin) ? origin.some(allowed) : allowed(origin as boolean | RegExp)))
				res.setHeader('Access-Control-Allow-Origin', from);
			const vary = res.getHeader('Vary');
			if (!vary) res.setHeader('Vary', 'Origin');
			else if (!/\borigin\b/i.test(String(vary))) res.setHeader('Vary', `${String(vary)}, Origin`);
		}
		if (options.credentials === true) res.setHeader('Access-Control-Allow-Credentials', 'true');
		const exposed = [options.exposedHeaders ?? []].flat().join(',');
		if (exposed) res.setHeader('Access-Control-Expose-Headers', exposed);
	};
	return (req, res, next) => {
		const origin = options.origin ?? '*';
		if (typeof origin !== 'function') {
			apply(req, res, origin);
			return next?.();
		}
		origin(req.headers.origin, (err, o) => {
			if (!err && o) apply(req, res, o);
			next?.();
		});
	};
}

/**
 * Registers `POST path` on RED.httpNode for a node, or, with httpNodeRoot false (no HTTP endpoints in this
 * Node-RED), says so on the node and registers nothing. Returns what the node's close handler must call.
 */
export function webhookRoute(RED: RED, node: NodeRedNode, path: string, handler: RouteHandler): () => void {
	const settings = RED.settings as NodeHttpSettings;
	if (settings.httpNodeRoot === false) {
		const why = 'no webhook: httpNodeRoot is false in settings.js, so Node-RED serves no HTTP endpoints';
		node.warn(`${why}. Set httpNodeRoot (e.g. "/") and restart Node-RED to receive calls.`);
		node.status({ fill: 'red', shape: 'ring', text: 'httpNodeRoot is false: no webhook' });
		return () => undefined;
	}
	const app = RED.httpNode as MountedApp;
	const key = routeKey('POST', `${app.path?.() ?? ''}${path}`);
	const captured = captureRawBodies(app);
	captured?.set(key, settings);
	const middleware = [settings.httpNodeMiddleware ?? []].flat().filter((m) => typeof m === 'function');
	const cors = settings.httpNodeCors ? [corsHandler(settings.httpNodeCors)] : [];
	const withBody: HttpHandler = (req, res) => {
		const r = req as BodyReq;
		if (r.mcrBody) return handler(req, res, r.mcrBody);
		// Not captured (an HTTP app Node-RED did not mount): the stream is read here, after the middleware.
		if (!r._body && !r.readableEnded) {
			readRouteBody(req, settings).then(
				(body) => handler(req, res, body),
				() => unreadable(res),
			);
			return;
		}
		// A parser outside Node-RED's own apps read the body first: its bytes are gone. Its fields are handed on
		// (Twilio signs fields), never re-serialized into bytes a raw-body signature would be checked against.
		const raw = typeof r.body === 'string' ? r.body : Buffer.isBuffer(r.body) ? r.body.toString('utf8') : undefined;
		handler(req, res, raw === undefined ? { parsed: r.body } : { raw });
	};
	app.post(path, ...middleware, ...cors, withBody);
	// The owners' case pages (the link in an alert) open with a GET on the same path; a GET has no body to keep.
	app.get(path, ...middleware, ...cors, (req, res) => handler(req, res, { raw: '' }));
	return () => {
		captured?.delete(key);
		removeRoute(app, path);
		removeRoute(app, path, 'get');
	};
}
