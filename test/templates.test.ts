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
const SECRET_LIKE = new RegExp(
	String.raw`(AC[0-9a-f]{32}|SK[0-9a-f]{32}|xox[abp]-|hooks\.slack\.com\/services\/T[A-Z0-9]{6,}|` +
		String.raw`"authToken"\s*:\s*"[^"]+"|"password"\s*:\s*"[^"]+")`,
);

describe('the templates', () => {
	test('the same six templates ship for n8n and for Node-RED, each with a catalogue entry', () => {
		expect(names('workflows')).toEqual(names('flows'));
		expect(names('workflows')).toEqual(
			[
				'after-hours-emergency',
				'agency-multi-client',
				'daily-report-and-overdue',
				'full-loop-crm-calendar',
				'quick-start-text-back',
				'voicemail-to-action',
			].sort(),
		);
		for (const dir of ['workflows', 'flows']) {
			const catalogue = readFileSync(join(ROOT, dir, 'README.md'), 'utf8');
			for (const n of names(dir))
				expect({ dir, n, listed: catalogue.includes(`${n}.json`) }).toEqual({ dir, n, listed: true });
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
			connections: Record<string, { main: { node: string }[][] }>;
		};
		const ourTypes = pkg.n8n.nodes
			.map((p) => p.split('/').pop()!.replace('.node.js', ''))
			.map((t) => `@recovery-loop/n8n-nodes-${OURS}.${t[0].toLowerCase()}${t.slice(1)}`);

		test('every node type exists and every connection joins two nodes of the workflow', () => {
			const byName = new Set(wf.nodes.map((n) => n.name));
			expect(byName.size).toBe(wf.nodes.length);
			for (const n of wf.nodes) expect(n.type.startsWith('n8n-nodes-base.') || ourTypes.includes(n.type)).toBe(true);
			for (const [from, out] of Object.entries(wf.connections)) {
				expect(byName.has(from)).toBe(true);
				for (const t of out.main.flat())
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
		const ourTypes = Object.keys(pkg['node-red'].nodes).length
			? [
					'missed-call-trigger',
					'mcr-acknowledge',
					'urgency-classifier',
					'owner-router',
					'recovery-tracker',
					'recovery-overdue',
					'mcr-twilio-account',
					'mcr-store',
					'mcr-business',
				]
			: [];
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
				expect([...core, ...ourTypes]).toContain(n.type);
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
