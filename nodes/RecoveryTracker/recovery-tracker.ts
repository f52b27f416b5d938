import { MissedCallSchema, OUTCOMES, parseOrThrow, RecoveryInputError, type Outcome } from '../../core';
import { caseIdOfMsg, loopForNode, onInput, type Msg, type NodeRedNode, type RED } from '../shared/node-red';

const OPERATIONS = ['open', 'attempt', 'outcome', 'get', 'overdue', 'metrics', 'report'];

interface Config {
	store: string;
	business: string;
	operation: string;
	channel?: string;
	result?: string;
	outcome?: string;
	days?: number | string;
	businessId?: string;
}

export = function register(RED: RED) {
	function RecoveryTrackerNode(this: NodeRedNode, config: Config) {
		RED.nodes.createNode(this, config);
		onInput(this, async (msg) => {
			const { loop, businesses } = await loopForNode(RED, config, { twilio: 'none' });
			const operation = (typeof msg.operation === 'string' && msg.operation) || config.operation || 'get';
			if (!OPERATIONS.includes(operation))
				throw new RecoveryInputError('msg.operation', operation, `Use one of: ${OPERATIONS.join(', ')}.`);
			const p = (msg.payload && typeof msg.payload === 'object' ? msg.payload : {}) as Record<string, unknown>;
			const str = (k: string, fallback?: string) => (typeof p[k] === 'string' ? (p[k] as string) : fallback);
			switch (operation) {
				case 'open': {
					const d = await loop.detect(parseOrThrow(MissedCallSchema, p.event ?? p, 'Missed call event'));
					msg.caseId = d.case.caseId;
					msg.payload = { caseId: d.case.caseId, case: d.case, created: d.created, duplicate: d.duplicate };
					return {
						outputs: [msg],
						status: d.duplicate ? 'duplicate' : d.created ? 'case opened' : 'repeat call folded',
					};
				}
				case 'attempt': {
					const c = await loop.recordAttempt(caseIdOfMsg(msg), {
						channel: (str('channel', config.channel) ?? 'call') as 'call',
						result: (str('result', config.result) ?? 'reached') as 'reached',
						by: str('by', 'unknown')!,
						note: str('note'),
					});
					msg.payload = { caseId: c.caseId, case: c };
					return { outputs: [msg], status: `attempt: ${c.attempts[c.attempts.length - 1]?.result}` };
				}
				case 'outcome': {
					const kind = (str('outcome', config.outcome) ?? 'booked') as Outcome;
					if (!OUTCOMES.includes(kind))
						throw new RecoveryInputError('outcome', kind, `Use one of: ${OUTCOMES.join(', ')}.`);
					const value = typeof p.value === 'number' ? p.value : undefined;
					const c = await loop.recordOutcome(caseIdOfMsg(msg), { kind, value, note: str('note') });
					msg.payload = { caseId: c.caseId, case: c };
					return { outputs: [msg], status: `${c.state}: ${kind}` };
				}
				case 'get': {
					const id = caseIdOfMsg(msg);
					const c = await loop.getCase(id);
					msg.payload = { caseId: c.caseId, case: c };
					return { outputs: [msg], status: c.state };
				}
				case 'overdue': {
					const list = await loop.listOverdue({
						businessId: str('businessId', config.businessId || undefined),
					});
					msg.payload = list;
					return { outputs: [msg], status: `${list.length} overdue`, fill: list.length ? 'yellow' : 'green' };
				}
				default: {
					const q =
						(msg.req && typeof msg.req === 'object'
							? (msg.req as { query?: Record<string, string> }).query
							: undefined) ?? {};
					const businessId = q.business || str('businessId', config.businessId || undefined) || undefined;
					const days = Number(q.days ?? p.days ?? config.days ?? 7) || 7;
					const r = await loop.report(businesses.list, { businessId, days });
					if (operation === 'metrics') {
						msg.payload = {
							businessId: r.businessId ?? null,
							metrics: r.metrics,
							protection: r.protection,
							voiceAi: r.voiceAi,
						};
						return { outputs: [msg], status: `${r.metrics.funnel.missed} cases` };
					}
					const card = r.scorecard;
					const out: Msg = msg.req
						? { ...msg, payload: r.html, headers: { 'content-type': 'text/html; charset=utf-8' } }
						: {
								...msg,
								payload: {
									businessId: r.businessId ?? null,
									score: card.score,
									band: card.band,
									checks: card.checks,
									metrics: r.metrics,
									protection: r.protection,
									voiceAi: r.voiceAi,
									html: r.html,
								},
							};
					return { outputs: [out], status: `score ${card.score ?? '-'} / 5` };
				}
			}
		});
	}
	RED.nodes.registerType('recovery-tracker', RecoveryTrackerNode);
};
