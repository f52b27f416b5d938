import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { caseIdOf, caseIdProperty, eachItem, loopFor, workspaceTest, caseJson } from '../shared/n8n';

export class OwnerRouter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Owner Router',
		name: 'ownerRouter',
		icon: { light: 'file:ownerRouter.svg', dark: 'file:ownerRouter.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: 'One owner, one deadline',
		description:
			'Gives every case exactly one owner (on-call schedule, skills, round-robin or least-loaded, fallback chain) ' +
			'and a deadline set by urgency; says so when nobody is available',
		defaults: { name: 'Owner Router' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Assigned', 'Nobody Available'],
		credentials: [
			{ name: 'missedCallRecoveryWorkspaceApi', required: true, testedBy: 'workspaceTest' },
			{ name: 'missedCallRecoveryTwilioApi', required: false },
		],
		properties: [
			caseIdProperty,
			{
				displayName: 'Text the Owner',
				name: 'alertOwner',
				type: 'boolean',
				default: true,
				description:
					'Whether to text the new owner the case summary (urgency, service, deadline, voicemail words), and the ' +
					'owner again when a voicemail raises the urgency; needs the Twilio credential',
			},
			{
				displayName: 'Connect the Caller by Phone',
				name: 'connectCaller',
				type: 'options',
				options: [
					{ name: 'Never', value: 'never', description: 'The owner calls back from the text' },
					{
						name: 'Emergencies',
						value: 'emergency',
						description: 'Twilio rings the owner, announces the case, then dials the caller from the business number',
					},
					{
						name: 'Every Case',
						value: 'always',
						description: 'Ring the owner and connect the caller for every routed case',
					},
				],
				default: 'never',
				hint: 'An outbound bridge call through the Twilio credential; recorded on the case as a call attempt',
			},
		],
	};

	methods = { credentialTest: { workspaceTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const { loop } = await loopFor(this, { twilio: 'optional' });
		return eachItem(this, 2, async (i, item) => {
			const caseId = caseIdOf(this, i);
			// Whether the owner is texted now, later or not again is the core's policy (core/notify.ts).
			const r = await loop.routeAndNotify(caseId, {
				alertOwner: this.getNodeParameter('alertOwner', i, true) as boolean,
				connectCaller: this.getNodeParameter('connectCaller', i, 'never') as 'never' | 'emergency' | 'always',
			});
			const c = r.case;
			const json: IDataObject = {
				...item.json,
				...caseJson(c),
				owner: c.owner as unknown as IDataObject,
				dueAt: c.dueAt,
				routing: { kind: r.decision.kind, reasons: r.decision.reasons },
				...(r.ownerAlert ? { ownerAlert: r.ownerAlert } : {}),
				...(r.bridge ? { bridgeCall: r.bridge } : {}),
				...(r.followUp ? { safetyFollowUp: r.followUp } : {}),
			};
			return [{ output: r.decision.kind === 'assigned' ? 0 : 1, json }];
		});
	}
}
