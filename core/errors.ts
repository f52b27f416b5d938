import type { ZodError, ZodIssue } from 'zod';

/**
 * An error caused by input the user controls (a webhook payload, a profile, a node parameter).
 * It always names the field, the value it got and how to fix it, so adapters can show it as is.
 */
export class RecoveryInputError extends Error {
	readonly field: string;
	readonly value: unknown;
	readonly fix: string;

	constructor(field: string, value: unknown, fix: string, context?: string) {
		super(`${context ? `${context}: ` : ''}${field} is ${describeValue(value)}. ${fix}`);
		this.name = 'RecoveryInputError';
		this.field = field;
		this.value = value;
		this.fix = fix;
	}
}

/** A case moved in a way the state machine does not allow. */
export class IllegalTransitionError extends Error {
	constructor(
		readonly caseId: string,
		readonly state: string,
		readonly move: string,
		allowed: readonly string[],
	) {
		super(
			`Case ${caseId} is "${state}" and cannot move to "${move}". ` +
				(allowed.length ? `From "${state}" it can move to: ${allowed.join(', ')}.` : `"${state}" is final.`),
		);
		this.name = 'IllegalTransitionError';
	}
}

/** Someone else saved the case between our read and our write; the caller re-reads and retries. */
export class ConcurrentUpdateError extends Error {
	constructor(readonly caseId: string) {
		super(`Case ${caseId} was changed by another process; re-read it and retry.`);
		this.name = 'ConcurrentUpdateError';
	}
}

export function describeValue(value: unknown): string {
	if (value === undefined) return 'missing';
	if (value === null) return 'null';
	if (typeof value === 'string') {
		const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
		return `"${shown}"`;
	}
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	if (Array.isArray(value)) return `a list of ${value.length}`;
	return `an object`;
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
	let cur: unknown = input;
	for (const key of path) {
		if (cur === null || typeof cur !== 'object') return undefined;
		cur = (cur as Record<string | number, unknown>)[key];
	}
	return cur;
}

function fixFor(issue: ZodIssue): string {
	switch (issue.code) {
		case 'invalid_type':
			return issue.received === 'undefined'
				? `It is required (a ${issue.expected}).`
				: `Expected a ${issue.expected}, got a ${issue.received}.`;
		case 'invalid_enum_value':
			return `Use one of: ${issue.options.join(', ')}.`;
		case 'invalid_union': {
			const nested = issue.unionErrors.flatMap((e) => e.issues);
			const missing = nested.some((i) => i.code === 'invalid_type' && i.received === 'undefined');
			if (missing) return 'It is required.';
			const specific = nested.find((i) => i.code !== 'invalid_type');
			if (specific) return fixFor(specific);
			const expected = [
				...new Set(nested.filter((i) => i.code === 'invalid_type').map((i) => (i as { expected: string }).expected)),
			];
			return `Expected ${expected.join(' or ')}.`;
		}
		case 'too_small':
		case 'too_big':
		case 'invalid_string':
		case 'custom':
		default:
			return issue.message.endsWith('.') ? issue.message : `${issue.message}.`;
	}
}

/** Turns zod's first issue into a RecoveryInputError that names the field, the value and the fix. */
export function fromZodError(error: ZodError, input: unknown, context: string, prefix = ''): RecoveryInputError {
	const issue = error.issues[0];
	const path = issue.path.map(String).join('.');
	const field = prefix ? (path ? `${prefix}.${path}` : prefix) : path || '(root)';
	const extra =
		error.issues.length > 1
			? ` (${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''} after this one)`
			: '';
	return new RecoveryInputError(field, valueAt(input, issue.path), fixFor(issue) + extra, context);
}

/** What parseOrThrow needs of a zod schema (any schema, or an object that parses like one). */
export interface SafeParser<T> {
	safeParse(input: unknown): { success: true; data: T } | { success: false; error: ZodError };
}

/** Parse with a zod schema or throw a RecoveryInputError. */
export function parseOrThrow<T>(schema: SafeParser<T>, input: unknown, context: string, prefix = ''): T {
	const result = schema.safeParse(input);
	if (result.success) return result.data;
	throw fromZodError(result.error, input, context, prefix);
}
