/**
 * Hostile and broken responses end in a bounded, clear SourceError that says whether waiting helps
 * — never a hang, an unbounded buffer, a request to another host, or a polluted prototype.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RestConnectorConfig } from '../../src/connectors/rest/config.js';
import { createRestSource } from '../../src/connectors/rest/create.js';
import type { Checkpoint, Source, SourceBatch } from '../../src/core/source.js';
import { systemClock } from '../../src/core/clock.js';
import { CasebridgeError, describeError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { startRepairsSimulator, type RepairsSimulator } from '../simulators/rest/housing-repairs.js';
import { openHarness, restConnector, type Harness } from './helpers.js';
import { committed } from '../helpers/outcome.js';

let sim: RepairsSimulator;
let elsewhere: { url: string; hits: number; close(): Promise<void> };
const sources: Source[] = [];
let h: Harness | undefined;

beforeEach(async () => {
  sim = await startRepairsSimulator({ cases: 12 });
  // Another host (another origin on 127.0.0.1) that must never be contacted.
  const hits = { n: 0 };
  const other = http.createServer((_req, res) => {
    hits.n++;
    res.end('{"data":[]}');
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  elsewhere = {
    url: `http://127.0.0.1:${(other.address() as AddressInfo).port}`,
    get hits() {
      return hits.n;
    },
    close: () => new Promise<void>((r) => other.close(() => r())),
  };
});
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close();
  await h?.gw.stop();
  h = undefined;
  await sim.close();
  await elsewhere.close();
});

function source(extra: Record<string, unknown> = {}): Source {
  const config = RestConnectorConfig.parse(restConnector(sim.url, extra));
  const s = createRestSource(config, { connector: 'repairs', clock: systemClock, logger: silentLogger(), state: openSqliteStateStore(':memory:').forConnector('repairs'), baseDir: '/' });
  sources.push(s);
  return s;
}

/** Read every batch (acking each, as the runtime would after publishing); the error if one is thrown. */
async function drain(s: Source, checkpoint?: Checkpoint): Promise<{ batches: SourceBatch[]; error?: CasebridgeError }> {
  const batches: SourceBatch[] = [];
  try {
    for await (const b of s.read({ checkpoint, signal: new AbortController().signal })) {
      batches.push(b);
      await b.ack(committed(b));
    }
    return { batches };
  } catch (err) {
    if (!(err instanceof CasebridgeError)) throw err;
    return { batches, error: err };
  }
}

describe('rest: hostile responses', () => {
  it('a 50 MB response stops at maxResponseBytes with a clear, non-retriable error', async () => {
    sim.inject({ fault: { kind: 'huge', bytes: 50 * 1024 * 1024 } });
    const { error, batches } = await drain(source({ maxResponseBytes: '2MB' }));
    expect(batches).toHaveLength(0);
    expect(error).toMatchObject({ code: 'response_too_large', retriable: false });
    expect(describeError(error)).toMatch(/larger than maxResponseBytes \(2097152 bytes\); lower the page size or raise maxResponseBytes .*connector=repairs/);
    // The download was abandoned, not read to the end and thrown away.
    expect(sim.stats.hugeBytesSent).toBeLessThan(20 * 1024 * 1024);
  });

  it('a gzip bomb is limited after decompression', async () => {
    sim.inject({ fault: { kind: 'huge', bytes: 50 * 1024 * 1024, gzip: true } });
    const { error } = await drain(source({ maxResponseBytes: '1MB' }));
    expect(error).toMatchObject({ code: 'response_too_large', retriable: false });
  });

  it('an endpoint that accepts the connection and never answers times out (retriable)', async () => {
    sim.inject({ fault: { kind: 'hang' } });
    const { error } = await drain(source({ timeout: '400ms' }));
    expect(error).toMatchObject({ code: 'timeout', retriable: true });
    expect(error!.message).toMatch(/no complete response from http:\/\/127\.0\.0\.1:\d+\/api\/v2\/cases\?.* within 400 ms/);
  });

  it('a redirect to another host is refused, and the other host never hears from us', async () => {
    sim.inject({ fault: { kind: 'redirect', location: `${elsewhere.url}/api/v2/cases` } });
    const refused = await drain(source());
    expect(refused.error).toMatchObject({ code: 'redirect_refused', retriable: false });
    expect(refused.error!.message).toContain(`another host (${elsewhere.url})`);

    sim.inject({ fault: { kind: 'redirect', location: `${elsewhere.url}/api/v2/cases`, status: 307 } });
    const sameHostOnly = await drain(source({ redirects: 'same-host' }));
    expect(sameHostOnly.error).toMatchObject({ code: 'redirect_refused' });
    expect(sameHostOnly.error!.message).toMatch(/requests go to http:\/\/127\.0\.0\.1:\d+ only/);
    expect(elsewhere.hits).toBe(0);
  });

  it('a redirect on the same host is followed only when allowed', async () => {
    sim.inject({ fault: { kind: 'redirect', location: '/api/v2/cases?updatedSince=2025-11-01T00:00:00Z&limit=50' } });
    const followed = await drain(source({ redirects: 'same-host', pagination: { style: 'none' } }));
    expect(followed.error).toBeUndefined();
    expect(followed.batches.flatMap((b) => b.records)).toHaveLength(12);
  });

  it('a next link pointing at another host is an error, and nothing is requested there', async () => {
    sim.inject({ fault: { kind: 'body', body: JSON.stringify({ value: [sim.render(sim.cases[0]!)], links: { next: `${elsewhere.url}/api/v2/work-orders?after=1` } }) } });
    const { error, batches } = await drain(source({ path: '/api/v2/work-orders', records: 'value', pagination: { style: 'next-link', path: 'links.next' } }));
    expect(error).toMatchObject({ code: 'foreign_host', retriable: false });
    expect(error!.message).toContain(`points to another host (${elsewhere.url})`);
    expect(batches).toHaveLength(0);
    expect(elsewhere.hits).toBe(0);
  });

  it('__proto__ and constructor keys do not pollute anything, end to end through the gateway', async () => {
    const hostile =
      '{"data":[{"repairReference":"HR-25-999001","__proto__":{"polluted":"yes","status":{"code":"COMPLETED"}},' +
      '"constructor":{"prototype":{"polluted":"yes"}},"status":{"code":"LOGGED","__proto__":{"polluted":"yes"}},' +
      '"tradeCode":"PLMB","lastModified":"2025-11-03T09:00:00Z","property":{"uprn":"5300000001"}}],"meta":{"nextCursor":null}}';
    sim.inject({ path: '/api/v2/cases', fault: { kind: 'body', body: hostile }, times: 2 });
    const direct = await drain(source());
    const raw = direct.batches[0]!.records[0]!.raw as Record<string, unknown>;
    expect(Object.getPrototypeOf(raw)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(raw, '__proto__')).toBe(false);
    expect(raw.constructor).toEqual({ prototype: { polluted: 'yes' } });
    expect((raw.status as Record<string, unknown>).code).toBe('LOGGED');

    h = await openHarness(restConnector(sim.url));
    // The first injected body was used by drain() above; the second reaches the gateway's run.
    sim.inject({ path: '/api/v2/cases', fault: { kind: 'body', body: hostile } });
    const [summary] = await h.gw.runAllOnce({ retry: false });
    expect(summary).toMatchObject({ status: 'ok', published: 1 });
    const ev = h.publisher.events[0]!.event;
    expect(ev.data.case.reference).toBe('HR-25-999001');
    expect(ev.data.case.status.lifecycle).toBe('received');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});

describe('rest: HTTP failures say whether waiting helps', () => {
  it('429 with a short Retry-After is retried in the run', async () => {
    sim.inject({ fault: { kind: 'status', status: 429, retryAfter: '1', body: '{"error":"rate_limited"}' } });
    const { error, batches } = await drain(source());
    expect(error).toBeUndefined();
    expect(batches.flatMap((b) => b.records)).toHaveLength(12);
    expect(sim.requests.slice(0, 2).map((r) => r.status)).toEqual([429, 200]);
  });

  it('503 with a long Retry-After is left to the connector backoff, with the wait in the error', async () => {
    sim.inject({ fault: { kind: 'status', status: 503, retryAfter: '3600' } });
    const { error } = await drain(source());
    expect(error).toMatchObject({ code: 'http_503', retriable: true, context: { status: 503, retryAfterMs: 3_600_000 } });
  });

  it('500 and connection refusals are retriable; 404 is not, and says what the server said', async () => {
    sim.inject({ fault: { kind: 'status', status: 500, body: '{"error":"database unavailable"}' } });
    expect((await drain(source())).error).toMatchObject({ code: 'http_500', retriable: true });

    sim.inject({ fault: { kind: 'status', status: 404, body: '{"error":"no such endpoint"}' } });
    const notFound = (await drain(source())).error!;
    expect(notFound).toMatchObject({ code: 'http_404', retriable: false });
    expect(notFound.message).toContain('no such endpoint');

    const refused = (await drain(source({ baseUrl: elsewhere.url.replace(/:\d+$/, ':1') }))).error!;
    expect(refused).toMatchObject({ code: 'network', retriable: true });
    expect(refused.message).toContain('ECONNREFUSED');
  });

  it('an HTML login page, invalid JSON and a wrong records path are clear, non-retriable errors', async () => {
    sim.inject({ fault: { kind: 'body', contentType: 'text/html', body: '<html><title>Sign in</title></html>' } });
    const html = (await drain(source())).error!;
    expect(html).toMatchObject({ code: 'not_json', retriable: false });
    expect(html.message).toContain('text/html where JSON was expected: <html><title>Sign in</title></html>');

    sim.inject({ fault: { kind: 'body', body: '{"data":[{"repairReference":"HR-1",}]}' } });
    expect((await drain(source())).error).toMatchObject({ code: 'bad_json', retriable: false });

    const wrongPath = (await drain(source({ records: 'cases' }))).error!;
    expect(wrongPath).toMatchObject({ code: 'records_missing', retriable: false });
    expect(wrongPath.message).toContain('no array of records at "cases" in the response');
    expect(wrongPath.message).toContain('an object with keys data, meta');
  });

  it('non-object items become rejects with their position, the rest are read', async () => {
    sim.inject({ fault: { kind: 'body', body: JSON.stringify({ data: [sim.render(sim.cases[0]!), 'HR-25-000001', null], meta: { nextCursor: null } }) } });
    const { batches } = await drain(source());
    expect(batches[0]!.records).toHaveLength(1);
    expect(batches[0]!.rejects).toEqual([
      { reason: 'item 1 at "data" is a string, not a JSON object', original: 'HR-25-000001', position: { operation: 'GET /api/v2/cases', page: 1 } },
      { reason: 'item 2 at "data" is null, not a JSON object', original: null, position: { operation: 'GET /api/v2/cases', page: 1 } },
    ]);
  });
});
