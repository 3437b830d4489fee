/**
 * Config of the `open311` connector kind: read an Open311 GeoReport v2 server (a council's own,
 * or a FixMyStreet installation) as a source. No mapping needed: see mapping.ts.
 */
import { z } from 'zod';
import { connectorBase, mappingOrBuiltIn } from '../../config/common.js';
import { ByteSize, Duration, Secret } from '../../core/units.js';
import { OPEN311_MAPPING } from './mapping.js';

export const Open311Window = z
  .object({
    start: z
      .union([z.iso.datetime({ offset: true }), Duration])
      .default('30d')
      .describe('First run only: an ISO time with offset, or a duration before now (30d)'),
    maxSpan: Duration.default('90d').describe("Longest date range per request: GeoReport servers refuse or cut ranges longer than 90 days"),
    minSpan: Duration.default('1m').describe('A window that still returns maxResults requests is split in two until it is this short'),
    lag: Duration.default('1m').describe('Window end = now minus this'),
    overlap: Duration.default('10m').describe('Each run starts this much before the previous end; repeats publish nothing'),
  })
  .strict();
export type Open311Window = z.infer<typeof Open311Window>;

export const Open311ConnectorConfig = connectorBase
  .extend({
    type: z.literal('open311'),
    endpoint: z.url({ protocol: /^https?$/ }).describe('GeoReport v2 base URL: the folder holding requests.json, e.g. https://council.example/open311/v2'),
    jurisdictionId: z.string().min(1).optional().describe('jurisdiction_id, for servers hosting several councils'),
    apiKey: Secret.optional().describe('api_key sent with every request, if the server wants one; use ${env:NAME}'),
    format: z.enum(['json', 'xml']).default('json').describe('json, or xml for servers that only answer requests.xml'),
    window: Open311Window.default({ start: '30d', maxSpan: '90d', minSpan: '1m', lag: '1m', overlap: '10m' }),
    dateParams: z
      .object({
        start: z.string().min(1).default('start_date'),
        end: z.string().min(1).default('end_date'),
      })
      .strict()
      .default({ start: 'start_date', end: 'end_date' })
      .describe('Query parameters of the window. The standard start_date/end_date filter on requested_datetime; servers offering updated_after/updated_before find changed requests too'),
    maxResults: z.number().int().min(1).default(1000).describe('Most requests the server returns per answer (GeoReport: 1000); a full answer is split into smaller windows'),
    updates: z
      .enum(['auto', 'on', 'off'])
      .default('auto')
      .describe('servicerequestupdates: status changes of older requests. auto: used when the server offers it (404 turns it off)'),
    timeout: Duration.default('30s'),
    maxResponseBytes: ByteSize.default('16MB'),
    headers: z.record(z.string(), z.string()).default({}).describe('Extra HTTP headers on every request'),
    mapping: mappingOrBuiltIn(OPEN311_MAPPING).describe('Optional: the built-in GeoReport mapping is used when this is left out'),
  })
  .strict();
export type Open311ConnectorConfig = z.infer<typeof Open311ConnectorConfig>;
