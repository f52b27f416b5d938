import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProfile } from '../core';
import pkg from '../package.json';

const ROOT = join(__dirname, '..');
const names = (dir: string) =>
	readdirSync(join(ROOT, dir))
		.filter((f) => f.endsWith('.json'))
		.map((f) => f.replace(/\.json$/, ''))
		.sort();
const OURS = 'missed-call-recovery';
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
/** The `name.json` files a page names, as template names. */
const named = (text: string) => [...new Set([...text.matchAll(/`([a-z0-9-]+)\.json`/g)].map((m) => m[1]))].sort();

/**
 * The Node-RED node types the package registers, read from the editor files of the modules package.json lists
 * (one module may register several, as the config module does).
 */
const nodeRedTypes = Object.values(pkg['node-red'].nodes).flatMap((js) =>
	[...read(js.replace(/^dist\//, '').replace(/\.js$/, '.html')).matchAll(/registerType\('([^']+)'/g)].map((m) => m[1]),
);

/**
 * The templates are what workflows/ and flows/ hold: nothing else lists them, so every other place that names them is
 * checked against these folders, and a template added or removed anywhere else fails here.
 */
const TEMPLATES = names('flows');
const SECRET_LIKE = new RegExp(
	String.raw`(AC[0-9a-f]{32}|SK[0-9a-f]{32}|xox[abp]-|hooks\.slack\.com\/services\/T[A-Z0-9]{6,}|` +
		String.raw`"authToken"\s*:\s*"[^"]+"|"password"\s*:\s*"[^"]+")`,
);

describe('the templates', () => {
	test('the same templates ship for n8n and for Node-RED, the Node-RED ones as the package examples', () => {
		expect(TEMPLATES.length).toBeGreaterThan(0);
		expect(names('workflows')).toEqual(TEMPLATES);
		// package.json ships examples/, which the build fills with flows/*.json (Node-RED's Import > Examples).
		expect(pkg.files).toContain('examples');
		expect(read('gulpfile.js')).toMatch(/src\('flows\/\*\.json'[^)]*\)\.pipe\(dest\('examples'\)\)/);
	});

	test('each catalogue, the README and the end-to-end suites name exactly the templates there are', () => {
		for (const dir of ['workflows', 'flows']) {
			expect({ dir, listed: named(read(`${dir}/README.md`)) }).toEqual({ dir, listed: TEMPLATES });
			const pictures = readdirSync(join(ROOT, dir, 'images')).map((f) => f.replace(/\.png$/, ''));
			expect({ dir, pictures: pictures.sort() }).toEqual({ dir, pictures: TEMPLATES });
		}
		const table = read('README.md').split('## Templates')[1].split('\n## ')[0];
		expect([...table.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]).sort()).toEqual(TEMPLATES);
		// The end-to-end runs play every template; a new one they do not name would ship unplayed.
		// The AI assistant's n8n template is played by its own suite, beside the local OpenAI-compatible server.
		const suites = {
			n8n: ['test/e2e/n8n.e2e.test.ts', 'test/e2e/assistant-n8n.e2e.test.ts'],
			'node-red': ['test/e2e/node-red-templates.e2e.test.ts'],
		};
		for (const [runtime, files] of Object.entries(suites)) {
			const text = files.map(read).join('\n');
			for (const t of TEMPLATES)
				expect({ runtime, t, played: text.includes(`'${t}'`) }).toEqual({ runtime, t, played: true });
		}
	});

	describe.each(names('workflows'))('n8n %s', (name) => {
		const wf = JSON.parse(readFileSync(join(ROOT, 'workflows', `${name}.json`), 'utf8')) as {
			nodes: {
				name: string;
				type: string;
				parameters: Record<string, unknown>;
				credentials?: Record<string, { id: string }>;
				webhookId?: string;
			}[];
			connections: Record<string, Record<string, { node: string; type: string }[][]>>;
		};
		const ourTypes = pkg.n8n.nodes
			.map((p) => p.split('/').pop()!.replace('.node.js', ''))
			.map((t) => `@recovery-loop/n8n-nodes-${OURS}.${t[0].toLowerCase()}${t.slice(1)}`);
		/** n8n's AI nodes (agent, chat models, memory), and our nodes as an agent's tools (n8n's "...Tool" variant). */
		const AI_NODES = ['agent', 'lmChatOpenAi', 'memoryBufferWindow'].map((t) => `@n8n/n8n-nodes-langchain.${t}`);
		const known = (type: string) =>
			type.startsWith('n8n-nodes-base.') ||
			ourTypes.includes(type) ||
			ourTypes.includes(type.replace(/Tool$/, '')) ||
			AI_NODES.includes(type);

		test('every node type exists and every connection joins two nodes of the workflow', () => {
			const byName = new Set(wf.nodes.map((n) => n.name));
			expect(byName.size).toBe(wf.nodes.length);
			for (const n of wf.nodes) expect({ type: n.type, known: known(n.type) }).toEqual({ type: n.type, known: true });
			for (const [from, out] of Object.entries(wf.connections)) {
				expect(byName.has(from)).toBe(true);
				// main, and the AI kinds (ai_languageModel, ai_memory, ai_tool), each into an input of the same kind
				for (const [kind, targets] of Object.entries(out))
					for (const t of targets.flat()) expect({ from, kind, to: t.type }).toEqual({ from, kind, to: kind });
				for (const t of Object.values(out).flat(2))
					expect({ from, to: t.node, exists: byName.has(t.node) }).toEqual({ from, to: t.node, exists: true });
			}
		});

		test('credentials are named placeholders, sticky notes say what to fill in, and no secret is inside', () => {
			const text = JSON.stringify(wf);
			expect(text).not.toMatch(SECRET_LIKE);
			// n8n's expression sandbox refuses any property named "caller": the nodes give callerPhone instead.
			expect(text).not.toMatch(/\.caller\b/);
			for (const n of wf.nodes)
				for (const k of Object.values(n.credentials ?? {})) expect(k.id).toMatch(/^REPLACE_[A-Z_]+_CREDENTIAL_ID$/);
			const notes = wf.nodes
				.filter((n) => n.type === 'n8n-nodes-base.stickyNote')
				.map((n) => String(n.parameters.content));
			expect(notes.join('\n')).toMatch(/credential/i);
		});
	});

	test('n8n webhook ids are unique across templates, so every template can be active at once', () => {
		const ids = names('workflows').flatMap((n) =>
			(JSON.parse(readFileSync(join(ROOT, 'workflows', `${n}.json`), 'utf8')).nodes as { webhookId?: string }[])
				.map((x) => x.webhookId)
				.filter(Boolean),
		);
		expect(new Set(ids).size).toBe(ids.length);
	});

	describe.each(names('flows'))('Node-RED %s', (name) => {
		const flow = JSON.parse(readFileSync(join(ROOT, 'flows', `${name}.json`), 'utf8')) as Record<string, unknown>[];
		const core = [
			'tab',
			'comment',
			'debug',
			'inject',
			'function',
			'delay',
			'http in',
			'http response',
			'http request',
			'change',
			'switch',
		];

		test(`every type is known, every wire and config reference points at a node of the flow, and it has \
its own tab`, () => {
			const ids = new Set(flow.map((n) => n.id as string));
			expect(ids.size).toBe(flow.length);
			expect(flow.filter((n) => n.type === 'tab')).toHaveLength(1);
			for (const n of flow) {
				expect([...core, ...nodeRedTypes]).toContain(n.type);
				for (const w of ((n.wires as string[][]) ?? []).flat())
					expect({ from: n.id, to: w, exists: ids.has(w) }).toEqual({ from: n.id, to: w, exists: true });
				for (const ref of ['store', 'business', 'twilio', 'z'])
					if (n[ref]) expect(ids.has(n[ref] as string)).toBe(true);
			}
		});

		test('comments say what to fill in, the business profiles are valid, and no secret or credential is inside', () => {
			expect(JSON.stringify(flow)).not.toMatch(SECRET_LIKE);
			for (const n of flow) expect(n.credentials).toBeUndefined();
			expect(flow.some((n) => n.type === 'comment')).toBe(true);
			for (const b of flow.filter((n) => n.type === 'mcr-business'))
				for (const p of [JSON.parse(String(b.profile))].flat()) expect(() => parseProfile(p)).not.toThrow();
		});
	});
});
