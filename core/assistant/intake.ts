import type { Trade } from '../classify/presets';
import type { IntakeQuestion, Profile } from '../profile/schema';

/**
 * What a person calling back needs to know before they dial: what happened, where, and when to call. A trade that
 * does not drive to the caller asks its own second question instead of the address.
 */
const WHAT: IntakeQuestion = { key: 'whatHappened', question: 'What happened, in a few words?' };
const WHERE: IntakeQuestion = { key: 'address', question: 'What is the address or ZIP code of the job?' };
const WHEN: IntakeQuestion = { key: 'bestTime', question: 'When is the best time to reach you?' };

const BY_TRADE: Partial<Record<Trade, IntakeQuestion[]>> = {
	dental: [
		{ key: 'whatHappened', question: 'What is going on with your teeth or mouth?' },
		{ key: 'patient', question: 'Are you a new or an existing patient?' },
		WHEN,
	],
	legal: [
		{ key: 'whatHappened', question: 'Briefly, what is your matter about?' },
		{ key: 'deadline', question: 'Is there a court date or a deadline coming up?' },
		WHEN,
	],
	locksmith: [WHAT, { key: 'address', question: 'Where are you (address or ZIP code)?' }, WHEN],
};

/** The intake questions of a trade by default. */
export function defaultIntake(trade: Trade): IntakeQuestion[] {
	return (BY_TRADE[trade] ?? [WHAT, WHERE, WHEN]).map((q) => ({ ...q }));
}

/** The business's questions: its profile's own where set, else its trade's defaults. */
export function intakeFor(profile: Profile): IntakeQuestion[] {
	return profile.assistant.intake ?? defaultIntake(profile.trade);
}
