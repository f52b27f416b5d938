// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const n8n = require('@n8n/eslint-plugin-community-nodes');

module.exports = tseslint.config(
	{ ignores: ['dist/**', 'examples/**', 'node_modules/**', 'coverage/**', '.cache/**', '.demo/**'] },
	...[js.configs.recommended, ...tseslint.configs.recommended].map((c) => ({ ...c, files: ['**/*.ts', '**/*.js'] })),
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
		languageOptions: {
			sourceType: 'commonjs',
			globals: {
				require: 'readonly',
				module: 'writable',
				exports: 'writable',
				process: 'readonly',
				console: 'readonly',
				__dirname: 'readonly',
			},
		},
		rules: { '@typescript-eslint/no-require-imports': 'off' },
	},
	{
		// n8n's own community-node rules on the n8n nodes and credentials. The pack has runtime dependencies
		// (twilio, pg, zod, luxon...), so the n8n Cloud variant's no-dependency rules cannot apply: see README.
		files: ['nodes/**/*.node.ts', 'credentials/**/*.ts', 'package.json'],
		...n8n.configs.recommendedWithoutN8nCloudSupport,
		// The plugin reads package.json as an expression through the TypeScript parser.
		languageOptions: { parser: tseslint.parser },
		rules: {
			...n8n.configs.recommendedWithoutN8nCloudSupport.rules,
			// Cannot be met: the pack runs on self-hosted n8n and Node-RED with the official twilio SDK, pg and
			// better-sqlite3. core/ reaches them through interfaces so an n8n Cloud build can swap them (README).
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		// core/ is framework-free: it must never import n8n or Node-RED.
		files: ['core/**/*.ts'],
		rules: {
			'no-restricted-imports': ['error', { patterns: ['n8n-*', 'node-red*', '@node-red/*'] }],
			// A business's zone goes through zoneOf (core/profile/zone.ts): luxon's own IANA zone asks Intl for every
			// offset, a tenth of the loop's CPU. A zone name handed to luxon directly would quietly bring that back.
			'no-restricted-syntax': [
				'error',
				{
					selector:
						"CallExpression[callee.property.name='setZone']" +
						":not([arguments.0.callee.name='zoneOf']):not([arguments.0.value=/^utc$/i])",
					message: 'Pass the zone through zoneOf() (core/profile/zone.ts).',
				},
				{
					selector:
						"CallExpression[callee.object.name='DateTime'] " +
						"Property[key.name='zone']:not([value.callee.name='zoneOf']):not([value.value=/^utc$/i])",
					message: 'Pass the zone through zoneOf() (core/profile/zone.ts).',
				},
				{
					selector:
						"CallExpression[callee.name='instant'][arguments.length>1]" +
						":not([arguments.1.callee.name='zoneOf']):not([arguments.1.value=/^utc$/i])",
					message: 'Pass the zone through zoneOf() (core/profile/zone.ts).',
				},
			],
		},
	},
);
