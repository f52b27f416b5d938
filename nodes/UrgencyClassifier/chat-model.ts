import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type { AskModel, ModelMessage } from '../../core';

/**
 * The slice of a LangChain chat model (what n8n's Chat Model nodes supply) that the Urgency Classifier uses.
 * `@langchain/core` belongs to n8n at runtime and is never a dependency of the pack: typed loosely here.
 */
export interface ChatModelLike {
	invoke(input: unknown, options?: { signal?: AbortSignal }): Promise<unknown>;
	withStructuredOutput?(
		schema: Record<string, unknown>,
		config?: { name?: string },
	): { invoke(input: unknown, options?: { signal?: AbortSignal }): Promise<unknown> };
}

export function isChatModel(x: unknown): x is ChatModelLike {
	return !!x && typeof (x as ChatModelLike).invoke === 'function';
}

/** LangChain's message tuples: ["system", text] and ["human", text] work across its versions. */
function tuples(messages: ModelMessage[]): [string, string][] {
	return messages.map((m) => [m.role === 'system' ? 'system' : 'human', m.content]);
}

/** The text of an AI message: a string, or content parts of which the text ones count. */
function textOf(reply: unknown): string {
	const content = (reply as { content?: unknown } | undefined)?.content ?? reply;
	if (typeof content === 'string') return content;
	if (Array.isArray(content))
		return content.map((p) => (typeof p === 'string' ? p : ((p as { text?: string }).text ?? ''))).join('');
	return '';
}

/**
 * Asks a LangChain chat model: structured output through `withStructuredOutput` where the model has it
 * (OpenAI's json_schema, Anthropic's tool use, Ollama's format), else a plain call whose JSON text the core
 * parses and checks with the same schema.
 */
export function chatModelAsk(model: ChatModelLike): AskModel {
	return async (messages, schema, { signal }) => {
		let structured: ReturnType<NonNullable<ChatModelLike['withStructuredOutput']>> | undefined;
		if (typeof model.withStructuredOutput === 'function') {
			try {
				structured = model.withStructuredOutput({ title: schema.name, ...schema.jsonSchema }, { name: schema.name });
			} catch {
				// Some chat models declare the method and throw "not implemented": JSON mode below.
				structured = undefined;
			}
		}
		if (structured) return structured.invoke(tuples(messages), { signal });
		return textOf(await model.invoke(tuples(messages), { signal }));
	};
}

/** The chat model on a node's Chat Model input, as an AskModel; an error saying how to connect one (`fix`) if none. */
export async function connectedChatModel(ctx: IExecuteFunctions, fix: string): Promise<AskModel> {
	let supplied: unknown;
	try {
		supplied = await ctx.getInputConnectionData(NodeConnectionTypes.AiLanguageModel, 0);
	} catch {
		supplied = undefined;
	}
	const model = Array.isArray(supplied) ? supplied[0] : supplied;
	if (!isChatModel(model))
		throw new NodeOperationError(ctx.getNode(), 'No chat model is connected to the Chat Model input', {
			description: fix,
		});
	return chatModelAsk(model);
}
