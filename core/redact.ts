/** Keys whose values are secrets wherever they appear: removed from raw payloads, logs and errors. */
const SECRET_KEY =
	/(auth.?token|api.?secret|secret|password|passwd|signature|authorization|token|private.?key|client.?secret)/i;
const MAX_DEPTH = 8;

/** A deep copy of a payload with secret-looking keys replaced, so `raw` never carries credentials. */
export function redactPayload<T>(value: T, depth = 0): T {
	if (depth > MAX_DEPTH) return '[nested too deep]' as unknown as T;
	if (Array.isArray(value)) return value.map((v) => redactPayload(v, depth + 1)) as unknown as T;
	if (value && typeof value === 'object') {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
			// defineProperty, not assignment: a "__proto__" key from a payload stays data, never a prototype.
			Object.defineProperty(out, k, {
				value: SECRET_KEY.test(k) ? '[redacted]' : redactPayload(v, depth + 1),
				enumerable: true,
				writable: true,
				configurable: true,
			});
		}
		return out as T;
	}
	return value;
}

/** Removes every occurrence of the given secrets from a text (error messages, logs). */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
	let out = text;
	for (const s of secrets) {
		if (s && s.length >= 4) out = out.split(s).join('[redacted]');
	}
	return out;
}
