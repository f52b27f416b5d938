import { outputSchemaFor, RecoveryInputError } from '../../core';
import { authHeaders, chatCompletionsUrl, OpenAIChat, timeoutMsOf } from '../../nodes/ModelConfig/openai-chat';
import { OpenAISim, type ChatRequest } from '../../sim/openai-server';
import { plumber } from '../helpers/fixtures';

const KEY = 'sk-local-7HqP2w';
const schema = outputSchemaFor(plumber());
const messages = [
	{ role: 'system' as const, content: 'Answer in JSON.' },
	{ role: 'user' as const, content: 'a pipe burst in the basement' },
];
const signal = () => new AbortController().signal;

type Completion = {
	id: string;
	choices: { message: { content: string; tool_calls: { function: { arguments: string } }[] } }[];
};

describe('the OpenAI-compatible client and the local server', () => {
	const oai = new OpenAISim({ apiKey: KEY, models: ['gpt-4o-mini', 'llama3.1'] });
	beforeAll(() => oai.start());
	afterAll(() => oai.stop());
	afterEach(() => oai.reset());

	test("GET /v1/models lists the models; a wrong key gets OpenAI's 401 body", async () => {
		const ok = await fetch(`${oai.url}/models`, { headers: { authorization: `Bearer ${KEY}` } });
		expect(await ok.json()).toMatchObject({
			object: 'list',
			data: [{ id: 'gpt-4o-mini', object: 'model' }, { id: 'llama3.1' }],
		});
		const bad = await fetch(`${oai.url}/models`, { headers: { authorization: 'Bearer sk-nope-12345678' } });
		expect(bad.status).toBe(401);
		expect(await bad.json()).toEqual({
			error: expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_api_key', param: null }),
		});
	});

	test('a chat completion has the real shape, usage included, and the request is recorded', async () => {
		const res = await fetch(`${oai.url}/chat/completions`, {
			method: 'POST',
			headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
			body: JSON.stringify({ model: 'gpt-4o-mini', messages }),
		});
		const body = (await res.json()) as Completion;
		expect(body).toMatchObject({
			object: 'chat.completion',
			model: 'gpt-4o-mini',
			choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: expect.any(String) } }],
			usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) },
		});
		expect(body.id).toMatch(/^chatcmpl-/);
		expect(JSON.parse(body.choices[0].message.content)).toMatchObject({ urgency: 'emergency' });
		expect(oai.chats()).toHaveLength(1);
	});

	test('a forced tool gets tool_calls, and a stream ends with [DONE]', async () => {
		const tools = [{ type: 'function', function: { name: 'classify', parameters: schema.jsonSchema } }];
		const post = (extra: Partial<ChatRequest>) =>
			fetch(`${oai.url}/chat/completions`, {
				method: 'POST',
				headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
				body: JSON.stringify({ model: 'm', messages, ...extra }),
			});
		const forced = await post({ tools, tool_choice: { type: 'function', function: { name: 'classify' } } });
		const tool = (await forced.json()) as Completion;
		expect(tool.choices[0]).toMatchObject({
			finish_reason: 'tool_calls',
			message: { content: null, tool_calls: [{ type: 'function', function: { name: 'classify' } }] },
		});
		expect(JSON.parse(tool.choices[0].message.tool_calls[0].function.arguments)).toMatchObject({ serviceType: 'leak' });
		const stream = await (await post({ stream: true, stream_options: { include_usage: true } })).text();
		const events = stream.split('\n\n').filter(Boolean);
		expect(events[events.length - 1]).toBe('data: [DONE]');
		const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
		expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
		expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toMatch(/"urgency":"emergency"/);
		expect(chunks[chunks.length - 1].usage).toBeDefined();
	});

	test('the client asks with a strict json_schema, then remembers a server that refuses it', async () => {
		const chat = new OpenAIChat({ baseUrl: oai.url, model: 'llama3.1', apiKey: KEY });
		oai.rejectJsonSchema = true;
		expect(JSON.parse((await chat.ask(messages, schema, { signal: signal() })) as string)).toMatchObject({
			urgency: 'emergency',
		});
		await chat.ask(messages, schema, { signal: signal() });
		expect(oai.chats().map((c) => c.response_format?.type)).toEqual(['json_schema', 'json_object', 'json_object']);
		expect(oai.chats()[0]).toMatchObject({
			model: 'llama3.1',
			temperature: 0,
			response_format: { json_schema: { name: 'missed_call_classification', strict: true, schema: schema.jsonSchema } },
		});
	});

	test('plain text comes back for the core to check; an unreachable server is named without the key', async () => {
		const chat = new OpenAIChat({ baseUrl: oai.url, model: 'm', apiKey: KEY });
		oai.reply({ content: 'I cannot help with that' });
		expect(await chat.ask(messages, schema, { signal: signal() })).toBe('I cannot help with that');
		const closed = new OpenAISim();
		const url = await closed.start();
		await closed.stop();
		const gone = new OpenAIChat({ baseUrl: url, model: 'm', apiKey: KEY });
		const err = await gone.ask(messages, schema, { signal: signal() }).catch((e: Error) => e);
		expect((err as Error).message).toMatch(/^could not reach 127\.0\.0\.1:\d+: ECONNREFUSED$/);
		expect((err as Error).message).not.toContain(KEY);
	});

	test('Azure gets the key as api-key; base URLs keep their query; bad settings name the field', () => {
		expect(chatCompletionsUrl('https://api.openai.com/v1').toString()).toBe(
			'https://api.openai.com/v1/chat/completions',
		);
		expect(chatCompletionsUrl('http://localhost:11434/v1/').toString()).toBe(
			'http://localhost:11434/v1/chat/completions',
		);
		expect(
			chatCompletionsUrl('https://r.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21').toString(),
		).toBe('https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21');
		expect(() => chatCompletionsUrl('localhost:11434')).toThrow(/Base URL is "localhost:11434"\. Use an http/);
		expect(() => chatCompletionsUrl('https://user:pw@example.com/v1')).toThrow(/Put the API key in the API key field/);
		expect(() => new OpenAIChat({ baseUrl: 'https://api.openai.com/v1', model: ' ' })).toThrow(RecoveryInputError);
		expect(timeoutMsOf('')).toBe(8000);
		expect(timeoutMsOf('2.5')).toBe(2500);
		expect(() => timeoutMsOf('0')).toThrow(/Timeout is "0"\. Give the seconds/);
	});

	test('Azure hosts get the key as api-key, every other host as a Bearer token, and the server sees it', async () => {
		expect(authHeaders(new URL('https://r.openai.azure.com/openai/v1/chat/completions'), KEY)).toEqual({
			'api-key': KEY,
		});
		expect(authHeaders(new URL('https://r.cognitiveservices.azure.com/openai/v1'), KEY)).toEqual({ 'api-key': KEY });
		expect(authHeaders(new URL('https://openai.azure.com.evil.example/v1'), KEY)).toEqual({
			authorization: `Bearer ${KEY}`,
		});
		expect(authHeaders(new URL('http://localhost:11434/v1'), undefined)).toEqual({});
		await new OpenAIChat({ baseUrl: oai.url, model: 'm', apiKey: KEY }).ask(messages, schema, { signal: signal() });
		expect(oai.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
		expect(oai.requests[0].headers['api-key']).toBeUndefined();
	});
});
