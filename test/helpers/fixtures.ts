import { parseProfile, type ProfileInput } from '../../core';

export const ACCOUNT_SID = 'AC' + 'a1'.repeat(16);
export const AUTH_TOKEN = 'tok_' + 'f3'.repeat(14);

/** A plumbing business in Chicago with three technicians, used across the tests. */
export function plumber(overrides: Partial<ProfileInput> = {}) {
	return parseProfile({
		businessId: 'acme-plumbing',
		name: 'Acme Plumbing',
		timeZone: 'America/Chicago',
		phone: '+13125550100',
		forwardTo: '+13125550101',
		numbers: ['+13125550199'],
		trade: 'plumbing',
		holidays: [{ date: '2026-12-25', name: 'Christmas' }],
		roster: [
			{
				id: 'ana',
				name: 'Ana',
				phone: '+13125550111',
				skills: ['leak', 'drain'],
				onCall: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '17:00', to: '08:00' }],
			},
			{
				id: 'ben',
				name: 'Ben',
				phone: '+13125550112',
				skills: ['water-heater', 'installation'],
				onCall: [{ days: ['sat', 'sun'], from: '00:00', to: '24:00' }],
			},
			{ id: 'cy', name: 'Cy', phone: '+13125550113', skills: ['leak'] },
		],
		routing: { strategy: 'round-robin', fallback: ['cy'], escalation: ['cy', 'ben'] },
		acknowledgment: { checkLineType: true },
		...overrides,
	});
}

/** A wall-clock instant in Chicago as an ISO UTC string. */
export function chicago(local: string): string {
	// luxon is a dependency already; keep tests readable with local times.
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { DateTime } = require('luxon') as typeof import('luxon');
	return DateTime.fromISO(local, { zone: 'America/Chicago' }).toUTC().toISO()!;
}
