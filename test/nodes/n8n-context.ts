import type { INode, INodeExecutionData } from 'n8n-workflow';

/**
 * A minimal stand-in for n8n's execution, webhook and poll contexts: parameters, credentials, items,
 * request and response. The nodes under test run their real code against a real store and the local
 * Twilio-compatible server; only n8n's host is replaced.
 */
export interface FakeOptions {
	/** n8n's execution mode: 'manual' when someone clicks Fetch Test Event or Execute step in the editor. */
	mode?: 'manual' | 'trigger' | 'webhook';
	params: Record<string, unknown> | ((name: string, i: number) => unknown);
	credentials: Record<string, Record<string, unknown>>;
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	request?: { body: unknown; headers: Record<string, string>; originalUrl: string };
	webhookUrl?: string;
	staticData?: Record<string, unknown>;
}

export function fakeContext(o: FakeOptions) {
	const node: INode = {
		id: 'n1',
		name: 'Node Under Test',
		type: 'test',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const response = {
		statusCode: 0,
		contentType: '',
		body: '',
		status(n: number) {
			this.statusCode = n;
			return this;
		},
		type(t: string) {
			this.contentType = t;
			return this;
		},
		send(b: string) {
			this.body = b;
			return this;
		},
		headers: {} as Record<string, string>,
		setHeader(name: string, value: string) {
			this.headers[name.toLowerCase()] = value;
			return this;
		},
	};
	const param = (name: string, i = 0, fallback?: unknown) => {
		const v = typeof o.params === 'function' ? o.params(name, i) : o.params[name];
		return v === undefined ? fallback : v;
	};
	const ctx = {
		getNode: () => node,
		getMode: () => o.mode ?? 'trigger',
		getNodeParameter: (name: string, a?: unknown, b?: unknown) =>
			typeof a === 'number' ? param(name, a, b) : param(name, 0, a),
		getCredentials: async (type: string) => {
			if (!o.credentials[type]) throw new Error(`no credential ${type}`);
			return o.credentials[type];
		},
		getInputData: () => o.items ?? [{ json: {} }],
		continueOnFail: () => !!o.continueOnFail,
		getRequestObject: () => o.request,
		getResponseObject: () => response,
		getNodeWebhookUrl: () => o.webhookUrl,
		getWorkflowStaticData: () => (o.staticData ??= {}),
		logger: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined },
	};
	return { ctx: ctx as never, response };
}
