/**
 * Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), read-only, JSON and XML, plus mySociety's
 * `servicerequestupdates` extension so FixMyStreet can poll status changes unchanged.
 * Only public services appear; service_request_id is the case reference, service_code the
 * service key (the supplier's code, or its name), jurisdiction_id the council's GSS code.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { XMLBuilder } from 'fast-xml-parser';
import type { ClosureReasonCode, LifecycleStatus } from '../../event/case-event.js';
import type { TrackConfig } from '../config.js';
import type { Privacy } from '../privacy.js';
import type { TimelineEntry } from '../projection.js';
import type { CaseRecord, ProjectionStore, ServiceSeen } from '../store/store.js';

type Format = 'json' | 'xml';
const DAY = 86_400_000;
const xml = new XMLBuilder({ format: false, suppressEmptyNode: false });

/** Open311's two states. */
export const open311Status = (s: LifecycleStatus): 'open' | 'closed' => (s === 'resolved' || s === 'closed' || s === 'cancelled' ? 'closed' : 'open');

const CLOSURE_STATE: Record<ClosureReasonCode, string> = {
  completed: 'fixed',
  duplicate: 'duplicate',
  'not-council': 'not_councils_responsibility',
  withdrawn: 'closed',
  'no-action-needed': 'no_further_action',
  'no-longer-listed': 'closed',
  other: 'closed',
};

/** FixMyStreet's extended states (its "Open311 FMS additional states"), from lifecycle + closure reason. */
export function fmsState(e: Pick<TimelineEntry, 'status' | 'closureReason'>): string {
  switch (e.status) {
    case 'received':
    case 'on_hold':
      return 'open';
    case 'in_progress':
      return 'in_progress';
    case 'scheduled':
      return 'action_scheduled';
    case 'resolved':
      return 'fixed';
    case 'cancelled':
      return e.closureReason ? CLOSURE_STATE[e.closureReason.code] : 'closed';
    case 'closed':
      return e.closureReason ? CLOSURE_STATE[e.closureReason.code] : 'closed';
  }
}

class Open311Error extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(reply: FastifyReply, format: Format, root: string, item: string, rows: object[], status = 200): FastifyReply {
  if (format === 'json') return reply.code(status).type('application/json; charset=utf-8').send(rows);
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml.build({ [root]: { [item]: rows } }) as string}`;
  return reply.code(status).type('text/xml; charset=utf-8').send(body);
}

function sendError(reply: FastifyReply, format: Format, err: Open311Error): FastifyReply {
  return send(reply, format, 'errors', 'error', [{ code: err.status, description: err.message }], err.status);
}

/** A W3C/ISO 8601 datetime with offset, as the spec requires; the parameter name in the error. */
function dateParam(q: Record<string, string | undefined>, name: string): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new Open311Error(400, `${name}: expected a W3C datetime with a time zone, e.g. 2025-11-03T14:05:00Z; got ${JSON.stringify(v).slice(0, 60)}`);
  return ms;
}

const list = (v: string | undefined): string[] | undefined => (v === undefined || v.trim() === '' ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));

export function registerOpen311(app: FastifyInstance, deps: { store: ProjectionStore; services: () => Promise<ServiceSeen[]>; privacy: Privacy; config: TrackConfig; now: () => Date; rateLimit: object }): void {
  const { store, privacy, config } = deps;
  const prefix = '/open311/v2';

  const jurisdiction = async (q: Record<string, string | undefined>): Promise<string | undefined> => {
    const j = q.jurisdiction_id;
    if (j === undefined || j === '') return undefined;
    const known = config.councils.length ? config.councils.map((c) => c.gss) : [...new Set((await deps.services()).map((s) => s.council))];
    if (!known.includes(j)) throw new Open311Error(404, `jurisdiction_id: no council ${JSON.stringify(j).slice(0, 40)} here (have: ${known.join(', ') || 'none yet'})`);
    return j;
  };

  const requestRow = (rec: CaseRecord) => {
    const pub = privacy.show(rec);
    const c = pub;
    return {
      service_request_id: c.reference,
      status: open311Status(c.status.lifecycle),
      ...(c.status.publicLabel ?? c.status.label ? { status_notes: c.status.publicLabel ?? c.status.label } : {}),
      service_name: privacy.policy(c.council.gss, rec.serviceKey).name ?? c.service.name ?? rec.serviceKey,
      service_code: rec.serviceKey,
      ...(c.description !== undefined ? { description: c.description } : {}),
      agency_responsible: c.council.name,
      requested_datetime: c.openedAt ?? new Date(rec.requestedMs).toISOString(),
      updated_datetime: c.updatedAt,
      ...(c.dueAt ? { expected_datetime: c.dueAt } : {}),
      ...(c.location?.address ? { address: c.location.address } : {}),
      ...(c.location?.latitude !== undefined ? { lat: c.location.latitude } : {}),
      ...(c.location?.longitude !== undefined ? { long: c.location.longitude } : {}),
    };
  };

  const handle =
    (format: Format, fn: (q: Record<string, string | undefined>, req: FastifyRequest) => Promise<{ root: string; item: string; rows: object[] }>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const r = await fn(req.query as Record<string, string | undefined>, req);
        return send(reply, format, r.root, r.item, r.rows);
      } catch (err) {
        if (err instanceof Open311Error) return sendError(reply, format, err);
        throw err;
      }
    };

  for (const format of ['json', 'xml'] as const) {
    const routeOpts = { config: { rateLimit: deps.rateLimit } };

    app.get(`${prefix}/services.${format}`, routeOpts, handle(format, async (q) => {
      const council = await jurisdiction(q);
      const seen = await deps.services();
      const byCode = new Map<string, object>();
      for (const s of seen) {
        if ((council !== undefined && s.council !== council) || !privacy.isPublic(s.council, s.serviceKey)) continue;
        const p = privacy.policy(s.council, s.serviceKey);
        if (byCode.has(s.serviceKey)) continue;
        byCode.set(s.serviceKey, {
          service_code: s.serviceKey,
          service_name: p.name ?? s.name ?? s.serviceKey,
          description: p.description ?? '',
          metadata: false,
          type: 'realtime',
          keywords: '',
          group: p.group ?? '',
        });
      }
      return { root: 'services', item: 'service', rows: [...byCode.values()] };
    }));

    app.get(`${prefix}/requests.${format}`, routeOpts, handle(format, async (q) => {
      const council = await jurisdiction(q);
      const serviceIds = privacy.publicServiceIds(await deps.services(), council);
      const ids = list(q.service_request_id);
      if (ids) {
        // The spec: with service_request_id, every other filter is ignored.
        const rows = await store.listCases({ ...(council ? { council } : {}), serviceIds, references: ids.slice(0, config.open311.maxRequests), order: 'requested-desc', limit: config.open311.maxRequests });
        return { root: 'service_requests', item: 'request', rows: rows.map(requestRow) };
      }
      const windowMs = config.open311.defaultWindowDays * DAY;
      let from = dateParam(q, 'start_date');
      let to = dateParam(q, 'end_date');
      if (from === undefined && to === undefined) to = deps.now().getTime();
      if (from === undefined) from = to! - windowMs;
      if (to === undefined) to = from + windowMs;
      if (to < from) throw new Open311Error(400, 'end_date: must not be before start_date');
      if (to - from > 90 * DAY) throw new Open311Error(400, 'start_date/end_date: the span may be at most 90 days');
      const statuses = list(q.status);
      for (const s of statuses ?? []) if (s !== 'open' && s !== 'closed') throw new Open311Error(400, `status: expected open or closed (comma-separated), got ${JSON.stringify(s).slice(0, 30)}`);
      const codes = list(q.service_code);
      const wanted = codes ? serviceIds.filter((id) => codes.includes(id.slice(id.indexOf('/') + 1))) : serviceIds;
      const lifecycle: LifecycleStatus[] | undefined = statuses
        ? (['received', 'in_progress', 'scheduled', 'on_hold', 'resolved', 'closed', 'cancelled'] as const).filter((l) => statuses.includes(open311Status(l)))
        : undefined;
      const rows = await store.listCases({
        ...(council ? { council } : {}),
        serviceIds: wanted,
        requestedFromMs: from,
        requestedToMs: to,
        ...(lifecycle ? { statuses: lifecycle } : {}),
        order: 'requested-desc',
        limit: config.open311.maxRequests,
      });
      return { root: 'service_requests', item: 'request', rows: rows.map(requestRow) };
    }));

    app.get(`${prefix}/servicerequestupdates.${format}`, routeOpts, handle(format, async (q) => {
      const council = await jurisdiction(q);
      const to = dateParam(q, 'end_date') ?? deps.now().getTime();
      const from = dateParam(q, 'start_date') ?? to - DAY;
      if (to < from) throw new Open311Error(400, 'end_date: must not be before start_date');
      const serviceIds = privacy.publicServiceIds(await deps.services(), council);
      const rows = await store.listUpdates({ ...(council ? { council } : {}), serviceIds, fromMs: from, toMs: to, limit: config.open311.maxUpdates });
      return {
        root: 'service_request_updates',
        item: 'request_update',
        rows: rows.map((u) => ({
          update_id: u.entry.id,
          service_request_id: u.reference,
          status: fmsState(u.entry),
          updated_datetime: u.entry.at,
          description: u.entry.publicLabel ?? u.entry.label ?? u.entry.status.replace('_', ' '),
          media_url: '',
          external_status_code: u.entry.code,
        })),
      };
    }));
  }

  // requests/{id}.{format}: one route, the suffix parsed here (the id itself may contain dots).
  app.get(`${prefix}/requests/:file`, { config: { rateLimit: deps.rateLimit } }, async (req, reply) => {
    const file = (req.params as { file: string }).file;
    const m = /^(.+)\.(json|xml)$/.exec(file);
    if (!m) return sendError(reply, 'json', new Open311Error(404, 'expected requests/{service_request_id}.json or .xml'));
    const [, id, format] = m as unknown as [string, string, Format];
    try {
      const council = await jurisdiction(req.query as Record<string, string | undefined>);
      const serviceIds = privacy.publicServiceIds(await deps.services(), council);
      const rows = await store.listCases({ ...(council ? { council } : {}), serviceIds, references: [id], order: 'requested-desc', limit: 10 });
      if (!rows.length) throw new Open311Error(404, `service_request_id: no public request ${JSON.stringify(id).slice(0, 40)}`);
      return send(reply, format, 'service_requests', 'request', rows.map(requestRow));
    } catch (err) {
      if (err instanceof Open311Error) return sendError(reply, format, err);
      throw err;
    }
  });
}
