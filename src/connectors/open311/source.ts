/**
 * Open311 GeoReport v2 polling source. Each run covers the time since the last committed window
 * end (less an overlap), in windows no longer than the server allows; a window whose answer is
 * full (maxResults requests) is split in two until it is not. Where the server offers
 * servicerequestupdates, status changes of older requests are read too, each laid over its
 * request. A batch's checkpoint is its window's end.
 */
import { ConfigError, SourceError, type ErrorContext } from '../../core/errors.js';
import { ignoreOutcome, type ReadContext, type Source, type SourceBatch, type SourceDeps, type SourceRecord, type SourceWarning } from '../../core/source.js';
import { byteSize, durationMs } from '../../core/units.js';
import type { Open311ConnectorConfig } from './config.js';
import { createOpen311Http, type Open311Http } from './http.js';
import { Open311Checkpoint } from './checkpoint.js';

type Req = Record<string, unknown>;

/** GeoReport lists: a JSON array, or XML <service_requests><request/>…</service_requests>. */
function listOf(doc: unknown, xmlRoot: string, xmlItem: string, jsonKeys: string[]): Req[] | undefined {
  if (Array.isArray(doc)) return doc.filter((d): d is Req => !!d && typeof d === 'object');
  if (!doc || typeof doc !== 'object') return undefined;
  const o = doc as Record<string, unknown>;
  const root = o[xmlRoot];
  if (root !== undefined) {
    if (root === '' || root === null) return [];
    const items = (root as Record<string, unknown>)[xmlItem];
    return items === undefined ? [] : (Array.isArray(items) ? items : [items]).filter((d): d is Req => !!d && typeof d === 'object');
  }
  for (const k of jsonKeys) if (Array.isArray(o[k])) return (o[k] as unknown[]).filter((d): d is Req => !!d && typeof d === 'object');
  return undefined;
}

const text = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function createOpen311SourceImpl(config: Open311ConnectorConfig, deps: SourceDeps): Source<Open311Checkpoint> {
  const { connector, clock, logger } = deps;
  const base = new URL(config.endpoint.endsWith('/') ? config.endpoint : `${config.endpoint}/`);
  const ext = config.format;
  const context: ErrorContext = { connector };
  const spans = {
    max: durationMs(config.window.maxSpan),
    min: durationMs(config.window.minSpan),
    lag: durationMs(config.window.lag),
    overlap: durationMs(config.window.overlap),
  };
  if (spans.min > spans.max) throw new ConfigError('window.minSpan is longer than window.maxSpan', { context: { connector, field: 'window.minSpan' } });
  let http: Open311Http | undefined;
  let updatesOffered = config.updates !== 'off';

  const client = () =>
    (http ??= createOpen311Http({ origin: base.origin, timeoutMs: durationMs(config.timeout), maxBytes: byteSize(config.maxResponseBytes), headers: config.headers, format: ext, context }));

  const url = (doc: string, params: Record<string, string>): URL => {
    const u = new URL(`${doc}.${ext}`, base);
    if (config.jurisdictionId) u.searchParams.set('jurisdiction_id', config.jurisdictionId);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    if (config.apiKey) u.searchParams.set('api_key', config.apiKey);
    return u;
  };

  const windowParams = (from: number, to: number) => ({ [config.dateParams.start]: iso(from), [config.dateParams.end]: iso(to) });

  /** Every request in [from, to), splitting full answers; warnings for windows that cannot be split further. */
  const requestsIn = async (from: number, to: number, signal: AbortSignal, warnings: SourceWarning[]): Promise<Req[]> => {
    const doc = await client().get(url('requests', windowParams(from, to)), signal);
    const items = listOf(doc, 'service_requests', 'request', ['service_requests', 'requests']);
    if (!items) throw new SourceError(`requests.${ext} for ${iso(from)}..${iso(to)} is not a list of service requests`, { code: 'bad_shape', context: { ...context, operation: `requests.${ext}` } });
    if (items.length < config.maxResults) return items;
    if (to - from <= spans.min) {
      warnings.push({ code: 'open311_window_full', message: `requests.${ext} returned ${items.length} requests (maxResults) for ${iso(from)}..${iso(to)}, which cannot be split further (window.minSpan); some may be missing` });
      return items;
    }
    const mid = from + Math.floor((to - from) / 2);
    logger.debug({ from: iso(from), to: iso(to), count: items.length }, 'open311 answer full; splitting the window');
    return [...(await requestsIn(from, mid, signal, warnings)), ...(await requestsIn(mid, to, signal, warnings))];
  };

  const updatesIn = async (from: number, to: number, signal: AbortSignal, warnings: SourceWarning[]): Promise<Req[]> => {
    const doc = await client().get(url('servicerequestupdates', windowParams(from, to)), signal, { missingOk: config.updates === 'auto' });
    if (doc === undefined) {
      logger.info('the server does not offer servicerequestupdates; reading requests only');
      updatesOffered = false;
      return [];
    }
    const items = listOf(doc, 'service_request_updates', 'request_update', ['service_request_updates', 'updates']);
    if (!items) throw new SourceError(`servicerequestupdates.${ext} for ${iso(from)}..${iso(to)} is not a list of updates`, { code: 'bad_shape', context: { ...context, operation: `servicerequestupdates.${ext}` } });
    if (items.length >= config.maxResults && to - from > spans.min) {
      const mid = from + Math.floor((to - from) / 2);
      return [...(await updatesIn(from, mid, signal, warnings)), ...(await updatesIn(mid, to, signal, warnings))];
    }
    if (items.length >= config.maxResults) warnings.push({ code: 'open311_window_full', message: `servicerequestupdates.${ext} returned ${items.length} updates for ${iso(from)}..${iso(to)}; some may be missing` });
    return items;
  };

  /** The requests updates refer to that the window did not list, by id (several per call). */
  const requestsById = async (ids: string[], signal: AbortSignal): Promise<Map<string, Req>> => {
    const out = new Map<string, Req>();
    for (let i = 0; i < ids.length; i += 50) {
      const doc = await client().get(url('requests', { service_request_id: ids.slice(i, i + 50).join(',') }), signal);
      for (const r of listOf(doc, 'service_requests', 'request', ['service_requests', 'requests']) ?? []) {
        const id = text(r.service_request_id);
        if (id) out.set(id, r);
      }
    }
    return out;
  };

  async function* read(ctx: ReadContext<Open311Checkpoint>): AsyncGenerator<SourceBatch<Open311Checkpoint>> {
    const { signal } = ctx;
    const now = clock.now().getTime();
    const saved = ctx.checkpoint?.since;
    const first = config.window.start;
    const start = typeof saved === 'string' ? Date.parse(saved) - spans.overlap : /^\d+(\.\d+)?(ms|s|m|h|d)$/.test(first) ? now - durationMs(first) : Date.parse(first);
    const end = now - spans.lag;
    /** Per run: a request (or update) read twice (overlap, split windows) is passed on once. */
    const seen = new Set<string>();
    const fetchedAt = clock.now().toISOString();

    for (let from = start; from < end && !signal.aborted; ) {
      const to = Math.min(end, from + spans.max);
      const warnings: SourceWarning[] = [];
      const windowText = `${iso(from)}/${iso(to)}`;
      const requests = await requestsIn(from, to, signal, warnings);
      const records: SourceRecord[] = [];
      const byId = new Map<string, Req>();
      const add = (raw: Req, operation: string, key: string) => {
        const sig = `${key}|${text(raw.updated_datetime) ?? ''}|${text(raw.status) ?? ''}|${text(raw.status_notes) ?? ''}`;
        if (seen.has(sig)) return;
        seen.add(sig);
        records.push({ raw, position: { operation, key, cursor: windowText }, fetchedAt });
      };
      for (const r of requests) {
        const id = text(r.service_request_id);
        if (!id) continue; // counted below as a reject
        byId.set(id, r);
        add(r, `requests.${ext}`, id);
      }
      const rejects = requests
        .filter((r) => !text(r.service_request_id))
        .map((r) => ({ reason: 'service request without service_request_id', original: r, position: { operation: `requests.${ext}`, cursor: windowText } }));

      if (updatesOffered) {
        const updates = await updatesIn(from, to, signal, warnings);
        if (updates.length) {
          const missing = [...new Set(updates.map((u) => text(u.service_request_id)).filter((id): id is string => !!id && !byId.has(id)))];
          const fetched = missing.length ? await requestsById(missing, signal) : new Map<string, Req>();
          for (const u of updates) {
            const id = text(u.service_request_id);
            const request = id ? (byId.get(id) ?? fetched.get(id)) : undefined;
            if (!id || !request) {
              rejects.push({ reason: id ? `update ${text(u.update_id) ?? '?'} refers to service request ${id}, which the server does not return` : 'update without service_request_id', original: u, position: { operation: `servicerequestupdates.${ext}`, cursor: windowText } });
              continue;
            }
            // The update says what changed; the request says what the case is.
            add(
              {
                ...request,
                status: u.status ?? request.status,
                updated_datetime: u.updated_datetime ?? request.updated_datetime,
                status_notes: u.description ?? request.status_notes,
                ...(u.media_url ? { media_url: u.media_url } : {}),
                update_id: u.update_id,
              },
              `servicerequestupdates.${ext}`,
              `${id}#${text(u.update_id) ?? ''}`,
            );
          }
        }
      }
      // Oldest change first, so each case's events come out in the order they happened.
      const when = (r: SourceRecord) => Date.parse(text(r.raw.updated_datetime) ?? text(r.raw.requested_datetime) ?? '') || 0;
      records.sort((a, b) => when(a) - when(b));
      const checkpoint: Open311Checkpoint = { since: iso(to) };
      for (let i = 0; i < records.length || i === 0; i += config.batchSize) {
        const last = i + config.batchSize >= records.length;
        yield {
          records: records.slice(i, i + config.batchSize),
          ...(i === 0 && rejects.length ? { rejects } : {}),
          ...(last ? { checkpoint } : {}),
          ...(i === 0 && warnings.length ? { warnings } : {}),
          ack: ignoreOutcome,
        };
        if (signal.aborted) return;
      }
      from = to;
    }
  }

  return {
    // Acks ignore the outcome and the next window depends only on this reader's own position.
    readAhead: true,
    /** validate --live: the server answers requests for a short recent window with a list. */
    async check() {
      const now = clock.now().getTime();
      const doc = await client().get(url('requests', windowParams(now - 3_600_000, now)), new AbortController().signal);
      if (!listOf(doc, 'service_requests', 'request', ['service_requests', 'requests'])) {
        throw new ConfigError(`${base.origin}: requests.${ext} did not answer with a list of service requests; is endpoint the GeoReport v2 folder?`, { context: { connector, field: 'endpoint' } });
      }
    },
    checkpointSchema: Open311Checkpoint,
    read,
    async close() {
      http?.close();
      http = undefined;
    },
  };
}
