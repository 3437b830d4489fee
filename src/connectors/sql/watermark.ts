/**
 * Where an incremental read starts and stops. It starts after the committed (updated-at, key) —
 * or after read.start, or at the beginning — and reads up to the database clock minus `lag`, held
 * before a repeated hour while clocks go back (local timestamps would otherwise pass it twice).
 * Each page moves the position to its last row, every fractional digit kept.
 */
import { DateTime } from 'luxon';
import type { Logger } from '../../core/logger.js';
import { ConfigError, SourceError } from '../../core/errors.js';
import type { Dialect, FieldInfo, LowerBound } from './dialect.js';
import type { Plan } from './plan.js';
import { assertOrdered, keyText, keyValue } from './rows.js';
import { DbTimestamp, fromDateTime, holdBeforeRepeatedHour, type TimestampKind } from './timestamps.js';

/** The keyset position of an incremental read. */
export interface KeysetPosition {
  lower: LowerBound;
  /** Bound updated-at of the last row read (or read.start). */
  since?: string | undefined;
  afterKey: string | number | null;
}

/** The committed position, as the checkpoint keeps it. */
export interface CommittedPosition {
  column: string;
  ts: string;
  key: string | number | null;
}

export function startPosition(cp: CommittedPosition | undefined, plan: Pick<Plan, 'updatedAt'>, start: string | undefined, bind: { dialect: Dialect; tsField: FieldInfo; zone: string }, log: Logger): KeysetPosition {
  if (cp && cp.column !== plan.updatedAt) {
    log.warn({ was: cp.column, now: plan.updatedAt }, 'read.updatedAt changed since the last checkpoint; reading from the start');
  } else if (cp) {
    return { lower: 'keyset', since: cp.ts, afterKey: cp.key };
  } else if (start) {
    const tsKind = bind.tsField.tsKind ?? 'local';
    return { lower: 'since', since: bind.dialect.bindTimestamp(fromDateTime(DateTime.fromISO(start, { zone: bind.zone }), tsKind, bind.zone), bind.tsField), afterKey: null };
  }
  return { lower: 'none', afterKey: null };
}

/** The upper bound of this read: the database clock minus lag, held before a repeated hour for local timestamps. */
export function upperBound(dbNow: DateTime, lagMs: number, tsKind: TimestampKind, zone: string, log: Logger): DateTime {
  const upper = dbNow.minus({ milliseconds: lagMs });
  if (tsKind !== 'local') return upper;
  const held = holdBeforeRepeatedHour(upper, zone);
  if (held !== upper) log.info({ zone, upper: upper.toISO(), held: held.toISO() }, 'clocks go back: holding the upper bound before the repeated hour until it has passed twice');
  return held;
}

/**
 * The position after a page: its last row's (updated-at, key). A row without a timestamp, rows
 * out of order, or a custom query that returns the position it was given would loop or lose rows:
 * all are errors. `orderBy` names the ORDER BY a custom query needs.
 */
export function positionAfterPage(
  rows: Record<string, unknown>[],
  from: KeysetPosition,
  plan: Pick<Plan, 'label' | 'key' | 'keyField' | 'updatedAt' | 'tsField' | 'custom'>,
  orderBy: string,
  dialect: Dialect,
  connector: string,
): { position: KeysetPosition & { since: string }; ts: DbTimestamp } {
  const last = rows[rows.length - 1]!;
  const ts = last[plan.updatedAt!];
  if (!(ts instanceof DbTimestamp)) {
    throw new SourceError(`a row of ${plan.label} (key ${keyText(last[plan.key])}) has updated-at ${ts === null ? 'NULL' : JSON.stringify(ts)}; the query must return only rows with a timestamp`, {
      code: 'sql_bad_timestamp',
      context: { connector, table: plan.label, key: keyText(last[plan.key]), operation: 'read page' },
    });
  }
  assertOrdered(rows, plan, orderBy, connector);
  return { position: nextKeyset(from, dialect.bindTimestamp(ts, plan.tsField), keyValue(last[plan.key], plan, dialect, connector), plan.label, connector), ts };
}

function nextKeyset(from: KeysetPosition, since: string, afterKey: string | number | null, label: string, connector: string): KeysetPosition & { since: string } {
  if (from.lower === 'keyset' && since === from.since && afterKey === from.afterKey) {
    throw new ConfigError(`the custom query (${label}) returned the position it was given again; its WHERE must select rows strictly after (:since, :after_key)`, {
      context: { connector, table: label, field: 'read.sql' },
    });
  }
  return { lower: 'keyset', since, afterKey };
}
