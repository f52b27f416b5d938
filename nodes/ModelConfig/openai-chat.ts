import {
	MODEL_TIMEOUT_MS,
	ModelAnswerError,
	RecoveryInputError,
	type AskModel,
	type ModelMessage,
	type ModelOutputSchema,
} from '../../core';
import { scrubSecrets } from '../../core/redact';
import type { NodeRedNode, RED } from '../shared/node-red';

/**
 * An OpenAI-compatible chat completions endpoint (OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio) asked with
 * Node's own fetch: structured output through `response_format: json_schema`, and JSON mode for servers that
 * refuse it. The API key goes in a header only, and is scrubbed from every error.
 */

export interface ChatEndpoint {
	/** Up to and including the version, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. */
	baseUrl: string;
	model: string;
	apiKey?: string;
}

/** The endpoint answered with an error status, or could not be reached. */
export class ModelEndpointError extends Error {
	constructor(
		message: string,
		readonly status?: number,
	) {
		super(message);
		this.name = 'ModelEndpointError';
	}
}

type ChatResponse = {
	choices?: {
		message?: {
			content?: string | null;
			refusal?: string | null;
			tool_calls?: { function?: { arguments?: string } }[];
		};
		finish_reason?: string;
	}[];
	error?: { message?: string };
};

const HINTS: Record<number, string> = {
	401: 'check the API key in the language model config node',
	403: 'the API key may not use this model',
	404: 'check the base URL and the model name',
	429: 'rate limited or out of quota at the provider',
};

/** The chat completions URL under a base URL; a query (Azure's api-version) is kept. */
export function chatCompletionsUrl(baseUrl: string): URL {
	let url: URL;
	try {
		url = new URL(baseUrl.trim());
	} catch {
		throw new RecoveryInputError(
			'Base URL',
			baseUrl,
			'Give the endpoint up to its version, such as https://api.openai.com/v1 or http://localhost:11434/v1.',
		);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:')
		throw new RecoveryInputError('Base URL', baseUrl, 'Use an http:// or https:// address.');
	if (url.username || url.password)
		throw new RecoveryInputError(
			'Base URL',
			`${url.protocol}//${url.host}`,
			'Put the API key in the API key field, not in the address.',
		);
	if (!/\/chat\/completions\/?$/.test(url.pathname))
		url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
	return url;
}

/** Azure OpenAI takes its key in an `api-key` header; everyone else in a Bearer token. */
export function authHeaders(url: URL, apiKey: string | undefined): Record<string, string> {
	if (!apiKey) return {};
	return /\.(openai|cognitiveservices)\.azure\.com$/.test(url.hostname)
		? { 'api-key': apiKey }
		: { authorization: `Bearer ${apiKey}` };
}

export class OpenAIChat {
	private readonly url: URL;
	/** Set once the server refused json_schema: later requests go straight to JSON mode. */
	private jsonMode = false;

	constructor(readonly endpoint: ChatEndpoint) {
		this.url = chatCompletionsUrl(endpoint.baseUrl);
		if (!endpoint.model.trim())
			throw new RecoveryInputError(
				'Model',
				endpoint.model,
				'Name the model, such as gpt-4o-mini, or llama3.1 for Ollama.',
			);
	}

	/** What the model said, scrubbed of the key (some providers echo part of a refused key). */
	private scrub(text: string): string {
		return scrubSecrets(text, [this.endpoint.apiKey]).replace(/(api key provided:?\s*)[^\s.,]+/gi, '$1[redacted]');
	}

	readonly ask: AskModel = async (messages, schema, { signal }) => {
		try {
			return await this.request(messages, schema, signal, this.jsonMode);
		} catch (e) {
			if (this.jsonMode || !(e instanceof ModelEndpointError) || !refusedSchema(e)) throw e;
			this.jsonMode = true;
			return this.request(messages, schema, signal, true);
		}
	};

	private async request(
		messages: ModelMessage[],
		schema: ModelOutputSchema,
		signal: AbortSignal,
		jsonMode: boolean,
	): Promise<unknown> {
		const body = {
			model: this.endpoint.model.trim(),
			messages,
			temperature: 0,
			response_format: jsonMode
				? { type: 'json_object' }
				: { type: 'json_schema', json_schema: { name: schema.name, strict: true, schema: schema.jsonSchema } },
		};
		let res: Response;
		try {
			res = await fetch(this.url, {
				method: 'POST',
				headers: { 'content-type': 'application/json', ...authHeaders(this.url, this.endpoint.apiKey) },
				body: JSON.stringify(body),
				signal,
			});
		} catch (e) {
			if (signal.aborted) throw signal.reason ?? e;
			const cause = (e as { cause?: { code?: string; message?: string } }).cause;
			throw new ModelEndpointError(
				this.scrub(`could not reach ${this.url.host}: ${cause?.code ?? cause?.message ?? (e as Error).message}`),
			);
		}
		const text = await res.text();
		let json: ChatResponse | undefined;
		try {
			json = JSON.parse(text) as ChatResponse;
		} catch {
			json = undefined;
		}
		if (!res.ok) {
			const said = json?.error?.message ?? text.slice(0, 200);
			const hint = HINTS[res.status] ? `; ${HINTS[res.status]}` : '';
			throw new ModelEndpointError(
				this.scrub(`HTTP ${res.status} from the model endpoint: ${said}${hint}`),
				res.status,
			);
		}
		const choice = json?.choices?.[0];
		if (!choice?.message)
			throw new ModelAnswerError(`model endpoint sent no answer ("${this.scrub(text.slice(0, 40))}")`);
		if (choice.message.refusal) throw new ModelAnswerError(`model refused: ${this.scrub(choice.message.refusal)}`);
		if (choice.finish_reason === 'length') throw new ModelAnswerError('model answer cut off at its token limit');
		const args = choice.message.tool_calls?.[0]?.function?.arguments;
		return args ?? choice.message.content ?? '';
	}
}

/** A server that does not do structured outputs says so in a 400 (or 422) about response_format. */
function refusedSchema(e: ModelEndpointError): boolean {
	return (e.status === 400 || e.status === 422) && /response_format|json_schema|structured/i.test(e.message);
}

/** The language model config node, as the urgency and assistant nodes read it. */
export interface ModelConfigNode extends NodeRedNode {
	chat?: OpenAIChat;
	timeoutMs: number;
	/** A setting the node could not take, said by every node that uses this model. */
	problem?: RecoveryInputError;
}

/** A model config node that can be asked: its chat client and timeout. */
export type ReadyModel = ModelConfigNode & { chat: OpenAIChat };

/**
 * The language model config node a node picked in its `model` field. None picked gives undefined, or, when the node
 * cannot work without a model, an error whose fix is `missing`. A picked node that is gone or broken is an error.
 */
export function modelConfigOf(RED: RED, id: string | undefined, missing?: string): ReadyModel | undefined {
	if (!id) {
		if (missing) throw new RecoveryInputError('model', id, missing);
		return undefined;
	}
	const node = RED.nodes.getNode(id) as ModelConfigNode | null;
	if (!node)
		throw new RecoveryInputError('model', id, missing ?? 'Pick a language model config node, or none for rules only.');
	if (node.problem || !node.chat)
		throw node.problem ?? new RecoveryInputError('model', id, 'Fix the language model config node.');
	return node as ReadyModel;
}

/** Seconds from the editor: a bad value is an error naming the field, not a silent default. */
export function timeoutMsOf(value: unknown): number {
	if (value === undefined || value === '') return MODEL_TIMEOUT_MS;
	const s = Number(value);
	if (!Number.isFinite(s) || s < 1 || s > 120)
		throw new RecoveryInputError(
			'Timeout',
			value,
			'Give the seconds to wait for the model, from 1 to 120 (8 is usual).',
		);
	return Math.round(s * 1000);
}
