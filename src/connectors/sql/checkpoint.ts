/** The SQL connector's position: (updated-at, key) of the last row read, or how far a snapshot got. */
import { z } from 'zod';

const KeyValue = z.union([z.string(), z.number(), z.null()]);

export const IncrementalCheckpoint = z.object({
  mode: z.literal('incremental'),
  /** The updated-at column the position belongs to. */
  column: z.string(),
  /** Updated-at of the last row read, as the database wrote it (every fractional digit). */
  ts: z.string(),
  key: KeyValue,
  /** The same instant as ISO with offset, for people reading the state store. */
  at: z.string().optional(),
});
export type IncrementalCheckpoint = z.infer<typeof IncrementalCheckpoint>;

export const SnapshotCheckpoint = z.object({
  mode: z.literal('snapshot'),
  snapshot: z.string(),
  done: z.boolean(),
  /** Key of the last row read while a snapshot is in progress. */
  afterKey: KeyValue.optional(),
  at: z.string().optional(),
});
export type SnapshotCheckpoint = z.infer<typeof SnapshotCheckpoint>;

export const SqlCheckpoint = z.discriminatedUnion('mode', [IncrementalCheckpoint, SnapshotCheckpoint]);
export type SqlCheckpoint = z.infer<typeof SqlCheckpoint>;
