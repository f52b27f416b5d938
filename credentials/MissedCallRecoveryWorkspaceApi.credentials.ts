import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';
import { SAMPLE_PROFILE } from '../nodes/shared/sample-profile';

/**
 * Where cases live and who the businesses are: entered once, read by every Missed Call Recovery node.
 * An agency puts all its clients' profiles here; the called number picks the business.
 */
export class MissedCallRecoveryWorkspaceApi implements ICredentialType {
	name = 'missedCallRecoveryWorkspaceApi';
	displayName = 'Missed Call Recovery: Workspace';
	icon: Icon = { light: 'file:missedCallRecovery.svg', dark: 'file:missedCallRecovery.dark.svg' };
	documentationUrl = 'https://github.com/recovery-loop/n8n-nodes-missed-call-recovery#the-workspace-credential';
	properties: INodeProperties[] = [
		{
			displayName: 'Store',
			name: 'storeType',
			type: 'options',
			options: [
				{ name: 'SQLite File (One n8n Process)', value: 'sqlite' },
				{ name: 'PostgreSQL (Queue Mode, Several Workers)', value: 'postgres' },
			],
			default: 'sqlite',
			description: 'Where recovery cases are kept. Use PostgreSQL when several n8n processes share the cases.',
		},
		{
			displayName: 'SQLite File',
			name: 'sqliteFile',
			type: 'string',
			default: 'missed-call-recovery.db',
			hint: 'A relative path is inside the n8n user folder (~/.n8n)',
			displayOptions: { show: { storeType: ['sqlite'] } },
		},
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: 'localhost',
			displayOptions: { show: { storeType: ['postgres'] } },
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 5432,
			displayOptions: { show: { storeType: ['postgres'] } },
		},
		{
			displayName: 'Database',
			name: 'database',
			type: 'string',
			default: 'n8n',
			displayOptions: { show: { storeType: ['postgres'] } },
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: 'postgres',
			displayOptions: { show: { storeType: ['postgres'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { storeType: ['postgres'] } },
		},
		{
			displayName: 'SSL',
			name: 'ssl',
			type: 'boolean',
			default: false,
			description:
				"Whether to connect over TLS. The server's certificate is verified against the trusted authorities (add a " +
				'private CA with NODE_EXTRA_CA_CERTS).',
			displayOptions: { show: { storeType: ['postgres'] } },
		},
		{
			displayName: 'Ignore SSL Certificate Issues (Insecure)',
			name: 'sslAllowUnverified',
			type: 'boolean',
			default: false,
			description:
				"Whether to connect even when the server's certificate does not verify (self-signed, issued for another " +
				('host, expired). Anyone on the network path could then pose as the database and read its password and the ' +
					"cases: prefer trusting the server's CA with NODE_EXTRA_CA_CERTS."),
			displayOptions: { show: { storeType: ['postgres'], ssl: [true] } },
		},
		{
			displayName: 'Schema',
			name: 'schema',
			type: 'string',
			default: 'missed_call_recovery',
			description: "The pack keeps its tables in this schema, apart from n8n's own",
			displayOptions: { show: { storeType: ['postgres'] } },
		},
		{
			displayName: 'Businesses',
			name: 'businesses',
			type: 'json',
			default: JSON.stringify(SAMPLE_PROFILE, null, 2),
			required: true,
			description:
				'One business profile, or a list of them: businessId, name, timeZone, numbers (the Twilio numbers that ring ' +
				('this business), forwardTo, hours, holidays, trade, roster, routing, acknowledgment and messages. See the ' +
					'README for every field.'),
		},
	];
}
