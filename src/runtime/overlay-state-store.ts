/**
 * A state store that reads through to a real one but keeps every commit in memory. `preview`
 * runs the same pipeline as `run` on it: later batches see what earlier batches "committed"
 * (so overlap repeats are skipped exactly as `run` skips them), and the real store never changes.
 */
import type { Checkpoint, ConnectorState, StateStore, StateUpdate } from '../core/state-store.js';

const DELETED = Symbol('deleted');

/** `base` undefined: start from nothing, as a first run would (preview --from-start). */
export function overlayStateStore(base: StateStore | undefined): StateStore {
  const states = new Map<string, ConnectorState>();
  return {
    forConnector(connector) {
      let s = states.get(connector);
      if (!s) {
        s = overlayConnectorState(connector, base?.forConnector(connector));
        states.set(connector, s);
      }
      return s;
    },
    async resetCheckpoint(connector) {
      const s = this.forConnector(connector) as OverlayState;
      const had = (await s.checkpoint()) !== undefined;
      s.clearCheckpoint();
      return had;
    },
    async close() {
      await base?.close();
    },
  };
}

type OverlayState = ConnectorState & { clearCheckpoint(): void };

function overlayConnectorState(connector: string, base: ConnectorState | undefined): OverlayState {
  let checkpoint: Checkpoint | undefined;
  let checkpointSet = false;
  const kv = new Map<string, Map<string, unknown>>();
  const space = (ns: string) => {
    let m = kv.get(ns);
    if (!m) kv.set(ns, (m = new Map()));
    return m;
  };
  async function get<T>(ns: string, key: string): Promise<T | undefined> {
    const m = kv.get(ns);
    if (m?.has(key)) {
      const v = m.get(key);
      return v === DELETED ? undefined : (v as T);
    }
    return base?.get<T>(ns, key);
  }
  return {
    connector,
    clearCheckpoint() {
      checkpoint = undefined;
      checkpointSet = true;
    },
    checkpoint: async () => (checkpointSet ? checkpoint : base?.checkpoint()),
    get,
    async getMany<T>(ns: string, keys: readonly string[]) {
      const out = new Map<string, T>();
      for (const key of keys) {
        const v = await get<T>(ns, key);
        if (v !== undefined) out.set(key, v);
      }
      return out;
    },
    async *entries<T>(ns: string): AsyncIterable<[string, T]> {
      const m = kv.get(ns) ?? new Map<string, unknown>();
      const merged = new Map<string, unknown>();
      if (base) for await (const [k, v] of base.entries<T>(ns)) if (!m.has(k)) merged.set(k, v);
      for (const [k, v] of m) if (v !== DELETED) merged.set(k, v);
      for (const k of [...merged.keys()].sort()) yield [k, merged.get(k) as T];
    },
    async commit({ checkpoint: cp, writes = [] }: StateUpdate) {
      for (const w of writes) space(w.namespace).set(w.key, w.op === 'put' ? structuredClone(w.value) : DELETED);
      if (cp !== undefined) {
        checkpoint = structuredClone(cp);
        checkpointSet = true;
      }
    },
  };
}
