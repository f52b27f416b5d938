import type {
	IDataObject,
	IHookFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { answerWebhook, maskPhone, PROVIDERS, type Provider, type TriggerConfig } from '../../core';
import { businessResolver } from '../shared/runtime';
import {
	credentialsOf,
	forgetCredentials,
	loopFor,
	asNodeError,
	TWILIO,
	twilioAccountFrom,
	webhookSecretTest,
	workspaceTest,
	caseJson,
} from '../shared/n8n';
import { sharedProvider } from '../shared/runtime';

const WEBHOOK_SECRET = 'missedCallRecoveryWebhookSecretApi';
const OUTPUTS = ['missed-call', 'voicemail', 'inbound-message', 'message-status'] as const;

/** Display names that are not the provider's id capitalized. */
const PROVIDER_NAMES: Partial<Record<Provider, string>> = {
	openphone: 'OpenPhone (Quo)',
	ringcentral: 'RingCentral',
	dialpad: 'Dialpad',
	vapi: 'Vapi (Voice AI)',
	retell: 'Retell (Voice AI)',
	elevenlabs: 'ElevenLabs Agents (Voice AI)',
	generic: 'Other (JSON Mapping)',
};

/** What a voice AI's webhook brings: a call the agent answered becomes a case only when a person is still needed. */
const PROVIDER_HINTS: Partial<Record<Provider, string>> = {
	twilio:
		'Twilio Voice webhooks, and the ConversationRelay <Connect action> callback when a voice AI answered the ' +
		'call (a handoff or a failed session becomes a case)',
	vapi:
		"Vapi's end-of-call-report on the assistant's Server URL: a call the agent did not book, forwarded, or where " +
		'the caller asked for a person becomes a case with its transcript and summary',
	retell:
		"Retell's call_analyzed webhook: a call that was not successful, was transferred, or failed becomes a case " +
		'with its transcript and summary',
	elevenlabs:
		"ElevenLabs Agents' post_call_transcription webhook: an unsuccessful, transferred or failed call becomes a " +
		'case with its transcript and summary',
};

export class MissedCallTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Missed Call Trigger',
		name: 'missedCallTrigger',
		icon: { light: 'file:missedCallTrigger.svg', dark: 'file:missedCallTrigger.dark.svg' },
		group: ['trigger'],
		// Version 2 behaves as 1; n8n reads a version-1 webhook node's body options through an expression on every
		// call (an isolated VM in n8n 2.x), and skips that from version 2 on.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{ $parameter["mode"] === "forward" ? "Forward and detect" : "Status callback" }}',
		description:
			'Starts the workflow when a call is missed: checks the provider signature, answers with TwiML, drops ' +
			'duplicate deliveries and emits one clean event per missed call',
		defaults: { name: 'Missed Call Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Missed Call', 'Voicemail', 'Reply or Keyword', 'Text Not Delivered'],
		credentials: [
			{ name: 'missedCallRecoveryWorkspaceApi', required: true, testedBy: 'workspaceTest' },
			{ name: 'missedCallRecoveryTwilioApi', required: false, displayOptions: { show: { provider: ['twilio'] } } },
			{
				name: 'missedCallRecoveryWebhookSecretApi',
				required: true,
				testedBy: 'webhookSecretTest',
				displayOptions: { show: { provider: PROVIDERS.filter((p) => p !== 'twilio'), validateSignature: [true] } },
			},
		],
		webhooks: [
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'missed-call' },
			// The owners' case pages (the link in an alert) open with a GET on the same URL; their buttons POST to it.
			{ name: 'setup', httpMethod: 'GET', responseMode: 'onReceived', path: 'missed-call', ndvHideUrl: true },
		],
		properties: [
			{
				displayName: 'Provider',
				name: 'provider',
				type: 'options',
				options: PROVIDERS.map((p) => ({
					name: PROVIDER_NAMES[p] ?? p[0].toUpperCase() + p.slice(1),
					value: p,
					...(PROVIDER_HINTS[p] ? { description: PROVIDER_HINTS[p] } : {}),
				})),
				default: 'twilio',
				description: 'Whose webhooks arrive here',
			},
			{
				displayName: 'Call Handling',
				name: 'mode',
				type: 'options',
				options: [
					{
						name: 'Forward and Detect',
						value: 'forward',
						description:
							"This webhook is the number's Voice URL: it rings the business's phone and learns from the Dial result " +
							'whether anyone answered',
					},
					{
						name: 'Status Callback',
						value: 'status',
						description: 'Another system answers calls and only posts call status here',
					},
				],
				default: 'forward',
				displayOptions: { show: { provider: ['twilio', 'telnyx'] } },
			},
			{
				displayName: 'Offer Voicemail',
				name: 'voicemail',
				type: 'boolean',
				default: true,
				description:
					"Whether a missed forwarded call hears the business's voicemail prompt; the recording and its " +
					'transcription come back here and reach the Voicemail output',
				displayOptions: { show: { provider: ['twilio', 'telnyx'], mode: ['forward'] } },
			},
			{
				displayName: 'Check Signatures',
				name: 'validateSignature',
				type: 'boolean',
				default: true,
				description:
					'Whether to refuse any request the provider did not sign (HTTP 403, no execution, counted on the report). ' +
					('Twilio: the Auth Token of the Twilio Account credential. Others: the Webhook Secret credential. Turn off ' +
						'only for local experiments.'),
			},
			{
				displayName: 'Set Up the Number for Me',
				name: 'configureNumber',
				type: 'boolean',
				default: false,
				description:
					'Whether to point the Twilio number at this webhook when the workflow is activated, and restore its ' +
					'previous setting when deactivated',
				displayOptions: { show: { provider: ['twilio'] } },
			},
			{
				displayName: 'Twilio Number',
				name: 'phoneNumber',
				type: 'string',
				default: '',
				placeholder: '+13125550199',
				required: true,
				displayOptions: { show: { provider: ['twilio'], configureNumber: [true] } },
			},
			{
				displayName: 'Generic Mapping',
				name: 'mapping',
				type: 'json',
				default:
					'{\n  "callId": "id",\n  "from": "from",\n  "to": "to",\n  "status": "status",\n  "missedValues": ' +
					'["missed", "no-answer", "busy", "voicemail"]\n}',
				description: 'Dot paths into the JSON your system posts, and which status values mean missed',
				displayOptions: { show: { provider: ['generic'] } },
			},
			{
				displayName:
					"To learn of texts that never arrive, give this node's Production URL to the Twilio credential as Delivery " +
					'Status URL: they come out of Text Not Delivered, and their case is flagged',
				name: 'deliveryNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { provider: ['twilio'] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Public URL',
						name: 'publicUrl',
						type: 'string',
						default: '',
						placeholder: 'https://hooks.example.com',
						description:
							'Behind a proxy that changes the host, the base URL Twilio calls. Signatures are checked against it. ' +
							"Defaults to n8n's webhook URL.",
					},
					{
						displayName: 'Very Short Call (Seconds)',
						name: 'minCallSeconds',
						type: 'number',
						default: 8,
						description: 'Calls shorter than this count as short-abandoned (pocket dials, robocalls)',
					},
					{
						displayName: 'Answer STOP, START and HELP',
						name: 'replyToKeywords',
						type: 'boolean',
						default: true,
						description: 'Whether to confirm opt-outs and opt-ins and answer HELP, as carriers require',
					},
				],
			},
		],
	};

	methods = { credentialTest: { workspaceTest, webhookSecretTest } };

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				// Activation: the next webhook call reads the credentials afresh.
				forgetCredentials();
				if (this.getNodeParameter('provider') !== 'twilio' || !this.getNodeParameter('configureNumber', false))
					return true;
				const account = twilioAccountFrom(await this.getCredentials(TWILIO));
				const hooks = await sharedProvider(account).getNumberWebhooks(this.getNodeParameter('phoneNumber') as string);
				const url = this.getNodeWebhookUrl('default');
				const mode = this.getNodeParameter('mode', 'forward');
				return (
					!!hooks &&
					(mode === 'forward' ? hooks.voiceUrl === url : hooks.statusCallback === url) &&
					hooks.smsUrl === url
				);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const account = twilioAccountFrom(await this.getCredentials(TWILIO));
				const provider = sharedProvider(account);
				const number = this.getNodeParameter('phoneNumber') as string;
				const hooks = await provider.getNumberWebhooks(number);
				if (!hooks)
					throw new NodeOperationError(this.getNode(), `The Twilio account has no number ${number}`, {
						description: 'Check the number in E.164 form, as it appears in the Twilio Console.',
					});
				const url = this.getNodeWebhookUrl('default')!;
				const data = this.getWorkflowStaticData('node');
				data.previous = {
					sid: hooks.sid,
					voiceUrl: hooks.voiceUrl,
					statusCallback: hooks.statusCallback,
					smsUrl: hooks.smsUrl,
				};
				const mode = this.getNodeParameter('mode', 'forward');
				await provider.setNumberWebhooks(
					hooks.sid,
					mode === 'forward' ? { voiceUrl: url, smsUrl: url } : { statusCallback: url, smsUrl: url },
				);
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				const data = this.getWorkflowStaticData('node');
				const previous = data.previous as
					{ sid: string; voiceUrl: string; statusCallback: string; smsUrl: string } | undefined;
				if (!previous) return true;
				const account = twilioAccountFrom(await this.getCredentials(TWILIO));
				await sharedProvider(account).setNumberWebhooks(previous.sid, {
					voiceUrl: previous.voiceUrl,
					statusCallback: previous.statusCallback,
					smsUrl: previous.smsUrl,
				});
				delete data.previous;
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject();
		const res = this.getResponseObject();
		const provider = this.getNodeParameter('provider') as TriggerConfig['provider'];
		const options = this.getNodeParameter('options', {}) as {
			publicUrl?: string;
			minCallSeconds?: number;
			replyToKeywords?: boolean;
		};
		let answer;
		try {
			const { loop, businesses, webhookAuthToken } = await loopFor(this, { twilio: 'optional' });
			const webhookUrl = new URL(this.getNodeWebhookUrl('default')!);
			const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
			// A test run (n8n's 'manual' mode, as its Form Trigger tells them apart) is served on n8n's test endpoint,
			// which this context's webhook URL does not name: the signature is over the path n8n routed the call on.
			const path = this.getMode() === 'manual' ? req.originalUrl.split('?')[0] : webhookUrl.pathname;
			const base = options.publicUrl ? `${options.publicUrl.replace(/\/$/, '')}${path}` : `${webhookUrl.origin}${path}`;
			const validate = this.getNodeParameter('validateSignature', true) as boolean;
			const secret = !validate
				? undefined
				: provider === 'twilio'
					? webhookAuthToken
					: String((await credentialsOf(this, WEBHOOK_SECRET)).secret ?? '');
			const cfg: TriggerConfig = {
				provider,
				mode:
					provider === 'twilio' || provider === 'telnyx'
						? (this.getNodeParameter('mode', 'forward') as 'forward' | 'status')
						: 'status',
				voicemail: this.getNodeParameter('voicemail', true) as boolean,
				validateSignature: validate,
				secret,
				normalize: {
					...businessResolver(businesses),
					minCallSeconds: options.minCallSeconds ?? 8,
					defaultCountry: businesses.list[0]?.country,
				},
				mapping:
					provider === 'generic' ? JSON.parse((this.getNodeParameter('mapping', '{}') as string) || '{}') : undefined,
				replyToKeywords: options.replyToKeywords ?? true,
			};
			answer = await answerWebhook(
				{
					url: `${base}${query}`,
					headers: req.headers,
					body: req.body,
					rawBody: (req as unknown as { rawBody?: Buffer }).rawBody?.toString('utf8'),
					method: req.method,
				},
				cfg,
				loop,
			);
		} catch (e) {
			// The provider must get an answer, and the error must surface in n8n without leaking anything.
			res.status(500).type('text/plain').send('Internal error');
			throw asNodeError(this.getNode(), e);
		}
		if (answer.headers) for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
		res.status(answer.status).type(answer.contentType).send(answer.body);
		if (!answer.emit) {
			if (answer.status === 403) this.logger?.warn(`Missed Call Trigger refused a request: ${answer.note}`);
			return { noWebhookResponse: true };
		}
		const e = answer.emit;
		const json: IDataObject = {
			type: e.type,
			caseId: null,
			callerPhone: 'from' in e.event ? String(e.event.from) : null,
			event: e.event as unknown as IDataObject,
			case: null,
			...(e.case ? caseJson(e.case) : {}),
		};
		if (e.type === 'missed-call') json.created = e.created;
		if (e.type === 'inbound-message') json.action = e.action;
		this.logger?.info(
			`Missed Call Trigger: ${e.type} from ${maskPhone('from' in e.event ? String(e.event.from) : '')}`,
		);
		const outputs: INodeExecutionData[][] = OUTPUTS.map(() => []);
		outputs[OUTPUTS.indexOf(e.type)].push({ json });
		return { noWebhookResponse: true, workflowData: outputs };
	}
}
