import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { MissedCallSchema, OUTCOMES, parseOrThrow, type Outcome } from '../../core';
import { caseIdOf, caseIdProperty, eachItem, loopFor, workspaceTest, caseJson } from '../shared/n8n';

const show = (...operation: string[]) => ({ show: { operation } });

export class RecoveryTracker implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Recovery Tracker',
		name: 'recoveryTracker',
		icon: { light: 'file:recoveryTracker.svg', dark: 'file:recoveryTracker.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description:
			'The closed loop: a stored case per missed call, its attempts and outcome, overdue cases, metrics and the ' +
			'1-5 recovery scorecard',
		defaults: { name: 'Recovery Tracker' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'missedCallRecoveryWorkspaceApi', required: true, testedBy: 'workspaceTest' }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Open or Update Case',
						value: 'open',
						action: 'Open or update a case from a missed call event',
						description: 'Stores a missed call event from another source; a repeat call joins the open case',
					},
					{
						name: 'Record Attempt',
						value: 'attempt',
						action: 'Record a follow up attempt',
						description: 'A call, text or email to the caller, and how it went',
					},
					{
						name: 'Record Outcome',
						value: 'outcome',
						action: 'Record the outcome of a case',
						description: 'Booked, called back, replied, lost, spam or opted out: closes the case',
					},
					{ name: 'Get Case', value: 'get', action: 'Get a case' },
					{
						name: 'List Overdue',
						value: 'overdue',
						action: 'List overdue cases',
						description: 'Open cases past their deadline',
					},
					{
						name: 'Metrics',
						value: 'metrics',
						action: 'Get recovery metrics',
						description: 'Funnel, response times, owners and urgencies for a period',
					},
					{
						name: 'Scorecard Report',
						value: 'report',
						action: 'Build the recovery scorecard report',
						description: 'The 1-5 scorecard with its five checks, as data and as an HTML page',
					},
				],
				default: 'attempt',
			},
			{ ...caseIdProperty, displayOptions: show('attempt', 'outcome', 'get') },
			{
				displayName: 'Event',
				name: 'event',
				type: 'json',
				default: '={{ $json.event }}',
				description: "A MissedCall event (the trigger's output shape)",
				displayOptions: show('open'),
			},
			{
				displayName: 'Channel',
				name: 'channel',
				type: 'options',
				options: ['call', 'sms', 'whatsapp', 'email', 'other'].map((v) => ({
					name: v === 'sms' ? 'SMS' : v[0].toUpperCase() + v.slice(1),
					value: v,
				})),
				default: 'call',
				displayOptions: show('attempt'),
			},
			{
				displayName: 'Result',
				name: 'result',
				type: 'options',
				options: [
					{ name: 'Booked', value: 'booked' },
					{ name: 'Failed', value: 'failed' },
					{ name: 'No Answer', value: 'no-answer' },
					{ name: 'Reached', value: 'reached' },
					{ name: 'Replied', value: 'replied' },
					{ name: 'Sent', value: 'sent' },
					{ name: 'Voicemail', value: 'voicemail' },
				],
				default: 'reached',
				hint: 'Reached, replied and booked count as human contact',
				displayOptions: show('attempt'),
			},
			{
				displayName: 'By',
				name: 'by',
				type: 'string',
				default: '={{ $json.case?.owner?.id ?? "" }}',
				description: 'Who made the attempt',
				displayOptions: show('attempt'),
			},
			{
				displayName: 'Outcome',
				name: 'outcome',
				type: 'options',
				options: OUTCOMES.map((o) => ({ name: o.replace('-', ' ').replace(/^./, (c) => c.toUpperCase()), value: o })),
				default: 'booked',
				displayOptions: show('outcome'),
			},
			{
				displayName: 'Value',
				name: 'value',
				type: 'number',
				default: 0,
				description: 'What the recovered job is worth, for the report (0 when unknown)',
				displayOptions: show('outcome'),
			},
			{ displayName: 'Note', name: 'note', type: 'string', default: '', displayOptions: show('attempt', 'outcome') },
			{
				displayName: 'Business ID',
				name: 'businessId',
				type: 'string',
				default: '',
				description: 'Limit to one business (empty: all)',
				displayOptions: show('overdue', 'metrics', 'report'),
			},
			{
				displayName: 'Period (Days)',
				name: 'days',
				type: 'number',
				default: 7,
				typeOptions: { minValue: 1, maxValue: 366 },
				displayOptions: show('metrics', 'report'),
			},
			{
				displayName: 'Limit',
				name: 'limit',
				type: 'number',
				default: 50,
				typeOptions: { minValue: 1, maxValue: 1000 },
				displayOptions: show('overdue'),
			},
		],
	};

	methods = { credentialTest: { workspaceTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const { loop, businesses } = await loopFor(this, { twilio: 'none' });
		const operation = this.getNodeParameter('operation', 0) as string;
		return eachItem(this, 1, async (i, item) => {
			const keep = { ...item.json };
			switch (operation) {
				case 'open': {
					const raw = this.getNodeParameter('event', i);
					const event = parseOrThrow(
						MissedCallSchema,
						typeof raw === 'string' ? JSON.parse(raw) : raw,
						'Missed call event',
					);
					const d = await loop.detect(event);
					return [{ output: 0, json: { ...keep, ...caseJson(d.case), created: d.created, duplicate: d.duplicate } }];
				}
				case 'attempt': {
					const c = await loop.recordAttempt(caseIdOf(this, i), {
						channel: this.getNodeParameter('channel', i) as 'call',
						result: this.getNodeParameter('result', i) as 'reached',
						by: (this.getNodeParameter('by', i, '') as string) || 'unknown',
						note: (this.getNodeParameter('note', i, '') as string) || undefined,
					});
					return [{ output: 0, json: { ...keep, ...caseJson(c) } }];
				}
				case 'outcome': {
					const value = this.getNodeParameter('value', i, 0) as number;
					const c = await loop.recordOutcome(caseIdOf(this, i), {
						kind: this.getNodeParameter('outcome', i) as Outcome,
						value: value || undefined,
						note: (this.getNodeParameter('note', i, '') as string) || undefined,
					});
					return [{ output: 0, json: { ...keep, ...caseJson(c) } }];
				}
				case 'get': {
					const id = caseIdOf(this, i);
					const c = await loop.getCase(id);
					return [{ output: 0, json: { ...caseJson(c) } }];
				}
				case 'overdue': {
					const list = await loop.listOverdue({
						businessId: (this.getNodeParameter('businessId', i, '') as string) || undefined,
						limit: this.getNodeParameter('limit', i, 50) as number,
					});
					return list.map((c) => ({ output: 0, json: { ...caseJson(c) } }));
				}
				default: {
					const businessId = (this.getNodeParameter('businessId', i, '') as string) || undefined;
					const days = this.getNodeParameter('days', i, 7) as number;
					const r = await loop.report(businesses.list, { businessId, days });
					const common = {
						businessId: r.businessId ?? null,
						metrics: r.metrics as unknown as IDataObject,
						protection: r.protection as unknown as IDataObject,
						voiceAi: r.voiceAi as unknown as IDataObject,
					};
					if (operation === 'metrics') return [{ output: 0, json: common }];
					return [
						{
							output: 0,
							json: {
								...common,
								score: r.scorecard.score,
								band: r.scorecard.band,
								checks: r.scorecard.checks as unknown as IDataObject[],
								html: r.html,
							},
						},
					];
				}
			}
		});
	}
}
