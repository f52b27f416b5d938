/**
 * The business profile a new Workspace credential or business config node starts with: a plain object, so the
 * credential that shows it imports nothing else (credentials load before any node, and should not pull in the core).
 */
export const SAMPLE_PROFILE = {
	businessId: 'acme-plumbing',
	name: 'Acme Plumbing',
	timeZone: 'America/Chicago',
	phone: '+13125550100',
	forwardTo: '+13125550101',
	numbers: ['+13125550199'],
	trade: 'plumbing',
	hours: {
		mon: [{ open: '08:00', close: '17:00' }],
		tue: [{ open: '08:00', close: '17:00' }],
		wed: [{ open: '08:00', close: '17:00' }],
		thu: [{ open: '08:00', close: '17:00' }],
		fri: [{ open: '08:00', close: '17:00' }],
		sat: [],
		sun: [],
	},
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
			skills: ['water-heater'],
			onCall: [{ days: ['sat', 'sun'], from: '00:00', to: '24:00' }],
		},
	],
	routing: { strategy: 'round-robin', fallback: ['ana'], escalation: ['ben'] },
};
