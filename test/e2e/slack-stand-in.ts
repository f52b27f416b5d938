import { createServer, type Server } from 'node:http';

/** A local stand-in for Slack's incoming webhooks: checks each request against Slack's documented shape. */
export class SlackStandIn {
	readonly posts: { text: string; blocks?: { type: string }[] }[] = [];
	readonly rejected: string[] = [];
	private server?: Server;
	url = '';
	async start(): Promise<void> {
		this.server = createServer((req, res) => {
			let body = '';
			req.on('data', (c) => (body += c));
			req.on('end', () => {
				const problem = (() => {
					if (req.method !== 'POST') return `method ${req.method}`;
					if (!/^\/services\/T\w+\/B\w+\/\w+$/.test(req.url ?? '')) return `path ${req.url}`;
					if (!String(req.headers['content-type']).startsWith('application/json'))
						return `content-type ${req.headers['content-type']}`;
					let j: { text?: unknown; blocks?: unknown };
					try {
						j = JSON.parse(body);
					} catch {
						return 'invalid_payload';
					}
					if (typeof j.text !== 'string' || !j.text) return 'no_text';
					if (
						j.blocks !== undefined &&
						(!Array.isArray(j.blocks) ||
							j.blocks.some(
								(b) =>
									!['header', 'section', 'context', 'divider', 'actions'].includes((b as { type?: string }).type ?? ''),
							))
					)
						return 'invalid_blocks';
					this.posts.push(j as SlackStandIn['posts'][number]);
					return undefined;
				})();
				if (problem) {
					this.rejected.push(problem);
					res.writeHead(400, { 'content-type': 'text/plain' }).end(problem);
				} else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
			});
		});
		await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
		this.url = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}/services/T0001/B0001/e2eXXXXXXXX`;
	}
	stop(): Promise<void> {
		return new Promise((r) => this.server?.close(() => r()) ?? r());
	}
}
