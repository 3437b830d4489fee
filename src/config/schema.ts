/**
 * The whole gateway config: councils, shared lookup tables, state store, publisher, HTTP endpoint,
 * logging, and connectors (a discriminated union on `type`). Strict everywhere: an unknown key is
 * an error, with a "did you mean" (see load.ts).
 */
import { z } from 'zod';
import { Council } from '../event/case-event.js';
import { Lookups } from '../normalize/mapping-schema.js';
import { connectorConfigSchemas } from '../connectors/registry.js';
import { publisherConfigSchemas } from '../publish/registry.js';
import { Duration, Secret } from '../core/units.js';
import { DEFAULT_CASE_CACHE, DEFAULT_PAGE_CACHE, StateConfig } from './state.js';
import { FleetConfig } from './fleet.js';

export const ConnectorConfig = z.discriminatedUnion('type', connectorConfigSchemas);
export type ConnectorConfig = z.infer<typeof ConnectorConfig>;

export const PublisherConfig = z.discriminatedUnion('type', publisherConfigSchemas);
export type PublisherConfig = z.infer<typeof PublisherConfig>;

export const GatewayConfig = z
  .object({
    version: z.literal(1).describe('Config format version'),
    councils: z.array(Council.extend({ topic: z.string().optional().describe('Override the topic for this council') }).strict()).min(1),
    lookups: Lookups.optional().describe('Lookup tables shared by every connector'),
    state: StateConfig.default({ type: 'sqlite', path: './var/state.sqlite', caseCache: DEFAULT_CASE_CACHE, pageCache: DEFAULT_PAGE_CACHE }),
    publisher: PublisherConfig.default({ type: 'local-log', dir: './var/events', rotateBytes: 64 * 1024 * 1024, fsync: true }),
    http: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9464),
        token: Secret.optional().describe('Bearer token required on /status and /metrics (use ${env:NAME} or ${file:PATH}); /healthz and /readyz stay open for probes'),
      })
      .strict()
      .default({ enabled: true, host: '127.0.0.1', port: 9464 }),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
    shutdownGrace: Duration.default('30s').describe('How long a graceful shutdown waits for in-flight batches'),
    fleet: FleetConfig.optional().describe('Share the connectors between several gateway instances with this config (needs state.type: postgres)'),
    connectors: z.array(ConnectorConfig).min(1),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.fleet && cfg.state.type !== 'postgres') {
      ctx.addIssue({ code: 'custom', path: ['fleet'], message: `fleet needs state.type: postgres (the instances share leases and checkpoints there); state.type is ${cfg.state.type}` });
    }
    const gss = new Set(cfg.councils.map((c) => c.gss));
    const names = new Set<string>();
    cfg.connectors.forEach((c, i) => {
      if (!gss.has(c.council)) {
        ctx.addIssue({ code: 'custom', path: ['connectors', i, 'council'], message: `council ${c.council} is not listed under councils (have: ${[...gss].join(', ')})` });
      }
      const tables = { ...(cfg.lookups ?? {}), ...(c.mapping.lookups ?? {}) };
      const checkLookup = (name: string | undefined, kind: 'status' | 'service', path: (string | number)[]) => {
        if (name === undefined) return;
        const table = tables[name];
        if (!table) {
          ctx.addIssue({ code: 'custom', path, message: `lookup table "${name}" is not defined under lookups or mapping.lookups (have: ${Object.keys(tables).join(', ') || 'none'})` });
        } else if (table.kind !== kind) {
          ctx.addIssue({ code: 'custom', path, message: `lookup table "${name}" is a ${table.kind} table; expected a ${kind} table` });
        }
      };
      checkLookup(c.mapping.status.lookup, 'status', ['connectors', i, 'mapping', 'status', 'lookup']);
      checkLookup(c.mapping.service.lookup, 'service', ['connectors', i, 'mapping', 'service', 'lookup']);
      if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: ['connectors', i, 'name'], message: `connector name "${c.name}" is used twice` });
      names.add(c.name);
    });
  });
export type GatewayConfig = z.infer<typeof GatewayConfig>;
