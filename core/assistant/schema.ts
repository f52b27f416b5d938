import { z } from 'zod/v4';
import { ModelAnswerError, type ModelOutputSchema } from '../classify/model';
import type { IntakeQuestion } from '../profile/schema';

/** The longest reply the assistant may send: two SMS segments of GSM-7. */
export const MAX_REPLY_CHARS = 300;

/** The model's answer for one turn: the text to send, the intake answers it found, and whether a person is needed. */
export function turnSchema(questions: readonly IntakeQuestion[]) {
	const intake = Object.fromEntries(
		questions.map((q) => [
			q.key,
			z.string().nullable().describe(`the caller's answer to "${q.question}" in their words; null when not given`),
		]),
	);
	return z.object({
		reply: z.string().describe(`the text to send the caller: plain, at most ${MAX_REPLY_CHARS} characters`),
		intake: z.object(intake).describe('answers the caller has given so far, by question'),
		handoff: z.boolean().describe('true when a person must take over now'),
		handoffReason: z.string().nullable().describe('why a person is needed, in a few words; null when not'),
	});
}

export interface AssistantTurn {
	reply: string;
	intake: Record<string, string>;
	handoff: boolean;
	handoffReason: string | null;
}

export function turnOutputSchema(questions: readonly IntakeQuestion[]): ModelOutputSchema {
	const jsonSchema = z.toJSONSchema(turnSchema(questions), { io: 'output' }) as Record<string, unknown>;
	// Strict structured-output endpoints reject keywords they do not know; the draft is implied.
	delete jsonSchema.$schema;
	return { name: 'sms_assistant_turn', jsonSchema };
}

function jsonOf(raw: unknown): unknown {
	if (typeof raw !== 'string') return raw;
	const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(raw)?.[1] ?? raw;
	const start = fenced.indexOf('{');
	const end = fenced.lastIndexOf('}');
	try {
		return JSON.parse(start >= 0 && end > start ? fenced.slice(start, end + 1) : fenced);
	} catch {
		throw new ModelAnswerError('assistant answer is not JSON');
	}
}

/** Checks the model's answer against the schema; intake answers come back trimmed, empty ones dropped. */
export function parseTurn(raw: unknown, questions: readonly IntakeQuestion[]): AssistantTurn {
	const r = turnSchema(questions).safeParse(jsonOf(raw));
	if (!r.success) {
		const issue = r.error.issues[0];
		throw new ModelAnswerError(
			`assistant answer malformed (${issue.path.map(String).join('.') || '(answer)'}: ${issue.message})`,
		);
	}
	const intake: Record<string, string> = {};
	for (const [k, v] of Object.entries(r.data.intake)) {
		const clean = typeof v === 'string' ? v.replace(/\s+/g, ' ').trim().slice(0, 300) : '';
		if (clean) intake[k] = clean;
	}
	return {
		reply: r.data.reply.trim(),
		intake,
		handoff: r.data.handoff,
		handoffReason: r.data.handoffReason?.trim().slice(0, 200) || null,
	};
}

/** A turn written outside the pack (an AI Agent's tool call): the text, any intake answers, and a hand-off. */
export interface AssistantTurnInput {
	reply: string;
	/** Answers by question key; agents often pass this as a JSON string. */
	intake?: Record<string, string | null | undefined> | string;
	handoff?: boolean;
	handoffReason?: string | null;
}

/**
 * An agent's turn in the shape parseTurn checks: intake as an object with every question (null when not given) and
 * keys the profile does not ask dropped; an intake that is not JSON is an error naming the field.
 */
export function turnFromInput(input: AssistantTurnInput, questions: readonly IntakeQuestion[]): unknown {
	let given: unknown = input.intake ?? {};
	if (typeof given === 'string') {
		try {
			given = given.trim() ? JSON.parse(given) : {};
		} catch {
			throw new ModelAnswerError(`intake is not JSON: pass an object of answers by question key`);
		}
	}
	const answers = (given && typeof given === 'object' ? given : {}) as Record<string, unknown>;
	const intake = Object.fromEntries(
		questions.map((q) => [q.key, typeof answers[q.key] === 'string' ? answers[q.key] : null]),
	);
	return {
		reply: input.reply,
		intake,
		handoff: input.handoff === true,
		handoffReason: input.handoffReason ?? null,
	};
}
