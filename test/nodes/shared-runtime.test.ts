import { closeSharedStore, sharedStore } from '../../nodes/shared/runtime';
import type { StoreConfig } from '../../core';

describe('one store per configuration per process', () => {
	test('the same settings, as the same object or an equal one, share one open store', async () => {
		const config: StoreConfig = { type: 'sqlite', file: ':memory:' };
		const a = await sharedStore(config);
		expect(await sharedStore(config)).toBe(a);
		expect(await sharedStore({ type: 'sqlite', file: ':memory:' })).toBe(a);
		await closeSharedStore(config);
	});

	test('after a config node closes its store, the same settings object opens a fresh one, never the closed one', async () => {
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
