/**
 * Checkpoints and per-source memory (processed-file ledger, last-seen case versions for change
 * detection and snapshot diffs). A checkpoint and the state written with it commit in one
 * transaction, so a crash leaves either both or neither.
 */
import type { Checkpoint, StateWrite } from '../connectors/source.js';

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
