import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { URGENCIES } from '../../core';
import { caseIdOf, caseIdProperty, eachItem, loopFor, workspaceTest, caseJson } from '../shared/n8n';

export class UrgencyClassifier implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Urgency Classifier',
		name: 'urgencyClassifier',
		icon: { light: 'file:urgencyClassifier.svg', dark: 'file:urgencyClassifier.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: 'Emergency, high, normal or low',
		description:
			'Sorts a missed call by urgency, service type and timing from what the caller said, repeat calls and the time; every decision lists its reasons',
		defaults: { name: 'Urgency Classifier' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
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
					"More words to read, such as a form message or a CRM note; the voicemail transcript and the caller's replies are read already",
			},
		],
	};

	methods = { credentialTest: { workspaceTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const { loop } = await loopFor(this, { twilio: 'none' });
		return eachItem(this, 4, async (i, item) => {
			const extra = (this.getNodeParameter('extraText', i, '') as string).trim();
			const r = await loop.classify(caseIdOf(this, i), extra ? [extra] : []);
			const k = r.classification;
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
					},
				},
			];
		});
	}
}
