import { MODEL_TIMEOUT_MS, type RecoveryInputError } from '../../core';
import type { RED } from '../shared/node-red';
import { OpenAIChat, timeoutMsOf, type ModelConfigNode } from './openai-chat';

/** An OpenAI-compatible chat completions endpoint (OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio). */
export = function register(RED: RED) {
	function ModelNode(
		this: ModelConfigNode,
		config: { name?: string; baseUrl?: string; model?: string; timeout?: unknown },
	) {
		RED.nodes.createNode(this, config);
		this.timeoutMs = MODEL_TIMEOUT_MS;
		try {
			this.timeoutMs = timeoutMsOf(config.timeout);
			this.chat = new OpenAIChat({
				baseUrl: config.baseUrl || 'https://api.openai.com/v1',
				model: config.model ?? '',
				apiKey: this.credentials?.apiKey || undefined,
			});
		} catch (e) {
			this.problem = e as RecoveryInputError;
			this.error(`Language model: ${(e as Error).message}`);
		}
	}
	RED.nodes.registerType('mcr-model', ModelNode, { credentials: { apiKey: { type: 'password' } } });
};
