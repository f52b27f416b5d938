// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
	{ ignores: ['dist/**', 'examples/**', 'node_modules/**', 'coverage/**', '.cache/**', '.demo/**'] },
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		files: ['**/*.ts'],
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
			'@typescript-eslint/no-explicit-any': 'error',
			'no-control-regex': 'off',
		},
	},
	{
		files: ['**/*.js'],
		languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', exports: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
		rules: { '@typescript-eslint/no-require-imports': 'off' },
	},
	{
		// core/ is framework-free: it must never import n8n or Node-RED.
		files: ['core/**/*.ts'],
		rules: { 'no-restricted-imports': ['error', { patterns: ['n8n-*', 'node-red*', '@node-red/*'] }] },
	},
);
