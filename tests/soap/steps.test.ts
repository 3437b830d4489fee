/** The SOAP source's steps alone, with a fake transport or session: calls, session, details, list pages, windows. */
import { describe, expect, it } from 'vitest';
import { ConfigError, SourceError } from '../../src/core/errors.js';
import { fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { DetailCall, ErrorRules, ListCall, Paging } from '../../src/connectors/soap/config.js';
import { checkPlaceholders, type PreparedCall } from '../../src/connectors/soap/calls.js';
import { createSession, type SoapSession } from '../../src/connectors/soap/session.js';
import { createRecordsForPage, compareKeys, detailRecords, skippable } from '../../src/connectors/soap/details.js';
import { countAt, isLastPage, listPages, pagingVars, type ListPage } from '../../src/connectors/soap/list-pages.js';
import { firstStart, nextWindow } from '../../src/connectors/soap/window.js';
import { MissingTemplateValue, type TemplateVars } from '../../src/connectors/soap/template.js';
import type { SoapTransport } from '../../src/connectors/soap/transport.js';
import { allowedHosts } from '../../src/connectors/soap/connection.js';

const call = (operation: string): PreparedCall => ({ kind: 'list', request: { operation, args: {}, timeoutMs: 1000 }, times: { zone: 'UTC', format: 'iso' } });

describe('soap calls', () => {
  it('allows only the placeholders a call can be given, and a token only with a session', () => {
    expect([...checkPlaceholders('list', { Since: '{{since}}', P: '{{page}}' }, new Set(['since', 'page']), false, 'c')]).toEqual(['since', 'page']);
    expect(() => checkPlaceholders('list', { Since: '{{since}}' }, new Set(['page']), false, 'c')).toThrow(/\{\{since\}\} cannot be used in list \(allowed there: \{\{page\}\}\)/);
    expect(() => checkPlaceholders('detail', { T: '{{token}}' }, new Set(['token']), false, 'c')).toThrow(/no session/);
    expect(() => checkPlaceholders('session', { X: '{{ref}}' }, new Set(), true, 'c')).toThrow(/no placeholders/);
  });
});

describe('soap session', () => {
  function fakeTransport(answers: Record<string, Array<unknown | Error>>) {
    const calls: Array<{ op: string; vars: TemplateVars }> = [];
    const transport: SoapTransport = {
      async prepare() {},
      close() {},
      async invoke(req, vars) {
        calls.push({ op: req.operation, vars });
        const next = answers[req.operation]!.shift();
        if (next instanceof Error) throw next;
        return next;
      },
    };
    return { transport, calls };
  }
  const rules = ErrorRules.parse({ code: 'R.Code', sessionExpired: ['99'] });
  const make = (transport: SoapTransport, clock = fixedClock('2025-01-01T00:00:00Z'), ttlMs?: number) =>
    createSession({ login: { call: call('Login'), tokenPath: 'R.Token', ttlMs }, transport: () => transport, rules, baseContext: { connector: 'c' }, timeoutMs: 1000, maxResponseBytes: 1e6, clock, logger: silentLogger() });

  it('logs in once for calls in flight together, and passes the token', async () => {
    const { transport, calls } = fakeTransport({ Login: [{ R: { Token: 't1' } }], List: [{ R: {} }, { R: {} }] });
    const s = make(transport);
    const signal = new AbortController().signal;
    await Promise.all([s.invoke(call('List'), {}, signal, {}), s.invoke(call('List'), {}, signal, {})]);
    expect(calls.map((c) => `${c.op}:${c.vars['token'] ?? ''}`)).toEqual(['Login:', 'List:t1', 'List:t1']);
  });

  it('renews an expired token once and repeats the call; a second expiry fails', async () => {
    const { transport, calls } = fakeTransport({ Login: [{ R: { Token: 't1' } }, { R: { Token: 't2' } }, { R: { Token: 't3' } }], List: [{ R: { Code: '99' } }, { R: { Code: '0' } }, { R: { Code: '99' } }, { R: { Code: '99' } }] });
    const s = make(transport);
    const signal = new AbortController().signal;
    await expect(s.invoke(call('List'), {}, signal, {})).resolves.toEqual({ R: { Code: '0' } });
    expect(calls.map((c) => `${c.op}:${c.vars['token'] ?? ''}`)).toEqual(['Login:', 'List:t1', 'Login:', 'List:t2']);
    await expect(s.invoke(call('List'), {}, signal, {})).rejects.toMatchObject({ code: 'session_expired' });
  });

  it('logs in again once the token outlived its ttl', async () => {
    const clock = fixedClock('2025-01-01T00:00:00Z');
    const { transport, calls } = fakeTransport({ Login: [{ R: { Token: 't1' } }, { R: { Token: 't2' } }], List: [{}, {}] });
    const s = make(transport, clock, 60_000);
    const signal = new AbortController().signal;
    await s.invoke(call('List'), {}, signal, {});
    clock.advance(60_000);
    await s.invoke(call('List'), {}, signal, {});
    expect(calls.map((c) => `${c.op}:${c.vars['token'] ?? ''}`)).toEqual(['Login:', 'List:t1', 'Login:', 'List:t2']);
  });

  it('calls a login refused in the body, or one without a token, a credentials problem', async () => {
    const refused = make(fakeTransport({ Login: [{ R: { Code: '5' } }] }).transport);
    await expect(refused.invoke(call('List'), {}, new AbortController().signal, {})).rejects.toMatchObject({ code: 'auth', retriable: false, message: expect.stringContaining('login refused') });
    const tokenless = make(fakeTransport({ Login: [{ R: {} }] }).transport);
    await expect(tokenless.invoke(call('List'), {}, new AbortController().signal, {})).rejects.toMatchObject({ code: 'auth', message: 'login returned no token at R.Token' });
  });
});

/** A session answering each operation from a function of its variables. */
function fakeSession(answer: (op: string, vars: TemplateVars) => unknown): SoapSession & { asked: Array<[string, TemplateVars]> } {
  const asked: Array<[string, TemplateVars]> = [];
  return {
    asked,
    async invoke(c, vars) {
      asked.push([c.request.operation, vars]);
      const a = answer(c.request.operation, vars);
      if (a instanceof Error) throw a;
      return a;
    },
  };
}
const clock = fixedClock('2025-01-01T00:00:00Z');
const win = { since: new Date('2025-01-01T00:00:00Z'), until: new Date('2025-01-01T01:00:00Z') };

describe('soap details', () => {
  const list = ListCall.parse({ operation: 'List', records: 'Items.Item', key: 'Ref' });

  it('takes list items as records when there is no detail call; bare values are rejects', async () => {
    const forPage = createRecordsForPage({ list, session: fakeSession(() => ({})), baseContext: {}, clock });
    const out = await forPage([{ Ref: 'A' }, 'bare'], 2, win, new AbortController().signal);
    expect(out.records).toEqual([{ raw: { Ref: 'A' }, position: { operation: 'List', page: 2, key: 'A' }, fetchedAt: '2025-01-01T00:00:00.000Z' }]);
    expect(out.rejects).toEqual([expect.objectContaining({ original: 'bare', reason: expect.stringContaining('bare value') })]);
  });

  it('calls details once per reference, skips listed codes and rejects items without a reference', async () => {
    const detail = DetailCall.parse({ operation: 'Get', args: { Id: '{{ref}}' }, records: 'R.Row', skipCodes: ['404'], listAs: 'listed' });
    const session = fakeSession((_op, vars) =>
      vars['ref'] === 'GONE' ? new SourceError('not found', { code: 'supplier_error', context: { supplierCode: '404' } }) : { R: { Row: { Id: vars['ref'] } } },
    );
    const forPage = createRecordsForPage({ list, detail: { config: detail, call: call('Get') }, session, baseContext: {}, clock });
    const out = await forPage([{ Ref: 'A' }, { Ref: 'A' }, { Ref: 'GONE' }, { Other: 1 }], undefined, win, new AbortController().signal);
    expect(session.asked.map(([, v]) => v['ref'])).toEqual(['A', 'GONE']);
    expect(out.records).toEqual([{ raw: { Id: 'A', listed: { Ref: 'A' } }, position: { operation: 'Get', key: 'A' }, fetchedAt: '2025-01-01T00:00:00.000Z' }]);
    expect(out.rejects.map((r) => r.reason)).toEqual(['List item has no reference at Ref', 'Get for GONE: not found']);
  });

  it('fails the page on any other error, and rejects an item whose details lack a template value', async () => {
    const detail = DetailCall.parse({ operation: 'Get', records: 'R.Row' });
    const failing = createRecordsForPage({ list, detail: { config: detail, call: call('Get') }, session: fakeSession(() => new SourceError('down', { code: 'network', retriable: true })), baseContext: {}, clock });
    await expect(failing([{ Ref: 'A' }], 1, win, new AbortController().signal)).rejects.toMatchObject({ code: 'network' });
    const missing = createRecordsForPage({ list, detail: { config: detail, call: call('Get') }, session: fakeSession(() => new MissingTemplateValue('item.X')), baseContext: {}, clock });
    expect((await missing([{ Ref: 'A' }], 1, win, new AbortController().signal)).rejects[0]!.reason).toBe('Get arguments: no value for {{item.X}} in this List item');
  });

  it('orders detail rows (numbers by value, missing first) and keeps only the latest when asked', () => {
    const rows = { R: { Row: [{ n: '10' }, { n: '9' }, {}, 'bare'] } };
    expect(detailRecords(rows, { records: 'R.Row', orderBy: 'n', select: 'all' })).toEqual({ records: [{}, { n: '9' }, { n: '10' }], bare: true });
    expect(detailRecords(rows, { records: 'R.Row', orderBy: 'n', select: 'latest' }).records).toEqual([{ n: '10' }]);
    expect(compareKeys('b', 'a')).toBe(1);
  });

  it('never skips refused credentials, whatever the code', () => {
    expect(skippable(new SourceError('x', { code: 'auth', context: { supplierCode: '404' } }), ['404'])).toBe(false);
    expect(skippable(new SourceError('x', { code: 'soap_fault', context: { faultCode: 'soap:NotFound' } }), ['NotFound'])).toBe(true);
  });
});

describe('soap list pages', () => {
  const collect = async (it: AsyncIterable<ListPage>) => {
    const out: ListPage[] = [];
    for await (const p of it) out.push(p);
    return out;
  };
  const recordsForPage = async (items: unknown[]) => ({ records: items.map((raw) => ({ raw: raw as Record<string, unknown>, position: {}, fetchedAt: 'now' })), rejects: [] });
  const options = (paging: object | undefined, answer: (vars: TemplateVars) => unknown, scope: 'window' | 'listing' = 'window') => {
    const session = fakeSession((_op, vars) => answer(vars));
    const list = ListCall.parse({ operation: 'List', records: 'Items.Item', args: { P: '{{page}}' }, ...(paging ? { paging } : {}) });
    return { session, opts: { list, listCall: call('List'), session, recordsForPage, baseContext: {}, scope, vars: { since: 'S' }, window: win, start: { page: list.paging?.start, seen: 0 } } };
  };

  it('pages until a short page, with page, size and offset filled in', async () => {
    const { opts, session } = options({ pageSize: 2 }, (v) => ({ Items: { Item: v['page'] === 1 ? [{ a: 1 }, { a: 2 }] : [{ a: 3 }] } }));
    const pages = await collect(listPages(opts, new AbortController().signal));
    expect(pages.map((p) => [p.page, p.seen, p.last, p.records.length])).toEqual([[1, 2, false, 2], [2, 3, true, 1]]);
    expect(session.asked.map(([, v]) => v)).toEqual([{ since: 'S', page: 1, pageSize: 2, offset: 0 }, { since: 'S', page: 2, pageSize: 2, offset: 2 }]);
  });

  it('stops at the announced record total, and by page count only in a window', async () => {
    const answer = () => ({ Items: { Item: [{ a: 1 }] }, Total: '1', Pages: '1' });
    expect((await collect(listPages(options({ total: 'Total' }, answer).opts, new AbortController().signal))).map((p) => [p.total, p.last])).toEqual([[1, true]]);
    expect((await collect(listPages(options({ totalPages: 'Pages' }, answer).opts, new AbortController().signal))).map((p) => p.last)).toEqual([true]);
    const listing = options({ totalPages: 'Pages', maxPages: 3 }, answer, 'listing').opts;
    await expect(collect(listPages(listing, new AbortController().signal))).rejects.toMatchObject({ code: 'too_many_pages', message: expect.stringContaining('in one listing') });
  });

  it('reads one page without paging, and names the argument a template could not fill', async () => {
    const { opts } = options(undefined, () => ({ Items: { Item: [{ a: 1 }] } }));
    expect((await collect(listPages(opts, new AbortController().signal))).map((p) => [p.page, p.last])).toEqual([[undefined, true]]);
    const broken = options(undefined, () => new MissingTemplateValue('since')).opts;
    await expect(collect(listPages(broken, new AbortController().signal))).rejects.toThrow(ConfigError);
  });

  it('works out paging variables, the last page and supplier counts', () => {
    const paging = Paging.parse({ start: 0 });
    expect(pagingVars(paging, 3, 25)).toEqual({ page: 3, offset: 25 });
    expect(pagingVars(undefined, 3, 25)).toEqual({});
    expect(isLastPage(paging, { count: 5, seen: 5, page: 0 })).toBe(false);
    expect(isLastPage(paging, { count: 0, seen: 5, page: 1 })).toBe(true);
    expect(isLastPage(paging, { count: 5, seen: 10, page: 1, totalPages: 2 })).toBe(true);
    expect(countAt({ T: ' 12 ' }, 'T')).toBe(12);
    expect(countAt({ T: 'many' }, 'T')).toBeUndefined();
  });
});

describe('soap windows', () => {
  const now = new Date('2025-01-02T00:00:00Z');
  const rules = { start: '1d', maxSpanMs: 6 * 3600_000, lagMs: 30_000, overlapMs: 120_000, listUsesUntil: true, pagingStart: 1 };

  it('starts the first window at window.start and steps by maxSpan when the list is told the end', () => {
    expect(firstStart('2025-01-01T00:00:00+01:00', now).toISOString()).toBe('2024-12-31T23:00:00.000Z');
    expect(nextWindow(undefined, now, rules)).toEqual({ since: new Date('2025-01-01T00:00:00Z'), until: new Date('2025-01-01T06:00:00Z'), page: 1, seen: 0 });
    expect(nextWindow(undefined, now, { ...rules, listUsesUntil: false })!.until).toEqual(new Date('2025-01-01T23:59:30Z'));
  });

  it('continues an unfinished window after its last page, and overlaps the next one', () => {
    const cp = { windowStart: '2025-01-01T00:00:00.000Z', windowEnd: '2025-01-01T06:00:00.000Z', page: 3, seen: 30, complete: false };
    expect(nextWindow(cp, now, rules)).toEqual({ since: new Date(cp.windowStart), until: new Date(cp.windowEnd), page: 4, seen: 30 });
    expect(nextWindow({ ...cp, page: null }, now, rules)!.page).toBe(1);
    expect(nextWindow({ ...cp, complete: true }, now, rules)).toEqual({ since: new Date('2025-01-01T05:58:00Z'), until: new Date('2025-01-01T12:00:00Z'), page: 1, seen: 0 });
  });

  it('has caught up once the previous window reaches now minus lag', () => {
    const done = { windowStart: '2025-01-01T18:00:00.000Z', windowEnd: '2025-01-01T23:59:30.000Z', page: null, seen: 0, complete: true };
    expect(nextWindow(done, now, rules)).toBeUndefined();
  });
});

describe('soap connection', () => {
  it('allows the WSDL and endpoint hosts and the configured ones, nothing else', () => {
    expect([...allowedHosts({ allowHosts: ['extra.example:8443'], wsdl: 'https://wsdl.example/s?wsdl', endpoint: 'http://127.0.0.1:8080/svc' })]).toEqual(['extra.example:8443', 'wsdl.example', '127.0.0.1:8080']);
    expect([...allowedHosts({ allowHosts: [], wsdl: './local.wsdl', endpoint: undefined })]).toEqual([]);
  });
});
