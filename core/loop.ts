import { randomUUID } from 'node:crypto';
import {
	messageView,
	planAcknowledgment,
	quietHoursRelease,
	renderTemplate,
	sanitizeCallerText,
	type AckContext,
	type AckPlan,
	type LineType,
} from './acknowledge';
import { classify, type Classification, type ClassifyInput } from './classify';
import {
	askModelFor,
	askWithTimeout,
	mergeModel,
	MODEL_TIMEOUT_MS,
	type AskModel,
	type ModelClassification,
} from './classify/model';
import {
	bookingLink,
	buildAssistantMessages,
	businessFacts,
	conversationOf,
	fallbackText,
	guardReply,
	handoffText,
	intakeFor,
	MAX_REPLY_CHARS,
	parseTurn,
	planTurn,
	turnFromInput,
	turnOutputSchema,
	type AssistantTurn,
	type AssistantTurnInput,
	type ConversationLine,
	type HandoffReason,
	type TurnContext,
} from './assistant';
import { ConcurrentUpdateError, IllegalTransitionError, RecoveryInputError } from './errors';
import type { AiResolved } from './normalize/common';
import { isoNow } from './instant';
import {
	ACK_SAFETY_NET_MS,
	alertRetryAt,
	alertRetryFor,
	isOpen,
	notDelivered,
	OPEN_STATES,
	URGENCIES,
	type Attempt,
	type Case,
	type InboundMessage,
	type MessageStatus,
	type MissedCall,
	type Outcome,
	type OwnerAlertKind,
	type VoicemailEvent,
} from './model';
import { awaitingWords, ownerText, planOverdue, planOwnerAlert, type AlertPlan } from './notify';
import { formatPhone, maskPhone } from './phone';
import type { Profile } from './profile/schema';
import { timingOf } from './profile/timing';
import { instant, utcIso } from './profile/zone';
import {
	DEFAULT_RETRY,
	ProviderError,
	withRetry,
	type MessagingProvider,
	type RetryPolicy,
	type SendRequest,
	type SentMessage,
} from './provider';
import { deadlineFor, escalate, route, type RouteDecision } from './route';
import { countSegments } from './acknowledge/segments';
import {
	caseLinkKey,
	caseLinkUrl,
	PAGE_ACTIONS,
	renderCasePage,
	renderLinkRefusal,
	signCaseLink,
	verifyCaseLink,
	type PageAction,
	type PageNotice,
} from './case-page';
import { buildReport, type BuildReportOptions, type BuiltReport } from './report';
import { revocationIn } from './optout';
import { OWNER_HELP, parseOwnerCommand, type OwnerCommand } from './owner';
import { hazardsIn, safetyStepTemplate } from './safety';
import { CapReachedError } from './store/caps';
import type { MessageRecord, RecoveryStore } from './store/types';
import { bridgeTwiml } from './twilio/twiml';
import type { TriggerEvent } from './trigger';
import {
	applyClassification,
	applyEscalation,
	applyRoute,
	attachVoicemail,
	rerouteOnWords,
	foldCall,
	newCase,
	recordAck,
	recordAttempt,
	endEscalation,
	holdAlert,
	recordAlert,
	recordFollowUp,
	recordOutcome,
	recordReminder,
	recordReply,
	claimCase,
	claimOnce,
	claimedBy,
	recordThread,
	recordIntake,
	recordAssistantHandoff,
	recovered,
	revokeLinks,
	settledByVoiceAgent,
	snooze,
	type CaseOpening,
} from './track/case';

/** A request to the case page, as a trigger received it (the form already parsed from its urlencoded body). */
export interface CasePageRequest {
	method: string;
	token: string;
	form?: { action?: string; nonce?: string };
}

export interface CasePageAnswer {
	status: number;
	contentType: string;
	body: string;
	/** For a 405: the methods the page takes. */
	allow?: string;
}

const HTML = 'text/html; charset=utf-8';

/** What each case-page button does, as the owner's text command of the same meaning. */
const PAGE_COMMANDS: Record<PageAction, Exclude<OwnerCommand, { kind: 'list' } | { kind: 'relay' }>> = {
	claim: { kind: 'claim' },
	call: { kind: 'call' },
	booked: { kind: 'outcome', outcome: 'booked' },
	'called-back': { kind: 'outcome', outcome: 'called-back' },
	lost: { kind: 'outcome', outcome: 'lost' },
	pass: { kind: 'pass' },
};

export interface LoopDeps {
	store: RecoveryStore;
	provider?: MessagingProvider;
	/** The profile for a business id; throws or returns undefined when unknown. */
	profileFor: (businessId: string) => Profile | undefined;
	now?: () => Date;
	retry?: RetryPolicy;
	/** Where Twilio posts delivery status for messages we send. */
	statusCallbackUrl?: string;
	/**
	 * Owner alerts link to a case page served by the trigger at `baseUrl` (its public webhook URL), signed with a key
	 * derived from `secret` (the Twilio Auth Token). Absent: alerts carry no link and case pages answer 404.
	 */
	caseLinks?: { baseUrl: string; secret: string };
	log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface AckOutcome {
	case: Case;
	plan: AckPlan | { action: 'none'; reason: string };
	sent?: { sid: string };
	error?: string;
}

/** What the owner was told by a stage, or why not (held until a time, or nothing due). */
export type NotifyResult = { case: Case; plan: AlertPlan; sent?: { sid: string }; error?: string };

/** A missed call recorded: its case, whether this call opened it, and whether the call had been seen already. */
export interface DetectResult {
	case: Case;
	created: boolean;
	duplicate: boolean;
	event: MissedCall;
}

/** A case classified; raised when its urgency went up (a repeat call, a voicemail's words, the model). */
export interface ClassifyResult<K extends Classification = Classification> {
	case: Case;
	classification: K;
	raised: boolean;
}

export interface RouteResult {
	case: Case;
	decision: RouteDecision;
}

/** A text to an owner: sent, or the reason it was not (kept on the case). */
export interface OwnerTextResult {
	case: Case;
	sent?: { sid: string };
	error?: string;
}

/** The safety step texted to an emergency caller, or why it was skipped. */
export interface FollowUpResult {
	case: Case;
	sent?: { sid: string };
	skipped?: string;
}

/** The call that rings the owner and then dials the caller, or why it was not placed. */
export interface ConnectCallerResult {
	case: Case;
	call?: { sid: string };
	error?: string;
}

/** An owner's text relayed to the caller, or the texting rule that refused it. */
export interface RelayResult {
	case: Case;
	sent: boolean;
	reason?: string;
}

/** An owner's action on a case (by text or from the case page): the confirmation they read, and the case after it. */
export interface OwnerActionResult {
	text: string;
	case: Case;
}

/** The owner alert a routing stage sent, held or failed to send. */
export interface OwnerAlertSummary {
	kind?: OwnerAlertKind;
	messageSid?: string;
	error?: string;
	held?: string;
	reasons?: string[];
}

export interface RouteAndNotifyOptions {
	alertOwner: boolean;
	connectCaller: 'never' | 'emergency' | 'always';
	/** Text an emergency caller the safety step for the hazard they named (default on). */
	safetyFollowUp?: boolean;
}

export interface RouteAndNotifyResult {
	case: Case;
	decision: RouteDecision;
	ownerAlert?: OwnerAlertSummary;
	bridge?: { callSid?: string; error?: string };
	followUp?: { messageSid?: string; skipped?: string };
}

export type InboundResult = {
	action: 'opted-out' | 'opted-in' | 'help' | 'reply' | 'duplicate' | 'no-case' | 'owner-command';
	case?: Case;
	replyText?: string;
};

export interface AssistantOptions {
	/** How long the model may take before the caller gets the fallback and the owner the case (default 8 s). */
	timeoutMs?: number;
}

/** One turn of the SMS assistant: what it did, the text the caller got, and the owner's hand-off alert. */
export interface AssistantResult {
	case: Case;
	action: 'skipped' | 'replied' | 'handed-off';
	reason?: string;
	/** The text that went to the caller this turn (a reply, the fallback, or the hand-off text). */
	sent?: { sid: string; body: string };
	/** Why the model's reply was not sent (the output guard's finding, a timeout, a malformed answer). */
	refused?: string;
	/** The owner's hand-off text; skipped says why none was needed (the owner has the emergency alert already). */
	ownerAlert?: { sid?: string; error?: string; skipped?: string };
}

/** What an outside agent is told before it writes: whether it may, and everything it may draw on. */
export interface AssistantBrief {
	caseId: string;
	mayReply: boolean;
	/** reply: write the next text; skip: nothing may be sent now (the reason says why, a hand-off done included). */
	plan: 'reply' | 'skip';
	reason?: string;
	/** The hand-off this brief carried out, when one was due: the caller's text, and whether the owner was texted. */
	handoff?: { action: AssistantResult['action']; sent?: string; ownerAlerted: boolean; error?: string };
	facts: string[];
	questions: { key: string; question: string; answer?: string }[];
	openQuestions: string[];
	conversation: ConversationLine[];
	bookingLink?: string;
	maxReplyChars: number;
}

/** Keys claimed per assistant text: one text per case and step, and the business's count for perHourCap. */
const ASSISTANT_KEY = 'assistant-text:';

export interface TickOptions {
	/** Only this business's overdue cases (acknowledgments due are sent for every business). */
	businessId?: string;
	limit?: number;
	/** Move overdue cases up the ladder (default); false only reports them. */
	escalate?: boolean;
	/** Send acknowledgments held by quiet hours and retry failed ones (default). */
	sendDeferred?: boolean;
	/** Text owners (held first alerts, escalations, reminders) (default). */
	alertOwners?: boolean;
	leaseSeconds?: number;
}

export type TickAction = 'routed' | 'owner-alerted' | 'overdue' | 'escalated' | 'reminded' | 'escalation-ended';
export type TickCase = { case: Case; action: TickAction; reasons: string[] };
export type TickError = { caseId: string; businessId: string; error: string };
export interface TickReport {
	at: string;
	acks: AckOutcome[];
	cases: TickCase[];
	errors: TickError[];
}
/** An acknowledgment a tick would send, and when. */
export type TickPreviewAck = { caseId: string; caller: string; sendAt: string };
/** What a tick would do to a case, or 'error' when it could not tell. */
export type TickPreviewCase = { case: Case; action: TickAction | 'error'; reasons: string[] };
export interface TickPreview {
	at: string;
	dryRun: true;
	acks: TickPreviewAck[];
	cases: TickPreviewCase[];
}

export interface HandledEvent {
	stages: string[];
	case?: Case;
	ack?: AckOutcome;
	classification?: Classification;
	route?: RouteAndNotifyResult;
}

export interface RunResult {
	case: Case;
	duplicate: boolean;
	ack?: AckOutcome;
	classification?: Classification;
	decision?: RouteDecision;
	alert?: RouteAndNotifyResult['ownerAlert'];
}

/**
 * The recovery loop as a service: each stage reads the case from the store, decides with the pure stage
 * functions, performs the effect, and saves. Adapters (n8n, Node-RED, the demo) call these, one per node.
 */
export class RecoveryLoop {
	constructor(readonly deps: LoopDeps) {}

	private now(): string {
		return isoNow(this.deps.now?.());
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
		return this.onLatest(caseId, opts.known, async (current) => {
			const next = await change(current);
			if (next === current) {
				for (const m of opts.messages ?? []) await this.deps.store.recordMessage(m);
				return current;
			}
			return this.deps.store.saveCase(next, { messages: opts.messages, previous: current });
		});
	}

	/**
	 * Runs `attempt` on the case as it stands (`known` first, when it is this case), and again on a fresh read when
	 * its save lost to another process (ConcurrentUpdateError), up to 8 times: the read-decide-save loop of every stage.
	 */
	private async onLatest(caseId: string, known: Case | undefined, attempt: (c: Case) => Promise<Case>): Promise<Case> {
		for (let i = 0; i < 8; i++) {
			const current = i === 0 && known?.caseId === caseId ? known : await this.deps.store.getCase(caseId);
			if (!current)
				throw new RecoveryInputError(
					'caseId',
					caseId,
					'No case has this id: pass the caseId from the Recovery Tracker or trigger output.',
				);
			try {
				return await attempt(current);
			} catch (e) {
				if (!(e instanceof ConcurrentUpdateError)) throw e;
			}
		}
		throw new ConcurrentUpdateError(caseId);
	}

	/**
	 * Detect: stores the case before anything else happens, with what is known at once: the call's timing in the
	 * business's week (so the acknowledgment's words match it) and whether voicemail was offered. A duplicate delivery
	 * changes nothing. An unknown business still gets its case (no call is lost); its stages report the missing profile.
	 */
	async detect(event: MissedCall, opts: { voicemailExpected?: boolean } = {}): Promise<DetectResult> {
		const at = this.now();
		const profile = this.deps.profileFor(event.businessId);
		const opening: CaseOpening = {
			timing: profile ? timingOf(profile, event.startedAt) : undefined,
			voicemailExpected: opts.voicemailExpected,
		};
		const r = await this.deps.store.openOrJoinCase(event, (existing) =>
			existing ? foldCall(existing, event, at, opening) : newCase(event, at, opening),
		);
		const repeat = r.case.calls.length - 1;
		return { ...r, event: { ...event, repeat } };
	}

	/** Attaches a voicemail or its transcript to the case of its call; re-classifies when words arrive. */
	async voicemail(v: VoicemailEvent): Promise<Case | undefined> {
		const found = await this.deps.store.findCaseByEvent(`${v.provider}:${v.callSid}`);
		if (!found) return undefined;
		const c = await this.mutate(found.caseId, (c) => attachVoicemail(c, v.callSid, v.voicemail, v.eventId, this.now()));
		const phrase = v.voicemail.transcript ? revocationIn(v.voicemail.transcript) : undefined;
		return phrase ? this.revokeByVoicemail(c, phrase) : c;
	}

	/**
	 * A caller who says in a voicemail not to text them ("stop texting me") has revoked consent by a reasonable means
	 * (47 CFR 64.1200(a)(10)): they are opted out at once, the case is flagged so the owner calls instead, and they get
	 * one confirmation, unless they had already opted out.
	 */
	private async revokeByVoicemail(c: Case, phrase: string): Promise<Case> {
		const now = this.now();
		const already = await this.deps.store.isOptedOut(c.businessId, c.caller);
		await this.deps.store.setOptOut(c.businessId, c.caller, true, `voicemail: "${phrase}"`, now);
		const flagged = await this.mutate(c.caseId, (x) => withFlag(withFlag(x, 'opted-out'), 'opted-out-by-voicemail'), {
			known: c,
		});
		const profile = this.deps.profileFor(c.businessId);
		if (already || !profile || !this.deps.provider) return flagged;
		const body = renderTemplate(profile.messages.optOutConfirm, messageView(profile, c, now), 'messages.optOutConfirm');
		const from = profile.acknowledgment.from ?? c.calledNumber;
		try {
			const sent = await this.sendOnce(
				{ to: c.caller, from, body, channel: c.channel, statusCallback: this.deps.statusCallbackUrl },
				{ since: now, askFirst: false, what: 'opt-out confirmation' },
			);
			await this.deps.store.recordMessage({
				businessId: c.businessId,
				to: c.caller,
				kind: 'opt-out-confirm',
				at: now,
				sid: sent.sid,
				status: sent.status,
				caseId: c.caseId,
			});
		} catch (e) {
			this.deps.log?.('warn', `opt-out confirmation to ${maskPhone(c.caller)} failed: ${(e as Error).message}`);
		}
		return flagged;
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
		return this.onLatest(c0.caseId, c0, async (current) => {
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
			return this.deps.store.saveCase(next, {
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
		});
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
				{
					since: marked.ack.since ?? this.now(),
					askFirst: c0.ack.status === 'failed',
					what: 'acknowledgment',
					// A retry is worded for its own time; a timed-out earlier try may have left with the earlier words.
					earlierBody: c0.ack.body,
				},
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
		o: { since: string; askFirst: boolean; what: string; earlierBody?: string },
	): Promise<SentMessage> {
		const provider = this.provider();
		let askFirst = o.askFirst;
		const bodies = [...new Set([req.body, o.earlierBody].filter((b): b is string => !!b))];
		return withRetry(
			async () => {
				if (askFirst && provider.findSentMessage) {
					for (const body of bodies) {
						const found = await provider.findSentMessage({
							to: req.to,
							from: req.from,
							body,
							channel: req.channel,
							since: o.since,
						});
						if (found) return found;
					}
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
	async classify(caseId: string, extraTexts: string[] = []): Promise<ClassifyResult> {
		return this.classifyCase(caseId, extraTexts, (k) => k);
	}

	/**
	 * Classify with a language model beside the rules: the model is asked outside the case's save (a retried save
	 * does not ask again), its answer is merged on the rules (a floor it may only raise), and a timeout, error or
	 * malformed answer leaves the rules' classification with the reason.
	 */
	async classifyWithModel(
		caseId: string,
		ask: AskModel,
		opts: { extraTexts?: string[]; timeoutMs?: number } = {},
	): Promise<ClassifyResult<ModelClassification>> {
		const current = await this.deps.store.getCase(caseId);
		if (!current) throw new RecoveryInputError('caseId', caseId, 'No case has this id.');
		const { profile, input } = this.classifyInput(current, opts.extraTexts ?? []);
		const answer = await askModelFor(ask, profile, input, opts.timeoutMs);
		return this.classifyCase(caseId, opts.extraTexts ?? [], (k) => mergeModel(k, answer), input.texts);
	}

	/** What the rules read from a case: every word the caller left, repeats, timing. */
	private classifyInput(c: Case, extraTexts: string[]): { profile: Profile; input: ClassifyInput } {
		const profile = this.profile(c.businessId);
		const first = c.calls[0];
		const last = c.calls[c.calls.length - 1];
		const texts = [
			...c.calls.map((k) => k.voicemail?.transcript ?? ''),
			// A voice AI's call: the caller's own turns and the agent's summary of them, never the agent's questions.
			...c.calls.flatMap((k) => [k.voiceAi?.callerWords ?? '', k.voiceAi?.summary ?? '']),
			...c.replies.map((r) => r.body),
			...extraTexts,
		].filter(Boolean);
		const vmSec = Math.max(0, ...c.calls.map((k) => k.voicemail?.durationSec ?? 0));
		const input: ClassifyInput = {
			texts,
			callCount: c.calls.length,
			minutesBetweenCalls:
				c.calls.length > 1 ? (Date.parse(last.startedAt) - Date.parse(first.startedAt)) / 60000 : undefined,
			timing: timingOf(profile, first.startedAt),
			reason: last.reason,
			voicemailSec: vmSec || undefined,
			knownCustomer: profile.classification.knownCustomers.includes(c.caller),
		};
		return { profile, input };
	}

	/** Classifies a case by the rules, refined by `merge`, and saves it with the deadline its urgency implies. */
	private async classifyCase<K extends Classification>(
		caseId: string,
		extraTexts: string[],
		merge: (rules: Classification) => K,
		seen?: string[],
	): Promise<ClassifyResult<K>> {
		let classification!: K;
		let raised = false;
		const c = await this.mutate(caseId, (c) => {
			const { profile, input } = this.classifyInput(c, extraTexts);
			const rules = classify(profile, input);
			// Words arrived while the model was asked (a transcript racing the missed-call pass): its answer is about
			// fewer words, so this pass saves nothing and the stage that brought the words classifies them.
			if (seen && (seen.length !== input.texts.length || seen.some((t, i) => t !== input.texts[i]))) {
				const why = 'words arrived while the model was asked: the pass for them classifies the case';
				classification = { ...rules, reasons: [...rules.reasons, why] } as K;
				return c;
			}
			classification = merge(rules);
			const { urgency, serviceType } = classification;
			const key = `classify:${urgency}:${serviceType}:${input.texts.length}:${c.calls.length}`;
			const next = applyClassification(c, classification, key, this.now());
			raised = next !== c && !!c.urgency && URGENCIES.indexOf(classification.urgency) < URGENCIES.indexOf(c.urgency);
			// An owned case whose urgency rose gets the tighter deadline of its new urgency, counted from detection (the
			// caller has waited since then); when that moment has passed (a repeat call hours later), counted from now, so
			// the owner gets the new urgency's window instead of the case escalating past them before they hear of it.
			if (raised && next.owner && next.dueAt) {
				const fromDetection = deadlineFor(profile, classification.urgency, next.stamps.detectedAt);
				const now = this.now();
				const tighter =
					Date.parse(fromDetection) > Date.parse(now)
						? fromDetection
						: deadlineFor(profile, classification.urgency, now);
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
	async route(caseId: string, opts: { known?: Case; then?: (c: Case) => Case } = {}): Promise<RouteResult> {
		const current = opts.known?.caseId === caseId ? opts.known : await this.deps.store.getCase(caseId);
		if (!current) throw new RecoveryInputError('caseId', caseId, 'No case has this id.');
		const profile = this.profile(current.businessId);
		const now = this.now();
		// Picked before the voicemail's words and nobody told yet: routed again now that the words are in (or will not
		// come), so a water-heater call reaches the water-heater person, not whoever the trade's default pool gave.
		const provisional = awaitingWords(profile, current, now);
		const again =
			current.routeProvisional &&
			!provisional &&
			!current.alerts.length &&
			!current.escalationLevel &&
			isOpen(current.state);
		if (current.owner && current.state !== 'detected' && !again) {
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
		// Open cases per owner matter only to least-loaded routing and to owners with a cap; counting them reads every
		// open case.
		const needsCounts =
			profile.routing.strategy === 'least-loaded' || profile.roster.some((m) => m.maxOpen !== undefined);
		const openCounts = needsCounts ? await this.deps.store.openCountsByOwner(current.businessId) : {};
		const timing = current.timing ?? timingOf(profile, current.calls[0].startedAt);
		const needsTurn = profile.routing.strategy !== 'least-loaded' && profile.roster.filter((m) => m.active).length > 1;
		// A provisional pick turns a counter of its own: the pool's real turn is taken when the routing is final, so
		// provisional picks that are routed again do not skew who is next in any pool.
		const pool = `${profile.routing.strategy}:${current.serviceType ?? ''}${provisional ? ':provisional' : ''}`;
		// Decided on what the case says when it is saved: words classified while this pass routed (a transcript racing
		// the missed call) may have changed the urgency or service, and an emergency must not keep a routine deadline.
		let decision: RouteDecision | undefined;
		const change = (c: Case, turn: number): Case => {
			const input = { urgency: c.urgency ?? 'normal', serviceType: c.serviceType, timing, now };
			const decided = route(profile, input, { openCounts, roundRobin: turn });
			decision = decided;
			let routed = again
				? rerouteOnWords(c, decided, 'route:on-words', now)
				: applyRoute(c, decided, `route:${decided.kind}:${c.escalationLevel}`, now);
			if (!again && routed !== c && provisional) routed = { ...routed, routeProvisional: true };
			// What must follow the routing in the same save (the owner's first alert claimed): one write, not two.
			return opts.then && routed !== c ? opts.then(routed) : routed;
		};
		const c = needsTurn
			? await this.mutateWithTurn(current, pool, change)
			: await this.mutate(caseId, (x) => change(x, 0), { known: current });
		return { case: c, decision: decision! };
	}

	/**
	 * mutate() for a change that takes a turn of a round-robin pool: the turn and the save are one commit (one fewer
	 * per call than taking the turn first), a turn is spent only on a saved routing, and a save that lost a race is
	 * read and decided again with a new turn.
	 */
	private mutateWithTurn(known: Case, pool: string, change: (c: Case, turn: number) => Case): Promise<Case> {
		return this.onLatest(known.caseId, known, async (current) => {
			const saved = await this.deps.store.saveWithTurn(
				current.businessId,
				pool,
				(turn) => {
					const next = change(current, turn);
					return next === current ? undefined : next;
				},
				{ previous: current },
			);
			return saved ?? current;
		});
	}

	/**
	 * Claims a once-per-case step (a safety text, an automatic bridge call) on the case itself, by a version-checked
	 * save: of two processes or stages racing, exactly one wins and does it.
	 */
	private async claimStep(c: Case, step: string): Promise<{ case: Case; won: boolean }> {
		const claim = randomUUID();
		const next = await this.mutate(c.caseId, (x) => claimOnce(x, step, claim, this.now()), { known: c });
		return { case: next, won: claimedBy(next, step) === claim };
	}

	/**
	 * Inside the routing save: claims the owner's first alert when the policy says it is due now, or records its hold,
	 * so routing and the claim cost one write (notifyOwner then sends under this claim).
	 */
	private claimFirstAlert(c: Case, claim: string): Case {
		const profile = this.profile(c.businessId);
		const now = this.now();
		const plan = planOwnerAlert(profile, c, now);
		if (plan.action === 'hold') return holdAlert(c, plan.until, plan.reasons.join('; '), now);
		if (plan.action !== 'send' || plan.kind !== 'new-case' || !c.owner?.phone) return c;
		if (c.alerts.some((a) => a.key === plan.key)) return c;
		const alert = {
			key: plan.key,
			kind: plan.kind,
			level: plan.level,
			to: c.owner.phone,
			ownerId: c.owner.id,
			at: now,
		};
		return recordAlert(c, { ...alert, urgency: c.urgency, tries: 1, status: 'sending', claim }, now);
	}

	/** The case-page link an owner's alert carries, when the runtime serves case pages and the profile wants links. */
	caseLink(c: Case, ownerId: string): string | undefined {
		const cfg = this.deps.caseLinks;
		const hours = this.deps.profileFor(c.businessId)?.routing.ownerAlerts.caseLinkHours ?? 0;
		if (!cfg || !hours) return undefined;
		const exp = Math.floor(Date.parse(this.now()) / 1000) + hours * 3600;
		const token = signCaseLink(caseLinkKey(cfg.secret), { caseId: c.caseId, ownerId, exp, rev: c.linkRevision });
		return caseLinkUrl(cfg.baseUrl, token);
	}

	/** Every case-page link to this case stops working (a lost phone, a link forwarded by mistake). */
	async revokeCaseLinks(caseId: string): Promise<Case> {
		const at = this.now();
		return this.mutate(caseId, (c) => revokeLinks(c, at));
	}

	/**
	 * The case page an alert's link opens (GET), and its buttons (POST with `action` and the page's `nonce`). The token
	 * is the guard: altered, expired, revoked or for someone who no longer owns the case is 403, with a page saying why.
	 * A button pressed twice (a double tap, a resent form) acts once.
	 */
	async casePage(req: CasePageRequest): Promise<CasePageAnswer> {
		const html = (status: number, body: string): CasePageAnswer => ({ status, contentType: HTML, body });
		const cfg = this.deps.caseLinks;
		if (!cfg) return html(404, renderLinkRefusal('Case pages are not set up for this workflow.'));
		if (req.method !== 'GET' && req.method !== 'POST')
			return { ...html(405, renderLinkRefusal(`${req.method} is not allowed here.`)), allow: 'GET, POST' };
		const check = verifyCaseLink(caseLinkKey(cfg.secret), req.token, new Date(this.now()));
		if (!check.ok) {
			const why = {
				malformed: 'The link is incomplete: open it from the alert text again.',
				altered: 'The link was changed, so it is not the one we sent.',
				expired: 'The link has expired.',
			}[check.why];
			return html(403, renderLinkRefusal(why));
		}
		const { claims } = check;
		const c = await this.deps.store.getCase(claims.caseId);
		if (!c) return html(404, renderLinkRefusal('This case no longer exists.'));
		const profile = this.deps.profileFor(c.businessId);
		const member = profile?.roster.find((m) => m.id === claims.ownerId);
		if (!profile || !member) return html(403, renderLinkRefusal('This link is for someone no longer on the team.'));
		if (claims.rev !== c.linkRevision) return html(403, renderLinkRefusal('Links to this case were withdrawn.'));
		if (c.owner?.id !== claims.ownerId) {
			const now = c.owner ? `It is ${c.owner.name}'s now.` : 'Nobody owns it now.';
			return html(403, renderLinkRefusal(`This case was passed on. ${now}`));
		}
		const page = (x: Case, notice?: PageNotice) =>
			html(200, renderCasePage(profile, x, claims, { nonce: randomUUID(), notice }));
		if (req.method === 'GET') return page(c);
		const action = req.form?.action;
		const nonce = req.form?.nonce;
		if (!action || !(PAGE_ACTIONS as readonly string[]).includes(action))
			return html(
				400,
				renderLinkRefusal(`The field action is "${String(action ?? '')}": use one of the page's buttons.`),
			);
		if (!nonce || !/^[0-9a-f-]{36}$/.test(nonce))
			return html(400, renderLinkRefusal('The field nonce is missing or malformed: reload the page and try again.'));
		if (!(await this.deps.store.claimKey(`page:${c.caseId}:${nonce}`, c.businessId, this.now())))
			return page(c, { text: 'That was already done.' });
		if (!isOpen(c.state)) return page(c, { text: `The case is closed (${c.state}).`, refused: true });
		const cmd = PAGE_COMMANDS[action as PageAction];
		const done = await this.actOnCase(profile, member, c, cmd, { key: `page:${nonce}`, via: 'on the case page' });
		return page(done.case, { text: done.text });
	}

	/** The text an owner gets first about a case. */
	ownerAlertText(c: Case): string {
		return ownerText(this.profile(c.businessId), c, 'new-case', this.now());
	}

	/**
	 * Tells the owner what the policy in core/notify.ts says is due now: the first alert (or holds it for the voicemail's
	 * words or for opening time), or the emergency update. Safe to call from every stage and every process: each alert
	 * is claimed on the case before it is sent, so it goes out once.
	 */
	async notifyOwner(caseId: string, known?: Case, preClaimed?: string): Promise<NotifyResult> {
		const c = known?.caseId === caseId ? known : await this.getCase(caseId);
		const profile = this.profile(c.businessId);
		const now = this.now();
		const mine = preClaimed ? c.alerts.find((a) => a.claim === preClaimed && a.status === 'sending') : undefined;
		if (mine) {
			const body = ownerText(profile, c, mine.kind, now);
			const sent = await this.sendOwnerText(c, mine.kind, mine.level, body, preClaimed);
			return {
				...sent,
				plan: { action: 'send', kind: mine.kind, level: mine.level, key: mine.key, reasons: ['first alert'] },
			};
		}
		const plan = planOwnerAlert(profile, c, now);
		if (plan.action === 'hold') {
			const held = await this.mutate(caseId, (x) => holdAlert(x, plan.until, plan.reasons.join('; '), now), {
				known: c,
			});
			return { case: held, plan };
		}
		if (plan.action === 'none') return { case: c, plan };
		const sent = await this.sendOwnerText(c, plan.kind, plan.level, ownerText(profile, c, plan.kind, now));
		return { ...sent, plan };
	}

	/**
	 * Sends one alert: claims its key on the case (a version-checked save, so exactly one process wins), sends, and
	 * records the result. A failure is kept on the case and flagged, never thrown away.
	 */
	private async sendOwnerText(
		c0: Case,
		kind: OwnerAlertKind,
		level: number,
		body: string,
		preClaimed?: string,
	): Promise<OwnerTextResult> {
		const to = c0.owner?.phone;
		if (!c0.owner || !to) return { case: c0, error: 'the owner has no phone number in the roster' };
		const key = `${kind}:${level}`;
		const at = this.now();
		const held = c0.alerts.find((a) => a.key === key);
		// Claimed already, in the save that routed the case (claimFirstAlert): send under that claim.
		const ours = !!preClaimed && held?.claim === preClaimed && held.status === 'sending';
		const claim = ours ? preClaimed : randomUUID();
		const earlier = ours ? undefined : held;
		const tries = (earlier?.tries ?? 0) + 1;
		const base = { key, kind, level, to, ownerId: c0.owner.id, at, urgency: c0.urgency, tries };
		// Claimed on the case before it is sent; an earlier try that failed or was cut off may be taken over once due.
		const open = (x: Case) => {
			const a = x.alerts.find((y) => y.key === key);
			if (!a) return true;
			const retry = alertRetryAt(a);
			return a.tries === earlier?.tries && !!retry && Date.parse(retry) <= Date.parse(at);
		};
		const claimed = ours
			? c0
			: await this.mutate(c0.caseId, (x) => (open(x) ? recordAlert(x, { ...base, status: 'sending', claim }, at) : x), {
					known: c0,
				});
		if (claimed.alerts.find((a) => a.key === key)?.claim !== claim) return { case: claimed };
		const from = this.profile(c0.businessId).acknowledgment.from ?? c0.calledNumber;
		const recordKind = kind === 'escalation' || kind === 'reminder' ? 'escalation' : 'owner-alert';
		const link = this.caseLink(claimed, c0.owner.id);
		try {
			const sent = await this.sendOnce(
				{
					to,
					from,
					body: link ? `${body} ${link}` : body,
					channel: 'sms',
					statusCallback: this.deps.statusCallbackUrl,
				},
				{ since: earlier?.at ?? at, askFirst: !!earlier, what: `${kind} alert` },
			);
			const done = this.now();
			const message: MessageRecord = {
				businessId: c0.businessId,
				to,
				kind: recordKind,
				at: done,
				sid: sent.sid,
				status: sent.status,
				caseId: c0.caseId,
			};
			const c = await this.mutate(
				c0.caseId,
				(x) => recordAlert(x, { ...base, status: 'sent', claim, sid: sent.sid }, done),
				{
					known: claimed,
					messages: [message],
				},
			);
			return { case: c, sent };
		} catch (e) {
			const done = this.now();
			const error = (e as Error).message;
			const message: MessageRecord = {
				businessId: c0.businessId,
				to,
				kind: recordKind,
				at: done,
				status: 'failed',
				caseId: c0.caseId,
				errorCode: (e as ProviderError).code,
			};
			const c = await this.mutate(c0.caseId, (x) => recordAlert(x, { ...base, status: 'failed', claim, error }, done), {
				known: claimed,
				messages: [message],
			});
			return { case: c, error };
		}
	}

	/**
	 * The caller's one follow-up when their words reveal an emergency with a safety step (gas, carbon monoxide,
	 * sparking, sewage, flooding): the step and the emergency line, once per case. Never to an opted-out number and
	 * inside the per-caller cap; sent at any hour, as a message for "emergency purposes" (47 CFR 64.1200(f)(4): made
	 * necessary by a situation affecting the health and safety of consumers), not a solicitation held by quiet hours.
	 */
	async followUpCaller(caseId: string, known?: Case): Promise<FollowUpResult> {
		const c = known?.caseId === caseId ? known : await this.getCase(caseId);
		if (c.urgency !== 'emergency' || !isOpen(c.state) || c.followUps.some((f) => f.key.startsWith('safety:')))
			return { case: c };
		const profile = this.profile(c.businessId);
		const words = [...c.calls.map((k) => k.voicemail?.transcript ?? ''), ...c.replies.map((r) => r.body)].filter(
			Boolean,
		);
		const hazard = hazardsIn(words).find((h) => safetyStepTemplate(profile, h));
		if (!hazard) return { case: c };
		const now = this.now();
		const key = `safety:${hazard}`;
		// Claimed on the case first (a version-checked save): two stages racing on one emergency text the caller once.
		const claimed = await this.claimStep(c, 'safety-follow-up');
		if (!claimed.won) return { case: claimed.case };
		const skip = async (reason: string) => ({
			case: await this.mutate(caseId, (x) => recordFollowUp(x, { key, at: now, status: 'skipped', reason }), {
				known: claimed.case,
			}),
			skipped: reason,
		});
		const [optedOut, stats] = await Promise.all([
			this.deps.store.isOptedOut(c.businessId, c.caller),
			this.deps.store.messageStats(c.businessId, c.caller, now),
		]);
		if (optedOut) return skip('the caller opted out');
		if (stats.sentToCallerLast24h.length >= profile.acknowledgment.perCallerDailyCap)
			return skip('per-caller daily cap reached');
		const body = renderTemplate(
			safetyStepTemplate(profile, hazard),
			messageView(profile, c, now),
			`safetySteps.${hazard}`,
		);
		const from = profile.acknowledgment.from ?? c.calledNumber;
		try {
			const sent = await this.sendOnce(
				{ to: c.caller, from, body, channel: c.channel, statusCallback: this.deps.statusCallbackUrl },
				{ since: now, askFirst: false, what: 'safety follow-up' },
			);
			const message: MessageRecord = {
				businessId: c.businessId,
				to: c.caller,
				kind: 'follow-up',
				at: now,
				sid: sent.sid,
				status: sent.status,
				caseId,
			};
			const done = await this.mutate(
				caseId,
				(x) => recordFollowUp(x, { key, at: now, status: 'sent', sid: sent.sid }),
				{
					known: claimed.case,
					messages: [message],
				},
			);
			return { case: done, sent };
		} catch (e) {
			const error = (e as Error).message;
			const done = await this.mutate(
				caseId,
				(x) => recordFollowUp(x, { key, at: now, status: 'failed', reason: error }),
				{ known: claimed.case },
			);
			return { case: done, skipped: error };
		}
	}

	/**
	 * The Owner Router's whole job, the same in both runtimes: route, tell the owner what is due (core/notify.ts decides),
	 * send an emergency's safety step to the caller, and, when asked, connect the caller by phone at once.
	 */
	async routeAndNotify(caseId: string, opts: RouteAndNotifyOptions): Promise<RouteAndNotifyResult> {
		// Words that arrived while this case's pipeline was running (a transcript racing the missed-call pass) are
		// classified first, so the owner's one alert carries the urgency they reveal, not a stale one.
		const before = await this.getCase(caseId);
		const stale = wordsSinceClassified(before);
		if (stale) await this.classify(caseId);
		const claim = randomUUID();
		const alerting = opts.alertOwner && !!this.deps.provider;
		const r = await this.route(caseId, {
			known: stale ? undefined : before,
			then: alerting ? (x) => this.claimFirstAlert(x, claim) : undefined,
		});
		let c = r.case;
		let ownerAlert: RouteAndNotifyResult['ownerAlert'];
		let bridge: RouteAndNotifyResult['bridge'];
		let followUp: RouteAndNotifyResult['followUp'];
		if (opts.alertOwner && this.deps.provider && r.decision.kind === 'assigned') {
			const n = await this.notifyOwner(caseId, c, claim);
			c = n.case;
			ownerAlert =
				n.plan.action === 'send'
					? { kind: n.plan.kind, messageSid: n.sent?.sid, error: n.error }
					: { held: n.plan.action === 'hold' ? n.plan.until : undefined, reasons: n.plan.reasons };
		}
		if (opts.safetyFollowUp !== false && this.deps.provider) {
			const f = await this.followUpCaller(caseId, c);
			c = f.case;
			if (f.sent || f.skipped) followUp = { messageSid: f.sent?.sid, skipped: f.skipped };
		}
		const wantsCall =
			opts.connectCaller === 'always' || (opts.connectCaller === 'emergency' && c.urgency === 'emergency');
		// One automatic bridge per case, claimed first: two stages racing must not ring the owner twice.
		if (wantsCall && this.deps.provider && r.decision.kind === 'assigned' && !claimedBy(c, 'auto-bridge')) {
			const claimed = await this.claimStep(c, 'auto-bridge');
			c = claimed.case;
			if (claimed.won) {
				const b = await this.connectCaller(caseId, c);
				c = b.case;
				bridge = { callSid: b.call?.sid, error: b.error };
			}
		}
		return { case: c, decision: r.decision, ownerAlert, bridge, followUp };
	}

	/**
	 * Connects the caller to the owner by phone: Twilio rings the owner, announces the case, and dials the caller
	 * from the business number (an outbound bridge call). The call is recorded on the case as an attempt.
	 */
	async connectCaller(caseId: string, known?: Case): Promise<ConnectCallerResult> {
		const c = known?.caseId === caseId ? known : await this.deps.store.getCase(caseId);
		if (!c) throw new RecoveryInputError('caseId', caseId, 'No case has this id.');
		if (!c.owner?.phone) return { case: c, error: 'the owner has no phone number in the roster' };
		if (!isOpen(c.state)) return { case: c, error: `the case is ${c.state}: nobody to connect` };
		const profile = this.profile(c.businessId);
		const spoken = c.caller.replace(/^\+1/, '').split('').join(' ');
		const about = c.serviceType ? `, about ${c.serviceType.replace(/-/g, ' ')}` : '';
		const announce =
			`${c.urgency === 'emergency' ? 'Emergency. ' : ''}Missed call for ${profile.name} from ${spoken}${about}. ` +
			'Connecting you to the caller now.';
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
	 * A call a voice agent resolved, from a caller who already has an open case at the business: the agent has done
	 * what the owner was being chased to do, so the case is closed (recovered) and its escalation and reminders end.
	 * An emergency stays open with the agent's call noted: a person decides it is over. Idempotent by the call's event
	 * id; a case closed meanwhile by someone else is left as they closed it.
	 */
	async voiceAgentResolved(r: AiResolved): Promise<Case | undefined> {
		if (!r.from) return undefined;
		const open = await this.deps.store.findOpenCase(r.businessId, r.from);
		if (!open) return undefined;
		const key = `voice-ai-resolved:${r.eventId}`;
		try {
			return await this.mutate(open.caseId, (c) => settledByVoiceAgent(c, r.platform ?? 'voice AI', key, this.now()), {
				known: open,
			});
		} catch (e) {
			if (e instanceof IllegalTransitionError) return undefined;
			throw e;
		}
	}

	/**
	 * An SMS from a caller: STOP/START/HELP change the opt-out list (and are confirmed, as carriers require);
	 * anything else is a reply that re-engages the caller's open case. Every effect is idempotent and runs before the
	 * message's key is claimed, so a delivery that failed half-way is redone by the provider's retry, never dropped as a
	 * duplicate; an opt-out holds even for a number no business profile lists any more.
	 */
	async inbound(m: InboundMessage): Promise<InboundResult> {
		const profile = this.deps.profileFor(m.businessId);
		const view = profile ? messageView(profile, { caller: m.from, calledNumber: m.to }, m.receivedAt) : {};
		const text = (name: 'optOutConfirm' | 'optInConfirm' | 'help'): string =>
			profile ? renderTemplate(profile.messages[name], view, `messages.${name}`) : NO_PROFILE_TEXTS[name];
		const first = () => this.deps.store.claimKey(m.eventId, m.businessId, m.receivedAt);
		if (m.keyword === 'stop') {
			// One confirmation: a number already opted out is not texted again, whatever it sends.
			const already = await this.deps.store.isOptedOut(m.businessId, m.from);
			await this.deps.store.setOptOut(m.businessId, m.from, true, 'STOP reply', m.receivedAt);
			const open = await this.deps.store.findOpenCase(m.businessId, m.from);
			const c = open ? await this.mutate(open.caseId, (x) => withFlag(x, 'opted-out'), { known: open }) : undefined;
			if (!(await first())) return { action: 'duplicate' };
			return { action: 'opted-out', case: c, replyText: already ? undefined : text('optOutConfirm') };
		}
		// "YES" from someone who never opted out answers a question: a reply, not a re-subscription.
		if (m.keyword === 'start' && (await this.deps.store.isOptedOut(m.businessId, m.from))) {
			await this.deps.store.setOptOut(m.businessId, m.from, false, 'START reply', m.receivedAt);
			if (!(await first())) return { action: 'duplicate' };
			return { action: 'opted-in', replyText: text('optInConfirm') };
		}
		if (m.keyword === 'help')
			return (await first()) ? { action: 'help', replyText: text('help') } : { action: 'duplicate' };
		// A text from someone on the roster is a command or an answer for a caller (see core/owner.ts); a roster member
		// with no case to act on who texts like a caller (testing the line, or a customer themselves) is a caller.
		const member = profile?.roster.find((r) => r.active && r.phone === m.from);
		if (profile && member && !m.keyword) {
			const handled = await this.ownerMessage(profile, member, m, first);
			if (handled) return handled;
		}
		const open = await this.deps.store.findOpenCase(m.businessId, m.from);
		const c = open
			? await this.mutate(open.caseId, (x) => recordReply(x, m.body, m.eventId, m.receivedAt), { known: open })
			: undefined;
		if (!(await first())) return { action: 'duplicate' };
		if (!c) return { action: 'no-case' };
		if (!profile) return { action: 'reply', case: c };
		const forwarded = await this.forwardToOwner(profile, c, m.body);
		return { action: 'reply', case: await this.reassessReply(forwarded) };
	}

	/**
	 * A caller's reply can say what the call did not ("I smell gas", "water is coming through the ceiling"): the case
	 * is classified again with it, and when its urgency rose on a case already routed, the Owner Router's stage runs
	 * again, so the owner gets the raised alert with the tighter deadline and the caller the safety step, as a
	 * voicemail's words get. Here, not in the templates' wiring: a reply reaches the trigger of every template, and the
	 * text that reveals an emergency must never wait for a canvas to be wired for it.
	 */
	private async reassessReply(c: Case): Promise<Case> {
		try {
			const k = await this.classify(c.caseId);
			if (!k.raised || (!k.case.owner && !k.case.nobodyAvailable)) return k.case;
			return (await this.routeAndNotify(c.caseId, { alertOwner: true, connectCaller: 'never' })).case;
		} catch (e) {
			// The reply is stored, relayed and its delivery claimed: a failed re-assessment must not turn it into an error
			// the provider retries as a duplicate (and the assistant then never answers). The next stage that routes the
			// case classifies the words it has not read first (routeAndNotify), so nothing is lost but time.
			this.deps.log?.('warn', `case ${c.caseId}: re-assessing the caller's reply failed: ${(e as Error).message}`);
			return c;
		}
	}

	/** A caller's reply goes to the case's owner with the case's code; the owner answers to the business number. */
	private async forwardToOwner(profile: Profile, c: Case, body: string): Promise<Case> {
		if (!c.owner?.phone || !this.deps.provider) return c;
		const now = this.now();
		const clipped = sanitizeCallerText(body, 300);
		const text =
			`Reply from ${formatPhone(c.caller)} (case ${c.caseId.slice(0, 8)}): "${clipped}" ` +
			'Answer here to text them back.';
		const entry = { at: now, from: 'caller' as const, ownerId: c.owner.id, body: clipped };
		const key = `thread:caller:${c.replies.length}`;
		try {
			const sent = await this.sendOnce(
				{
					to: c.owner.phone,
					from: profile.acknowledgment.from ?? c.calledNumber,
					body: text,
					channel: 'sms',
					statusCallback: this.deps.statusCallbackUrl,
				},
				{ since: now, askFirst: false, what: 'reply forwarded to the owner' },
			);
			const message: MessageRecord = {
				businessId: c.businessId,
				to: c.owner.phone,
				kind: 'relay',
				at: now,
				sid: sent.sid,
				status: sent.status,
				caseId: c.caseId,
			};
			return this.mutate(c.caseId, (x) => recordThread(x, { ...entry, status: 'relayed', sid: sent.sid }, key), {
				known: c,
				messages: [message],
			});
		} catch (e) {
			const reason = (e as Error).message;
			return this.mutate(c.caseId, (x) => recordThread(x, { ...entry, status: 'failed', reason }, key), { known: c });
		}
	}

	/**
	 * An owner's text: claim, close with an outcome, be connected by phone, pass the case on, list open cases, or an
	 * answer relayed to the caller from the business number (never the owner's own). Every command is confirmed in the
	 * reply. Undefined when the roster member has no case to act on and wrote no command: the caller path takes it.
	 */
	private async ownerMessage(
		profile: Profile,
		member: Profile['roster'][number],
		m: InboundMessage,
		first: () => Promise<boolean>,
	): Promise<InboundResult | undefined> {
		const cmd = parseOwnerCommand(m.body);
		const mine = await this.ownerCases(profile.businessId, member.id);
		if (cmd.kind === 'relay' && !mine.length) return undefined;
		if (!(await first())) return { action: 'duplicate' };
		const reply = (replyText: string, c?: Case): InboundResult => ({ action: 'owner-command', case: c, replyText });
		if (cmd.kind === 'list') {
			const lines = mine.slice(0, 5).map((c) => `${c.caseId.slice(0, 8)} ${formatPhone(c.caller)} ${c.urgency ?? ''}`);
			return reply(
				`${lines.length ? `Your open cases: ${lines.join('; ')}. ` : 'No open case is yours. '}${OWNER_HELP}`,
			);
		}
		const target = cmd.caseCode ? mine.find((c) => c.caseId.startsWith(cmd.caseCode!)) : mine[0];
		if (!target) {
			const which = cmd.caseCode ? `no open case of yours has the code ${cmd.caseCode}` : 'no open case is yours';
			return reply(`Not done: ${which}. ${OWNER_HELP}`);
		}
		const done = await this.actOnCase(profile, member, target, cmd, { key: m.eventId, via: 'by text' });
		return reply(done.text, done.case);
	}

	/**
	 * One owner action on one case, from a text command or a case-page button: claim, close with an outcome, be
	 * connected by phone, pass it on, or answer the caller. Returns the confirmation the owner reads.
	 */
	private async actOnCase(
		profile: Profile,
		member: Profile['roster'][number],
		target: Case,
		cmd: Exclude<OwnerCommand, { kind: 'list' }>,
		from: { key: string; via: string },
	): Promise<OwnerActionResult> {
		const reply = (text: string, c: Case) => ({ text, case: c });
		const code = target.caseId.slice(0, 8);
		const who = formatPhone(target.caller);
		const owner = { id: member.id, name: member.name, ...(member.phone ? { phone: member.phone } : {}) };
		const now = this.now();
		switch (cmd.kind) {
			case 'claim': {
				const c = await this.mutate(target.caseId, (x) => claimCase(x, owner, now), { known: target });
				return reply(
					`Case ${code} is yours: ${who}. Reply CALL to be connected, or BOOKED, CALLED or LOST when done.`,
					c,
				);
			}
			case 'outcome': {
				const note = `by ${member.name} ${from.via}${cmd.note ? `: ${cmd.note}` : ''}`;
				if (cmd.outcome !== 'lost') {
					await this.recordAttempt(
						target.caseId,
						{ channel: 'call', by: member.id, result: cmd.outcome === 'booked' ? 'booked' : 'reached', note },
						`owner-action:${from.key}`,
					);
				}
				const c = await this.recordOutcome(target.caseId, { kind: cmd.outcome, note });
				return reply(`Case ${code} closed: ${cmd.outcome}. Thank you.`, c);
			}
			case 'call': {
				const claimed = await this.mutate(target.caseId, (x) => claimCase(x, owner, now), { known: target });
				const b = await this.connectCaller(target.caseId, claimed);
				if (b.error) return reply(`Could not connect case ${code}: ${b.error}. Call ${who} yourself.`, b.case);
				return reply(`Calling you now; when you answer, we dial ${who} from the business number.`, b.case);
			}
			case 'pass': {
				const d = escalate(profile, { ...target, owner: owner }, now);
				if (d.kind !== 'escalated')
					return reply(`Nobody else is on the escalation list: case ${code} stays with you.`, target);
				let c = await this.mutate(
					target.caseId,
					(x) => applyEscalation({ ...x, claimedAt: null, claimedBy: null }, d, `pass:${from.key}`, now),
					{ known: target },
				);
				const body = ownerText(profile, c, 'escalation', now, {
					previousOwner: member.name,
					missedDeadline: target.dueAt,
				});
				c = (await this.sendOwnerText(c, 'escalation', d.level, body)).case;
				return reply(`Case ${code} passed to ${d.owner.name}.`, c);
			}
			case 'relay': {
				const r = await this.relayToCaller(profile, target, member, cmd.text);
				return reply(r.sent ? `Sent to ${who} (case ${code}).` : `Not sent to ${who}: ${r.reason}.`, r.case);
			}
		}
	}

	/** The open cases a roster member owns, newest first. */
	private async ownerCases(businessId: string, ownerId: string): Promise<Case[]> {
		const list = await this.deps.store.listCases({ businessId, ownerId, states: [...OPEN_STATES], limit: 50 });
		return list.sort((a, b) => Date.parse(b.stamps.detectedAt) - Date.parse(a.stamps.detectedAt));
	}

	/**
	 * A text to the caller from the business number (an owner's relayed answer, an assistant's reply), sent once, and the
	 * message record the store keeps for the caps and the report.
	 */
	private async textCaller(
		c: Case,
		profile: Profile,
		body: string,
		kind: 'relay' | 'assistant',
		now: string,
	): Promise<{ sent: SentMessage; message: MessageRecord }> {
		const sent = await this.sendOnce(
			{
				to: c.caller,
				from: profile.acknowledgment.from ?? c.calledNumber,
				body,
				channel: c.channel,
				statusCallback: this.deps.statusCallbackUrl,
			},
			{ since: now, askFirst: false, what: kind === 'relay' ? 'owner answer relayed to the caller' : 'assistant text' },
		);
		const message: MessageRecord = {
			businessId: c.businessId,
			to: c.caller,
			kind,
			at: now,
			sid: sent.sid,
			status: sent.status,
			caseId: c.caseId,
		};
		return { sent, message };
	}

	/**
	 * The owner's answer, texted to the caller from the business number. The texting rules hold as for any text: never
	 * to an opted-out number, only in the caller's lawful hours, inside the per-caller cap; a refusal is kept on the
	 * thread and told to the owner with its reason.
	 */
	private async relayToCaller(
		profile: Profile,
		c: Case,
		member: Profile['roster'][number],
		text: string,
	): Promise<RelayResult> {
		const now = this.now();
		const body = text.slice(0, 600);
		const entry = { at: now, from: 'owner' as const, ownerId: member.id, body };
		const key = `thread:owner:${c.thread.length}:${now}`;
		const refuse = async (reason: string) => ({
			case: await this.mutate(c.caseId, (x) => recordThread(x, { ...entry, status: 'refused', reason }, key), {
				known: c,
			}),
			sent: false,
			reason,
		});
		const [optedOut, stats] = await Promise.all([
			this.deps.store.isOptedOut(c.businessId, c.caller),
			this.deps.store.messageStats(c.businessId, c.caller, now),
		]);
		const barred = callerTextBar(profile, c.caller, now, optedOut, stats.sentToCallerLast24h);
		if (barred) return refuse(barred);
		if (!this.deps.provider) return refuse('no Twilio account is set up for sending');
		try {
			const { sent, message } = await this.textCaller(c, profile, signed(profile, body), 'relay', now);
			const next = await this.mutate(
				c.caseId,
				(x) => recordThread(x, { ...entry, status: 'relayed', sid: sent.sid }, key),
				{ known: c, messages: [message] },
			);
			return { case: next, sent: true };
		} catch (e) {
			const reason = (e as Error).message;
			const next = await this.mutate(c.caseId, (x) => recordThread(x, { ...entry, status: 'failed', reason }, key), {
				known: c,
			});
			return { case: next, sent: false, reason };
		}
	}

	/**
	 * The guarded SMS assistant's turn on a case, after a caller's reply (core/assistant): the planner decides in code
	 * whether it may write or must hand the case to a person, the model writes, the output guard checks the text, and it
	 * goes through the same send path and caps as any text to the caller, stored on the thread marked automated. The
	 * intake answers the model found are kept on the case. A hand-off texts the owner once (alert kind handoff).
	 */
	async assistantReply(caseId: string, ask: AskModel, opts: AssistantOptions = {}): Promise<AssistantResult> {
		return this.assistantTurn(caseId, async (profile, c) => {
			const questions = intakeFor(profile);
			const schema = turnOutputSchema(questions);
			const messages = buildAssistantMessages(profile, c, schema);
			return parseTurn(await askWithTimeout(ask, messages, schema, opts.timeoutMs ?? MODEL_TIMEOUT_MS), questions);
		});
	}

	/**
	 * A turn whose words were written elsewhere (n8n's AI Agent calling the pack's node as a tool): the same planner,
	 * output guard, caps, send path and hand-off as assistantReply, so a workflow cannot text around them. Intake
	 * answers for questions the profile does not ask are dropped.
	 */
	async assistantSend(caseId: string, turn: AssistantTurnInput): Promise<AssistantResult> {
		return this.assistantTurn(caseId, async (profile) => {
			const questions = intakeFor(profile);
			return parseTurn(turnFromInput(turn, questions), questions);
		});
	}

	/**
	 * What an outside agent needs before it writes a turn: whether it may (the planner's verdict), the business's
	 * facts, the intake questions still open and the conversation so far. A hand-off the planner finds due (a hazard
	 * named, a person asked for, a limit reached) is carried out here and then, not left to the agent: a gas smell
	 * reaches the owner whether or not the agent goes on to call Send Reply. Otherwise nothing is asked or sent.
	 */
	async assistantBrief(caseId: string): Promise<AssistantBrief> {
		let c = await this.getCase(caseId);
		const profile = this.profile(c.businessId);
		const plan = planTurn(profile, c, await this.turnContext(c));
		let handoff: AssistantResult | undefined;
		if (plan.action === 'handoff') {
			handoff = await this.assistantTurn(caseId, () => Promise.reject(new Error('no words for a hand-off')));
			c = handoff.case;
		}
		const questions = intakeFor(profile);
		return {
			caseId: c.caseId,
			mayReply: plan.action === 'ask',
			plan: plan.action === 'ask' ? 'reply' : 'skip',
			reason: plan.action === 'ask' ? undefined : handoff ? `handed to the owner: ${handoff.reason}` : plan.reason,
			handoff: handoff && {
				action: handoff.action,
				sent: handoff.sent?.body,
				// Skipped only when the owner already has this emergency's alert: alerted either way.
				ownerAlerted: !!(handoff.ownerAlert?.sid || handoff.ownerAlert?.skipped),
				error: handoff.ownerAlert?.error,
			},
			facts: businessFacts(profile, c.caseId),
			questions: questions.map((q) => ({ ...q, answer: c.intake?.[q.key] })),
			openQuestions: questions.filter((q) => !c.intake?.[q.key]).map((q) => q.key),
			conversation: conversationOf(c),
			bookingLink: bookingLink(profile, c.caseId),
			maxReplyChars: MAX_REPLY_CHARS,
		};
	}

	private async turnContext(c: Case): Promise<TurnContext> {
		const now = this.now();
		const [optedOut, stats, assistantLastHour] = await Promise.all([
			this.deps.store.isOptedOut(c.businessId, c.caller),
			this.deps.store.messageStats(c.businessId, c.caller, now),
			this.deps.store.countKeys(ASSISTANT_KEY, {
				businessId: c.businessId,
				from: new Date(Date.parse(now) - 3600e3).toISOString(),
				to: now,
			}),
		]);
		return { now, optedOut, sentToCallerLast24h: stats.sentToCallerLast24h, assistantLastHour };
	}

	/** One assistant turn: plan in code, get the words (model or agent), guard them, send, record, hand off. */
	private async assistantTurn(
		caseId: string,
		write: (profile: Profile, c: Case) => Promise<AssistantTurn>,
	): Promise<AssistantResult> {
		const c = await this.getCase(caseId);
		const profile = this.profile(c.businessId);
		const ctx = await this.turnContext(c);
		const now = ctx.now;
		const plan = planTurn(profile, c, ctx);
		if (plan.action === 'skip') return { case: c, action: 'skipped', reason: plan.reason };
		const mayText = (x: Case) =>
			x.thread.filter((t) => t.automated).length < profile.assistant.perCaseCap &&
			!callerTextBar(profile, x.caller, now, ctx.optedOut, ctx.sentToCallerLast24h);
		if (plan.action === 'handoff') return this.assistantHandoff(profile, c, plan.reason, plan.detail, mayText(c));
		let turn: AssistantTurn;
		try {
			turn = await write(profile, c);
		} catch (e) {
			const why = (e as Error).message;
			const fell = await this.sendAssistantText(profile, c, fallbackText(profile), `turn:${plan.turn}`, why);
			const handed = await this.assistantHandoff(profile, fell.case, 'model-failed', why, false);
			return { ...handed, sent: fell.sent, refused: why };
		}
		const guarded = guardReply(profile, c.caseId, turn.reply);
		const body = guarded.ok ? signed(profile, guarded.text) : fallbackText(profile);
		const refused = guarded.ok ? undefined : guarded.reason;
		const noted = await this.mutate(caseId, (x) => recordIntake(x, turn.intake, now), { known: c });
		const r = await this.sendAssistantText(profile, noted, body, `turn:${plan.turn}`, refused);
		if (!turn.handoff) return { case: r.case, action: 'replied', sent: r.sent, refused, reason: r.error };
		const handed = await this.assistantHandoff(profile, r.case, 'model', turn.handoffReason ?? 'the model', false);
		return { ...handed, sent: r.sent, refused };
	}

	/** Hands the case to its owner, once: the caller is told when texting is allowed, the owner gets one alert. */
	private async assistantHandoff(
		profile: Profile,
		c: Case,
		reason: HandoffReason,
		detail: string,
		textCaller: boolean,
	): Promise<AssistantResult> {
		const now = this.now();
		const why = reason === detail ? reason : `${reason}: ${detail}`;
		let current = await this.mutate(c.caseId, (x) => recordAssistantHandoff(x, why, now), { known: c });
		if (current.assistantHandoff?.at !== now || current.assistantHandoff.reason !== why.slice(0, 300))
			return { case: current, action: 'skipped', reason: 'handed to the owner already' };
		let sent: AssistantResult['sent'];
		if (textCaller) {
			const r = await this.sendAssistantText(profile, current, handoffText(profile, reason === 'emergency'), 'handoff');
			current = r.case;
			sent = r.sent;
		}
		// A hazard in the caller's reply already raised the case and texted its owner the emergency, with the caller's
		// words (inbound() does that for every reply): a hand-off text saying the same is one text too many.
		const owner = current.owner?.id;
		const told =
			reason === 'emergency' &&
			current.alerts.some((a) => a.urgency === 'emergency' && a.status !== 'failed' && a.ownerId === owner);
		if (told)
			return {
				case: current,
				action: 'handed-off',
				reason: why,
				sent,
				ownerAlert: { skipped: 'the owner has the emergency alert already' },
			};
		const alert = await this.sendOwnerText(current, 'handoff', 0, ownerText(profile, current, 'handoff', now));
		return {
			case: alert.case,
			action: 'handed-off',
			reason: why,
			sent,
			ownerAlert: { sid: alert.sent?.sid, error: alert.error ?? (alert.sent ? undefined : 'not sent') },
		};
	}

	/**
	 * One assistant text to the caller, once per case and step (a key claimed first, which perHourCap also counts),
	 * kept on the thread marked automated with why the model's own words were replaced, when they were.
	 */
	private async sendAssistantText(
		profile: Profile,
		c: Case,
		body: string,
		step: string,
		replaced?: string,
	): Promise<{ case: Case; sent?: { sid: string; body: string }; error?: string }> {
		const now = this.now();
		if (!(await this.deps.store.claimKey(`${ASSISTANT_KEY}${c.caseId}:${step}`, c.businessId, now)))
			return { case: c, error: 'this turn was answered already' };
		const entry = { at: now, from: 'owner' as const, body: body.slice(0, 1600), automated: true };
		const key = `thread:assistant:${step}`;
		const fail = async (status: 'refused' | 'failed', reason: string) => ({
			case: await this.mutate(c.caseId, (x) => recordThread(x, { ...entry, status, reason }, key), { known: c }),
			error: reason,
		});
		if (!this.deps.provider) return fail('refused', 'no Twilio account is set up for sending');
		// Checked again at the send: a STOP may have arrived while the model was writing.
		if (await this.deps.store.isOptedOut(c.businessId, c.caller)) return fail('refused', 'the caller opted out');
		try {
			const { sent, message } = await this.textCaller(c, profile, body, 'assistant', now);
			const reason = replaced ? `model reply replaced: ${replaced}` : undefined;
			const next = await this.mutate(
				c.caseId,
				(x) => recordThread(x, { ...entry, status: 'relayed', sid: sent.sid, reason }, key),
				{ known: c, messages: [message] },
			);
			return { case: next, sent: { sid: sent.sid, body } };
		} catch (e) {
			return fail('failed', (e as Error).message);
		}
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
		const c = await this.mutate(rec.caseId, (x) => withFlag(x, flag));
		return { case: c };
	}

	/** A case by id; an error naming the id when there is none. */
	async getCase(caseId: string): Promise<Case> {
		const c = await this.deps.store.getCase(caseId);
		if (!c) {
			throw new RecoveryInputError(
				'caseId',
				caseId,
				'No case has this id: pass the caseId from the Recovery Tracker or trigger output.',
			);
		}
		return c;
	}

	/** The recovery report (metrics, scorecard, open cases) for these businesses, from the store. */
	report(businesses: Profile[], opts: BuildReportOptions): Promise<BuiltReport> {
		return buildReport(this.deps.store, businesses, opts);
	}

	/**
	 * Open cases whose owner's deadline has passed, oldest deadline first, whether or not their escalation has ended
	 * (the store's wake-up index also holds held alerts and reminder times, so it is not the list to read here).
	 */
	async listOverdue(opts: { businessId?: string; limit?: number } = {}): Promise<Case[]> {
		const now = Date.parse(this.now());
		const open = await this.deps.store.listCases({
			businessId: opts.businessId,
			states: [...OPEN_STATES],
			limit: 10000,
		});
		return open
			.filter((c) => !!c.dueAt && Date.parse(c.dueAt) <= now)
			.sort((a, b) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!))
			.slice(0, opts.limit ?? 100);
	}

	/**
	 * Every periodic duty, in one place, for every runtime: acknowledgments held by quiet hours or whose failed send is
	 * due again; owner alerts whose hold ended; overdue cases (escalation, then bounded reminders, then the end); cases a
	 * dead process left unrouted. Each case is handled on its own: one that fails is logged, flagged `tick-failed` and
	 * left alone for a while (`snoozedUntil`), and the others go on. Claims keep two processes off the same case.
	 */
	async tick(opts: TickOptions = {}): Promise<TickReport> {
		const now = this.now();
		const report: TickReport = { at: now, acks: [], cases: [], errors: [] };
		// A tick that only reports overdue cases leaves each alone for an hour: reporting it every lease would have a
		// workflow text someone every two minutes about the same case.
		const leaseSeconds = opts.leaseSeconds ?? (opts.escalate === false ? 3600 : 120);
		const lease = utcIso(instant(now).plus({ seconds: leaseSeconds }));
		// Overdue first: the acknowledgment sweep's longer claim must not keep a case from escalating.
		for (const c of await this.deps.store.claimOverdue(now, lease, opts)) {
			try {
				const done = await this.wake(c, opts);
				if (done) report.cases.push(done);
				// A case that failed before and went through now is no longer flagged for the agency to look at.
				if (c.tickFailures) await this.mutate(c.caseId, (x) => recovered(x, now));
			} catch (e) {
				report.errors.push(await this.isolate(c, e, 'its periodic duties'));
			}
		}
		if (opts.sendDeferred !== false && this.deps.provider) {
			const lease = utcIso(instant(now).plus({ minutes: 5 }));
			for (const c of await this.deps.store.claimDueAcks(now, lease, opts.limit ?? 100)) {
				try {
					report.acks.push(await this.acknowledge(c.caseId));
				} catch (e) {
					report.errors.push(await this.isolate(c, e, 'sending its acknowledgment'));
				}
			}
		}
		return report;
	}

	/** What tick() would do now, without sending or changing anything (n8n's "Fetch Test Event", previews). */
	async previewTick(opts: TickOptions = {}): Promise<TickPreview> {
		const now = this.now();
		const at = Date.parse(now);
		const open = await this.deps.store.listCases({
			businessId: opts.businessId,
			states: [...OPEN_STATES],
			limit: 1000,
		});
		const acks = open
			.filter(
				(c) =>
					(c.ack.status === 'deferred' || c.ack.status === 'failed') && c.ack.sendAt && Date.parse(c.ack.sendAt) <= at,
			)
			.map((c) => ({ caseId: c.caseId, caller: maskPhone(c.caller), sendAt: c.ack.sendAt! }));
		const cases: TickPreview['cases'] = [];
		for (const c of await this.deps.store.listOverdue(now, opts)) {
			const profile = this.deps.profileFor(c.businessId);
			if (!profile) {
				cases.push({ case: c, action: 'error', reasons: [`no business profile has the id ${c.businessId}`] });
				continue;
			}
			if (!c.owner && !c.dueAt && !c.nobodyAvailable) {
				cases.push({ case: c, action: 'routed', reasons: ['never routed: would classify and route it'] });
				continue;
			}
			const alert = planOwnerAlert(profile, c, now);
			if (alert.action === 'send') cases.push({ case: c, action: 'owner-alerted', reasons: alert.reasons });
			const plan = planOverdue(profile, c, now);
			if (plan.action === 'escalate') cases.push({ case: c, action: 'escalated', reasons: plan.decision.reasons });
			else if (plan.action !== 'none')
				cases.push({
					case: c,
					action: plan.action === 'remind' ? 'reminded' : 'escalation-ended',
					reasons: plan.reasons,
				});
		}
		return { at: now, dryRun: true, acks, cases };
	}

	/** One case's periodic duties (see tick). Returns what was done, or undefined when nothing was due. */
	private async wake(c: Case, opts: TickOptions): Promise<TickCase | undefined> {
		const profile = this.profile(c.businessId);
		const now = this.now();
		const alertOwners = opts.alertOwners !== false && !!this.deps.provider;
		if (!c.owner && !c.dueAt && !c.nobodyAvailable) {
			// Never routed: the process running the pipeline died between stages. Finish the job now.
			if (!c.urgency) await this.classify(c.caseId);
			const r = await this.routeAndNotify(c.caseId, { alertOwner: alertOwners, connectCaller: 'never' });
			return { case: r.case, action: 'routed', reasons: r.decision.reasons };
		}
		let current = c;
		let done: TickCase | undefined;
		const firstDue = c.alerts.find((a) => a.kind === 'new-case');
		const holdEnded = !!c.alertHoldUntil && Date.parse(c.alertHoldUntil) <= Date.parse(now);
		const retryFirst = !!firstDue && firstDue.status !== 'sent' && !!alertRetryFor(c, firstDue);
		if ((holdEnded || retryFirst) && !alertOwners) {
			// This tick does not text owners (or has no Twilio account): the hold is let go, not woken again forever.
			current = await this.mutate(c.caseId, (x) => ({ ...x, alertHoldUntil: null }), { known: c });
		} else if (holdEnded || retryFirst) {
			// The words never came: the provisional owner is confirmed (or replaced) on the pool's own turn first.
			if (current.routeProvisional) current = (await this.route(c.caseId, { known: current })).case;
			const n = await this.notifyOwner(c.caseId, current);
			current = n.case;
			if (n.plan.action === 'send') done = { case: current, action: 'owner-alerted', reasons: n.plan.reasons };
			// Nothing was due after all (claimed, closed, already told): the hold is let go, so the case does not wake again.
			if (n.plan.action === 'none' && current.alertHoldUntil)
				current = await this.mutate(c.caseId, (x) => ({ ...x, alertHoldUntil: null }), { known: current });
		}
		if (alertOwners) current = await this.settleAlerts(profile, current);
		const plan = planOverdue(profile, current, now);
		if (plan.action === 'none') return done;
		if (plan.action === 'escalate' && opts.escalate === false)
			return { case: current, action: 'overdue', reasons: ['past its deadline'] };
		if (plan.action === 'escalate') {
			const d = plan.decision;
			const previousOwner = current.owner?.name;
			let next = await this.mutate(
				current.caseId,
				(x) => applyEscalation(x, d, `escalate:${x.escalationLevel}:${x.dueAt}`, now),
				{
					known: current,
				},
			);
			if (alertOwners) {
				const body = ownerText(profile, next, 'escalation', now, {
					previousOwner: previousOwner ?? 'unassigned',
					missedDeadline: current.dueAt,
				});
				next = (await this.sendOwnerText(next, 'escalation', d.level, body)).case;
			}
			return { case: next, action: 'escalated', reasons: d.reasons };
		}
		if (plan.action === 'remind') {
			let next = current;
			if (alertOwners) {
				const body = ownerText(profile, next, 'reminder', now, { reminder: plan.reminder });
				next = (await this.sendOwnerText(next, 'reminder', plan.reminder, body)).case;
			}
			next = await this.mutate(next.caseId, (x) => recordReminder(x, plan.reminder, plan.nextAt, now), { known: next });
			return { case: next, action: 'reminded', reasons: plan.reasons };
		}
		const ended = await this.mutate(current.caseId, (x) => endEscalation(x, plan.reasons.join('; '), now), {
			known: current,
		});
		return { case: ended, action: 'escalation-ended', reasons: plan.reasons };
	}

	/**
	 * Escalation, emergency and reminder texts that did not reach the current owner (failed, or their sender died
	 * mid-send, or died between the escalation and its text) are sent again, up to ALERT_TRIES times each.
	 */
	private async settleAlerts(profile: Profile, c: Case): Promise<Case> {
		const now = this.now();
		let current = c;
		const due = c.alerts.filter((a) => {
			const retry = a.kind !== 'new-case' && alertRetryFor(c, a);
			return !!retry && Date.parse(retry) <= Date.parse(now);
		});
		const level = c.escalationLevel;
		if (level > 0 && c.owner && !c.claimedAt && !c.alerts.some((a) => a.key === `escalation:${level}`)) {
			const body = ownerText(profile, current, 'escalation', now, { previousOwner: 'the previous owner' });
			current = (await this.sendOwnerText(current, 'escalation', level, body)).case;
		}
		for (const a of due) {
			const body = ownerText(profile, current, a.kind, now, { reminder: a.level, previousOwner: 'the previous owner' });
			current = (await this.sendOwnerText(current, a.kind, a.level, body)).case;
		}
		return current;
	}

	/** A case whose periodic duty failed: logged, flagged and left alone for a while; never thrown at the others. */
	private async isolate(c: Case, e: unknown, what: string): Promise<TickError> {
		const error = e instanceof Error ? e.message : String(e);
		const now = this.now();
		this.deps.log?.('error', `case ${c.caseId} (${c.businessId}): ${what} failed: ${error}`);
		// A minute, doubling with each failure in a row up to a day: a passing failure (the database busy, Twilio down
		// for a moment) must not hold an emergency's escalation for long, and a case that cannot be helped (its
		// business was removed) is logged about a dozen times on its first day, then daily, not every tick forever.
		const minutes = Math.min(24 * 60, 2 ** Math.min(11, c.tickFailures));
		const until = utcIso(instant(now).plus({ minutes }));
		await this.mutate(c.caseId, (x) => snooze(x, until, error, now)).catch((err: Error) =>
			this.deps.log?.('error', `case ${c.caseId}: could not flag it either: ${err.message}`),
		);
		return { caseId: c.caseId, businessId: c.businessId, error };
	}

	/**
	 * The pipeline for one event from the Missed Call Trigger, stage by stage as the quick-start template wires its nodes
	 * (PIPELINE lists the stages): a new or repeat missed call is acknowledged, classified and routed (the owner told
	 * or the alert held); a voicemail's words re-classify and route (the owner told if due now). A caller's reply was
	 * classified, and routed when it raised the urgency, by inbound() already.
	 */
	async handleEvent(
		e: TriggerEvent,
		opts: RouteAndNotifyOptions = { alertOwner: true, connectCaller: 'never' },
	): Promise<HandledEvent> {
		const caseId = e.case?.caseId;
		if (!caseId || !(e.type in PIPELINE) || (e.type === 'inbound-message' && e.action !== 'reply'))
			return { stages: [] };
		const stages = PIPELINE[e.type as keyof typeof PIPELINE];
		const out: HandledEvent = { stages: [...stages] };
		for (const stage of stages) {
			if (stage === 'acknowledge') out.ack = await this.acknowledge(caseId);
			else if (stage === 'classify') out.classification = (await this.classify(caseId)).classification;
			else out.route = await this.routeAndNotify(caseId, opts);
		}
		out.case = await this.getCase(caseId);
		return out;
	}

	/** The whole loop for one missed call (detect, then the missed-call pipeline). */
	async run(event: MissedCall, opts: { voicemailExpected?: boolean } = {}): Promise<RunResult> {
		const d = await this.detect(event, opts);
		if (d.duplicate) return { case: d.case, duplicate: true };
		const h = await this.handleEvent({ type: 'missed-call', event: d.event, case: d.case, created: d.created });
		return {
			case: h.case ?? d.case,
			duplicate: false,
			ack: h.ack,
			classification: h.classification,
			decision: h.route?.decision,
			alert: h.route?.ownerAlert,
		};
	}
}

/** The stages each trigger event runs through, in order: the quick-start templates wire the same. */
export const PIPELINE = {
	'missed-call': ['acknowledge', 'classify', 'route'],
	voicemail: ['classify', 'route'],
	// A caller's reply is classified, and routed again when it raised the urgency, by inbound() itself.
	'inbound-message': [],
} as const;

/** Confirmations for a number whose business has no profile any more: the opt-out still holds and is confirmed. */
const NO_PROFILE_TEXTS = {
	optOutConfirm:
		'You have been unsubscribed and will receive no more messages from this number. Reply START to resubscribe.',
	optInConfirm: 'You are subscribed again. Reply STOP to opt out.',
	help: 'Reply STOP to opt out.',
};

/** The caller's words (a transcript, a reply) came in after the case was last classified. */
function wordsSinceClassified(c: Case): boolean {
	const moves = c.history.map((h) => h.move);
	const words = Math.max(
		moves.lastIndexOf('transcript'),
		moves.lastIndexOf('attempt-replied'),
		moves.lastIndexOf('contacted'),
	);
	return words > moves.lastIndexOf('classified');
}

function withFlag(c: Case, flag: string): Case {
	return c.flags.includes(flag) ? c : { ...c, flags: [...c.flags, flag] };
}

/** A text to the caller from a person or the assistant carries the business's name. */
function signed(profile: Profile, text: string): string {
	return text.includes(profile.name) ? text : `${profile.name}: ${text}`;
}

/**
 * Why a text to this caller may not go now (they opted out, their daily cap is spent, it is their quiet hours), or
 * undefined: the rules an owner's relayed answer and the assistant's reply both obey.
 */
function callerTextBar(
	profile: Profile,
	caller: string,
	now: string,
	optedOut: boolean,
	sentToCallerLast24h: string[],
): string | undefined {
	if (optedOut) return 'they opted out of texts; call them instead';
	if (sentToCallerLast24h.length >= profile.acknowledgment.perCallerDailyCap)
		return `they already got ${sentToCallerLast24h.length} texts today (the cap); call them instead`;
	const release = quietHoursRelease(profile, caller, now, sentToCallerLast24h);
	if (release.at !== now) return `${release.why ?? 'quiet hours'}; try again after ${release.at}`;
	return undefined;
}
