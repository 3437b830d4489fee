/** Config of the `local-log` publisher: JSON Lines files in a folder (the embedded default). */
import { z } from 'zod';

export const LocalLogPublisherConfig = z
  .object({
    type: z.literal('local-log'),
    dir: z.string().min(1).default('./var/events').describe('Folder for events-*.jsonl and dead-letters-*.jsonl (relative to the config file)'),
    rotateBytes: z.number().int().min(1024).default(64 * 1024 * 1024).describe('Start a new file past this size'),
    fsync: z.boolean().default(true).describe('fsync before a publish resolves (turn off only for benchmarks)'),
  })
  .strict();
export type LocalLogPublisherConfig = z.infer<typeof LocalLogPublisherConfig>;
