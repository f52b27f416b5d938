import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { caseIdOf, caseIdProperty, eachItem, loopFor, workspaceTest } from '../shared/n8n';

export class OwnerRouter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Owner Router',
		name: 'ownerRouter',
		icon: { light: 'file:ownerRouter.svg', dark: 'file:ownerRouter.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: 'One owner, one deadline',
		description: 'Gives every case exactly one owner (on-call schedule, skills, round-robin or least-loaded, fallback chain) and a deadline set by urgency; says so when nobody is available',
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
				description: 'Whether to text the new owner the case summary (urgency, service, deadline, voicemail words), and the owner again when a voicemail raises the urgency; needs the Twilio credential',
			},
		],
	};

	methods = { credentialTest: { workspaceTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const { loop } = await loopFor(this, { twilio: 'optional' });
		return eachItem(this, 2, async (i, item) => {
			const caseId = caseIdOf(this, i);
			const r = await loop.route(caseId);
			let alert: IDataObject | undefined;
			// A new owner hears about the case; a kept owner hears again only when the urgency rose (a voicemail said more).
			const worthTelling = r.decision.kind === 'assigned' && (r.decision.strategy !== 'kept' || item.json.raised === true);
			if (worthTelling && (this.getNodeParameter('alertOwner', i, true) as boolean) && loop.deps.provider) {
				const a = await loop.alertOwner(caseId);
				alert = { messageSid: a.sent?.sid, error: a.error };
			}
			const c = (await loop.deps.store.getCase(caseId)) ?? r.case;
			const json: IDataObject = { ...item.json, caseId, case: c as unknown as IDataObject, owner: c.owner as unknown as IDataObject, dueAt: c.dueAt, routing: { kind: r.decision.kind, reasons: r.decision.reasons }, ...(alert ? { ownerAlert: alert } : {}) };
			return [{ output: r.decision.kind === 'assigned' ? 0 : 1, json }];
		});
	}
}
