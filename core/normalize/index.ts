import { RecoveryInputError } from '../errors';
import { PROVIDERS, type Provider } from '../model';
import type { NormalizeOptions, Normalized } from './common';
import {
	normalizeAircall,
	normalizeDialpad,
	normalizeGeneric,
	normalizeOpenPhone,
	normalizePlivo,
	normalizeRingCentral,
	normalizeTelnyx,
	normalizeVonage,
	type GenericMapping,
} from './others';
import { normalizeTwilio } from './twilio';

export type { NormalizeOptions, Normalized } from './common';
export { GenericMappingSchema, type GenericMapping } from './others';

const MAX_KEYS = 500;

function countKeys(value: unknown, depth: number, budget: { left: number }): void {
	if (depth > 12)
		throw new RecoveryInputError(
			'(body)',
			'nested more than 12 levels',
			'Provider webhooks are shallow; this is not one.',
			'Webhook',
		);
	if (value && typeof value === 'object') {
		for (const v of Object.values(value as Record<string, unknown>)) {
			if (--budget.left < 0)
				throw new RecoveryInputError(
					'(body)',
					`more than ${MAX_KEYS} fields`,
					'Provider webhooks carry a few dozen fields; this is not one.',
					'Webhook',
				);
			countKeys(v, depth + 1, budget);
		}
	}
}

/** One entry point: a provider's webhook body (parsed form or JSON) to a normalized event or a stated non-event. */
export function normalize(
	provider: Provider,
	payload: unknown,
	opts: NormalizeOptions = {},
	mapping?: GenericMapping,
): Normalized {
	if (!PROVIDERS.includes(provider))
		throw new RecoveryInputError('provider', provider, `Use one of: ${PROVIDERS.join(', ')}.`);
	if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
		throw new RecoveryInputError(
			'(body)',
			payload,
			'Expected the webhook body as an object of fields (form-encoded or JSON).',
			`${provider} webhook`,
		);
	}
	countKeys(payload, 0, { left: MAX_KEYS });
	const p = payload as Record<string, unknown>;
	switch (provider) {
		case 'twilio':
			return normalizeTwilio(p, opts);
		case 'vonage':
			return normalizeVonage(p, opts);
		case 'telnyx':
			return normalizeTelnyx(p, opts);
		case 'plivo':
			return normalizePlivo(p, opts);
		case 'aircall':
			return normalizeAircall(p, opts);
		case 'openphone':
			return normalizeOpenPhone(p, opts);
		case 'ringcentral':
			return normalizeRingCentral(p, opts);
		case 'dialpad':
			return normalizeDialpad(p, opts);
		case 'generic':
			return normalizeGeneric(p, opts, mapping);
	}
}
