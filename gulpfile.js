// Copies what tsc does not: icons, Node-RED .html files and locales beside the compiled nodes in dist/,
// and the Node-RED flows into examples/, where Import > Examples finds them.
const { src, dest, parallel } = require('gulp');

function nodeAssets() {
	return src(['nodes/**/*.{png,svg,html,json}', '!nodes/**/*.test.*'], { encoding: false }).pipe(dest('dist/nodes'));
}

function credentialAssets() {
	return src('credentials/**/*.{png,svg}', { encoding: false, allowEmpty: true }).pipe(dest('dist/credentials'));
}

function examples() {
	return src('flows/*.json', { allowEmpty: true }).pipe(dest('examples'));
}

exports.build = parallel(nodeAssets, credentialAssets, examples);
exports.default = exports.build;
