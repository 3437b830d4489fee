/**
 * A connector's state as it will be once a batch's writes commit, for preparing the next batch
 * while that one is still being published: reads see the pending writes first, then the store.
 * Read-only; values come out as copies, so preparing the next batch cannot change what the
 * pending one is about to commit.
 */
import type { ConnectorState, StateWrite } from '../core/state-store.js';

const DELETED = Symbol('deleted');

export function withPendingWrites(base: ConnectorState, writes: readonly StateWrite[]): ConnectorState {
  const pending = new Map<string, Map<string, StateWrite>>();
  for (const w of writes) {
    let m = pending.get(w.namespace);
    if (!m) pending.set(w.namespace, (m = new Map()));
    m.set(w.key, w);
  }
  const valueOf = (w: StateWrite | undefined): unknown => (w === undefined || w.op === 'delete' ? DELETED : w.value);
  const lookup = (ns: string, key: string): { hit: boolean; value?: unknown } => {
    const m = pending.get(ns);
    if (!m?.has(key)) return { hit: false };
    const v = valueOf(m.get(key));
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
    async getManyText(ns: string, keys: readonly string[]) {
      const m = pending.get(ns);
      const rest = m ? keys.filter((k) => !m.has(k)) : keys;
      const out = rest.length ? await textsOf(base, ns, rest) : new Map<string, string>();
      for (const k of m ? keys : []) {
        const w = m!.get(k);
        // Text, not a copy: a string cannot be changed by whoever reads it.
        if (w?.op === 'put') out.set(k, w.json ?? JSON.stringify(w.value));
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
      for (const [k, w] of m) if (w.op === 'put') merged.set(k, structuredClone(w.value));
      for (const k of [...merged.keys()].sort()) yield [k, merged.get(k) as T];
    },
    commit() {
      return Promise.reject(new Error('internal: a look-ahead view of the state cannot commit'));
    },
  };
}

async function textsOf(state: ConnectorState, ns: string, keys: readonly string[]): Promise<Map<string, string>> {
  if (state.getManyText) return state.getManyText(ns, keys);
  const values = await state.getMany(ns, keys);
  return new Map([...values].map(([k, v]) => [k, JSON.stringify(v)]));
}
