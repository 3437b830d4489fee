/**
 * A bounded, least-recently-used memory of one state namespace (the case memory) in front of a
 * connector's state, so a case seen again a few batches later is not read back and re-parsed from
 * the store (issue #16: one SELECT and a ~1 KB JSON.parse per row).
 *
 * It can never be stale because it only ever holds what the store has committed: a value enters
 * after the store answered it or after the store's commit resolved, and a failed commit (store
 * down, lease fenced) forgets everything, since the store's state is then unknown. It lives for one
 * run of one connector (connector-runner creates it), so a restart or a lease taken over by
 * another instance starts cold; nothing else writes a connector's case memory while it runs.
 *
 * Values are deep-frozen when they enter, and the very objects are handed out: a caller that tried
 * to change one would throw instead of silently changing what the next batch compares against.
 */
import type { ConnectorState, StateUpdate } from '../../core/state-store.js';

/** A key the store was asked for and does not have: a new case, no need to ask again. */
const ABSENT = Symbol('absent');

export interface CacheOptions {
  /** The only namespace cached; every other call goes straight to the store. */
  namespace: string;
  /** At most this many keys (present or absent) are remembered. */
  maxEntries: number;
}

export interface CachedConnectorState extends ConnectorState {
  readonly cacheStats: { hits: number; misses: number; size: number };
}

export function cachedConnectorState(inner: ConnectorState, options: CacheOptions): CachedConnectorState {
  const { namespace, maxEntries } = options;
  const cache = new Map<string, unknown>();
  let hits = 0;
  let misses = 0;
  // Bumped by every commit: a read that overlapped one may have seen the state before it.
  let epoch = 0;

  const remember = (key: string, value: unknown) => {
    cache.delete(key);
    cache.set(key, value);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
  };

  async function getMany<T>(ns: string, keys: readonly string[]): Promise<Map<string, T>> {
    if (ns !== namespace) return inner.getMany<T>(ns, keys);
    // Hits are taken before the misses are remembered: remembering them may evict a hit.
    const known = new Map<string, unknown>();
    const wanted = new Set<string>();
    for (const key of keys) {
      if (known.has(key)) continue;
      if (cache.has(key)) {
        const value = cache.get(key);
        // Most recently used goes last, so eviction takes the coldest.
        remember(key, value);
        known.set(key, value);
      } else wanted.add(key);
    }
    hits += known.size;
    misses += wanted.size;
    if (wanted.size) {
      const before = epoch;
      const fetched = await inner.getMany<T>(ns, [...wanted]);
      for (const key of wanted) {
        const value = fetched.has(key) ? deepFreeze(fetched.get(key)) : ABSENT;
        known.set(key, value);
        if (before === epoch) remember(key, value);
      }
    }
    const out = new Map<string, T>();
    for (const key of keys) {
      const value = known.get(key);
      if (known.has(key) && value !== ABSENT) out.set(key, value as T);
    }
    return out;
  }

  async function commit(update: StateUpdate): Promise<void> {
    epoch++;
    try {
      await inner.commit(update);
    } catch (err) {
      cache.clear();
      throw err;
    } finally {
      epoch++;
    }
    for (const w of update.writes ?? []) {
      if (w.namespace !== namespace) continue;
      remember(w.key, w.op === 'put' ? deepFreeze(w.value) : ABSENT);
    }
  }

  return {
    connector: inner.connector,
    checkpoint: () => inner.checkpoint(),
    get: async <T>(ns: string, key: string) => (ns === namespace ? (await getMany<T>(ns, [key])).get(key) : inner.get<T>(ns, key)),
    getMany,
    entries: (ns) => inner.entries(ns),
    commit,
    get cacheStats() {
      return { hits, misses, size: cache.size };
    },
  };
}

/** Stops at what is already frozen: a case memory re-committed unchanged costs one check. */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}
