import { escalate, route } from '../../core';
import { chicago, plumber } from '../helpers/fixtures';

describe('owner router', () => {
	const p = plumber();
	const noon = chicago('2026-11-25T12:00');
	const input = { urgency: 'normal' as const, serviceType: 'leak', timing: 'business-hours' as const, now: noon };

	test('round-robin among the skilled, fair over turns', () => {
		const owners = [0, 1, 2, 3].map((turn) => {
			const d = route(p, input, { openCounts: {}, roundRobin: turn });
			if (d.kind !== 'assigned') throw new Error('expected an owner');
			return d.owner.id;
		});
		expect(owners).toEqual(['ana', 'cy', 'ana', 'cy']); // ben has no leak skill
	});

	test('skills route a water-heater job to Ben', () => {
		const d = route(p, { ...input, serviceType: 'water-heater' }, { openCounts: {}, roundRobin: 5 });
		expect(d).toMatchObject({ kind: 'assigned', owner: { id: 'ben', name: 'Ben', phone: '+13125550112' } });
	});

	test('least-loaded picks who has fewer open cases', () => {
		const ll = plumber({ routing: { strategy: 'least-loaded', fallback: ['cy'], escalation: [] } });
		const d = route(ll, input, { openCounts: { ana: 4, cy: 1 }, roundRobin: 0 });
		expect(d).toMatchObject({ kind: 'assigned', owner: { id: 'cy' } });
		expect(d.reasons.join(' ')).toMatch(/least loaded: Cy has 1 open case/);
	});

	test('after hours only the on-call person is asked; the deadline counts business time for normal cases', () => {
		const night = chicago('2026-11-25T22:00');
		const d = route(p, { ...input, timing: 'after-hours', now: night }, { openCounts: {}, roundRobin: 1 });
		expect(d).toMatchObject({ kind: 'assigned', owner: { id: 'ana' } });
		expect(d.dueAt).toBe(chicago('2026-11-26T12:00')); // 240 business minutes from 08:00
		const urgent = route(
			p,
			{ ...input, urgency: 'emergency', timing: 'after-hours', now: night },
			{ openCounts: {}, roundRobin: 1 },
		);
		expect(urgent.dueAt).toBe(chicago('2026-11-25T22:15'));
	});

	test('nobody on call falls back down the chain; with no fallback it says nobody is available', () => {
		const sundayNoShift = plumber({
			roster: [
				{ id: 'ana', name: 'Ana', phone: '+13125550111', onCall: [{ days: ['mon'], from: '17:00', to: '23:00' }] },
				{ id: 'cy', name: 'Cy', active: false },
			],
			routing: { fallback: [], escalation: [] },
		});
		const d = route(
			sundayNoShift,
			{ ...input, timing: 'weekend', now: chicago('2026-11-29T12:00') },
			{ openCounts: {}, roundRobin: 0 },
		);
		expect(d.kind).toBe('nobody-available');
		expect(d.reasons).toContain('nobody is on call right now');
		expect(d.dueAt).toBeTruthy();
		const withFallback = route(
			p,
			{ ...input, timing: 'weekend', now: chicago('2026-11-29T12:00'), serviceType: 'drain' },
			{ openCounts: {}, roundRobin: 0 },
		);
		expect(withFallback).toMatchObject({ kind: 'assigned', owner: { id: 'ben' } }); // Ben is on call all weekend
	});

	test('members at their open-case limit are passed over', () => {
		const capped = plumber({
			roster: [
				{ id: 'ana', name: 'Ana', maxOpen: 2 },
				{ id: 'cy', name: 'Cy' },
			],
			routing: { fallback: [], escalation: [] },
		});
		expect(route(capped, input, { openCounts: { ana: 2 }, roundRobin: 0 })).toMatchObject({
			kind: 'assigned',
			owner: { id: 'cy' },
		});
	});

	test('the escalation ladder climbs past the current owner and then runs out', () => {
		const now = chicago('2026-11-25T13:00');
		const one = escalate(p, { escalationLevel: 0, urgency: 'high', owner: { id: 'ana', name: 'Ana' } }, now);
		expect(one).toMatchObject({ kind: 'escalated', level: 1, owner: { id: 'cy' } });
		const two = escalate(p, { escalationLevel: 1, urgency: 'high', owner: { id: 'cy', name: 'Cy' } }, now);
		expect(two).toMatchObject({ kind: 'escalated', level: 2, owner: { id: 'ben' } });
		expect(escalate(p, { escalationLevel: 2, urgency: 'high', owner: { id: 'ben', name: 'Ben' } }, now).kind).toBe(
			'exhausted',
		);
	});
});
