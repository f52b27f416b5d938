import { URGENCIES } from '../../core';
import { caseIdOfMsg, loopForNode, onInput, type NodeRedNode, type RED } from '../shared/node-red';

export = function register(RED: RED) {
	function UrgencyClassifierNode(this: NodeRedNode, config: { store: string; business: string }) {
		RED.nodes.createNode(this, config);
		onInput(this, async (msg) => {
			const { loop } = await loopForNode(RED, config, { twilio: 'none' });
			const extra = typeof msg.text === 'string' && msg.text.trim() ? [msg.text] : [];
			const r = await loop.classify(caseIdOfMsg(msg), extra);
			const k = r.classification;
			msg.caseId = r.case.caseId;
			msg.payload = {
				...(typeof msg.payload === 'object' ? msg.payload : {}),
				caseId: r.case.caseId,
				case: r.case,
				urgency: k.urgency,
				serviceType: k.serviceType,
				timing: k.timing,
				score: k.score,
				reasons: k.reasons,
				raised: r.raised,
			};
			const outputs = URGENCIES.map((u) => (u === k.urgency ? msg : null));
			return {
				outputs,
				status: `${k.urgency}, ${k.serviceType}`,
				fill: k.urgency === 'emergency' ? 'yellow' : 'green',
			};
		});
	}
	RED.nodes.registerType('urgency-classifier', UrgencyClassifierNode);
};
