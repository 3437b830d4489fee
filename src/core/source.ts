/**
 * The source contract every connector kind implements (see docs/connector-spec.md).
 *
 * A source yields batches through an async iterator. It NEVER commits its own position: the
 * runtime publishes a batch's events, commits `batch.checkpoint` in the state store, and only
 * then calls `batch.ack({ status: 'committed', ... })` (move the file, reply 200 to the supplier,
 * ...). A crash anywhere in between repeats the batch; it never loses it. The stored checkpoint
 * reaches `read()` already parsed with the source's `checkpointSchema`.
 */
import type { z } from 'zod';
import type { SourcePosition } from './position.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Checkpoint, ConnectorStateView, StateWrite } from './state-store.js';

export type { Checkpoint, StateWrite };


export interface SourceRecord {
  /** The supplier record as read (parsed row, XML element as object, JSON object, SQL row). */
  raw: Record<string, unknown>;
  /** Where it came from, precise enough to find it again. */
  position: SourcePosition;
  /** When casebridge read it (ISO with offset). */
  fetchedAt: string;
}

/** A piece of input the source could not even turn into a record (broken CSV row, bad XML). */
export interface SourceReject {
  reason: string;
  /** The original text or value, as much as could be recovered. */
  original: unknown;
  position: SourcePosition;
}

export interface SourceBatch<C extends Checkpoint = Checkpoint> {
  records: SourceRecord[];
  rejects?: SourceReject[];
  /**
   * Position to commit once every event of this batch (and every batch before it) is durable.
   * `undefined` means "nothing to commit" (push receivers, whose ack is the reply).
   */
  checkpoint?: C;
  /**
   * Extra per-source state to commit atomically with the checkpoint (processed-file ledger rows,
   * snapshot memory). Keys are namespaced by the runtime per connector.
   */
  stateWrites?: StateWrite[];
  /**
   * Set by sources reading full snapshot exports (a nightly CSV of all open cases, a table without
   * a trustworthy timestamp). The runtime remembers which cases each snapshot contained; on the
   * batch with `final: true` it treats every case of this connector not seen in snapshot `id` as
   * disappeared (`onMissing: close` emits a closed event, `ignore` forgets nothing and emits nothing).
   * Unchanged cases never produce events (see normalize/change.ts). The final batch closes nothing
   * when it says the listing was `incomplete` (why), when any record of the listing was rejected,
   * or when it would close more than `maxCloseShare` of the open cases (normalize/snapshot-diff.ts).
   */
  snapshot?: { id: string; final: boolean; onMissing: 'close' | 'ignore'; incomplete?: string; maxCloseShare?: number };
  /**
   * The runtime's one answer about this batch, given exactly once per batch it handles: after the
   * checkpoint (and stateWrites) committed (`committed`), or when the batch could not be published
   * (`failed`: the source may retry later; push replies 5xx). The counts arrive BEFORE the source
   * acts on them, so a file source can still decide to reject a file whose rejections pass its
   * threshold. Must be idempotent: a second call does nothing more (see `ackOnce`).
   */
  ack(outcome: BatchOutcome): Promise<void>;
  /** Set on the batch that rejects a whole input (a file set aside), so the run summary can list it. */
  rejectedFile?: { file: string; reason: string };
  /** Things the source noticed while reading this batch that council IT should hear about. */
  warnings?: SourceWarning[];
}

/** Something a source noticed that is not an error but should not pass silently (logged, counted, in the run summary). */
export interface SourceWarning {
  /** Short machine-readable code, the metric label, e.g. soap_records_path_empty. */
  code: string;
  message: string;
}

/** How many records of a batch became events, dead letters, or nothing (filtered, unchanged). */
export interface BatchCounts {
  published: number;
  deadLettered: number;
  skipped: number;
}

/**
 * What became of a batch. `committed`: its events and dead letters are durable and its checkpoint
 * committed; the source may now act (move the file, reply 200). `failed`: nothing was committed;
 * the batch will be read again. `previewed`: processed by `casebridge preview`, nothing written
 * anywhere; the source may count (it decides what a real ack would do) but must not act.
 */
export type BatchOutcome =
  | ({ status: 'committed' } & BatchCounts)
  | ({ status: 'previewed' } & BatchCounts)
  | { status: 'failed'; error: Error };

/**
 * Makes a batch's ack idempotent: concurrent calls share one run, a call after it succeeded does
 * nothing, and a call after it failed (e.g. the file move failed) tries again.
 */
export function ackOnce(act: (outcome: BatchOutcome) => Promise<void>): (outcome: BatchOutcome) => Promise<void> {
  let running: Promise<void> | undefined;
  let done = false;
  return (outcome) => {
    if (done) return Promise.resolve();
    running ??= act(outcome).then(
      () => {
        done = true;
      },
      (err: unknown) => {
        running = undefined;
        throw err;
      },
    );
    return running;
  };
}

/** An ack for batches whose source has nothing to do when told the outcome (SQL, REST, SOAP polls). */
export const ignoreOutcome = (_outcome: BatchOutcome): Promise<void> => Promise.resolve();

export interface ReadContext<C extends Checkpoint = Checkpoint> {
  /** Last committed checkpoint, already parsed with the source's `checkpointSchema`; undefined on first run. */
  checkpoint: C | undefined;
  /** Aborted on shutdown; a source stops promptly and does not yield further batches. */
  signal: AbortSignal;
}

export interface Source<C extends Checkpoint = Checkpoint> {
  /**
   * The shape of this source's checkpoint. The runtime parses the stored checkpoint with it before
   * `read()`; one that does not parse stops the connector with a clear error instead of reaching
   * the source. Sources without a position (push) leave it out.
   */
  readonly checkpointSchema?: z.ZodType<C>;
  /** Validate against the live system (catalogue, WSDL, host key) before the first run. */
  check?(): Promise<void>;
  /** One run: yield batches until caught up (poll sources) or until aborted (push/watch sources). */
  read(ctx: ReadContext<C>): AsyncIterable<SourceBatch<C>>;
  /** Release connections; safe to call twice. */
  close(): Promise<void>;
  /** Push and watch sources run continuously instead of on a schedule. */
  readonly continuous?: boolean;
  /**
   * The runtime may pull the next batch while the previous one is still being published (never
   * more than one ahead; acks still come in order). Only for sources whose reading does not
   * depend on the previous batch's ack, or that wait for the ack where it does (the file source,
   * for its reject threshold and file ledger). Not push: its sender is waiting on each ack.
   */
  readonly readAhead?: boolean;
}

export interface SourceDeps {
  connector: string;
  clock: Clock;
  logger: Logger;
  /** Reads only: the runtime commits, after publishing. */
  state: ConnectorStateView;
  /** Folder a relative path in the config is resolved against (the config file's folder). */
  baseDir: string;
  /** Counters a source reports into (the runtime's metrics); optional so tests need not pass it. */
  observe?: SourceObserver;
}

export interface SourceObserver {
  /** A drop-folder entry that is not a regular file was skipped (counted once per name per process). */
  skippedEntry(kind: 'symlink' | 'special'): void;
}

export type SourceFactory<Config, C extends Checkpoint = Checkpoint> = (config: Config, deps: SourceDeps) => Source<C>;
