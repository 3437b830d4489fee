/** The file connector's position: the file being read (by content hash) and the last one finished. */
import { z } from 'zod';

export const FileCheckpoint = z.object({
  /** The file being read and how far its committed batches reach (items, counted from 1). */
  current: z
    .object({
      name: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex'),
      next: z.number().int().min(0),
      records: z.number().int().min(0),
      rejects: z.number().int().min(0),
      deadLettered: z.number().int().min(0),
      published: z.number().int().min(0),
      /** A snapshot file keeps its listing id across a restart, so it stays one listing. */
      snapshotId: z.string().optional(),
    })
    .optional(),
  /** The last file finished; a snapshot identical to it has nothing new. */
  last: z
    .object({
      name: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex'),
      outcome: z.enum(['processed', 'rejected']),
      at: z.string(),
    })
    .optional(),
});
export type FileCheckpoint = z.infer<typeof FileCheckpoint>;
