import { callerTextCosts, describeTextCosts, type TextCost } from '../../core';
import type { RecoveryInputError } from '../../core';
import {
	closeSharedStore,
	parseBusinessConfig,
	readBody,
	statusCallbackUrlFrom,
	storeConfigOf,
	type BusinessConfigNode,
	type HttpHandler,
	type RED,
	type StoreConfigNode,
	type TwilioConfigNode,
} from '../shared/node-red';

/** Each business's caller texts with their segment counts, or the profile's problem. */
function textCostsOf(profile: string): {
	businesses?: { name: string; costs: TextCost[]; summary: string }[];
	problem?: string;
} {
	const parsed = parseBusinessConfig(profile);
	if (!parsed.businesses) return { problem: parsed.problem };
	return {
		businesses: parsed.businesses.list.map((p) => {
			const costs = callerTextCosts(p);
			return { name: p.name, costs, summary: describeTextCosts(costs) };
		}),
	};
}

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

	// The editor shows what each caller text costs while the profile is edited (SMS segments are billed one by one).
	const permit: HttpHandler = RED.auth?.needsPermission('mcr-business.read') ?? ((_q, _s, next) => next?.());
	RED.httpAdmin?.post('/mcr-business/text-costs', permit, (req, res) => {
		void readBody(req)
			.then(({ raw, parsed }) => {
				const body = (parsed ?? JSON.parse(raw || '{}')) as { profile?: string };
				const answer = textCostsOf(body.profile ?? '');
				res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
			})
			.catch((e: Error) =>
				res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: e.message })),
			);
	});
};
