import { PUMPING_SKIPS } from './acknowledge';
import type { RecoveryStore } from './store/types';
import { computeMetrics, scorecard, type Metrics, type Scorecard } from './track/metrics';
import { DateTime } from 'luxon';
import { isOpen, URGENCIES, type Urgency } from './model';
import { maskPhone } from './phone';
import { zoneOf } from './profile/zone';
import { AI_RESOLVED_KEY } from './normalize';

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

/**
 * The recovery report as one self-contained HTML page (no scripts, no outside assets), readable on a phone.
 * Every value is escaped: business names and owner names come from user input.
 */
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
function within(p: { p50: number | null; p90: number | null; count: number }): string {
	if (p.p50 === null) return 'none yet';
	return `half within ${dur(p.p50)}, 9 in 10 within ${dur(p.p90)}`;
}

/** Calls a voice AI answered in the period: those it resolved opened nothing, the others went to cases. */
export interface VoiceAiFigures {
	answered: number;
	/** Of those, the calls that needed a person and went into a case. */
	cases: number;
}

/** The "answered by voice AI" line shown beside the missed calls; nothing when no voice AI answered any call. */
function voiceAiLine(v: VoiceAiFigures | undefined): string {
	if (!v || !v.answered) return '';
	const resolved = v.answered - v.cases;
	return (
		`<p class="voice-ai" data-voice-ai-answered="${v.answered}" data-voice-ai-cases="${v.cases}">` +
		`Answered by voice AI: <b>${v.answered}</b> (${v.cases} became cases for a person, ` +
		`${resolved} resolved by the agent)</p>`
	);
}

export function renderReport(opts: {
	title: string;
	metrics: Metrics;
	scorecard: Scorecard;
	periodLabel: string;
	protection?: ReportProtection;
	filter?: ReportFilter;
	openCases?: OpenCaseRow[];
	voiceAi?: VoiceAiFigures;
}): string {
	const { metrics: m, scorecard: s } = opts;
	const pr = opts.protection;
	const pumping = pr ? Object.values(pr.pumpingBlocked).reduce((a, b) => a + b, 0) : 0;
	const refused = pr ? Object.values(pr.refusedWebhooks).reduce((a, b) => a + b, 0) : 0;
	const list = (r: Record<string, number>) =>
		Object.entries(r)
			.map(([k, v]) => `${esc(k)} ${v}`)
			.join(', ');
	const protection = pr
		? `<section class="protect"><h2>Protection</h2>${
				pumping
					? `<p class="alert" ` +
						(`data-pumping="${pumping}"><b>${pumping} text${pumping > 1 ? 's' : ''} held back as likely SMS ` +
							`pumping</b> (${list(pr.pumpingBlocked)}): calls from numbers outside the allowed countries, or a burst past the hourly, daily or per-caller cap. Nothing was sent to them.</p>`)
					: '<p data-pumping="0">No texts held back as SMS pumping.</p>'
			}
<p data-refused="${refused}">${
				refused
					? `<b>${refused} forged or unsigned webhook ` +
						`request${refused > 1 ? 's' : ''} refused</b> (${list(pr.refusedWebhooks)}), none of them run.`
					: 'No forged or unsigned webhook requests.'
			}</p><p>Callers who opted out (STOP) and were not texted: ${pr.optedOut}.</p></section>`
		: '';
	// Delivery reports (the Twilio account's Delivery Status URL) flag texts that never arrived: a caller who believes
	// nobody answered, or an owner who never heard of the case. Shown only when there are some.
	const lostAcks = m.flags['message-undelivered'] ?? 0;
	const lostAlerts = m.flags['owner-alert-failed'] ?? 0;
	const delivery =
		lostAcks || lostAlerts
			? `<section class="delivery"><h2>Texts that never arrived</h2><p class="alert" ` +
				(`data-undelivered="${lostAcks}" ` +
					`data-owner-alerts-failed="${lostAlerts}">${lostAcks ? `<b>${lostAcks} caller${lostAcks > 1 ? 's' : ''} never got the acknowledgment</b>: call them back. Carrier filtering, or a number not registered for A2P 10DLC, is the usual cause. ` : ''}${lostAlerts ? `<b>${lostAlerts} owner text${lostAlerts > 1 ? 's' : ''} failed or never arrived</b>: check the roster's phone numbers.` : ''}</p></section>`)
			: '';
	const f0 = opts.filter;
	const filter = f0
		? `<form method="get" class="filter"><label>Business <select name="business"><option value="">All ` +
			`businesses</option>${f0.businesses.map((b) => `<option value="${esc(b.businessId)}"${b.businessId === f0.businessId ? ' selected' : ''}>${esc(b.name)}</option>`).join('')}</select></label> <label>Period <select name="days">${REPORT_PERIODS.map((d) => `<option value="${d}"${d === f0.days ? ' selected' : ''}>${d === 1 ? 'Last 24 hours' : `Last ${d} days`}</option>`).join('')}</select></label> <button type="submit">Show</button></form>`
		: '';
	const f = m.funnel;
	const steps: [string, number][] = [
		['Missed', f.missed],
		['Acknowledged', f.acknowledged],
		['Owned', f.owned],
		['Contacted', f.contacted],
		['Recovered', f.recovered],
	];
	const max = Math.max(1, f.missed);
	const checks = s.checks
		.map(
			(c) =>
				`<li class="${c.status}"><b>${esc(c.name)}</b> <span ` +
				`class="badge">${esc(c.status)}</span><br><small>${esc(c.why)}</small></li>`,
		)
		.join('');
	const owners = Object.entries(m.perOwner)
		.map(
			([, o]) =>
				`<tr><td>${esc(o.name)}</td><td>${o.cases}</td><td>${o.open}</td><td>${o.contacted}</td><td>${o.recovered}</td><td>${o.overdue}</td></tr>`,
		)
		.join('');
	const urg = Object.entries(m.perUrgency)
		.map(
			([u, x]) =>
				`<tr><td>${esc(u)}</td><td>${x.cases}</td><td>${x.contacted}</td><td>${x.contactedInTime}</td><td>${dur(x.firstContact.p50)}</td><td>${x.recovered}</td></tr>`,
		)
		.join('');
	const open = opts.openCases ?? [];
	const openRows = open
		.slice(0, 50)
		.map(
			(o) =>
				`<tr><td>${esc(o.caseShort)}</td><td>${esc(o.caller)}</td><td>${esc(o.urgency)}</td><td>${esc(o.owner)}</td><td>${esc(o.due)}</td><td>${esc(o.status)}</td></tr>`,
		)
		.join('');
	const openSection = opts.openCases
		? `<section class="wide open-cases"><h2>Open cases (${open.length})</h2><table><tr><th>Case</th><th>Caller</th><th>Urgency</th><th>Owner</th><th>Due</th><th>Status</th></tr>${openRows || '<tr><td colspan="6">None open</td></tr>'}</table></section>`
		: '';
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(opts.title)}</title>
<style>body{font:15px/1.4 system-ui,sans-serif;margin:0;padding:16px;color:#111;background:#f6f7f9}h1{font-size:20px;margin:0 0 4px}section{background:#fff;border-radius:10px;padding:14px;margin:12px 0;box-shadow:0 1px 2px #0001}
.score{font-size:44px;font-weight:700;color:#0f766e}ul{padding-left:18px}li{margin:6px 0}.badge{font-size:12px;padding:1px 6px;border-radius:8px;background:#eee}.pass .badge{background:#d1fae5}.partial .badge{background:#fef3c7}.fail .badge{background:#fee2e2}
.bar{height:22px;background:#0f766e;border-radius:4px;color:#fff;padding-left:6px;font-size:13px;white-space:nowrap;min-width:24px}table{border-collapse:collapse;width:100%;font-size:14px}td,th{padding:4px 6px;border-bottom:1px solid #eee;text-align:left}.kpi{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px}.kpi div{background:#f0fdfa;border-radius:8px;padding:8px}.alert{background:#fee2e2;border-radius:8px;padding:8px}.filter{margin:8px 0}.filter select,.filter button{font:inherit;padding:4px;margin:2px 0;max-width:100%}.wide{overflow-x:auto}body{overflow-wrap:break-word}@media (max-width:480px){body{padding:8px}table{font-size:12px}td,th{padding:3px 4px}}</style></head>
<body><h1>${esc(opts.title)}</h1><div>${esc(opts.periodLabel)}</div>${filter}
<section><div class="score" data-score="${s.score ?? ''}">${s.score ?? '–'}<small style="font-size:16px"> / 5</small></div><div>${esc(s.band)}</div><ul class="checks">${checks}</ul></section>
<section><h2>Recovery funnel</h2>${steps.map(([n, v]) => `<div style="margin:4px 0">${esc(n)}<div class="bar" style="width:${Math.round((v / max) * 100)}%">${v}</div></div>`).join('')}${voiceAiLine(opts.voiceAi)}</section>
<section class="kpi"><div>Callers texted back<br><b>${within(m.timeToAcknowledge)}</b></div><div>Callers reached by a person<br><b>${within(m.timeToFirstContact)}</b></div><div>Owners took the case<br><b>${within(m.timeToClaim)}</b></div><div>Overdue<br><b>${m.overdue}</b></div><div>Unowned<br><b>${m.unowned}</b></div><div>Recovery rate<br><b>${m.recoveryRate === null ? '–' : `${Math.round(m.recoveryRate * 100)}%`}</b></div><div>Recovered value<br><b>${m.recoveredValue}</b></div></section>
<section class="wide"><h2>Per owner</h2><table><tr><th>Owner</th><th>Cases</th><th>Open</th><th>Contacted</th><th>Recovered</th><th>Overdue</th></tr>${owners || '<tr><td colspan="6">No owned cases</td></tr>'}</table></section>
<section class="wide"><h2>Per urgency</h2><table><tr><th>Urgency</th><th>Cases</th><th>Contacted</th><th>In time</th><th>Median first contact</th><th>Recovered</th></tr>${urg}</table></section>
${openSection}${delivery}${protection}</body></html>`;
}

/**
 * Reads the cases of one business (or all) for a period and builds the report: metrics, the 1-5 scorecard,
 * the protection figures and the HTML page. Both runtimes' Recovery Tracker call this.
 */
export async function buildReport(
	store: RecoveryStore,
	businesses: {
		businessId: string;
		name: string;
		timeZone?: string;
		routing?: { deadlineMinutes: Record<Urgency, number> };
	}[],
	opts: { businessId?: string; days: number; now?: Date },
): Promise<{
	metrics: Metrics;
	scorecard: Scorecard;
	protection: ReportProtection;
	html: string;
	businessId?: string;
	days: number;
	voiceAi: VoiceAiFigures;
}> {
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
