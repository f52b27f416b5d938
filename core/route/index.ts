import type { Timing, Urgency } from '../model';
import type { Profile, RosterMember } from '../profile/schema';
import { addBusinessMinutes, isOnCall } from '../profile/timing';
import { instant, utcIso } from '../profile/zone';

export interface RouteInput {
	urgency: Urgency;
	serviceType?: string;
	timing: Timing;
	now: string;
}

export interface RouteState {
	/** Open cases per member id, for least-loaded routing and caps. */
	openCounts: Record<string, number>;
	/** A counter the store advances once per assignment: round-robin stays fair across restarts and workers. */
	roundRobin: number;
}

export type Owner = { id: string; name: string; phone?: string };

export type RouteDecision =
	| { kind: 'assigned'; owner: Owner; dueAt: string; escalationLevel: number; strategy: string; reasons: string[] }
	| { kind: 'nobody-available'; dueAt: string; reasons: string[] };

function ownerOf(m: RosterMember): Owner {
	return m.phone ? { id: m.id, name: m.name, phone: m.phone } : { id: m.id, name: m.name };
}

/** The deadline for a case: wall-clock for urgent cases, business time for routine ones that arrive while closed. */
export function deadlineFor(profile: Profile, urgency: Urgency, now: string): string {
	const minutes = profile.routing.deadlineMinutes[urgency];
	const start = instant(now);
	// Routine urgencies run on business minutes throughout: a 240-minute deadline set at 16:00 falls the next morning,
	// not at 20:00, so nobody is chased after closing about a routine call.
	if (profile.routing.businessClockFor.includes(urgency)) return utcIso(addBusinessMinutes(profile, start, minutes));
	return utcIso(start.plus({ minutes }));
}

/**
 * Gives the case exactly one owner, or says explicitly that nobody is available.
 * Order: who is working (on call when closed or for emergencies), who has the skill, then the strategy picks.
 */
export function route(profile: Profile, input: RouteInput, state: RouteState): RouteDecision {
	const reasons: string[] = [];
	const dueAt = deadlineFor(profile, input.urgency, input.now);
	const strategy = profile.routing.strategy;
	let pool = profile.roster.filter((m) => m.active);
	if (!pool.length) {
		return {
			kind: 'nobody-available',
			dueAt,
			reasons: ['the roster has no active members: add people to the business profile roster'],
		};
	}
	const capped = pool.filter((m) => m.maxOpen !== undefined && (state.openCounts[m.id] ?? 0) >= m.maxOpen);
	if (capped.length) {
		pool = pool.filter((m) => !capped.includes(m));
		reasons.push(`at their open-case limit: ${capped.map((m) => m.name).join(', ')}`);
	}

	const needOnCall = strategy === 'on-call' || input.timing !== 'business-hours' || input.urgency === 'emergency';
	const hasSchedules = pool.some((m) => m.onCall.length > 0);
	if (needOnCall && hasSchedules) {
		const onCall = pool.filter((m) => isOnCall(profile, m.onCall, input.now));
		if (onCall.length) {
			reasons.push(`on call now: ${onCall.map((m) => m.name).join(', ')}`);
			pool = onCall;
		} else if (input.timing !== 'business-hours' || strategy === 'on-call') {
			reasons.push('nobody is on call right now');
			pool = [];
		}
	} else if (strategy === 'on-call' && !hasSchedules) {
		reasons.push('no on-call schedule is set: routing among everyone active');
	}

	if (pool.length && input.serviceType && (strategy === 'skills' || pool.some((m) => m.skills.length))) {
		const skilled = pool.filter((m) => m.skills.includes(input.serviceType!));
		if (skilled.length) {
			reasons.push(`skilled in ${input.serviceType}: ${skilled.map((m) => m.name).join(', ')}`);
			pool = skilled;
		} else {
			reasons.push(`nobody lists the skill ${input.serviceType}: any of them can take it`);
		}
	}

	let chosen: RosterMember | undefined;
	let how: string = strategy;
	if (pool.length === 1) {
		chosen = pool[0];
		how = 'only candidate';
	} else if (pool.length > 1) {
		if (strategy === 'least-loaded') {
			const sorted = [...pool].sort(
				(a, b) => (state.openCounts[a.id] ?? 0) - (state.openCounts[b.id] ?? 0) || a.id.localeCompare(b.id),
			);
			chosen = sorted[0];
			reasons.push(`least loaded: ${chosen.name} has ${state.openCounts[chosen.id] ?? 0} open case(s)`);
		} else {
			const ordered = [...pool].sort((a, b) => a.id.localeCompare(b.id));
			chosen = ordered[Math.abs(state.roundRobin) % ordered.length];
			how = strategy === 'round-robin' ? 'round-robin' : `${strategy}, then round-robin`;
			reasons.push(`round-robin turn ${state.roundRobin} of ${ordered.length}: ${chosen.name}`);
		}
	}

	if (!chosen) {
		for (const id of profile.routing.fallback) {
			const m = profile.roster.find((r) => r.id === id && r.active);
			if (m) {
				chosen = m;
				how = 'fallback';
				reasons.push(`fallback chain: ${m.name}`);
				break;
			}
		}
	}
	if (!chosen) {
		reasons.push('no fallback member is active: set routing.fallback in the business profile');
		return { kind: 'nobody-available', dueAt, reasons };
	}
	reasons.push(`${input.urgency} deadline ${profile.routing.deadlineMinutes[input.urgency]} min: due ${dueAt}`);
	return { kind: 'assigned', owner: ownerOf(chosen), dueAt, escalationLevel: 0, strategy: how, reasons };
}

export type EscalationDecision =
	| { kind: 'escalated'; owner: Owner; level: number; dueAt: string; reasons: string[] }
	| { kind: 'exhausted'; level: number; reasons: string[] };

/** The next rung of the ladder for a case whose deadline passed. */
export function escalate(
	profile: Profile,
	current: { escalationLevel: number; urgency?: Urgency; owner: Owner | null },
	now: string,
): EscalationDecision {
	const ladder = profile.routing.escalation
		.map((id) => profile.roster.find((m) => m.id === id && m.active))
		.filter((m): m is RosterMember => !!m);
	for (let level = current.escalationLevel + 1; level <= ladder.length; level++) {
		const m = ladder[level - 1];
		if (current.owner && m.id === current.owner.id) continue;
		const urgency = current.urgency ?? 'normal';
		// The urgency's own deadline: wall-clock for urgent cases; a routine one escalated while closed is due in business
		// time, so nobody is chased at night about a quote.
		const dueAt = deadlineFor(profile, urgency, now);
		return {
			kind: 'escalated',
			owner: ownerOf(m),
			level,
			dueAt,
			reasons: [`deadline passed: escalated to level ${level}, ${m.name}`],
		};
	}
	return {
		kind: 'exhausted',
		level: current.escalationLevel,
		reasons: ['escalation ladder exhausted: nobody left to escalate to'],
	};
}
