/** The SQL source's steps alone (no database): plan of a custom query, rows, watermark and keyset paging. */
import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { ConfigError, SourceError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { postgresDialect } from '../../src/connectors/sql/postgres.js';
import type { FieldInfo, QueryResult, SqlPool } from '../../src/connectors/sql/dialect.js';
import { SqlRead } from '../../src/connectors/sql/config.js';
import { atStartup, buildPlan, createPlanner, probeParams, type Plan } from '../../src/connectors/sql/plan.js';
import { assertOrdered, keyText, keyValue, plainValue, toRecord } from '../../src/connectors/sql/rows.js';
import { positionAfterPage, startPosition, upperBound } from '../../src/connectors/sql/watermark.js';
import { checkKeyAdvanced, snapshotStart, splitPage } from '../../src/connectors/sql/keyset.js';
import { DbTimestamp } from '../../src/connectors/sql/timestamps.js';

const ts = (time: string, frac = '') => new DbTimestamp('2025-06-01', time, frac);
const tsField: FieldInfo = { name: 'updated_at', kind: 'timestamp', tsKind: 'local', typeName: 'timestamp' };
const plan: Plan = { label: 'q', custom: true, sql: () => 'select', updatedAt: 'updated_at', key: 'id', tsField, paramTypes: {} };

function fakePool(fields: FieldInfo[]): SqlPool & { asked: Array<[string, Record<string, unknown>]> } {
  const asked: Array<[string, Record<string, unknown>]> = [];
  return {
    asked,
    dialect: postgresDialect,
    async query(sql, params): Promise<QueryResult> {
      asked.push([sql, params]);
      return { rows: [], fields };
    },
    async now() {
      return DateTime.now();
    },
    async close() {},
  };
}

describe('sql plan of a custom query', () => {
  it('probes with every parameter bound and finds the key and updated-at among the result columns', async () => {
    const pool = fakePool([{ name: 'id', kind: 'other', typeName: 'int4' }, tsField]);
    const read = SqlRead.parse({ mode: 'incremental', sql: 'SELECT id, updated_at FROM v WHERE (updated_at, id) > (:since, :after_key) AND updated_at <= :until LIMIT :limit', key: 'id', updatedAt: 'updated_at', label: 'v' });
    const p = await buildPlan(pool, read, 'c', silentLogger());
    expect(p).toMatchObject({ label: 'v', custom: true, key: 'id', updatedAt: 'updated_at', tsField });
    expect(p.sql('keyset')).toBe(read.sql);
    expect(pool.asked[0]![1]).toEqual(probeParams(postgresDialect));
    expect(probeParams(postgresDialect)).toMatchObject({ after_key: null, limit: 0 });
  });

  it('refuses an updated-at that is not a timestamp, naming the field', async () => {
    const pool = fakePool([{ name: 'id', kind: 'other', typeName: 'int4' }, { name: 'updated_at', kind: 'other', typeName: 'text' }]);
    const read = SqlRead.parse({ mode: 'incremental', sql: 'SELECT id, updated_at FROM v WHERE (updated_at, id) > (:since, :after_key) AND updated_at <= :until LIMIT :limit', key: 'id', updatedAt: 'updated_at' });
    await expect(buildPlan(pool, read, 'c', silentLogger())).rejects.toMatchObject({ message: expect.stringContaining('returns "updated_at" as text'), context: expect.objectContaining({ field: 'read.updatedAt' }) });
  });
});

describe('sql rows', () => {
  it('turns row values into plain JSON values with the key as position', () => {
    const rec = toRecord({ id: 7n, updated_at: ts('10:00:00', '123456'), blob: Buffer.from('hi'), d: new Date('2025-06-01T09:00:00Z') }, { label: 'public.cases', key: 'id' }, 'now', 'Europe/London');
    expect(rec).toEqual({ raw: { id: '7', updated_at: '2025-06-01T10:00:00.123456+01:00', blob: 'aGk=', d: '2025-06-01T09:00:00.000Z' }, position: { table: 'public.cases', key: '7' }, fetchedAt: 'now' });
    expect(plainValue(null, 'UTC')).toBeNull();
    expect(keyText(undefined)).toBe('');
  });

  it('accepts text, numbers and big integers as keys, never NULL', () => {
    expect(keyValue('A', plan, postgresDialect, 'c')).toBe('A');
    expect(keyValue(12n, plan, postgresDialect, 'c')).toBe('12');
    expect(() => keyValue(null, plan, postgresDialect, 'c')).toThrow(expect.objectContaining({ code: 'sql_null_key' }));
    expect(() => keyValue(true, plan, postgresDialect, 'c')).toThrow(expect.objectContaining({ code: 'sql_bad_key' }));
  });

  it('refuses a custom query whose rows go back in time, and trusts table pages', () => {
    const rows = [{ updated_at: ts('10:00:01') }, { updated_at: ts('10:00:00', '5') }];
    expect(() => assertOrdered(rows, plan, 'updated_at, id', 'c')).toThrow(/out of order; it must ORDER BY updated_at, id/);
    expect(() => assertOrdered(rows, { ...plan, custom: false }, 'updated_at, id', 'c')).not.toThrow();
  });
});

describe('sql watermark', () => {
  const bind = { dialect: postgresDialect, tsField, zone: 'Europe/London' };

  it('starts after the committed position, after read.start, or at the beginning', () => {
    const log = silentLogger();
    expect(startPosition({ column: 'updated_at', ts: '2025-06-01 10:00:00', key: 5 }, plan, undefined, bind, log)).toEqual({ lower: 'keyset', since: '2025-06-01 10:00:00', afterKey: 5 });
    expect(startPosition({ column: 'other', ts: 'x', key: 5 }, plan, undefined, bind, log)).toEqual({ lower: 'none', afterKey: null });
    expect(startPosition(undefined, plan, '2025-06-01T09:00:00Z', bind, log)).toMatchObject({ lower: 'since', since: expect.stringContaining('2025-06-01 10:00:00'), afterKey: null });
  });

  it('reads up to the database clock minus lag, held before a repeated hour', () => {
    const log = silentLogger();
    const now = DateTime.fromISO('2025-06-01T12:00:00Z');
    expect(upperBound(now, 120_000, 'zoned', 'Europe/London', log).toISO()).toBe(now.minus({ minutes: 2 }).toISO());
    // 26 Oct 2025, 01:30 BST: clocks go back at 02:00 BST, the wall hour 01:00-02:00 repeats.
    const inRepeat = DateTime.fromISO('2025-10-26T00:30:00Z');
    expect(upperBound(inRepeat, 0, 'local', 'Europe/London', log).toMillis()).toBeLessThan(inRepeat.toMillis());
    expect(upperBound(inRepeat, 0, 'zoned', 'Europe/London', log).toMillis()).toBe(inRepeat.toMillis());
  });

  it('moves to the last row of a page, and refuses a row without a timestamp or a position that does not move', () => {
    const rows = [{ id: 1, updated_at: ts('10:00:00') }, { id: 2, updated_at: ts('10:00:00', '25') }];
    const next = positionAfterPage(rows, { lower: 'none', afterKey: null }, plan, 'updated_at, id', postgresDialect, 'c');
    expect(next.position).toEqual({ lower: 'keyset', since: postgresDialect.bindTimestamp(ts('10:00:00', '25'), tsField), afterKey: 2 });
    expect(next.ts).toEqual(ts('10:00:00', '25'));
    expect(() => positionAfterPage([{ id: 3, updated_at: null }], next.position, plan, 'updated_at, id', postgresDialect, 'c')).toThrow(expect.objectContaining({ code: 'sql_bad_timestamp' }));
    expect(() => positionAfterPage(rows, next.position, plan, 'updated_at, id', postgresDialect, 'c')).toThrow(ConfigError);
  });
});

describe('sql keyset paging of snapshots', () => {
  it('resumes an unfinished snapshot under its id, else starts a new one', () => {
    const now = new Date('2025-06-01T00:00:00Z');
    expect(snapshotStart({ snapshot: 's1', done: false, afterKey: 40 }, 'c', now)).toEqual({ id: 's1', afterKey: 40, first: false });
    expect(snapshotStart({ snapshot: 's1', done: true }, 'c', now)).toEqual({ id: 'c@2025-06-01T00:00:00.000Z', afterKey: null, first: true });
    expect(snapshotStart(undefined, 'c', now).first).toBe(true);
  });

  it('knows the last page from the extra row, and refuses a key that does not advance', () => {
    expect(splitPage([1, 2, 3], 2)).toEqual({ page: [1, 2], final: false });
    expect(splitPage([1, 2], 2)).toEqual({ page: [1, 2], final: true });
    expect(() => checkKeyAdvanced(false, 5, 5, 'q', 'c')).toThrow(/returned the key it was given again/);
    expect(() => checkKeyAdvanced(true, 5, 5, 'q', 'c')).not.toThrow();
  });
});

describe('sql planner', () => {
  const read = SqlRead.parse({ mode: 'snapshot', sql: 'SELECT id FROM v WHERE id > :after_key ORDER BY id LIMIT :limit', key: 'id' });

  it('opens the pool and plans once, and closes the pool it opened', async () => {
    let opened = 0;
    let closed = 0;
    const pool = { ...fakePool([{ name: 'id', kind: 'other', typeName: 'int4' }]), close: async () => void closed++ };
    const planner = createPlanner(async () => (opened++, pool), read, 'c', silentLogger());
    const [a, b] = await Promise.all([planner.prepare(), planner.prepare()]);
    expect(a).toBe(b);
    expect(a.plan.key).toBe('id');
    expect(opened).toBe(1);
    await planner.close();
    expect(closed).toBe(1);
  });

  it('turns a refused statement at startup into a config error, and tries again next time', async () => {
    let calls = 0;
    const refusing = { ...fakePool([]), query: async () => (calls++, Promise.reject(new SourceError('relation "v" does not exist', { code: 'sql_error', retriable: false }))) } as SqlPool;
    const planner = createPlanner(async () => refusing, read, 'c', silentLogger());
    await expect(planner.prepare()).rejects.toThrow(ConfigError);
    await expect(planner.prepare()).rejects.toThrow(ConfigError);
    expect(calls).toBe(2);
    const down = new SourceError('connect ECONNREFUSED', { code: 'network', retriable: true });
    expect(atStartup(down, 'c')).toBe(down);
  });
});
