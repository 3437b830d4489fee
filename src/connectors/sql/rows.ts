/**
 * Rows of a page → records, and the keyset values taken from them: plain JSON values (timestamps
 * with their offset, bytes as base64, big integers as text), the key as a bindable position, and
 * the check that a custom query returns its rows in order.
 */
import { ConfigError, SourceError } from '../../core/errors.js';
import type { SourceRecord } from '../../core/source.js';
import type { Dialect } from './dialect.js';
import type { Plan } from './plan.js';
import { DbTimestamp, toIsoWithOffset } from './timestamps.js';

export function toRecord(row: Record<string, unknown>, plan: Pick<Plan, 'label' | 'key'>, fetchedAt: string, zone: string): SourceRecord {
  const raw: Record<string, unknown> = {};
  // for…in, not Object.entries: no array of pairs per row (a driver's row is a plain object).
  for (const k in row) raw[k] = plainValue(row[k], zone);
  return { raw, position: { table: plan.label, key: keyText(row[plan.key]) }, fetchedAt };
}

export function plainValue(v: unknown, zone: string): unknown {
  if (v instanceof DbTimestamp) return toIsoWithOffset(v, zone);
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  return v;
}

/** A row's key as a keyset position to bind into the next page's query. */
export function keyValue(v: unknown, plan: Pick<Plan, 'label' | 'key' | 'keyField'>, dialect: Dialect, connector: string): string | number | null {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof DbTimestamp) return dialect.bindTimestamp(v, plan.keyField);
  if (v === null || v === undefined) {
    throw new SourceError(`a row of ${plan.label} has a NULL key (${plan.key}); the key column must be unique and not null`, {
      code: 'sql_null_key',
      context: { connector, table: plan.label, operation: 'read page' },
    });
  }
  throw new SourceError(`the key column ${plan.key} of ${plan.label} holds ${typeof v} values, which cannot be a keyset position`, {
    code: 'sql_bad_key',
    context: { connector, table: plan.label, operation: 'read page' },
  });
}

export function keyText(v: unknown): string {
  if (v instanceof DbTimestamp) return v.toString();
  return v === null || v === undefined ? '' : String(v);
}

export function compareTimestamps(a: DbTimestamp, b: DbTimestamp): number {
  const ka = `${a.date} ${a.time}.${a.frac.padEnd(9, '0')}`;
  const kb = `${b.date} ${b.time}.${b.frac.padEnd(9, '0')}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Timestamps must not go backwards inside a page: a custom query without the right ORDER BY would skip rows. */
export function assertOrdered(rows: Record<string, unknown>[], plan: Pick<Plan, 'custom' | 'updatedAt' | 'label'>, orderBy: string, connector: string): void {
  if (!plan.custom) return;
  let prev: DbTimestamp | undefined;
  for (const r of rows) {
    const ts = r[plan.updatedAt!];
    if (!(ts instanceof DbTimestamp)) continue;
    if (prev && compareTimestamps(ts, prev) < 0) {
      throw new ConfigError(`the custom query (${plan.label}) returned rows out of order; it must ORDER BY ${orderBy}`, {
        context: { connector, table: plan.label, field: 'read.sql' },
      });
    }
    prev = ts;
  }
}
