/**
 * REST polling against the housing-repairs simulator over real HTTP on 127.0.0.1, through a real
 * gateway (mapping, change detection, SQLite checkpoints) into an in-memory publisher.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaseEvent } from '../../src/event/case-event.js';
import { startRepairsSimulator, type RepairsSimulator } from '../simulators/rest/housing-repairs.js';
import { openHarness, restConnector, type Harness } from './helpers.js';

let sim: RepairsSimulator;
let h: Harness | undefined;
beforeEach(async () => {
  sim = await startRepairsSimulator({ cases: 25 });
});
afterEach(async () => {
  await h?.gw.stop();
  h = undefined;
  await sim.close();
});

const styles: [string, Record<string, unknown>][] = [
  ['cursor (repeats the last item of the previous page)', {}],
  ['page number', { path: '/api/v2/repairs', records: 'results', pagination: { style: 'page', param: 'page', sizeParam: 'pageSize', size: 10 } }],
  ['page number with a has-more flag', { path: '/api/v2/repairs', records: 'results', pagination: { style: 'page', param: 'page', sizeParam: 'pageSize', size: 5, hasMorePath: 'hasMore' } }],
  [
    'offset/limit',
    { path: '/api/v2/jobs', records: 'items', since: { param: 'modifiedFrom', format: 'iso', zone: 'Europe/London', initial: '2025-11-01T00:00:00Z', watermark: { field: 'lastModified' } }, pagination: { style: 'offset', size: 7 } },
  ],
  ['next link in the body', { path: '/api/v2/work-orders', records: 'value', pagination: { style: 'next-link', from: 'body', path: 'links.next', sizeParam: 'pageSize', size: 9 } }],
  ['next link in the Link header', { path: '/api/v2/work-orders', records: 'value', pagination: { style: 'next-link', from: 'link-header', sizeParam: 'pageSize', size: 6 } }],
];

describe('rest polling: every pagination style ends in correct case events', () => {
  for (const [name, extra] of styles) {
    it(name, async () => {
      h = await openHarness(restConnector(sim.url, extra));
      const [summary] = await h.gw.runAllOnce({ retry: false });
      expect(summary).toMatchObject({ status: 'ok', published: 25, deadLettered: 0 });
      const events = h.publisher.events.map((e) => e.event);
      expect(new Set(events.map((e) => e.subject)).size).toBe(25);
      for (const e of events) expect(CaseEvent.safeParse(e).success).toBe(true);

      // A record whose times come without an offset is UK local time (GMT in November): same instant.
      const local = sim.cases[1]!;
      expect(local.localTimes).toBe(true);
      const ev = h.byRef().get(local.repairReference)!;
      expect(Date.parse(ev.data.case.updatedAt)).toBe(local.lastModified);
      expect(ev.data.case.status).toEqual({ lifecycle: 'in_progress', code: 'ASSIGNED', label: 'Operative assigned', publicLabel: 'An operative has been assigned' });
      expect(ev.data.location?.uprn).toBe(local.property.uprn);
      expect(ev.data.location?.latitude).toBeGreaterThan(51.5);
      expect(ev.data.provenance.connector).toBe('repairs');
      expect(ev.data.provenance.position.operation).toMatch(/^GET \/api\/v2\//);
      // Tenant contact details never reach the event.
      expect(JSON.stringify(events)).not.toContain('0207 527');

      // The position is the newest update seen, and no run is left half-way.
      const newest = Math.max(...sim.cases.map((c) => c.lastModified));
      expect(await h.checkpoint()).toEqual({ since: new Date(newest).toISOString() });
      // 25 records in pages of 5 with a has-more flag take exactly 5 requests (no empty sixth page);
      // the gateway's start-up check made one more, asking for changes since "now".
      if (name.includes('has-more')) expect(sim.requests.filter((r) => r.query.updatedSince === '2025-11-01T00:00:00Z').map((r) => r.query.page)).toEqual(['1', '2', '3', '4', '5']);
    });
  }
});
