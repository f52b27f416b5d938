// Lets a plain Node child process (a second worker in a multi-process test) require the TypeScript sources as they
// are now, instead of a dist/ build that may be stale: each .ts file is transpiled on require, without type checks.
const fs = require('node:fs');
const ts = require('typescript');

const options = {
	module: ts.ModuleKind.CommonJS,
	target: ts.ScriptTarget.ES2022,
	esModuleInterop: true,
	resolveJsonModule: true,
};

require.extensions['.ts'] = (module, file) => {
	const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file });
	module._compile(out.outputText, file);
};
