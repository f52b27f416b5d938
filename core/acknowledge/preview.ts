import type { Profile } from '../profile/schema';
import type { Timing } from '../model';
import { timingOf } from '../profile/timing';
import { renderAcknowledgment } from './index';
import { countSegments } from './segments';

/** What one of the caller's texts costs: Twilio bills each SMS segment (160 GSM-7 or 70 UCS-2 characters, or less). */
export interface TextCost {
	message: 'businessHours' | 'afterHours' | 'holiday' | 'missedEarlier';
	sample: string;
	characters: number;
	encoding: 'GSM-7' | 'UCS-2';
	segments: number;
}

const HOUR = 3600e3;

/**
 * The caller's texts of a profile, rendered as a caller would get them this week (a sample number, the next opening,
 * the first holiday), with their segment counts: what the editors and the simulator show where messages are edited.
 */
export function callerTextCosts(profile: Profile, now: Date = new Date()): TextCost[] {
	const caller = { caller: '+13125550123', calledNumber: profile.numbers[0] ?? '+13125550199', caseId: 'sample' };
	// The first hour of the coming week with each timing: the words depend on it ("We open tomorrow at 8:00 AM").
	const first = (timing: Timing): string | undefined => {
		for (let h = 0; h < 24 * 14; h++) {
			const t = new Date(now.getTime() + h * HOUR).toISOString();
			if (timingOf(profile, t) === timing) return t;
		}
		return undefined;
	};
	const open = first('business-hours');
	const closed = first('after-hours');
	const holiday = profile.holidays[0] && new Date(`${profile.holidays[0].date}T17:00:00Z`).toISOString();
	const samples: { message: TextCost['message']; text?: string }[] = [
		{
			message: 'businessHours',
			text: open && renderAcknowledgment(profile, { ...caller, timing: 'business-hours' }, open).body,
		},
		{
			message: 'afterHours',
			text: closed && renderAcknowledgment(profile, { ...caller, timing: 'after-hours' }, closed).body,
		},
		{
			message: 'missedEarlier',
			text:
				open &&
				renderAcknowledgment(
					profile,
					{
						...caller,
						calls: [
							{
								eventId: 's',
								callSid: 's',
								reason: 'no-answer',
								startedAt: new Date(Date.parse(open) - 10 * HOUR).toISOString(),
								durationSec: 0,
							},
						],
					},
					open,
				).body,
		},
		{
			message: 'holiday',
			text: holiday && renderAcknowledgment(profile, { ...caller, timing: 'holiday' }, holiday).body,
		},
	];
	return samples
		.filter((s): s is { message: TextCost['message']; text: string } => !!s.text)
		.map((s) => {
			const seg = countSegments(s.text);
			return {
				message: s.message,
				sample: s.text,
				characters: [...s.text].length,
				encoding: seg.encoding,
				segments: seg.segments,
			};
		});
}

/**
 * One line for editors: "caller texts: businessHours 1 segment, afterHours 2 segments (168 characters: shorten it)".
 */
export function describeTextCosts(costs: TextCost[]): string {
	const parts = costs.map((c) =>
		c.segments > 1
			? `${c.message} ${c.segments} segments (${c.characters} ${c.encoding} characters: shorten it to pay for one)`
			: `${c.message} 1 segment`,
	);
	return `caller texts: ${parts.join(', ')}`;
}
