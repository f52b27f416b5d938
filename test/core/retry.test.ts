import { ProviderError, RecoveryInputError, withRetry } from '../../core';

const policy = { retries: 3, baseMs: 1, maxMs: 2, sleep: async () => undefined };

/** A function that throws `errors` in turn, then answers 'ok'; counts its calls. */
function failing(...errors: unknown[]) {
	let calls = 0;
	const fn = async () => {
		calls++;
		if (calls <= errors.length) throw errors[calls - 1];
		return 'ok';
	};
	return { fn, calls: () => calls };
}

function networkError(code: string, message = `connect ${code}`): Error {
	return Object.assign(new Error(message), { code });
}

describe('withRetry retries transient failures only', () => {
	test.each([
		['a retryable ProviderError', new ProviderError('503', 'transient', true, 20500, 503)],
		['ECONNRESET', networkError('ECONNRESET')],
		['ETIMEDOUT (the transport timeout)', networkError('ETIMEDOUT', 'no answer within 300 ms')],
		['EAI_AGAIN', networkError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN api.twilio.com')],
		['socket hang up', new Error('socket hang up')],
	])('%s is retried until it passes', async (_what, error) => {
		const f = failing(error, error);
		const retries: number[] = [];
		await expect(withRetry(f.fn, policy, (_e, n) => retries.push(n))).resolves.toBe('ok');
		expect(f.calls()).toBe(3);
		expect(retries).toEqual([1, 2]);
	});

	test.each([
		['a RecoveryInputError', new RecoveryInputError('to', 'abc', 'Give an E.164 number.')],
		['a programming error', new TypeError("Cannot read properties of undefined (reading 'sid')")],
		['a final ProviderError', new ProviderError('opted out', 'opted-out', false, 21610, 400)],
		['an error with an unrelated code', networkError('ENOENT')],
	])('%s is thrown at once, as it was thrown', async (_what, error) => {
		const f = failing(error);
		const retried = jest.fn();
		const thrown = await withRetry(f.fn, policy, retried).catch((e: unknown) => e);
		expect(thrown).toBe(error);
		expect(f.calls()).toBe(1);
		expect(retried).not.toHaveBeenCalled();
	});

	test('a network error that outlasts the retries surfaces as a retryable transient ProviderError', async () => {
		const f = failing(...Array.from({ length: 10 }, () => networkError('ECONNRESET', 'read ECONNRESET')));
		const thrown = await withRetry(f.fn, policy).catch((e: unknown) => e);
		expect(thrown).toBeInstanceOf(ProviderError);
		expect(thrown).toMatchObject({ kind: 'transient', retryable: true, message: 'read ECONNRESET' });
		expect(f.calls()).toBe(policy.retries + 1);
	});
});
