import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeInputConfiguration,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { MODEL_TIMEOUT_MS, type AskModel, type RecoveryLoop } from '../../core';
import { caseIdOf, caseIdProperty, caseJson, eachItem, loopFor, workspaceTest } from '../shared/n8n';
import { connectedChatModel } from '../UrgencyClassifier/chat-model';

type Operation = 'reply' | 'brief' | 'send';
type TurnResult = Awaited<ReturnType<RecoveryLoop['assistantSend']>>;
/** An agent may fill the Intake field with a JSON string or, through an expression, an object. */
type IntakeInput = Parameters<RecoveryLoop['assistantSend']>[1]['intake'];

/**
 * The Chat Model input shows for "Reply with Chat Model" only: the two operations an AI Agent calls get their words
 * from the agent. n8n evaluates this function's source in its expression sandbox, so it uses literals only. As a
 * tool (the node's generated "...Tool" variant) n8n gives the node no inputs at all.
 */
export const assistantInputs = (operation: string): (string | INodeInputConfiguration)[] =>
	operation === 'brief' || operation === 'send'
		? ['main']
		: [
				{ type: 'main' } as INodeInputConfiguration,
				{
					type: 'ai_languageModel',
					displayName: 'Chat Model',
					maxConnections: 1,
					required: true,
				} as INodeInputConfiguration,
			];

const onlyFor = (...operation: Operation[]) => ({ displayOptions: { show: { operation } } });

export class CallerAssistant implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'SMS Assistant',
		name: 'callerAssistant',
		icon: { light: 'file:callerAssistant.svg', dark: 'file:callerAssistant.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ $parameter.operation === "brief" ? "Get brief" : $parameter.operation === "send" ? "Send reply" : "Reply" }}',
		description:
			"Answers a caller's text on a missed-call case within the business's facts, records the intake answers and " +
			'hands the case to the owner on an emergency, a request for a person or the turn limit; every guard runs here',
		defaults: { name: 'SMS Assistant' },
		usableAsTool: true,
		inputs: `={{(${assistantInputs})($parameter.operation)}}`,
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'missedCallRecoveryWorkspaceApi', required: true, testedBy: 'workspaceTest' },
			{ name: 'missedCallRecoveryTwilioApi', required: true },
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Reply with Chat Model',
						value: 'reply',
						action: 'Reply to the caller with the connected chat model',
						description: "The connected chat model writes the next text; the pack's guards check and send it",
					},
					{
						name: 'Get Conversation Brief',
						value: 'brief',
						action: 'Get the conversation brief',
						description:
							'Whether a reply may be sent now, the business facts, the intake questions and answers, and the ' +
							'conversation so far; sends nothing',
					},
					{
						name: 'Send Reply',
						value: 'send',
						action: 'Send a reply to the caller',
						description:
							'Sends a text written elsewhere (an AI Agent) through the same guards: facts only, no prices the ' +
							'business does not state, caps, opt-out and quiet hours, hand-off',
					},
				],
				default: 'reply',
			},
			caseIdProperty,
			{
				displayName: 'Model Timeout (Seconds)',
				name: 'modelTimeout',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 120 },
				default: 8,
				description:
					'How long to wait for the model; when it is late, fails or answers malformed, the caller gets a ' +
					'neutral fallback text and the owner the case',
				...onlyFor('reply'),
			},
			{
				displayName: 'Reply Text',
				name: 'reply',
				type: 'string',
				typeOptions: { rows: 3 },
				default: '',
				required: true,
				description:
					'The next SMS to the caller, plain text, at most 300 characters. Use only the facts and booking link from ' +
					'the brief; never a price, discount, promise or arrival time the facts do not state, or it is replaced by ' +
					'a neutral fallback. Ask one open intake question at a time.',
				...onlyFor('send'),
			},
			{
				displayName: 'Intake Answers (JSON)',
				name: 'intake',
				type: 'string',
				default: '',
				placeholder: '{"whatHappened": "sink leaking", "address": "60614"}',
				description:
					"The caller's answers found so far, as a JSON object keyed by the brief's question keys, in the caller's " +
					'own words; leave out questions not yet answered. Empty when none.',
				...onlyFor('send'),
			},
			{
				displayName: 'Hand Off to a Person',
				name: 'handoff',
				type: 'boolean',
				default: false,
				description:
					'Whether a person must take over after this text: an emergency or safety risk, the caller asks for a ' +
					'person, or a question the facts do not answer. The owner is texted at once.',
				...onlyFor('send'),
			},
			{
				displayName: 'Hand-Off Reason',
				name: 'handoffReason',
				type: 'string',
				default: '',
				description: 'Why a person is needed, in a few words, when handing off; empty otherwise',
				...onlyFor('send'),
			},
		],
	};

	methods = { credentialTest: { workspaceTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0, 'reply') as Operation;
		// Every operation may text: the brief carries out a due hand-off (the owner's alert, the caller's notice).
		const { loop } = await loopFor(this, { twilio: 'required' });
		const ask = operation === 'reply' ? await chatModelOf(this) : undefined;
		return eachItem(this, 1, async (i, item) => {
			const caseId = caseIdOf(this, i);
			if (operation === 'brief')
				return [{ output: 0, json: (await loop.assistantBrief(caseId)) as unknown as IDataObject }];
			if (operation === 'send') {
				const r = await loop.assistantSend(caseId, {
					reply: this.getNodeParameter('reply', i, '') as string,
					intake: this.getNodeParameter('intake', i, '') as IntakeInput,
					handoff: this.getNodeParameter('handoff', i, false) as boolean,
					handoffReason: (this.getNodeParameter('handoffReason', i, '') as string) || null,
				});
				// The agent reads this: the outcome only, not the whole case.
				return [{ output: 0, json: turnJson(r) }];
			}
			const timeout = this.getNodeParameter('modelTimeout', i, 8) as number;
			const r = await loop.assistantReply(caseId, ask!, {
				timeoutMs: Math.round(timeout * 1000) || MODEL_TIMEOUT_MS,
			});
			return [{ output: 0, json: { ...item.json, ...caseJson(r.case), ...turnJson(r) } }];
		});
	}
}

/** What a turn did, as the item carries it. */
function turnJson(r: TurnResult): IDataObject {
	return {
		caseId: r.case.caseId,
		action: r.action,
		reason: r.reason ?? null,
		sentText: r.sent?.body ?? null,
		refused: r.refused ?? null,
		ownerAlert: r.ownerAlert
			? { sent: !!r.ownerAlert.sid, error: r.ownerAlert.error ?? null, skipped: r.ownerAlert.skipped ?? null }
			: null,
		intake: (r.case.intake ?? {}) as IDataObject,
		handedOff: !!r.case.assistantHandoff,
	};
}

function chatModelOf(ctx: IExecuteFunctions): Promise<AskModel> {
	return connectedChatModel(
		ctx,
		"Connect a chat model node (OpenAI, Anthropic, Ollama...) for 'Reply with Chat Model', or pick 'Get " +
			"Conversation Brief' and 'Send Reply' to let an AI Agent write the texts.",
	);
}
