/**
 * The tracker's config (`casebridge track CONFIG`): where case events come from, where the
 * projection lives, the HTTP endpoint, and which services are public (listed in Open311) or
 * private (looked up only with the postcode). Loaded with the gateway's loader, so errors carry
 * file:line and "did you mean".
 */
import { z } from 'zod';
import { Duration, Secret } from '../core/units.js';
import { GssCode } from '../event/case-event.js';

const Brokers = z
  .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port, e.g. kafka-1.council.internal:9092'))
  .min(1)
  .describe('Bootstrap brokers, host:port');

export const KafkaSourceConfig = z
  .object({
    type: z.literal('kafka'),
    brokers: Brokers,
    topics: z.array(z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name')).min(1).describe('Case-event topics to consume'),
    groupId: z.string().min(1).default('casebridge-tracker').describe('Consumer group: tracker instances with the same group share the partitions'),
    clientId: z.string().min(1).default('casebridge-tracker'),
    batchSize: z.number().int().min(1).max(50_000).default(2000).describe('Most events applied in one projection transaction'),
    partitionsConcurrently: z.number().int().min(1).max(64).default(2).describe('Partitions written at once (each still in order; a case lives in one partition)'),
    sessionTimeout: Duration.default('30s').describe('How long the group waits for a silent member before moving its partitions'),
    caseStateTopic: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name')
      .optional()
      .describe('Optional compacted topic: key = case key, value = latest public state (created with cleanup.policy=compact)'),
    replicationFactor: z.number().int().min(1).max(32).default(3).describe('Replication factor of the case-state topic when the tracker creates it'),
  })
  .strict();
export type KafkaSourceConfig = z.infer<typeof KafkaSourceConfig>;

export const LocalLogSourceConfig = z
  .object({
    type: z.literal('local-log'),
    dir: z.string().min(1).describe("The gateway's local event log folder (events-*.jsonl), relative to this file"),
    poll: Duration.default('1s').describe('How often to look for new complete lines'),
    batchSize: z.number().int().min(1).max(50_000).default(2000),
  })
  .strict();
export type LocalLogSourceConfig = z.infer<typeof LocalLogSourceConfig>;

export const TrackSourceConfig = z.discriminatedUnion('type', [KafkaSourceConfig, LocalLogSourceConfig]);
export type TrackSourceConfig = z.infer<typeof TrackSourceConfig>;

export const TrackStoreConfig = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('sqlite'),
      path: z.string().min(1).default('./var/track.sqlite').describe('Relative to this file'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('postgres'),
      url: Secret.describe('postgres://user:password@host:5432/db; use ${env:NAME} or ${file:PATH}'),
      schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lowercase SQL identifier').default('casebridge_track'),
      poolSize: z.number().int().min(1).max(200).default(10),
    })
    .strict(),
]);
export type TrackStoreConfig = z.infer<typeof TrackStoreConfig>;

export const ServicePrivacy = z.enum(['public', 'private']);
export type ServicePrivacy = z.infer<typeof ServicePrivacy>;

export const TrackService = z
  .object({
    code: z.string().min(1).describe("Matches the event's data.case.service.code (or the service name when it has no code)"),
    council: GssCode.optional().describe('Only for this council; default: every council'),
    name: z.string().min(1).optional().describe('Name shown in Open311 services; default: the name in the events'),
    description: z.string().optional(),
    group: z.string().optional().describe('Open311 service group'),
    privacy: ServicePrivacy.describe('public: listed in Open311, location rounded; private: never listed, looked up only with reference + postcode'),
    showAddress: z.boolean().default(false).describe('Publish the address (public services only; off by default because it is often a home)'),
  })
  .strict();
export type TrackService = z.infer<typeof TrackService>;

export const TrackConfig = z
  .object({
    version: z.literal(1),
    councils: z.array(z.object({ gss: GssCode, name: z.string().min(1) }).strict()).default([]).describe('Councils served; default: every council seen in the events'),
    source: TrackSourceConfig,
    store: TrackStoreConfig.default({ kind: 'sqlite', path: './var/track.sqlite' }),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        lookupRateLimit: z
          .object({ max: z.number().int().min(1).default(30), window: Duration.default('1m') })
          .strict()
          .default({ max: 30, window: '1m' })
          .describe('Case lookups per client address (reference guessing is what this stops)'),
        apiRateLimit: z
          .object({ max: z.number().int().min(1).default(600), window: Duration.default('1m') })
          .strict()
          .default({ max: 600, window: '1m' })
          .describe('Listing and Open311 requests per client address'),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, lookupRateLimit: { max: 30, window: '1m' }, apiRateLimit: { max: 600, window: '1m' } }),
    privacy: z
      .object({
        defaultService: ServicePrivacy.default('private').describe('Privacy of a service not listed under services'),
        locationDecimals: z.number().int().min(0).max(6).default(3).describe('Decimal places of latitude/longitude shown for public services (3 ≈ 100 m)'),
      })
      .strict()
      .default({ defaultService: 'private', locationDecimals: 3 }),
    services: z.array(TrackService).default([]),
    open311: z
      .object({
        maxRequests: z.number().int().min(1).max(1000).default(1000).describe('Most requests one answer holds (the spec allows 1000)'),
        defaultWindowDays: z.number().int().min(1).max(90).default(90).describe('Window when a requests query names no dates (the spec says 90 days)'),
        maxUpdates: z.number().int().min(1).max(100_000).default(10_000).describe('Most updates one servicerequestupdates answer holds, oldest first'),
      })
      .strict()
      .default({ maxRequests: 1000, defaultWindowDays: 90, maxUpdates: 10_000 }),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.services.forEach((s, i) => {
      const k = `${s.council ?? '*'}|${s.code}`;
      if (seen.has(k)) ctx.addIssue({ code: 'custom', path: ['services', i, 'code'], message: `service "${s.code}" is listed twice${s.council ? ` for ${s.council}` : ''}` });
      seen.add(k);
    });
  });
export type TrackConfig = z.infer<typeof TrackConfig>;
