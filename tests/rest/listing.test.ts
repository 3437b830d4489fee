/**
 * A REST API that can only list the open jobs, read in full-listing (snapshot) mode through the
 * real gateway: ids and sequences, closes when a job stops being listed, and listings that must
 * close nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseEvent } from '../../src/event/case-event.js';
import { RestConnectorConfig } from '../../src/connectors/rest/config.js';
import { OpenJobsSimulator } from '../simulators/rest/open-jobs.js';
import { ISLINGTON, openHarness, type Harness } from '../soap/harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const jobsMapping = {
  reference: 'jobRef',
  status: { code: 'status', lookup: 'job-status' },
  service: { name: 'trade' },
  location: { address: 'address' },
  lookups: { 'job-status': { entries: { Pending: { status: 'received' }, Allocated: { status: 'in_progress' } } } },
};

function connector(baseUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'open-jobs',
    type: 'rest',
    council: ISLINGTON.gss,
    system: { supplier: 'RepairsHub' },
    retry: { initial: '10ms', max: '50ms' },
    baseUrl,
    path: '/api/open-jobs',
    pagination: { style: 'page', param: 'page', sizeParam: 'size', size: 4, hasMorePath: 'meta.hasMore' },
    records: 'data',
    timeout: '5s',
    snapshot: { onMissing: 'close', ...extra },
    mapping: jobsMapping,
  };
}

async function setup(): Promise<{ sim: OpenJobsSimulator; h: Harness }> {
  const sim = new OpenJobsSimulator(4);
  const baseUrl = await sim.start();
  cleanups.push(() => sim.stop());
  const h = await openHarness(connector(baseUrl));
  cleanups.push(() => h.close());
  return { sim, h };
}

const of = (events: CaseEvent[], ref: string) => events.filter((e) => e.subject === ref);
async function withheld(h: Harness, reason: string): Promise<number> {
  const m = await h.gw.metrics.closesWithheld.get();
  return m.values.find((v) => v.labels.connector === 'open-jobs' && v.labels.reason === reason)?.value ?? 0;
}

describe('REST full listing (list-only API)', () => {
  it('publishes Pending → Allocated → Pending as three events with three ids and sequences 1, 2, 3', async () => {
    const { sim, h } = await setup();
    for (const status of ['Pending', 'Allocated', 'Pending']) {
      sim.set('J-1', { status, trade: 'Plumbing', address: '3 Essex Road' });
      expect((await h.run()).status).toBe('ok');
    }
    const j1 = of(h.events(), 'J-1');
    expect(j1.map((e) => [e.data.case.status.code, e.data.change.kind, e.casesequence, e.data.sequence])).toEqual([
      ['Pending', 'created', 1, 1],
      ['Allocated', 'status_changed', 2, 2],
      ['Pending', 'status_changed', 3, 3],
    ]);
    expect(new Set(j1.map((e) => e.id)).size).toBe(3);
    // No since parameter: a full listing asks for everything open, from page 1, every time.
    expect(sim.requests.every((r) => !/since/i.test(r))).toBe(true);
  });

  it('closes a job at the poll it stops being listed, and publishes it again when it comes back', async () => {
    const { sim, h } = await setup();
    for (let i = 1; i <= 10; i++) sim.set(`J-${i}`, { status: 'Allocated' });
    expect((await h.run()).published).toBe(10);
    sim.finish('J-6');
    expect((await h.run()).published).toBe(1);
    const closed = of(h.events(), 'J-6').at(-1)!;
    expect([closed.data.change.kind, closed.data.case.closureReason?.code, closed.casesequence]).toEqual(['closed', 'no-longer-listed', 2]);
    expect((await h.run()).published).toBe(0);
    sim.set('J-6', { status: 'Pending' });
    expect((await h.run()).published).toBe(1);
    expect(of(h.events(), 'J-6').map((e) => `${e.data.change.kind}:${e.casesequence}`)).toEqual(['created:1', 'closed:2', 'status_changed:3']);
  });

  it('closes nothing when a poll fails part-way through its pages', async () => {
    const { sim, h } = await setup();
    for (let i = 1; i <= 10; i++) sim.set(`J-${i}`, { status: 'Allocated' });
    await h.run();
    const before = h.events().length;
    sim.finish('J-10');
    sim.failNextPage(2);
    const failed = await h.run();
    expect(failed.status).toBe('failed');
    expect(h.events().length).toBe(before);
    expect(failed.listingNotes?.[0]).toMatch(/^the listing failed part-way \(.*500.*\); cases missing from it were NOT closed$/);
    expect(await withheld(h, 'incomplete')).toBe(1);
    expect((await h.run()).status).toBe('ok');
    expect(h.events().slice(before).map((e) => `${e.subject}:${e.data.change.kind}`)).toEqual(['J-10:closed']);
  });

  it('closes nothing, and warns, when a listing drops 90% of the open jobs at once', async () => {
    const { sim, h } = await setup();
    for (let i = 1; i <= 10; i++) sim.set(`J-${i}`, { status: 'Allocated' });
    await h.run();
    const before = h.events().length;
    for (let i = 1; i <= 9; i++) sim.finish(`J-${i}`);
    const s = await h.run();
    expect(h.events().length).toBe(before);
    expect(s.listingNotes?.[0]).toContain('would close 9 of 10 open case(s) (90%), more than snapshot.maxCloseShare 50%; closed nothing');
    expect(await withheld(h, 'too-many')).toBe(1);
  });

  it('needs either since (a changes-since API) or snapshot (a full listing), not both', () => {
    const base = connector('http://127.0.0.1:1');
    const { snapshot: _s, ...noMode } = base;
    const neither = RestConnectorConfig.safeParse(noMode);
    expect(neither.success).toBe(false);
    expect(neither.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['since', 'a changes-since listing needs `since` (the query parameter and first start); for an API that lists every open case on each poll, set `snapshot` instead'],
    ]);
    const both = RestConnectorConfig.safeParse({ ...base, since: { param: 'updatedSince', initial: '7d' } });
    expect(both.success).toBe(false);
    expect(both.error?.issues[0]?.message).toContain('snapshot mode reads the whole listing on every poll and sends no `since`');
  });
});
