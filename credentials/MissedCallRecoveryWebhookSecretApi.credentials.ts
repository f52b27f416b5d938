import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * The secret a call provider other than Twilio signs its webhooks with. Twilio's Auth Token lives in the
 * Twilio Account credential; this one holds the Telnyx public key, the Vonage signature secret, the
 * OpenPhone signing key, the Dialpad or Aircall webhook secret, the RingCentral verification token, the Vapi
 * server secret, the Retell API key, the ElevenLabs webhook secret, or a
 * token of your own for Plivo and other systems (added to the webhook URL as ?token=...).
 */
export class MissedCallRecoveryWebhookSecretApi implements ICredentialType {
	name = 'missedCallRecoveryWebhookSecretApi';
	displayName = 'Missed Call Recovery: Webhook Secret';
	icon: Icon = { light: 'file:missedCallRecovery.svg', dark: 'file:missedCallRecovery.dark.svg' };
	documentationUrl =
		'https://github.com/recovery-loop/n8n-nodes-missed-call-recovery/blob/main/docs/security.md#webhook-signatures';
	properties: INodeProperties[] = [
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Telnyx: the public key (Mission Control > Keys & Credentials). Vonage: the signature secret. OpenPhone: ' +
				('the webhook signing key. Dialpad: the webhook secret. Aircall: the webhook token. RingCentral: the ' +
					'verification token. Vapi: the server URL secret (HMAC credential or x-vapi-secret). Retell: the API key ' +
					'with the webhook badge. ElevenLabs: the webhook HMAC secret. Plivo or other: a long random token you ' +
					'also put in the webhook URL as ?token=.'),
		},
	];
}
