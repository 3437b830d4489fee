/**
 * Snapshot paging by key: each page asks for one row more than a batch, so the last page is known
 * without another query, and the next page starts after the key of this page's last row. A
 * snapshot left part-way resumes after its committed key under the same snapshot id.
 */
import { ConfigError } from '../../core/errors.js';

export interface SnapshotStart {
  id: string;
  afterKey: string | number | null;
  /** No page read yet: the first page has no lower bound. */
  first: boolean;
}

/** The committed snapshot progress, as the checkpoint keeps it. */
export interface CommittedSnapshot {
  snapshot: string;
  done: boolean;
  afterKey?: string | number | null | undefined;
}

export function snapshotStart(cp: CommittedSnapshot | undefined, connector: string, now: Date): SnapshotStart {
  if (cp && !cp.done && cp.afterKey !== undefined) return { id: cp.snapshot, afterKey: cp.afterKey, first: false };
  return { id: `${connector}@${now.toISOString()}`, afterKey: null, first: true };
}

/** Rows fetched with limit batchSize + 1 → this page's rows, and whether it is the last. */
export function splitPage<T>(rows: T[], batchSize: number): { page: T[]; final: boolean } {
  const final = rows.length <= batchSize;
  return { page: final ? rows : rows.slice(0, batchSize), final };
}

/** A custom query that returns the key it was given again would read the same page for ever. */
export function checkKeyAdvanced(first: boolean, next: string | number | null, afterKey: string | number | null, label: string, connector: string): void {
  if (!first && next === afterKey) {
    throw new ConfigError(`the custom query (${label}) returned the key it was given again; its WHERE must select rows with key > :after_key`, {
      context: { connector, table: label, field: 'read.sql' },
    });
  }
}
