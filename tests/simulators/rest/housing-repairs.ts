/**
 * A newer council system with a REST/JSON API: a housing-repairs service ("Repairs Online" style)
 * listing repair cases changed since a time. Plain node http on 127.0.0.1, in-memory data that
 * tests mutate, and the quirks such APIs really have:
 *  - `lastModified` is sometimes UTC with Z and sometimes UK local time with no offset;
 *  - the `updatedSince` filter is inclusive, and a local value without an offset is read as UK time;
 *  - the cursor listing repeats the last record of the previous page at the top of the next one;
 *  - cursors expire (410 Gone) after a while, or when a test says so;
 *  - tenant contact details ride along in every record (personal data).
 * The same cases are served through every pagination style, one route per style:
 *   GET /api/v2/cases        ?updatedSince&limit&cursor  → { data, meta: { nextCursor } }
 *   GET /api/v2/repairs      ?updatedSince&page&pageSize → { results, page, pageSize, totalPages, hasMore }
 *   GET /api/v2/jobs         ?modifiedFrom&offset&limit  → { items, offset, limit, total }
 *   GET /api/v2/work-orders  ?updatedSince&pageSize[&after] → { value, links: { next } } + Link header
 * Faults (slow, huge, redirect, HTTP errors, hostile JSON) are injected per request by tests.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';
import { DateTime } from 'luxon';

export type RepairStatus = 'LOGGED' | 'ASSIGNED' | 'APPOINTED' | 'INPROGRESS' | 'ONHOLD' | 'COMPLETED' | 'CANCELLED';

export const STATUS_DESCRIPTIONS: Record<RepairStatus, string> = {
  LOGGED: 'Repair logged',
  ASSIGNED: 'Operative assigned',
  APPOINTED: 'Appointment booked',
  INPROGRESS: 'Work in progress',
  ONHOLD: 'On hold - awaiting parts',
  COMPLETED: 'Work completed',
  CANCELLED: 'Cancelled',
};

const TRADES: [string, string, string][] = [
  ['PLMB', 'Plumbing', 'Leak under kitchen sink'],
  ['ELEC', 'Electrical', 'Bathroom extractor fan not working'],
  ['CARP', 'Carpentry', 'Front door does not lock'],
  ['ROOF', 'Roofing', 'Slipped tiles above bedroom'],
  ['DAMP', 'Damp and mould', 'Black mould on bedroom wall'],
  ['GLAZ', 'Glazing', 'Cracked double-glazed unit'],
];
const PRIORITIES: [string, string][] = [
  ['E', 'Emergency - 24 hours'],
  ['U', 'Urgent - 3 working days'],
  ['R', 'Routine - 20 working days'],
];
const STREETS = ['Canonbury Road', 'Holloway Road', 'Essex Road', 'Caledonian Road', 'Blackstock Road', 'Hornsey Road'];

export interface RepairCase {
  repairReference: string;
  jobNumber: number;
  tradeCode: string;
  tradeDescription: string;
  priority: { code: string; description: string };
  status: RepairStatus;
  description: string;
  property: { uprn: string; addressLine1: string; town: string; postcode: string; easting: number; northing: number };
  reportedAt: number;
  lastModified: number;
  targetDate: string;
  completedAt?: number;
  tenant: { name: string; phone: string; email: string };
  /** This record's times are written as UK local time without an offset (the quirk). */
  localTimes: boolean;
}

export type Fault =
  | { kind: 'status'; status: number; body?: string; retryAfter?: string; contentType?: string }
  /** Accept the connection, read the request, never answer. */
  | { kind: 'hang' }
  /** Stream this many bytes of a valid-looking JSON array. */
  | { kind: 'huge'; bytes: number; gzip?: boolean }
  | { kind: 'redirect'; location: string; status?: number }
  /** Answer 200 with this exact body. */
  | { kind: 'body'; body: string; contentType?: string; link?: string };

export interface InjectedFault {
  fault: Fault;
  /** Only requests whose path starts with this (default: any). */
  path?: string;
  /** How many requests it applies to (default 1). */
  times?: number;
}

export interface RequestLogEntry {
  path: string;
  query: Record<string, string>;
  authorization?: string;
  at: number;
  /** Set when the answer has been sent. */
  status?: number;
}

export interface RepairsSimulatorOptions {
  port?: number;
  host?: string;
  /** Require `Authorization: Bearer <token>` when set. */
  token?: string;
  /** Number of generated cases (default 25). */
  cases?: number;
  /** Base time of the generated data (default 2025-11-03T09:00:00Z). */
  baseTime?: string;
  /** Repeat the last record of the previous page at the top of the next cursor page (default true). */
  repeatLastItem?: boolean;
  cursorTtlMs?: number;
  maxPageSize?: number;
  /**
   * Answer the first n requests, then leave every later one hanging until close(): a supplier that
   * goes away mid-listing at a point the test chose, however fast the gateway reads.
   */
  stallAfterRequests?: number;
}

export interface RepairsSimulator {
  url: string;
  port: number;
  /** Bytes written by `huge` faults so far (a client that stops reading keeps this low). */
  stats: { hugeBytesSent: number };
  cases: RepairCase[];
  requests: RequestLogEntry[];
  inject(f: InjectedFault): void;
  /** Make every cursor issued so far expire (410). */
  expireCursors(): void;
  /** Change a case at time `at` (ISO), as a housing officer would. */
  update(reference: string, changes: Partial<Omit<RepairCase, 'repairReference' | 'lastModified'>>, at: string): RepairCase;
  add(c: RepairCase): void;
  /** The JSON a client sees for a case. */
  render(c: RepairCase): Record<string, unknown>;
  close(): Promise<void>;
}

const ZONE = 'Europe/London';

export function generateCases(count: number, baseTime: string): RepairCase[] {
  const base = Date.parse(baseTime);
  const statuses: RepairStatus[] = ['LOGGED', 'ASSIGNED', 'APPOINTED', 'INPROGRESS', 'ONHOLD', 'COMPLETED', 'CANCELLED'];
  const out: RepairCase[] = [];
  for (let i = 0; i < count; i++) {
    const [tradeCode, tradeDescription, description] = TRADES[i % TRADES.length]!;
    const [pCode, pDesc] = PRIORITIES[i % PRIORITIES.length]!;
    const status = statuses[i % statuses.length]!;
    const reportedAt = base - (10 - (i % 10)) * 86_400_000 + i * 60_000;
    const lastModified = base + i * 7 * 60_000; // every 7 minutes, ascending
    out.push({
      repairReference: `HR-25-${String(4100 + i).padStart(6, '0')}`,
      jobNumber: 5_501_000 + i * 3,
      tradeCode,
      tradeDescription,
      priority: { code: pCode, description: pDesc },
      status,
      description,
      property: {
        uprn: String(5300000000 + i * 17),
        addressLine1: `Flat ${1 + (i % 9)}, ${10 + i} ${STREETS[i % STREETS.length]}`,
        town: 'London',
        postcode: ['N1 2AB', 'N7 6PA', 'N1 8JX', 'N7 9DP', 'N4 2RQ', 'N19 3LR'][i % 6]!,
        easting: 531000 + ((i * 137) % 900),
        northing: 184000 + ((i * 251) % 1200),
      },
      reportedAt,
      lastModified,
      targetDate: DateTime.fromMillis(reportedAt, { zone: ZONE }).plus({ days: pCode === 'E' ? 1 : pCode === 'U' ? 3 : 20 }).toISODate()!,
      ...(status === 'COMPLETED' || status === 'CANCELLED' ? { completedAt: lastModified } : {}),
      tenant: { name: `Tenant ${i}`, phone: `0207 527 ${String(1000 + i)}`, email: `tenant${i}@example.org` },
      localTimes: i % 3 === 1,
    });
  }
  return out;
}

function writeTime(ms: number, local: boolean): string {
  const dt = DateTime.fromMillis(ms, { zone: local ? ZONE : 'utc' });
  return local ? dt.toFormat("yyyy-MM-dd'T'HH:mm:ss") : dt.toISO({ suppressMilliseconds: true })!;
}

export function renderCase(c: RepairCase): Record<string, unknown> {
  return {
    repairReference: c.repairReference,
    jobNumber: c.jobNumber,
    tradeCode: c.tradeCode,
    tradeDescription: c.tradeDescription,
    priority: c.priority,
    status: { code: c.status, description: STATUS_DESCRIPTIONS[c.status] },
    description: c.description,
    property: c.property,
    reportedAt: writeTime(c.reportedAt, c.localTimes),
    lastModified: writeTime(c.lastModified, c.localTimes),
    targetDate: c.targetDate,
    completedAt: c.completedAt === undefined ? null : writeTime(c.completedAt, c.localTimes),
    tenant: c.tenant,
  };
}

/** The server reads `updatedSince` as ISO; a value without an offset is UK local time. */
function parseSince(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const dt = DateTime.fromISO(text, { zone: ZONE, setZone: true });
  return dt.isValid ? dt.toMillis() : Number.NaN;
}

interface CursorState {
  since: number;
  afterTime: number;
  afterRef: string;
  createdAt: number;
  expired: boolean;
}

export async function startRepairsSimulator(opts: RepairsSimulatorOptions = {}): Promise<RepairsSimulator> {
  const cases = generateCases(opts.cases ?? 25, opts.baseTime ?? '2025-11-03T09:00:00Z');
  const requests: RequestLogEntry[] = [];
  const faults: (InjectedFault & { left: number })[] = [];
  const cursors = new Map<string, CursorState>();
  const repeatLastItem = opts.repeatLastItem ?? true;
  const cursorTtlMs = opts.cursorTtlMs ?? 5 * 60_000;
  const maxPageSize = opts.maxPageSize ?? 100;
  const hanging = new Set<http.ServerResponse>();
  const stats = { hugeBytesSent: 0 };

  const sorted = (since: number | undefined) =>
    cases
      .filter((c) => since === undefined || c.lastModified >= since)
      .sort((a, b) => a.lastModified - b.lastModified || a.repairReference.localeCompare(b.repairReference));

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const takeFault = (path: string): Fault | undefined => {
    const i = faults.findIndex((f) => !f.path || path.startsWith(f.path));
    if (i < 0) return undefined;
    const f = faults[i]!;
    if (--f.left <= 0) faults.splice(i, 1);
    return f.fault;
  };

  const applyFault = (fault: Fault, res: http.ServerResponse) => {
    switch (fault.kind) {
      case 'status':
        res.writeHead(fault.status, { 'Content-Type': fault.contentType ?? 'application/json', ...(fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {}) });
        res.end(fault.body ?? JSON.stringify({ error: http.STATUS_CODES[fault.status] ?? 'error' }));
        return;
      case 'hang':
        hanging.add(res);
        return;
      case 'redirect':
        res.writeHead(fault.status ?? 302, { Location: fault.location });
        res.end();
        return;
      case 'body':
        res.writeHead(200, { 'Content-Type': fault.contentType ?? 'application/json', ...(fault.link ? { Link: fault.link } : {}) });
        res.end(fault.body);
        return;
      case 'huge':
        streamHuge(res, fault.bytes, fault.gzip ?? false, stats);
        return;
    }
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const entry: RequestLogEntry = { path: url.pathname, query, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), at: Date.now() };
    requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    req.resume();
    if (opts.stallAfterRequests !== undefined && requests.length > opts.stallAfterRequests) return applyFault({ kind: 'hang' }, res);
    const fault = takeFault(url.pathname);
    if (fault) return applyFault(fault, res);
    if (req.method !== 'GET') return json(res, 405, { error: 'method_not_allowed' });
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      return json(res, 401, { error: 'invalid_token', message: 'Bearer token missing or not recognised' }, { 'WWW-Authenticate': 'Bearer realm="repairs"' });
    }
    const sinceText = url.pathname === '/api/v2/jobs' ? query.modifiedFrom : query.updatedSince;
    const since = parseSince(sinceText);
    if (since !== undefined && Number.isNaN(since)) return json(res, 400, { error: 'invalid_parameter', message: `updatedSince "${sinceText}" is not an ISO 8601 date-time` });

    switch (url.pathname) {
      case '/api/v2/cases': {
        const limit = Math.min(Number(query.limit ?? 20) || 20, maxPageSize);
        let list = sorted(since);
        if (query.cursor) {
          const state = cursors.get(query.cursor);
          if (!state) return json(res, 400, { error: 'invalid_cursor', message: 'Unknown cursor' });
          if (state.expired || Date.now() - state.createdAt > cursorTtlMs) return json(res, 410, { error: 'cursor_expired', message: 'Cursor has expired; restart the query' });
          const start = list.findIndex((c) => c.lastModified > state.afterTime || (c.lastModified === state.afterTime && c.repairReference > state.afterRef));
          list = start < 0 ? [] : list.slice(repeatLastItem && start > 0 ? start - 1 : start);
        }
        const page = list.slice(0, limit);
        const last = page[page.length - 1];
        let nextCursor: string | null = null;
        // More when something sorts after the last record served.
        if (last && list.length > limit) {
          nextCursor = randomBytes(12).toString('base64url');
          cursors.set(nextCursor, { since: since ?? 0, afterTime: last.lastModified, afterRef: last.repairReference, createdAt: Date.now(), expired: false });
        }
        return json(res, 200, { data: page.map(renderCase), meta: { count: page.length, nextCursor } });
      }
      case '/api/v2/repairs': {
        const pageSize = Math.min(Number(query.pageSize ?? 20) || 20, maxPageSize);
        const page = Math.max(1, Number(query.page ?? 1) || 1);
        const list = sorted(since);
        const totalPages = Math.max(1, Math.ceil(list.length / pageSize));
        return json(res, 200, { results: list.slice((page - 1) * pageSize, page * pageSize).map(renderCase), page, pageSize, totalPages, totalResults: list.length, hasMore: page < totalPages });
      }
      case '/api/v2/jobs': {
        const limit = Math.min(Number(query.limit ?? 20) || 20, maxPageSize);
        const offset = Math.max(0, Number(query.offset ?? 0) || 0);
        const list = sorted(since);
        return json(res, 200, { items: list.slice(offset, offset + limit).map(renderCase), offset, limit, total: list.length });
      }
      case '/api/v2/work-orders': {
        const pageSize = Math.min(Number(query.pageSize ?? 20) || 20, maxPageSize);
        const after = Number(query.after ?? 0) || 0;
        const list = sorted(since);
        const page = list.slice(after, after + pageSize);
        let next: string | null = null;
        if (after + pageSize < list.length) {
          const n = new URL(url.pathname, 'http://x');
          for (const [k, v] of url.searchParams) if (k !== 'after') n.searchParams.set(k, v);
          n.searchParams.set('after', String(after + pageSize));
          next = `${n.pathname}${n.search}`;
        }
        const headers: Record<string, string> = next ? { Link: `<${next}>; rel="next", </api/v2/work-orders>; rel="first"` } : {};
        return json(res, 200, { value: page.map(renderCase), links: { next } }, headers);
      }
      default:
        return json(res, 404, { error: 'not_found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const byRef = (ref: string) => {
    const c = cases.find((x) => x.repairReference === ref);
    if (!c) throw new Error(`no case ${ref}`);
    return c;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    cases,
    requests,
    inject: (f) => faults.push({ ...f, left: f.times ?? 1 }),
    expireCursors: () => {
      for (const c of cursors.values()) c.expired = true;
    },
    update(reference, changes, at) {
      const c = byRef(reference);
      Object.assign(c, changes);
      c.lastModified = Date.parse(at);
      if ((c.status === 'COMPLETED' || c.status === 'CANCELLED') && c.completedAt === undefined) c.completedAt = c.lastModified;
      return c;
    },
    add: (c) => cases.push(c),
    render: renderCase,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JSON array of filler records, streamed so the simulator itself stays small in memory. */
function streamHuge(res: http.ServerResponse, bytes: number, gzip: boolean, stats: { hugeBytesSent: number }) {
  res.writeHead(200, { 'Content-Type': 'application/json', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
  const chunk = Buffer.from(`${JSON.stringify({ repairReference: 'HR-FILLER', description: 'x'.repeat(1000) })},`);
  const out: NodeJS.WritableStream = gzip ? createGzip() : res;
  if (gzip) {
    (out as ReturnType<typeof createGzip>).pipe(res);
    res.on('close', () => (out as ReturnType<typeof createGzip>).destroy());
  }
  let sent = 0;
  out.write('{"data":[');
  const pump = () => {
    while (sent < bytes) {
      if (res.destroyed) return;
      sent += chunk.length;
      stats.hugeBytesSent += chunk.length;
      if (!out.write(chunk)) return void out.once('drain', pump);
    }
    out.end('{}]}');
  };
  pump();
}
