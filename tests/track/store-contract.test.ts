/**
 * One contract, two engines: SQLite (embedded default) and the real PostgreSQL on 127.0.0.1.
 * Each PostgreSQL run uses a schema of its own and drops it afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { project } from '../../src/track/projection.js';
import { openPostgresProjection } from '../../src/track/store/postgres.js';
import { openSqliteProjection } from '../../src/track/store/sqlite.js';
import type { ProjectionStore } from '../../src/track/store/store.js';
import { decodeEventObject, type TrackedEvent } from '../../src/track/tracked-event.js';
import { event, PG_URL, uid, type Spec } from './helpers.js';

const projected = (e: TrackedEvent) => {
  const d = decodeEventObject(e);
  if (!d.ok) throw new Error(d.reason);
  return project(d.event, d.key, d.sequence);
};
const batch = (...specs: Spec[]) => ({ events: specs.map((s) => projected(event(s))) });

const engines: Array<[string, () => Promise<{ store: ProjectionStore; cleanup: () => Promise<void> }>]> = [
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cb-track-'));
      const store = openSqliteProjection(join(dir, 'track.sqlite'));
      return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
    },
  ],
  [
    'postgres',
    async () => {
      const schema = `t_${uid()}`;
      const store = openPostgresProjection({ url: PG_URL, schema });
      return {
        store,
        cleanup: async () => {
          await store.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
          await store.close();
        },
      };
    },
  ],
];

describe.each(engines)('projection store contract: %s', (_name, open) => {
  let store: ProjectionStore;
  const cleanups: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    const o = await open();
    store = o.store;
    cleanups.push(o.cleanup);
    await store.migrate();
    await store.migrate(); // migrations run again at every start
  });
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('applies an event once: a redelivered batch changes nothing', async () => {
    const b = batch({ reference: 'R1', minute: 0, sequence: 1 }, { reference: 'R1', minute: 5, sequence: 2, status: 'in_progress' });
    const first = await store.apply(b);
    expect(first).toMatchObject({ inserted: 2, duplicates: 0, stale: 1 });
    const again = await store.apply(b);
    expect(again).toMatchObject({ inserted: 0, duplicates: 2, changed: [] });
    const [c] = await store.findCases('R1');
    expect(c!.timeline).toHaveLength(2);
    expect(c!.state.case.status.lifecycle).toBe('in_progress');
    expect(await store.counts()).toEqual({ cases: 1, events: 2, deadLetters: 0 });
  });

  it('an older event (lower sequence) never overwrites a newer state, but joins the timeline in order', async () => {
    await store.apply(batch({ reference: 'R2', minute: 30, sequence: 3, status: 'closed', closure: 'completed' }));
    const r = await store.apply(batch({ reference: 'R2', minute: 10, sequence: 2, status: 'in_progress' }));
    expect(r).toMatchObject({ inserted: 1, stale: 1, changed: [] });
    const [c] = await store.findCases('R2');
    expect(c!.state.case.status.lifecycle).toBe('closed');
    expect(c!.state.case.closureReason).toEqual({ code: 'completed', supplierCode: 'X1' });
    expect(c!.seq).toBe(3);
    expect(c!.timeline!.map((t) => t.sequence)).toEqual([2, 3]);
  });

  it('orders by sequence even when the supplier clock runs backwards', async () => {
    // Sequence 2 carries an earlier time than sequence 1: the sequence decides.
    await store.apply(batch({ reference: 'R3', minute: 50, sequence: 1 }, { reference: 'R3', minute: 40, sequence: 2, status: 'scheduled' }));
    const [c] = await store.findCases('R3');
    expect(c!.state.case.status.lifecycle).toBe('scheduled');
  });

  it('two different events with the same sequence (a replay after the supplier changed again): the later supplier time wins, in either order', async () => {
    // Published, not committed, gateway stopped; the supplier moved the case on; the replay of
    // sequence 2 carries the newer state under a new id. The case must show the newer state.
    const stale = { reference: 'R6a', minute: 10, sequence: 2, status: 'in_progress' as const, code: 'first' };
    const fresh = { reference: 'R6a', minute: 20, sequence: 2, status: 'resolved' as const, code: 'replayed' };
    await store.apply(batch(stale));
    await store.apply(batch(fresh));
    const [a] = await store.findCases('R6a');
    expect(a!.state.case.status.code).toBe('replayed');

    await store.apply(batch({ ...fresh, reference: 'R6b' }));
    await store.apply(batch({ ...stale, reference: 'R6b' }));
    const [b] = await store.findCases('R6b');
    expect(b!.state.case.status.code).toBe('replayed');
  });

  it('events without a sequence are ordered by time', async () => {
    await store.apply(batch({ reference: 'R4', minute: 20, status: 'resolved' }));
    await store.apply(batch({ reference: 'R4', minute: 10, status: 'in_progress' }));
    const [c] = await store.findCases('R4');
    expect(c!.state.case.status.lifecycle).toBe('resolved');
    expect(c!.timeline!.map((t) => t.status)).toEqual(['in_progress', 'resolved']);
  });

  it('ends on the same state whatever order a batch arrives in', async () => {
    const specs: Spec[] = [1, 2, 3, 4, 5].map((n) => ({ reference: 'R5', minute: n, sequence: n, status: n === 5 ? 'closed' : 'in_progress', code: `c${n}` }));
    await store.apply(batch(...[specs[3]!, specs[0]!, specs[4]!]));
    await store.apply(batch(specs[2]!, specs[1]!));
    const [c] = await store.findCases('R5');
    expect(c!.seq).toBe(5);
    expect(c!.state.case.status.code).toBe('c5');
    expect(c!.requestedMs).toBe(Date.parse('2025-11-03T08:00:00Z'));
  });

  it('stores no personal data', async () => {
    await store.apply(batch({ reference: 'R6', minute: 1, personal: { email: 'resident@example.org' } }));
    const [c] = await store.findCases('R6');
    expect(JSON.stringify(c)).not.toContain('resident@example.org');
  });

  it('keeps dead letters and the source position in the same transaction', async () => {
    await store.apply({ events: [], deadLetters: [{ id: 'a'.repeat(32), source: 'events-000001.jsonl:7', reason: 'not JSON', raw: '{', at: '2025-11-03T08:00:00Z' }], position: { source: 'local-log', value: '{"offset":10}' } });
    await store.apply({ events: [], deadLetters: [{ id: 'a'.repeat(32), source: 'events-000001.jsonl:7', reason: 'not JSON', raw: '{', at: '2025-11-03T08:00:00Z' }] });
    expect((await store.counts()).deadLetters).toBe(1);
    expect(await store.position('local-log')).toBe('{"offset":10}');
  });

  it('pages through cases with a cursor, filtered by council, status and update time', async () => {
    const specs: Spec[] = [];
    for (let i = 0; i < 25; i++) specs.push({ reference: `L${i}`, minute: i % 7, status: i % 2 ? 'closed' : 'received', gss: i % 5 === 0 ? 'E07000178' : 'E09000019' });
    await store.apply(batch(...specs));
    const seen: string[] = [];
    let after;
    for (let page = 0; page < 10; page++) {
      const rows = await store.listCases({ council: 'E09000019', statuses: ['closed'], updatedSinceMs: Date.parse('2025-11-03T08:01:00Z'), order: 'updated-asc', limit: 4, ...(after ? { after } : {}) });
      seen.push(...rows.map((r) => r.state.case.reference));
      if (rows.length < 4) break;
      after = { timeMs: rows[rows.length - 1]!.timeMs, caseKey: rows[rows.length - 1]!.caseKey };
    }
    const expected = specs.filter((s, i) => i % 2 === 1 && s.gss === 'E09000019' && s.minute >= 1).map((s) => s.reference);
    expect(new Set(seen)).toEqual(new Set(expected));
    expect(seen).toHaveLength(expected.length);
  });

  it('lists updates in a time window [start, end)', async () => {
    await store.apply(batch({ reference: 'U1', minute: 0, sequence: 1 }, { reference: 'U1', minute: 120, sequence: 2, status: 'in_progress' }, { reference: 'U1', minute: 121, sequence: 3, status: 'closed' }));
    const ids = ['E09000019/FLY'];
    const first = await store.listUpdates({ serviceIds: ids, fromMs: Date.parse('2025-11-03T08:00:00Z'), toMs: Date.parse('2025-11-03T10:00:00Z'), limit: 100 });
    const second = await store.listUpdates({ serviceIds: ids, fromMs: Date.parse('2025-11-03T10:00:00Z'), toMs: Date.parse('2025-11-03T12:00:00Z'), limit: 100 });
    expect(first.map((u) => u.entry.sequence)).toEqual([1]);
    expect(second.map((u) => u.entry.sequence)).toEqual([2, 3]);
    // No services asked for: nothing, whatever the window (a fixed end, so no wall clock is involved).
    expect(await store.listUpdates({ serviceIds: [], fromMs: 0, toMs: Date.parse('2100-01-01T00:00:00Z'), limit: 10 })).toEqual([]);
  });

  it('reset empties every table (rebuild)', async () => {
    await store.apply(batch({ reference: 'Z1', minute: 0 }));
    await store.reset();
    expect(await store.counts()).toEqual({ cases: 0, events: 0, deadLetters: 0 });
  });
});

describe('PostgreSQL store', () => {
  it('migrates safely when several trackers start at once', async () => {
    const schema = `t_${uid()}`;
    const stores = [0, 1, 2].map(() => openPostgresProjection({ url: PG_URL, schema, poolSize: 2 }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const pool = new pg.Pool({ connectionString: PG_URL });
      const idx = await pool.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname', [schema]);
      await pool.end();
      expect(idx.rows.map((r) => r.indexname)).toEqual(expect.arrayContaining(['cases_reference', 'cases_updated', 'cases_council_updated', 'cases_status_updated', 'cases_service_requested', 'events_case', 'events_service_time']));
    } finally {
      await stores[0]!.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      for (const s of stores) await s.close();
    }
  });
});
