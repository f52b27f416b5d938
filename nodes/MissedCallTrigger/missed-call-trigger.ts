import { answerWebhook, maskPhone, type TriggerConfig, type TriggerEvent } from '../../core';
import { businessResolver } from '../shared/runtime';
import { describeError, loopForNode, type HttpHandler, type Msg, type NodeRedNode, type RED } from '../shared/node-red';
import { webhookRoute, type RouteBody } from '../shared/node-red-http';

interface Config {
	name?: string;
	path: string;
	provider: TriggerConfig['provider'];
	mode: 'forward' | 'status';
	voicemail: boolean;
	validateSignature: boolean;
	publicUrl?: string;
	minCallSeconds?: number | string;
	replyToKeywords: boolean;
	mapping?: string;
	store: string;
	business: string;
	twilio?: string;
}

const OUTPUTS = ['missed-call', 'voicemail', 'inbound-message', 'message-status'];

/** The node's status for an event it passed on, in plain words: "missed call from +1312***0123". */
function statusOf(e: TriggerEvent): string {
	switch (e.type) {
		case 'missed-call':
			return `missed call from ${maskPhone(e.event.from)}`;
		case 'voicemail':
			return `voicemail from ${maskPhone(e.event.from)}`;
		case 'inbound-message':
			return `text from ${maskPhone(e.event.from)}`;
		case 'message-status':
			return `text to ${maskPhone(e.event.to)} ${e.event.status}`;
	}
}

export = function register(RED: RED) {
	function MissedCallTriggerNode(this: NodeRedNode & { credentials?: { secret?: string } }, config: Config) {
		RED.nodes.createNode(this, config);
		const path = `/${(config.path || 'missed-call').replace(/^\/+/, '')}`;
		const twiml = config.provider === 'twilio' || config.provider === 'telnyx';
		this.status({ fill: 'grey', shape: 'ring', text: `listening on ${path}` });
		const handler = async (req: Parameters<HttpHandler>[0], res: Parameters<HttpHandler>[1], read: RouteBody) => {
			try {
				if (read.overApiMaxLength) {
					const limit = read.overApiMaxLength.limit;
					const why = `the body is over Node-RED's apiMaxLength (${limit}): raise apiMaxLength in settings.js`;
					res.writeHead(413, { 'content-type': 'text/plain' }).end(`Payload too large: ${why}`);
					this.status({ fill: 'red', shape: 'ring', text: `refused: body over apiMaxLength ${limit}` });
					return;
				}
				// The exact bytes go to answerWebhook as text: it bounds and parses them once, after the signature check.
				const { raw, parsed: body } = read;
				const { loop, businesses, webhookAuthToken } = await loopForNode(RED, config, { twilio: 'optional' });
				const provider = config.provider || 'twilio';
				const validate = config.validateSignature !== false;
				// Twilio signs with the account's Auth Token; every other provider's secret is this node's own credential.
				const secret = provider === 'twilio' ? webhookAuthToken : this.credentials?.secret;
				const originalUrl = req.originalUrl ?? req.url ?? path;
				const url = config.publicUrl
					? `${config.publicUrl.replace(/\/$/, '')}${originalUrl}`
					: `${req.protocol ?? 'http'}://${req.headers.host}${originalUrl}`;
				const cfg: TriggerConfig = {
					provider,
					mode: twiml ? config.mode || 'forward' : 'status',
					voicemail: config.voicemail !== false,
					validateSignature: validate,
					secret,
					normalize: {
						...businessResolver(businesses),
						minCallSeconds: Number(config.minCallSeconds ?? 8) || 8,
						defaultCountry: businesses.list[0]?.country,
					},
					mapping: config.provider === 'generic' && config.mapping ? JSON.parse(config.mapping) : undefined,
					replyToKeywords: config.replyToKeywords !== false,
				};
				const request = { url, headers: req.headers, body, rawBody: raw, method: req.method };
				const answer = await answerWebhook(request, cfg, loop);
				res.writeHead(answer.status, { ...answer.headers, 'content-type': answer.contentType }).end(answer.body);
				if (!answer.emit) {
					if (answer.status === 403) this.warn(`refused a webhook: ${answer.note}`);
					this.status({
						fill: answer.status >= 400 ? 'red' : 'grey',
						shape: 'ring',
						text: (answer.note ?? `answered ${answer.status}`).slice(0, 60),
					});
					return;
				}
				const e = answer.emit;
				const msg: Msg = {
					payload: {
						type: e.type,
						caseId: e.case?.caseId ?? null,
						event: e.event,
						case: e.case ?? null,
						...('created' in e ? { created: e.created } : {}),
						...('action' in e ? { action: e.action } : {}),
					},
					caseId: e.case?.caseId,
					topic: e.type,
				};
				const outputs: (Msg | null)[] = OUTPUTS.map(() => null);
				outputs[OUTPUTS.indexOf(e.type)] = msg;
				this.status({
					fill: 'green',
					shape: 'dot',
					text: statusOf(e),
				});
				this.send(outputs);
			} catch (err) {
				if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error');
				this.status({ fill: 'red', shape: 'ring', text: describeError(err).slice(0, 60) });
				this.error(err instanceof Error ? err : describeError(err), { payload: { path } });
			}
		};
		const unroute = webhookRoute(RED, this, path, (req, res, read) => void handler(req, res, read));
		this.on('close', (_removed, done) => {
			unroute();
			done();
		});
	}
	RED.nodes.registerType('missed-call-trigger', MissedCallTriggerNode, {
		credentials: { secret: { type: 'password' } },
	});
};
