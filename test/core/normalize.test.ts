import fc from 'fast-check';
import { normalize, RecoveryInputError, type Normalized } from '../../core';
import { count, runs } from '../helpers/runs';

const opts = { businessId: 'acme', minCallSeconds: 8, now: () => new Date('2026-11-25T15:00:00Z') };
const base = {
	AccountSid: 'AC' + '1'.repeat(32),
	CallSid: 'CA' + '2'.repeat(32),
	From: '+13125550123',
	To: '+13125550199',
};

function missedEvent(n: Normalized) {
	if (n.kind !== 'missed-call') throw new Error(`expected a missed call, got ${n.kind}: ${JSON.stringify(n)}`);
	return n.event;
}

describe('Twilio webhooks', () => {
	test.each(['no-answer', 'busy', 'failed', 'canceled'])(
		'a Dial action with DialCallStatus %s is a missed call',
		(status) => {
			const e = missedEvent(
				normalize(
					'twilio',
					{ ...base, DialCallStatus: status, DialCallDuration: '0', CallStatus: 'in-progress' },
					opts,
				),
			);
			expect(e).toMatchObject({
				eventId: `twilio:${base.CallSid}`,
				provider: 'twilio',
				from: '+13125550123',
				to: '+13125550199',
				businessId: 'acme',
				reason: status,
				durationSec: 0,
			});
		},
	);

	test('a Dial action that was answered is not missed, and says why', () => {
		expect(normalize('twilio', { ...base, DialCallStatus: 'completed', DialCallDuration: '95' }, opts)).toEqual({
			kind: 'not-missed',
			callSid: base.CallSid,
			reason: 'the forwarded call was completed (95 s)',
		});
	});

	test('a status callback with no-answer is missed; a completed call of 3 s is short-abandoned', () => {
		expect(missedEvent(normalize('twilio', { ...base, CallStatus: 'no-answer', CallDuration: '0' }, opts)).reason).toBe(
			'no-answer',
		);
		expect(missedEvent(normalize('twilio', { ...base, CallStatus: 'completed', CallDuration: '3' }, opts)).reason).toBe(
			'short-abandoned',
		);
		expect(normalize('twilio', { ...base, CallStatus: 'completed', CallDuration: '120' }, opts).kind).toBe(
			'not-missed',
		);
	});

	test('the first Voice URL request is an incoming call (forward mode answers it with Dial)', () => {
		expect(normalize('twilio', { ...base, CallStatus: 'ringing', Direction: 'inbound' }, opts)).toEqual({
			kind: 'incoming-call',
			callSid: base.CallSid,
			from: '+13125550123',
			to: '+13125550199',
			businessId: 'acme',
		});
	});

	test('the Record action becomes a voicemail event; silence does not', () => {
		const n = normalize(
			'twilio',
			{ ...base, RecordingUrl: 'https://api.twilio.com/rec/RE1', RecordingDuration: '14', RecordingSid: 'RE1' },
			opts,
		);
		expect(n).toMatchObject({
			kind: 'voicemail',
			event: {
				callSid: base.CallSid,
				voicemail: { url: 'https://api.twilio.com/rec/RE1', durationSec: 14 },
				eventId: `twilio:${base.CallSid}:recording:RE1`,
			},
		});
		expect(normalize('twilio', { ...base, RecordingUrl: 'x', RecordingDuration: '1' }, opts).kind).toBe('ignored');
	});

	test('the transcription callback carries the transcript', () => {
		const n = normalize(
			'twilio',
			{
				...base,
				TranscriptionText: 'water everywhere in the basement',
				TranscriptionStatus: 'completed',
				TranscriptionSid: 'TR1',
				RecordingSid: 'RE1',
			},
			opts,
		);
		expect(n).toMatchObject({
			kind: 'voicemail',
			event: { voicemail: { transcript: 'water everywhere in the basement' } },
		});
	});

	test('an inbound SMS is a message with its keyword; a status callback is message status', () => {
		const sms = normalize(
			'twilio',
			{
				AccountSid: base.AccountSid,
				MessageSid: 'SM1',
				SmsStatus: 'received',
				From: '+13125550123',
				To: '+13125550199',
				Body: ' stop ',
			},
			opts,
		);
		expect(sms).toMatchObject({
			kind: 'inbound-message',
			event: { keyword: 'stop', from: '+13125550123', eventId: 'twilio:SM1' },
		});
		const st = normalize(
			'twilio',
			{
				AccountSid: base.AccountSid,
				MessageSid: 'SM2',
				MessageStatus: 'undelivered',
				ErrorCode: '30007',
				To: '+13125550123',
				From: '+13125550199',
			},
			opts,
		);
		expect(st).toMatchObject({
			kind: 'message-status',
			event: { status: 'undelivered', errorCode: 30007, messageSid: 'SM2' },
		});
	});

	test('WhatsApp callers keep their channel', () => {
		expect(
			missedEvent(normalize('twilio', { ...base, From: 'whatsapp:+13125550123', CallStatus: 'no-answer' }, opts))
				.channel,
		).toBe('whatsapp');
	});

	test('a withheld caller id is ignored with the reason, not crashed on', () => {
		expect(normalize('twilio', { ...base, From: 'anonymous', CallStatus: 'no-answer' }, opts)).toEqual({
			kind: 'ignored',
			reason: 'caller id withheld (anonymous): nothing to text back',
		});
	});

	test('the called number picks the business for agencies with many clients', () => {
		const e = missedEvent(
			normalize(
				'twilio',
				{ ...base, CallStatus: 'busy' },
				{ ...opts, businessFor: (to: string) => (to === '+13125550199' ? 'client-7' : undefined) },
			),
		);
		expect(e.businessId).toBe('client-7');
	});

	test('secrets in the payload never reach raw', () => {
		const e = missedEvent(normalize('twilio', { ...base, CallStatus: 'busy', AuthToken: 'sekret' }, opts));
		expect(JSON.stringify(e.raw)).not.toContain('sekret');
	});

	test('bad payloads get errors naming the field, the value and the fix', () => {
		expect(() => normalize('twilio', { From: '+13125550123' }, opts)).toThrow(RecoveryInputError);
		expect(() => normalize('twilio', { From: '+13125550123' }, opts)).toThrow(/CallSid is missing\. It is required/);
		expect(() => normalize('twilio', { ...base }, opts)).toThrow(
			/CallStatus is missing\..*CallStatus \(status callback\) or DialCallStatus/,
		);
		expect(() => normalize('twilio', { ...base, CallStatus: 'busy', CallDuration: 'soon' }, opts)).toThrow(
			/CallDuration is "soon"\. Expected a number of seconds/,
		);
		expect(() => normalize('twilio', 'CallSid=1' as never, opts)).toThrow(/Expected the webhook body as an object/);
	});
});

describe('other providers', () => {
	test('Vonage unanswered event', () => {
		const e = missedEvent(
			normalize(
				'vonage',
				{
					uuid: 'v-1',
					conversation_uuid: 'c',
					status: 'unanswered',
					direction: 'inbound',
					from: '13125550123',
					to: '13125550199',
					timestamp: '2026-11-25T15:00:00.000Z',
				},
				opts,
			),
		);
		expect(e).toMatchObject({
			eventId: 'vonage:v-1',
			from: '+13125550123',
			to: '+13125550199',
			reason: 'no-answer',
			startedAt: '2026-11-25T15:00:00.000Z',
		});
		expect(
			normalize('vonage', { uuid: 'v-2', status: 'answered', direction: 'inbound', from: '13125550123' }, opts).kind,
		).toBe('ignored');
	});

	test('Telnyx call.hangup with no_answer, and TeXML in Twilio dialect', () => {
		const e = missedEvent(
			normalize(
				'telnyx',
				{
					data: {
						event_type: 'call.hangup',
						id: 'e1',
						occurred_at: '2026-11-25T15:00:10Z',
						payload: {
							call_control_id: 'cc1',
							call_session_id: 's1',
							from: '+13125550123',
							to: '+13125550199',
							hangup_cause: 'no_answer',
							direction: 'incoming',
							start_time: '2026-11-25T15:00:00Z',
							end_time: '2026-11-25T15:00:20Z',
						},
					},
				},
				opts,
			),
		);
		expect(e).toMatchObject({ eventId: 'telnyx:s1', reason: 'no-answer', durationSec: 20 });
		expect(missedEvent(normalize('telnyx', { ...base, CallStatus: 'busy' }, opts)).provider).toBe('telnyx');
		expect(() =>
			normalize('telnyx', { data: { event_type: 'call.hangup', payload: { from: '+13125550123' } } }, opts),
		).toThrow(/data\.payload\.call_control_id is missing/);
	});

	test('Plivo DialStatus and inbound SMS', () => {
		expect(
			missedEvent(
				normalize(
					'plivo',
					{ CallUUID: 'p1', From: '13125550123', To: '13125550199', DialStatus: 'cancel', Direction: 'inbound' },
					opts,
				),
			).reason,
		).toBe('canceled');
		expect(
			normalize('plivo', { MessageUUID: 'm1', From: '13125550123', To: '13125550199', Text: 'HELP' }, opts),
		).toMatchObject({ kind: 'inbound-message', event: { keyword: 'help' } });
	});

	test('Aircall call.ended with a missed reason and a voicemail', () => {
		const e = missedEvent(
			normalize(
				'aircall',
				{
					event: 'call.ended',
					resource: 'call',
					timestamp: 1795000000,
					data: {
						id: 987,
						direction: 'inbound',
						status: 'done',
						missed_call_reason: 'out_of_opening_hours',
						raw_digits: '+1 312-555-0123',
						number: { digits: '+1 312-555-0199' },
						started_at: 1795000000,
						answered_at: null,
						duration: 30,
						voicemail: 'https://aircall/vm.mp3',
						contact: { first_name: 'Maria', last_name: 'Lopez', company_name: null },
					},
				},
				opts,
			),
		);
		expect(e).toMatchObject({
			eventId: 'aircall:987',
			reason: 'voicemail',
			voicemail: { url: 'https://aircall/vm.mp3' },
			from: '+13125550123',
			callerName: 'Maria Lopez',
		});
		expect(
			normalize(
				'aircall',
				{
					event: 'call.ended',
					data: { id: 5, direction: 'inbound', status: 'done', answered_at: 1795000005, raw_digits: '+13125550123' },
				},
				opts,
			).kind,
		).toBe('not-missed');
	});

	test('OpenPhone call.missed and call.completed with no answer', () => {
		expect(
			missedEvent(
				normalize(
					'openphone',
					{
						type: 'call.missed',
						data: {
							object: {
								id: 'AC1',
								from: '+13125550123',
								to: '+13125550199',
								direction: 'incoming',
								createdAt: '2026-11-25T15:00:00Z',
							},
						},
					},
					opts,
				),
			).eventId,
		).toBe('openphone:AC1');
		const vm = missedEvent(
			normalize(
				'openphone',
				{
					type: 'call.completed',
					data: {
						object: {
							id: 'AC2',
							from: '+13125550123',
							to: ['+13125550199'],
							direction: 'incoming',
							answeredAt: null,
							voicemail: { url: 'u', duration: 22, transcript: 'no heat' },
						},
					},
				},
				opts,
			),
		);
		expect(vm).toMatchObject({ reason: 'voicemail', voicemail: { durationSec: 22, transcript: 'no heat' } });
		expect(
			normalize(
				'openphone',
				{
					type: 'call.completed',
					data: {
						object: { id: 'AC3', from: '+13125550123', direction: 'incoming', answeredAt: '2026-11-25T15:00:05Z' },
					},
				},
				opts,
			).kind,
		).toBe('not-missed');
	});

	test('RingCentral telephony session with missedCall, and call-log Voicemail', () => {
		const s = missedEvent(
			normalize(
				'ringcentral',
				{
					uuid: 'u',
					event: '/restapi/v1.0/account/~/telephony/sessions',
					body: {
						telephonySessionId: 'ts1',
						eventTime: '2026-11-25T15:00:00Z',
						parties: [
							{
								direction: 'Inbound',
								from: { phoneNumber: '+13125550123', name: 'WIRELESS CALLER' },
								to: { phoneNumber: '+13125550199' },
								missedCall: true,
								status: { code: 'Disconnected' },
							},
						],
					},
				},
				opts,
			),
		);
		expect(s).toMatchObject({ eventId: 'ringcentral:ts1', reason: 'no-answer' });
		// A carrier's placeholder is no name.
		expect(s.callerName).toBeUndefined();
		const log = missedEvent(
			normalize(
				'ringcentral',
				{
					id: 'l1',
					sessionId: 'sess',
					result: 'Voicemail',
					direction: 'Inbound',
					from: { phoneNumber: '+13125550123', name: 'Dr. Ana  Ruiz\u0007' },
					to: { phoneNumber: '+13125550199' },
					duration: 40,
				},
				opts,
			),
		);
		expect(log.reason).toBe('voicemail');
		expect(log.callerName).toBe('Dr. Ana Ruiz');
	});

	test('generic JSON with a mapping of dot paths', () => {
		const mapping = {
			callId: 'call.id',
			from: 'call.caller',
			to: 'call.line',
			status: 'call.result',
			missedValues: ['MISSED', 'VM'],
			transcript: 'call.vm.text',
		};
		const e = missedEvent(
			normalize(
				'generic',
				{ call: { id: 77, caller: '(312) 555-0123', line: '+13125550199', result: 'VM', vm: { text: 'burst pipe' } } },
				opts,
				mapping,
			),
		);
		expect(e).toMatchObject({ eventId: 'generic:77', from: '+13125550123', voicemail: { transcript: 'burst pipe' } });
		expect(() => normalize('generic', { call: { caller: '+13125550123' } }, opts, mapping)).toThrow(
			/call\.id is missing\. The mapping reads the call id from "call\.id"/,
		);
	});

	test('an unknown provider is named', () => {
		expect(() => normalize('skype' as never, {}, opts)).toThrow(/provider is "skype"\. Use one of: twilio/);
	});
});

describe('property: every normalizer answers any input with an event or a clear error, never a crash', () => {
	// 10,000 payloads per provider in CI; a tenth on a developer's machine (test/helpers/runs.ts, MCR_FULL_RUNS=1).
	const RUNS = runs(10000);
	const providers = [
		'twilio',
		'vonage',
		'telnyx',
		'plivo',
		'aircall',
		'openphone',
		'ringcentral',
		'dialpad',
		'generic',
	] as const;
	// A real-looking payload per provider, with random leaves replaced: reaches the deep paths random objects never do.
	const samples: Record<string, Record<string, unknown>> = {
		twilio: {
			CallSid: 'CA1',
			From: '+13125550123',
			To: '+13125550199',
			DialCallStatus: 'no-answer',
			DialCallDuration: '0',
			CallStatus: 'completed',
		},
		vonage: {
			uuid: 'v1',
			status: 'unanswered',
			from: '13125550123',
			to: '13125550199',
			direction: 'inbound',
			duration: '0',
		},
		telnyx: {
			data: {
				event_type: 'call.hangup',
				occurred_at: '2026-11-25T14:59:50Z',
				payload: { call_control_id: 'c1', from: '+13125550123', to: '+13125550199', hangup_cause: 'timeout' },
			},
		},
		plivo: {
			CallUUID: 'p1',
			From: '13125550123',
			To: '13125550199',
			CallStatus: 'no-answer',
			Direction: 'inbound',
			Duration: '0',
		},
		aircall: {
			event: 'call.ended',
			data: {
				id: 7,
				direction: 'inbound',
				status: 'done',
				missed_call_reason: 'agents_did_not_answer',
				raw_digits: '+1 312-555-0123',
				number: { digits: '+13125550199' },
				duration: 0,
			},
		},
		openphone: {
			type: 'call.missed',
			data: {
				object: {
					id: 'o1',
					from: '+13125550123',
					to: '+13125550199',
					direction: 'incoming',
					voicemail: { url: 'https://x', transcript: 'hi' },
				},
			},
		},
		ringcentral: {
			body: {
				telephonySessionId: 's1',
				parties: [
					{
						direction: 'Inbound',
						missedCall: true,
						from: { phoneNumber: '+13125550123' },
						to: { phoneNumber: '+13125550199' },
					},
				],
			},
		},
		dialpad: {
			call_id: 1,
			state: 'hangup',
			direction: 'inbound',
			external_number: '+13125550123',
			internal_number: '+13125550199',
			date_connected: null,
			duration: 0,
		},
		generic: { id: 'g1', from: '+13125550123', to: '+13125550199', status: 'missed' },
	};
	function leaves(o: unknown, path: string[] = [], out: string[][] = []): string[][] {
		if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) leaves(v, [...path, k], out);
		else out.push(path);
		return out;
	}
	function setAt(o: Record<string, unknown>, path: string[], v: unknown): Record<string, unknown> {
		const copy = structuredClone(o);
		let cur = copy as Record<string, unknown>;
		for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
		if (v === undefined) delete cur[path[path.length - 1]];
		else cur[path[path.length - 1]] = v;
		return copy;
	}
	const leafValue = fc.oneof(
		fc.string(),
		fc.integer(),
		fc.double(),
		fc.boolean(),
		fc.constant(null),
		fc.constant(undefined),
		fc.jsonValue({ maxDepth: 2 }),
		fc.constantFrom(
			'missed',
			'voicemail',
			'busy',
			'completed',
			'no-answer',
			'__proto__',
			'constructor',
			'valueOf',
			'+447700900123',
			'anonymous',
			'',
			'1e309',
		),
	);
	const mutated = (provider: string) =>
		fc.array(fc.tuple(fc.nat(), leafValue), { minLength: 0, maxLength: 4 }).map((edits) => {
			const sample = samples[provider];
			const paths = leaves(sample);
			return edits.reduce((acc, [i, v]) => setAt(acc, paths[i % paths.length], v), sample);
		});
	const twilioLike = fc.record(
		{
			CallSid: fc.oneof(fc.string(), fc.constant('CA123')),
			From: fc.oneof(fc.string(), fc.constant('+13125550123'), fc.constant('anonymous')),
			To: fc.oneof(fc.string(), fc.constant('+13125550199')),
			CallStatus: fc.oneof(fc.string(), fc.constantFrom('no-answer', 'busy', 'completed', 'ringing')),
			DialCallStatus: fc.constantFrom('no-answer', 'busy', 'completed'),
			CallDuration: fc.oneof(fc.string(), fc.nat().map(String)),
			Body: fc.string(),
			MessageSid: fc.string(),
		},
		{ requiredKeys: [] },
	);
	for (const provider of providers) {
		test(`${provider}: ${count(RUNS)} generated payloads`, () => {
			const mapping =
				provider === 'generic'
					? { callId: 'id', from: 'from', to: 'to', status: 'status', missedValues: ['missed'] }
					: undefined;
			let events = 0;
			fc.assert(
				fc.property(
					fc.oneof(
						{ arbitrary: mutated(provider), weight: 3 },
						twilioLike,
						fc.object({ maxDepth: 4 }),
						fc.dictionary(fc.string(), fc.jsonValue()),
					),
					(payload) => {
						try {
							const n = normalize(provider, payload, opts, mapping);
							expect([
								'missed-call',
								'not-missed',
								'incoming-call',
								'voicemail',
								'inbound-message',
								'message-status',
								'ignored',
							]).toContain(n.kind);
							if (n.kind === 'missed-call') {
								events++;
								expect(n.event.from).toMatch(/^\+[1-9]\d{6,14}$/);
								expect(
									n.event.eventId.startsWith(`${provider === 'telnyx' && 'CallSid' in payload ? 'telnyx' : provider}:`),
								).toBe(true);
							}
						} catch (e) {
							expect(e).toBeInstanceOf(RecoveryInputError);
							expect((e as Error).message.length).toBeGreaterThan(10);
						}
					},
				),
				{ numRuns: RUNS },
			);
			// The generator reaches the real path, not only the error exits.
			expect(events).toBeGreaterThan(RUNS / 20);
		});
	}
});

test('status values that name Object.prototype members are not statuses (found by the fuzzer)', () => {
	const opts = { businessId: 'acme' };
	const base = { CallSid: 'CA' + '5'.repeat(32), From: '+13125550123', To: '+13125550199' };
	for (const s of ['valueOf', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
		expect(normalize('twilio', { ...base, DialCallStatus: s }, opts).kind).toBe('not-missed');
		expect(normalize('twilio', { ...base, CallStatus: s }, opts).kind).toBe('ignored');
		expect(normalize('vonage', { uuid: 'u', status: s, from: '13125550123' }, opts).kind).toBe('ignored');
		expect(normalize('plivo', { CallUUID: 'p', From: '13125550123', CallStatus: s }, opts).kind).toBe('not-missed');
		expect(
			normalize(
				'aircall',
				{
					event: 'call.ended',
					data: {
						id: 1,
						direction: 'inbound',
						status: 'done',
						answered_at: null,
						missed_call_reason: s,
						raw_digits: '+13125550123',
					},
				},
				opts,
			),
		).toMatchObject({ kind: 'missed-call', event: { reason: 'no-answer' } });
	}
	expect(() =>
		normalize('generic', { id: 1, from: '+13125550123', status: 'missed' }, opts, { callId: 'constructor.name' }),
	).toThrow(/constructor\.name is missing/);
});

test('a "__proto__" field in a payload is kept as data in raw, never as the prototype', () => {
	const payload = JSON.parse(
		'{"CallSid":"CA1","From":"+13125550123","To":"+13125550199","CallStatus":"busy","__proto__":{"polluted":true}}',
	);
	const n = normalize('twilio', payload, { businessId: 'acme' });
	if (n.kind !== 'missed-call') throw new Error(n.kind);
	const raw = n.event.raw as Record<string, unknown>;
	expect(Object.getPrototypeOf(raw)).toBe(Object.prototype);
	expect((raw as { polluted?: boolean }).polluted).toBeUndefined();
	expect(Object.prototype.hasOwnProperty.call(raw, '__proto__')).toBe(true);
});

describe('Dialpad call events', () => {
	const base = {
		call_id: 42,
		direction: 'inbound',
		external_number: '+13125550123',
		internal_number: '+13125550199',
		date_started: 1795000000000,
	};
	test.each([
		[{ state: 'missed' }, 'missed-call', 'no-answer'],
		[{ state: 'voicemail', voicemail_link: 'https://dialpad.example/vm/1' }, 'missed-call', 'voicemail'],
		[{ state: 'hangup', date_connected: null, duration: 0 }, 'missed-call', 'canceled'],
		[{ state: 'hangup', date_connected: 1795000005000, duration: 3000 }, 'missed-call', 'short-abandoned'],
		[{ state: 'hangup', date_connected: 1795000005000, duration: 95000 }, 'not-missed', undefined],
		[{ state: 'ringing' }, 'ignored', undefined],
		[{ state: 'missed', direction: 'outbound' }, 'not-missed', undefined],
	])('%j is %s (%s)', (extra, kind, reason) => {
		const n = normalize('dialpad', { ...base, ...extra }, { businessId: 'acme-plumbing' });
		expect(n.kind).toBe(kind);
		if (reason)
			expect(n).toMatchObject({ event: { reason, from: '+13125550123', to: '+13125550199', eventId: 'dialpad:42' } });
	});
	test('a missing call id names the field', () => {
		expect(() => normalize('dialpad', { state: 'missed' }, {})).toThrow(/call_id/);
	});
});
