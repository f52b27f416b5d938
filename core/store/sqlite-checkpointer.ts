import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

/** What the store hands its checkpoint thread. */
export interface CheckpointerData {
	/** The database file (the thread opens a connection of its own to it). */
	file: string;
	/** Which SQLite the store loaded: `node:sqlite`, or `better-sqlite3` found at `driver`. */
	engine: string;
	/** better-sqlite3's resolved path, so the thread loads the very module the store did. */
	driver?: string;
	everyMs: number;
}

/** What the store posts to the thread: `close` asks for a last checkpoint, then to close its connection and end. */
export type CheckpointerMessage = 'close';

interface Connection {
	exec(sql: string): void;
	close(): void;
}
type ConnectionClass = new (file: string) => Connection;

function open(data: CheckpointerData): Connection {
	/* eslint-disable @typescript-eslint/no-require-imports */
	const Database: ConnectionClass =
		data.engine === 'node:sqlite'
			? (require('node:sqlite') as { DatabaseSync: ConnectionClass }).DatabaseSync
			: (require(data.driver ?? 'better-sqlite3') as ConnectionClass);
	/* eslint-enable @typescript-eslint/no-require-imports */
	return new Database(data.file);
}

/**
 * The checkpoint thread: its own connection to the same file, a PASSIVE checkpoint (never blocks a writer) on a timer,
 * so no request of the store's own connection waits for one.
 */
function run(port: MessagePort, data: CheckpointerData): void {
	const db = open(data);
	db.exec('PRAGMA busy_timeout = 1000');
	const checkpoint = () => {
		try {
			db.exec('PRAGMA wal_checkpoint(PASSIVE)');
		} catch {
			// busy: the next tick tries again
		}
	};
	const timer = setInterval(checkpoint, data.everyMs);
	port.on('message', (m: CheckpointerMessage) => {
		if (m !== 'close') return;
		clearInterval(timer);
		checkpoint();
		db.close();
		port.close();
	});
}

// Only ever started as a worker (the store imports nothing but its types): on the main thread there is no port.
if (parentPort) run(parentPort, workerData as CheckpointerData);
