/** Pieces every connector config shares. Each connector kind extends `connectorBase` in its own folder. */
import { z } from 'zod';
import { GssCode } from '../event/case-event.js';
import { Mapping } from '../normalize/mapping-schema.js';
import { Duration } from '../core/units.js';


export const Schedule = z.union([
  z.object({ every: Duration.describe('Run this often, e.g. 30s or 5m') }).strict(),
  z.object({ cron: z.string().min(1).describe('A cron expression (node-cron syntax, seconds optional), e.g. "*/5 * * * *"'), timezone: z.string().optional() }).strict(),
]);
export type Schedule = z.infer<typeof Schedule>;

export const Retry = z
  .object({
    initial: Duration.default('1s'),
    max: Duration.default('5m'),
    multiplier: z.number().min(1).default(2),
  })
  .strict();
export type Retry = z.infer<typeof Retry>;

/** Snapshot listings: the most of the open cases one listing may close at once (normalize/snapshot-diff.ts). */
export const MaxCloseShare = z
  .number()
  .min(0)
  .max(1)
  .default(0.5)
  .describe('A listing that would close more than this share of the open cases (0.5 = 50%) closes none of them and warns: a supplier that suddenly lists far fewer cases is more likely broken than finished. 1 turns the check off');

/** Full-listing (snapshot) mode of the polling SOAP and REST connectors. */
export const ListingSnapshot = z
  .object({
    onMissing: z.enum(['close', 'ignore']).default('close').describe('A remembered open case missing from a complete listing: emit a closed event (closure reason no-longer-listed), or ignore it'),
    maxCloseShare: MaxCloseShare,
  })
  .strict()
  .describe('Full-listing mode: every poll lists ALL open cases (e.g. "get open worksheets"); a case that stops being listed is closed');
export type ListingSnapshot = z.infer<typeof ListingSnapshot>;

export const ConnectorName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, e.g. islington-waste');


export const connectorBase = z.object({
  name: ConnectorName,
  council: GssCode.describe('GSS code of one of the councils listed under `councils`'),
  system: z
    .object({
      supplier: z.string().min(1).describe('Supplier or product family'),
      product: z.string().min(1).optional(),
    })
    .strict(),
  enabled: z.boolean().default(true),
  schedule: Schedule.optional().describe('Default: every 60s. Push and watch connectors run continuously.'),
  batchSize: z.number().int().min(1).max(100_000).default(500),
  retry: Retry.default({ initial: '1s', max: '5m', multiplier: 2 }),
  deadLetters: z
    .object({
      rawText: z
        .enum(['omit', 'keep'])
        .default('omit')
        .describe(
          'omit (default): a row the reader cannot parse is dead-lettered as its byte length and SHA-256, with line and reason, because its text can hold residents\' personal data; keep: the raw text (up to 4 KB) for debugging',
        ),
    })
    .strict()
    .default({ rawText: 'omit' }),
  mapping: Mapping,
});

/** What a council writes under `mapping:` (before defaults). */
export type MappingInput = z.input<typeof Mapping>;

/** A connector kind that knows its supplier's fields (open311) ships a mapping used when the config gives none. */
export function mappingOrBuiltIn(builtIn: MappingInput) {
  return Mapping.prefault(builtIn);
}
