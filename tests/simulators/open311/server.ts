/**
 * Simulated Open311 GeoReport v2 server (a council's own, or a FixMyStreet installation) on
 * 127.0.0.1, with the quirks real ones have: start_date/end_date filter on requested_datetime
 * and both ends are inclusive (a request on a window boundary comes back in both windows); a
 * range longer than 90 days is refused; at most `maxResults` requests per answer (newest first,
 * the rest silently cut); updated_datetime left out on some requests; servicerequestupdates
 * offered or not; an XML-only server; an api_key that must be right.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GeoRequest {
  service_request_id: string;
  status: string;
  status_notes?: string;
  service_name: string;
  service_code: string;
  description?: string;
  agency_responsible?: string;
  requested_datetime: string;
  updated_datetime?: string;
  expected_datetime?: string;
  address?: string;
  zipcode?: string;
  lat?: number;
  long?: number;
  media_url?: string;
}

export interface GeoUpdate {
  update_id: string;
  service_request_id: string;
  status: string;
  updated_datetime: string;
  description?: string;
  media_url?: string;
}

export interface Open311SimulatorOptions {
  maxResults?: number;
  maxRangeDays?: number;
  /** servicerequestupdates.json answers 404 when false. */
  updates?: boolean;
  /** Only .xml documents; .json answers 404. */
  xmlOnly?: boolean;
  apiKey?: string;
  jurisdictionId?: string;
}

const DAY = 86_400_000;

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
function toXml(root: string, item: string, rows: object[]): string {
  const body = rows
    .map((r) => `<${item}>${Object.entries(r).filter(([, v]) => v !== undefined).map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`).join('')}</${item}>`)
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?><${root}>${body}</${root}>`;
}

export class Open311Simulator {
  readonly requests = new Map<string, GeoRequest>();
  readonly updates: GeoUpdate[] = [];
  readonly calls: { path: string; query: Record<string, string> }[] = [];
  private server: http.Server | undefined;
  private nextId = 3_100;
  private nextUpdate = 1;
  url = '';

  constructor(readonly opts: Open311SimulatorOptions = {}) {}

  add(input: Partial<GeoRequest> & { at: Date; omitUpdated?: boolean }): GeoRequest {
    const { at, omitUpdated, ...rest } = input;
    const when = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const r: GeoRequest = {
      service_request_id: String(this.nextId++),
      status: 'open',
      service_name: 'Pothole',
      service_code: 'POT',
      description: 'Deep pothole outside number 4, my name is Pat Resident, 07700 900456',
      agency_responsible: 'Highways',
      requested_datetime: when,
      ...(omitUpdated ? {} : { updated_datetime: when }),
      address: '4 Example Street, Bristol',
      zipcode: 'BS1 5TR',
      lat: 51.4545,
      long: -2.5879,
      ...rest,
    };
    this.requests.set(r.service_request_id, r);
    return r;
  }

  /** A status change, as an update (and on the request itself). */
  update(id: string, status: string, at: Date, description?: string): GeoUpdate {
    const r = this.requests.get(id);
    if (!r) throw new Error(`no request ${id}`);
    const when = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const u: GeoUpdate = { update_id: `U${this.nextUpdate++}`, service_request_id: id, status, updated_datetime: when, ...(description ? { description } : {}) };
    this.updates.push(u);
    r.status = status.toLowerCase() === 'open' ? 'open' : ['closed', 'fixed', 'duplicate'].includes(status.toLowerCase()) ? 'closed' : 'open';
    if (r.updated_datetime !== undefined) r.updated_datetime = when;
    if (description) r.status_notes = description;
    return u;
  }

  private send(res: http.ServerResponse, status: number, xml: boolean, body: string): void {
    res.writeHead(status, { 'content-type': xml ? 'application/xml; charset=utf-8' : 'application/json; charset=utf-8' });
    res.end(body);
  }

  private error(res: http.ServerResponse, status: number, xml: boolean, description: string): void {
    this.send(res, status, xml, xml ? toXml('errors', 'error', [{ code: status, description }]) : JSON.stringify([{ code: status, description }]));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(u.searchParams);
    this.calls.push({ path: u.pathname, query });
    const m = /^\/open311\/v2\/(requests|servicerequestupdates)\.(json|xml)$/.exec(u.pathname);
    const xml = m?.[2] === 'xml';
    if (!m || (this.opts.xmlOnly && !xml)) return this.error(res, 404, xml, 'not found');
    if (this.opts.apiKey !== undefined && query.api_key !== this.opts.apiKey) return this.error(res, 403, xml, 'Invalid api_key');
    if (this.opts.jurisdictionId !== undefined && query.jurisdiction_id !== this.opts.jurisdictionId) return this.error(res, 400, xml, 'jurisdiction_id provided not found');
    const startText = query.start_date;
    const endText = query.end_date;
    const start = startText ? Date.parse(startText) : undefined;
    const end = endText ? Date.parse(endText) : undefined;
    if ((startText && Number.isNaN(start)) || (endText && Number.isNaN(end))) return this.error(res, 400, xml, 'Invalid start_date or end_date');
    if (start !== undefined && end !== undefined && end - start > (this.opts.maxRangeDays ?? 90) * DAY) return this.error(res, 400, xml, `Date range must be ${this.opts.maxRangeDays ?? 90} days or less`);
    const inRange = (t: string | undefined) => {
      const ms = t ? Date.parse(t) : NaN;
      return (start === undefined || ms >= start) && (end === undefined || ms <= end);
    };
    const max = this.opts.maxResults ?? 1000;
    if (m[1] === 'servicerequestupdates') {
      if (this.opts.updates === false) return this.error(res, 404, xml, 'not found');
      const rows = this.updates.filter((x) => inRange(x.updated_datetime)).sort((a, b) => b.updated_datetime.localeCompare(a.updated_datetime)).slice(0, max);
      return this.send(res, 200, xml, xml ? toXml('service_request_updates', 'request_update', rows) : JSON.stringify(rows));
    }
    let rows: GeoRequest[];
    if (query.service_request_id) {
      const ids = query.service_request_id.split(',');
      rows = ids.map((id) => this.requests.get(id)).filter((r): r is GeoRequest => !!r);
    } else {
      rows = [...this.requests.values()].filter((r) => inRange(r.requested_datetime)).sort((a, b) => b.requested_datetime.localeCompare(a.requested_datetime)).slice(0, max);
    }
    return this.send(res, 200, xml, xml ? toXml('service_requests', 'request', rows) : JSON.stringify(rows));
  }

  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/open311/v2`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
