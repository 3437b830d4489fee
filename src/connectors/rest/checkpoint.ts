/** The REST connector's position: the committed lower bound, and the page state of a run part-way through. */
import { z } from 'zod';

const Instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date-time');

/** Where an unfinished run stands; stored in the checkpoint between pages. */
export const RunState = z.object({
  /** Lower bound this run asks for (committed position minus overlap), ISO UTC. */
  since: Instant,
  /** When the run started, ISO UTC: the upper bound, and the next position without a watermark. */
  until: Instant,
  /** Newest record update time seen so far in this run, ISO UTC. */
  high: Instant.optional(),
  /** Pages fetched so far in this run. */
  pages: z.number().int().min(0),
  page: z.number().int().optional(),
  offset: z.number().int().min(0).optional(),
  cursor: z.string().optional(),
  /** next-link style: path and query of the next page on the configured host. */
  next: z.string().optional(),
});
export type RunState = z.infer<typeof RunState>;

export const RestCheckpoint = z.object({
  /** Committed lower bound for the next run, ISO UTC. */
  since: Instant,
  /** Present while a run is part-way through its pages. */
  run: RunState.optional(),
});
export type RestCheckpoint = z.infer<typeof RestCheckpoint>;
