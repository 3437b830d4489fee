/**
 * A SOAP supplier that can only list what is open ("get open worksheets"), read in full-listing
 * (snapshot) mode through the real gateway: ids and sequences, closes when a worksheet stops being
 * listed, and the three cases in which a listing must close nothing.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseEvent } from '../../src/event/case-event.js';
import { createLogger } from '../../src/core/logger.js';
import { WhitespaceSimulator } from '../simulators/soap/whitespace.js';
import { WSDL_DIR } from '../simulators/soap/serve.js';
import { ISLINGTON, openHarness, type Harness } from './harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export const worksMapping = {
  reference: 'WorksheetRef',
  status: { code: 'StatusCode', label: 'StatusText', lookup: 'works-status' },
  description: 'Description',
  location: { address: 'Address' },
  lookups: {
    'works-status': {
      entries: {
        PEND: { status: 'received' },
        ALLOC: { status: 'in_progress' },
        ONSITE: { status: 'in_progress' },
      },
    },
  },
};

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

async function setup(extra: Record<string, unknown> = {}): Promise<{ sim: WhitespaceSimulator; h: Harness; log: Record<string, unknown>[] }> {
  const sim = new WhitespaceSimulator(4);
  const served = await sim.start();
  cleanups.push(() => sim.stop());
  const { lines, logger } = capturedLogger();
  const h = await openHarness(
    {
      name: 'works',
      type: 'soap',
      council: ISLINGTON.gss,
      system: { supplier: 'Example Works', product: 'Works Manager' },
      retry: { initial: '10ms', max: '50ms' },
      wsdl: `${WSDL_DIR}/whitespace-worksheets.wsdl`,
      endpoint: served.url,
      timeout: '5s',
      list: {
        operation: 'GetOpenWorksheets',
        args: { PageNumber: '{{page}}' },
        records: '*.Worksheets.Worksheet',
        key: 'WorksheetRef',
        paging: { start: 1, total: '*.TotalCount', maxPages: 50 },
      },
      // The supplier's database timeouts come back as soap:Server faults: worth retrying later.
      errors: { retriable: ['Server'] },
      snapshot: { onMissing: 'close', ...extra },
      mapping: worksMapping,
    },
    { logger },
  );
  cleanups.push(() => h.close());
  return { sim, h, log: lines };
}

const of = (events: CaseEvent[], ref: string) => events.filter((e) => e.subject === ref);
async function withheldMetric(h: Harness, reason: string): Promise<number> {
  const m = await h.gw.metrics.closesWithheld.get();
  return m.values.find((v) => v.labels.connector === 'works' && v.labels.reason === reason)?.value ?? 0;
}

describe('SOAP full listing (list-only supplier)', () => {
  it('publishes Pending → Allocated → Pending as three events with three ids and sequences 1, 2, 3', async () => {
    const { sim, h } = await setup();
    sim.set('WS-1', { StatusCode: 'PEND', StatusText: 'Pending', Address: '1 Upper Street' });
    sim.set('WS-2', { StatusCode: 'PEND', StatusText: 'Pending', Address: '2 Upper Street' });
    for (const status of ['PEND', 'ALLOC', 'PEND']) {
      sim.set('WS-1', { StatusCode: status, StatusText: status === 'PEND' ? 'Pending' : 'Allocated', Address: '1 Upper Street' });
      const s = await h.run();
      expect(s.status).toBe('ok');
    }
    const ws1 = of(h.events(), 'WS-1');
    expect(ws1.map((e) => [e.data.case.status.code, e.data.change.kind, e.casesequence, e.data.sequence])).toEqual([
      ['PEND', 'created', 1, 1],
      ['ALLOC', 'status_changed', 2, 2],
      ['PEND', 'status_changed', 3, 3],
    ]);
    expect(new Set(ws1.map((e) => e.id)).size).toBe(3);
    // WS-2 never changed: one event only.
    expect(of(h.events(), 'WS-2').map((e) => e.casesequence)).toEqual([1]);
  });

  it('closes a worksheet at the poll it stops being listed, and publishes it again when it comes back', async () => {
    const { sim, h } = await setup();
    for (let i = 1; i <= 10; i++) sim.set(`WS-${i}`, { StatusCode: 'ALLOC', StatusText: 'Allocated' });
    expect((await h.run()).published).toBe(10); // three pages of 4, 4, 2

    sim.finish('WS-3');
    const poll2 = await h.run();
    expect(poll2.published).toBe(1);
    const closed = of(h.events(), 'WS-3').at(-1)!;
    expect(closed.data.change.kind).toBe('closed');
    expect(closed.data.case.status.lifecycle).toBe('closed');
    expect(closed.data.case.closureReason).toEqual({ code: 'no-longer-listed' });
    expect(closed.data.provenance.updatedAtSource).toBe('observed');
    expect(closed.casesequence).toBe(2);

    expect((await h.run()).published).toBe(0); // still missing: closed once only

    sim.set('WS-3', { StatusCode: 'PEND', StatusText: 'Pending' }); // re-opened
    expect((await h.run()).published).toBe(1);
    const back = of(h.events(), 'WS-3').at(-1)!;
    expect([back.data.change.kind, back.data.case.status.lifecycle, back.casesequence]).toEqual(['status_changed', 'received', 3]);
    expect(new Set(of(h.events(), 'WS-3').map((e) => e.id)).size).toBe(3);
  });

  it('closes nothing when a poll fails part-way through its pages, and closes at the next complete one', async () => {
    const { sim, h, log } = await setup();
    for (let i = 1; i <= 10; i++) sim.set(`WS-${i}`, { StatusCode: 'ALLOC', StatusText: 'Allocated' });
    await h.run();
    const before = h.events().length;

    sim.finish('WS-9'); // on page 3, which this poll never reaches
    sim.failNextPage(2);
    const failed = await h.run();
    expect(failed.status).toBe('failed');
    expect(h.events().length).toBe(before);
    expect(failed.listingNotes?.join('\n')).toMatch(/the listing failed part-way .*Database timeout.*; cases missing from it were NOT closed/);
    expect(await withheldMetric(h, 'incomplete')).toBe(1);
    expect(log.some((l) => l.level === 'warn' && String(l.msg).includes('failed part-way') && l.reason === 'incomplete')).toBe(true);

    const next = await h.run();
    expect(next.status).toBe('ok');
    expect(h.events().slice(before).map((e) => `${e.subject}:${e.data.change.kind}`)).toEqual(['WS-9:closed']);
  });

  it('closes nothing when paging ends short of the total the supplier announced', async () => {
    const { sim, h } = await setup();
    for (let i = 1; i <= 10; i++) sim.set(`WS-${i}`, { StatusCode: 'ALLOC', StatusText: 'Allocated' });
    await h.run();
    const before = h.events().length;
    sim.emptyPagesFrom(2); // pages 2 and 3 come back empty; the total still says 10
    const s = await h.run();
    expect(s.status).toBe('ok');
    expect(h.events().length).toBe(before);
    expect(s.listingNotes).toEqual(['the listing was incomplete (paging ended after 4 of the 10 items GetOpenWorksheets announced); cases missing from it were NOT closed']);
    expect(await withheldMetric(h, 'incomplete')).toBe(1);
  });

  it('closes nothing, and warns, when a listing drops 90% of the open cases at once', async () => {
    const { sim, h, log } = await setup();
    for (let i = 1; i <= 10; i++) sim.set(`WS-${i}`, { StatusCode: 'ALLOC', StatusText: 'Allocated' });
    await h.run();
    const before = h.events().length;
    for (let i = 2; i <= 10; i++) sim.finish(`WS-${i}`);
    const s = await h.run();
    expect(s.status).toBe('ok');
    expect(h.events().length).toBe(before);
    expect(s.listingNotes?.[0]).toMatch(/^the listing would close 9 of 10 open case\(s\) \(90%\), more than snapshot.maxCloseShare 50%; closed nothing/);
    expect(await withheldMetric(h, 'too-many')).toBe(1);
    expect(log.some((l) => l.level === 'warn' && l.reason === 'too-many')).toBe(true);
  });

  it('closes a large share when the council says that is normal (maxCloseShare: 1)', async () => {
    const { sim, h } = await setup({ maxCloseShare: 1 });
    for (let i = 1; i <= 5; i++) sim.set(`WS-${i}`, { StatusCode: 'ALLOC', StatusText: 'Allocated' });
    await h.run();
    for (let i = 1; i <= 4; i++) sim.finish(`WS-${i}`);
    expect((await h.run()).published).toBe(4);
    expect(await withheldMetric(h, 'too-many')).toBe(0);
  });

  it('refuses {{since}} in a full listing, which has no time window', async () => {
    const sim = new WhitespaceSimulator();
    const served = await sim.start();
    cleanups.push(() => sim.stop());
    const h = await openHarness({
      name: 'works',
      type: 'soap',
      council: ISLINGTON.gss,
      system: { supplier: 'Example Works' },
      wsdl: `${WSDL_DIR}/whitespace-worksheets.wsdl`,
      endpoint: served.url,
      list: { operation: 'GetOpenWorksheets', args: { PageNumber: '{{since}}' }, records: '*.Worksheets.Worksheet' },
      snapshot: {},
      mapping: worksMapping,
    });
    cleanups.push(() => h.close());
    const s = await h.run();
    expect(s.status).toBe('failed');
    expect(s.error).toContain('{{since}} cannot be used in list');
  });
});
