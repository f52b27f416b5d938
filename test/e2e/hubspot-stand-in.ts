import { createServer, type Server } from 'node:http';

/**
 * A local stand-in for HubSpot's CRM v3 API (contacts and tasks): checks each request against HubSpot's documented
 * shape (bearer token, JSON properties as strings, task enums, the task-to-contact association) and answers as HubSpot does.
 */
export class HubSpotStandIn {
	readonly contacts: { id: string; properties: Record<string, string> }[] = [];
	readonly tasks: { id: string; properties: Record<string, string>; contactId: string }[] = [];
	readonly rejected: string[] = [];
	private server?: Server;
	private next = 5000;
	url = '';
	constructor(private readonly token: string) {}

	async start(): Promise<void> {
		this.server = createServer((req, res) => {
			let raw = '';
			req.on('data', (c) => (raw += c));
			req.on('end', () => {
				const fail = (status: number, category: string, message: string) => {
					this.rejected.push(`${req.method} ${req.url}: ${message}`);
					res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', message, category, correlationId: '00000000-0000-0000-0000-000000000000' }));
				};
				if (req.headers.authorization !== `Bearer ${this.token}`) return fail(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.');
				if (req.method !== 'POST') return fail(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed`);
				if (!String(req.headers['content-type']).startsWith('application/json')) return fail(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
				let body: { properties?: Record<string, unknown>; associations?: { to?: { id?: string }; types?: { associationCategory?: string; associationTypeId?: number }[] }[] };
				try {
					body = JSON.parse(raw);
				} catch {
					return fail(400, 'VALIDATION_ERROR', 'Invalid input JSON');
				}
				const props = body.properties ?? {};
				if (Object.values(props).some((v) => typeof v !== 'string')) return fail(400, 'VALIDATION_ERROR', 'Property values were not valid: every value must be a string');
				const now = new Date().toISOString();
				const created = (id: string) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id, properties: { ...props, hs_object_id: id }, createdAt: now, updatedAt: now, archived: false }));
				if (req.url === '/crm/v3/objects/contacts') {
					if (!/^\+[1-9]\d{6,14}$/.test(String(props.phone ?? ''))) return fail(400, 'VALIDATION_ERROR', `phone ${String(props.phone)} is not a phone number`);
					const id = String(this.next++);
					this.contacts.push({ id, properties: props as Record<string, string> });
					return created(id);
				}
				if (req.url === '/crm/v3/objects/tasks') {
					if (!props.hs_timestamp || Number.isNaN(Date.parse(String(props.hs_timestamp)))) return fail(400, 'VALIDATION_ERROR', 'hs_timestamp is required (ISO 8601 or epoch milliseconds)');
					if (!props.hs_task_subject) return fail(400, 'VALIDATION_ERROR', 'hs_task_subject is required');
					if (!['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'COMPLETED', 'DEFERRED'].includes(String(props.hs_task_status))) return fail(400, 'VALIDATION_ERROR', `hs_task_status ${String(props.hs_task_status)} is not an allowed option`);
					if (!['LOW', 'MEDIUM', 'HIGH'].includes(String(props.hs_task_priority))) return fail(400, 'VALIDATION_ERROR', `hs_task_priority ${String(props.hs_task_priority)} is not an allowed option`);
					const a = body.associations?.[0];
					const contact = this.contacts.find((c) => c.id === String(a?.to?.id));
					if (!contact || a?.types?.[0]?.associationCategory !== 'HUBSPOT_DEFINED' || a.types[0].associationTypeId !== 204) return fail(400, 'VALIDATION_ERROR', 'associations must link the task to an existing contact (HUBSPOT_DEFINED 204)');
					const id = String(this.next++);
					this.tasks.push({ id, properties: props as Record<string, string>, contactId: contact.id });
					return created(id);
				}
				return fail(404, 'OBJECT_NOT_FOUND', `${req.url} is not a HubSpot endpoint this stand-in knows`);
			});
		});
		await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
		this.url = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
	}

	stop(): Promise<void> {
		return new Promise((r) => this.server?.close(() => r()) ?? r());
	}
}

/** A Cal.com BOOKING_CREATED webhook body, as Cal.com sends it, for a booking made from the texted link. */
export function calBooking(caseId: string, phone: string): Record<string, unknown> {
	const start = new Date(Date.now() + 86400e3);
	return {
		triggerEvent: 'BOOKING_CREATED',
		createdAt: new Date().toISOString(),
		payload: {
			type: 'visit', title: 'Visit between Acme Plumbing and Caller', startTime: start.toISOString(), endTime: new Date(start.getTime() + 3600e3).toISOString(),
			uid: 'bk_e2e_0001', organizer: { name: 'Acme Plumbing', email: 'office@acme.example', timeZone: 'America/Chicago' },
			attendees: [{ name: 'Caller', email: 'caller@example.com', timeZone: 'America/Chicago', phoneNumber: phone }],
			metadata: { caseId },
		},
	};
}

type Handler = (req: { method: string; path: string; query: URLSearchParams; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }) => { status: number; body: unknown } | string;

/** A small JSON API stand-in: a handler answers with a response or names the rule the request broke (answered 400). */
class JsonStandIn {
	readonly rejected: string[] = [];
	private server?: Server;
	url = '';
	constructor(private readonly handle: Handler) {}
	async start(): Promise<void> {
		this.server = createServer((req, res) => {
			let raw = '';
			req.on('data', (c) => (raw += c));
			req.on('end', () => {
				const u = new URL(req.url ?? '/', 'http://stand-in');
				let body: Record<string, unknown> = {};
				try {
					body = raw ? JSON.parse(raw) : {};
				} catch {
					body = { __invalid: raw };
				}
				const out = String(req.headers['content-type']).startsWith('application/json') ? this.handle({ method: req.method ?? '', path: u.pathname, query: u.searchParams, headers: req.headers, body }) : 'Content-Type must be application/json';
				if (typeof out === 'string') {
					this.rejected.push(`${req.method} ${u.pathname}: ${out}`);
					res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ success: false, error: out, statusCode: 400, message: out }));
				} else res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
			});
		});
		await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
		this.url = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
	}
	stop(): Promise<void> {
		return new Promise((r) => this.server?.close(() => r()) ?? r());
	}
}

/** Pipedrive API v1 (persons, activities): api_token in the query, phone as a list of labelled values, call activities. */
export class PipedriveStandIn extends JsonStandIn {
	readonly persons: { id: number; name: string; phone: string }[] = [];
	readonly activities: { id: number; personId: number; subject: string; note: string }[] = [];
	constructor(token: string) {
		let next = 100;
		super(({ method, path, query, body }) => {
			if (query.get('api_token') !== token) return 'unauthorized: api_token missing or wrong';
			if (method !== 'POST') return `${method} not allowed`;
			if (path === '/api/v1/persons') {
				const phone = (body.phone as { value?: string; primary?: boolean }[] | undefined)?.[0];
				if (typeof body.name !== 'string' || !body.name) return 'name is required';
				if (!phone || !/^\+[1-9]\d{6,14}$/.test(String(phone.value))) return 'phone must be a list of { value, primary, label }';
				const p = { id: next++, name: body.name, phone: String(phone.value) };
				this.persons.push(p);
				return { status: 201, body: { success: true, data: { id: p.id, name: p.name, phone: [{ value: p.phone, primary: true, label: 'mobile' }] } } };
			}
			if (path === '/api/v1/activities') {
				if (body.type !== 'call') return `type ${String(body.type)} is not an activity type of this account`;
				if (!/^\d{4}-\d{2}-\d{2}$/.test(String(body.due_date)) || !/^\d{2}:\d{2}$/.test(String(body.due_time))) return 'due_date must be YYYY-MM-DD and due_time HH:MM';
				if (!this.persons.some((p) => p.id === body.person_id)) return `person_id ${String(body.person_id)} does not exist`;
				const a = { id: next++, personId: Number(body.person_id), subject: String(body.subject), note: String(body.note ?? '') };
				this.activities.push(a);
				return { status: 201, body: { success: true, data: { id: a.id, subject: a.subject, person_id: a.personId, done: false } } };
			}
			return `${path} is not a Pipedrive endpoint this stand-in knows`;
		});
	}
}

/** GoHighLevel API v2 (contacts upsert, contact tasks): bearer token, the Version header, the location id. */
export class HighLevelStandIn extends JsonStandIn {
	readonly contacts: { id: string; phone: string; locationId: string }[] = [];
	readonly tasks: { id: string; contactId: string; title: string; body: string }[] = [];
	constructor(token: string, locationId: string) {
		let next = 1;
		super(({ method, path, headers, body }) => {
			if (headers.authorization !== `Bearer ${token}`) return 'Invalid JWT';
			if (headers.version !== '2021-07-28') return 'the Version header must be 2021-07-28';
			if (method !== 'POST') return `${method} not allowed`;
			if (path === '/contacts/upsert') {
				if (body.locationId !== locationId) return `locationId ${String(body.locationId)} is not this sub-account`;
				if (!/^\+[1-9]\d{6,14}$/.test(String(body.phone))) return 'phone must be E.164';
				const existing = this.contacts.find((c) => c.phone === body.phone);
				const c = existing ?? { id: `ct${next++}`, phone: String(body.phone), locationId };
				if (!existing) this.contacts.push(c);
				return { status: existing ? 200 : 201, body: { new: !existing, contact: { id: c.id, phone: c.phone, locationId } } };
			}
			const m = /^\/contacts\/([^/]+)\/tasks$/.exec(path);
			if (m) {
				if (!this.contacts.some((c) => c.id === m[1])) return `contact ${m[1]} not found`;
				if (typeof body.title !== 'string' || Number.isNaN(Date.parse(String(body.dueDate))) || typeof body.completed !== 'boolean') return 'title, dueDate (ISO) and completed are required';
				const t = { id: `tk${next++}`, contactId: m[1], title: body.title, body: String(body.body ?? '') };
				this.tasks.push(t);
				return { status: 201, body: { task: { id: t.id, title: t.title, contactId: t.contactId, dueDate: body.dueDate, completed: false } } };
			}
			return `${path} is not a GoHighLevel endpoint this stand-in knows`;
		});
	}
}
