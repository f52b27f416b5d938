import { createServer, type Server } from 'node:http';
import { SlackStandIn } from './slack-stand-in';

type Request = {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: Record<string, string | string[] | undefined>;
	body: Record<string, unknown>;
};
/** An answer, or the rule the request broke: a string (answered 400) or a status with it. */
type Handler = (req: Request) => { status: number; body: unknown } | string | { reject: string; status: number };

/**
 * A small JSON API stand-in: checks the content type, parses the body, and lets a handler answer or name the broken
 * rule.
 */
class JsonStandIn {
	readonly rejected: string[] = [];
	private server?: Server;
	url = '';
	constructor(
		private readonly handle: Handler,
		private readonly errorBody: (message: string, status: number) => unknown = (message, status) => ({
			success: false,
			error: message,
			statusCode: status,
			message,
		}),
	) {}
	async start(): Promise<void> {
		this.server = createServer((req, res) => {
			let raw = '';
			req.on('data', (c) => (raw += c));
			req.on('end', () => {
				const u = new URL(req.url ?? '/', 'http://stand-in');
				const reject = (status: number, message: string) => {
					this.rejected.push(`${req.method} ${u.pathname}: ${message}`);
					res
						.writeHead(status, { 'content-type': 'application/json' })
						.end(JSON.stringify(this.errorBody(message, status)));
				};
				let body: Record<string, unknown> = {};
				try {
					body = raw ? JSON.parse(raw) : {};
				} catch {
					body = { __invalid: raw };
				}
				if (!String(req.headers['content-type']).startsWith('application/json'))
					return reject(415, 'Content-Type must be application/json');
				const out = this.handle({
					method: req.method ?? '',
					path: u.pathname,
					query: u.searchParams,
					headers: req.headers,
					body,
				});
				if (typeof out === 'string') return reject(400, out);
				if ('reject' in out) return reject(out.status, out.reject);
				res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
			});
		});
		await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
		this.url = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
	}
	stop(): Promise<void> {
		return new Promise((r) => this.server?.close(() => r()) ?? r());
	}
}

const HUBSPOT_CATEGORY: Record<number, string> = {
	400: 'VALIDATION_ERROR',
	401: 'INVALID_AUTHENTICATION',
	404: 'OBJECT_NOT_FOUND',
	405: 'METHOD_NOT_ALLOWED',
	415: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * HubSpot's CRM v3 API (contacts and tasks): checks each request against HubSpot's documented shape (bearer token,
 * JSON properties as strings, task enums, the task-to-contact association) and answers, and fails, as HubSpot does.
 */
export class HubSpotStandIn extends JsonStandIn {
	readonly contacts: { id: string; properties: Record<string, string> }[] = [];
	readonly tasks: { id: string; properties: Record<string, string>; contactId: string }[] = [];
	constructor(token: string) {
		let next = 5000;
		super(
			({ method, path, headers, body: raw }) => {
				if (headers.authorization !== `Bearer ${token}`)
					return { status: 401, reject: 'Authentication credentials not found.' };
				if (method !== 'POST') return { status: 405, reject: `${method} is not allowed` };
				if ('__invalid' in raw) return 'Invalid input JSON';
				const body = raw as {
					properties?: Record<string, unknown>;
					associations?: {
						to?: { id?: string };
						types?: { associationCategory?: string; associationTypeId?: number }[];
					}[];
				};
				const props = body.properties ?? {};
				if (Object.values(props).some((v) => typeof v !== 'string'))
					return 'Property values were not valid: every value must be a string';
				const now = new Date().toISOString();
				const created = (id: string) => ({
					status: 201,
					body: { id, properties: { ...props, hs_object_id: id }, createdAt: now, updatedAt: now, archived: false },
				});
				if (path === '/crm/v3/objects/contacts') {
					if (!/^\+[1-9]\d{6,14}$/.test(String(props.phone ?? '')))
						return `phone ${String(props.phone)} is not a phone number`;
					const id = String(next++);
					this.contacts.push({ id, properties: props as Record<string, string> });
					return created(id);
				}
				if (path === '/crm/v3/objects/tasks') {
					if (!props.hs_timestamp || Number.isNaN(Date.parse(String(props.hs_timestamp))))
						return 'hs_timestamp is required (ISO 8601 or epoch milliseconds)';
					if (!props.hs_task_subject) return 'hs_task_subject is required';
					if (
						!['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'COMPLETED', 'DEFERRED'].includes(String(props.hs_task_status))
					)
						return `hs_task_status ${String(props.hs_task_status)} is not an allowed option`;
					if (!['LOW', 'MEDIUM', 'HIGH'].includes(String(props.hs_task_priority)))
						return `hs_task_priority ${String(props.hs_task_priority)} is not an allowed option`;
					const a = body.associations?.[0];
					const contact = this.contacts.find((c) => c.id === String(a?.to?.id));
					if (
						!contact ||
						a?.types?.[0]?.associationCategory !== 'HUBSPOT_DEFINED' ||
						a.types[0].associationTypeId !== 204
					)
						return 'associations must link the task to an existing contact (HUBSPOT_DEFINED 204)';
					const id = String(next++);
					this.tasks.push({ id, properties: props as Record<string, string>, contactId: contact.id });
					return created(id);
				}
				return { status: 404, reject: `${path} is not a HubSpot endpoint this stand-in knows` };
			},
			(message, status) => ({
				status: 'error',
				message,
				category: HUBSPOT_CATEGORY[status] ?? 'VALIDATION_ERROR',
				correlationId: '00000000-0000-0000-0000-000000000000',
			}),
		);
	}
}

/** A Cal.com BOOKING_CREATED webhook body, as Cal.com sends it, for a booking made from the texted link. */
export function calBooking(caseId: string, phone: string): Record<string, unknown> {
	const start = new Date(Date.now() + 86400e3);
	return {
		triggerEvent: 'BOOKING_CREATED',
		createdAt: new Date().toISOString(),
		payload: {
			type: 'visit',
			title: 'Visit between Acme Plumbing and Caller',
			startTime: start.toISOString(),
			endTime: new Date(start.getTime() + 3600e3).toISOString(),
			uid: 'bk_e2e_0001',
			organizer: { name: 'Acme Plumbing', email: 'office@acme.example', timeZone: 'America/Chicago' },
			attendees: [{ name: 'Caller', email: 'caller@example.com', timeZone: 'America/Chicago', phoneNumber: phone }],
			metadata: { caseId },
		},
	};
}

/**
 * Pipedrive API v1 (persons, activities): api_token in the query, phone as a list of labelled values, call activities.
 */
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
				if (!phone || !/^\+[1-9]\d{6,14}$/.test(String(phone.value)))
					return 'phone must be a list of { value, primary, label }';
				const p = { id: next++, name: body.name, phone: String(phone.value) };
				this.persons.push(p);
				return {
					status: 201,
					body: {
						success: true,
						data: { id: p.id, name: p.name, phone: [{ value: p.phone, primary: true, label: 'mobile' }] },
					},
				};
			}
			if (path === '/api/v1/activities') {
				if (body.type !== 'call') return `type ${String(body.type)} is not an activity type of this account`;
				if (!/^\d{4}-\d{2}-\d{2}$/.test(String(body.due_date)) || !/^\d{2}:\d{2}$/.test(String(body.due_time)))
					return 'due_date must be YYYY-MM-DD and due_time HH:MM';
				if (!this.persons.some((p) => p.id === body.person_id))
					return `person_id ${String(body.person_id)} does not exist`;
				const a = {
					id: next++,
					personId: Number(body.person_id),
					subject: String(body.subject),
					note: String(body.note ?? ''),
				};
				this.activities.push(a);
				return {
					status: 201,
					body: { success: true, data: { id: a.id, subject: a.subject, person_id: a.personId, done: false } },
				};
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
				return {
					status: existing ? 200 : 201,
					body: { new: !existing, contact: { id: c.id, phone: c.phone, locationId } },
				};
			}
			const m = /^\/contacts\/([^/]+)\/tasks$/.exec(path);
			if (m) {
				if (!this.contacts.some((c) => c.id === m[1])) return `contact ${m[1]} not found`;
				if (
					typeof body.title !== 'string' ||
					Number.isNaN(Date.parse(String(body.dueDate))) ||
					typeof body.completed !== 'boolean'
				)
					return 'title, dueDate (ISO) and completed are required';
				const t = { id: `tk${next++}`, contactId: m[1], title: body.title, body: String(body.body ?? '') };
				this.tasks.push(t);
				return {
					status: 201,
					body: { task: { id: t.id, title: t.title, contactId: t.contactId, dueDate: body.dueDate, completed: false } },
				};
			}
			return `${path} is not a GoHighLevel endpoint this stand-in knows`;
		});
	}
}

/** The tokens the template suites give the CRM credentials; the stand-ins accept only these. */
export const HUBSPOT_TOKEN = 'pat-na1-e2e00000-0000-0000-0000-000000000000';
export const PIPEDRIVE_TOKEN = 'e2e0pipedrive0token0000000000000000000000';
export const HIGHLEVEL_TOKEN = 'pit-e2e00000-0000-0000-0000-000000000000';
export const HIGHLEVEL_LOCATION = 'e2eLocation0001';

/** Slack and the three CRMs, started and stopped together, as both runtimes' template suites use them. */
export class StandIns {
	readonly slack = new SlackStandIn();
	readonly hubspot = new HubSpotStandIn(HUBSPOT_TOKEN);
	readonly pipedrive = new PipedriveStandIn(PIPEDRIVE_TOKEN);
	readonly highlevel = new HighLevelStandIn(HIGHLEVEL_TOKEN, HIGHLEVEL_LOCATION);

	async start(): Promise<void> {
		await Promise.all([this.slack.start(), this.hubspot.start(), this.pipedrive.start(), this.highlevel.start()]);
	}

	async stop(): Promise<void> {
		await Promise.all([this.slack.stop(), this.hubspot.stop(), this.pipedrive.stop(), this.highlevel.stop()]);
	}
}
