import { closeSharedStore, sharedProvider, sharedStore, statusCallbackUrlFrom } from '../../nodes/shared/runtime';
import { RecoveryInputError, TwilioProvider } from '../../core';
import type { StoreConfig } from '../../core';

describe('one store per configuration per process', () => {
	test('the same settings, as the same object or an equal one, share one open store', async () => {
		const config: StoreConfig = { type: 'sqlite', file: ':memory:' };
		const a = await sharedStore(config);
		expect(await sharedStore(config)).toBe(a);
		expect(await sharedStore({ type: 'sqlite', file: ':memory:' })).toBe(a);
		await closeSharedStore(config);
	});

	test(`after a config node closes its store, the same settings object opens a fresh one, never the \
closed one`, async () => {
		const config: StoreConfig = { type: 'sqlite', file: ':memory:' };
		const first = await sharedStore(config);
		await closeSharedStore(config);
		const second = await sharedStore(config);
		expect(second).not.toBe(first);
		// The fresh store works (the closed one would throw).
		expect(await second.listCases({ businessId: 'nobody', limit: 1 })).toEqual([]);
		await closeSharedStore(config);
	});
});

describe('one Twilio provider per account per process', () => {
	const account = (n: number) => ({ accountSid: 'AC' + n.toString(16).padStart(32, '0'), authToken: `token-${n}` });

	test('providers dropped from the full cache have their connections closed and are not handed out again', () => {
		const close = jest.spyOn(TwilioProvider.prototype, 'close');
		try {
			const first = account(1);
			const kept = sharedProvider(first);
			expect(sharedProvider(first)).toBe(kept);
			for (let n = 2; n <= 60 && !close.mock.calls.length; n++) sharedProvider(account(n));
			expect(close.mock.contexts).toContain(kept);
			const again = sharedProvider(first);
			expect(again).not.toBe(kept);
			expect(close.mock.contexts).not.toContain(again);
		} finally {
			close.mockRestore();
		}
	});
});

describe('the Delivery Status URL setting', () => {
	test('empty means none; a URL is kept as given (trimmed)', () => {
		expect(statusCallbackUrlFrom(undefined)).toBeUndefined();
		expect(statusCallbackUrlFrom('  ')).toBeUndefined();
		expect(statusCallbackUrlFrom(' https://n8n.example.com/webhook/abc/missed-call ')).toBe(
			'https://n8n.example.com/webhook/abc/missed-call',
		);
	});

	test.each(['n8n.example.com/webhook/abc', 'ftp://example.com/x', 'javascript:alert(1)'])(
		'%p is refused with the field, the value and the fix',
		(bad) => {
			let error: unknown;
			try {
				statusCallbackUrlFrom(bad);
			} catch (e) {
				error = e;
			}
			expect(error).toBeInstanceOf(RecoveryInputError);
			expect((error as Error).message).toContain('Delivery Status URL');
			expect((error as Error).message).toContain(bad);
			expect((error as Error).message).toContain("Missed Call Trigger's production URL");
		},
	);
});
