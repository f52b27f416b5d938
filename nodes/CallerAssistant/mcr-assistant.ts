import type { AssistantResult } from '../../core/loop';
import { modelConfigOf } from '../ModelConfig/openai-chat';
import { caseIdOfMsg, loopForNode, onInput, type Msg, type NodeRedNode, type RED } from '../shared/node-red';

interface Config {
	store: string;
	business: string;
	twilio: string;
	model: string;
}

/** What the node says about one turn, on `msg.payload.assistant`. */
interface AssistantOutput {
	action: AssistantResult['action'];
	reason?: string;
	/** The text that went to the caller this turn: the model's reply, the fallback, or the hand-off text. */
	sent?: { sid: string; body: string };
	/** Why the model's own words were not sent (the output guard's finding, a timeout, a malformed answer). */
	refused?: string;
	ownerAlert?: { sid?: string; error?: string };
	/** The case's intake answers so far, by question key. */
	intake: Record<string, string>;
}

const NO_MODEL =
	'Pick a language model config node (an OpenAI-compatible endpoint) in this node: the SMS assistant has no rules ' +
	'fallback.';

/** A caller's reply to an open case, as the missed call trigger's inbound-message output carries it. */
function isCallerReply(msg: Msg): boolean {
	const p = msg.payload as { type?: string; action?: string } | undefined;
	return !!p && typeof p === 'object' && p.action === 'reply' && (p.type === undefined || p.type === 'inbound-message');
}

function statusOf(r: AssistantResult): { status: string; fill: 'green' | 'yellow' | 'grey' } {
	if (r.action === 'replied')
		return { status: r.refused ? 'replied: fallback text' : 'replied', fill: r.refused ? 'yellow' : 'green' };
	if (r.action === 'handed-off') return { status: `handed off: ${(r.reason ?? '').split(':')[0]}`, fill: 'yellow' };
	return { status: `skipped: ${r.reason ?? ''}`, fill: 'grey' };
}

export = function register(RED: RED) {
	function AssistantNode(this: NodeRedNode, config: Config) {
		RED.nodes.createNode(this, config);
		onInput(this, async (msg) => {
			// Owner commands, STOP/HELP, duplicates and texts with no case go out of the second output as they came: the
			// assistant answers callers only, and a flow may still want to log or route the rest.
			if (!isCallerReply(msg)) return { outputs: [null, msg], status: 'passed on: not a caller reply', fill: 'grey' };
			const model = modelConfigOf(RED, config.model, NO_MODEL)!;
			const { loop } = await loopForNode(RED, config, { twilio: 'required' });
			const r = await loop.assistantReply(caseIdOfMsg(msg), model.chat.ask, { timeoutMs: model.timeoutMs });
			const assistant: AssistantOutput = {
				action: r.action,
				reason: r.reason,
				sent: r.sent,
				refused: r.refused,
				ownerAlert: r.ownerAlert,
				intake: { ...r.case.intake },
			};
			msg.caseId = r.case.caseId;
			msg.payload = { ...(msg.payload as object), caseId: r.case.caseId, case: r.case, assistant };
			return { outputs: [msg, null], ...statusOf(r) };
		});
	}
	RED.nodes.registerType('mcr-assistant', AssistantNode);
};
