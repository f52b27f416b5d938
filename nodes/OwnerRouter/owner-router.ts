import { caseIdOfMsg, loopForNode, onInput, type NodeRedNode, type RED } from '../shared/node-red';

export = function register(RED: RED) {
	function OwnerRouterNode(
		this: NodeRedNode,
		config: {
			store: string;
			business: string;
			twilio?: string;
			alertOwner?: boolean;
			connectCaller?: 'never' | 'emergency' | 'always';
		},
	) {
		RED.nodes.createNode(this, config);
		onInput(this, async (msg) => {
			const { loop } = await loopForNode(RED, config, { twilio: 'optional' });
			const caseId = caseIdOfMsg(msg);
			const r = await loop.routeAndNotify(caseId, {
				alertOwner: config.alertOwner !== false,
				connectCaller: config.connectCaller || 'never',
			});
			const c = r.case;
			msg.caseId = caseId;
			msg.payload = {
				...(typeof msg.payload === 'object' ? msg.payload : {}),
				caseId,
				case: c,
				owner: c.owner,
				dueAt: c.dueAt,
				routing: { kind: r.decision.kind, reasons: r.decision.reasons },
				...(r.ownerAlert ? { ownerAlert: r.ownerAlert } : {}),
				...(r.bridge ? { bridgeCall: r.bridge } : {}),
				...(r.followUp ? { safetyFollowUp: r.followUp } : {}),
			};
			return r.decision.kind === 'assigned'
				? { outputs: [msg, null], status: `${c.owner?.name} by ${c.dueAt?.slice(11, 16)} UTC` }
				: { outputs: [null, msg], status: 'nobody available', fill: 'yellow' };
		});
	}
	RED.nodes.registerType('owner-router', OwnerRouterNode);
};
