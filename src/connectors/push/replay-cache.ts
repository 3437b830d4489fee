/**
 * Signatures of notifications already accepted, kept for as long as their timestamp would still
 * pass the tolerance (or 24 h when timestamps are off): an exact repeat inside that window is a
 * replay, refused, instead of being published again. Bounded: the oldest entries go first.
 */
export interface ReplayCache {
  seen(signature: string, now: number): boolean;
  remember(signature: string, now: number): void;
}

export function createReplayCache(ttlMs: number, maxEntries = 100_000): ReplayCache {
  // Insertion order is expiry order (one ttl for all), so pruning from the front is enough.
  const expiries = new Map<string, number>();
  const prune = (now: number) => {
    for (const [sig, until] of expiries) {
      if (until > now && expiries.size <= maxEntries) break;
      expiries.delete(sig);
    }
  };
  return {
    seen(signature, now) {
      prune(now);
      return expiries.has(signature);
    },
    remember(signature, now) {
      expiries.delete(signature);
      expiries.set(signature, now + ttlMs);
      prune(now);
    },
  };
}
