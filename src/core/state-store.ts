/**
 * Checkpoints and per-source memory (processed-file ledger, last-seen case versions for change
 * detection and snapshot diffs). A checkpoint and the state written with it commit in one
 * transaction, so a crash leaves either both or neither.
 */
/** JSON-serialisable position a source resumes from; its shape is the source's own business. */
export type Checkpoint = Record<string, unknown>;

export type StateWrite =
  | { op: 'put'; namespace: string; key: string; value: unknown }
  | { op: 'delete'; namespace: string; key: string };

export interface ConnectorState {
  readonly connector: string;
  checkpoint(): Checkpoint | undefined;
  get<T = unknown>(namespace: string, key: string): T | undefined;
  /** Every key in a namespace, in key order; streamed so large snapshots stay flat in memory. */
  entries<T = unknown>(namespace: string): IterableIterator<[string, T]>;
  /** Atomically store the checkpoint (when given) and apply the writes. */
  commit(update: { checkpoint?: Checkpoint; writes?: StateWrite[] }): void;
}

export interface StateStore {
  forConnector(connector: string): ConnectorState;
  close(): void;
}
