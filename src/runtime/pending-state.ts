/**
 * A connector's state as it will be once a batch's writes commit, for preparing the next batch
 * while that one is still being published: reads see the pending writes first, then the store.
 * Read-only; values come out as copies, so preparing the next batch cannot change what the
 * pending one is about to commit.
 */
import type { ConnectorState, StateWrite } from '../core/state-store.js';

const DELETED = Symbol('deleted');

export function withPendingWrites(base: ConnectorState, writes: readonly StateWrite[]): ConnectorState {
  const pending = new Map<string, Map<string, unknown>>();
  for (const w of writes) {
    let m = pending.get(w.namespace);
    if (!m) pending.set(w.namespace, (m = new Map()));
    m.set(w.key, w.op === 'put' ? w.value : DELETED);
  }
  const lookup = (ns: string, key: string): { hit: boolean; value?: unknown } => {
    const m = pending.get(ns);
    if (!m?.has(key)) return { hit: false };
    const v = m.get(key);
    return { hit: true, value: v === DELETED ? undefined : structuredClone(v) };
  };
  return {
    connector: base.connector,
    checkpoint: () => base.checkpoint(),
    async get<T>(ns: string, key: string) {
      const p = lookup(ns, key);
      return p.hit ? (p.value as T | undefined) : base.get<T>(ns, key);
    },
    async getMany<T>(ns: string, keys: readonly string[]) {
      const m = pending.get(ns);
      const rest = m ? keys.filter((k) => !m.has(k)) : keys;
      const out = rest.length ? await base.getMany<T>(ns, rest) : new Map<string, T>();
      if (m) {
        for (const k of keys) {
          const p = lookup(ns, k);
          if (p.hit && p.value !== undefined) out.set(k, p.value as T);
        }
      }
      return out;
    },
    async *entries<T>(ns: string): AsyncIterable<[string, T]> {
      const m = pending.get(ns);
      if (!m) {
        yield* base.entries<T>(ns);
        return;
      }
      const merged = new Map<string, unknown>();
      for await (const [k, v] of base.entries<T>(ns)) if (!m.has(k)) merged.set(k, v);
      for (const [k, v] of m) if (v !== DELETED) merged.set(k, structuredClone(v));
      for (const k of [...merged.keys()].sort()) yield [k, merged.get(k) as T];
    },
    commit() {
      return Promise.reject(new Error('internal: a look-ahead view of the state cannot commit'));
    },
  };
}
