import { isOpen, URGENCIES, type Case, type Urgency } from '../model';

export interface Percentiles {
	p50: number | null;
	p90: number | null;
	count: number;
}

export interface Metrics {
	period: { from?: string; to?: string; now: string };
	businessId?: string;
	funnel: { missed: number; acknowledged: number; owned: number; contacted: number; recovered: number; lost: number };
	/** Seconds from the call to its detection. */
	detectionLag: Percentiles;
	/** Seconds from detection to the acknowledgment text. */
	timeToAcknowledge: Percentiles;
	/** Seconds from detection to the first human contact (a reply, a call that reached them, a booking). */
	timeToFirstContact: Percentiles;
	/** Seconds from detection to an owner taking the case from their phone ("1", "OK", CALL). */
	timeToClaim: Percentiles;
	classified: number;
	unowned: number;
	overdue: number;
	recoveryRate: number | null;
	recoveredValue: number;
	ackSkips: Record<string, number>;
	flags: Record<string, number>;
	perOwner: Record<
		string,
		{ name: string; cases: number; open: number; contacted: number; recovered: number; overdue: number }
	>;
	perUrgency: Record<
		Urgency,
		{ cases: number; recovered: number; contactedInTime: number; contacted: number; firstContact: Percentiles }
	>;
}

function seconds(a: string | undefined, b: string | undefined): number | undefined {
	if (!a || !b) return undefined;
	return Math.max(0, (Date.parse(b) - Date.parse(a)) / 1000);
}

export function percentiles(values: number[]): Percentiles {
	if (!values.length) return { p50: null, p90: null, count: 0 };
	const s = [...values].sort((x, y) => x - y);
	const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
	return { p50: Math.round(at(0.5)), p90: Math.round(at(0.9)), count: s.length };
}

const CONTACTED_STATES = new Set(['contacted', 'recovered']);

/** Metrics for a set of cases (one business and period, usually), computed from the cases themselves. */
export function computeMetrics(
	cases: Case[],
	opts: { now: string; from?: string; to?: string; businessId?: string; deadlines?: Record<Urgency, number> },
): Metrics {
	const now = Date.parse(opts.now);
	const m: Metrics = {
		period: { from: opts.from, to: opts.to, now: opts.now },
		businessId: opts.businessId,
		funnel: { missed: 0, acknowledged: 0, owned: 0, contacted: 0, recovered: 0, lost: 0 },
		detectionLag: { p50: null, p90: null, count: 0 },
		timeToAcknowledge: { p50: null, p90: null, count: 0 },
		timeToFirstContact: { p50: null, p90: null, count: 0 },
		timeToClaim: { p50: null, p90: null, count: 0 },
		classified: 0,
		unowned: 0,
		overdue: 0,
		recoveryRate: null,
		recoveredValue: 0,
		// Keyed by ids and reasons that come from user input: no prototype, so "__proto__" is only a key.
		ackSkips: Object.create(null) as Metrics['ackSkips'],
		flags: Object.create(null) as Metrics['flags'],
		perOwner: Object.create(null) as Metrics['perOwner'],
		perUrgency: Object.fromEntries(
			URGENCIES.map((u) => [
				u,
				{ cases: 0, recovered: 0, contactedInTime: 0, contacted: 0, firstContact: { p50: null, p90: null, count: 0 } },
			]),
		) as Metrics['perUrgency'],
	};
	const lag: number[] = [];
	const ack: number[] = [];
	const contact: number[] = [];
	const claim: number[] = [];
	const contactByUrgency = new Map<Urgency, number[]>();
	let spam = 0;
	for (const c of cases) {
		m.funnel.missed++;
		if (c.ack.status === 'sent') m.funnel.acknowledged++;
		if (c.owner) m.funnel.owned++;
		const contacted = !!c.stamps.firstContactAt || CONTACTED_STATES.has(c.state);
		if (contacted) m.funnel.contacted++;
		if (c.state === 'recovered') m.funnel.recovered++;
		if (c.state === 'lost') m.funnel.lost++;
		if (c.outcome?.kind === 'spam') spam++;
		if (c.state === 'recovered' && c.outcome?.value) m.recoveredValue += c.outcome.value;
		if (c.urgency) m.classified++;
		const open = isOpen(c.state);
		if (open && !c.owner) m.unowned++;
		const overdue = open && !!c.dueAt && Date.parse(c.dueAt) < now && c.state !== 'contacted';
		if (overdue) m.overdue++;
		const l = seconds(c.calls[0]?.startedAt, c.stamps.detectedAt);
		if (l !== undefined) lag.push(l);
		const a = seconds(c.stamps.detectedAt, c.stamps.acknowledgedAt);
		if (a !== undefined) ack.push(a);
		const fc = seconds(c.stamps.detectedAt, c.stamps.firstContactAt);
		if (fc !== undefined) contact.push(fc);
		const cl = seconds(c.stamps.detectedAt, c.claimedAt ?? undefined);
		if (cl !== undefined) claim.push(cl);
		if (c.ack.status === 'skipped' && c.ack.reason) {
			const r = c.ack.reason.split(':')[0];
			m.ackSkips[r] = (m.ackSkips[r] ?? 0) + 1;
		}
		for (const f of c.flags) m.flags[f] = (m.flags[f] ?? 0) + 1;
		if (c.owner) {
			const o = (m.perOwner[c.owner.id] ??= {
				name: c.owner.name,
				cases: 0,
				open: 0,
				contacted: 0,
				recovered: 0,
				overdue: 0,
			});
			o.cases++;
			if (open) o.open++;
			if (contacted) o.contacted++;
			if (c.state === 'recovered') o.recovered++;
			if (overdue) o.overdue++;
		}
		const u = c.urgency ?? 'normal';
		const pu = m.perUrgency[u];
		pu.cases++;
		if (c.state === 'recovered') pu.recovered++;
		if (fc !== undefined) {
			pu.contacted++;
			const list = contactByUrgency.get(u) ?? [];
			list.push(fc);
			contactByUrgency.set(u, list);
			const deadline = opts.deadlines?.[u];
			const dueSec = c.dueAt
				? seconds(c.stamps.detectedAt, c.dueAt)
				: deadline !== undefined
					? deadline * 60
					: undefined;
			if (dueSec === undefined || fc <= dueSec) pu.contactedInTime++;
		}
	}
	m.detectionLag = percentiles(lag);
	m.timeToAcknowledge = percentiles(ack);
	m.timeToFirstContact = percentiles(contact);
	m.timeToClaim = percentiles(claim);
	for (const u of URGENCIES) m.perUrgency[u].firstContact = percentiles(contactByUrgency.get(u) ?? []);
	const denominator = m.funnel.missed - spam;
	m.recoveryRate = denominator > 0 ? Math.round((m.funnel.recovered / denominator) * 1000) / 1000 : null;
	return m;
}

export type CheckResult = {
	name: 'Detection' | 'Acknowledgment' | 'Urgency' | 'Ownership' | 'Loop';
	status: 'pass' | 'partial' | 'fail';
	points: number;
	why: string;
};

export interface Scorecard {
	score: 1 | 2 | 3 | 4 | 5 | null;
	band: string;
	checks: CheckResult[];
	cases: number;
}

const BANDS: Record<number, string> = {
	1: 'mostly reactive and voicemail-dependent',
	2: 'mostly reactive and voicemail-dependent',
	3: 'some recovery exists, but it is inconsistent',
	4: 'strong recovery structure with manageable gaps',
	5: 'missed calls rarely become silent demand leaks',
};

function pct(n: number, d: number): string {
	return d ? `${Math.round((n / d) * 100)}%` : 'n/a';
}

function grade(name: CheckResult['name'], pass: boolean, partial: boolean, why: string): CheckResult {
	return { name, status: pass ? 'pass' : partial ? 'partial' : 'fail', points: pass ? 1 : partial ? 0.5 : 0, why };
}

/**
 * The source's five verification checks, scored from the data, and its 1-5 band.
 * Each check passes, half-passes or fails with a reason a business owner can act on.
 */
export function scorecard(cases: Case[], m: Metrics): Scorecard {
	const n = m.funnel.missed;
	if (!n) return { score: null, band: 'no missed calls in this period: nothing to score yet', checks: [], cases: 0 };
	const checks: CheckResult[] = [];

	const lag = m.detectionLag.p90 ?? Infinity;
	checks.push(
		grade(
			'Detection',
			lag <= 120,
			lag <= 600,
			`90% of missed calls were detected within ${m.detectionLag.p90 ?? '?'} s of the call (target 120 s)`,
		),
	);

	const legit = new Set([
		'opted-out',
		'landline',
		'country-not-allowed',
		'short-abandoned',
		'answered-by-voice-ai',
		'already-acknowledged',
		'disabled',
	]);
	const handled = cases.filter(
		(c) =>
			(c.ack.status === 'sent' &&
				(Date.parse(c.stamps.acknowledgedAt ?? '') - Date.parse(c.stamps.detectedAt)) / 1000 <= 300) ||
			c.ack.status === 'deferred' ||
			(c.ack.status === 'skipped' && legit.has((c.ack.reason ?? '').split(':')[0])),
	).length;
	checks.push(
		grade(
			'Acknowledgment',
			handled / n >= 0.9,
			handled / n >= 0.6,
			`${pct(handled, n)} of callers got a text within 5 minutes or were rightly not texted (target ` +
				`90%)${m.flags['ack-failed'] ? `; ${m.flags['ack-failed']} send(s) failing` : ''}`,
		),
	);

	const urgent = m.perUrgency.emergency.contacted + m.perUrgency.high.contacted;
	const urgentInTime = m.perUrgency.emergency.contactedInTime + m.perUrgency.high.contactedInTime;
	const urgentCases = m.perUrgency.emergency.cases + m.perUrgency.high.cases;
	const classifiedShare = m.classified / n;
	const urgentOk = urgentCases === 0 || (urgent > 0 && urgentInTime / urgentCases >= 0.8);
	checks.push(
		grade(
			'Urgency',
			classifiedShare >= 0.95 && urgentOk,
			classifiedShare >= 0.8,
			`${pct(m.classified, n)} classified; ` +
				`${
					urgentCases
						? `${pct(urgentInTime, urgentCases)} of ${urgentCases} emergency/high cases reached within ` +
							`their deadline`
						: 'no emergency or high cases'
				} (target 95% classified, 80% urgent in time)`,
		),
	);

	const owned = m.funnel.owned;
	const claimHalf = m.timeToClaim.p50 !== null ? ` (half within ${Math.round(m.timeToClaim.p50 / 60)} min)` : '';
	checks.push(
		grade(
			'Ownership',
			m.unowned === 0 && owned / n >= 0.95,
			m.unowned / n <= 0.05,
			`${pct(owned, n)} of cases had an owner; ${m.unowned} open case(s) without one (target: none); ` +
				`${m.timeToClaim.count} claimed by their owner from the alert${claimHalf}`,
		),
	);

	const closedOrContacted = m.funnel.contacted + m.funnel.lost;
	const overdueShare = m.overdue / n;
	checks.push(
		grade(
			'Loop',
			closedOrContacted / n >= 0.7 && overdueShare <= 0.1,
			closedOrContacted / n >= 0.4,
			`${pct(closedOrContacted, n)} of cases reached the caller or recorded an outcome; ${m.overdue} overdue; ` +
				(`${m.funnel.recovered} recovered${m.recoveredValue ? ` worth ${m.recoveredValue}` : ''} (target 70% ` +
					`closed-loop, under 10% overdue)`),
		),
	);

	const points = checks.reduce((s, c) => s + c.points, 0);
	const score = Math.min(5, Math.max(1, Math.round(points))) as Scorecard['score'] & number;
	return { score, band: BANDS[score], checks, cases: n };
}
