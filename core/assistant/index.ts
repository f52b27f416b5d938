export { defaultIntake, intakeFor } from './intake';
export { fallbackText, guardReply, handoffText, type GuardResult } from './guard';
export { planTurn, newCallerTexts, type HandoffReason, type TurnContext, type TurnPlan } from './plan';
export { bookingLink, buildAssistantMessages, businessFacts, conversationOf, type ConversationLine } from './prompt';
export {
	MAX_REPLY_CHARS,
	parseTurn,
	turnFromInput,
	turnOutputSchema,
	turnSchema,
	type AssistantTurn,
	type AssistantTurnInput,
} from './schema';
