import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeInputConfiguration,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { MODEL_TIMEOUT_MS, URGENCIES, type AskModel, type Classification, type ModelClassification } from '../../core';
import { caseIdOf, caseIdProperty, eachItem, loopFor, workspaceTest, caseJson } from '../shared/n8n';
import { connectedChatModel } from './chat-model';

/**
 * The node's inputs for the "Use a Chat Model" setting: the Chat Model input appears only when wanted. n8n
 * evaluates this function's source in its expression sandbox, so it uses literals only.
 */
export const modelInputs = (useModel: boolean): (string | INodeInputConfiguration)[] =>
	useModel
		? [
				{ type: 'main' } as INodeInputConfiguration,
				{
					type: 'ai_languageModel',
					displayName: 'Chat Model',
					maxConnections: 1,
					required: true,
				} as INodeInputConfiguration,
			]
		: ['main'];

export class UrgencyClassifier implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Urgency Classifier',
		name: 'urgencyClassifier',
		icon: { light: 'file:urgencyClassifier.svg', dark: 'file:urgencyClassifier.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: 'Emergency, high, normal or low',
		description:
			'Sorts a missed call by urgency, service type and timing from what the caller said, repeat calls and the ' +
			'time; every decision lists its reasons',
		defaults: { name: 'Urgency Classifier' },
		usableAsTool: true,
		inputs: `={{(${modelInputs})($parameter.useModel === true)}}`,
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Emergency', 'High', 'Normal', 'Low'],
		credentials: [{ name: 'missedCallRecoveryWorkspaceApi', required: true, testedBy: 'workspaceTest' }],
		properties: [
			caseIdProperty,
			{
				displayName: 'Extra Text',
				name: 'extraText',
				type: 'string',
				typeOptions: { rows: 2 },
				default: '',
				description:
					"More words to read, such as a form message or a CRM note; the voicemail transcript and the caller's " +
					'replies are read already',
			},
			{
				displayName: 'Use a Chat Model',
				name: 'useModel',
				type: 'boolean',
				default: false,
				description:
					'Whether to ask a connected chat model as well: it adds a one-line summary, the language and a callback ' +
					'time, and may raise the urgency, never lower it',
			},
			{
				displayName: 'Model Timeout (Seconds)',
				name: 'modelTimeout',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 120 },
				default: 8,
				description:
					'How long to wait for the model; when it is late, fails or answers malformed, the rules decide alone',
				displayOptions: { show: { useModel: [true] } },
			},
		],
	};

	methods = { credentialTest: { workspaceTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const { loop } = await loopFor(this, { twilio: 'none' });
		const ask = (this.getNodeParameter('useModel', 0, false) as boolean) ? await chatModelOf(this) : undefined;
		return eachItem(this, 4, async (i, item) => {
			const extra = (this.getNodeParameter('extraText', i, '') as string).trim();
			const extraTexts = extra ? [extra] : [];
			const r = ask
				? await loop.classifyWithModel(caseIdOf(this, i), ask, {
						extraTexts,
						timeoutMs: Math.round((this.getNodeParameter('modelTimeout', i, 8) as number) * 1000) || MODEL_TIMEOUT_MS,
					})
				: await loop.classify(caseIdOf(this, i), extraTexts);
			const k: Classification & Partial<ModelClassification> = r.classification;
			return [
				{
					output: URGENCIES.indexOf(k.urgency),
					json: {
						...item.json,
						...caseJson(r.case),
						urgency: k.urgency,
						serviceType: k.serviceType,
						timing: k.timing,
						score: k.score,
						reasons: k.reasons,
						raised: r.raised,
						...(k.model ? modelJson(k.model) : {}),
					},
				},
			];
		});
	}
}

function chatModelOf(ctx: IExecuteFunctions): Promise<AskModel> {
	return connectedChatModel(
		ctx,
		"Connect a chat model node (OpenAI, Anthropic, Ollama...), or turn off 'Use a Chat Model'.",
	);
}

function modelJson(m: ModelClassification['model']): IDataObject {
	return {
		summary: m.summary,
		language: m.language,
		preferredCallbackTime: m.preferredCallbackTime,
		model: { used: m.used, ...(m.error ? { error: m.error } : {}) },
	};
}
