/**
 * The tracker's HTTP API (fastify): its own JSON API for portals, Open311 GeoReport v2, health,
 * readiness and Prometheus metrics, plus any plugins handed in (the resident page registers
 * itself here with the ResidentLookup). Query strings are checked by JSON schemas generated from
 * zod, so a bad parameter is a 400 naming it.
 */
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { GssCode, LifecycleStatus } from '../../event/case-event.js';
import { durationMs } from '../../core/units.js';
import type { TrackConfig } from '../config.js';
import type { TrackMetrics } from '../metrics.js';
import type { Privacy } from '../privacy.js';
import type { ResidentLookup } from '../resident-lookup.js';
import type { CaseCursor, ProjectionStore, ServiceSeen } from '../store/store.js';
import { registerOpen311 } from './open311.js';

const SERVICES_TTL_MS = 5000;

export const CaseListQuery = z
  .object({
    council: GssCode.optional(),
    updatedSince: z.iso.datetime({ offset: true }).optional().describe('Only cases updated at or after this time'),
    status: z
      .string()
      .regex(new RegExp(`^(${LifecycleStatus.options.join('|')})(,(${LifecycleStatus.options.join('|')}))*$`), `lifecycle statuses, comma-separated: ${LifecycleStatus.options.join(', ')}`)
      .optional(),
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,400}$/).optional().describe('nextCursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const CaseLookupQuery = z.object({ postcode: z.string().max(16).optional().describe('Required for private services') }).strict();

const jsonSchema = (s: z.ZodType): object => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return rest;
};

const encodeCursor = (c: CaseCursor): string => Buffer.from(JSON.stringify([c.timeMs, c.caseKey])).toString('base64url');
function decodeCursor(s: string): CaseCursor | undefined {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return { timeMs: v[0], caseKey: v[1] };
  } catch {
    /* fall through: reported as a bad cursor */
  }
  return undefined;
}

export interface TrackServerDeps {
  store: ProjectionStore;
  lookup: ResidentLookup;
  privacy: Privacy;
  config: TrackConfig;
  metrics: TrackMetrics;
  /** Readiness beyond the store: e.g. the Kafka consumer is in its group. */
  ready?: () => boolean;
  /** Extra plugins (the resident page), each given the lookup and the lookup rate limit. */
  plugins?: Array<FastifyPluginAsync<{ lookup: ResidentLookup; rateLimit: { max: number; timeWindow: number } }>>;
  now?: () => Date;
}

export async function buildTrackServer(deps: TrackServerDeps): Promise<FastifyInstance> {
  const { store, privacy, config, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const app = Fastify({ logger: false, trustProxy: false, ajv: { customOptions: { removeAdditional: false, coerceTypes: true } } });
  await app.register(rateLimit, { global: false });
  // The services seen change rarely and listing them scans every case: remember them briefly.
  let seen: { at: number; list: Promise<ServiceSeen[]> } | undefined;
  const services = (): Promise<ServiceSeen[]> => {
    const t = Date.now();
    if (!seen || t - seen.at > SERVICES_TTL_MS) {
      const list = store.services();
      seen = { at: t, list };
      list.catch(() => (seen = undefined));
    }
    return seen.list;
  };
  const lookupLimit = { max: config.http.lookupRateLimit.max, timeWindow: durationMs(config.http.lookupRateLimit.window) };
  const apiLimit = { max: config.http.apiRateLimit.max, timeWindow: durationMs(config.http.apiRateLimit.window) };

  app.setErrorHandler((err: { statusCode?: number; message: string; validation?: unknown }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    // Never echo internals (connection strings live in driver messages) on a 500.
    void reply.code(status).send({ error: status === 500 ? 'internal error' : err.message });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const db = await store.ping();
    const ingest = deps.ready ? deps.ready() : true;
    return reply.code(db && ingest ? 200 : 503).send({ ready: db && ingest, store: db ? 'ok' : 'unreachable', ingest: ingest ? 'ok' : 'not consuming' });
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  app.get(
    '/v1/councils/:gss/cases/:reference',
    {
      config: { rateLimit: lookupLimit },
      schema: { params: jsonSchema(z.object({ gss: GssCode, reference: z.string().min(1).max(100) })), querystring: jsonSchema(CaseLookupQuery) },
    },
    async (req, reply) => {
      const { gss, reference } = req.params as { gss: string; reference: string };
      const { postcode } = req.query as { postcode?: string };
      const found = (await store.findCases(reference, gss)).filter((r) => privacy.mayShow(r, postcode));
      metrics.lookups.inc({ result: found.length === 1 ? 'found' : 'not_found' });
      // One answer for unknown reference, wrong postcode and private-without-postcode.
      if (found.length !== 1) return reply.code(404).send({ error: 'no case with that reference (and postcode, for services that need one)' });
      return privacy.show(found[0]!, { timeline: true });
    },
  );

  app.get('/v1/cases', { config: { rateLimit: apiLimit }, schema: { querystring: jsonSchema(CaseListQuery) } }, async (req, reply) => {
    const q = req.query as z.output<typeof CaseListQuery>;
    const after = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
    if (q.cursor !== undefined && !after) return reply.code(400).send({ error: 'cursor: not a cursor this API gave out (use nextCursor from the previous page)' });
    const serviceIds = privacy.publicServiceIds(await services(), q.council);
    const rows = await store.listCases({
      ...(q.council ? { council: q.council } : {}),
      ...(q.status ? { statuses: q.status.split(',') as LifecycleStatus[] } : {}),
      ...(q.updatedSince ? { updatedSinceMs: Date.parse(q.updatedSince) } : {}),
      ...(after ? { after } : {}),
      serviceIds,
      order: 'updated-asc',
      limit: q.limit,
    });
    const last = rows[rows.length - 1];
    return {
      cases: rows.map((r) => privacy.show(r)),
      nextCursor: rows.length === q.limit && last ? encodeCursor({ timeMs: last.timeMs, caseKey: last.caseKey }) : null,
    };
  });

  registerOpen311(app, { store, services, privacy, config, now, rateLimit: apiLimit });

  for (const plugin of deps.plugins ?? []) await app.register(plugin, { lookup: deps.lookup, rateLimit: lookupLimit });
  return app;
}
