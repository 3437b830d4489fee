/**
 * The SQL source against a real database; run by postgres.test.ts and mariadb.test.ts so both
 * databases answer the same questions.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlConnection } from '../../src/connectors/sql/config.js';
import { createSqlSource } from '../../src/connectors/sql/create.js';
import { createMysqlPool } from '../../src/connectors/sql/mysql.js';
import { createPostgresPool } from '../../src/connectors/sql/postgres.js';
import { silentLogger } from '../../src/core/logger.js';
import type { IncrementalCheckpoint, SnapshotCheckpoint } from '../../src/connectors/sql/checkpoint.js';
import type { Source, SourceBatch } from '../../src/core/source.js';
import { ConfigError, SourceError } from '../../src/core/errors.js';
import { openTestStateStore } from '../helpers/state-store.js';
import type { StateStore } from '../../src/core/state-store.js';
import { deps, keysOf, openHarness, poll, sleep, sqlConfig, uniqueName, type DbName, type Harness } from './harness.js';

export function defineSqlScenarios(db: DbName): void {
  let h: Harness;
  let store: StateStore;
  const tables: string[] = [];
  const sources: Source[] = [];

  beforeAll(async () => {
    h = await openHarness(db);
    store = await openTestStateStore(mkdtempSync(join(tmpdir(), `cb-sql-${db}-`)));
  });
  afterAll(async () => {
    for (const s of sources) await s.close();
    for (const t of tables) await h.exec(`DROP TABLE IF EXISTS ${h.q(t)}`);
    await h.close();
    await store.close();
  });

  /** A cases table: id, ref, status, updated_at (zone-less unless `zoned`). */
  async function casesTable(opts: { zoned?: boolean; keyType?: string } = {}): Promise<string> {
    const t = uniqueName('cb_cases');
    tables.push(t);
    const ts = opts.zoned ? h.types.tsZoned : h.types.tsLocal;
    await h.exec(
      `CREATE TABLE ${h.q(t)} (id ${opts.keyType ?? h.types.int} NOT NULL PRIMARY KEY, ref ${h.types.text} NOT NULL, status ${h.types.text} NOT NULL, updated_at ${ts}, note ${h.types.text})`,
    );
    await h.exec(`CREATE INDEX ${h.q(t + '_ts')} ON ${h.q(t)} (updated_at, id)`);
    return t;
  }

  async function insert(t: string, rows: { id: number | string; ref?: string; status?: string; updated_at: string | null; note?: string }[], via = h): Promise<void> {
    for (const r of rows) {
      await via.exec(`INSERT INTO ${h.q(t)} (id, ref, status, updated_at, note) VALUES (:id, :ref, :status, :ts, :note)`, {
        id: r.id,
        ref: r.ref ?? `SR${r.id}`,
        status: r.status ?? 'OPEN',
        ts: r.updated_at,
        note: r.note ?? null,
      });
    }
  }

  function source(read: Record<string, unknown>, extra: Record<string, unknown> = {}): Source {
    const s = createSqlSource(sqlConfig(h.connection, read, extra), deps());
    sources.push(s);
    return s;
  }

  function state(name: string) {
    return store.forConnector(uniqueName(name));
  }

  const tsOf = (b: SourceBatch, i: number) => String(b.records[i]!.raw.updated_at);

  describe(`${db}: incremental by (updated_at, id)`, () => {
    it('rows sharing one timestamp across a batch boundary all arrive, once, in key order', async () => {
      const t = await casesTable();
      const T1 = '2025-06-01 10:00:00.123456';
      const T2 = '2025-06-01 10:00:00.123457'; // one microsecond later
      const T3 = '2025-06-01 11:00:00';
      // Inserted out of key order: the database must order by (updated_at, id), not by arrival.
      const ids = [7, 3, 10, 1, 5, 9, 2, 8, 4, 6];
      await insert(t, ids.map((id) => ({ id, updated_at: T1 })));
      await insert(t, [11, 12, 13, 14, 15, 16, 17].map((id) => ({ id, updated_at: T2 })));
      await insert(t, [18, 19, 20, 21, 22, 23].map((id) => ({ id, updated_at: T3 })));

      const st = state('ties');
      const src = source({ mode: 'incremental', table: t, updatedAt: 'updated_at', key: 'id' }, { batchSize: 4 });
      const { records, batches } = await poll(src, st);
      expect(keysOf(records)).toEqual(Array.from({ length: 23 }, (_, i) => String(i + 1)));
      expect(batches.map((b) => b.records.length)).toEqual([4, 4, 4, 4, 4, 3]);

      // The case that loses rows with a timestamp-only watermark: a boundary inside a tie group.
      const splits = batches.slice(1).filter((b, i) => tsOf(b, 0) === tsOf(batches[i]!, batches[i]!.records.length - 1));
      expect(splits.length).toBeGreaterThanOrEqual(2);
      // Had the checkpoint been the timestamp alone (`updated_at > :since`), every row after the
      // first boundary in a tie group would be skipped: ids 5–10 share T1 with id 4.
      const cp2 = batches[1]!.checkpoint as IncrementalCheckpoint;
      expect(cp2).toMatchObject({ mode: 'incremental', column: 'updated_at' });
      expect(String(cp2.key)).toBe('8'); // pg returns bigint as text, MariaDB as a number: bound back as received
      expect(cp2.ts).toMatch(/^2025-06-01 10:00:00\.123456/);
      // The third batch ends on id 12 at T2: the checkpoint keeps the microsecond that separates T1 from T2.
      expect((batches[2]!.checkpoint as IncrementalCheckpoint).ts).toMatch(/^2025-06-01 10:00:00\.123457/);
      expect(records[0]!.position).toEqual({ table: expect.stringMatching(new RegExp(`${t}$`)), key: '1' });

      // Caught up: the next poll reads nothing (no row repeated forever through rounding).
      const again = await poll(src, st);
      expect(again.records).toHaveLength(0);
    });

    it('a crash between batches resumes from the committed checkpoint: nothing lost, only the uncommitted batch repeated', async () => {
      const t = await casesTable();
      await insert(t, Array.from({ length: 30 }, (_, i) => ({ id: i + 1, updated_at: `2025-06-01 10:00:0${Math.floor(i / 7)}.5` })));
      const st = state('crash');
      const read = { mode: 'incremental', table: t, updatedAt: 'updated_at', key: 'id' };
      const first = source(read, { batchSize: 5 });
      const seen: string[] = [];
      // Two batches committed, the third read but never committed (the process died before publishing it).
      const it1 = first.read({ checkpoint: await st.checkpoint(), signal: new AbortController().signal })[Symbol.asyncIterator]();
      for (let i = 0; i < 3; i++) {
        const { value } = await it1.next();
        const b = value as SourceBatch;
        seen.push(...keysOf(b.records));
        if (i < 2) await st.commit({ checkpoint: b.checkpoint });
      }
      await it1.return?.(undefined);
      await first.close();

      const second = source(read, { batchSize: 5 });
      const { records } = await poll(second, st);
      const all = [...seen, ...keysOf(records)];
      expect(new Set(all)).toEqual(new Set(Array.from({ length: 30 }, (_, i) => String(i + 1))));
      // Only the uncommitted third batch (ids 11–15) came twice.
      expect(all.length - new Set(all).size).toBe(5);
      expect(keysOf(records).slice(0, 5)).toEqual(['11', '12', '13', '14', '15']);
    });

    it('a transaction that commits after a later-stamped row, within the lag window, is still read; without the window it is lost', async () => {
      const lagMs = 3000;
      const run = async (lag: string) => {
        const t = await casesTable({ zoned: true });
        await insert(t, [{ id: 1, updated_at: '2025-01-01 00:00:00' }]);
        const st = state('lag');
        const src = source({ mode: 'incremental', table: t, updatedAt: 'updated_at', key: 'id', lag }, { batchSize: 10 });
        await src.check!(); // catalogue work done up front, so the first poll follows the inserts closely
        const holder = await h.open();
        try {
          // Connection A opens a transaction and stamps its row with the database clock now…
          await holder.exec(db === 'postgres' ? 'BEGIN' : 'START TRANSACTION');
          await holder.exec(`INSERT INTO ${h.q(t)} (id, ref, status, updated_at) VALUES (2, 'SR-LATE', 'OPEN', ${h.now})`);
          await sleep(150);
          // …connection B commits a row stamped later, while A is still open.
          await h.exec(`INSERT INTO ${h.q(t)} (id, ref, status, updated_at) VALUES (3, 'SR-EARLY', 'OPEN', ${h.now})`);
          const firstPoll = await poll(src, st);
          await holder.exec('COMMIT');
          // Let the database clock pass both rows plus the window.
          await sleep(lag === '0s' ? 50 : lagMs + 400);
          const secondPoll = await poll(src, st);
          return { first: keysOf(firstPoll.records), second: keysOf(secondPoll.records) };
        } finally {
          await holder.close();
        }
      };

      const withWindow = await run(`${lagMs / 1000}s`);
      expect(withWindow.first).toEqual(['1']); // both new rows are younger than the window: not read yet
      expect(withWindow.second).toEqual(['2', '3']); // the late committer is captured, in order

      const withoutWindow = await run('0s');
      expect(withoutWindow.first).toEqual(['1', '3']); // the checkpoint moves past A's timestamp
      expect(withoutWindow.second).toEqual([]); // A's row, committed later with an earlier stamp, is never read
    });

    it('the upper bound is the database clock in the configured zone for zone-less columns', async () => {
      const t = await casesTable();
      // Kolkata is UTC+05:30 all year: a bound computed in the wrong zone is off by hours.
      const zone = 'Asia/Kolkata';
      const [{ now }] = (await h.exec(`SELECT ${db === 'postgres' ? "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')" : "DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f')"} AS now`)) as [{ now: string }];
      const wall = DateTime.fromISO(now, { zone: 'UTC' }).setZone(zone);
      const fmt = (d: DateTime) => d.toFormat('yyyy-MM-dd HH:mm:ss.SSS');
      await insert(t, [
        { id: 1, updated_at: fmt(wall.minus({ seconds: 30 })) },
        { id: 2, updated_at: fmt(wall.plus({ minutes: 5 })) },
      ]);
      const src = source({ mode: 'incremental', table: t, updatedAt: 'updated_at', key: 'id', lag: '10s' }, { timezone: zone });
      const { records } = await poll(src, state('zone'));
      expect(keysOf(records)).toEqual(['1']);
      expect(String(records[0]!.raw.updated_at)).toMatch(/\+05:30$/);
    });

    it('states the zone of every timestamp: zone-less columns in Europe/London (BST and GMT), zoned ones as instants', async () => {
      const t = await casesTable();
      await insert(t, [
        { id: 1, updated_at: '2025-07-01 09:30:00.123456' },
        { id: 2, updated_at: '2025-01-15 09:30:00' },
      ]);
      const z = await casesTable({ zoned: true });
      await insert(z, [{ id: 1, updated_at: '2025-07-01 08:30:00.5' }]); // harness sessions are UTC
      const local = await poll(source({ mode: 'incremental', table: t, updatedAt: 'updated_at', key: 'id' }), state('tz'));
      const winter = '2025-01-15T09:30:00+00:00'; // both drivers print no fraction for a whole second
      expect(local.records.map((r) => r.raw.updated_at)).toEqual([winter, '2025-07-01T09:30:00.123456+01:00']);
      const zoned = await poll(source({ mode: 'incremental', table: z, updatedAt: 'updated_at', key: 'id' }), state('tz2'));
      expect(zoned.records[0]!.raw.updated_at).toMatch(/^2025-07-01T08:30:00\.50*Z$/);
    });

    it('`start` skips history before it on the first run', async () => {
      const t = await casesTable();
      await insert(t, [
        { id: 1, updated_at: '2024-12-31 23:59:59' },
        { id: 2, updated_at: '2025-01-01 00:00:01' },
      ]);
      const { records } = await poll(source({ mode: 'incremental', table: t, updatedAt: 'updated_at', key: 'id', start: '2025-01-01T00:00:00' }), state('start'));
      expect(keysOf(records)).toEqual(['2']);
    });

    it('reads only the configured columns (plus key and updated-at), quoted', async () => {
      const t = await casesTable();
      await insert(t, [{ id: 1, updated_at: '2025-01-01 00:00:00', note: 'private' }]);
      const { records } = await poll(source({ mode: 'incremental', table: t, updatedAt: 'updated_at', key: 'id', columns: ['ref', 'status'] }), state('cols'));
      expect(Object.keys(records[0]!.raw).sort()).toEqual(['id', 'ref', 'status', 'updated_at']);
    });
  });

  describe(`${db}: custom query`, () => {
    it('incremental: a join with bound :since, :after_key, :until, :limit; strings and casts with colons left alone', async () => {
      const t = await casesTable();
      const s = uniqueName('cb_status');
      tables.push(s);
      await h.exec(`CREATE TABLE ${h.q(s)} (code ${h.types.text} NOT NULL, label ${h.types.text} NOT NULL)`);
      await h.exec(`INSERT INTO ${h.q(s)} (code, label) VALUES ('OPEN', 'Open: awaiting triage'), ('DONE', 'Done')`);
      await insert(t, [
        { id: 1, updated_at: '2025-02-01 10:00:00', status: 'OPEN' },
        { id: 2, updated_at: '2025-02-01 10:00:00', status: 'DONE' },
        { id: 3, updated_at: '2025-02-01 10:00:00', status: 'OPEN' },
        { id: 4, updated_at: '2025-02-01 11:00:00', status: 'OPEN' },
      ]);
      const cast = db === 'postgres' ? 'c.id::text' : 'CAST(c.id AS CHAR)';
      const sql = `SELECT c.id, c.ref, c.status, st.label, c.updated_at, ${cast} AS id_text, 'ref:literal' AS lit
        FROM ${h.q(t)} c JOIN ${h.q(s)} st ON st.code = c.status -- a comment with :since
        WHERE (c.updated_at > :since OR (c.updated_at = :since AND c.id > :after_key)) AND c.updated_at <= :until
        ORDER BY c.updated_at, c.id LIMIT :limit`;
      const st = state('q');
      const src = source({ mode: 'incremental', sql, updatedAt: 'updated_at', key: 'id', label: 'cases_with_labels' }, { batchSize: 2 });
      const { records, batches } = await poll(src, st);
      expect(keysOf(records)).toEqual(['1', '2', '3', '4']);
      expect(batches).toHaveLength(2);
      expect(records[1]!.raw).toMatchObject({ label: 'Done', lit: 'ref:literal', id_text: '2' });
      expect(records[0]!.position).toEqual({ table: 'cases_with_labels', key: '1' });
      await insert(t, [{ id: 5, updated_at: '2025-02-01 11:00:00', status: 'DONE' }]); // ties with id 4, after it by key
      expect(keysOf((await poll(src, st)).records)).toEqual(['5']);
    });

    it('snapshot: keyset pages of a custom query, the first with :after_key NULL', async () => {
      const t = await casesTable({ keyType: h.types.text === 'text' ? 'text' : 'varchar(100)' });
      const keys = ["A'1", 'B"2', 'C\\3', "D'); DROP TABLE x; --", 'E5'];
      await insert(t, keys.map((id) => ({ id, updated_at: '2025-01-01 00:00:00' })));
      const first = db === 'postgres' ? 'CAST(:after_key AS text) IS NULL' : ':after_key IS NULL';
      const sql = `SELECT id, ref, status FROM ${h.q(t)} WHERE (${first} OR id > :after_key) ORDER BY id LIMIT :limit`;
      const { records, batches } = await poll(source({ mode: 'snapshot', sql, key: 'id' }, { batchSize: 2 }), state('qs'));
      expect(keysOf(records)).toEqual([...keys].sort());
      expect(batches.map((b) => b.snapshot?.final)).toEqual([false, false, true]);
    });
  });

  describe(`${db}: snapshot`, () => {
    it('reads the whole table in key pages, flags the batches, and only the last is final', async () => {
      const t = await casesTable();
      await insert(t, Array.from({ length: 10 }, (_, i) => ({ id: i + 1, updated_at: null })));
      const st = state('snap');
      const src = source({ mode: 'snapshot', table: t, key: 'id', onMissing: 'close' }, { batchSize: 4 });
      const { records, batches } = await poll(src, st);
      expect(keysOf(records)).toEqual(Array.from({ length: 10 }, (_, i) => String(i + 1)));
      expect(batches.map((b) => b.records.length)).toEqual([4, 4, 2]);
      const ids = new Set(batches.map((b) => b.snapshot!.id));
      expect(ids.size).toBe(1);
      expect(batches.map((b) => b.snapshot)).toEqual([
        { id: [...ids][0], final: false, onMissing: 'close', maxCloseShare: 0.5 },
        { id: [...ids][0], final: false, onMissing: 'close', maxCloseShare: 0.5 },
        { id: [...ids][0], final: true, onMissing: 'close', maxCloseShare: 0.5 },
      ]);
      expect(await st.checkpoint()).toMatchObject({ mode: 'snapshot', done: true });
      // The next run is a new snapshot of the whole table.
      await sleep(5);
      const next = await poll(src, st);
      expect(next.records).toHaveLength(10);
      expect(next.batches[0]!.snapshot!.id).not.toBe([...ids][0]);
    });

    it('a table whose size is an exact multiple of the page still ends with a final batch; an empty table yields one empty final batch', async () => {
      const t = await casesTable();
      await insert(t, Array.from({ length: 8 }, (_, i) => ({ id: i + 1, updated_at: null })));
      const { batches } = await poll(source({ mode: 'snapshot', table: t, key: 'id' }, { batchSize: 4 }), state('snap8'));
      expect(batches.map((b) => [b.records.length, b.snapshot!.final])).toEqual([
        [4, false],
        [4, true],
      ]);
      const empty = await casesTable();
      const e = await poll(source({ mode: 'snapshot', table: empty, key: 'id' }), state('snap0'));
      expect(e.batches.map((b) => [b.records.length, b.snapshot])).toEqual([[0, expect.objectContaining({ final: true, onMissing: 'ignore' })]]);
    });

    it('a restart in the middle of a snapshot resumes the same snapshot after the last committed key', async () => {
      const t = await casesTable();
      await insert(t, Array.from({ length: 9 }, (_, i) => ({ id: i + 1, updated_at: null })));
      const st = state('snapresume');
      const read = { mode: 'snapshot', table: t, key: 'id' };
      const first = await poll(source(read, { batchSize: 3 }), st, { maxBatches: 1 });
      const cp = (await st.checkpoint()) as SnapshotCheckpoint;
      expect(cp).toMatchObject({ mode: 'snapshot', done: false });
      expect(String(cp.afterKey)).toBe('3');
      const rest = await poll(source(read, { batchSize: 3 }), st);
      expect([...keysOf(first.records), ...keysOf(rest.records)]).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(rest.batches.every((b) => b.snapshot!.id === cp.snapshot)).toBe(true);
      expect(rest.batches.at(-1)!.snapshot!.final).toBe(true);
    });
  });

  describe(`${db}: read-only sessions`, () => {
    it('the connector’s own sessions refuse to write, even as a superuser account, and say why', async () => {
      const t = await casesTable();
      const opts = { connection: SqlConnection.parse(h.connection), tls: undefined, connector: 'ro-test', logger: silentLogger() };
      const pool = db === 'postgres' ? createPostgresPool(opts) : createMysqlPool(opts);
      try {
        const read = await pool.query(`SELECT COUNT(*) AS n FROM ${h.q(t)}`, {}, { operation: 'count' });
        expect(Number(read.rows[0]!.n)).toBe(0);
        const err = await pool.query(`INSERT INTO ${h.q(t)} (id, ref, status) VALUES (:id, 'x', 'y')`, { id: 1 }, { operation: 'write attempt' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SourceError);
        expect((err as SourceError).retriable).toBe(false);
        expect((err as SourceError).code).toBe('sql_read_only');
        expect((err as Error).message).toMatch(/read[- ]only/i);
        expect(await h.exec(`SELECT COUNT(*) AS n FROM ${h.q(t)}`)).toEqual([{ n: db === 'postgres' ? '0' : 0 }]);
      } finally {
        await pool.close();
      }
    });
  });

  describe(`${db}: checked against the catalogue at startup`, () => {
    it('a missing column fails check() naming table and column and listing near matches', async () => {
      const t = await casesTable();
      const src = source({ mode: 'incremental', table: t, updatedAt: 'updated_on', key: 'id' });
      const err = await src.check!().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(new RegExp(`table ".*${t}" has no column "updated_on" \\(read\\.updatedAt\\); near matches: updated_at`));
    });

    it('a missing table fails naming it, with near matches', async () => {
      const t = await casesTable();
      const err = await source({ mode: 'snapshot', table: t.replace('cb_cases', 'cb_case'), key: 'id' })
        .check!()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(new RegExp(`table "${t.replace('cb_cases', 'cb_case')}" does not exist in schema .*near matches: .*${t}`));
    });

    it('an updated-at column that is not a timestamp, and a custom query missing its key column, fail at startup', async () => {
      const t = await casesTable();
      const notTs = await source({ mode: 'incremental', table: t, updatedAt: 'status', key: 'id' })
        .check!()
        .catch((e: unknown) => e);
      expect((notTs as Error).message).toMatch(/column "status" of ".*" is .*; read.updatedAt must be a timestamp/);
      const noKey = await source({ mode: 'snapshot', sql: `SELECT ref FROM ${h.q(t)} WHERE ref > :after_key ORDER BY ref LIMIT :limit`, key: 'id' })
        .check!()
        .catch((e: unknown) => e);
      expect(noKey).toBeInstanceOf(ConfigError);
      expect((noKey as Error).message).toMatch(/the custom query \(query\) returns no column "id" \(read\.key\)/);
    });

    it('a custom query the database rejects fails at startup as a configuration error, with the operation', async () => {
      const err = await source({ mode: 'snapshot', sql: 'SELECT id FROM no_such_table_at_all WHERE id > :after_key ORDER BY id LIMIT :limit', key: 'id' })
        .check!()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).retriable).toBe(false);
      expect((err as ConfigError).context).toMatchObject({ operation: 'check' });
      expect((err as Error).message).toMatch(/check custom query failed: .*no_such_table_at_all/);
    });

    it('an unreachable database is a retriable SourceError, not a configuration error', async () => {
      const closed = createSqlSource(sqlConfig({ ...h.connection, port: 1, connectTimeout: '2s' }, { mode: 'snapshot', table: 'cases', key: 'id' }), deps());
      sources.push(closed);
      const err = await closed.check!().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect((err as SourceError).retriable).toBe(true);
      expect((err as SourceError).context).toMatchObject({ operation: 'connect' });
      await closed.close();
      await closed.close(); // closing twice is safe
    });
  });
}
