/**
 * Stores `value` under `key` in a cache that keeps at most `max` entries, dropping the oldest first, and returns it:
 * the remembered answers on hot paths (phone numbers, TwiML) where the same few keys come up again and again.
 */
export function remember<V>(cache: Map<string, V>, key: string, value: V, max: number): V {
	if (cache.size >= max) cache.delete(cache.keys().next().value as string);
	cache.set(key, value);
	return value;
}
