/**
 * What a connector kind gives the compliance suite (tests/compliance/sources.test.ts). An adapter
 * knows its supplier (a folder, a database table, a simulator, a sender) and the connector config
 * that reads it; it never touches the source contract itself — the harness does, in one place, so
 * a change to the contract is one edit there.
 */

/** A config for one connector as it would sit in casebridge.yaml, plus the env its ${env:…} references read. */
export interface ConnectorUnderTest {
  connector: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface LiveSupplier extends ConnectorUnderTest {
  /** Case references the seeded records produce, one record (one version) per case. */
  refs: string[];
  /** Add `n` more records (new cases) at the supplier; returns their references. */
  add(n: number): Promise<string[]>;
  /**
   * Push kinds only: the supplier sends its pending records (seeded or added) to the running
   * receiver, resending each until it is acknowledged, as a real supplier does.
   */
  deliver?(): Promise<void>;
  /** The same supplier, unreachable (server stopped, port closed): a retriable SourceError. */
  unreachable(): Promise<ConnectorUnderTest>;
  /** The same supplier with a config or credential mistake only a person can fix: non-retriable. */
  misconfigured(): ConnectorUnderTest;
  teardown(): Promise<void>;
}

export interface SourceKind {
  /** Test label, e.g. "sql (postgres)". */
  name: string;
  /** Records arrive by the supplier sending them (push): the run lasts until stopped. */
  continuous?: boolean;
  /**
   * How a run after a committed run treats records already read: `none` reads nothing again;
   * `overlap` re-reads a deliberate safety window (late commits, clock skew) that change detection
   * then skips, so it publishes nothing again.
   */
  rereads: 'none' | 'overlap';
  /** Whether the source commits a checkpoint (push sources acknowledge by replying instead). */
  checkpoint: 'position' | 'none';
  /** Start a live supplier holding `n` records, read in batches of `batchSize`. */
  start(n: number, batchSize: number): Promise<LiveSupplier>;
}

/** A simple mapping most adapters share: ref, status code, updated time. */
export const SIMPLE_MAPPING = {
  reference: 'ref',
  status: { code: 'status', lookup: 'status' },
  updatedAt: { path: 'updated', date: 'iso' },
  lookups: { status: { kind: 'status', entries: { OPEN: { status: 'received' }, WIP: { status: 'in_progress' }, DONE: { status: 'closed' } } } },
};

export const COUNCIL = { gss: 'E09000019', name: 'London Borough of Islington' };

let counter = 0;
/** Case references unique across the test process (several kinds share one broker and database). */
export function newRefs(prefix: string, n: number): string[] {
  const run = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  return Array.from({ length: n }, () => `${prefix}-${run}-${String(++counter).padStart(4, '0')}`);
}
