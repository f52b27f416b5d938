import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { callerTextCosts, describeTextCosts } from '../core/acknowledge/preview';
import { countSegments } from '../core/acknowledge/segments';
import { RecoveryInputError } from '../core/errors';
import { RecoveryLoop } from '../core/loop';
import { OUTCOMES, type Case } from '../core/model';
import { formatPhone, phoneInfo } from '../core/phone';
import { parseProfile, type Profile } from '../core/profile/schema';
import { isOpenAt } from '../core/profile/timing';
import { zoneOf } from '../core/profile/zone';
import { openStore } from '../core/store';
import type { RecoveryStore } from '../core/store/types';
import { computeMetrics, scorecard } from '../core/track/metrics';
import { answerWebhook, type TriggerConfig, type TriggerEvent } from '../core/trigger';
import { TwilioProvider } from '../core/twilio/client';
import { TwilioSim } from './twilio-server';

/**
 * The business-week simulator: a scripted week of calls, voicemails and replies for a business profile, played on a
 * virtual clock through the real core (the trigger's webhook handler, the pipeline, the periodic tick every minute as
 * the overdue node runs it), the official Twilio SDK against the local Twilio-compatible server, and the embedded
 * store. It records every text each person received, at its local time. The script format is in docs/simulate.md.
 */

const at = z.string().regex(/^((mon|tue|wed|thu|fri|sat|sun)|\d{4}-\d{2}-\d{2}) \d{1,2}:\d{2}$/i, {
	message: 'Expected a local time such as "Mon 10:15" or "2026-12-07 10:15"',
});
const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'Expected an E.164 phone number such as +13125550123');

const CallEvent = z.object({
	at,
	call: z.object({
		from: phone,
		/** The number called; default the profile's first number. One that no profile lists makes a broken case. */
		to: phone.optional(),
		/** The words of a voicemail; none: the caller hangs up without one. */
		voicemail: z.string().max(5000).optional(),
		/** Seconds from the end of the recording to Twilio's transcription callback. */
		transcriptDelaySec: z.number().min(0).max(3600).default(45),
		answered: z.boolean().default(false),
	}),
});
const TextEvent = z.object({ at, text: z.object({ from: phone, body: z.string().min(1).max(1600) }) });
/** An owner closes a caller's open case (booked, called back, lost...). */
const OutcomeEvent = z.object({
	at,
	outcome: z.object({ caller: phone, kind: z.enum(OUTCOMES), by: z.string().optional() }),
});

export const WeekScriptSchema = z.object({
	name: z.string(),
	description: z.string().optional(),
	profile: z.unknown(),
	/** The first simulated day, in the business's zone (the week runs from its midnight). */
	start: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Expected a date as YYYY-MM-DD'),
	days: z.number().int().min(1).max(31).default(7),
	/** How often the periodic tick (the overdue node) runs, in minutes. */
	tickMinutes: z.number().int().min(1).max(60).default(1),
	events: z.array(z.union([CallEvent, TextEvent, OutcomeEvent])),
});
export type WeekScript = z.input<typeof WeekScriptSchema>;

export interface ReceivedText {
	to: string;
	from: string;
	body: string;
	/** When the text was sent, UTC, on the virtual clock. */
	at: string;
	segments: number;
	/** caller: a text to a caller (acknowledgment, follow-up, keyword reply); owner: to someone on the roster. */
	audience: 'caller' | 'owner';
	kind: 'ack' | 'follow-up' | 'keyword-reply' | 'owner-alert' | 'relay' | 'other';
	caseId?: string;
	/** The provider's message id (texts sent through the API; keyword replies travel in the TwiML answer). */
	sid?: string;
}

export interface DayReport {
	date: string;
	missed: number;
	acknowledged: number;
	owned: number;
	recovered: number;
	openOverdue: number;
	escalationEnded: number;
	score: number | null;
	band: string;
}

export interface WeekResult {
	profile: Profile;
	texts: ReceivedText[];
	cases: Case[];
	days: DayReport[];
	/** Errors the periodic tick isolated (a broken case), with the virtual time. */
	tickErrors: { at: string; caseId: string; error: string }[];
	/** When each number said STOP (virtual clock). */
	optOuts: Record<string, string>;
}

type Action = { at: number; run: () => Promise<void> };

const ACCOUNT = { accountSid: 'AC' + 'f'.repeat(32), authToken: 'week-simulator-token' };

function parseAt(text: string, start: DateTime): DateTime {
	const [day, time] = text.trim().split(/\s+/);
	const [h, m] = time.split(':').map(Number);
	let date: DateTime;
	if (/^\d{4}/.test(day)) date = DateTime.fromISO(day, { zone: start.zone });
	else {
		const want = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].indexOf(day.toLowerCase()) + 1;
		date = start.plus({ days: (want - start.weekday + 7) % 7 });
	}
	return date.set({ hour: h, minute: m, second: 0, millisecond: 0 });
}

/** Plays a week and returns every text and case. */
export async function simulateWeek(input: unknown, opts: { dir?: string } = {}): Promise<WeekResult> {
	const script = WeekScriptSchema.parse(input);
	const profile = parseProfile(script.profile);
	const start = DateTime.fromISO(script.start, { zone: zoneOf(profile.timeZone) }).startOf('day');
	const end = start.plus({ days: script.days });
	let clock = start.toUTC();
	const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'mcr-week-'));
	const sim = new TwilioSim(ACCOUNT);
	const url = await sim.start();
	let store: RecoveryStore | undefined;
	const texts: ReceivedText[] = [];
	const tickErrors: WeekResult['tickErrors'] = [];
	const optOuts: Record<string, string> = {};
	try {
		store = await openStore({ type: 'sqlite', file: join(dir, 'week.db') });
		const provider = new TwilioProvider({ ...ACCOUNT, apiBaseUrl: url });
		const loop = new RecoveryLoop({
			store,
			provider,
			profileFor: (id) => (id === profile.businessId ? profile : undefined),
			now: () => clock.toJSDate(),
			retry: { retries: 0, baseMs: 1, maxMs: 1 },
		});
		const businessNumber = profile.numbers[0] ?? profile.phone ?? '+13125550199';
		const cfg: TriggerConfig = {
			provider: 'twilio',
			mode: 'forward',
			voicemail: true,
			validateSignature: false,
			normalize: {
				businessFor: (to) => (profile.numbers.includes(to) || to === businessNumber ? profile.businessId : undefined),
				minCallSeconds: profile.acknowledgment.minCallSeconds,
				defaultCountry: profile.country,
			},
			replyToKeywords: true,
		};
		const roster = new Set(profile.roster.map((m) => m.phone).filter(Boolean));
		let seen = 0;
		const collect = () => {
			for (; seen < sim.messages.length; seen++) {
				const m = sim.messages[seen];
				texts.push({
					to: m.to,
					from: m.from,
					body: m.body,
					at: clock.toISO()!,
					segments: m.numSegments,
					audience: roster.has(m.to) ? 'owner' : 'caller',
					kind: 'other',
					sid: m.sid,
				});
			}
		};
		const post = async (step: string, params: Record<string, string>): Promise<TriggerEvent | undefined> => {
			const hook = `https://week.simulator/missed-call${step ? `?step=${step}` : ''}`;
			const a = await answerWebhook({ url: hook, headers: {}, body: params }, cfg, loop);
			if (a.status >= 500) throw new Error(`the webhook answered ${a.status}: ${a.body}`);
			// A keyword's confirmation goes back in the TwiML answer: the caller gets it as a text too.
			const reply = /<Message>([\s\S]*?)<\/Message>/.exec(a.body)?.[1];
			if (reply && params.Body !== undefined) {
				texts.push({
					to: params.From,
					from: params.To,
					body: unescapeXml(reply),
					at: clock.toISO()!,
					segments: countSegments(unescapeXml(reply)).segments,
					audience: roster.has(params.From) ? 'owner' : 'caller',
					kind: 'keyword-reply',
				});
			}
			if (a.emit) {
				try {
					await loop.handleEvent(a.emit);
				} catch (e) {
					// A stage that fails for one case (a business with no profile) is what the runtime logs; the week goes on.
					if (!(e instanceof RecoveryInputError)) throw e;
				}
			}
			collect();
			return a.emit;
		};
		let seq = 0;
		const actions: Action[] = [];
		for (const e of script.events) {
			const when = parseAt(e.at, start).toUTC();
			if ('call' in e) {
				const c = e.call;
				const callSid = `CA${String(++seq).padStart(32, '0')}`;
				const base = {
					AccountSid: ACCOUNT.accountSid,
					CallSid: callSid,
					From: c.from,
					To: c.to ?? businessNumber,
					Direction: 'inbound',
				};
				actions.push({
					at: when.toMillis(),
					run: async () => {
						await post('', { ...base, CallStatus: 'ringing' });
						await post('dial', {
							...base,
							CallStatus: 'in-progress',
							DialCallStatus: c.answered ? 'completed' : 'no-answer',
							DialCallDuration: c.answered ? '95' : '0',
						});
					},
				});
				if (c.voicemail && !c.answered) {
					const seconds = Math.max(3, Math.round(c.voicemail.split(/\s+/).length / 2.5));
					const recordingUrl = `${url}/2010-04-01/Accounts/${ACCOUNT.accountSid}/Recordings/RE${callSid.slice(2)}`;
					const recorded = when.plus({ seconds: 30 + seconds });
					actions.push({
						at: recorded.toMillis(),
						run: async () => {
							await post('record', {
								...base,
								CallStatus: 'completed',
								RecordingUrl: recordingUrl,
								RecordingDuration: String(seconds),
								RecordingSid: `RE${callSid.slice(2)}`,
							});
						},
					});
					actions.push({
						at: recorded.plus({ seconds: c.transcriptDelaySec }).toMillis(),
						run: async () => {
							await post('transcription', {
								...base,
								CallStatus: 'completed',
								TranscriptionText: c.voicemail!,
								TranscriptionStatus: 'completed',
								RecordingSid: `RE${callSid.slice(2)}`,
								RecordingUrl: recordingUrl,
							});
						},
					});
				}
			} else if ('text' in e) {
				const t = e.text;
				actions.push({
					at: when.toMillis(),
					run: async () => {
						const emitted = await post('', {
							AccountSid: ACCOUNT.accountSid,
							MessageSid: `SM${String(++seq).padStart(32, '0')}`,
							From: t.from,
							To: businessNumber,
							Body: t.body,
							NumMedia: '0',
						});
						if (emitted?.type === 'inbound-message' && emitted.action === 'opted-out')
							optOuts[t.from] ??= clock.toISO()!;
					},
				});
			} else {
				const o = e.outcome;
				actions.push({
					at: when.toMillis(),
					run: async () => {
						const open = await store!.findOpenCase(profile.businessId, o.caller);
						if (open) await loop.recordOutcome(open.caseId, { kind: o.kind, note: o.by ? `by ${o.by}` : undefined });
					},
				});
			}
		}
		actions.sort((a, b) => a.at - b.at);
		const days: DayReport[] = [];
		const stepMs = script.tickMinutes * 60e3;
		let next = 0;
		let dayEnd = start.plus({ days: 1 });
		for (let t = start.toUTC(); t < end; t = t.plus({ milliseconds: stepMs })) {
			const until = t.plus({ milliseconds: stepMs }).toMillis();
			// Events inside this step happen at their own second; the tick runs at the end of the step.
			while (next < actions.length && actions[next].at < until) {
				clock = DateTime.fromMillis(Math.max(actions[next].at, t.toMillis()), { zone: 'utc' });
				await actions[next++].run();
			}
			clock = DateTime.fromMillis(until, { zone: 'utc' });
			const report = await loop.tick();
			for (const e of report.errors) tickErrors.push({ at: clock.toISO()!, caseId: e.caseId, error: e.error });
			collect();
			if (clock >= dayEnd.toUTC()) {
				days.push(await dayReport(store, profile, dayEnd.minus({ days: 1 }), clock.toISO()!));
				dayEnd = dayEnd.plus({ days: 1 });
			}
		}
		const cases = await store.listCases({ limit: 10000 });
		labelTexts(texts, cases);
		return { profile, texts, cases, days, tickErrors, optOuts };
	} finally {
		await store?.close();
		await sim.stop();
		if (!opts.dir) rmSync(dir, { recursive: true, force: true });
	}
}

async function dayReport(store: RecoveryStore, profile: Profile, day: DateTime, now: string): Promise<DayReport> {
	const from = day.toUTC().toISO()!;
	const to = day.plus({ days: 1 }).toUTC().toISO()!;
	const cases = await store.listCases({ businessId: profile.businessId, from, to, limit: 10000 });
	const m = computeMetrics(cases, {
		now,
		from,
		to,
		businessId: profile.businessId,
		deadlines: profile.routing.deadlineMinutes,
	});
	const s = scorecard(cases, m);
	return {
		date: day.toISODate()!,
		missed: m.funnel.missed,
		acknowledged: m.funnel.acknowledged,
		owned: m.funnel.owned,
		recovered: m.funnel.recovered,
		openOverdue: cases.filter((c) => c.dueAt && Date.parse(c.dueAt) < Date.parse(now) && !c.stamps.closedAt).length,
		escalationEnded: cases.filter((c) => c.escalationEndedAt).length,
		score: s.score,
		band: s.band,
	};
}

/** Which text was which: an acknowledgment, a follow-up or an owner alert of a case, read from the cases' records. */
function labelTexts(texts: ReceivedText[], cases: Case[]): void {
	const bySid = new Map<string, { kind: ReceivedText['kind']; caseId: string }>();
	for (const c of cases) {
		if (c.ack.messageSid) bySid.set(c.ack.messageSid, { kind: 'ack', caseId: c.caseId });
		for (const f of c.followUps) if (f.sid) bySid.set(f.sid, { kind: 'follow-up', caseId: c.caseId });
		for (const a of c.alerts) if (a.sid) bySid.set(a.sid, { kind: 'owner-alert', caseId: c.caseId });
		for (const t of c.thread) if (t.sid) bySid.set(t.sid, { kind: 'relay', caseId: c.caseId });
	}
	for (const t of texts) {
		const known = t.sid ? bySid.get(t.sid) : undefined;
		if (known) Object.assign(t, known);
	}
}

function unescapeXml(s: string): string {
	return s
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&apos;/g, "'")
		.replace(/&amp;/g, '&');
}

/** A week's texts as people read them: per person, in order, with their local time and segment count. */
export function formatWeek(r: WeekResult): string {
	const zone = zoneOf(r.profile.timeZone);
	const names = new Map(r.profile.roster.filter((m) => m.phone).map((m) => [m.phone!, m.name]));
	const people = [...new Set(r.texts.map((t) => t.to))];
	const firstText = new Date(r.texts[0]?.at ?? Date.now());
	const lines: string[] = [
		`# ${r.profile.name}: what each person received`,
		'',
		`Segments per text (Twilio bills each): ${describeTextCosts(callerTextCosts(r.profile, firstText))}`,
		'',
	];
	const owners = people.filter((p) => names.has(p));
	const callers = people.filter((p) => !names.has(p));
	for (const p of [...callers, ...owners]) {
		const mine = r.texts.filter((t) => t.to === p);
		const callerZone = phoneInfo(p).zone ?? r.profile.timeZone;
		const who = names.has(p) ? `Owner ${names.get(p)} ${formatPhone(p)}` : `Caller ${formatPhone(p)}`;
		const segs = mine.reduce((n, t) => n + t.segments, 0);
		// Each person's times are their own clock: a caller in another zone reads the hour on their phone.
		const clock = names.has(p) ? r.profile.timeZone : callerZone;
		lines.push(`## ${who}: ${mine.length} text(s), ${segs} segment(s), times in ${clock}`);
		for (const t of mine) {
			const local = DateTime.fromISO(t.at, { zone: zoneOf(clock) }).toFormat('ccc HH:mm');
			lines.push(`  ${local}  [${t.segments} seg, ${t.kind}]  ${t.body}`);
		}
		lines.push('');
	}
	const perCase = ownerTextsPerCase(r);
	lines.push('# Owner texts per case');
	lines.push(`  cases: ${r.cases.length}; owner texts per case: max ${perCase.max}, median ${perCase.median}`);
	lines.push('', '# Each day (business time)');
	for (const d of r.days) {
		lines.push(
			`  ${d.date} ${DateTime.fromISO(d.date, { zone }).toFormat('ccc')}: ${d.missed} missed, ` +
				`${d.acknowledged} acknowledged, ${d.owned} owned, ${d.recovered} recovered, ` +
				`${d.openOverdue} open past deadline, ${d.escalationEnded} escalation ended; ` +
				`scorecard ${d.score ?? '-'}: ${d.band}`,
		);
	}
	// What the script's end cut off: a Sunday-night caller's acknowledgment held for their quiet hours is still owed.
	const owed = r.cases.flatMap((c) => {
		const when = (iso: string) => DateTime.fromISO(iso, { zone }).toFormat('ccc HH:mm');
		const out: string[] = [];
		if (c.ack.status === 'deferred' && c.ack.sendAt)
			out.push(`  ${formatPhone(c.caller)}: acknowledgment at ${when(c.ack.sendAt)} (${c.ack.reason ?? 'deferred'})`);
		if (c.alertHoldUntil && c.owner)
			out.push(`  ${c.owner.name}: first alert about ${formatPhone(c.caller)} at ${when(c.alertHoldUntil)}`);
		return out;
	});
	if (owed.length) lines.push('', `# Still to come when the script ended (times in ${r.profile.timeZone})`, ...owed);
	if (r.tickErrors.length) {
		lines.push('', '# Cases the tick set aside (the others went on)');
		for (const e of r.tickErrors.slice(0, 10)) lines.push(`  ${e.at} case ${e.caseId.slice(0, 8)}: ${e.error}`);
	}
	return lines.join('\n');
}

/** Owner texts per case (new-case, emergency, escalation and reminder alerts that went out). */
export function ownerTextsPerCase(r: WeekResult): { max: number; median: number; counts: number[] } {
	const counts = r.cases.map((c) => c.alerts.filter((a) => a.status === 'sent').length).sort((a, b) => a - b);
	const median = counts.length ? counts[Math.floor((counts.length - 1) / 2)] : 0;
	return { max: counts.length ? counts[counts.length - 1] : 0, median, counts };
}

/** Whether the business was open at a text's time (for checking the words against the moment). */
export function openAt(profile: Profile, iso: string): boolean {
	return isOpenAt(profile, iso);
}
