/** The business the end-to-end tests play calls against: open around the clock so the text goes out at once. */
export const E2E_PROFILE = {
	businessId: 'e2e-plumbing',
	name: 'E2E Plumbing',
	timeZone: 'America/Chicago',
	phone: '+13125550100',
	forwardTo: '+13125550101',
	numbers: ['+13125550199'],
	trade: 'plumbing',
	hours: Object.fromEntries(
		['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ open: '00:00', close: '24:00' }]]),
	),
	roster: [
		{ id: 'ana', name: 'Ana', phone: '+13125550111', skills: ['leak', 'drain'] },
		{ id: 'ben', name: 'Ben', phone: '+13125550112', skills: ['water-heater'] },
	],
	routing: {
		strategy: 'round-robin',
		fallback: ['ana'],
		escalation: ['ben', 'ana'],
		deadlineMinutes: { emergency: 0.2, high: 0.5, normal: 1, low: 1 },
		// The runtimes' runs check their wiring at once; the owner alert's wait for the voicemail's words (300 s by default)
		// and its hold until opening are played on a set clock in core (test/core/week.test.ts).
		ownerAlerts: { waitForVoicemailSeconds: 0 },
	},
	// Texts go at once at any hour, so the runs pass whatever the time of day (quiet hours are tested in core with a set
	// clock).
	acknowledgment: { quietHours: { enabled: false, replyToCaller: 'send' } },
};

/** A second client of the same agency, for the multi-client template. */
export const HVAC_PROFILE = {
	...E2E_PROFILE,
	businessId: 'northside-hvac',
	name: 'Northside HVAC',
	timeZone: 'America/New_York',
	phone: '+16175550100',
	forwardTo: '+16175550101',
	numbers: ['+16175550199'],
	trade: 'hvac',
	roster: [{ id: 'dee', name: 'Dee', phone: '+16175550111', skills: ['no-heat'] }],
	routing: { ...E2E_PROFILE.routing, fallback: ['dee'], escalation: ['dee'] },
};
