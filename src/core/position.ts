/** Timestamps and source positions: shared by sources, dead letters and the case event's provenance. */
import { z } from 'zod';

export const Timestamp = z.iso
  .datetime({ offset: true })
  .describe('ISO 8601 date-time with an explicit offset, e.g. 2025-11-03T14:05:00Z or 2025-07-01T09:30:00+01:00');
export type Timestamp = z.infer<typeof Timestamp>;

/**
 * Where a record came from, precise enough to find it again in the supplier's system or export.
 * Flat and optional so each connector kind fills what it knows.
 */
export const SourcePosition = z
  .object({
    file: z.string().optional(),
    line: z.number().int().nonnegative().optional(),
    table: z.string().optional(),
    key: z.string().optional(),
    operation: z.string().optional(),
    page: z.union([z.number().int(), z.string()]).optional(),
    cursor: z.string().optional(),
    receivedAt: Timestamp.optional(),
  })
  .strict();
export type SourcePosition = z.infer<typeof SourcePosition>;
