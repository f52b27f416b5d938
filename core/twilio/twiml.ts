import twilio from 'twilio';
import { remember } from '../bounded';

const { VoiceResponse, MessagingResponse } = twilio.twiml;

/**
 * The same answer for the same options, built once: a business's forward and voicemail TwiML differ only by business
 * and step, and building them with the SDK's XML builder was a few percent of a Node-RED call's CPU in a profile.
 * Bounded.
 */
function memo<O>(build: (opts: O) => string): (opts: O) => string {
	const cache = new Map<string, string>();
	return (opts) => {
		const key = JSON.stringify(opts);
		return cache.get(key) ?? remember(cache, key, build(opts), 1000);
	};
}

/** Forward-and-detect: ring the business's real phone; the Dial action tells us if anyone answered. */
export const forwardTwiml = memo(
	(opts: { forwardTo: string; actionUrl: string; timeoutSec: number; callerId?: string }): string => {
		const r = new VoiceResponse();
		const dial = r.dial({
			action: opts.actionUrl,
			method: 'POST',
			timeout: opts.timeoutSec,
			...(opts.callerId ? { callerId: opts.callerId } : {}),
		});
		dial.number(opts.forwardTo);
		return r.toString();
	},
);

/** After a missed forward: a short message and a voicemail whose recording and transcription come back to us. */
export const voicemailTwiml = memo(
	(opts: {
		prompt: string;
		actionUrl: string;
		transcribeUrl?: string;
		maxLengthSec?: number;
		voice?: string;
	}): string => {
		const r = new VoiceResponse();
		r.say({ voice: (opts.voice ?? 'Polly.Joanna') as never }, opts.prompt);
		r.record({
			action: opts.actionUrl,
			method: 'POST',
			maxLength: opts.maxLengthSec ?? 120,
			playBeep: true,
			timeout: 5,
			...(opts.transcribeUrl ? { transcribe: true, transcribeCallback: opts.transcribeUrl } : {}),
		});
		r.hangup();
		return r.toString();
	},
);

const EMPTY = new VoiceResponse().toString();

/** An empty response: Twilio does nothing more (status callbacks, Record actions). */
export function emptyTwiml(): string {
	return EMPTY;
}

export function messageTwiml(body?: string): string {
	const r = new MessagingResponse();
	if (body) r.message(body);
	return r.toString();
}

/** Connects the owner to the caller: used by the after-hours bridge call. */
export function bridgeTwiml(opts: { announce: string; caller: string; callerId: string }): string {
	const r = new VoiceResponse();
	r.say(opts.announce);
	r.dial({ callerId: opts.callerId }).number(opts.caller);
	return r.toString();
}
