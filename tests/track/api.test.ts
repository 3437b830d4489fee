/**
 * The tracker's HTTP API over a real listening fastify server (127.0.0.1, free port) and a SQLite
 * projection: Open311 GeoReport v2 contract (JSON and XML), FixMyStreet-style polling of
 * servicerequestupdates, the portal API and privacy by service.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { buildTrackServer } from '../../src/track/http/server.js';
import { createApplier } from '../../src/track/ingest/applier.js';
import { createTrackMetrics } from '../../src/track/metrics.js';
import { createPrivacy } from '../../src/track/privacy.js';
import { createResidentLookup } from '../../src/track/resident.js';
import type { ResidentLookup } from '../../src/track/resident-lookup.js';
import { openSqliteProjection } from '../../src/track/store/sqlite.js';
import type { ProjectionStore } from '../../src/track/store/store.js';
import type { TrackConfig } from '../../src/track/config.js';
import { decodeEventObject } from '../../src/track/tracked-event.js';
import { at, event, trackConfig, type Spec } from './helpers.js';

const NOW = new Date('2025-11-20T12:00:00Z');
const W3C = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const xmlParser = new XMLParser({ isArray: (name) => ['service', 'request', 'request_update', 'error'].includes(name), parseTagValue: false });

let dir: string;
let store: ProjectionStore;
let app: FastifyInstance;
let base: string;
let lookup: ResidentLookup;
let config: TrackConfig;

/** The status changes the FixMyStreet polling test must each see exactly once. */
const changes: Spec[] = [];

async function seed(specs: Spec[]): Promise<void> {
  const metrics = createTrackMetrics();
  const applier = createApplier({ store, metrics, logger: silentLogger() });
  for (let i = 0; i < specs.length; i += 500) {
    await applier.apply(specs.slice(i, i + 500).map((s, n) => ({ decoded: decodeEventObject(event(s)), from: `seed:${i + n}` })));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cb-track-api-'));
  store = openSqliteProjection(join(dir, 'track.sqlite'));
  await store.migrate();
  config = trackConfig({ http: { host: '127.0.0.1', port: 0, lookupRateLimit: { max: 1000, window: '1m' }, apiRateLimit: { max: 1000, window: '1m' } } });
  // Six hours of status changes on 40 public cases, several exactly on a 2-hour boundary.
  for (let c = 0; c < 40; c++) {
    const ref = `FMS${c}`;
    const steps: Array<Spec['status']> = ['received', 'in_progress', 'scheduled', 'closed'];
    steps.forEach((status, s) => {
      const minute = (c * 7 + s * 53) % 360;
      changes.push({ reference: ref, minute: s === 0 ? 0 : Math.max(minute, s), sequence: s + 1, status, ...(status === 'closed' ? { closure: c % 3 === 0 ? 'duplicate' : 'completed' } : {}) });
    });
  }
  changes.push({ reference: 'EDGE', minute: 0, sequence: 1 }, { reference: 'EDGE', minute: 120, sequence: 2, status: 'in_progress' }, { reference: 'EDGE', minute: 240, sequence: 3, status: 'resolved' });
  await seed([
    ...changes,
    { reference: 'PRIV1', minute: 5, service: 'HOUSING', postcode: 'N7 8DB', sequence: 1 },
    { reference: 'PRIV1', minute: 50, service: 'HOUSING', postcode: 'N7 8DB', sequence: 2, status: 'in_progress' },
    { reference: 'OXF1', minute: 3, gss: 'E07000178', sequence: 1 },
  ]);
  const privacy = createPrivacy(config);
  lookup = createResidentLookup({ store, privacy, councils: config.councils });
  app = await buildTrackServer({ store, lookup, privacy, config, metrics: createTrackMetrics(), now: () => NOW });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string) => {
  const r = await fetch(base + path);
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
};
const getJson = async <T = unknown>(path: string) => {
  const r = await get(path);
  return { ...r, body: JSON.parse(r.text) as T };
};

describe('Open311 GeoReport v2: services', () => {
  it('lists public services only, with the documented fields (JSON)', async () => {
    const r = await getJson<Array<Record<string, unknown>>>('/open311/v2/services.json');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.body.map((s) => s.service_code)).toEqual(['FLY']);
    expect(r.body[0]).toEqual({ service_code: 'FLY', service_name: 'Fly-tipping', description: '', metadata: false, type: 'realtime', keywords: '', group: 'Street cleaning' });
  });

  it('answers the same in XML, UTF-8 declared, root services/service', async () => {
    const r = await get('/open311/v2/services.xml');
    expect(r.type).toMatch(/^text\/xml; charset=utf-8/i);
    expect(r.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    const doc = xmlParser.parse(r.text) as { services: { service: Array<Record<string, string>> } };
    expect(doc.services.service).toEqual([{ service_code: 'FLY', service_name: 'Fly-tipping', description: '', metadata: 'false', type: 'realtime', keywords: '', group: 'Street cleaning' }]);
  });
});

describe('Open311 GeoReport v2: requests', () => {
  const window = 'start_date=2025-11-01T00:00:00Z&end_date=2025-11-10T00:00:00Z';

  it('gives each request the documented fields and formats', async () => {
    const r = await getJson<Array<Record<string, unknown>>>(`/open311/v2/requests.json?${window}`);
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(42); // 40 FMS cases, EDGE, and OXF1 of the second council
    for (const req of r.body) {
      expect(Object.keys(req)).toEqual(expect.arrayContaining(['service_request_id', 'status', 'service_name', 'service_code', 'requested_datetime', 'updated_datetime', 'agency_responsible', 'lat', 'long']));
      expect(['open', 'closed']).toContain(req.status);
      expect(req.requested_datetime).toMatch(W3C);
      expect(req.updated_datetime).toMatch(W3C);
      // Location of a public service is rounded (3 decimals); no address, postcode or UPRN.
      expect(req.lat).toBe(51.547);
      expect(req.long).toBe(-0.106);
      expect(req).not.toHaveProperty('zipcode');
      expect(req).not.toHaveProperty('address');
      expect(JSON.stringify(req)).not.toMatch(/N1 1XR|5300034721|Upper Street/);
    }
    const fms0 = r.body.find((x) => x.service_request_id === 'FMS0')!;
    expect(fms0).toMatchObject({ status: 'closed', status_notes: 'Public closed', service_code: 'FLY', service_name: 'Fly-tipping', description: 'Mattress on the pavement', requested_datetime: at(0) });
  });

  it('never lists a private service or another council when jurisdiction_id names one', async () => {
    const all = await getJson<Array<{ service_request_id: string }>>(`/open311/v2/requests.json?${window}`);
    expect(all.body.map((x) => x.service_request_id)).not.toContain('PRIV1');
    const isl = await getJson<Array<{ service_request_id: string }>>(`/open311/v2/requests.json?${window}&jurisdiction_id=E09000019`);
    expect(isl.body.map((x) => x.service_request_id)).not.toContain('OXF1');
    const unknown = await getJson<Array<{ code: number; description: string }>>(`/open311/v2/requests.json?jurisdiction_id=E06000001`);
    expect(unknown.status).toBe(404);
    expect(unknown.body[0]!.description).toMatch(/jurisdiction_id/);
  });

  it('filters by status and service_code; service_request_id overrides the other filters', async () => {
    const closed = await getJson<Array<{ status: string }>>(`/open311/v2/requests.json?${window}&status=closed`);
    // The 40 closed FMS cases and EDGE, which is resolved: closed in Open311's two states.
    expect(closed.body.length).toBe(41);
    expect(closed.body.every((x) => x.status === 'closed')).toBe(true);
    const open = await getJson<Array<{ service_request_id: string; status: string }>>(`/open311/v2/requests.json?${window}&status=open,open`);
    expect(open.body.map((x) => [x.service_request_id, x.status])).toEqual([['OXF1', 'open']]);
    expect((await getJson<unknown[]>(`/open311/v2/requests.json?${window}&service_code=NOPE`)).body).toEqual([]);
    const byId = await getJson<Array<{ service_request_id: string }>>('/open311/v2/requests.json?service_request_id=FMS1,FMS2&status=open&service_code=NOPE');
    expect(byId.body.map((x) => x.service_request_id).sort()).toEqual(['FMS1', 'FMS2']);
  });

  it('defaults to the 90 days before now and refuses a longer span or a date without a zone', async () => {
    // NOW is 17 days after the cases: inside the default window.
    expect((await getJson<unknown[]>('/open311/v2/requests.json')).body.length).toBe(42);
    const older = await getJson<unknown[]>('/open311/v2/requests.json?end_date=2025-10-01T00:00:00Z');
    expect(older.body).toEqual([]);
    const span = await getJson<Array<{ code: number; description: string }>>('/open311/v2/requests.json?start_date=2025-01-01T00:00:00Z&end_date=2025-11-10T00:00:00Z');
    expect(span.status).toBe(400);
    expect(span.body[0]).toEqual({ code: 400, description: expect.stringMatching(/90 days/) });
    const zone = await get('/open311/v2/requests.xml?start_date=2025-11-01T00:00:00');
    expect(zone.status).toBe(400);
    const err = xmlParser.parse(zone.text) as { errors: { error: Array<{ code: string; description: string }> } };
    expect(err.errors.error[0]!.code).toBe('400');
    expect(err.errors.error[0]!.description).toMatch(/^start_date: expected a W3C datetime/);
  });

  it('returns requests/{id} as a one-element list, in JSON and XML; unknown and private ids are 404', async () => {
    const j = await getJson<Array<Record<string, unknown>>>('/open311/v2/requests/FMS3.json');
    expect(j.body).toHaveLength(1);
    expect(j.body[0]!.service_request_id).toBe('FMS3');
    const x = await get('/open311/v2/requests/FMS3.xml');
    const doc = xmlParser.parse(x.text) as { service_requests: { request: Array<Record<string, string>> } };
    expect(doc.service_requests.request[0]!.service_request_id).toBe('FMS3');
    expect(doc.service_requests.request[0]!.lat).toBe('51.547');
    expect((await get('/open311/v2/requests/NOPE.json')).status).toBe(404);
    expect((await get('/open311/v2/requests/PRIV1.json')).status).toBe(404);
  });
});

describe('servicerequestupdates (mySociety extension)', () => {
  it('FixMyStreet polling 2-hour windows one after the other sees every status change exactly once', async () => {
    const seen = new Map<string, number>();
    const rows: Array<Record<string, string>> = [];
    for (let w = 0; w < 4; w++) {
      const start = at(w * 120);
      const end = at((w + 1) * 120);
      const r = await get(`/open311/v2/servicerequestupdates.xml?start_date=${start}&end_date=${end}&jurisdiction_id=E09000019`);
      expect(r.status).toBe(200);
      const doc = xmlParser.parse(r.text) as { service_request_updates: '' | { request_update?: Array<Record<string, string>> } };
      const updates = doc.service_request_updates === '' ? [] : (doc.service_request_updates.request_update ?? []);
      for (const u of updates) {
        seen.set(u.update_id!, (seen.get(u.update_id!) ?? 0) + 1);
        rows.push(u);
        expect(Date.parse(u.updated_datetime!)).toBeGreaterThanOrEqual(Date.parse(start));
        expect(Date.parse(u.updated_datetime!)).toBeLessThan(Date.parse(end));
      }
    }
    const expectedIds = changes.map((s) => event(s).id);
    expect([...seen.keys()].sort()).toEqual([...expectedIds].sort());
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (const u of rows) {
      expect(Object.keys(u)).toEqual(expect.arrayContaining(['update_id', 'service_request_id', 'status', 'updated_datetime', 'description', 'external_status_code']));
      expect(u.updated_datetime).toMatch(W3C);
    }
    // Closure reasons become FixMyStreet's extended states.
    const closedFms0 = rows.find((u) => u.service_request_id === 'FMS0' && u.external_status_code === 'S-closed')!;
    expect(closedFms0.status).toBe('duplicate');
    const closedFms1 = rows.find((u) => u.service_request_id === 'FMS1' && u.external_status_code === 'S-closed')!;
    expect(closedFms1.status).toBe('fixed');
    expect(rows.find((u) => u.service_request_id === 'EDGE' && u.external_status_code === 'S-in_progress')!.status).toBe('in_progress');
    expect(rows.some((u) => u.service_request_id === 'PRIV1')).toBe(false);
  });

  it('answers JSON too', async () => {
    const r = await getJson<Array<Record<string, unknown>>>(`/open311/v2/servicerequestupdates.json?start_date=${at(0)}&end_date=${at(1)}`);
    expect(r.body.length).toBeGreaterThan(0);
    expect(r.body[0]).toMatchObject({ service_request_id: expect.any(String), status: 'open', updated_datetime: at(0), external_status_code: 'S-received' });
  });
});

describe('portal API and privacy', () => {
  it('shows a public case with its timeline and nothing personal', async () => {
    const r = await getJson<Record<string, unknown>>('/v1/councils/E09000019/cases/EDGE');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ reference: 'EDGE', status: { lifecycle: 'resolved' }, sequence: 3 });
    expect((r.body.timeline as Array<{ status: string }>).map((t) => t.status)).toEqual(['received', 'in_progress', 'resolved']);
    expect(r.text).not.toMatch(/N1 1XR|5300034721|Upper Street|personal|provenance/);
  });

  it('a private case needs the right postcode; wrong postcode, no postcode and unknown reference look the same', async () => {
    const ok = await getJson<Record<string, unknown>>('/v1/councils/E09000019/cases/PRIV1?postcode=n78db');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ reference: 'PRIV1', status: { lifecycle: 'in_progress' } });
    expect(ok.body).not.toHaveProperty('location');
    expect(ok.body).not.toHaveProperty('description');
    const answers = await Promise.all(['PRIV1?postcode=N1%201AA', 'PRIV1', 'NOSUCH?postcode=N7%208DB'].map((p) => get(`/v1/councils/E09000019/cases/${p}`)));
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404]);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
  });

  it('the ResidentLookup seam gives the same undefined for all three', async () => {
    expect(await lookup.findCase({ reference: 'PRIV1', postcode: 'N7 8DB' })).toMatchObject({ reference: 'PRIV1', status: 'in_progress', statusLabel: 'Public in_progress' });
    expect(await lookup.findCase({ reference: 'PRIV1', postcode: 'N1 1AA' })).toBeUndefined();
    expect(await lookup.findCase({ reference: 'PRIV1' })).toBeUndefined();
    expect(await lookup.findCase({ reference: 'NOSUCH', postcode: 'N7 8DB' })).toBeUndefined();
    const pub = await lookup.findCase({ reference: 'FMS0' });
    expect(pub!.closureReason).toEqual({ code: 'duplicate' });
    expect(pub!.timeline.map((t) => t.status)).toEqual(['received', 'in_progress', 'scheduled', 'closed']);
  });

  it('pages /v1/cases with a cursor, public services only, and checks its parameters', async () => {
    const refs: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const r: { body: { cases: Array<{ reference: string }>; nextCursor: string | null } } = await getJson(`/v1/cases?council=E09000019&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      refs.push(...r.body.cases.map((c) => c.reference));
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    expect(refs).toHaveLength(41);
    expect(new Set(refs).size).toBe(41);
    expect(refs).not.toContain('PRIV1');
    const bad = await getJson<{ error: string }>('/v1/cases?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/status/);
    expect((await getJson<{ error: string }>('/v1/cases?updatedSince=yesterday')).body.error).toMatch(/updatedSince/);
    expect((await getJson<{ error: string }>('/v1/cases?cursor=abc')).status).toBe(400);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await getJson('/healthz')).body).toEqual({ status: 'ok' });
    expect((await getJson('/readyz')).body).toMatchObject({ ready: true });
    const m = await get('/metrics');
    expect(m.text).toMatch(/casebridge_track_lookups_total\{result="found"\} \d+/);
  });
});

describe('rate limits and the Open311 maximum', () => {
  it('limits lookups per client and caps a requests answer at 1000', async () => {
    const d = mkdtempSync(join(tmpdir(), 'cb-track-limit-'));
    const s = openSqliteProjection(join(d, 'track.sqlite'));
    await s.migrate();
    const cfg = trackConfig({ http: { host: '127.0.0.1', port: 0, lookupRateLimit: { max: 3, window: '1m' }, apiRateLimit: { max: 1000, window: '1m' } } });
    const metrics = createTrackMetrics();
    const applier = createApplier({ store: s, metrics, logger: silentLogger() });
    const specs: Spec[] = Array.from({ length: 1005 }, (_, i) => ({ reference: `M${i}`, minute: i % 600 }));
    for (let i = 0; i < specs.length; i += 500) await applier.apply(specs.slice(i, i + 500).map((x) => ({ decoded: decodeEventObject(event(x)), from: 't' })));
    const privacy = createPrivacy(cfg);
    const a = await buildTrackServer({ store: s, lookup: createResidentLookup({ store: s, privacy, councils: cfg.councils }), privacy, config: cfg, metrics, now: () => NOW });
    const url = await a.listen({ host: '127.0.0.1', port: 0 });
    try {
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await fetch(`${url}/v1/councils/E09000019/cases/M${i}`)).status);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const big = (await (await fetch(`${url}/open311/v2/requests.json`)).json()) as unknown[];
      expect(big).toHaveLength(1000);
    } finally {
      await a.close();
      await s.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
