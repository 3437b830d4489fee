/** The Open311 connector's position: the end of the last window read. */
import { z } from 'zod';

export const Open311Checkpoint = z.object({
  /** Window end, ISO; the next run starts here less the overlap. */
  since: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date-time'),
});
export type Open311Checkpoint = z.infer<typeof Open311Checkpoint>;
