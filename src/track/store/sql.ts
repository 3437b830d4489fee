/**
 * SQL both projection stores share: the tables, their indexes (one per query the API makes) and
 * the "is the incoming version newer" rule of projection.ts#compareVersions, written once.
 */
import type { CaseQuery, UpdateQuery } from './store.js';

/** `t` is the stored row, `excluded` the incoming one (the same spelling in SQLite and PostgreSQL). */
export const NEWER_THAN_STORED = (t: string): string => `
  CASE
    WHEN ${t}.seq IS NOT NULL AND excluded.seq IS NOT NULL AND ${t}.seq <> excluded.seq THEN excluded.seq > ${t}.seq
    WHEN ${t}.time_ms <> excluded.time_ms THEN excluded.time_ms > ${t}.time_ms
    ELSE excluded.event_id > ${t}.event_id
  END`;

export interface Dialect {
  bigint: string;
  json: string;
  /** Qualified table name. */
  t(name: string): string;
}

export function tableDdl(d: Dialect): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${d.t('cases')} (
      case_key TEXT PRIMARY KEY,
      council TEXT NOT NULL,
      reference TEXT NOT NULL,
      service_id TEXT NOT NULL,
      service_key TEXT NOT NULL,
      status TEXT NOT NULL,
      seq ${d.bigint},
      time_ms ${d.bigint} NOT NULL,
      event_id TEXT NOT NULL,
      requested_ms ${d.bigint} NOT NULL,
      postcode TEXT,
      state ${d.json} NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS cases_reference ON ${d.t('cases')} (reference, council)`,
    `CREATE INDEX IF NOT EXISTS cases_updated ON ${d.t('cases')} (time_ms, case_key)`,
    `CREATE INDEX IF NOT EXISTS cases_council_updated ON ${d.t('cases')} (council, time_ms, case_key)`,
    `CREATE INDEX IF NOT EXISTS cases_status_updated ON ${d.t('cases')} (status, time_ms, case_key)`,
    `CREATE INDEX IF NOT EXISTS cases_service_requested ON ${d.t('cases')} (service_id, requested_ms)`,
    `CREATE TABLE IF NOT EXISTS ${d.t('events')} (
      event_id TEXT PRIMARY KEY,
      case_key TEXT NOT NULL,
      council TEXT NOT NULL,
      reference TEXT NOT NULL,
      service_id TEXT NOT NULL,
      service_key TEXT NOT NULL,
      time_ms ${d.bigint} NOT NULL,
      entry ${d.json} NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS events_case ON ${d.t('events')} (case_key)`,
    `CREATE INDEX IF NOT EXISTS events_service_time ON ${d.t('events')} (service_id, time_ms, event_id)`,
    `CREATE TABLE IF NOT EXISTS ${d.t('dead_letters')} (
      id TEXT PRIMARY KEY,
      source TEXT NOT NULL,
      reason TEXT NOT NULL,
      raw TEXT NOT NULL,
      at TEXT NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS ${d.t('positions')} (
      source TEXT PRIMARY KEY,
      value TEXT NOT NULL
    )`,
  ];
}

export const TABLES = ['cases', 'events', 'dead_letters', 'positions'] as const;

/** Collects parameters and returns each one's placeholder (`?` for SQLite, `$n` for PostgreSQL). */
export type Params = { add(value: unknown): string; list(values: readonly unknown[]): string; values: unknown[] };

export function params(style: 'sqlite' | 'postgres'): Params {
  const values: unknown[] = [];
  const add = (v: unknown) => {
    values.push(v);
    return style === 'sqlite' ? '?' : `$${values.length}`;
  };
  return { values, add, list: (vs) => vs.map(add).join(', ') };
}

export const CASE_COLUMNS = 'case_key, service_id, service_key, postcode, seq, time_ms, requested_ms, state';

export function listCasesSql(d: Dialect, p: Params, q: CaseQuery): string {
  const where: string[] = [];
  if (q.council !== undefined) where.push(`council = ${p.add(q.council)}`);
  if (q.statuses?.length) where.push(`status IN (${p.list(q.statuses)})`);
  if (q.serviceIds !== undefined) where.push(q.serviceIds.length ? `service_id IN (${p.list(q.serviceIds)})` : '1 = 0');
  if (q.references?.length) where.push(`reference IN (${p.list(q.references)})`);
  if (q.updatedSinceMs !== undefined) where.push(`time_ms >= ${p.add(q.updatedSinceMs)}`);
  if (q.requestedFromMs !== undefined) where.push(`requested_ms >= ${p.add(q.requestedFromMs)}`);
  if (q.requestedToMs !== undefined) where.push(`requested_ms <= ${p.add(q.requestedToMs)}`);
  if (q.after) where.push(`(time_ms > ${p.add(q.after.timeMs)} OR (time_ms = ${p.add(q.after.timeMs)} AND case_key > ${p.add(q.after.caseKey)}))`);
  const order = q.order === 'updated-asc' ? 'time_ms ASC, case_key ASC' : 'requested_ms DESC, case_key ASC';
  return `SELECT ${CASE_COLUMNS} FROM ${d.t('cases')} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${p.add(q.limit)}`;
}

export function listUpdatesSql(d: Dialect, p: Params, q: UpdateQuery): string {
  const where = [q.serviceIds.length ? `service_id IN (${p.list(q.serviceIds)})` : '1 = 0', `time_ms >= ${p.add(q.fromMs)}`, `time_ms < ${p.add(q.toMs)}`];
  if (q.council !== undefined) where.push(`council = ${p.add(q.council)}`);
  return `SELECT entry, reference, council, service_key FROM ${d.t('events')} WHERE ${where.join(' AND ')} ORDER BY time_ms ASC, event_id ASC LIMIT ${p.add(q.limit)}`;
}

export function findCasesSql(d: Dialect, p: Params, reference: string, council?: string): string {
  return `SELECT ${CASE_COLUMNS} FROM ${d.t('cases')} WHERE reference = ${p.add(reference)}${council !== undefined ? ` AND council = ${p.add(council)}` : ''} ORDER BY case_key`;
}
