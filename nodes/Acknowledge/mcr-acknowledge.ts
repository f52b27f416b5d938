import { caseIdOfMsg, loopForNode, onInput, type NodeRedNode, type RED } from '../shared/node-red';

export = function register(RED: RED) {
	function AcknowledgeNode(
		this: NodeRedNode,
		config: { store: string; business: string; twilio: string; force?: boolean },
	) {
		RED.nodes.createNode(this, config);
		onInput(this, async (msg) => {
			const { loop } = await loopForNode(RED, config, { twilio: 'required' });
			const r = await loop.acknowledge(caseIdOfMsg(msg), { force: !!config.force });
			const sent = r.case.ack.status === 'sent' && !!r.sent;
			msg.caseId = r.case.caseId;
			msg.payload = {
				...(typeof msg.payload === 'object' ? msg.payload : {}),
				caseId: r.case.caseId,
				case: r.case,
				acknowledgment: {
					status: r.case.ack.status,
					reason: r.case.ack.reason,
					messageSid: r.sent?.sid,
					body: r.case.ack.body,
					sendAt: r.case.ack.sendAt,
					error: r.error,
				},
			};
			return {
				outputs: sent ? [msg, null] : [null, msg],
				status: sent ? 'texted' : `${r.case.ack.status}: ${(r.case.ack.reason ?? '').split(':')[0]}`,
				fill: sent ? 'green' : 'yellow',
			};
		});
	}
	RED.nodes.registerType('mcr-acknowledge', AcknowledgeNode);
};
