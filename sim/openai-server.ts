import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible chat completions server for tests and demos, on this machine only. It speaks
 * `POST /v1/chat/completions` (messages, `response_format` json_schema or json_object, tools and tool_calls,
 * streaming, usage) and `GET /v1/models` with OpenAI's shapes and error bodies, checks the API key, records every
 * request, answers from a queue of scripted replies or, by default, with a keyword heuristic, and fails or hangs
 * on demand.
 */

export interface ChatMessage {
	role: string;
	content: string | null | { type: string; text?: string }[];
	[key: string]: unknown;
}

export interface ChatRequest {
	model?: string;
	messages?: ChatMessage[];
	response_format?: { type: string; json_schema?: { name?: string; strict?: boolean; schema?: JsonSchema } };
	tools?: { type: string; function: { name: string; parameters?: JsonSchema } }[];
	tool_choice?: unknown;
	stream?: boolean;
	stream_options?: { include_usage?: boolean };
	[key: string]: unknown;
}

type JsonSchema = { properties?: Record<string, { enum?: string[] }>; [key: string]: unknown };

export interface RecordedRequest {
	method: string;
	path: string;
	headers: Record<string, string | string[] | undefined>;
	body?: ChatRequest;
	status: number;
	at: string;
}

/** One scripted reply, taken by the next request it matches. */
export interface ScriptedReply {
	/** Only requests this accepts (default: any chat completion). */
	match?: (req: ChatRequest) => boolean;
	/** The answer: an object is sent as JSON text (or as tool call arguments); a function sees the request. */
	content?: unknown;
	/** Answer with this HTTP status and OpenAI error body instead. */
	status?: number;
	error?: { message?: string; type?: string; code?: string | null; param?: string | null };
	/** Accept the request and never answer (a timeout for the client). */
	hang?: boolean;
	/** Answer after this many milliseconds. */
	delayMs?: number;
	/** How many requests this reply serves (default 1). */
	times?: number;
	/** Answer as a call to this offered tool, `content` being its arguments (an agent choosing among several tools). */
	tool?: string;
}

const ERROR_TYPES: Record<number, { type: string; code: string | null; message: string }> = {
	400: { type: 'invalid_request_error', code: null, message: 'Bad request' },
	401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided' },
	404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist' },
	429: {
		type: 'requests',
		code: 'rate_limit_exceeded',
		message: 'Rate limit reached for requests. Please try again in 1s.',
	},
	500: { type: 'server_error', code: null, message: 'The server had an error while processing your request.' },
};

function id(prefix: string): string {
	return prefix + randomBytes(12).toString('base64url');
}

function textOf(m: ChatMessage): string {
	if (typeof m.content === 'string') return m.content;
	if (Array.isArray(m.content)) return m.content.map((p) => p.text ?? '').join('');
	return '';
}

/** Every message of one role, as one text. */
function textOfRole(req: ChatRequest, role: string): string {
	return (req.messages ?? [])
		.filter((m) => m.role === role)
		.map(textOf)
		.join('\n');
}

/** What our prompts put inside the marked caller_words block of the user text, or undefined without one. */
function dataBlockOf(user: string): string | undefined {
	return /<(caller_words_[0-9a-f]+)>\n([\s\S]*?)\n<\/\1>/.exec(user)?.[2];
}

/** The caller's words of our prompt (the JSON array in the marked block), else all the user text. */
function callerWords(req: ChatRequest): string {
	const user = textOfRole(req, 'user');
	const block = dataBlockOf(user);
	if (block === undefined) return user;
	try {
		return (JSON.parse(block) as string[]).join(' \n ');
	} catch {
		return block;
	}
}

/** In JSON mode the schema travels in the prompt: a line of the system message that is a JSON Schema object. */
function schemaInPrompt(req: ChatRequest): JsonSchema | undefined {
	for (const m of req.messages ?? []) {
		if (m.role !== 'system') continue;
		for (const line of textOf(m).split('\n')) {
			if (!line.startsWith('{')) continue;
			try {
				const parsed = JSON.parse(line) as JsonSchema;
				if (parsed.properties) return parsed;
			} catch {
				// not a schema line
			}
		}
	}
	return undefined;
}

type IntakeSchema = { properties?: { intake?: { properties?: Record<string, { description?: string }> } } };

/**
 * A stand-in SMS assistant turn (the demo's, `npm start -- --assistant`): the caller's latest text answers the first
 * open intake question, the next question is asked, and once all are answered the booking link in the rules is
 * offered. Predictable, so what a caller sees in the demo follows from what they type.
 */
function assistantAnswer(req: ChatRequest, schema: IntakeSchema): Record<string, unknown> {
	const block = dataBlockOf(textOfRole(req, 'user'));
	let data: { conversation?: { from: string; text: string }[]; answersSoFar?: Record<string, string> } = {};
	try {
		data = block ? (JSON.parse(block) as typeof data) : {};
	} catch {
		data = {};
	}
	const questions = schema.properties?.intake?.properties ?? {};
	const keys = Object.keys(questions);
	// The schema describes each answer as: the caller's answer to "<question>".
	const questionOf = (k: string) => /"([^"]+)"/.exec(questions[k]?.description ?? '')?.[1] ?? k;
	const answers: Record<string, string> = { ...(data.answersSoFar ?? {}) };
	const latest = (data.conversation ?? []).filter((l) => l.from === 'caller').at(-1)?.text;
	const open = keys.filter((k) => !answers[k]);
	if (latest && open.length) answers[open[0]] = latest.slice(0, 120);
	const next = keys.find((k) => !answers[k]);
	const booking = /Booking link: (\S+)/.exec(textOfRole(req, 'system'))?.[1];
	const reply = next
		? `Thanks. ${questionOf(next)}`
		: `Thanks, that is everything we need. ${booking ? `You can book a time at ${booking}, or ` : ''}` +
			'the team will call you back.';
	return {
		reply,
		intake: Object.fromEntries(keys.map((k) => [k, answers[k] ?? null])),
		handoff: false,
		handoffReason: null,
	};
}

/** A crude stand-in for a model: keywords decide, so tests can predict what the "model" says. */
export function heuristicAnswer(req: ChatRequest): Record<string, unknown> {
	const words = callerWords(req);
	const text = words.toLowerCase();
	const schema = req.response_format?.json_schema?.schema ?? req.tools?.[0]?.function.parameters ?? schemaInPrompt(req);
	if (schema?.properties && 'reply' in schema.properties) return assistantAnswer(req, schema as IntakeSchema);
	const types = schema?.properties?.serviceType?.enum ?? ['general'];
	const hit = (re: RegExp) => re.exec(text)?.[0];
	const emergency = hit(/gas|smoke|sparks?|flood\w*|burst|fire|carbon monoxide|sewage|bleeding/);
	const high = hit(/leak\w*|no hot water|broken|today|asap|urgent|locked out/);
	const low = hit(/quote|estimate|no rush|price|next month/);
	const urgency = emergency ? 'emergency' : high ? 'high' : low ? 'low' : 'normal';
	const serviceType = types.find((t) => text.includes(t.replace(/-/g, ' '))) ?? types[0];
	const callback = /\b(?:after|before|at|around)\s+\d{1,2}(?::\d{2})?\s*(?:am|pm)?/i.exec(words)?.[0] ?? null;
	const spanish = /\b(hola|agua|por favor|fuga|gracias|llamar)\b/.test(text);
	return {
		urgency,
		serviceType,
		summary: words.replace(/\s+/g, ' ').trim().slice(0, 80) || 'Missed call, no words left',
		language: spanish ? 'es' : 'en',
		preferredCallbackTime: callback,
		reasons: [`heuristic: ${emergency ?? high ?? low ?? 'no keyword'}`],
	};
}

export class OpenAISim {
	readonly requests: RecordedRequest[] = [];
	/** Answer 400 to `response_format: json_schema`, as servers without structured outputs do. */
	rejectJsonSchema = false;
	private script: ScriptedReply[] = [];
	private server?: Server;
	/** The base URL clients are given, ending in /v1. */
	url = '';

	constructor(readonly opts: { apiKey?: string; models?: string[] } = {}) {}

	async start(port = 0, host = '127.0.0.1'): Promise<string> {
		this.server = createServer((req, res) => {
			this.handle(req, res).catch((e) => this.error(res, 500, { message: String((e as Error).message) }));
		});
		await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
		this.url = `http://${host}:${(this.server.address() as AddressInfo).port}/v1`;
		return this.url;
	}

	async stop(): Promise<void> {
		if (!this.server) return;
		this.server.closeAllConnections?.();
		await new Promise<void>((resolve) => this.server!.close(() => resolve()));
		this.server = undefined;
	}

	reset(): void {
		this.requests.length = 0;
		this.script = [];
		this.rejectJsonSchema = false;
	}

	/** Queues scripted replies; requests no reply matches get the heuristic answer. */
	reply(...r: ScriptedReply[]): void {
		this.script.push(...r.map((x) => ({ ...x, times: x.times ?? 1 })));
	}

	/** The next `times` chat requests fail with this status (401, 429, 500) and OpenAI's error body. */
	fail(status: number, times = 1, message?: string): void {
		this.reply({ status, times, error: message ? { message } : undefined });
	}

	/** The next `times` chat requests are accepted and never answered. */
	hang(times = 1): void {
		this.reply({ hang: true, times });
	}

	/** Scripted replies not yet taken. */
	pending(): number {
		return this.script.reduce((n, s) => n + (s.times ?? 1), 0);
	}

	/** Chat completion requests received, in order. */
	chats(): ChatRequest[] {
		return this.requests.filter((r) => r.path.endsWith('/chat/completions') && r.body).map((r) => r.body!);
	}

	private take(req: ChatRequest): ScriptedReply | undefined {
		const s = this.script.find((x) => (x.times ?? 1) > 0 && (!x.match || x.match(req)));
		if (!s) return undefined;
		s.times = (s.times ?? 1) - 1;
		this.script = this.script.filter((x) => (x.times ?? 1) > 0);
		return s;
	}

	private authorized(req: IncomingMessage): boolean {
		if (!this.opts.apiKey) return true;
		const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
		return bearer === this.opts.apiKey || req.headers['api-key'] === this.opts.apiKey;
	}

	private error(res: ServerResponse, status: number, e: ScriptedReply['error'] = {}, rec?: RecordedRequest): void {
		const known = ERROR_TYPES[status] ?? ERROR_TYPES[500];
		if (rec) rec.status = status;
		if (res.headersSent) return void res.end();
		res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '1' } : {}) });
		res.end(
			JSON.stringify({
				error: {
					message: e.message ?? known.message,
					type: e.type ?? known.type,
					param: e.param ?? null,
					code: e.code === undefined ? known.code : e.code,
				},
			}),
		);
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const path = new URL(req.url ?? '/', 'http://sim').pathname;
		const raw = await new Promise<string>((resolve, reject) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
			req.on('error', reject);
		});
		const rec: RecordedRequest = {
			method: req.method ?? 'GET',
			path,
			headers: { ...req.headers },
			status: 0,
			at: new Date().toISOString(),
		};
		this.requests.push(rec);
		if (!this.authorized(req)) {
			const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
			// As OpenAI does, the message shows the start and end of the key it refused.
			const shown = given.length > 8 ? `${given.slice(0, 3)}*****${given.slice(-4)}` : '';
			return this.error(
				res,
				401,
				{
					message:
						`Incorrect API key provided: ${shown}. You can find your API key at ` +
						`https://platform.openai.com/account/api-keys.`,
				},
				rec,
			);
		}
		if (req.method === 'GET' && path === '/v1/models') {
			rec.status = 200;
			res.writeHead(200, { 'content-type': 'application/json' });
			const created = Math.floor(Date.now() / 1000);
			const data = (this.opts.models ?? ['gpt-4o-mini']).map((m) => ({
				id: m,
				object: 'model',
				created,
				owned_by: 'local-sim',
			}));
			return void res.end(JSON.stringify({ object: 'list', data }));
		}
		if (req.method !== 'POST' || !/\/chat\/completions$/.test(path))
			return this.error(res, 404, { message: `Unknown request to ${req.method} ${path}`, code: null }, rec);
		let body: ChatRequest;
		try {
			body = JSON.parse(raw) as ChatRequest;
		} catch {
			return this.error(res, 400, { message: 'We could not parse the JSON body of your request.' }, rec);
		}
		rec.body = body;
		if (!Array.isArray(body.messages) || !body.messages.length)
			return this.error(res, 400, { message: "Missing required parameter: 'messages'.", param: 'messages' }, rec);
		if (this.rejectJsonSchema && body.response_format?.type === 'json_schema')
			return this.error(
				res,
				400,
				{
					message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
					param: 'response_format',
				},
				rec,
			);
		const s = this.take(body);
		if (s?.hang) {
			rec.status = 0;
			// Never answered; the socket goes when the client gives up (or after a minute).
			setTimeout(() => req.socket.destroy(), 60000).unref();
			return;
		}
		if (s?.delayMs) await new Promise((r) => setTimeout(r, s.delayMs));
		if (s?.status && s.status >= 400) return this.error(res, s.status, s.error, rec);
		const answer =
			s && 'content' in s
				? typeof s.content === 'function'
					? (s.content as (r: ChatRequest) => unknown)(body)
					: s.content
				: heuristicAnswer(body);
		this.complete(res, body, typeof answer === 'string' ? answer : JSON.stringify(answer), rec, s?.tool);
	}

	/** A chat.completion (or its stream of chunks), as a content message or a tool call when tools were offered. */
	private complete(res: ServerResponse, body: ChatRequest, text: string, rec: RecordedRequest, named?: string): void {
		const tool = named ?? this.toolFor(body);
		const message = tool
			? {
					role: 'assistant',
					content: null,
					refusal: null,
					tool_calls: [{ id: id('call_'), type: 'function', function: { name: tool, arguments: text } }],
				}
			: { role: 'assistant', content: text, refusal: null };
		const finish = tool ? 'tool_calls' : 'stop';
		const promptChars = (body.messages ?? []).reduce((n, m) => n + textOf(m).length, 0);
		const usage = {
			prompt_tokens: Math.ceil(promptChars / 4),
			completion_tokens: Math.ceil(text.length / 4),
			total_tokens: Math.ceil(promptChars / 4) + Math.ceil(text.length / 4),
		};
		const base = {
			id: id('chatcmpl-'),
			created: Math.floor(Date.now() / 1000),
			model: body.model ?? 'gpt-4o-mini',
			system_fingerprint: 'fp_local_sim',
		};
		rec.status = 200;
		if (!body.stream) {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(
				JSON.stringify({
					...base,
					object: 'chat.completion',
					choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
					usage,
				}),
			);
			return;
		}
		res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
		const chunk = (delta: unknown, finishReason: string | null, extra: Record<string, unknown> = {}) =>
			res.write(
				`data: ${JSON.stringify({
					...base,
					object: 'chat.completion.chunk',
					choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
					...extra,
				})}\n\n`,
			);
		chunk({ role: 'assistant', content: tool ? null : '' }, null);
		if (tool) chunk({ tool_calls: [{ index: 0, ...message.tool_calls![0] }] }, null);
		else chunk({ content: text }, null);
		chunk({}, finish);
		if (body.stream_options?.include_usage)
			res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
		res.end('data: [DONE]\n\n');
	}

	/** The function to answer through: the one tool_choice names, or the only tool when no response format is set. */
	private toolFor(body: ChatRequest): string | undefined {
		if (!body.tools?.length) return undefined;
		const choice = body.tool_choice as { function?: { name?: string } } | string | undefined;
		if (typeof choice === 'object' && choice.function?.name) return choice.function.name;
		if (choice === 'required' || (!body.response_format && body.tools.length === 1)) return body.tools[0].function.name;
		return undefined;
	}
}
