/**
 * The open311 connector against a real HTTP GeoReport v2 simulator, through a real gateway
 * (built-in mapping, SQLite state, in-memory publisher): windows, full answers split, the 90-day
 * limit, duplicates across windows, updates of older requests, updated_datetime missing, XML-only
 * servers, a refused api_key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { CaseEvent } from '../../src/event/case-event.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { memoryPublisher, type MemoryPublisher } from '../helpers/memory-publisher.js';
import { Open311Simulator, type Open311SimulatorOptions } from '../simulators/open311/server.js';
import { runCliAsync } from '../presets/helpers.js';

const BRISTOL = { gss: 'E06000023', name: 'Bristol City Council' };
const DAY = 86_400_000;
const daysAgo = (d: number) => new Date(Date.now() - d * DAY);

const open: { sim: Open311Simulator; gw?: Gateway }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.gw?.stop?.();
    await o.sim.stop();
  }
});

async function setup(simOpts: Open311SimulatorOptions, connector: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) {
  const sim = new Open311Simulator(simOpts);
  const url = await sim.start();
  const entry: { sim: Open311Simulator; gw?: Gateway } = { sim };
  open.push(entry);
  const dir = mkdtempSync(join(tmpdir(), 'cb-open311-'));
  const publisher = memoryPublisher();
  const text = stringify({
    version: 1,
    councils: [BRISTOL],
    state: { path: join(dir, 'state.sqlite') },
    shutdownGrace: '2s',
    connectors: [{ name: 'fixmystreet', type: 'open311', council: BRISTOL.gss, system: { supplier: 'FixMyStreet', product: 'Open311' }, retry: { initial: '10ms', max: '50ms' }, endpoint: url, timeout: '20s', window: { start: '20d', lag: '0s', overlap: '5m' }, ...connector }],
  });
  const loaded = parseConfigText(text, 'test.yaml', dir, env);
  const state = openSqliteStateStore(join(dir, 'state.sqlite'));
  const gw = await createGateway({ loaded, publisher, stateStore: state, logger: silentLogger(), http: false });
  entry.gw = gw;
  const run = async () => (await gw.runAllOnce({ retry: false }))[0]!;
  return { sim, gw, publisher, run, checkpoint: () => state.forConnector('fixmystreet').checkpoint() };
}

function events(p: MemoryPublisher): CaseEvent[] {
  return p.events.map((e) => CaseEvent.parse(e.event));
}

describe('open311 source', () => {
  it('maps GeoReport fields to contract-valid events without a hand-written mapping', { timeout: 120_000 }, async () => {
    const { sim, publisher, run, checkpoint } = await setup({});
    const a = sim.add({ at: daysAgo(3), expected_datetime: daysAgo(-4).toISOString(), media_url: 'https://photos.example.org/p/1.jpeg' });
    const b = sim.add({ at: daysAgo(2), service_code: 'FLY', service_name: 'Fly-tipping', status: 'closed', status_notes: 'Cleared by the street team' });
    const summary = await run();
    expect(summary.status, summary.error).toBe('ok');
    const evs = events(publisher);
    expect(evs.map((e) => e.subject).sort()).toEqual([a.service_request_id, b.service_request_id].sort());
    const ea = evs.find((e) => e.subject === a.service_request_id)!;
    expect(ea.data.case.status).toMatchObject({ lifecycle: 'received', code: 'open' });
    expect(ea.data.case.service).toMatchObject({ code: 'POT', name: 'Pothole', category: 'Highways' });
    expect(ea.data.case.dueAt).toBeDefined();
    expect(ea.data.case.media?.[0]?.url).toBe('https://photos.example.org/p/1.jpeg');
    expect(ea.data.location).toMatchObject({ latitude: 51.4545, longitude: -2.5879, postcode: 'BS1 5TR', address: '4 Example Street, Bristol' });
    const eb = evs.find((e) => e.subject === b.service_request_id)!;
    expect(eb.type).toContain('closed');
    expect(eb.data.case.status.lifecycle).toBe('closed');
    expect(eb.data.case.publicNotes?.[0]?.text).toBe('Cleared by the street team');
    expect(eb.data.case.closedAt).toBeDefined();
    // The resident's own words (and the name and phone in them) are not published.
    expect(JSON.stringify(evs)).not.toContain('Pat Resident');
    expect((await checkpoint())?.since).toMatch(/Z$/);

    // Nothing new: the next run (overlapping the last window) publishes nothing.
    const again = await run();
    expect(again.published).toBe(0);
  });

  it('splits a window whose answer is full (maxResults) until every request is read', { timeout: 120_000 }, async () => {
    const { sim, publisher, run } = await setup({ maxResults: 4 }, { maxResults: 4 });
    const ids = Array.from({ length: 13 }, (_, i) => sim.add({ at: new Date(Date.now() - (10 * DAY - i * 3_600_000)) }).service_request_id);
    const summary = await run();
    expect(summary.status, summary.error).toBe('ok');
    expect(new Set(events(publisher).map((e) => e.subject))).toEqual(new Set(ids));
    // More than one call: the first answer was cut at 4.
    expect(sim.calls.filter((c) => c.path.endsWith('/requests.json') && c.query.start_date).length).toBeGreaterThan(3);
  });

  it('keeps every window within the server\'s 90-day limit', { timeout: 120_000 }, async () => {
    const { sim, publisher, run } = await setup({ maxRangeDays: 90 }, { window: { start: '200d', lag: '0s' } });
    const old = sim.add({ at: daysAgo(150) });
    const recent = sim.add({ at: daysAgo(5) });
    const summary = await run();
    expect(summary.status, summary.error).toBe('ok');
    expect(events(publisher).map((e) => e.subject).sort()).toEqual([old.service_request_id, recent.service_request_id].sort());
    const windows = sim.calls.filter((c) => c.path.endsWith('/requests.json') && c.query.start_date);
    expect(windows.length).toBeGreaterThanOrEqual(3);
    for (const w of windows) expect(Date.parse(w.query.end_date!) - Date.parse(w.query.start_date!)).toBeLessThanOrEqual(90 * DAY);
  });

  it('publishes a request on a window boundary once, though both windows return it', { timeout: 120_000 }, async () => {
    const first = new Date(Math.floor((Date.now() - 2.5 * DAY) / 1000) * 1000);
    const boundary = new Date(first.getTime() + DAY);
    const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const { sim, publisher, run } = await setup({}, { window: { start: iso(first), maxSpan: '1d', lag: '0s' } });
    // Exactly on the boundary of the first and second one-day windows: the server's inclusive ends return it twice.
    const r = sim.add({ at: boundary });
    const summary = await run();
    expect(summary.status, summary.error).toBe('ok');
    const answered = sim.calls.filter((c) => c.path.endsWith('/requests.json') && (c.query.end_date === iso(boundary) || c.query.start_date === iso(boundary)));
    expect(answered).toHaveLength(2);
    expect(events(publisher).filter((e) => e.subject === r.service_request_id)).toHaveLength(1);
  });

  it('reads status changes of older requests from servicerequestupdates, in order', { timeout: 120_000 }, async () => {
    const { sim, publisher, run } = await setup({}, { window: { start: '2d', lag: '0s', overlap: '1m' } });
    const old = sim.add({ at: daysAgo(40) }); // outside every window: only its updates say it changed
    sim.update(old.service_request_id, 'INVESTIGATING', daysAgo(1), 'An inspector will visit this week');
    sim.update(old.service_request_id, 'FIXED', new Date(Date.now() - 3_600_000), 'Repaired');
    const summary = await run();
    expect(summary.status, summary.error).toBe('ok');
    const evs = events(publisher).filter((e) => e.subject === old.service_request_id);
    expect(evs.map((e) => e.data.case.status.lifecycle)).toEqual(['in_progress', 'resolved']);
    expect(evs[1]!.data.case.publicNotes?.[0]?.text).toBe('Repaired');
    expect(sim.calls.some((c) => c.query.service_request_id === old.service_request_id)).toBe(true);
  });

  it('goes on without servicerequestupdates when the server does not offer it, and without updated_datetime', { timeout: 120_000 }, async () => {
    const { sim, publisher, run } = await setup({ updates: false });
    const r = sim.add({ at: daysAgo(1), omitUpdated: true });
    const summary = await run();
    expect(summary.status, summary.error).toBe('ok');
    const [e] = events(publisher);
    expect(e?.subject).toBe(r.service_request_id);
    expect(e?.data.provenance.updatedAtSource).toBeDefined();
    expect(e?.data.provenance.updatedAtSource).not.toBe('supplier');
  });

  it('reads an XML-only server with format: xml', { timeout: 120_000 }, async () => {
    const { sim, publisher, run } = await setup({ xmlOnly: true }, { format: 'xml' });
    const a = sim.add({ at: daysAgo(2), status_notes: 'Booked & scheduled <soon>' });
    sim.update(a.service_request_id, 'closed', daysAgo(1), 'Done');
    const summary = await run();
    expect(summary.status, summary.error).toBe('ok');
    const evs = events(publisher);
    expect(evs.length).toBeGreaterThan(0);
    expect(evs.at(-1)!.data.case.status.lifecycle).toBe('closed');
    expect(evs.at(-1)!.data.location?.latitude).toBe(51.4545);
  });

  it('a refused api_key stops the connector with a clear, non-retriable error that does not show the key', { timeout: 120_000 }, async () => {
    const { run } = await setup({ apiKey: 'right-key-123' }, { apiKey: '${env:OPEN311_KEY}' }, { OPEN311_KEY: 'wrong-key-456' });
    const summary = await run();
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatch(/403.*api_key/);
    expect(summary.error).not.toContain('wrong-key-456');
  });

  it('sends jurisdiction_id and the right api_key', { timeout: 120_000 }, async () => {
    const { sim, publisher, run } = await setup({ apiKey: 'right-key-123', jurisdictionId: 'bristol' }, { apiKey: '${env:OPEN311_KEY}', jurisdictionId: 'bristol' }, { OPEN311_KEY: 'right-key-123' });
    sim.add({ at: daysAgo(1) });
    const summary = await run();
    expect(summary.status, summary.error).toBe('ok');
    expect(events(publisher)).toHaveLength(1);
  });
});

describe('open311 validate --live', () => {
  it('passes when the endpoint answers requests with a list, and names endpoint when it does not', { timeout: 120_000 }, async () => {
    const sim = new Open311Simulator({});
    const url = await sim.start();
    open.push({ sim });
    const dir = mkdtempSync(join(tmpdir(), 'cb-open311-live-'));
    const write = (endpoint: string) => {
      const file = join(dir, 'casebridge.yaml');
      writeFileSync(file, stringify({ version: 1, councils: [BRISTOL], connectors: [{ name: 'fixmystreet', type: 'open311', council: BRISTOL.gss, system: { supplier: 'FixMyStreet' }, endpoint }] }));
      return file;
    };
    const ok = await runCliAsync(['validate', '--live', write(url)], {});
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const wrong = await runCliAsync(['validate', '--live', write(url.replace('/open311/v2', '/nothing-here'))], {});
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toMatch(/404/);
  });
});
