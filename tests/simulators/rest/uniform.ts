/**
 * Idox Uniform (regulatory services: environmental health, licensing, planning enforcement) through
 * its web API as councils expose it to integrations: an ASP.NET forms-authentication cookie session.
 *   POST /uniformwebapi/api/login   { DatabaseId, UserName, Password } → Set-Cookie .ASPXAUTH, ASP.NET_SessionId
 *   GET  /uniformwebapi/api/servicerequests?changedSince=<UK local time>&pageNumber&pageSize
 *     → { ServiceRequests: [...], TotalCount }
 *   POST /uniformwebapi/api/logout
 * Quirks modelled:
 *  - a wrong password answers 200 { Success: false, Message } and sets no auth cookie;
 *  - an expired session is not a 401: forms authentication redirects (302) to
 *    /uniformwebapi/login.aspx?ReturnUrl=…, an HTML page;
 *  - times are UK local without an offset (DateLastChanged 2025-11-03T09:00:00), DateReceived is
 *    dd/MM/yyyy HH:mm; changedSince is read as UK local time;
 *  - text fields carry HTML entities and <br/> (Address "12 St Mary&#39;s Road"), the "HTML-ish" part;
 *  - complainant details ride along (personal data).
 */
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { sendJson, startSimServer, type SimServer } from './kit.js';

const ZONE = 'Europe/London';

export interface UniformRequest {
  Keyval: string;
  ReferenceValue: string;
  RequestType: string;
  RequestTypeDescription: string;
  StatusCode: string;
  StatusDescription: string;
  received: number;
  changed: number;
  UPRN: string;
  Address: string;
  Postcode: string;
  Details: string;
  ComplainantName: string;
  ComplainantPhone: string;
}

const TYPES: [string, string][] = [
  ['NOISE', 'Noise nuisance'],
  ['FOOD', 'Food hygiene complaint'],
  ['PEST', 'Pest control request'],
  ['ENF', 'Planning enforcement'],
];
const STATUSES: [string, string][] = [
  ['REC', 'Received'],
  ['ALL', 'Allocated to officer'],
  ['INV', 'Under investigation'],
  ['NFA', 'Closed - no further action'],
  ['RES', 'Resolved'],
];

export function generateUniformRequests(count: number, base = '2025-11-03T09:00:00Z'): UniformRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const [t, td] = TYPES[i % TYPES.length]!;
    const [s, sd] = STATUSES[i % STATUSES.length]!;
    return {
      Keyval: `K${(900000 + i * 37).toString(36).toUpperCase()}`,
      ReferenceValue: `25/${String(1200 + i).padStart(5, '0')}/${t}`,
      RequestType: t,
      RequestTypeDescription: td,
      StatusCode: s,
      StatusDescription: sd,
      received: Date.parse(base) - 5 * 86_400_000 + i * 3_600_000,
      changed: Date.parse(base) + i * 10 * 60_000,
      UPRN: String(100021000000 + i * 13),
      Address: i % 3 === 0 ? `Flat ${i + 1} &amp; ${i + 2}, ${i + 10} St Mary&#39;s Road` : `${i + 10} High Street`,
      Postcode: ['CB1 1BH', 'CB2 1TN', 'CB4 3AX'][i % 3]!,
      Details: `Reported by phone.<br/>Officer to visit &quot;asap&quot;`,
      ComplainantName: `Complainant ${i}`,
      ComplainantPhone: `01223 45${String(6000 + i)}`,
    };
  });
}

const local = (ms: number, fmt: string) => DateTime.fromMillis(ms, { zone: ZONE }).toFormat(fmt);

export interface UniformSimulator {
  url: string;
  server: SimServer;
  requests: UniformRequest[];
  /** Sessions alive now (by .ASPXAUTH value). */
  sessions: Set<string>;
  /** Every session ends, as after the server's idle timeout or an app-pool recycle. */
  expireSessions(): void;
  logins: () => number;
  update(reference: string, changes: Partial<UniformRequest>, at: string): void;
  close(): Promise<void>;
}

export async function startUniformSimulator(opts: { requests?: number; username?: string; password?: string; database?: string; /** Time of the generated data (default 2025-11-03T09:00:00Z). */ baseTime?: string } = {}): Promise<UniformSimulator> {
  const data = generateUniformRequests(opts.requests ?? 9, opts.baseTime);
  const sessions = new Set<string>();
  const user = opts.username ?? 'CASEBRIDGE';
  const password = opts.password ?? "Un1form'P@ss&word";
  const database = opts.database ?? 'UNIFORM_LIVE';
  let logins = 0;

  const cookieOf = (header: string | undefined, name: string) => {
    for (const part of (header ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === name) return v.join('=');
    }
    return undefined;
  };

  const server = await startSimServer((req, res) => {
    const path = req.path.toLowerCase();
    if (path === '/uniformwebapi/api/login' && req.method === 'POST') {
      let creds: Record<string, unknown> = {};
      try {
        creds = JSON.parse(req.body);
      } catch {
        return sendJson(res, 400, { Message: 'The request is invalid.' });
      }
      if (creds.DatabaseId !== database) return sendJson(res, 200, { Success: false, Message: `Database '${String(creds.DatabaseId)}' is not configured` });
      if (creds.UserName !== user || creds.Password !== password) return sendJson(res, 200, { Success: false, Message: 'Invalid user name or password' });
      logins++;
      const auth = randomBytes(24).toString('hex').toUpperCase();
      sessions.add(auth);
      res.setHeader('Set-Cookie', [`ASP.NET_SessionId=${randomBytes(12).toString('hex')}; path=/; HttpOnly; SameSite=Lax`, `.ASPXAUTH=${auth}; path=/; HttpOnly`]);
      return sendJson(res, 200, { Success: true, Message: null });
    }
    const auth = cookieOf(req.headers.cookie as string | undefined, '.ASPXAUTH');
    const authed = auth !== undefined && sessions.has(auth);
    if (path === '/uniformwebapi/api/logout' && req.method === 'POST') {
      if (auth) sessions.delete(auth);
      res.setHeader('Set-Cookie', '.ASPXAUTH=; expires=Mon, 11-Oct-1999 23:00:00 GMT; path=/; HttpOnly');
      return sendJson(res, 200, { Success: true });
    }
    if (!authed) {
      const back = encodeURIComponent(`${req.path}${Object.keys(req.query).length ? `?${new URLSearchParams(req.query)}` : ''}`);
      res.writeHead(302, { Location: `/uniformwebapi/login.aspx?ReturnUrl=${back}`, 'Content-Type': 'text/html; charset=utf-8' });
      return void res.end(`<html><head><title>Object moved</title></head><body><h2>Object moved to <a href="/uniformwebapi/login.aspx?ReturnUrl=${back}">here</a>.</h2></body></html>`);
    }
    if (path !== '/uniformwebapi/api/servicerequests') return sendJson(res, 404, { Message: `No HTTP resource was found that matches the request URI '${req.path}'.` });
    let since = -Infinity;
    if (req.query.changedSince) {
      const dt = DateTime.fromISO(req.query.changedSince, { zone: ZONE });
      if (!dt.isValid) return sendJson(res, 400, { Message: `The value '${req.query.changedSince}' is not valid for changedSince.` });
      since = dt.toMillis();
    }
    const pageNumber = Math.max(1, Number(req.query.pageNumber ?? 1) || 1);
    const pageSize = Math.min(50, Number(req.query.pageSize ?? 25) || 25);
    const list = data.filter((r) => r.changed >= since).sort((a, b) => a.changed - b.changed);
    const page = list.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map((r) => ({
      Keyval: r.Keyval,
      ReferenceValue: r.ReferenceValue,
      RequestType: r.RequestType,
      RequestTypeDescription: r.RequestTypeDescription,
      StatusCode: r.StatusCode,
      StatusDescription: r.StatusDescription,
      DateReceived: local(r.received, 'dd/MM/yyyy HH:mm'),
      DateLastChanged: local(r.changed, "yyyy-MM-dd'T'HH:mm:ss"),
      UPRN: r.UPRN,
      Address: r.Address,
      Postcode: r.Postcode,
      Details: r.Details,
      Complainant: { Name: r.ComplainantName, Phone: r.ComplainantPhone },
    }));
    sendJson(res, 200, { ServiceRequests: page, TotalCount: list.length, PageNumber: pageNumber });
  });

  return {
    url: server.url,
    server,
    requests: data,
    sessions,
    expireSessions: () => sessions.clear(),
    logins: () => logins,
    update(reference, changes, at) {
      const r = data.find((x) => x.ReferenceValue === reference);
      if (!r) throw new Error(`no request ${reference}`);
      Object.assign(r, changes, { changed: Date.parse(at) });
    },
    close: () => server.close(),
  };
}
