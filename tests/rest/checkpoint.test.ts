/**
 * The one rule for REST polling: the position moves only after the runtime has published, and a
 * restart picks up exactly where the last commit left off — mid-run on the next page, or after a
 * finished run from the newest update seen.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { describeError, isRetriable, PublishError } from '../../src/core/errors.js';
import { memoryPublisher, type MemoryPublisher } from '../helpers/memory-publisher.js';
import { startRepairsSimulator, type RepairsSimulator } from '../simulators/rest/housing-repairs.js';
import { openHarness, restConnector, tempDir, type Harness } from './helpers.js';

let sim: RepairsSimulator;
const harnesses: Harness[] = [];
beforeEach(async () => {
  sim = await startRepairsSimulator({ cases: 25 });
});
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.gw.stop();
  await sim.close();
});

async function open(connector: Record<string, unknown>, opts: Parameters<typeof openHarness>[1] = {}) {
  const h = await openHarness(connector, opts);
  harnesses.push(h);
  return h;
}

/** A publisher whose n-th publish call fails (not retriable, so the run stops there). */
function failingOn(n: number): MemoryPublisher {
  const p = memoryPublisher();
  const publish = p.publish.bind(p);
  let calls = 0;
  p.publish = async (events) => {
    if (++calls === n) throw new PublishError('broker unavailable (test)', { retriable: false, code: 'test' });
    return publish(events);
  };
  return p;
}

const listing = (since = '2025-11-01T00:00:00Z') => sim.requests.filter((r) => r.path === '/api/v2/cases' && r.query.updatedSince === since);

describe('rest checkpoints', () => {
  it('commits nothing while a batch is being published, then the page position', async () => {
    const publisher = memoryPublisher();
    const gate = publisher.hold();
    let entered!: () => void;
    const inPublish = new Promise<void>((r) => (entered = r));
    const publish = publisher.publish.bind(publisher);
    publisher.publish = (events) => {
      entered();
      return publish(events);
    };
    const h = await open(restConnector(sim.url), { publisher });
    const run = h.gw.runAllOnce({ retry: false });
    await inPublish;
    // The first page is read and waiting on the publisher: nothing may be committed yet.
    expect(await h.checkpoint()).toBeUndefined();
    expect(publisher.events).toHaveLength(0);
    gate.release();
    const [summary] = await run;
    expect(summary).toMatchObject({ status: 'ok', published: 25 });
    // Source-side de-duplication: the repeated first item of each cursor page was read once only.
    expect(summary!.read).toBe(25);
    expect(listing().filter((r) => r.query.cursor)).toHaveLength(2);
  });

  it('a publish failure mid-run keeps the last published page; a restart resumes on the next page', async () => {
    const dir = tempDir();
    const first = await open(restConnector(sim.url), { dir, publisher: failingOn(2) });
    const [s1] = await first.gw.runAllOnce({ retry: false });
    expect(s1).toMatchObject({ status: 'failed', published: 10 });
    const cp = (await first.checkpoint()) as { since: string; run: { cursor: string; pages: number; high: string } };
    expect(cp.since).toBe('2025-11-01T00:00:00.000Z');
    expect(cp.run.pages).toBe(1);
    expect(typeof cp.run.cursor).toBe('string');
    expect(cp.run.high).toBe(new Date(sim.cases[9]!.lastModified).toISOString());
    await first.gw.stop();

    const before = sim.requests.length;
    const second = await open(restConnector(sim.url), { dir });
    const [s2] = await second.gw.runAllOnce({ retry: false });
    expect(s2).toMatchObject({ status: 'ok', published: 15 });
    // The resumed run asked for the page after the committed one, not the first page again.
    const resumed = sim.requests.slice(before).filter((r) => r.query.updatedSince === '2025-11-01T00:00:00Z');
    expect(resumed[0]!.query.cursor).toBe(cp.run.cursor);
    const refs = new Set([...first.publisher.events, ...second.publisher.events].map((e) => e.event.subject));
    expect(refs.size).toBe(25);
    expect(await second.checkpoint()).toEqual({ since: new Date(sim.cases[24]!.lastModified).toISOString() });
  });

  it('an expired cursor in the checkpoint restarts the listing from the committed position', async () => {
    const dir = tempDir();
    const first = await open(restConnector(sim.url), { dir, publisher: failingOn(2) });
    await first.gw.runAllOnce({ retry: false });
    await first.gw.stop();
    sim.expireCursors();

    const before = sim.requests.length;
    const second = await open(restConnector(sim.url), { dir });
    const [s2] = await second.gw.runAllOnce({ retry: false });
    expect(s2).toMatchObject({ status: 'ok', published: 15 });
    // The first page is read again, but its cases are already known: skipped, not re-published.
    expect(s2!.skipped).toBe(10);
    const calls = sim.requests.slice(before).filter((r) => r.query.updatedSince === '2025-11-01T00:00:00Z');
    expect(calls.map((r) => [r.query.cursor ? 'cursor' : 'start', r.status])).toEqual([
      ['cursor', 410],
      ['start', 200],
      ['cursor', 200],
      ['cursor', 200],
    ]);
    expect(await second.checkpoint()).toEqual({ since: new Date(sim.cases[24]!.lastModified).toISOString() });
  });

  it('after a finished run, a restart asks only for changes since the newest update seen', async () => {
    const dir = tempDir();
    const first = await open(restConnector(sim.url), { dir });
    await first.gw.runAllOnce({ retry: false });
    const committed = (await first.checkpoint()) as { since: string };
    await first.gw.stop();

    sim.update('HR-25-004100', { status: 'COMPLETED' }, '2025-11-06T10:15:00Z');
    sim.update('HR-25-004103', { status: 'ONHOLD' }, '2025-11-06T10:20:00Z');
    const second = await open(restConnector(sim.url), { dir });
    const [s2] = await second.gw.runAllOnce({ retry: false });
    expect(listing(committed.since.replace('.000Z', 'Z'))).toHaveLength(1);
    expect(s2).toMatchObject({ status: 'ok', published: 2 });
    const byRef = second.byRef();
    expect(byRef.get('HR-25-004100')!.data.change).toMatchObject({ kind: 'status_changed' });
    expect(byRef.get('HR-25-004100')!.data.case.status.lifecycle).toBe('resolved');
    expect(byRef.get('HR-25-004103')!.data.case.status.lifecycle).toBe('on_hold');
    expect(await second.checkpoint()).toEqual({ since: '2025-11-06T10:20:00.000Z' });
  });

  it('without a watermark the position is the run start, written in the configured format and zone, with the overlap', async () => {
    const clock = fixedClock('2025-11-30T10:00:00Z');
    const connector = restConnector(sim.url, {
      path: '/api/v2/repairs',
      records: 'results',
      pagination: { style: 'page', sizeParam: 'pageSize', size: 10 },
      since: { param: 'updatedSince', format: 'iso-local', zone: 'Europe/London', initial: '2025-11-01T00:00:00Z', overlap: '5m', untilParam: 'updatedBefore' },
    });
    const dir = tempDir();
    const first = await open(connector, { dir, clock });
    const [s1] = await first.gw.runAllOnce({ retry: false });
    expect(s1).toMatchObject({ status: 'ok', published: 25 });
    expect(await first.checkpoint()).toEqual({ since: '2025-11-30T10:00:00.000Z' });
    await first.gw.stop();

    clock.set('2025-11-30T10:05:00Z');
    const before = sim.requests.length;
    const second = await open(connector, { dir, clock });
    await second.gw.runAllOnce({ retry: false });
    const q = sim.requests.slice(before).map((r) => r.query);
    // UK local time, no offset (GMT in November), five minutes of overlap, and the fixed upper bound.
    expect(q).toContainEqual(expect.objectContaining({ updatedSince: '2025-11-30T09:55:00', updatedBefore: '2025-11-30T10:05:00', page: '1' }));
    expect(await second.checkpoint()).toEqual({ since: '2025-11-30T10:05:00.000Z' });
  });
});

describe('rest: a supplier that is down', () => {
  it('does not stop the gateway starting; the run backs off and succeeds once the supplier is back', async () => {
    // The start-up check and the first two runs meet a 503 without Retry-After.
    sim.inject({ path: '/api/v2/cases', fault: { kind: 'status', status: 503, body: '{"error":"maintenance"}' }, times: 3 });
    const h = await open(restConnector(sim.url));
    await h.gw.open();
    const [summary] = await h.gw.runAllOnce({ retry: true });
    expect(summary).toMatchObject({ status: 'ok', published: 25 });
    expect(sim.requests.slice(0, 4).map((r) => r.status)).toEqual([503, 503, 503, 200]);
  });
});

describe('rest auth', () => {
  it('sends a bearer token from ${env:…} and stops with a clear, non-retriable error when it is refused', async () => {
    await sim.close();
    sim = await startRepairsSimulator({ cases: 3, token: 'tok-9f2c41' });
    const ok = await open(restConnector(sim.url, { auth: { type: 'bearer', token: '${env:REPAIRS_TOKEN}' } }), { env: { REPAIRS_TOKEN: 'tok-9f2c41' } });
    const [s1] = await ok.gw.runAllOnce({ retry: false });
    expect(s1).toMatchObject({ status: 'ok', published: 3 });
    expect(sim.requests.every((r) => r.authorization === 'Bearer tok-9f2c41')).toBe(true);

    // The start-up check already meets the refusal: it stops this connector (only) before any run.
    const bad = await open(restConnector(sim.url, { auth: { type: 'bearer', token: '${env:REPAIRS_TOKEN}' } }), { env: { REPAIRS_TOKEN: 'wrong-token' } });
    await bad.gw.open();
    const runner = bad.gw.runners.get('repairs')!;
    expect(runner.status).toBe('failed');
    const err = runner.lastFailure;
    expect(isRetriable(err)).toBe(false);
    expect(describeError(err)).toMatch(/answered 401 .*invalid_token.*connector=repairs operation=GET \/api\/v2\/cases/);
    expect(describeError(err)).not.toContain('wrong-token');
  });

  it('never shows an API key sent as a query parameter in errors', async () => {
    const h = await open(restConnector(sim.url, { path: '/api/v2/nowhere', auth: { type: 'api-key', in: 'query', name: 'apiKey', value: 'key-77aa91' } }));
    sim.inject({ fault: { kind: 'status', status: 404 } });
    await h.gw.open();
    const err = h.gw.runners.get('repairs')!.lastError;
    expect(String(err)).toMatch(/404/);
    expect(String(err)).not.toContain('key-77aa91');
    expect(sim.requests[0]!.query.apiKey).toBe('key-77aa91');
  });
});
