/** The REST source's steps alone: paging, page items, the page loop (fake HTTP), window and setup. */
import { describe, expect, it } from 'vitest';
import { SourceError, ConfigError } from '../../src/core/errors.js';
import { fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { RestPagination, RestSince, type RestConnectorConfig } from '../../src/connectors/rest/config.js';
import type { JsonResponse } from '../../src/connectors/rest/http-client.js';
import { createPaging, morePages, type RunState } from '../../src/connectors/rest/paging.js';
import { readPageItems } from '../../src/connectors/rest/page-items.js';
import { pageLoop, cursorExpired, type FetchedPage } from '../../src/connectors/rest/page-loop.js';
import { positionAfterRun, restartRun, startRun } from '../../src/connectors/rest/run-state.js';
import { checkWindow, readCaFile } from '../../src/connectors/rest/setup.js';

const origin = 'http://127.0.0.1:9';
const run0: RunState = { since: '2025-07-01T08:00:00.000Z', until: '2025-07-01T09:00:00.000Z', pages: 0 };
const res = (body: unknown, headers: Record<string, string> = {}, url = `${origin}/api/cases`): JsonResponse => ({ status: 200, url: new URL(url), body, headers, bytes: 1 });

function paging(pagination: unknown, since?: unknown) {
  return createPaging({
    connector: 'c',
    origin,
    listingPath: '/api/cases',
    query: { fixed: 'yes' },
    since: since as never,
    pagination: RestPagination.parse(pagination),
    operation: 'GET /cases',
    display: (u) => u.toString(),
  });
}

describe('rest paging', () => {
  it('writes the window, fixed query and page into the first URL', () => {
    const p = paging({ style: 'page', sizeParam: 'size', size: 50 }, { param: 'from', untilParam: 'to', format: 'iso-utc', zone: 'UTC', initial: '1d', overlap: '0s' });
    const url = p.urlFor({ ...run0, page: 3 });
    expect(Object.fromEntries(url.searchParams)).toEqual({ fixed: 'yes', from: '2025-07-01T08:00:00Z', to: '2025-07-01T09:00:00Z', page: '3', size: '50' });
    expect(p.positionFor({ ...run0, page: 3 })).toEqual({ operation: 'GET /cases', page: 3 });
  });

  it('goes on by offset until the total, and ends on an empty page', () => {
    const p = paging({ style: 'offset', size: 2, totalPath: 'total' });
    expect(p.advance(run0, res({ total: 5 }), p.urlFor(run0), 2)).toMatchObject({ offset: 2, pages: 1 });
    expect(p.advance({ ...run0, offset: 4 }, res({ total: 5 }), p.urlFor(run0), 1)).toBeUndefined();
    expect(p.advance(run0, res({ total: 5 }), p.urlFor(run0), 0)).toBeUndefined();
  });

  it('follows a cursor and refuses one that repeats', () => {
    const p = paging({ style: 'cursor', path: 'next' });
    expect(p.advance(run0, res({ next: 'abc' }), p.urlFor(run0), 1)).toMatchObject({ cursor: 'abc', pages: 1 });
    expect(p.positionFor({ ...run0, cursor: 'abc' })).toEqual({ operation: 'GET /cases', cursor: 'abc' });
    expect(() => p.advance({ ...run0, cursor: 'abc' }, res({ next: 'abc' }), p.urlFor(run0), 1)).toThrow(expect.objectContaining({ code: 'cursor_loop' }));
  });

  it('follows next links on the same host only, and not to itself', () => {
    const p = paging({ style: 'next-link', from: 'link-header' });
    const url = p.urlFor(run0);
    const next = p.advance(run0, res({}, { link: '</api/cases?page=2>; rel="next"' }), url, 1);
    expect(next?.next).toBe('/api/cases?page=2');
    expect(p.urlFor(next!).toString()).toBe(`${origin}/api/cases?page=2`);
    expect(() => p.advance(run0, res({}, { link: '<http://elsewhere.example/x>; rel="next"' }), url, 1)).toThrow(expect.objectContaining({ code: 'foreign_host' }));
    expect(() => p.advance(run0, res({}, { link: `<${url.pathname}${url.search}>; rel="next"` }), url, 1)).toThrow(expect.objectContaining({ code: 'next_link_loop' }));
  });

  it('trusts a more flag, then a page total, then a full page', () => {
    const page = (extra: object) => RestPagination.parse({ style: 'page', size: 10, ...extra }) as Extract<RestPagination, { style: 'page' }>;
    expect(morePages(page({ hasMorePath: 'more' }), { more: 'true' }, run0, 1)).toBe(true);
    expect(morePages(page({ totalPagesPath: 'n' }), { n: 2 }, { ...run0, page: 2 }, 10)).toBe(false);
    expect(morePages(page({}), {}, run0, 10)).toBe(true);
    expect(morePages(page({}), {}, run0, 9)).toBe(false);
  });
});

describe('rest page items', () => {
  const position = { operation: 'GET /cases', page: 1 };
  it('rejects non-objects by index, drops repeats of the previous page, and tracks the newest update', () => {
    const previous = new Set([JSON.stringify({ id: 1, at: '2025-07-01T10:00:00Z' })]);
    const out = readPageItems([{ id: 1, at: '2025-07-01T10:00:00Z' }, 'junk', { id: 2, at: '2025-07-01T09:00:00Z' }, { id: 3, at: 'never' }], {
      recordsPath: 'items',
      position,
      fetchedAt: 'now',
      previousPage: previous,
      watermark: { field: 'at', format: 'iso', zone: 'UTC' },
      high: Date.parse('2025-07-01T08:00:00Z'),
    });
    expect(out.records.map((r) => r.raw['id'])).toEqual([2, 3]);
    expect(out.rejects).toEqual([{ reason: 'item 1 at "items" is a string, not a JSON object', original: 'junk', position }]);
    expect(out.repeats).toBe(1);
    // The repeated item is not counted again: 09:00 is the newest new update.
    expect(out.high).toBe(Date.parse('2025-07-01T09:00:00Z'));
    expect(out.thisPage.size).toBe(3);
  });
});

describe('rest page loop', () => {
  const pagination = RestPagination.parse({ style: 'cursor', path: 'next' });
  const p = paging({ style: 'cursor', path: 'next' });
  function options(answers: Array<JsonResponse | Error>, maxPages = 10) {
    const asked: string[] = [];
    return {
      asked,
      opts: {
        connector: 'c',
        operation: 'GET /cases',
        scope: 'run' as const,
        maxPages,
        pagination,
        paging: p,
        recordsPath: 'items',
        getJson: async (url: URL) => {
          asked.push(url.search);
          const a = answers.shift();
          if (!a) throw new Error('asked for more pages than the test has');
          if (a instanceof Error) throw a;
          return a;
        },
        recordsOf: (r: JsonResponse) => (r.body as { items: unknown[] }).items,
        clock: fixedClock('2025-07-01T09:00:00Z'),
        logger: silentLogger(),
        restartMessage: 'restart',
      },
    };
  }
  const collect = async (it: AsyncIterable<FetchedPage>) => {
    const out: FetchedPage[] = [];
    for await (const x of it) out.push(x);
    return out;
  };

  it('reads pages until the last and says what comes next on each', async () => {
    const { opts, asked } = options([res({ items: [{ a: 1 }], next: 'k1' }), res({ items: [{ a: 1 }, { a: 2 }] })]);
    const pages = await collect(pageLoop(run0, opts, new AbortController().signal));
    expect(asked).toEqual(['?fixed=yes', '?fixed=yes&cursor=k1']);
    expect(pages.map((x) => x.records.map((r) => r.raw['a']))).toEqual([[1], [2]]);
    expect(pages[0]!.next).toMatchObject({ cursor: 'k1', pages: 1 });
    expect(pages[1]!.next).toBeUndefined();
    expect(pages[1]!.repeats).toBe(1);
  });

  it('restarts from the first page when the cursor expired, at most twice', async () => {
    const gone = () => new SourceError('gone', { code: 'http_410', context: { status: 410 } });
    const { opts, asked } = options([res({ items: [{ a: 1 }], next: 'k1' }), gone(), res({ items: [{ a: 1 }], next: 'k1' }), gone(), res({ items: [], next: 'k1' }), gone()]);
    await expect(collect(pageLoop(run0, opts, new AbortController().signal))).rejects.toMatchObject({ code: 'http_410' });
    expect(asked).toEqual(['?fixed=yes', '?fixed=yes&cursor=k1', '?fixed=yes', '?fixed=yes&cursor=k1', '?fixed=yes', '?fixed=yes&cursor=k1']);
  });

  it('stops a listing longer than maxPages, and yields nothing once aborted', async () => {
    const { opts } = options([res({ items: [], next: 'k1' }), res({ items: [], next: 'k2' })], 1);
    await expect(collect(pageLoop(run0, opts, new AbortController().signal))).rejects.toMatchObject({ code: 'too_many_pages', message: expect.stringContaining('in one run') });
    const aborted = new AbortController();
    aborted.abort();
    expect(await collect(pageLoop(run0, options([]).opts, aborted.signal))).toEqual([]);
  });

  it('knows an expired cursor only on a page after the first, and restarts with the window kept', () => {
    const err = new SourceError('gone', { code: 'http_410', context: { status: 410 } });
    expect(cursorExpired(err, { ...run0, cursor: 'k' }, pagination)).toBe(true);
    expect(cursorExpired(err, run0, pagination)).toBe(false);
    expect(cursorExpired(new Error('x'), { ...run0, cursor: 'k' }, pagination)).toBe(false);
    expect(restartRun({ ...run0, pages: 4, cursor: 'k', high: '2025-07-01T08:30:00.000Z' })).toEqual({ ...run0, high: '2025-07-01T08:30:00.000Z' });
  });
});

describe('rest window and setup', () => {
  it('starts a run at the position minus the overlap and ends it at the newest update or the start time', () => {
    expect(startRun('2025-07-01T08:00:00.000Z', 60_000, new Date('2025-07-01T09:00:00Z'))).toEqual({ since: '2025-07-01T07:59:00.000Z', until: '2025-07-01T09:00:00.000Z', pages: 0 });
    const run = { ...run0, high: '2025-07-01T08:45:00.000Z' };
    expect(positionAfterRun('2025-07-01T08:00:00.000Z', run, true)).toBe('2025-07-01T08:45:00.000Z');
    expect(positionAfterRun('2025-07-01T08:50:00.000Z', run, true)).toBe('2025-07-01T08:50:00.000Z');
    expect(positionAfterRun('2025-07-01T08:00:00.000Z', run, false)).toBe(run0.until);
  });

  it('names the field of a bad window or an unreadable CA file', () => {
    // Only the window fields matter here.
    const config = (extra: { since?: object }) => ({ ...(extra.since ? { since: RestSince.parse(extra.since) } : {}) }) as RestConnectorConfig;
    expect(() => checkWindow(config({}), 'c', new Date())).toThrow(ConfigError);
    expect(() => checkWindow(config({ since: { param: 'from', initial: '1d', zone: 'Mars/Base' } }), 'c', new Date())).toThrow(expect.objectContaining({ context: expect.objectContaining({ field: 'since.zone' }) }));
    expect(() => checkWindow(config({ since: { param: 'from', initial: 'yesterday' } }), 'c', new Date())).toThrow(expect.objectContaining({ context: expect.objectContaining({ field: 'since.initial' }) }));
    expect(readCaFile(undefined, '/', 'c')).toBeUndefined();
    expect(() => readCaFile('missing-ca.pem', '/nonexistent-dir', 'c')).toThrow(/cannot read caFile \/nonexistent-dir\/missing-ca.pem: ENOENT/);
  });
});
