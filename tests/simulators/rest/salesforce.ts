/**
 * Salesforce Service Cloud as councils use it for customer cases: the REST API with SOQL, behind
 * the OAuth2 client credentials flow on the org's own My Domain host.
 *   POST /services/oauth2/token                          → { access_token, instance_url, … } (no expires_in)
 *   GET  /services/data/v59.0/query?q=SELECT … FROM Case WHERE LastModifiedDate > … ORDER BY LastModifiedDate
 *     → { totalSize, done, nextRecordsUrl?, records: [{ attributes: { type, url }, … }] }
 *   GET  /services/data/v59.0/query/<locator>-<offset>   (the nextRecordsUrl, relative)
 * Quirks modelled:
 *  - SOQL is parsed for real: dateTime literals bare, strings in single quotes with backslash
 *    escapes; a syntax error is 400 [{ message, errorCode: "MALFORMED_QUERY" }];
 *  - the token response has no expires_in: the session lasts as the org's policy says, and an
 *    expired one answers 401 [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }];
 *  - LastModifiedDate is written 2025-11-03T09:00:00.000+0000 (offset without a colon);
 *  - batch size comes from the Sforce-Query-Options header (200–2000) — the simulator's own
 *    `batchSize` stands in for small tests; every record carries `attributes`;
 *  - Web-to-Case personal fields (SuppliedEmail, SuppliedPhone) ride along.
 */
import { randomBytes } from 'node:crypto';
import { createTokenIssuer, type TokenIssuer } from './oauth2-token.js';
import { sendJson, startSimServer, type SimServer } from './kit.js';

export interface SfCase {
  Id: string;
  CaseNumber: string;
  Subject: string;
  Status: string;
  Priority: string;
  Origin: string;
  Type: string;
  CreatedDate: number;
  LastModifiedDate: number;
  ClosedDate: number | null;
  IsClosed: boolean;
  UPRN__c: string;
  Postcode__c: string;
  Service_Area__c: string;
  Ward__c: string;
  SuppliedEmail: string;
  SuppliedPhone: string;
}

const STATUSES = ['New', 'Working', 'Escalated', 'On Hold', 'Closed'];
const AREAS = ['Noise', 'Pest Control', 'Abandoned Vehicle', 'Dog Fouling'];

const sfTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

export function generateSfCases(count: number, base = '2025-11-03T09:00:00Z'): SfCase[] {
  return Array.from({ length: count }, (_, i) => {
    const status = STATUSES[i % STATUSES.length]!;
    const modified = Date.parse(base) + i * 4 * 60_000 + 123;
    return {
      Id: `500Hn00001${String(i).padStart(5, '0')}AAA`.slice(0, 18),
      CaseNumber: String(1026 + i).padStart(8, '0'),
      Subject: `${AREAS[i % AREAS.length]} complaint`,
      Status: status,
      Priority: ['High', 'Medium', 'Low'][i % 3]!,
      Origin: ['Web', 'Phone', 'Email'][i % 3]!,
      Type: AREAS[i % AREAS.length]!,
      CreatedDate: Date.parse(base) - 2 * 86_400_000 + i * 60_000,
      LastModifiedDate: modified,
      ClosedDate: status === 'Closed' ? modified : null,
      IsClosed: status === 'Closed',
      UPRN__c: String(10033544614 + i),
      Postcode__c: ['BS1 5TR', 'BS2 0JA', 'BS3 4LY'][i % 3]!,
      Service_Area__c: AREAS[i % AREAS.length]!,
      Ward__c: i === 2 ? "St George's & Hanham" : i % 2 ? 'Lawrence Hill' : 'Bedminster',
      SuppliedEmail: `caller${i}@example.org`,
      SuppliedPhone: `0117 922 ${String(2000 + i)}`,
    };
  });
}

type Literal = string | number | boolean | null | { dateTime: number };
interface Soql {
  fields: string[];
  object: string;
  where: { field: string; op: string; value: Literal }[];
  orderBy?: string;
}

/** Enough of SOQL for a changes query: SELECT list FROM object [WHERE a op lit AND …] [ORDER BY f [ASC]] [LIMIT n]. */
export function parseSoql(q: string): Soql {
  const tokens: { t: 'word' | 'lit' | 'op' | 'comma'; v: Literal; at: number }[] = [];
  let i = 0;
  const fail = (at: number, what: string) => {
    throw new Error(`\n${q.slice(Math.max(0, at - 20), at + 20)}\n${' '.repeat(Math.min(20, at))}^\nERROR at Row:1:Column:${at + 1}\n${what}`);
  };
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let out = '';
      let j = i + 1;
      for (;;) {
        if (j >= q.length) fail(i, 'line 1:' + i + ' mismatched character \'<EOF>\' expecting \'\'\'');
        const d = q[j]!;
        if (d === '\\') {
          const e = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\' }[q[j + 1]!];
          if (e === undefined) fail(j, `Invalid string literal: illegal escape sequence \\${q[j + 1]}`);
          out += e;
          j += 2;
          continue;
        }
        if (d === "'") break;
        out += d;
        j++;
      }
      tokens.push({ t: 'lit', v: out, at: i });
      i = j + 1;
      continue;
    }
    const dt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})/.exec(q.slice(i));
    if (dt) {
      tokens.push({ t: 'lit', v: { dateTime: Date.parse(dt[0]) }, at: i });
      i += dt[0].length;
      continue;
    }
    const op = /^(!=|<=|>=|=|<|>)/.exec(q.slice(i));
    if (op) {
      tokens.push({ t: 'op', v: op[0], at: i });
      i += op[0].length;
      continue;
    }
    if (c === ',') {
      tokens.push({ t: 'comma', v: ',', at: i++ });
      continue;
    }
    const w = /^[A-Za-z_][A-Za-z0-9_.]*|^-?\d+(\.\d+)?/.exec(q.slice(i));
    if (!w) fail(i, `unexpected token: '${c}'`);
    const word = w![0];
    tokens.push(/^-?\d/.test(word) ? { t: 'lit', v: Number(word), at: i } : /^(true|false|null)$/i.test(word) ? { t: 'lit', v: word.toLowerCase() === 'null' ? null : word.toLowerCase() === 'true', at: i } : { t: 'word', v: word, at: i });
    i += word.length;
  }
  let k = 0;
  const kw = (name: string) => tokens[k]?.t === 'word' && String(tokens[k]!.v).toUpperCase() === name;
  const expectKw = (name: string) => {
    if (!kw(name)) fail(tokens[k]?.at ?? q.length, `unexpected token: '${String(tokens[k]?.v ?? '<EOF>')}'`);
    k++;
  };
  expectKw('SELECT');
  const fields: string[] = [];
  for (;;) {
    const f = tokens[k];
    if (f?.t !== 'word') fail(f?.at ?? q.length, 'unexpected token');
    fields.push(String(f!.v));
    k++;
    if (tokens[k]?.t !== 'comma') break;
    k++;
  }
  expectKw('FROM');
  const object = String(tokens[k++]?.v ?? '');
  const where: Soql['where'] = [];
  if (kw('WHERE')) {
    k++;
    for (;;) {
      const [f, o, l] = [tokens[k], tokens[k + 1], tokens[k + 2]];
      if (f?.t !== 'word' || o?.t !== 'op' || l?.t !== 'lit') fail(f?.at ?? q.length, `unexpected token: '${String(l?.v ?? f?.v ?? '<EOF>')}'`);
      where.push({ field: String(f!.v), op: String(o!.v), value: l!.v });
      k += 3;
      if (!kw('AND')) break;
      k++;
    }
  }
  let orderBy: string | undefined;
  if (kw('ORDER')) {
    k++;
    expectKw('BY');
    orderBy = String(tokens[k++]?.v);
    if (kw('ASC')) k++;
  }
  if (kw('LIMIT')) k += 2;
  if (k < tokens.length) fail(tokens[k]!.at, `unexpected token: '${String(tokens[k]!.v)}'`);
  return { fields, object, where, orderBy };
}

export interface SalesforceSimulator {
  url: string;
  server: SimServer;
  tokens: TokenIssuer;
  cases: SfCase[];
  /** Requests to the query endpoints, parsed. */
  queries(): { status?: number; locator?: string; soql?: string; authorization?: string }[];
  update(caseNumber: string, changes: Partial<SfCase>, at: string): void;
  close(): Promise<void>;
}

export async function startSalesforceSimulator(opts: { cases?: number; batchSize?: number; clientId?: string; clientSecret?: string; /** Time of the generated data (default 2025-11-03T09:00:00Z). */ baseTime?: string } = {}): Promise<SalesforceSimulator> {
  const cases = generateSfCases(opts.cases ?? 11, opts.baseTime);
  const tokens = createTokenIssuer({ flavour: 'salesforce', clients: { [opts.clientId ?? '3MVG9casebridge.Connected.App']: opts.clientSecret ?? 'F3C0A5E1D2B4sf-secret' } });
  const locators = new Map<string, { rows: SfCase[]; fields: string[] }>();
  const defaultBatch = opts.batchSize ?? 2000;
  const V = '/services/data/v59.0';

  const render = (c: SfCase, fields: string[]) => {
    const out: Record<string, unknown> = { attributes: { type: 'Case', url: `${V}/sobjects/Case/${c.Id}` } };
    for (const f of fields) {
      const v = (c as unknown as Record<string, unknown>)[f];
      out[f] = (f.endsWith('Date') && typeof v === 'number') ? sfTime(v) : v ?? null;
    }
    return out;
  };
  const page = (res: Parameters<typeof sendJson>[0], locator: string, offset: number, batch: number) => {
    const l = locators.get(locator)!;
    const slice = l.rows.slice(offset, offset + batch);
    const done = offset + batch >= l.rows.length;
    sendJson(res, 200, { totalSize: l.rows.length, done, ...(done ? {} : { nextRecordsUrl: `${V}/query/${locator}-${offset + batch}` }), records: slice.map((c) => render(c, l.fields)) });
  };

  const server = await startSimServer((req, res) => {
    if (req.path === '/services/oauth2/token') return tokens.handle(req, res);
    if (!tokens.accepts(req.headers.authorization as string | undefined)) return sendJson(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    const header = String(req.headers['sforce-query-options'] ?? '');
    const asked = Number(/batchSize=(\d+)/.exec(header)?.[1] ?? NaN);
    const batch = opts.batchSize ?? (Number.isFinite(asked) ? Math.min(2000, Math.max(200, asked)) : defaultBatch);
    if (req.path === `${V}/query` || req.path === `${V}/query/`) {
      let soql: Soql;
      try {
        soql = parseSoql(req.query.q ?? '');
      } catch (err) {
        return sendJson(res, 400, [{ message: (err as Error).message, errorCode: 'MALFORMED_QUERY' }]);
      }
      if (soql.object !== 'Case') return sendJson(res, 400, [{ message: `sObject type '${soql.object}' is not supported.`, errorCode: 'INVALID_TYPE' }]);
      const unknown = [...soql.fields, ...soql.where.map((w) => w.field)].find((f) => !(f in cases[0]!));
      if (unknown) return sendJson(res, 400, [{ message: `No such column '${unknown}' on entity 'Case'.`, errorCode: 'INVALID_FIELD' }]);
      const rows = cases
        .filter((c) =>
          soql.where.every(({ field, op, value }) => {
            const v = (c as unknown as Record<string, unknown>)[field];
            const [a, b] = value !== null && typeof value === 'object' ? [v as number, value.dateTime] : [v, value];
            return op === '=' ? a === b : op === '!=' ? a !== b : op === '>' ? (a as number) > (b as number) : op === '>=' ? (a as number) >= (b as number) : op === '<' ? (a as number) < (b as number) : (a as number) <= (b as number);
          }),
        )
        .sort((a, b) => (soql.orderBy === 'LastModifiedDate' ? a.LastModifiedDate - b.LastModifiedDate : a.Id.localeCompare(b.Id)));
      const locator = `01gHn0000${randomBytes(5).toString('hex').toUpperCase()}`;
      locators.set(locator, { rows, fields: soql.fields });
      return page(res, locator, 0, batch);
    }
    const more = new RegExp(`^${V}/query/(\\w+)-(\\d+)$`).exec(req.path);
    if (more && locators.has(more[1]!)) return page(res, more[1]!, Number(more[2]), batch);
    if (more) return sendJson(res, 400, [{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]);
    return sendJson(res, 404, [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
  });

  return {
    url: server.url,
    server,
    tokens,
    cases,
    queries: () =>
      server.requests
        .filter((r) => r.path.startsWith(`${V}/query`))
        .map((r) => ({ status: r.status, ...(r.query.q ? { soql: r.query.q } : { locator: r.path.split('/').pop() }), authorization: r.headers.authorization as string | undefined })),
    update(caseNumber, changes, at) {
      const c = cases.find((x) => x.CaseNumber === caseNumber);
      if (!c) throw new Error(`no case ${caseNumber}`);
      Object.assign(c, changes, { LastModifiedDate: Date.parse(at) });
      if (c.Status === 'Closed') Object.assign(c, { IsClosed: true, ClosedDate: c.LastModifiedDate });
    },
    close: () => server.close(),
  };
}
