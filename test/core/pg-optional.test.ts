import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Core = typeof import('../../core');

/** The pack's core loaded as on an install without the optional pg package: requiring it fails as Node does. */
function coreWithoutPg(): Core {
	let core: Core | undefined;
	jest.isolateModules(() => {
		jest.doMock('pg', () => {
			throw Object.assign(new Error("Cannot find module 'pg'\nRequire stack:\n- postgres.js"), {
				code: 'MODULE_NOT_FOUND',
			});
		});
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		core = require('../../core') as Core;
	});
	return core as Core;
}

describe('pg is an optional dependency', () => {
	afterEach(() => jest.dontMock('pg'));

	test('without it the pack loads and the SQLite store works', async () => {
		const { openStore } = coreWithoutPg();
		const dir = mkdtempSync(join(tmpdir(), 'mcr-nopg-'));
		try {
			const store = await openStore({ type: 'sqlite', file: join(dir, 'cases.db') });
			await store.close();
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	test('without it a PostgreSQL store is refused with the package to install, and no password', async () => {
		const { openStore } = coreWithoutPg();
		const open = openStore({ type: 'postgres', host: 'db.example', user: 'u', password: 'hunter2-secret' });
		await expect(open).rejects.toThrow(/needs the "pg" package, which is not installed: run "npm install pg"/);
		await expect(open).rejects.not.toThrow(/hunter2/);
	});
});
