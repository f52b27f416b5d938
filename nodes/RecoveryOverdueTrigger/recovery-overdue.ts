import { describeError, loopForNode, type NodeRedNode, type RED } from '../shared/node-red';

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
		const tick = async () => {
			if (running) return;
			running = true;
			try {
				const { loop } = await loopForNode(RED, config, { twilio: 'optional' });
				if (config.sendDeferred !== false && loop.deps.provider) await loop.sendDueAcks();
				const businessId = config.businessId || undefined;
				const cases =
					config.escalate !== false
						? await loop.sweepOverdue({ businessId })
						: await loop.deps.store.claimOverdue(
								new Date().toISOString(),
								new Date(Date.now() + 3600e3).toISOString(),
								{ businessId },
							);
				for (const c of cases) {
					if (
						config.escalate !== false &&
						config.alertOwner !== false &&
						loop.deps.provider &&
						c.owner &&
						c.escalationLevel > 0
					)
						await loop.alertOwner(c.caseId, 'escalation');
					this.send({
						caseId: c.caseId,
						topic: 'overdue',
						payload: { caseId: c.caseId, case: c, owner: c.owner, escalationLevel: c.escalationLevel, dueAt: c.dueAt },
					});
				}
				this.status({
					fill: cases.length ? 'yellow' : 'green',
					shape: 'dot',
					text: `${cases.length} overdue at ${new Date().toISOString().slice(11, 19)} UTC`,
				});
			} catch (e) {
				this.status({ fill: 'red', shape: 'ring', text: describeError(e).slice(0, 60) });
				this.error(describeError(e));
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
