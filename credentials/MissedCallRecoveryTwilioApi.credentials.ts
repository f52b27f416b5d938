import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

export class MissedCallRecoveryTwilioApi implements ICredentialType {
	name = 'missedCallRecoveryTwilioApi';
	displayName = 'Missed Call Recovery: Twilio Account';
	icon: Icon = { light: 'file:missedCallRecovery.svg', dark: 'file:missedCallRecovery.dark.svg' };
	documentationUrl = 'https://www.twilio.com/docs/iam/api-keys';
	properties: INodeProperties[] = [
		{
			displayName: 'Account SID',
			name: 'accountSid',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
			description: 'From the Twilio Console home page',
		},
		{
			displayName: 'Authenticate With',
			name: 'authType',
			type: 'options',
			options: [
				{ name: 'Auth Token', value: 'authToken' },
				{ name: 'API Key', value: 'apiKey' },
			],
			default: 'authToken',
		},
		{
			displayName: 'Auth Token',
			name: 'authToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			hint: 'Also checks the signature of every webhook Twilio sends to the Missed Call Trigger',
			displayOptions: { show: { authType: ['authToken'] } },
		},
		{
			displayName: 'API Key SID',
			name: 'apiKeySid',
			type: 'string',
			default: '',
			placeholder: 'SKxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
			displayOptions: { show: { authType: ['apiKey'] } },
		},
		{
			displayName: 'API Key Secret',
			name: 'apiKeySecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authType: ['apiKey'] } },
		},
		{
			displayName: 'Webhook Auth Token',
			name: 'webhookAuthToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Twilio signs webhooks with the Auth Token, never with an API key: give it here to check signatures',
			displayOptions: { show: { authType: ['apiKey'] } },
		},
		{
			displayName: 'Delivery Status URL',
			name: 'statusCallbackUrl',
			type: 'string',
			default: '',
			placeholder: 'https://n8n.example.com/webhook/missed-call',
			hint:
				"The Missed Call Trigger's production URL: a text that never arrives then flags its case, and owner " +
				'alerts link to a case page served there',
			description:
				'Twilio reports whether each text the pack sends arrived. One that ends undelivered or failed (carrier ' +
				'filtering, a number not registered for A2P 10DLC) flags its case "message-undelivered", or ' +
				'"owner-alert-failed" for a text to an owner. Owner alerts also carry a signed, expiring link to the ' +
				"case's page at this URL, with buttons to take the case, be connected, or close it. Empty: no delivery " +
				'reports and no case links.',
		},
		{
			displayName: 'API Base URL',
			name: 'apiBaseUrl',
			type: 'string',
			default: '',
			placeholder: 'http://127.0.0.1:3999',
			description:
				'Leave empty for Twilio. Set it only to point at a Twilio-compatible test server. Every request carries the ' +
				'Auth Token, so it must be https, or plain http to this machine only (localhost, 127.x.x.x, [::1]).',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			auth: {
				username: '={{ $credentials.authType === "apiKey" ? $credentials.apiKeySid : $credentials.accountSid }}',
				password: '={{ $credentials.authType === "apiKey" ? $credentials.apiKeySecret : $credentials.authToken }}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			// Plain http to another machine is upgraded to https: the test sends the Auth Token, never in cleartext.
			baseURL:
				'={{ ($credentials.apiBaseUrl || ' +
				'"https://api.twilio.com").trim().replace(' +
				'/^http:\\/\\/(?!(localhost|127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|\\[::1\\])(:\\d+)?(\\/|$))/i, "https://") }}',
			url: '=/2010-04-01/Accounts/{{ $credentials.accountSid }}.json',
			method: 'GET',
		},
	};
}
