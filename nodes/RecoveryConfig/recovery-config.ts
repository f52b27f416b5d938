import type { RecoveryInputError } from '../../core';
import {
	closeSharedStore,
	parseBusinessConfig,
	statusCallbackUrlFrom,
	storeConfigOf,
	type BusinessConfigNode,
	type RED,
	type StoreConfigNode,
	type TwilioConfigNode,
} from '../shared/node-red';

/** The three config nodes every Missed Call Recovery node shares: Twilio account, store, business profiles. */
export = function register(RED: RED) {
	function TwilioAccountNode(
		this: TwilioConfigNode,
		config: { name?: string; authType?: string; apiBaseUrl?: string; statusCallbackUrl?: string },
	) {
		RED.nodes.createNode(this, config);
		const c = this.credentials ?? {};
		const apiKey = config.authType === 'apiKey';
		this.account = {
			accountSid: (c.accountSid ?? '').trim(),
			authToken: apiKey ? undefined : c.authToken,
			apiKey: apiKey ? (c.apiKeySid ?? '').trim() : undefined,
			apiSecret: apiKey ? c.apiKeySecret : undefined,
			apiBaseUrl: config.apiBaseUrl?.trim() || undefined,
			webhookAuthToken: apiKey ? c.webhookAuthToken : c.authToken,
		};
		try {
			this.account.statusCallbackUrl = statusCallbackUrlFrom(config.statusCallbackUrl);
		} catch (e) {
			this.problem = e as RecoveryInputError;
			this.error((e as Error).message);
		}
	}
	RED.nodes.registerType('mcr-twilio-account', TwilioAccountNode, {
		credentials: {
			accountSid: { type: 'text' },
			authToken: { type: 'password' },
			apiKeySid: { type: 'text' },
			apiKeySecret: { type: 'password' },
			webhookAuthToken: { type: 'password' },
		},
	});

	function StoreNode(this: StoreConfigNode, config: Record<string, unknown>) {
		RED.nodes.createNode(this, config);
		this.storeConfig = storeConfigOf(config, this.credentials, RED.settings.userDir);
		// Connections are released on redeploy and shutdown; the next message reopens the store.
		this.on('close', (_removed, done) => {
			closeSharedStore(this.storeConfig).then(done, done);
		});
	}
	RED.nodes.registerType('mcr-store', StoreNode, { credentials: { password: { type: 'password' } } });

	function BusinessNode(this: BusinessConfigNode, config: { name?: string; profile?: string }) {
		RED.nodes.createNode(this, config);
		const parsed = parseBusinessConfig(config.profile ?? '');
		this.businesses = parsed.businesses;
		this.problem = parsed.problem;
		if (parsed.problem) this.error(`Business profile: ${parsed.problem}`);
	}
	RED.nodes.registerType('mcr-business', BusinessNode);
};
