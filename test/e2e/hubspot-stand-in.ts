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
