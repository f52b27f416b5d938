import { URGENCIES, type Classification, type ModelClassification } from '../../core';
import { modelConfigOf } from '../ModelConfig/openai-chat';
import { caseIdOfMsg, loopForNode, onInput, type NodeRedNode, type RED } from '../shared/node-red';

export = function register(RED: RED) {
	function UrgencyClassifierNode(this: NodeRedNode, config: { store: string; business: string; model?: string }) {
		RED.nodes.createNode(this, config);
		onInput(this, async (msg) => {
			const { loop } = await loopForNode(RED, config, { twilio: 'none' });
			const extra = typeof msg.text === 'string' && msg.text.trim() ? [msg.text] : [];
			const model = modelConfigOf(RED, config.model);
			const r = model
				? await loop.classifyWithModel(caseIdOfMsg(msg), model.chat.ask, {
						extraTexts: extra,
						timeoutMs: model.timeoutMs,
					})
				: await loop.classify(caseIdOfMsg(msg), extra);
			const k: Classification & Partial<ModelClassification> = r.classification;
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
				...(k.model ? modelFields(k.model) : {}),
			};
			const outputs = URGENCIES.map((u) => (u === k.urgency ? msg : null));
			const by = k.model ? (k.model.used ? ' (model)' : ' (rules: model failed)') : '';
			return {
				outputs,
				status: `${k.urgency}, ${k.serviceType}${by}`,
				fill: k.urgency === 'emergency' ? 'yellow' : 'green',
			};
		});
	}
	RED.nodes.registerType('urgency-classifier', UrgencyClassifierNode);
};

function modelFields(m: ModelClassification['model']) {
	return {
		summary: m.summary,
		language: m.language,
		preferredCallbackTime: m.preferredCallbackTime,
		model: { used: m.used, ...(m.error ? { error: m.error } : {}) },
	};
}
