import { PUMPING_SKIPS } from './acknowledge';
import type { RecoveryStore } from './store/types';
import { computeMetrics, scorecard, type Metrics, type Percentiles, type Scorecard } from './track/metrics';
import { DateTime } from 'luxon';
import Mustache from 'mustache';
import { isOpen, URGENCIES, type Urgency } from './model';
import { maskPhone } from './phone';
import { zoneOf } from './profile/zone';
import { AI_RESOLVED_KEY } from './normalize';
import { REPORT_CSS, REPORT_PAGE, REPORT_PARTIALS } from './report-templates';

/** HTML's five special characters; a slash or an equals sign in a name or a zone (America/Chicago) stays as is. */
const esc = (s: unknown) =>
	String(s ?? '').replace(
		/[&<>"']/g,
		(c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
	);

function dur(sec: number | null): string {
	if (sec === null) return '–';
	if (sec < 90) return `${Math.round(sec)} s`;
	if (sec < 5400) return `${Math.round(sec / 60)} min`;
	return `${(sec / 3600).toFixed(1)} h`;
}

/** What the report's protection section counts: texts held back, forged webhooks refused, callers opted out. */
export interface ReportProtection {
	/** Acknowledgments held back because they looked like SMS pumping, by guard. */
	pumpingBlocked: Record<string, number>;
	/**
	 * Webhook requests refused for a bad or missing signature (whole install: a forgery names no trustworthy business).
	 */
	refusedWebhooks: Record<string, number>;
	optedOut: number;
}

export interface ReportFilter {
	businesses: { businessId: string; name: string }[];
	businessId?: string;
	days: number;
}

export const REPORT_PERIODS = [1, 7, 30, 90] as const;

/** An open case as the report lists it: what staff need to pick it up. */
export interface OpenCaseRow {
	caseShort: string;
	caller: string;
	urgency: string;
	owner: string;
	/** The deadline in the business's own time. */
	due: string;
	status: string;
}

/** "half within 12 s, 9 in 10 within 40 s": a percentile read as people say it. */
function within(p: Percentiles): string {
	if (p.p50 === null) return 'none yet';
	return `half within ${dur(p.p50)}, 9 in 10 within ${dur(p.p90)}`;
}

/** "1 text", "13 texts". */
function counted(n: number, noun: string): string {
	return `${n} ${noun}${n > 1 ? 's' : ''}`;
}

/** Calls a voice AI answered in the period: those it resolved opened nothing, the others went to cases. */
export interface VoiceAiFigures {
	answered: number;
	/** Of those, the calls that needed a person and went into a case. */
	cases: number;
}

/** What the report page shows: the figures, title and period, and each optional section when given. */
export interface RenderReportOptions {
	title: string;
	metrics: Metrics;
	scorecard: Scorecard;
	periodLabel: string;
	protection?: ReportProtection;
	filter?: ReportFilter;
	openCases?: OpenCaseRow[];
	voiceAi?: VoiceAiFigures;
}

/** Figures by name ("geo 12, cap 1"), as the protection section lists them. */
function listed(r: Record<string, number>): string {
	return Object.entries(r)
		.map(([k, v]) => `${k} ${v}`)
		.join(', ');
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

function protectionView(pr: ReportProtection) {
	const pumping = sum(pr.pumpingBlocked);
	const refused = sum(pr.refusedWebhooks);
	return {
		pumping: pumping ? { count: pumping, texts: counted(pumping, 'text'), list: listed(pr.pumpingBlocked) } : null,
		refusedCount: refused,
		refused: refused
			? { requests: counted(refused, 'forged or unsigned webhook request'), list: listed(pr.refusedWebhooks) }
			: null,
		optedOut: pr.optedOut,
	};
}

/**
 * Delivery reports (the Twilio account's Delivery Status URL) flag texts that never arrived: a caller who believes
 * nobody answered, or an owner who never heard of the case. Shown only when there are some.
 */
function deliveryView(m: Metrics) {
	const lostAcks = m.flags['message-undelivered'] ?? 0;
	const lostAlerts = m.flags['owner-alert-failed'] ?? 0;
	if (!lostAcks && !lostAlerts) return null;
	return {
		lostAcks,
		lostAlerts,
		callers: lostAcks ? counted(lostAcks, 'caller') : null,
		ownerTexts: lostAlerts ? counted(lostAlerts, 'owner text') : null,
	};
}

function filterView(f: ReportFilter) {
	return {
		businesses: f.businesses.map((b) => ({ ...b, selected: b.businessId === f.businessId })),
		periods: REPORT_PERIODS.map((d) => ({
			days: d,
			label: d === 1 ? 'Last 24 hours' : `Last ${d} days`,
			selected: d === f.days,
		})),
	};
}

/**
 * The recovery report as one self-contained HTML page (no scripts, no outside assets), readable on a phone.
 * The templates (core/report-templates.ts) escape every value: business and owner names come from user input.
 */
export function renderReport(opts: RenderReportOptions): string {
	const { metrics: m, scorecard: s } = opts;
	const f = m.funnel;
	const max = Math.max(1, f.missed);
	const steps: [string, number][] = [
		['Missed', f.missed],
		['Acknowledged', f.acknowledged],
		['Owned', f.owned],
		['Contacted', f.contacted],
		['Recovered', f.recovered],
	];
	const ai = opts.voiceAi;
	const open = opts.openCases;
	const view = {
		css: REPORT_CSS,
		title: opts.title,
		periodLabel: opts.periodLabel,
		filter: opts.filter ? filterView(opts.filter) : null,
		score: { value: s.score ?? '', shown: s.score ?? '–', band: s.band },
		checks: s.checks,
		funnel: steps.map(([name, value]) => ({ name, value, width: Math.round((value / max) * 100) })),
		voiceAi: ai?.answered ? { ...ai, resolved: ai.answered - ai.cases } : null,
		kpis: [
			{ label: 'Callers texted back', value: within(m.timeToAcknowledge) },
			{ label: 'Callers reached by a person', value: within(m.timeToFirstContact) },
			{ label: 'Owners took the case', value: within(m.timeToClaim) },
			{ label: 'Overdue', value: m.overdue },
			{ label: 'Unowned', value: m.unowned },
			{ label: 'Recovery rate', value: m.recoveryRate === null ? '–' : `${Math.round(m.recoveryRate * 100)}%` },
			{ label: 'Recovered value', value: m.recoveredValue },
		],
		owners: Object.values(m.perOwner),
		urgencies: Object.entries(m.perUrgency).map(([urgency, x]) => ({
			...x,
			urgency,
			median: dur(x.firstContact.p50),
		})),
		openCases: open ? { count: open.length, rows: open.slice(0, 50) } : null,
		delivery: deliveryView(m),
		protection: opts.protection ? protectionView(opts.protection) : null,
	};
	return Mustache.render(REPORT_PAGE, view, REPORT_PARTIALS, { escape: esc });
}

/** A business as the report knows it: its name for the title and picker, its zone and deadlines for the figures. */
export interface ReportBusiness {
	businessId: string;
	name: string;
	timeZone?: string;
	routing?: { deadlineMinutes: Record<Urgency, number> };
}

export interface BuildReportOptions {
	/** One business, or every business when absent or not one of them. */
	businessId?: string;
	days: number;
	now?: Date;
}

/** The report's figures and HTML page, with the businessId and days actually used (unknown ids, odd periods fixed). */
export interface BuiltReport {
	metrics: Metrics;
	scorecard: Scorecard;
	protection: ReportProtection;
	html: string;
	businessId?: string;
	days: number;
	voiceAi: VoiceAiFigures;
}

/**
 * Reads the cases of one business (or all) for a period and builds the report: metrics, the 1-5 scorecard,
 * the protection figures and the HTML page. Both runtimes' Recovery Tracker call this.
 */
export async function buildReport(
	store: RecoveryStore,
	businesses: ReportBusiness[],
	opts: BuildReportOptions,
): Promise<BuiltReport> {
	const now = opts.now ?? new Date();
	const days = Math.min(366, Math.max(1, Math.round(Number(opts.days) || 7)));
	const businessId =
		opts.businessId && businesses.some((b) => b.businessId === opts.businessId) ? opts.businessId : undefined;
	const from = new Date(now.getTime() - days * 86400e3).toISOString();
	const cases = await store.listCases({ businessId, from, limit: 100000 });
	const profile = businesses.find((b) => b.businessId === businessId);
	const metrics = computeMetrics(cases, {
		now: now.toISOString(),
		from,
		businessId,
		deadlines: profile?.routing?.deadlineMinutes,
	});
	const card = scorecard(cases, metrics);
	const pumpingBlocked = Object.fromEntries(
		Object.entries(metrics.ackSkips).filter(([k]) => (PUMPING_SKIPS as readonly string[]).includes(k)),
	);
	const refusedWebhooks = await store.refusals(from.slice(0, 10), now.toISOString().slice(0, 10));
	const protection: ReportProtection = {
		pumpingBlocked,
		refusedWebhooks,
		optedOut: metrics.ackSkips['opted-out'] ?? 0,
	};
	// Calls, not cases: a caller's second AI-answered call joins their open case, and is still a call answered.
	const aiCases = cases.reduce((n, c) => n + c.calls.filter((k) => k.answeredBy === 'voice-ai').length, 0);
	const aiResolved = await store.countKeys(AI_RESOLVED_KEY, { businessId, from, to: now.toISOString() });
	const voiceAi: VoiceAiFigures = { answered: aiCases + aiResolved, cases: aiCases };
	const name = profile?.name ?? 'All businesses';
	// Times in the business's own zone (one business), or UTC when several are shown together.
	const zone = profile?.timeZone ?? (businesses.length === 1 ? businesses[0].timeZone : undefined) ?? 'UTC';
	const local = (iso: string) => DateTime.fromISO(iso, { zone: zoneOf(zone) }).toFormat('ccc d LLL, h:mm a');
	const rank = (u?: string) => (u ? URGENCIES.indexOf(u as Urgency) : URGENCIES.length);
	const openCases: OpenCaseRow[] = cases
		.filter((c) => isOpen(c.state))
		.sort((a, b) => rank(a.urgency) - rank(b.urgency) || a.stamps.detectedAt.localeCompare(b.stamps.detectedAt))
		.map((c) => ({
			caseShort: c.caseId.slice(0, 8),
			caller: maskPhone(c.caller),
			urgency: c.urgency ?? 'unclassified',
			owner: c.owner?.name ?? (c.nobodyAvailable ? 'nobody available' : 'unassigned'),
			due: c.dueAt ? local(c.dueAt) : '–',
			status: c.escalationEndedAt
				? 'escalation ended'
				: c.claimedAt
					? 'claimed'
					: c.dueAt && Date.parse(c.dueAt) < now.getTime()
						? 'overdue'
						: c.state,
		}));
	const html = renderReport({
		title: `${name}: missed call recovery`,
		metrics,
		scorecard: card,
		periodLabel: `${days === 1 ? 'Last 24 hours' : `Last ${days} days`}, to ${local(now.toISOString())} (${zone})`,
		openCases,
		protection,
		voiceAi,
		filter: { businesses: businesses.map((b) => ({ businessId: b.businessId, name: b.name })), businessId, days },
	});
	return { metrics, scorecard: card, protection, html, businessId, days, voiceAi };
}
