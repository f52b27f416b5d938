import { randomUUID } from 'node:crypto';
import {
	messageView,
	planAcknowledgment,
	renderTemplate,
	sanitizeCallerText,
	type AckContext,
	type AckPlan,
	type LineType,
} from './acknowledge';
import { classify, type Classification } from './classify';
import { ConcurrentUpdateError, RecoveryInputError } from './errors';
import {
	isOpen,
	notDelivered,
	URGENCIES,
	type Attempt,
	type Case,
	type InboundMessage,
	type MessageStatus,
	type MissedCall,
	type Outcome,
	type VoicemailEvent,
} from './model';
import { maskPhone } from './phone';
import type { Profile } from './profile/schema';
import { timingOf } from './profile/timing';
import { instant, utcIso, zoneOf } from './profile/zone';
import {
	DEFAULT_RETRY,
	ProviderError,
	withRetry,
	type MessagingProvider,
	type RetryPolicy,
	type SendRequest,
} from './provider';
import { deadlineFor, escalate, route, type RouteDecision } from './route';
import { countSegments } from './acknowledge/segments';
import { CapReachedError } from './store/caps';
import { ACK_SAFETY_NET_MS } from './store/sql-store';
import type { MessageRecord, RecoveryStore } from './store/types';
import { bridgeTwiml } from './twilio/twiml';
import {
	applyClassification,
	applyEscalation,
	applyRoute,
	attachVoicemail,
	foldCall,
	newCase,
	recordAck,
	recordAttempt,
	recordOutcome,
	recordReply,
} from './track/case';

export interface LoopDeps {
	store: RecoveryStore;
	provider?: MessagingProvider;
	/** The profile for a business id; throws or returns undefined when unknown. */
	profileFor: (businessId: string) => Profile | undefined;
	now?: () => Date;
	retry?: RetryPolicy;
	/** Where Twilio posts delivery status for messages we send. */
	statusCallbackUrl?: string;
	log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface AckOutcome {
	case: Case;
	plan: AckPlan | { action: 'none'; reason: string };
	sent?: { sid: string };
	error?: string;
}

const LABELS: Record<string, string> = { emergency: 'EMERGENCY', high: 'HIGH', normal: 'Normal', low: 'Low' };

/**
 * The recovery loop as a service: each stage reads the case from the store, decides with the pure stage
 * functions, performs the effect, and saves. Adapters (n8n, Node-RED, the demo) call these, one per node.
 */
export class RecoveryLoop {
	constructor(readonly deps: LoopDeps) {}

	private now(): string {
		return (this.deps.now?.() ?? new Date()).toISOString();
	}

	profile(businessId: string): Profile {
		const p = this.deps.profileFor(businessId);
		if (!p)
			throw new RecoveryInputError(
				'businessId',
				businessId,
				'No business profile has this id: configure the business, or map the called number to one.',
			);
		return p;
	}

	private provider(): MessagingProvider {
		if (!this.deps.provider)
			throw new RecoveryInputError(
				'provider',
				undefined,
				'Sending needs a Twilio account: add the credential to the node.',
			);
		return this.deps.provider;
	}

	/**
	 * Reads, changes and saves a case, re-reading when another process saved first. `known` is a copy this stage
	 * has just read (saves a read; a stale copy only costs a retry, the save checks the version); `messages` are
	 * recorded in the same commit as the change.
	 */
	async mutate(
		caseId: string,
		change: (c: Case) => Case | Promise<Case>,
		opts: { known?: Case; messages?: MessageRecord[] } = {},
	): Promise<Case> {
		for (let i = 0; i < 8; i++) {
			const current = i === 0 && opts.known?.caseId === caseId ? opts.known : await this.deps.store.getCase(caseId);
			if (!current)
				throw new RecoveryInputError(
					'caseId',
					caseId,
					'No case has this id: pass the caseId from the Recovery Tracker or trigger output.',
				);
			const next = await change(current);
			if (next === current) {
				for (const m of opts.messages ?? []) await this.deps.store.recordMessage(m);
				return current;
			}
			try {
				return await this.deps.store.saveCase(next, { messages: opts.messages, previous: current });
			} catch (e) {
				if (!(e instanceof ConcurrentUpdateError)) throw e;
			}
		}
		throw new ConcurrentUpdateError(caseId);
	}

	/** Detect: stores the case before anything else happens. A duplicate delivery changes nothing. */
	async detect(event: MissedCall): Promise<{ case: Case; created: boolean; duplicate: boolean; event: MissedCall }> {
		const at = this.now();
		const r = await this.deps.store.openOrJoinCase(event, (existing) =>
			existing ? foldCall(existing, event, at) : newCase(event, at),
		);
		const repeat = r.case.calls.length - 1;
		return { ...r, event: { ...event, repeat } };
	}

	/** Attaches a voicemail or its transcript to the case of its call; re-classifies when words arrive. */
	async voicemail(v: VoicemailEvent): Promise<Case | undefined> {
		const found = await this.deps.store.findCaseByEvent(`${v.provider}:${v.callSid}`);
		if (!found) return undefined;
		return this.mutate(found.caseId, (c) => attachVoicemail(c, v.callSid, v.voicemail, v.eventId, this.now()));
	}

	private async lineType(profile: Profile, caller: string): Promise<LineType | undefined> {
		if (!profile.acknowledgment.checkLineType || !this.deps.provider) return undefined;
		try {
			return await withRetry(() => this.deps.provider!.lookupLineType(caller), {
				...(this.deps.retry ?? DEFAULT_RETRY),
				retries: 1,
			});
		} catch (e) {
			// A failed lookup must not stop the text: the send itself reports a landline (21614).
			this.deps.log?.('warn', `line type lookup for ${maskPhone(caller)} failed: ${(e as Error).message}`);
			return undefined;
		}
	}

	/**
	 * Acknowledge: decides with every guard, sends with retries, and records the result on the case.
	 * A send that keeps failing is flagged on the case with a retry time, never dropped.
	 */
	async acknowledge(caseId: string, opts: { force?: boolean } = {}): Promise<AckOutcome> {
		const current = await this.deps.store.getCase(caseId);
		if (!current) throw new RecoveryInputError('caseId', caseId, 'No case has this id.');
		if (!opts.force && (current.ack.status === 'sent' || current.ack.status === 'skipped')) {
			return { case: current, plan: { action: 'none', reason: `already ${current.ack.status}` } };
		}
		if (current.ack.status === 'sending') {
			const settled = await this.settleUnfinishedSend(current, !!opts.force);
			if (settled) return settled;
		}
		// A cut-off send going again still holds its slot under the caps: the plan does not count it against itself, and
		// the reservation gives it back in the commit that takes the new one (a run that lost the race rolls back).
		const held = current.ack.status === 'sending' ? 1 : 0;
		const profile = this.profile(current.businessId);
		const now = this.now();
		const [optedOut, stats] = await Promise.all([
			this.deps.store.isOptedOut(current.businessId, current.caller),
			this.deps.store.messageStats(current.businessId, current.caller, now),
		]);
		const context: AckContext = {
			now,
			optedOut,
			lastAckAt: stats.lastAckAt,
			sentToCallerLast24h: stats.sentToCallerLast24h,
			businessSentLastHour: Math.max(0, stats.businessSentLastHour - held),
			businessSentLastDay: Math.max(0, (stats.businessSentLastDay ?? 0) - held),
		};
		// Every free guard first (opt-out, country, short call, window, caps, quiet hours): the paid line type lookup
		// runs only for a text that would go out now.
		let plan = planAcknowledgment(profile, current, context);
		if (plan.action === 'send') {
			const lineType = await this.lineType(profile, current.caller);
			if (lineType) plan = planAcknowledgment(profile, current, { ...context, lineType });
		}
		const key = `ack:${current.ack.tries}:${current.ack.status}:${current.ack.sendAt ?? ''}`;
		if (plan.action === 'skip') {
			const c = await this.mutate(
				caseId,
				(c) => recordAck(c, { status: 'skipped', reason: `${plan.reason}: ${plan.detail}` }, key, now),
				{ known: current },
			);
			return { case: c, plan };
		}
		if (plan.action === 'defer') {
			const c = await this.mutate(
				caseId,
				(c) =>
					recordAck(c, { status: 'deferred', sendAt: plan.sendAt, reason: plan.reason, body: plan.body }, key, now),
				{ known: current },
			);
			return { case: c, plan };
		}
		return this.sendAck(current, plan, key);
	}

	/**
	 * A send that started and was never recorded (the process died while it was out, or is still out). Recent: left
	 * alone. Older: the provider is asked whether the text left; if it did it is recorded, never sent twice; if it did
	 * not, undefined (send it now); if the provider cannot tell, the case is flagged and asked again on the next sweep.
	 */
	private async settleUnfinishedSend(c: Case, force: boolean): Promise<AckOutcome | undefined> {
		const ack = c.ack;
		const now = this.now();
		if (!force && Date.parse(now) - Date.parse(ack.since ?? c.stamps.detectedAt) < ACK_SAFETY_NET_MS) {
			return { case: c, plan: { action: 'none', reason: `a send started at ${ack.since} is still in progress` } };
		}
		const provider = this.provider();
		if (!provider.findSentMessage || !ack.body || !ack.from) return undefined;
		try {
			const found = await withRetry(
				() =>
					provider.findSentMessage!({
						to: c.caller,
						from: ack.from!,
						body: ack.body!,
						channel: ack.channel ?? 'sms',
						since: ack.since ?? c.stamps.detectedAt,
					}),
				this.deps.retry,
			);
			if (!found) {
				this.deps.log?.('warn', `acknowledgment to ${maskPhone(c.caller)} was cut off before it left: sending it now`);
				return undefined;
			}
			const message: MessageRecord = {
				businessId: c.businessId,
				to: c.caller,
				kind: 'ack',
				at: now,
				sid: found.sid,
				status: found.status,
				caseId: c.caseId,
			};
			const key = `ack:${ack.tries}:confirmed:${found.sid}`;
			const done = await this.mutate(
				c.caseId,
				(x) =>
					x.ack.status === 'sending'
						? recordAck(
								x,
								{
									status: 'sent',
									messageSid: found.sid,
									body: ack.body!,
									channel: ack.channel ?? 'sms',
									segments: countSegments(ack.body!).segments,
								},
								key,
								now,
							)
						: x,
				{ known: c, messages: [message] },
			);
			return {
				case: done,
				plan: { action: 'none', reason: `the cut-off send had left (${found.sid}): recorded, not sent again` },
				sent: found,
			};
		} catch (e) {
			const flagged = await this.mutate(
				c.caseId,
				(x) => (x.flags.includes('ack-unconfirmed') ? x : { ...x, flags: [...x.flags, 'ack-unconfirmed'] }),
				{ known: c },
			);
			return {
				case: flagged,
				plan: {
					action: 'none',
					reason: 'a cut-off send could not be confirmed with the provider: asked again on the next sweep',
				},
				error: (e as Error).message,
			};
		}
	}

	/**
	 * Marks the case as sending and takes its slot under the caps in one commit (the case's own read-save loop, as
	 * mutate, with the reservation in the save). A full cap comes back as CapReachedError with nothing saved.
	 */
	private async markSending(
		c0: Case,
		plan: Extract<AckPlan, { action: 'send' }>,
		key: string,
		claim: string,
	): Promise<Case> {
		const profile = this.profile(c0.businessId);
		const caps = profile.acknowledgment;
		for (let i = 0; i < 8; i++) {
			const current = i === 0 ? c0 : await this.deps.store.getCase(c0.caseId);
			if (!current) throw new RecoveryInputError('caseId', c0.caseId, 'No case has this id.');
			// Another run moved the case on (sent, skipped, or marked it first): nothing to send.
			if (current.ack.status !== c0.ack.status || current.ack.tries !== c0.ack.tries) return current;
			const at = this.now();
			const next = recordAck(
				current,
				{ status: 'sending', body: plan.body, channel: plan.channel, from: plan.from, claim },
				`${key}:sending`,
				at,
			);
			if (next === current) return current;
			try {
				return await this.deps.store.saveCase(next, {
					previous: current,
					reserve: {
						businessId: c0.businessId,
						to: plan.to,
						caseId: c0.caseId,
						at,
						hourlyCap: caps.hourlyCap,
						dailyCap: caps.dailyCap,
						perCallerDailyCap: caps.perCallerDailyCap,
						afterCutOff: c0.ack.status === 'sending',
					},
				});
			} catch (e) {
				if (!(e instanceof ConcurrentUpdateError)) throw e;
			}
		}
		throw new ConcurrentUpdateError(c0.caseId);
	}

	/**
	 * Sends for the case just read by acknowledge(). The case says "sending" before the text goes out, in its own
	 * commit that also takes the text's slot under the caps, so a crash mid-send leaves a trace the sweep settles with
	 * the provider (at most one text, never none), and sends in flight together never pass a cap. A send that ends
	 * without a text (refused, or retries ran out) gives its slot back; a retry takes a new one.
	 */
	private async sendAck(c0: Case, plan: Extract<AckPlan, { action: 'send' }>, key: string): Promise<AckOutcome> {
		const caseId = c0.caseId;
		const claim = randomUUID();
		let marked: Case;
		try {
			marked = await this.markSending(c0, plan, key, claim);
		} catch (e) {
			if (!(e instanceof CapReachedError)) throw e;
			const at = this.now();
			const c = await this.mutate(
				caseId,
				(c) => recordAck(c, { status: 'skipped', reason: `${e.reason}: ${e.detail}` }, key, at),
				{ known: c0 },
			);
			return { case: c, plan: { action: 'skip', reason: e.reason, detail: e.detail } };
		}
		if (marked.ack.claim !== claim)
			return { case: marked, plan: { action: 'none', reason: `another run got there first (${marked.ack.status})` } };
		try {
			const sent = await this.sendOnce(
				{
					to: plan.to,
					from: plan.from,
					body: plan.body,
					channel: plan.channel,
					statusCallback: this.deps.statusCallbackUrl,
				},
				{ since: marked.ack.since ?? this.now(), askFirst: c0.ack.status === 'failed', what: 'acknowledgment' },
			);
			const at = this.now();
			const message: MessageRecord = {
				businessId: c0.businessId,
				to: plan.to,
				kind: 'ack',
				at,
				sid: sent.sid,
				status: sent.status,
				caseId,
			};
			const c = await this.mutate(
				caseId,
				(c) =>
					recordAck(
						c,
						{ status: 'sent', messageSid: sent.sid, body: plan.body, channel: plan.channel, segments: plan.segments },
						key,
						at,
					),
				{ known: marked, messages: [message] },
			);
			return { case: c, plan, sent };
		} catch (e) {
			const err = e as ProviderError;
			const at = this.now();
			// The text did not leave: its slot under the caps is given back with the error.
			const release: MessageRecord = {
				businessId: c0.businessId,
				to: plan.to,
				kind: 'ack',
				at,
				status: 'failed',
				caseId,
				errorCode: err.code,
			};
			if (err instanceof ProviderError && !err.retryable) {
				if (err.kind === 'opted-out')
					await this.deps.store.setOptOut(c0.businessId, plan.to, true, `provider error ${err.code}`, at);
				const reason = err.kind === 'opted-out' ? 'opted-out' : err.kind === 'landline' ? 'landline' : err.kind;
				const c = await this.mutate(
					caseId,
					(c) => recordAck(c, { status: 'skipped', reason: `${reason}: ${err.message}` }, key, at),
					{ known: marked, messages: [release] },
				);
				return { case: c, plan, error: err.message };
			}
			// Retries ran out: flag the case and schedule another try; the deferred-ack sweep picks it up.
			const retryAt = utcIso(instant(at).plus({ minutes: Math.min(60, 5 * 2 ** c0.ack.tries) }));
			const c = await this.mutate(
				caseId,
				(c) => recordAck(c, { status: 'failed', error: { code: err.code, message: err.message }, retryAt }, key, at),
				{ known: marked, messages: [release] },
			);
			return { case: c, plan, error: err.message };
		}
	}

	/**
	 * Sends with retries, where every try after the first asks the provider first whether an earlier one left after
	 * all (a request that timed out or lost its connection may have been created): a retry never sends a text twice.
	 */
	private async sendOnce(
		req: SendRequest,
		o: { since: string; askFirst: boolean; what: string },
	): Promise<{ sid: string; status: string }> {
		const provider = this.provider();
		let askFirst = o.askFirst;
		return withRetry(
			async () => {
				if (askFirst && provider.findSentMessage) {
					const found = await provider.findSentMessage({
						to: req.to,
						from: req.from,
						body: req.body,
						channel: req.channel,
						since: o.since,
					});
					if (found) return found;
				}
				askFirst = true;
				return provider.sendMessage(req);
			},
			this.deps.retry,
			(e, n, wait) =>
				this.deps.log?.('warn', `${o.what} to ${maskPhone(req.to)} failed (${e.message}); retry ${n} in ${wait} ms`),
		);
	}

	/** Classify: from every word the caller left (voicemail transcripts, replies), repeats, timing. */
	async classify(
		caseId: string,
		extraTexts: string[] = [],
	): Promise<{ case: Case; classification: Classification; raised: boolean }> {
		let classification!: Classification;
		let raised = false;
		const c = await this.mutate(caseId, (c) => {
			const profile = this.profile(c.businessId);
			const first = c.calls[0];
			const last = c.calls[c.calls.length - 1];
			const texts = [
				...c.calls.map((k) => k.voicemail?.transcript ?? ''),
				...c.replies.map((r) => r.body),
				...extraTexts,
			].filter(Boolean);
			const vmSec = Math.max(0, ...c.calls.map((k) => k.voicemail?.durationSec ?? 0));
			const timing = timingOf(profile, first.startedAt);
			classification = classify(profile, {
				texts,
				callCount: c.calls.length,
				minutesBetweenCalls:
					c.calls.length > 1 ? (Date.parse(last.startedAt) - Date.parse(first.startedAt)) / 60000 : undefined,
				timing,
				reason: last.reason,
				voicemailSec: vmSec || undefined,
				knownCustomer: profile.classification.knownCustomers.includes(c.caller),
			});
			const key = `classify:${classification.urgency}:${classification.serviceType}:${texts.length}:${c.calls.length}`;
			const next = applyClassification(c, classification, key, this.now());
			raised = next !== c && !!c.urgency && URGENCIES.indexOf(classification.urgency) < URGENCIES.indexOf(c.urgency);
			// An owned case whose urgency rose gets the tighter deadline of its new urgency, counted from detection.
			if (raised && next.owner && next.dueAt) {
				const tighter = deadlineFor(profile, classification.urgency, next.stamps.detectedAt);
				if (tighter < next.dueAt)
					return {
						...next,
						dueAt: tighter,
						reasons: [...next.reasons, `urgency rose from ${c.urgency}: deadline moved to ${tighter}`],
					};
			}
			return next;
		});
		return { case: c, classification, raised };
	}

	/** Route: exactly one owner and a deadline, or an explicit "nobody available". */
	async route(caseId: string): Promise<{ case: Case; decision: RouteDecision }> {
		const current = await this.deps.store.getCase(caseId);
		if (!current) throw new RecoveryInputError('caseId', caseId, 'No case has this id.');
		if (current.owner && current.state !== 'detected') {
			return {
				case: current,
				decision: {
					kind: 'assigned',
					owner: current.owner,
					dueAt: current.dueAt!,
					escalationLevel: current.escalationLevel,
					strategy: 'kept',
					reasons: ['already owned'],
				},
			};
		}
		const profile = this.profile(current.businessId);
		const now = this.now();
		// Open cases per owner matter only to least-loaded routing and to owners with a cap; counting them reads every open case.
		const needsCounts =
			profile.routing.strategy === 'least-loaded' || profile.roster.some((m) => m.maxOpen !== undefined);
		const openCounts = needsCounts ? await this.deps.store.openCountsByOwner(current.businessId) : {};
		const urgency = current.urgency ?? 'normal';
		const timing = current.timing ?? timingOf(profile, current.calls[0].startedAt);
		const needsTurn = profile.routing.strategy !== 'least-loaded' && profile.roster.filter((m) => m.active).length > 1;
		const roundRobin = needsTurn
			? await this.deps.store.nextRoundRobin(
					current.businessId,
					`${profile.routing.strategy}:${current.serviceType ?? ''}`,
				)
			: 0;
		const decision = route(
			profile,
			{ urgency, serviceType: current.serviceType, timing, now },
			{ openCounts, roundRobin },
		);
		const c = await this.mutate(
			caseId,
			(c) => applyRoute(c, decision, `route:${decision.kind}:${c.escalationLevel}`, now),
			{ known: current },
		);
		return { case: c, decision };
	}

	/** The text an owner gets about a case. */
	ownerAlertText(c: Case): string {
		const profile = this.profile(c.businessId);
		const transcript = sanitizeCallerText(
			c.calls
				.map((k) => k.voicemail?.transcript)
				.filter(Boolean)
				.join(' '),
			160,
		);
		const due = c.dueAt ? instant(c.dueAt, zoneOf(profile.timeZone)).toFormat('h:mm a ccc') : 'soon';
		return renderTemplate(
			profile.messages.ownerAlert,
			{
				...messageView(profile, c, this.now()),
				urgencyLabel: LABELS[c.urgency ?? 'normal'],
				serviceType: c.serviceType ?? 'general',
				timingLabel: c.timing ?? 'unknown timing',
				dueLocal: due,
				transcript,
				caseShort: c.caseId.slice(0, 8),
				ownerName: c.owner?.name ?? '',
			},
			'messages.ownerAlert',
		);
	}

	/** Texts the owner; failures are recorded on the case, never thrown away. */
	async alertOwner(
		caseId: string,
		kind: 'owner-alert' | 'escalation' = 'owner-alert',
		known?: Case,
	): Promise<{ case: Case; sent?: { sid: string }; error?: string }> {
		const c = known?.caseId === caseId ? known : await this.deps.store.getCase(caseId);
		if (!c) throw new RecoveryInputError('caseId', caseId, 'No case has this id.');
		if (!c.owner?.phone) return { case: c, error: 'the owner has no phone number in the roster' };
		const body = this.ownerAlertText(c);
		const from = this.profile(c.businessId).acknowledgment.from ?? c.calledNumber;
		const at = this.now();
		try {
			const sent = await this.sendOnce(
				{ to: c.owner.phone, from, body, channel: 'sms', statusCallback: this.deps.statusCallbackUrl },
				{ since: at, askFirst: false, what: kind },
			);
			await this.deps.store.recordMessage({
				businessId: c.businessId,
				to: c.owner.phone,
				kind,
				at,
				sid: sent.sid,
				status: sent.status,
				caseId,
			});
			return { case: c, sent };
		} catch (e) {
			await this.deps.store.recordMessage({
				businessId: c.businessId,
				to: c.owner.phone,
				kind,
				at,
				status: 'failed',
				caseId,
				errorCode: (e as ProviderError).code,
			});
			const flagged = await this.mutate(
				caseId,
				(x) => (x.flags.includes('owner-alert-failed') ? x : { ...x, flags: [...x.flags, 'owner-alert-failed'] }),
				{ known: c },
			);
			return { case: flagged, error: (e as Error).message };
		}
	}

	/**
	 * The Owner Router's whole job, the same in both runtimes: route, then tell the owner (a new owner, or a kept one
	 * when a voicemail raised the urgency), and, when asked, connect the caller by phone at once.
	 */
	async routeAndNotify(
		caseId: string,
		opts: { alertOwner: boolean; connectCaller: 'never' | 'emergency' | 'always'; raised?: boolean },
	): Promise<{
		case: Case;
		decision: RouteDecision;
		ownerAlert?: { messageSid?: string; error?: string };
		bridge?: { callSid?: string; error?: string };
	}> {
		const r = await this.route(caseId);
		let c = r.case;
		const news = r.decision.kind === 'assigned' && (r.decision.strategy !== 'kept' || !!opts.raised);
		let ownerAlert: { messageSid?: string; error?: string } | undefined;
		let bridge: { callSid?: string; error?: string } | undefined;
		if (news && opts.alertOwner && this.deps.provider) {
			const a = await this.alertOwner(caseId, 'owner-alert', c);
			c = a.case;
			ownerAlert = { messageSid: a.sent?.sid, error: a.error };
		}
		const wantsCall =
			opts.connectCaller === 'always' || (opts.connectCaller === 'emergency' && c.urgency === 'emergency');
		if (news && wantsCall && this.deps.provider) {
			const b = await this.connectCaller(caseId, c);
			c = b.case;
			bridge = { callSid: b.call?.sid, error: b.error };
		}
		return { case: c, decision: r.decision, ownerAlert, bridge };
	}

	/**
	 * Connects the caller to the owner by phone: Twilio rings the owner, announces the case, and dials the caller
	 * from the business number (an outbound bridge call). The call is recorded on the case as an attempt.
	 */
	async connectCaller(caseId: string, known?: Case): Promise<{ case: Case; call?: { sid: string }; error?: string }> {
		const c = known?.caseId === caseId ? known : await this.deps.store.getCase(caseId);
		if (!c) throw new RecoveryInputError('caseId', caseId, 'No case has this id.');
		if (!c.owner?.phone) return { case: c, error: 'the owner has no phone number in the roster' };
		if (!isOpen(c.state)) return { case: c, error: `the case is ${c.state}: nobody to connect` };
		const profile = this.profile(c.businessId);
		const spoken = c.caller.replace(/^\+1/, '').split('').join(' ');
		const announce = `${c.urgency === 'emergency' ? 'Emergency. ' : ''}Missed call for ${profile.name} from ${spoken}${c.serviceType ? `, about ${c.serviceType.replace(/-/g, ' ')}` : ''}. Connecting you to the caller now.`;
		const key = `bridge:${caseId}:${c.owner.id}`;
		try {
			const call = await withRetry(
				() =>
					this.provider().placeCall({
						to: c.owner!.phone!,
						from: c.calledNumber,
						twiml: bridgeTwiml({ announce, caller: c.caller, callerId: c.calledNumber }),
					}),
				this.deps.retry,
			);
			const a: Attempt = {
				channel: 'call',
				result: 'sent',
				by: c.owner.id,
				note: `bridge call ${call.sid}: owner rung, then the caller`,
				at: this.now(),
			};
			const updated = await this.mutate(caseId, (x) => recordAttempt(x, a, key), { known: c });
			return { case: updated, call };
		} catch (e) {
			const flagged = await this.mutate(
				caseId,
				(x) => (x.flags.includes('bridge-failed') ? x : { ...x, flags: [...x.flags, 'bridge-failed'] }),
				{ known: c },
			);
			return { case: flagged, error: (e as Error).message };
		}
	}

	async recordAttempt(caseId: string, attempt: Omit<Attempt, 'at'> & { at?: string }, key?: string): Promise<Case> {
		const a: Attempt = { ...attempt, at: attempt.at ?? this.now() };
		return this.mutate(caseId, (c) => recordAttempt(c, a, key ?? `attempt:${a.at}:${a.channel}:${a.result}`));
	}

	async recordOutcome(
		caseId: string,
		outcome: { kind: Outcome; value?: number; note?: string },
		key?: string,
	): Promise<Case> {
		const at = this.now();
		return this.mutate(caseId, (c) => recordOutcome(c, outcome, key ?? `outcome:${outcome.kind}`, at));
	}

	/**
	 * An SMS from a caller: STOP/START/HELP change the opt-out list (and are confirmed, as carriers require);
	 * anything else is a reply that re-engages the caller's open case.
	 */
	async inbound(m: InboundMessage): Promise<{
		action: 'opted-out' | 'opted-in' | 'help' | 'reply' | 'duplicate' | 'no-case';
		case?: Case;
		replyText?: string;
	}> {
		if (!(await this.deps.store.claimKey(m.eventId, m.businessId, m.receivedAt))) return { action: 'duplicate' };
		const profile = this.profile(m.businessId);
		const view = messageView(profile, { caller: m.from, calledNumber: m.to }, m.receivedAt);
		if (m.keyword === 'stop') {
			await this.deps.store.setOptOut(m.businessId, m.from, true, 'STOP reply', m.receivedAt);
			const open = await this.deps.store.findOpenCase(m.businessId, m.from);
			let c: Case | undefined;
			if (open)
				c = await this.mutate(open.caseId, (x) =>
					x.flags.includes('opted-out') ? x : { ...x, flags: [...x.flags, 'opted-out'] },
				);
			return {
				action: 'opted-out',
				case: c,
				replyText: renderTemplate(profile.messages.optOutConfirm, view, 'messages.optOutConfirm'),
			};
		}
		if (m.keyword === 'start') {
			await this.deps.store.setOptOut(m.businessId, m.from, false, 'START reply', m.receivedAt);
			return {
				action: 'opted-in',
				replyText: renderTemplate(profile.messages.optInConfirm, view, 'messages.optInConfirm'),
			};
		}
		if (m.keyword === 'help')
			return { action: 'help', replyText: renderTemplate(profile.messages.help, view, 'messages.help') };
		const open = await this.deps.store.findOpenCase(m.businessId, m.from);
		if (!open) return { action: 'no-case' };
		const c = await this.mutate(open.caseId, (x) => recordReply(x, m.body, m.eventId, m.receivedAt));
		return { action: 'reply', case: c };
	}

	/** Delivery status: an undelivered acknowledgment is flagged; 21610 records an opt-out. */
	async messageStatus(s: MessageStatus): Promise<{ case?: Case }> {
		const rec = await this.deps.store.updateMessageStatus(s.messageSid, s.status, s.errorCode);
		if (!rec) return {};
		if (s.errorCode === 21610)
			await this.deps.store.setOptOut(rec.businessId, rec.to, true, 'provider error 21610', s.at);
		if (!rec.caseId || !notDelivered(s.status)) return {};
		// A text to the owner that never arrived is the same trouble as one that could not be sent.
		const flag = rec.kind === 'owner-alert' || rec.kind === 'escalation' ? 'owner-alert-failed' : 'message-undelivered';
		const c = await this.mutate(rec.caseId, (x) => (x.flags.includes(flag) ? x : { ...x, flags: [...x.flags, flag] }));
		return { case: c };
	}

	/** Escalates overdue cases; each case is claimed by one sweeper only, whichever process runs it. */
	async sweepOverdue(opts: { businessId?: string; limit?: number; leaseSeconds?: number } = {}): Promise<Case[]> {
		const now = this.now();
		const lease = utcIso(instant(now).plus({ seconds: opts.leaseSeconds ?? 120 }));
		const claimed = await this.deps.store.claimOverdue(now, lease, opts);
		const out: Case[] = [];
		for (const c of claimed) {
			const profile = this.deps.profileFor(c.businessId);
			if (!profile) continue;
			if (!c.owner && !c.dueAt && !c.nobodyAvailable) {
				// Never routed: the process running the pipeline died between stages. Finish the job now.
				if (!c.urgency) await this.classify(c.caseId);
				out.push((await this.route(c.caseId)).case);
				continue;
			}
			const d = escalate(profile, c, now);
			out.push(
				await this.mutate(c.caseId, (x) => applyEscalation(x, d, `escalate:${x.escalationLevel}:${x.dueAt}`, now)),
			);
		}
		return out;
	}

	/** Sends acknowledgments whose quiet hours ended, and retries failed ones whose time came. */
	async sendDueAcks(limit = 100): Promise<AckOutcome[]> {
		const now = this.now();
		const lease = utcIso(instant(now).plus({ minutes: 5 }));
		const due = await this.deps.store.claimDueAcks(now, lease, limit);
		const out: AckOutcome[] = [];
		for (const c of due) out.push(await this.acknowledge(c.caseId));
		return out;
	}

	/** The whole loop for one event, as the quick-start template runs it. */
	async run(event: MissedCall): Promise<{
		case: Case;
		duplicate: boolean;
		ack?: AckOutcome;
		classification?: Classification;
		decision?: RouteDecision;
		alert?: { sent?: { sid: string }; error?: string };
	}> {
		const d = await this.detect(event);
		if (d.duplicate) return { case: d.case, duplicate: true };
		const ack = await this.acknowledge(d.case.caseId);
		const k = await this.classify(d.case.caseId);
		const r = await this.route(d.case.caseId);
		const alert = r.decision.kind === 'assigned' && d.created ? await this.alertOwner(d.case.caseId) : undefined;
		const c = (await this.deps.store.getCase(d.case.caseId))!;
		return { case: c, duplicate: false, ack, classification: k.classification, decision: r.decision, alert };
	}
}
