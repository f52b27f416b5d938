import type { IDataObject, INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { asNodeError, loopFor, workspaceTest } from '../shared/n8n';
import { tickCaseView } from '../shared/runtime';

export class RecoveryOverdueTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Recovery Overdue Trigger',
		name: 'recoveryOverdueTrigger',
		icon: { light: 'file:recoveryOverdueTrigger.svg', dark: 'file:recoveryOverdueTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Cases past their deadline',
		description:
			'Starts the workflow for each case whose deadline passed unclaimed, after moving it one rung up the ' +
			'escalation ladder; also sends acknowledgments deferred by quiet hours or failed sends',
		defaults: { name: 'Recovery Overdue Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'missedCallRecoveryWorkspaceApi', required: true, testedBy: 'workspaceTest' },
			{ name: 'missedCallRecoveryTwilioApi', required: false },
		],
		properties: [
			{
				displayName: 'Business ID',
				name: 'businessId',
				type: 'string',
				default: '',
				description: 'Only this business (empty: every business in the workspace)',
			},
			{
				displayName: 'Escalate',
				name: 'escalate',
				type: 'boolean',
				default: true,
				description: 'Whether to move each overdue case to the next person on the escalation ladder before emitting it',
			},
			{
				displayName: 'Text the New Owner',
				name: 'alertOwner',
				type: 'boolean',
				default: true,
				description: 'Whether to text the person a case escalates to (needs the Twilio credential)',
				displayOptions: { show: { escalate: [true] } },
			},
			{
				displayName: 'Send Deferred Acknowledgments',
				name: 'sendDeferred',
				type: 'boolean',
				default: true,
				description:
					'Whether to send texts held back by quiet hours, and retry failed ones whose time came (needs the Twilio ' +
					'credential)',
			},
			{
				displayName: 'Max Cases per Poll',
				name: 'limit',
				type: 'number',
				default: 100,
				typeOptions: { minValue: 1, maxValue: 1000 },
			},
		],
	};

	methods = { credentialTest: { workspaceTest } };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		try {
			const { loop } = await loopFor(this, { twilio: 'optional' });
			const opts = {
				businessId: (this.getNodeParameter('businessId', '') as string) || undefined,
				limit: this.getNodeParameter('limit', 100) as number,
				escalate: this.getNodeParameter('escalate', true) as boolean,
				alertOwners: this.getNodeParameter('alertOwner', true) as boolean,
				sendDeferred: this.getNodeParameter('sendDeferred', true) as boolean,
			};
			// "Fetch Test Event" in the editor: show what a poll would do, and send or change nothing.
			if (this.getMode() === 'manual') {
				const preview = await loop.previewTick(opts);
				const items = preview.cases.map((t) => ({ json: tickCaseView(t) as IDataObject }));
				return [
					items.length
						? items
						: [{ json: { dryRun: true, at: preview.at, dueAcknowledgments: preview.acks.length, cases: 0 } }],
				];
			}
			const report = await loop.tick(opts);
			if (!report.cases.length) return null;
			return [report.cases.map((t) => ({ json: tickCaseView(t) as IDataObject }))];
		} catch (e) {
			throw asNodeError(this.getNode(), e);
		}
	}
}
