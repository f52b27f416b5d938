import type { ProfileInput } from '../core';

/** The demo's business: a plumber in Chicago with three technicians. */
export const DEMO_PROFILE: ProfileInput = {
	businessId: 'demo-plumbing',
	name: 'Demo Plumbing Co',
	timeZone: 'America/Chicago',
	phone: '+13125550100',
	forwardTo: '+13125550101',
	ringSeconds: 15,
	numbers: ['+13125550199'],
	trade: 'plumbing',
	bookingUrl: 'https://cal.example.com/demo-plumbing',
	hours: {
		mon: [{ open: '00:00', close: '24:00' }],
		tue: [{ open: '00:00', close: '24:00' }],
		wed: [{ open: '00:00', close: '24:00' }],
		thu: [{ open: '00:00', close: '24:00' }],
		fri: [{ open: '00:00', close: '24:00' }],
		sat: [{ open: '00:00', close: '24:00' }],
		sun: [{ open: '00:00', close: '24:00' }],
	},
	roster: [
		{ id: 'ana', name: 'Ana Ruiz', phone: '+13125550111', skills: ['leak', 'drain'] },
		{ id: 'ben', name: 'Ben Okafor', phone: '+13125550112', skills: ['water-heater', 'installation'] },
		{ id: 'cy', name: 'Cy Park', phone: '+13125550113', skills: ['leak'] },
	],
	routing: { strategy: 'round-robin', fallback: ['cy'], escalation: ['cy', 'ben'] },
	// The demo runs at any hour: quiet hours would defer the text a person is waiting to see.
	// The demo texts at once at any hour; a real business keeps the default (the law's hours, caller's local time).
	acknowledgment: { quietHours: { enabled: false, replyToCaller: 'send' } },
};

export const DEMO_ACCOUNT = { accountSid: 'AC' + '0'.repeat(30) + 'de', authToken: 'demo-auth-token-not-a-secret' };
