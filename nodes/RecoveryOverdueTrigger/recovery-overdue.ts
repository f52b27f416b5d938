import { describeError, loopForNode, type NodeRedNode, type RED } from '../shared/node-red';
import { tickCaseView } from '../shared/runtime';

interface Config {
	store: string;
	business: string;
	twilio?: string;
	intervalSeconds?: number | string;
	escalate?: boolean;
	alertOwner?: boolean;
	sendDeferred?: boolean;
	businessId?: string;
}

export = function register(RED: RED) {
	function RecoveryOverdueNode(this: NodeRedNode, config: Config) {
		RED.nodes.createNode(this, config);
		const every = Math.max(5, Number(config.intervalSeconds ?? 60) || 60) * 1000;
		let running = false;
		let startedAt = 0;
		let warnedAt = 0;
		const tick = async () => {
			if (running) {
				// A check that never finishes would stop every later one: say so, at most once a minute.
				const secs = Math.round((Date.now() - startedAt) / 1000);
				if (Date.now() - startedAt > 2 * every && Date.now() - warnedAt > 60000) {
					warnedAt = Date.now();
					this.warn(`the check started ${secs} s ago has not finished; later checks wait for it`);
					this.status({ fill: 'yellow', shape: 'ring', text: `check running for ${secs} s` });
				}
				return;
			}
			running = true;
			startedAt = Date.now();
			try {
				const { loop } = await loopForNode(RED, config, { twilio: 'optional' });
				const report = await loop.tick({
					businessId: config.businessId || undefined,
					escalate: config.escalate !== false,
					alertOwners: config.alertOwner !== false,
					sendDeferred: config.sendDeferred !== false,
				});
				for (const t of report.cases) this.send({ caseId: t.case.caseId, topic: 'overdue', payload: tickCaseView(t) });
				for (const e of report.errors) this.warn(`case ${e.caseId} of ${e.businessId} skipped: ${e.error}`);
				const cases = report.cases;
				this.status({
					fill: cases.length ? 'yellow' : 'green',
					shape: 'dot',
					text: `${cases.length} case(s) acted on, ${report.acks.length} text(s) due at ${report.at.slice(11, 19)} UTC`,
				});
			} catch (e) {
				this.status({ fill: 'red', shape: 'ring', text: describeError(e).slice(0, 60) });
				this.error(e instanceof Error ? e : describeError(e));
			} finally {
				running = false;
			}
		};
		const timer = setInterval(() => void tick(), every);
		const first = setTimeout(() => void tick(), 1000);
		this.on('close', (_removed, done) => {
			clearInterval(timer);
			clearTimeout(first);
			done();
		});
	}
	RED.nodes.registerType('recovery-overdue', RecoveryOverdueNode);
};
