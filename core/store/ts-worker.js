// A worker thread's entry when the pack runs from its TypeScript sources (ts-jest, or a script required through a
// TypeScript hook), where no compiled .js sits beside the module that starts the worker: Node starts workers only
// from .js files, so this one transpiles the .ts named in workerData.entry with the typescript devDependency and
// runs it. Compiled builds never use it (dist holds the worker's .js, and tsc does not copy this file there).
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { threadId, workerData } = require('node:worker_threads');

// Transpiled sources are kept in the repository's git-ignored .cache, keyed by their content and the compiler's
// version: loading the compiler costs about a quarter of a second of CPU, in every worker every store starts.
const cacheDir = join(__dirname, '..', '..', '.cache', 'ts-worker');

function transpile(file) {
	const source = readFileSync(file, 'utf8');
	const version = require('typescript/package.json').version;
	const key = createHash('sha256').update(`${version}\0${file}\0${source}`).digest('hex');
	const cached = join(cacheDir, `${key}.js`);
	try {
		return readFileSync(cached, 'utf8');
	} catch {
		// not transpiled yet
	}
	const ts = require('typescript');
	const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
	const output = ts.transpileModule(source, { compilerOptions, fileName: file }).outputText;
	try {
		mkdirSync(cacheDir, { recursive: true });
		// Written aside and renamed: a worker starting meanwhile reads the whole file or none.
		const partial = `${cached}.${process.pid}-${threadId}`;
		writeFileSync(partial, output);
		renameSync(partial, cached);
	} catch {
		// a read-only checkout transpiles every time
	}
	return output;
}

require.extensions['.ts'] = (module, file) => module._compile(transpile(file), file);
require(workerData.entry);
