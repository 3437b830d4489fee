/** The SOAP connector's position: the window being read and the last page of it that was published. */
import { z } from 'zod';

export const SoapCheckpoint = z
  .object({
    v: z.literal(1),
    /** Effective "since" of the window (overlap already applied). */
    windowStart: z.iso.datetime({ offset: true }),
    windowEnd: z.iso.datetime({ offset: true }),
    /** Last page of the window whose records were published (null: none yet). */
    page: z.number().int().nullable(),
    /** Items read so far in this window (for a total-count stop after a restart). */
    seen: z.number().int().min(0),
    complete: z.boolean(),
  })
  .strict();
export type SoapCheckpoint = z.infer<typeof SoapCheckpoint>;
