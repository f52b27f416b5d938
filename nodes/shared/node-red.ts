import type { IncomingMessage, ServerResponse } from 'node:http';
import {
	IllegalTransitionError,
	ProviderError,
	RecoveryInputError,
	WEBHOOK_LIMITS,
	type RecoveryLoop,
	type StoreConfig,
} from '../../core';
import {
	closeSharedStore,
	loopOver,
	statusCallbackUrlFrom,
	parseBusinesses,
	sharedProvider,
	sharedStore,
	storeConfigFromFields,
	type AdapterAccount,
	type Businesses,
} from './runtime';
import { join } from 'node:path';
import { homedir } from 'node:os';

/** The slice of Node-RED's runtime API the pack uses (Node-RED 4.x and 5.x). */
export interface NodeRedNode {
	id: string;
	credentials?: Record<string, string | undefined>;
	on(
		event: 'input',
		fn: (msg: Msg, send: (m: (Msg | null)[] | Msg) => void, done: (err?: Error) => void) => void,
	): void;
	on(event: 'close', fn: (removed: boolean, done: () => void) => void): void;
	status(
		s:
			| { fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey'; shape?: 'dot' | 'ring'; text?: string }
			| Record<string, never>,
	): void;
	error(err: unknown, msg?: Msg): void;
	warn(m: unknown): void;
	log(m: unknown): void;
	send(m: (Msg | null)[] | Msg): void;
}

export interface Msg {
	_msgid?: string;
	payload?: unknown;
	caseId?: string;
	operation?: string;
	[key: string]: unknown;
}

/** A request handler as Express (and so Node-RED's HTTP apps) calls it. */
export type HttpHandler = (
	req: IncomingMessage & { originalUrl?: string; protocol?: string; get?(h: string): string | undefined },
	res: ServerResponse & { status?(n: number): unknown },
	next?: () => void,
) => void;

export interface HttpApp {
	post(path: string, ...handlers: HttpHandler[]): void;
	get(path: string, ...handlers: HttpHandler[]): void;
	_router?: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
	router?: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
}

export interface RED {
	nodes: {
		createNode(node: unknown, config: unknown): void;
		registerType(
			type: string,
			ctor: unknown,
			opts?: { credentials?: Record<string, { type: 'text' | 'password' }> },
		): void;
		getNode(id: string): unknown;
	};
	httpNode: HttpApp;
	/** The editor's own HTTP API (behind the editor's login); absent in some embedded setups. */
	httpAdmin?: HttpApp;
	auth?: { needsPermission(permission: string): HttpHandler };
	settings: { userDir?: string; httpNodeRoot?: string };
	_?: (key: string) => string;
}

export interface TwilioConfigNode extends NodeRedNode {
	account: AdapterAccount;
	/** A setting the node could not take, said by every node that uses this account. */
	problem?: RecoveryInputError;
}
export interface StoreConfigNode extends NodeRedNode {
	storeConfig: StoreConfig;
}
export interface BusinessConfigNode extends NodeRedNode {
	businesses?: Businesses;
	problem?: string;
}

export function storeConfigOf(
	config: Record<string, unknown>,
	credentials: Record<string, string | undefined> | undefined,
	userDir: string | undefined,
): StoreConfig {
	return storeConfigFromFields(config, credentials?.password, userDir ?? join(homedir(), '.node-red'));
}

export { closeSharedStore, statusCallbackUrlFrom };

/** The loop for a node from its three config nodes; a clear error names what is missing. */
export async function loopForNode(
	RED: RED,
	config: { store?: string; business?: string; twilio?: string },
	opts: { twilio: 'required' | 'optional' | 'none' },
): Promise<{ loop: RecoveryLoop; businesses: Businesses; webhookAuthToken?: string }> {
	const storeNode = config.store ? (RED.nodes.getNode(config.store) as StoreConfigNode | null) : null;
	const businessNode = config.business ? (RED.nodes.getNode(config.business) as BusinessConfigNode | null) : null;
	if (!storeNode)
		throw new RecoveryInputError(
			'store',
			config.store,
			'Pick a Recovery store config node (SQLite file or PostgreSQL) in this node.',
		);
	if (!businessNode)
		throw new RecoveryInputError('business', config.business, 'Pick a Recovery business config node in this node.');
	if (!businessNode.businesses)
		throw new RecoveryInputError(
			'business',
			businessNode.problem ?? 'invalid',
			'Fix the business profile in the Recovery business config node.',
		);
	const twilioNode = config.twilio ? (RED.nodes.getNode(config.twilio) as TwilioConfigNode | null) : null;
	if (opts.twilio === 'required' && !twilioNode)
		throw new RecoveryInputError('twilio', config.twilio, 'Pick a Twilio account config node: this node sends texts.');
	if (twilioNode?.problem && opts.twilio !== 'none') throw twilioNode.problem;
	const store = await sharedStore(storeNode.storeConfig);
	const provider = twilioNode && opts.twilio !== 'none' ? sharedProvider(twilioNode.account) : undefined;
	return {
		loop: loopOver(store, businessNode.businesses, provider, {
			statusCallbackUrl: provider ? twilioNode?.account.statusCallbackUrl : undefined,
			caseLinkSecret: twilioNode?.account.webhookAuthToken,
		}),
		businesses: businessNode.businesses,
		webhookAuthToken: twilioNode?.account.webhookAuthToken,
	};
}

export function parseBusinessConfig(profileText: string): { businesses?: Businesses; problem?: string } {
	try {
		return { businesses: parseBusinesses(profileText) };
	} catch (e) {
		return { problem: (e as Error).message };
	}
}

/** The case id a message carries: msg.caseId, or msg.payload.caseId as the trigger sets it. */
export function caseIdOfMsg(msg: Msg): string {
	const id =
		msg.caseId ??
		(msg.payload && typeof msg.payload === 'object' ? (msg.payload as { caseId?: string }).caseId : undefined);
	if (!id)
		throw new RecoveryInputError('msg.caseId', id, 'Wire this node after the missed call trigger, or set msg.caseId.');
	return id;
}

/** Friendly text for errors that reach a Catch node: what went wrong and how to fix it. */
export function describeError(e: unknown): string {
	if (e instanceof RecoveryInputError || e instanceof IllegalTransitionError || e instanceof ProviderError)
		return e.message;
	return e instanceof Error ? e.message : String(e);
}

/** Runs a node's work for one message with the 1.0 message API: status, send, done(err) for Catch nodes. */
export function onInput(
	node: NodeRedNode,
	work: (msg: Msg) => Promise<{ outputs: (Msg | null)[]; status: string; fill?: 'green' | 'yellow' | 'blue' | 'grey' }>,
): void {
	node.on('input', (msg, send, done) => {
		node.status({ fill: 'blue', shape: 'dot', text: 'working' });
		work(msg).then(
			(r) => {
				node.status({ fill: r.fill ?? 'green', shape: 'dot', text: r.status });
				send(r.outputs);
				done();
			},
			(e) => {
				const text = describeError(e);
				node.status({ fill: 'red', shape: 'ring', text: text.length > 60 ? `${text.slice(0, 57)}...` : text });
				// The error itself, so Catch nodes and the log see its class and where it was thrown.
				done(e instanceof Error ? e : new Error(text));
			},
		);
	});
}

/** Removes a route the node registered on Node-RED's HTTP server (Express 4 or 5). */
export function removeRoute(app: HttpApp, path: string, method = 'post'): void {
	const router = app._router ?? app.router;
	if (!router) return;
	for (let i = router.stack.length - 1; i >= 0; i--) {
		const r = router.stack[i].route;
		if (r && r.path === path && r.methods[method]) router.stack.splice(i, 1);
	}
}

/**
 * Reads the body's bytes as they came. Past `limit` bytes it stops keeping them (the rest drains unread) and hands
 * back the first `limit + 1`, one character per byte, so the length alone shows the body was too large.
 */
export function collectBody(req: IncomingMessage, limit: number): Promise<string> {
	return new Promise((resolve, reject) => {
		let size = 0;
		const chunks: Buffer[] = [];
		const onData = (c: Buffer) => {
			size += c.length;
			chunks.push(c);
			if (size > limit) {
				req.off('data', onData);
				req.resume();
				resolve(
					Buffer.concat(chunks)
						.subarray(0, limit + 1)
						.toString('latin1'),
				);
			}
		};
		req.on('data', onData);
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

/**
 * The request body as text, or as a body parser already made it (with httpAdminRoot and httpNodeRoot both at "/",
 * the editor's parsers read every request first): then `raw` is empty, never rebuilt from the parsed value. Never
 * rejects for what the body holds; a body over `limit` bytes comes back as `collectBody` says.
 */
export function readBody(
	req: IncomingMessage,
	limit: number = WEBHOOK_LIMITS.bytes,
): Promise<{ raw: string; parsed?: unknown }> {
	const r = req as unknown as { body?: unknown; _body?: boolean; readableEnded?: boolean };
	if (r._body || r.readableEnded) return Promise.resolve({ raw: '', parsed: r.body ?? {} });
	return collectBody(req, limit).then((raw) => ({ raw }));
}
