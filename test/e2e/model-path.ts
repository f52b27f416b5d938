import type { Case, RecoveryStore } from '../../core';
import type { TwilioSim } from '../../sim/twilio-server';
import { caseState, waitFor, type Collector } from './harness';

/** What the urgency step sends on (n8n's item json, Node-RED's `msg.payload`): the fields the model-path tests read. */
export interface UrgencyOutput {
	case: Case;
	/** The trigger's event the output started from: the recording, then its transcription. */
	event?: { voicemail?: { transcript?: string } };
	urgency: string;
	reasons: string[];
	summary?: string;
	model?: { used: boolean; error?: string };
}

/**
 * The model-path tests' steps, the same in n8n and Node-RED: a call with a voicemail, the classification its words
 * started, and the stored case once it holds what a test waits for. Getters, since the runtime starts in beforeAll.
 */
export function modelPathSteps(o: {
	sim: TwilioSim;
	seen: Collector<UrgencyOutput>;
	hook: () => string;
	store: () => RecoveryStore;
	log: () => string;
}) {
	async function call(from: string, say: string): Promise<{ item: UrgencyOutput; stored: () => Promise<Case> }> {
		const { exchanges } = await o.sim.placeCall({ webhookUrl: o.hook(), from, to: '+13125550199', say });
		// A Voice URL answered without TwiML (n8n's "starting up" page, a refusal) opens no case: say what came back.
		const [voice] = exchanges;
		if (voice?.status !== 200 || !voice.body.includes('<Response'))
			throw new Error(`the Voice URL answered ${voice?.status}: ${voice?.body.slice(0, 200)}`);
		const item = await o.seen.waitFor(
			`the classification of ${from}'s voicemail`,
			// The recording comes before its transcription: the classification started by the words.
			(p) => p.case?.caller === from && p.event?.voicemail?.transcript === say,
			async () => caseState(await o.store().findOpenCase('e2e-plumbing', from), o.log()),
		);
		return { item, stored: () => o.store().getCase(item.case.caseId) as Promise<Case> };
	}

	/**
	 * A fallback leaves the rules' urgency on the case; its reason is checked on the node's output, where this pass's
	 * own words are (the recording's earlier pass may classify the same case just before or after).
	 */
	const rulesOnCase = (c: Case) => c.urgency === 'normal' && !!c.stamps.classifiedAt;

	/** The stored case once `ok` holds: the recording's own classification may be saved just before or after. */
	const storedWhen = (stored: () => Promise<Case>, what: string, ok: (c: Case) => boolean) =>
		waitFor(
			what,
			async () => {
				const c = await stored();
				return ok(c) ? c : undefined;
			},
			20000,
			200,
			async () => caseState(await stored(), o.log()),
		);

	return { call, rulesOnCase, storedWhen };
}
