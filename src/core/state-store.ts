/**
 * Checkpoints and per-source memory (processed-file ledger, last-seen case versions for change
 * detection and snapshot diffs). A checkpoint and the state written with it commit in one
 * transaction, so a crash leaves either both or neither.
 *
 * Every call is asynchronous so a networked store (PostgreSQL) fits the same contract as the
 * embedded SQLite file; `getMany` lets the runtime read a whole batch's cases in one round trip.
 */
/** JSON-serialisable position a source resumes from; its shape is the source's own business. */
export type Checkpoint = Record<string, unknown>;

export type StateWrite =
  /** `json`, when given, is `JSON.stringify(value)` already made (by the case cache): stores write it as is. */
  | { op: 'put'; namespace: string; key: string; value: unknown; json?: string }
  | { op: 'delete'; namespace: string; key: string };

/** What a source may see of its connector's state: reads only. Only the runtime commits. */
export interface ConnectorStateView {
  readonly connector: string;
  checkpoint(): Promise<Checkpoint | undefined>;
  get<T = unknown>(namespace: string, key: string): Promise<T | undefined>;
  /** The values of the keys that exist (absent keys are simply missing from the map). */
  getMany<T = unknown>(namespace: string, keys: readonly string[]): Promise<Map<string, T>>;
  /**
   * getMany without the parse: each existing key's value as the JSON text the store holds. Stores
   * implement it when they keep text, so a cache can keep that text without serialising it again.
   */
  getManyText?(namespace: string, keys: readonly string[]): Promise<Map<string, string>>;
  /** Every key in a namespace, in key order; streamed so large snapshots stay flat in memory. */
  entries<T = unknown>(namespace: string): AsyncIterable<[string, T]>;
}

export interface StateUpdate {
  checkpoint?: Checkpoint;
  writes?: StateWrite[];
}

export interface ConnectorState extends ConnectorStateView {
  /** Atomically store the checkpoint (when given) and apply the writes; durable when resolved. */
  commit(update: StateUpdate): Promise<void>;
}

/**
 * The lease a commit must still hold: the instance's id and the lease's fencing token (which grows
 * by one every time the lease changes holder, and is never reused).
 */
export interface Fence {
  holder: string;
  token: number;
}

export interface ConnectorStateOptions {
  /**
   * Given: every commit checks, in its own transaction, that this lease is still the connector's
   * current one, and is refused with a FencedError when it is not — so an instance that was paused
   * past its lease can never commit after another took over. Returning undefined means "I hold no
   * lease now", and the commit is refused too. Only a shared store (PostgreSQL) can fence.
   */
  fence?: () => Fence | undefined;
  /** Called once per refused commit, before the FencedError is thrown (for a metric). */
  onFenced?: (fence: Fence | undefined) => void;
}

export interface StateStore {
  forConnector(connector: string, options?: ConnectorStateOptions): ConnectorState;
  /**
   * An operator's reset (`casebridge state reset`): forget a connector's checkpoint so its next run
   * reads from the start. The rest of its state (file ledger, case memory) stays, so nothing
   * already published is published again as new. Resolves true when there was a checkpoint.
   */
  resetCheckpoint(connector: string): Promise<boolean>;
  /** Release the store; safe to call twice. */
  close(): Promise<void>;
}

/** A read-only view of a connector's state, for handing to a source. */
export function readOnly(state: ConnectorStateView): ConnectorStateView {
  return {
    connector: state.connector,
    checkpoint: () => state.checkpoint(),
    get: (ns, key) => state.get(ns, key),
    getMany: (ns, keys) => state.getMany(ns, keys),
    entries: (ns) => state.entries(ns),
  };
}
