import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, RecoveryInputError, RecoveryLoop, type MissedCall, type RecoveryStore } from '../../core';
import { chicago, plumber } from '../helpers/fixtures';

const at = chicago('2026-11-25T12:00');
let seq = 0;
function call(from: string): MissedCall {
	seq++;
	return {
		type: 'missed-call',
		eventId: `twilio:CAfile${seq}`,
		provider: 'twilio',
		callSid: `CAfile${seq}`,
		from,
		to: '+13125550199',
		businessId: 'acme-plumbing',
		reason: 'no-answer',
		startedAt: at,
		durationSec: 0,
		repeat: 0,
		channel: 'sms',
	};
}

describe('a SQLite file deleted or replaced under a running store', () => {
	let dir: string;
	let file: string;
	let store: RecoveryStore;
	let texts: string[];
	let loop: RecoveryLoop;
	beforeEach(async () => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-file-'));
		file = join(dir, 'cases.db');
		store = await openStore({ type: 'sqlite', file });
		texts = [];
		const profile = plumber({ acknowledgment: { checkLineType: false } });
		loop = new RecoveryLoop({
			store,
			provider: {
				sendMessage: async (req) => {
					texts.push(req.to);
					return { sid: `SM${texts.length}`, status: 'queued' };
				},
				lookupLineType: async () => 'mobile',
				placeCall: async () => ({ sid: 'CA1' }),
			},
			profileFor: () => profile,
			now: () => new Date(at),
		});
	});
	afterEach(async () => {
		await store.close();
		rmSync(dir, { recursive: true, force: true });
	});

	test('deleted: every write is refused with the path, and no caller is texted', async () => {
		await loop.run(call('+13125550301'));
		// The caller's acknowledgment and the owner's alert.
		expect(texts).toEqual(['+13125550301', '+13125550111']);
		// What "rm -rf" of the data folder, or a cleanup job, does to a running store.
		for (const f of readdirSync(dir)) rmSync(join(dir, f));
		for (let i = 2; i <= 6; i++)
			await expect(loop.run(call(`+1312555030${i}`))).rejects.toThrow(
				`The SQLite store file ${file} was deleted while the store was open`,
			);
		expect(texts).toEqual(['+13125550301', '+13125550111']);
	});

	test('deleted between detection and acknowledgment: the text is refused', async () => {
		const d = await loop.detect(call('+13125550311'));
		for (const f of readdirSync(dir)) rmSync(join(dir, f));
		await expect(loop.acknowledge(d.case.caseId)).rejects.toThrow(file);
		expect(texts).toEqual([]);
	});

	test('replaced by another file: refused, saying so', async () => {
		const other = await openStore({ type: 'sqlite', file: join(dir, 'other.db') });
		await other.close();
		renameSync(join(dir, 'other.db'), file);
		await expect(loop.run(call('+13125550321'))).rejects.toThrow(`${file} was replaced by another file`);
		expect(texts).toEqual([]);
	});
});

test(`deleted as soon as it is opened, before its checkpoint thread starts: still "deleted", and no empty \
database appears in its place`, async () => {
	const dir = mkdtempSync(join(tmpdir(), 'mcr-file-early-'));
	try {
		for (let i = 0; i < 3; i++) {
			const file = join(dir, `cases-${i}.db`);
			const store = await openStore({ type: 'sqlite', file });
			for (const f of readdirSync(dir)) rmSync(join(dir, f));
			const loop = new RecoveryLoop({ store, profileFor: () => plumber(), now: () => new Date(at) });
			await expect(loop.detect(call('+13125550331'))).rejects.toThrow(`${file} was deleted while the store was open`);
			// close() waits for the checkpoint thread, so it has started and done whatever it would do.
			await store.close();
			expect(readdirSync(dir)).toEqual([]);
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});

describe('opening a SQLite store that cannot be opened says why, with the path', () => {
	let dir: string;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), 'mcr-open-'));
	});
	afterEach(() => {
		chmodSync(dir, 0o755);
		rmSync(dir, { recursive: true, force: true });
	});

	test('a missing folder', async () => {
		const file = join(dir, 'missing', 'cases.db');
		const e = await openStore({ type: 'sqlite', file }).catch((x: Error) => x);
		expect(e).toBeInstanceOf(RecoveryInputError);
		expect((e as Error).message).toContain(`"${file}"`);
		expect((e as Error).message).toContain(`Its folder ${join(dir, 'missing')} does not exist`);
		expect((e as Error).message).not.toMatch(/Node\.js 22\.5|better-sqlite3/);
	});

	test('a folder this process cannot write in', async () => {
		// root writes through permission bits, but not into sysfs; others get a folder without write permission.
		const folder = process.getuid?.() === 0 ? '/sys' : dir;
		if (folder === dir) chmodSync(dir, 0o555);
		const file = join(folder, 'cases.db');
		const e = await openStore({ type: 'sqlite', file }).catch((x: Error) => x);
		expect(e).toBeInstanceOf(RecoveryInputError);
		expect((e as Error).message).toContain(`This process cannot write in the folder ${folder}`);
		expect((e as Error).message).not.toMatch(/Node\.js 22\.5/);
	});

	test('a missing or unwritable folder leaves no handle open, however often it is tried', async () => {
		const unwritable = process.getuid?.() === 0 ? '/sys' : dir;
		if (unwritable === dir) chmodSync(dir, 0o555);
		const files = [join(dir, 'missing', 'cases.db'), join(unwritable, 'cases.db')];
		const fds = () => readdirSync('/proc/self/fd').length;
		const before = fds();
		for (let i = 0; i < 20; i++)
			for (const file of files) {
				const e = await openStore({ type: 'sqlite', file }).catch((x: Error) => x);
				expect(e).toBeInstanceOf(RecoveryInputError);
			}
		// A leaked handle per failed open would leave 40 more descriptors open.
		expect(fds()).toBeLessThan(before + 5);
	});

	test('a file that is not a database is refused and its handle closed', async () => {
		const file = join(dir, 'notes.db');
		writeFileSync(file, 'these are not the cases you are looking for\n'.repeat(200));
		const fds = () => readdirSync('/proc/self/fd').length;
		const before = fds();
		for (let i = 0; i < 20; i++) {
			const e = await openStore({ type: 'sqlite', file }).catch((x: Error) => x);
			expect(e).toBeInstanceOf(RecoveryInputError);
			expect((e as Error).message).toContain('It is not a SQLite database');
		}
		// A leaked handle per failed open would leave 20 more descriptors open on the file.
		expect(fds()).toBeLessThan(before + 5);
	});
});
