import { createHmac, timingSafeEqual } from 'node:crypto';
import Mustache from 'mustache';
import { formatPhone } from './phone';
import type { Case } from './model';
import type { Profile } from './profile/schema';
import { instant, zoneOf } from './profile/zone';

/**
 * The owner's case page: a link in the alert opens a phone-sized page with what the owner needs to act (caller, timing,
 * urgency with its reasons, the caller's words, the thread, the deadline) and buttons for the same actions the text
 * commands give. There is no login, so the link's token is the guard: it names one case and one owner, expires, is
 * signed with a key derived from the Twilio Auth Token (nothing more to configure), and stops working when the case
 * changes hands or its links are revoked (the case's `linkRevision`).
 */

/** What a case link grants: one owner, one case, until `exp` (Unix seconds), at one link revision. */
export interface CaseLinkClaims {
	caseId: string;
	ownerId: string;
	exp: number;
	rev: number;
}

export type CaseLinkCheck =
	{ ok: true; claims: CaseLinkClaims } | { ok: false; why: 'malformed' | 'altered' | 'expired' };

/** Buttons on the page; each maps to an owner text command of core/owner.ts. */
export const PAGE_ACTIONS = ['claim', 'call', 'booked', 'called-back', 'lost', 'pass'] as const;
export type PageAction = (typeof PAGE_ACTIONS)[number];

const SIG_BYTES = 16;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The signing key: derived, so the Auth Token itself never signs anything outside Twilio's own scheme. */
export function caseLinkKey(authToken: string): Buffer {
	return createHmac('sha256', authToken).update('missed-call-recovery case link v1').digest();
}

function sign(key: Buffer, payload: Buffer): Buffer {
	return createHmac('sha256', key).update(payload).digest().subarray(0, SIG_BYTES);
}

/**
 * A compact token (about 60 characters for a short owner id): the case id's 16 bytes, expiry and revision, the owner
 * id, then a 128-bit HMAC. Short, so the alert's link costs as few SMS characters as it can.
 */
export function signCaseLink(key: Buffer, claims: CaseLinkClaims): string {
	if (!UUID.test(claims.caseId)) throw new Error(`case link: not a case id: ${claims.caseId}`);
	const head = Buffer.alloc(22);
	Buffer.from(claims.caseId.replace(/-/g, ''), 'hex').copy(head, 0);
	head.writeUInt32BE(claims.exp >>> 0, 16);
	head.writeUInt16BE(claims.rev & 0xffff, 20);
	const payload = Buffer.concat([head, Buffer.from(claims.ownerId, 'utf8')]);
	return Buffer.concat([payload, sign(key, payload)]).toString('base64url');
}

/** Checks a token: its signature first (constant time), then its expiry against `now`. */
export function verifyCaseLink(key: Buffer, token: string, now: Date): CaseLinkCheck {
	if (!/^[A-Za-z0-9_-]{40,200}$/.test(token)) return { ok: false, why: 'malformed' };
	const raw = Buffer.from(token, 'base64url');
	if (raw.length < 22 + 1 + SIG_BYTES) return { ok: false, why: 'malformed' };
	const payload = raw.subarray(0, raw.length - SIG_BYTES);
	const given = raw.subarray(raw.length - SIG_BYTES);
	if (!timingSafeEqual(given, sign(key, payload))) return { ok: false, why: 'altered' };
	const hex = payload.subarray(0, 16).toString('hex');
	const caseId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
	const claims: CaseLinkClaims = {
		caseId,
		exp: payload.readUInt32BE(16),
		rev: payload.readUInt16BE(20),
		ownerId: payload.subarray(22).toString('utf8'),
	};
	if (claims.exp * 1000 <= now.getTime()) return { ok: false, why: 'expired' };
	return { ok: true, claims };
}

/** The link an alert carries: the trigger's own webhook URL with the token as `case`. */
export function caseLinkUrl(baseUrl: string, token: string): string {
	const u = new URL(baseUrl);
	u.searchParams.set('case', token);
	return u.toString();
}

const LABELS: Record<PageAction, string> = {
	claim: 'Take it',
	call: 'Call me, then connect the caller',
	booked: 'Booked',
	'called-back': 'Called back',
	lost: 'Lost',
	pass: 'Pass to the next person',
};

// Phone-sized, no script, no external resource: everything the page needs is in this one response.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{business}}: case {{code}}</title>
<style>
body { font: 16px/1.4 system-ui, sans-serif; margin: 0; padding: 12px; max-width: 480px; color: #1b1b1b; }
h1 { font-size: 20px; margin: 0 0 4px; }
.urgency { display: inline-block; padding: 2px 8px; border-radius: 4px; font-weight: 600; }
.emergency { background: #b00020; color: #fff; } .high { background: #e65100; color: #fff; }
.normal { background: #e0e0e0; } .low { background: #f1f8e9; }
.notice { background: #e8f5e9; border: 1px solid #2e7d32; padding: 8px; border-radius: 6px; margin: 8px 0; }
.refused { background: #fff3e0; border-color: #e65100; }
dl { margin: 8px 0; } dt { font-weight: 600; margin-top: 8px; } dd { margin: 0; overflow-wrap: anywhere; }
form { margin: 0; } button { display: block; width: 100%; min-height: 48px; margin: 8px 0; font-size: 17px;
  border-radius: 8px; border: 1px solid #555; background: #fff; }
button.primary { background: #0d47a1; color: #fff; border-color: #0d47a1; }
.thread p { margin: 4px 0; } .muted { color: #555; font-size: 14px; }
</style>
</head>
<body>
<h1>{{business}}</h1>
<p><span class="urgency {{urgency}}">{{urgencyLabel}}</span> Case {{code}}, {{state}}</p>
{{#notice}}<p class="notice{{#refused}} refused{{/refused}}" role="status">{{notice}}</p>{{/notice}}
<dl>
<dt>Caller</dt><dd><a href="tel:{{callerE164}}">{{caller}}</a>{{#callerName}} ({{callerName}}){{/callerName}}</dd>
<dt>Called</dt><dd>{{calledAt}} ({{timing}}){{#calls}}, {{calls}} calls{{/calls}}</dd>
<dt>Service</dt><dd>{{serviceType}}</dd>
<dt>Owner</dt><dd>{{owner}}{{#claimed}}, taken{{/claimed}}</dd>
<dt>Call back by</dt><dd>{{due}}</dd>
{{#words.length}}<dt>What the caller said</dt>{{#words}}<dd>&ldquo;{{.}}&rdquo;</dd>{{/words}}{{/words.length}}
<dt>Why this urgency</dt>{{#reasons}}<dd class="muted">{{.}}</dd>{{/reasons}}
{{#thread.length}}<dt>Texts</dt><dd class="thread">{{#thread}}<p><b>{{who}}</b> {{at}}: {{body}}{{#note}}
<span class="muted">({{note}})</span>{{/note}}</p>{{/thread}}</dd>{{/thread.length}}
{{#outcome}}<dt>Outcome</dt><dd>{{outcome}}</dd>{{/outcome}}
</dl>
{{#actions}}<form method="post"><input type="hidden" name="action" value="{{action}}">
<input type="hidden" name="nonce" value="{{nonce}}">
<button type="submit"{{#primary}} class="primary"{{/primary}}>{{label}}</button>
</form>{{/actions}}
<p class="muted">This link is for {{ownerName}} only and works until {{expires}}.</p>
</body>
</html>
`;

/** What the page shows after an action (or why the action was not taken). */
export interface PageNotice {
	text: string;
	refused?: boolean;
}

function at(profile: Profile, iso: string | null | undefined): string {
	return iso ? instant(iso, zoneOf(profile.timeZone)).toFormat('ccc LLL d, h:mm a') : 'none set';
}

/** The page for one case, as its owner sees it; every value is HTML-escaped by Mustache. */
export function renderCasePage(
	profile: Profile,
	c: Case,
	claims: CaseLinkClaims,
	opts: { nonce: string; notice?: PageNotice },
): string {
	const open = c.state !== 'recovered' && c.state !== 'lost';
	const actions = open
		? PAGE_ACTIONS.filter((a) => a !== 'claim' || !c.claimedAt).map((action) => ({
				action,
				label: LABELS[action],
				nonce: opts.nonce,
				primary: action === 'call',
			}))
		: [];
	const names = new Map(profile.roster.map((m) => [m.id, m.name]));
	const view = {
		business: profile.name,
		code: c.caseId.slice(0, 8),
		state: c.state,
		urgency: c.urgency ?? 'normal',
		urgencyLabel: (c.urgency ?? 'normal').toUpperCase(),
		notice: opts.notice?.text,
		refused: opts.notice?.refused,
		caller: formatPhone(c.caller),
		callerE164: c.caller,
		callerName: c.callerName,
		calledAt: at(profile, c.calls[0]?.startedAt),
		timing: c.timing ?? 'unknown timing',
		calls: c.calls.length > 1 ? c.calls.length : undefined,
		serviceType: c.serviceType ?? 'not known yet',
		owner: c.owner?.name ?? 'nobody',
		claimed: !!c.claimedAt,
		due: at(profile, c.dueAt),
		words: c.calls.map((k) => k.voicemail?.transcript).filter((t): t is string => !!t),
		reasons: c.reasons,
		thread: c.thread.map((t) => ({
			who:
				t.from === 'caller'
					? 'Caller'
					: t.automated
						? 'Assistant (automated)'
						: (names.get(t.ownerId ?? '') ?? 'Owner'),
			at: at(profile, t.at),
			body: t.body,
			note: t.status === 'relayed' ? undefined : `${t.status}${t.reason ? `: ${t.reason}` : ''}`,
		})),
		outcome: c.outcome ? `${c.outcome.kind}${c.outcome.note ? `: ${c.outcome.note}` : ''}` : undefined,
		actions,
		ownerName: names.get(claims.ownerId) ?? claims.ownerId,
		expires: at(profile, new Date(claims.exp * 1000).toISOString()),
	};
	return Mustache.render(PAGE, view);
}

/** A short page for a link that cannot be used, saying why and what to do instead. */
export function renderLinkRefusal(why: string): string {
	return Mustache.render(
		`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" ` +
			`content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>Link not valid` +
			`</title></head><body style="font:16px/1.4 system-ui,sans-serif;padding:12px"><h1>This link cannot be used` +
			`</h1><p>{{why}}</p><p>Reply to the alert text instead: 1 to take the case, CALL to be connected, BOOKED, ` +
			`CALLED or LOST when done.</p></body></html>`,
		{ why },
	);
}
