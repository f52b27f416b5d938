import { statSync } from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

/** What the store hands its checkpoint thread. */
export interface CheckpointerData {
	/** The database file (the thread opens a connection of its own to it). */
	file: string;
	/** Which SQLite the store loaded: `node:sqlite`, or `better-sqlite3` found at `driver`. */
	engine: string;
	/** better-sqlite3's resolved path, so the thread loads the very module the store did. */
	driver?: string;
	/** The file's device and inode when the store opened it (none for a URI name): the thread opens only that file. */
	fileId?: string;
	everyMs: number;
}

/** What the store posts to the thread: `close` asks for a last checkpoint, then to close its connection and end. */
export type CheckpointerMessage = 'close';

interface Connection {
	exec(sql: string): void;
	close(): void;
}
type ConnectionClass = new (file: string, options?: { fileMustExist?: boolean }) => Connection;

/**
 * The store's own file, or nothing: a thread that starts after the file was deleted would otherwise create an empty
 * database in its place (SQLite creates a missing file), and one that starts after it was replaced would checkpoint
 * another database. The store then refuses writes and says which happened.
 */
function open(data: CheckpointerData): Connection | undefined {
	if (data.fileId !== undefined) {
		const s = statSync(data.file, { throwIfNoEntry: false });
		if (!s || `${s.dev}:${s.ino}` !== data.fileId) return undefined;
	}
	/* eslint-disable @typescript-eslint/no-require-imports */
	const Database: ConnectionClass =
		data.engine === 'node:sqlite'
			? (require('node:sqlite') as { DatabaseSync: ConnectionClass }).DatabaseSync
			: (require(data.driver ?? 'better-sqlite3') as ConnectionClass);
	/* eslint-enable @typescript-eslint/no-require-imports */
	try {
		return data.engine === 'node:sqlite' ? new Database(data.file) : new Database(data.file, { fileMustExist: true });
	} catch {
		return undefined; // gone between the check and the open
	}
}

/**
 * The checkpoint thread: its own connection to the same file, a PASSIVE checkpoint (never blocks a writer) on a timer,
 * so no request of the store's own connection waits for one.
 */
function run(port: MessagePort, data: CheckpointerData): void {
	const db = open(data);
	db?.exec('PRAGMA busy_timeout = 1000');
	const checkpoint = () => {
		try {
			db?.exec('PRAGMA wal_checkpoint(PASSIVE)');
		} catch {
			// busy: the next tick tries again
		}
	};
	// With no file of its own the thread only waits for close, so close() is answered as before.
	const timer = db ? setInterval(checkpoint, data.everyMs) : undefined;
	port.on('message', (m: CheckpointerMessage) => {
		if (m !== 'close') return;
		clearInterval(timer);
		checkpoint();
		db?.close();
		port.close();
	});
}

// Only ever started as a worker (the store imports nothing but its types): on the main thread there is no port.
if (parentPort) run(parentPort, workerData as CheckpointerData);
