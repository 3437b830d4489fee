/**
 * Microsoft Dynamics 365 Customer Service as councils run it for their CRM: the Dataverse Web API
 * (OData v4) behind Microsoft Entra ID client credentials.
 *   POST {login}/{tenant}/oauth2/v2.0/token       (a separate host, as login.microsoftonline.com is)
 *   GET  /api/data/v9.2/incidents?$select&$filter&$orderby   Prefer: odata.maxpagesize=N
 *     → { "@odata.context", value: [...], "@odata.nextLink" }
 * Quirks modelled:
 *  - the next link is absolute and carries the query plus a $skiptoken holding an XML paging cookie;
 *  - $filter is parsed for real (OData literals: 'it''s' strings, bare date-times); a syntax error
 *    answers 400 with { error: { code: "0x80060888", message } };
 *  - option-set fields are integers (statuscode, statecode, prioritycode) with their labels only as
 *    `statuscode@OData.Community.Display.V1.FormattedValue` annotations, when asked for;
 *  - lookups are `_customerid_value` GUIDs; each row carries "@odata.etag";
 *  - an expired or unknown token answers 401 with an empty body and a WWW-Authenticate header;
 *  - without $orderby rows come in GUID order, not by modifiedon.
 */
import { randomUUID } from 'node:crypto';
import { createTokenIssuer, type TokenIssuer } from './oauth2-token.js';
import { sendJson, startSimServer, type SimServer } from './kit.js';

export interface Incident {
  incidentid: string;
  ticketnumber: string;
  title: string;
  description: string;
  statuscode: number;
  statecode: number;
  prioritycode: number;
  createdon: string;
  modifiedon: string;
  new_uprn: string;
  new_postcode: string;
  new_servicearea: string;
  new_contractor: string;
  emailaddress: string;
}

const STATUS: Record<number, [string, number]> = {
  1: ['In Progress', 0],
  2: ['On Hold', 0],
  3: ['Waiting for Details', 0],
  5: ['Problem Solved', 1],
  6: ['Cancelled', 2],
};
const AREAS = ['Fly-tipping', 'Potholes', 'Street lighting', 'Graffiti', 'Missed bin'];

export function generateIncidents(count: number, base = '2025-11-03T09:00:00Z'): Incident[] {
  const codes = [1, 2, 3, 5, 6];
  return Array.from({ length: count }, (_, i) => {
    const statuscode = codes[i % codes.length]!;
    return {
      incidentid: randomUUID(),
      ticketnumber: `CAS-${String(10200 + i).padStart(5, '0')}-K${(i * 7919).toString(36).toUpperCase().padStart(4, '0').slice(-4)}`,
      title: `${AREAS[i % AREAS.length]} reported`,
      description: `Reported via the council website (${i})`,
      statuscode,
      statecode: STATUS[statuscode]![1],
      prioritycode: 1 + (i % 3),
      createdon: new Date(Date.parse(base) - 3 * 86_400_000 + i * 60_000).toISOString().replace('.000Z', 'Z'),
      modifiedon: new Date(Date.parse(base) + i * 5 * 60_000).toISOString().replace('.000Z', 'Z'),
      new_uprn: String(100023336956 + i),
      new_postcode: ['SW1A 2AA', 'N1 9GU', 'E1 6AN', 'SE1 7PB'][i % 4]!,
      new_servicearea: AREAS[i % AREAS.length]!,
      new_contractor: i === 3 ? "O'Brien & Sons #1 Ltd" : i % 2 ? 'Veolia' : 'Biffa',
      emailaddress: `resident${i}@example.org`,
    };
  });
}

export interface Dynamics365Simulator {
  url: string;
  loginUrl: string;
  tenant: string;
  tokenUrl: string;
  api: SimServer;
  login: SimServer;
  tokens: TokenIssuer;
  incidents: Incident[];
  /** Change an incident, as an agent would; modifiedon moves to `at`. */
  update(ticket: string, changes: Partial<Incident>, at: string): void;
  close(): Promise<void>;
}

type Cond = { field: string; op: string; value: string | number | boolean | null };

/** Just enough of OData $filter: `field op literal` joined by `and`. */
export function parseODataFilter(text: string): Cond[] {
  const tokens: { kind: 'ident' | 'lit'; v: string | number | boolean | null; at: number }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ') {
      i++;
      continue;
    }
    if (c === "'") {
      let out = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new Error(`Syntax error: unterminated string literal at position ${i} in '${text}'.`);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            out += "'";
            j += 2;
            continue;
          }
          break;
        }
        out += text[j++];
      }
      tokens.push({ kind: 'lit', v: out, at: i });
      i = j + 1;
      continue;
    }
    const dt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})/.exec(text.slice(i));
    if (dt) {
      tokens.push({ kind: 'lit', v: new Date(dt[0]).toISOString(), at: i });
      i += dt[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*|^-?\d+(\.\d+)?/.exec(text.slice(i));
    if (!word) throw new Error(`Syntax error at position ${i} in '${text}'.`);
    const w = word[0];
    if (/^-?\d/.test(w)) tokens.push({ kind: 'lit', v: Number(w), at: i });
    else if (w === 'true' || w === 'false') tokens.push({ kind: 'lit', v: w === 'true', at: i });
    else if (w === 'null') tokens.push({ kind: 'lit', v: null, at: i });
    else tokens.push({ kind: 'ident', v: w, at: i });
    i += w.length;
  }
  const conds: Cond[] = [];
  for (let k = 0; k < tokens.length; ) {
    const [f, op, lit] = [tokens[k], tokens[k + 1], tokens[k + 2]];
    if (!f || f.kind !== 'ident' || !op || op.kind !== 'ident' || !['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(String(op.v)) || !lit || lit.kind !== 'lit') {
      throw new Error(`Syntax error at position ${f?.at ?? text.length} in '${text}'.`);
    }
    conds.push({ field: String(f.v), op: String(op.v), value: lit.v });
    k += 3;
    if (k < tokens.length) {
      if (tokens[k]!.kind !== 'ident' || tokens[k]!.v !== 'and') throw new Error(`Syntax error at position ${tokens[k]!.at} in '${text}'.`);
      k++;
      if (k >= tokens.length) throw new Error(`Syntax error: expression expected at position ${text.length} in '${text}'.`);
    }
  }
  return conds;
}

export function matches(row: Record<string, unknown>, conds: Cond[]): boolean {
  return conds.every(({ field, op, value }) => {
    const v = row[field];
    const [a, b] = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && typeof v === 'string' ? [Date.parse(v), Date.parse(value)] : [v, value];
    switch (op) {
      case 'eq':
        return a === b;
      case 'ne':
        return a !== b;
      case 'gt':
        return (a as number) > (b as number);
      case 'ge':
        return (a as number) >= (b as number);
      case 'lt':
        return (a as number) < (b as number);
      default:
        return (a as number) <= (b as number);
    }
  });
}

export async function startDynamics365Simulator(opts: { incidents?: number; clientId?: string; clientSecret?: string; tenant?: string; /** Time of the generated data (default 2025-11-03T09:00:00Z). */ baseTime?: string } = {}): Promise<Dynamics365Simulator> {
  const incidents = generateIncidents(opts.incidents ?? 12, opts.baseTime);
  const tenant = opts.tenant ?? 'c0a8b1e2-0000-4c5d-9e8f-council00001';
  let api: SimServer | undefined;
  const tokensRef: { issuer?: TokenIssuer } = {};
  const login = await startSimServer((req, res) => {
    if (req.path !== `/${tenant}/oauth2/v2.0/token`) return sendJson(res, 404, { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant not found.` });
    tokensRef.issuer!.handle(req, res);
  });
  api = await startSimServer((req, res, url) => {
    if (!tokensRef.issuer!.accepts(req.headers.authorization as string | undefined)) {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer error=invalid_token, error_description="Error identified in Payload provided by the user. Correlation Id=${randomUUID()}", authorization_uri=${login.url}/${tenant}/oauth2/authorize, resource_id=${api!.url}/` });
      return void res.end();
    }
    if (req.path !== '/api/data/v9.2/incidents') return sendJson(res, 404, { error: { code: '0x80060888', message: `Resource not found for the segment '${req.path.split('/').pop()}'.` } });
    let conds: Cond[] = [];
    try {
      conds = req.query.$filter !== undefined ? parseODataFilter(req.query.$filter) : [];
    } catch (err) {
      return sendJson(res, 400, { error: { code: '0x80060888', message: (err as Error).message } });
    }
    const prefer = String(req.headers.prefer ?? '');
    const pageSize = Math.min(5000, Number(/odata\.maxpagesize=(\d+)/.exec(prefer)?.[1] ?? 5000));
    const annotate = /include-annotations="[^"]*(FormattedValue|\*)/.test(prefer);
    let rows = incidents.filter((r) => matches(r as unknown as Record<string, unknown>, conds));
    rows = req.query.$orderby === 'modifiedon asc' ? rows.sort((a, b) => Date.parse(a.modifiedon) - Date.parse(b.modifiedon) || a.incidentid.localeCompare(b.incidentid)) : rows.sort((a, b) => a.incidentid.localeCompare(b.incidentid));
    const skip = /pagenumber="(\d+)"/.exec(req.query.$skiptoken ?? '');
    const page = skip ? Number(skip[1]) : 1;
    const slice = rows.slice((page - 1) * pageSize, page * pageSize);
    const select = req.query.$select ? req.query.$select.split(',') : undefined;
    const value = slice.map((r) => {
      const out: Record<string, unknown> = { '@odata.etag': `W/"${Date.parse(r.modifiedon) / 1000}"` };
      for (const [k, v] of Object.entries(r)) if (!select || select.includes(k) || k === 'incidentid') out[k] = v;
      if (annotate && out.statuscode !== undefined) out['statuscode@OData.Community.Display.V1.FormattedValue'] = STATUS[r.statuscode]![0];
      return out;
    });
    const body: Record<string, unknown> = { '@odata.context': `${api!.url}/api/data/v9.2/$metadata#incidents`, value };
    if (page * pageSize < rows.length) {
      const next = new URL(`${api!.url}${req.path}`);
      for (const [k, v] of Object.entries(req.query)) if (k !== '$skiptoken') next.searchParams.set(k, v);
      const last = slice[slice.length - 1]!;
      next.searchParams.set('$skiptoken', `<cookie pagenumber="${page + 1}" pagingcookie="%253ccookie%2520page%253d%2522${page}%2522%253e%253cincidentid%2520last%253d%2522%257b${last.incidentid.toUpperCase()}%257d%2522%253e" istracking="False" />`);
      body['@odata.nextLink'] = next.href;
    }
    sendJson(res, 200, body, { 'OData-Version': '4.0', ...(pageSize < 5000 ? { 'Preference-Applied': `odata.maxpagesize=${pageSize}` } : {}) });
  });
  tokensRef.issuer = createTokenIssuer({ flavour: 'entra', clients: { [opts.clientId ?? 'casebridge-app']: opts.clientSecret ?? 'd365~secret.Value_123' }, scope: `${api.url}/.default` });
  return {
    url: api.url,
    loginUrl: login.url,
    tenant,
    tokenUrl: `${login.url}/${tenant}/oauth2/v2.0/token`,
    api,
    login,
    tokens: tokensRef.issuer,
    incidents,
    update(ticket, changes, at) {
      const r = incidents.find((x) => x.ticketnumber === ticket);
      if (!r) throw new Error(`no incident ${ticket}`);
      Object.assign(r, changes, { modifiedon: at });
      if (changes.statuscode !== undefined) r.statecode = STATUS[changes.statuscode]![1];
    },
    close: async () => {
      await api!.close();
      await login.close();
    },
  };
}
