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
 * It keeps each value as the JSON text the store is given (the commit passes that text on, so it
 * is made once), not as objects: about a third of the heap per case, and a live heap that does not
 * grow by tens of MiB makes V8 grow its heap less (issue #16's peak-memory goal). Every read parses
 * a fresh object, so no caller can change what the next batch compares against.
 *
 * An LRU only pays when cases come back while still in it. A full export or listing with more
 * cases than the cache holds visits them in a cycle, and a first load sees every case once: then
 * every lookup misses and the cache is memory held for nothing (the bench's 1 GiB export, whose
 * cases recur only after 65,000 others, kept ~4 MB of text and ~7 MiB of RSS so). So admission
 * follows the hit rate: over each window of lookups, if fewer than MIN_HIT_SHARE of them hit or
 * would have hit, keys not yet cached are no longer let in, and each one refused evicts the coldest
 * entry that has not been hit since it was last written (one that has is moved to the warm end
 * instead), so the cache drains of all but the cases that do come back. A refused key is
 * remembered without its text (a "ghost", as in 2Q), and a later lookup of a ghost counts as a hit
 * that admission would have had, so a workload whose cases do come back turns admission on again
 * at the next window. Keys already cached are always refreshed, so nothing cached can go stale.
 */
import type { ConnectorState, StateUpdate, StateWrite } from '../../core/state-store.js';

/** A key the store was asked for and does not have: a new case, no need to ask again. */
const ABSENT = Symbol('absent');

export interface CacheOptions {
  /** The only namespace cached; every other call goes straight to the store. */
  namespace: string;
  /** At most this many keys (present or absent) are remembered; no count bound when left out. */
  maxEntries?: number;
  /**
   * And at most about this many bytes of keys and text (a string's characters, plus a fixed
   * allowance per entry): a case with a long description costs its size, so the bound holds for
   * wide records as well as narrow ones.
   */
  maxBytes?: number;
}

/** Rough cost of one Map entry beside its key and text (the entry, the string headers). */
const ENTRY_OVERHEAD = 96;

/** Lookups per window over which the hit rate decides admission. */
export const ADMISSION_WINDOW = 2048;
/** Admission stays on while at least this share of a window's lookups hit, or would have. */
export const MIN_HIT_SHARE = 1 / 64;
/** Ghost keys kept at least (more once the cache has held more entries than this). */
const MIN_GHOSTS = 1024;

export interface CachedConnectorState extends ConnectorState {
  readonly cacheStats: { hits: number; misses: number; size: number; bytes: number; admitting: boolean };
}

export function cachedConnectorState(inner: ConnectorState, options: CacheOptions): CachedConnectorState {
  const { namespace, maxEntries = Infinity, maxBytes = Infinity } = options;
  const cache = new Map<string, string | typeof ABSENT>();
  let bytes = 0;
  const cost = (key: string, value: string | typeof ABSENT) => key.length + ENTRY_OVERHEAD + (value === ABSENT ? 0 : value.length);
  let hits = 0;
  let misses = 0;
  // Bumped by every commit: a read that overlapped one may have seen the state before it.
  let epoch = 0;

  // Admission (see the top of the file): the current window's lookups and (would-be) hits.
  let admitting = true;
  let windowLookups = 0;
  let windowHits = 0;
  let peakSize = 0;
  const ghosts = new Set<string>();
  // Cached keys hit since they were last written: spared when the cache drains.
  const used = new Set<string>();
  const looked = (hit: boolean) => {
    windowLookups++;
    if (hit) windowHits++;
    if (windowLookups < ADMISSION_WINDOW) return;
    admitting = windowHits >= windowLookups * MIN_HIT_SHARE;
    if (admitting) ghosts.clear();
    windowLookups = 0;
    windowHits = 0;
  };

  const forget = (key: string) => {
    const old = cache.get(key);
    if (old === undefined) return;
    cache.delete(key);
    used.delete(key);
    bytes -= cost(key, old);
  };
  const coldest = () => cache.keys().next().value as string;
  const drainOne = () => {
    const key = coldest();
    if (!used.has(key)) return forget(key);
    const text = cache.get(key)!;
    cache.delete(key);
    cache.set(key, text);
  };
  const remember = (key: string, value: string | typeof ABSENT) => {
    const cached = cache.has(key);
    if (!cached && !admitting) {
      // Refused: remembered as a ghost, and the cache gives up its coldest entry.
      ghosts.delete(key);
      ghosts.add(key);
      if (ghosts.size > Math.max(MIN_GHOSTS, peakSize)) ghosts.delete(ghosts.values().next().value as string);
      if (cache.size) drainOne();
      return;
    }
    if (cached) forget(key);
    cache.set(key, value);
    bytes += cost(key, value);
    while (cache.size > maxEntries || (bytes > maxBytes && cache.size > 1)) forget(coldest());
    if (cache.size > peakSize) peakSize = cache.size;
  };

  // A store that keeps text hands it over as it is; otherwise its values are serialised here.
  async function fetchTexts(ns: string, keys: string[]): Promise<Map<string, string>> {
    if (inner.getManyText) return inner.getManyText(ns, keys);
    const values = await inner.getMany(ns, keys);
    return new Map([...values].map(([key, value]) => [key, JSON.stringify(value)]));
  }

  async function getMany<T>(ns: string, keys: readonly string[]): Promise<Map<string, T>> {
    if (ns !== namespace) return inner.getMany<T>(ns, keys);
    // Hits are taken before the misses are remembered: remembering them may evict a hit.
    const known = new Map<string, unknown>();
    const wanted = new Set<string>();
    for (const key of keys) {
      if (known.has(key)) continue;
      const text = cache.get(key);
      looked(text !== undefined || ghosts.delete(key));
      if (text !== undefined) {
        // Most recently used goes last, so eviction takes the coldest.
        remember(key, text);
        used.add(key);
        known.set(key, text === ABSENT ? ABSENT : JSON.parse(text));
      } else wanted.add(key);
    }
    hits += known.size;
    misses += wanted.size;
    if (wanted.size) {
      const before = epoch;
      const fetched = await fetchTexts(ns, [...wanted]);
      for (const key of wanted) {
        const text = fetched.get(key) ?? ABSENT;
        known.set(key, text === ABSENT ? ABSENT : JSON.parse(text));
        if (before === epoch) remember(key, text);
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
    // The case memory is serialised here, once, for the store and for the cache alike.
    const writes = update.writes?.map((w): StateWrite => (w.op === 'put' && w.namespace === namespace && w.json === undefined ? withJson(w) : w));
    epoch++;
    try {
      await inner.commit(writes ? { ...update, writes } : update);
    } catch (err) {
      cache.clear();
      used.clear();
      bytes = 0;
      throw err;
    } finally {
      epoch++;
    }
    for (const w of writes ?? []) {
      if (w.namespace !== namespace) continue;
      remember(w.key, w.op === 'put' ? (w.json ?? JSON.stringify(w.value)) : ABSENT);
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
      return { hits, misses, size: cache.size, bytes, admitting };
    },
  };
}

/** A value that cannot be serialised goes on without text: the store refuses it with its own StateError. */
function withJson(w: Extract<StateWrite, { op: 'put' }>): StateWrite {
  try {
    return { ...w, json: JSON.stringify(w.value) };
  } catch {
    return w;
  }
}
