import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { caseIdOf, caseIdProperty, eachItem, loopFor, workspaceTest, caseJson } from '../shared/n8n';

export class Acknowledge implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Acknowledge Missed Caller',
		name: 'acknowledge',
		icon: { light: 'file:acknowledge.svg', dark: 'file:acknowledge.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: 'Text the caller back',
		description:
			'Texts the caller within seconds (SMS or WhatsApp) with the business-hours, after-hours or holiday message; ' +
			'never texts opted-out numbers, landlines, foreign premium numbers, or inside quiet hours (deferred instead)',
		defaults: { name: 'Acknowledge' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Sent', 'Not Sent'],
		credentials: [
			{ name: 'missedCallRecoveryWorkspaceApi', required: true, testedBy: 'workspaceTest' },
			{ name: 'missedCallRecoveryTwilioApi', required: true },
		],
		properties: [
			caseIdProperty,
			{
				displayName:
					'The message, its variants, quiet hours and every guard are set once per business in the Workspace credential.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Resend',
				name: 'force',
				type: 'boolean',
				default: false,
				description: 'Whether to send again even if this case was already acknowledged (the guards still apply)',
			},
		],
	};

	methods = { credentialTest: { workspaceTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const { loop } = await loopFor(this, { twilio: 'required' });
		return eachItem(this, 2, async (i, item) => {
			const r = await loop.acknowledge(caseIdOf(this, i), {
				force: this.getNodeParameter('force', i, false) as boolean,
			});
			const sent = r.case.ack.status === 'sent' && !!r.sent;
			const json: IDataObject = {
				...item.json,
				...caseJson(r.case),
				acknowledgment: {
					status: r.case.ack.status,
					reason: r.case.ack.reason ?? (r.plan.action === 'none' ? r.plan.reason : undefined),
					messageSid: r.sent?.sid,
					body: r.case.ack.body,
					sendAt: r.case.ack.sendAt,
					error: r.error,
				},
			};
			return [{ output: sent ? 0 : 1, json }];
		});
	}
}
