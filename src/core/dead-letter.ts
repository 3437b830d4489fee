/**
 * A record casebridge could not turn into a case event. Published to the dead-letter topic (or the
 * local log's dead-letter file) with everything needed to fix and replay it.
 */
import { z } from 'zod';
import { SourcePosition, Timestamp } from './position.js';

export const DeadLetter = z
  .object({
    id: z.string().regex(/^[0-9a-f]{32}$/).describe('Deterministic, like event ids: the same bad record gives the same id'),
    council: z.string().describe('GSS code of the council the connector serves'),
    connector: z.string(),
    stage: z.enum(['source', 'mapping', 'validation', 'change', 'publish']).describe('Where it was rejected (publish: the broker refused the event itself, e.g. too large)'),
    reason: z.string().min(1).describe('Readable reason naming the field, value and expectation'),
    code: z.string().describe('Short machine-readable reason code'),
    field: z.string().optional().describe('Event or config field the reason is about'),
    position: SourcePosition,
    record: z.unknown().describe('The original record (or raw text) as read from the supplier'),
    at: Timestamp,
  })
  .strict();
export type DeadLetter = z.infer<typeof DeadLetter>;
