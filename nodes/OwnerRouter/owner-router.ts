import { caseIdOfMsg, loopForNode, onInput, type NodeRedNode, type RED } from '../shared/node-red';

export = function register(RED: RED) {
	function OwnerRouterNode(this: NodeRedNode, config: { store: string; business: string; twilio?: string; alertOwner?: boolean }) {
		RED.nodes.createNode(this, config);
		onInput(this, async (msg) => {
			const { loop } = await loopForNode(RED, config, { twilio: 'optional' });
			const caseId = caseIdOfMsg(msg);
			const r = await loop.route(caseId);
			const raised = !!(msg.payload && typeof msg.payload === 'object' && (msg.payload as { raised?: boolean }).raised);
			let alert: { messageSid?: string; error?: string } | undefined;
			if (r.decision.kind === 'assigned' && (r.decision.strategy !== 'kept' || raised) && config.alertOwner !== false && loop.deps.provider) {
				const a = await loop.alertOwner(caseId);
				alert = { messageSid: a.sent?.sid, error: a.error };
			}
			const c = (await loop.deps.store.getCase(caseId)) ?? r.case;
			msg.caseId = caseId;
			msg.payload = { ...(typeof msg.payload === 'object' ? msg.payload : {}), caseId, case: c, owner: c.owner, dueAt: c.dueAt, routing: { kind: r.decision.kind, reasons: r.decision.reasons }, ...(alert ? { ownerAlert: alert } : {}) };
			return r.decision.kind === 'assigned'
				? { outputs: [msg, null], status: `${c.owner?.name} by ${c.dueAt?.slice(11, 16)} UTC` }
				: { outputs: [null, msg], status: 'nobody available', fill: 'yellow' };
		});
	}
	RED.nodes.registerType('owner-router', OwnerRouterNode);
};
