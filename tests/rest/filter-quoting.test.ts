/**
 * Values rendered into OData, SOQL and JSON cannot break out of their literal: each hostile value
 * read back by a tokenizer of that language is one string token equal to the value, and the query
 * string carries exactly the parameters configured.
 */
import { describe, expect, it } from 'vitest';
import { odataLiteral, renderExpression, renderJson, setQueryParam, soqlLiteral } from '../../src/connectors/rest/query/dialects.js';
import { createRequestBuilder } from '../../src/connectors/rest/query/request.js';
import { RestConnectorConfig } from '../../src/connectors/rest/config.js';

const HOSTILE = [
  "O'Brien & Sons",
  "'; DELETE FROM Case; --",
  "' or 1 eq 1 or 'x' eq '",
  '%27) or (1=1',
  'a#fragment?x=1&y=2',
  'back\\slash\\\' and \\"quotes"',
  'new\nline\r\ttab',
  'emoji 🚮🗑️ and RTL عربي עברית',
  '{{since}}',
  '',
  "''''",
  '+plus+ and %20',
];

/** Read one OData string literal starting at `i`: the value and the index after it. */
function readOdataString(text: string, i: number): { value: string; end: number } {
  expect(text[i]).toBe("'");
  let out = '';
  let j = i + 1;
  for (;;) {
    if (j >= text.length) throw new Error('unterminated OData string');
    if (text[j] === "'") {
      if (text[j + 1] === "'") {
        out += "'";
        j += 2;
        continue;
      }
      return { value: out, end: j + 1 };
    }
    out += text[j++];
  }
}

const SOQL_UNESCAPE: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\' };
function readSoqlString(text: string, i: number): { value: string; end: number } {
  expect(text[i]).toBe("'");
  let out = '';
  let j = i + 1;
  for (;;) {
    if (j >= text.length) throw new Error('unterminated SOQL string');
    const c = text[j]!;
    if (c === '\\') {
      const e = SOQL_UNESCAPE[text[j + 1]!];
      if (e === undefined) throw new Error(`bad SOQL escape \\${text[j + 1]}`);
      out += e;
      j += 2;
      continue;
    }
    if (c === "'") return { value: out, end: j + 1 };
    // SOQL has no raw control characters inside literals.
    expect(c === '\n' || c === '\r').toBe(false);
    out += c;
    j++;
  }
}

describe('filter literals', () => {
  it.each(HOSTILE)('OData string %j reads back as exactly one literal', (v) => {
    const lit = odataLiteral(v);
    const { value, end } = readOdataString(lit, 0);
    expect(value).toBe(v);
    expect(end).toBe(lit.length);
  });

  it.each(HOSTILE)('SOQL string %j reads back as exactly one literal', (v) => {
    const lit = soqlLiteral(v);
    const { value, end } = readSoqlString(lit, 0);
    expect(value).toBe(v);
    expect(end).toBe(lit.length);
  });

  it('date-times are bare in both dialects; SOQL drops fractional seconds, OData keeps them', () => {
    expect(odataLiteral({ dateTime: '2025-01-01T00:00:00Z' })).toBe('2025-01-01T00:00:00Z');
    expect(odataLiteral({ dateTime: '2025-01-01T00:00:00.123+01:00' })).toBe('2025-01-01T00:00:00.123+01:00');
    expect(soqlLiteral({ dateTime: '2025-01-01T00:00:00.999Z' })).toBe('2025-01-01T00:00:00Z');
    expect(soqlLiteral({ dateTime: '2025-06-01T09:30+01:00' })).toBe('2025-06-01T09:30:00+01:00');
    // A since-format that is not an ISO date-time (a Luxon pattern) is quoted as a string, never pasted in.
    expect(odataLiteral({ dateTime: "01/06/2025 09:30' or '1" })).toBe("'01/06/2025 09:30'' or ''1'");
    expect(soqlLiteral({ dateTime: "x' OR Id != '" })).toBe("'x\\' OR Id != \\''");
    expect(soqlLiteral(12)).toBe('12');
    expect(soqlLiteral(true)).toBe('true');
    expect(() => odataLiteral(Number.NaN)).toThrow(/cannot be written/);
  });

  it.each(HOSTILE)('an expression with %j sits in one query parameter, whole', (v) => {
    const values = { since: { dateTime: '2025-01-01T00:00:00Z' }, owner: v };
    for (const [dialect, param, expr] of [
      ['odata', '$filter', 'modifiedon gt {{since}} and ownername eq {{owner}}'],
      ['soql', 'q', 'SELECT Id FROM Case WHERE LastModifiedDate > {{since}} AND Account.Name = {{owner}}'],
    ] as const) {
      const rendered = renderExpression(expr, dialect, values);
      const url = new URL('https://org.example.com/api/data/v9.2/incidents?$select=title');
      setQueryParam(url, param, rendered);
      expect([...url.searchParams.keys()]).toEqual(['$select', param]);
      expect(url.hash).toBe('');
      expect(url.searchParams.get(param)).toBe(rendered);
      expect(url.search).not.toMatch(/[ +#]/);
      const at = rendered.indexOf(dialect === 'odata' ? 'ownername eq ' : 'Account.Name = ') + (dialect === 'odata' ? 13 : 15);
      const read = (dialect === 'odata' ? readOdataString : readSoqlString)(rendered, at);
      expect(read.value).toBe(v);
      expect(read.end).toBe(rendered.length);
    }
  });

  it('the since-value lands unquoted where the expression puts it', () => {
    const url = new URL('https://x.example/api/data/v9.2/incidents');
    setQueryParam(url, '$filter', renderExpression('modifiedon gt {{since}}', 'odata', { since: { dateTime: '2025-01-01T00:00:00+01:00' } }));
    expect(url.search).toBe('?%24filter=modifiedon%20gt%202025-01-01T00%3A00%3A00%2B01%3A00');
    expect(url.searchParams.get('$filter')).toBe('modifiedon gt 2025-01-01T00:00:00+01:00');
  });
});

describe('JSON body templates', () => {
  it.each(HOSTILE)('%j goes in as a JSON string value, never as JSON text', (v) => {
    const body = renderJson({ filter: { owner: '{{owner}}', note: 'owner is {{owner}}!' }, since: '{{since}}', page: '{{page}}' }, { owner: v, since: { dateTime: '2025-01-01T00:00:00Z' }, page: 3 });
    const text = JSON.stringify(body);
    const back = JSON.parse(text);
    expect(back).toEqual({ filter: { owner: v, note: `owner is ${v}!` }, since: '2025-01-01T00:00:00Z', page: 3 });
    expect(Object.keys(back)).toEqual(['filter', 'since', 'page']);
  });

  it('a "__proto__" key in a template stays a plain key', () => {
    const out = renderJson(JSON.parse('{"__proto__":{"polluted":"{{x}}"}}'), { x: 'yes' }) as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":"yes"}}');
  });
});

describe('request builder and config', () => {
  const base = {
    name: 'd365',
    type: 'rest',
    council: 'E09000019',
    baseUrl: 'https://org.crm11.dynamics.com',
    path: '/api/data/v9.2/incidents',
    records: 'value',
    system: { supplier: 'Microsoft', product: 'Dynamics 365 Customer Service' },
    mapping: { reference: 'ticketnumber', status: { code: 'statuscode', lookup: 's' }, lookups: { s: { entries: { '1': { status: 'received' } } } } },
  };

  it('renders the filter into its parameter on the first page and leaves next links alone', () => {
    const config = RestConnectorConfig.parse({
      ...base,
      since: { initial: '2025-01-01T00:00:00Z' },
      values: { team: "O'Brien & Sons" },
      filter: { dialect: 'odata', expression: 'modifiedon gt {{since}} and owningteamname eq {{team}}' },
      pagination: { style: 'next-link', path: '["@odata.nextLink"]' },
    });
    const build = createRequestBuilder(config);
    const first = build(new URL('https://org.crm11.dynamics.com/api/data/v9.2/incidents'), { since: '2025-01-01T00:00:00Z' });
    expect(first.method).toBe('GET');
    expect(first.url.searchParams.get('$filter')).toBe("modifiedon gt 2025-01-01T00:00:00Z and owningteamname eq 'O''Brien & Sons'");
    const next = build(new URL('https://org.crm11.dynamics.com/api/data/v9.2/incidents?$skiptoken=abc'), { since: '2025-01-01T00:00:00Z', nextLink: true });
    expect(next.url.searchParams.has('$filter')).toBe(false);
  });

  it('refuses unknown placeholders, a body without POST, and a since with nowhere to go', () => {
    const r = RestConnectorConfig.safeParse({
      ...base,
      since: { initial: '2025-01-01T00:00:00Z' },
      filter: { dialect: 'soql', expression: 'SELECT Id FROM Case WHERE LastModifiedDate > {{sinse}}' },
      body: { a: 1 },
    });
    expect(r.success).toBe(false);
    const messages = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^filter\.expression: unknown placeholder \{\{sinse\}\}; expected one of \{\{since\}\}/));
    expect(messages).toContain('body: a request `body` needs `method: POST`');
    expect(messages).toContainEqual(expect.stringMatching(/^since\.param: say where the since-value goes/));
  });
});
