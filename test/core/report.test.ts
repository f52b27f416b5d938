/**
 * The report page (core/report.ts and its templates): every value from data is escaped, and each section appears
 * only when it has something to say.
 */
import { renderReport, computeMetrics, type RenderReportOptions } from '../../core';
import type { Scorecard } from '../../core/track/metrics';

const HOSTILE = '<img src=x onerror=alert(1)>&"\'';
const ESCAPED = '&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;';

function page(extra: Partial<RenderReportOptions> = {}): RenderReportOptions {
	const metrics = computeMetrics([], { now: '2026-03-02T15:00:00Z' });
	const scorecard: Scorecard = { score: null, band: 'nothing to score yet', checks: [], cases: 0 };
	return { title: 'Acme: missed call recovery', metrics, scorecard, periodLabel: 'Last 7 days', ...extra };
}

describe('the report page', () => {
	test('escapes every value that comes from data, wherever it appears', () => {
		const base = page();
		const metrics = {
			...base.metrics,
			funnel: { ...base.metrics.funnel, missed: 2 },
			perOwner: { o1: { name: `Owner ${HOSTILE}`, cases: 1, open: 1, contacted: 0, recovered: 0, overdue: 0 } },
		};
		const scorecard: Scorecard = {
			score: 2,
			band: `band ${HOSTILE}`,
			cases: 2,
			checks: [{ name: 'Detection', status: 'fail', points: 0, why: `why ${HOSTILE}` }],
		};
		const html = renderReport(
			page({
				title: `Title ${HOSTILE}`,
				periodLabel: `Period ${HOSTILE}`,
				metrics,
				scorecard,
				filter: { businesses: [{ businessId: `id ${HOSTILE}`, name: `Name ${HOSTILE}` }], days: 7 },
				openCases: [
					{
						caseShort: `c ${HOSTILE}`,
						caller: `caller ${HOSTILE}`,
						urgency: `u ${HOSTILE}`,
						owner: `o ${HOSTILE}`,
						due: `due ${HOSTILE}`,
						status: `s ${HOSTILE}`,
					},
				],
				protection: {
					pumpingBlocked: { [`guard ${HOSTILE}`]: 2 },
					refusedWebhooks: { [`provider ${HOSTILE}`]: 1 },
					optedOut: 0,
				},
			}),
		);
		expect(html).not.toContain('<img');
		const labels = ['Title', 'Period', 'id', 'Name', 'band', 'why', 'Owner', 'c', 'caller', 'u', 'o', 'due', 's'];
		for (const label of [...labels, 'guard', 'provider']) expect(html).toContain(`${label} ${ESCAPED}`);
	});

	test('leaves a slash as it is, so a time zone reads America/Chicago', () => {
		expect(renderReport(page({ periodLabel: 'to 3:00 PM (America/Chicago)' }))).toContain('(America/Chicago)');
	});

	test('shows the protection, delivery and voice AI sections only when asked, with counts in words', () => {
		const quiet = renderReport(page());
		expect(quiet).not.toMatch(/class="protect"|class="delivery"|class="voice-ai"|open-cases|<form/);
		expect(quiet).toContain('<tr><td colspan="6">No owned cases</td></tr>');

		const base = page();
		const metrics = { ...base.metrics, flags: { 'message-undelivered': 1, 'owner-alert-failed': 2 } };
		const busy = renderReport(
			page({
				metrics,
				protection: { pumpingBlocked: { 'cap-reached': 1 }, refusedWebhooks: {}, optedOut: 4 },
				voiceAi: { answered: 3, cases: 1 },
				openCases: [],
			}),
		);
		expect(busy).toContain('<b>1 text held back as likely SMS pumping</b> (cap-reached 1)');
		expect(busy).toContain('<p data-refused="0">No forged or unsigned webhook requests.</p>');
		expect(busy).toContain('not texted: 4.');
		expect(busy).toContain('data-undelivered="1" data-owner-alerts-failed="2"><b>1 caller never got');
		expect(busy).toContain('<b>2 owner texts failed or never arrived</b>');
		expect(busy).toContain('Answered by voice AI: <b>3</b> (1 became cases for a person, 2 resolved by the agent)');
		expect(busy).toContain('<h2>Open cases (0)</h2>');
		expect(busy).toContain('<tr><td colspan="6">None open</td></tr>');
	});

	test('marks the business and period picked in the filter', () => {
		const html = renderReport(
			page({
				filter: {
					businesses: [
						{ businessId: 'a', name: 'A' },
						{ businessId: 'b', name: 'B' },
					],
					businessId: 'b',
					days: 30,
				},
			}),
		);
		expect(html).toContain('<option value="a">A</option><option value="b" selected>B</option>');
		expect(html).toContain('<option value="30" selected>Last 30 days</option>');
		expect(html).toContain('<option value="1">Last 24 hours</option>');
	});
});
