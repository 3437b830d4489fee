/**
 * Real databases for the SQL connector tests: the PostgreSQL and MariaDB running on 127.0.0.1.
 * Each test file creates uniquely named tables and drops them afterwards.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Mapping } from '../../src/normalize/mapping-schema.js';
import { SqlConnectorConfig } from '../../src/connectors/sql/config.js';
import { compileNamed } from '../../src/connectors/sql/params.js';
import type { ReadContext, Source, SourceBatch, SourceDeps, SourceRecord } from '../../src/core/source.js';
import type { ConnectorState } from '../../src/core/state-store.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';
import { committed } from '../helpers/outcome.js';

export type DbName = 'postgres' | 'mariadb';

export interface Exec {
  exec(sql: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface Harness extends Exec {
  name: DbName;
  connection: Record<string, unknown>;
  /** A second, independent connection (for a transaction held open). */
  open(): Promise<Exec>;
  types: { tsLocal: string; tsZoned: string; int: string; text: string };
  /** SQL expression: the database's current time as the column type expects. */
  now: string;
  /** Quote an identifier for this database. */
  q(name: string): string;
}

export const PG_CONNECTION = { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: process.env.CB_PG_USER ?? 'postgres', database: 'test', tls: { mode: 'disable' } };
export const MARIADB_CONNECTION = { dialect: 'mariadb', host: '127.0.0.1', port: 3306, user: 'root', database: 'test', tls: { mode: 'disable' } };

async function pgExec(): Promise<Exec> {
  const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: PG_CONNECTION.user, database: 'test' });
  await c.connect();
  return {
    async exec(sql, params = {}) {
      const compiled = compileNamed(sql, params, 'dollar');
      return (await c.query(compiled.text, compiled.values)).rows as Record<string, unknown>[];
    },
    close: () => c.end(),
  };
}

async function mariaExec(): Promise<Exec> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test', dateStrings: true, timezone: 'Z' });
  await c.query("SET time_zone = '+00:00'");
  return {
    async exec(sql, params = {}) {
      const compiled = compileNamed(sql, params, 'question', { backslashEscapes: true });
      const [rows] = await c.query(compiled.text, compiled.values);
      return rows as Record<string, unknown>[];
    },
    close: () => c.end(),
  };
}

export async function openHarness(name: DbName): Promise<Harness> {
  if (name === 'postgres') {
    const admin = await pgExec();
    return {
      ...admin,
      name,
      connection: PG_CONNECTION,
      open: pgExec,
      types: { tsLocal: 'timestamp(6)', tsZoned: 'timestamptz(6)', int: 'bigint', text: 'text' },
      now: 'clock_timestamp()',
      q: (n) => `"${n}"`,
    };
  }
  const admin = await mariaExec();
  return {
    ...admin,
    name,
    connection: MARIADB_CONNECTION,
    open: mariaExec,
    types: { tsLocal: 'datetime(6)', tsZoned: 'timestamp(6) NULL', int: 'bigint', text: 'varchar(200)' },
    now: 'UTC_TIMESTAMP(6)',
    q: (n) => `\`${n}\``,
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
}

export const MAPPING = Mapping.parse({
  reference: 'ref',
  status: { code: 'status', lookup: 'status' },
  lookups: { status: { kind: 'status', entries: { OPEN: { status: 'received' }, WIP: { status: 'in_progress' }, DONE: { status: 'closed' } } } },
});

export function sqlConfig(connection: Record<string, unknown>, read: Record<string, unknown>, extra: Record<string, unknown> = {}): SqlConnectorConfig {
  return SqlConnectorConfig.parse({
    type: 'sql',
    name: 'sql-test',
    council: 'E09000019',
    system: { supplier: 'Test' },
    mapping: MAPPING,
    connection,
    read,
    ...extra,
  });
}

export function deps(state?: ConnectorState): SourceDeps {
  const none: ConnectorState = {
    connector: 'sql-test',
    checkpoint: async () => undefined,
    get: async () => undefined,
    getMany: async () => new Map(),
    entries: async function* () {},
    commit: async () => {},
  };
  return { connector: 'sql-test', clock: systemClock, logger: silentLogger(), state: state ?? none, baseDir: process.cwd() };
}

/**
 * One poll the way the runtime drives it: take each batch, commit its checkpoint, ack. Stops
 * after `maxBatches` (simulating a crash after that many commits) when given.
 */
export async function poll(source: Source, state: ConnectorState, opts: { maxBatches?: number } = {}): Promise<{ records: SourceRecord[]; batches: SourceBatch[] }> {
  const records: SourceRecord[] = [];
  const batches: SourceBatch[] = [];
  const ctx: ReadContext = { checkpoint: await state.checkpoint(), signal: new AbortController().signal };
  for await (const batch of source.read(ctx)) {
    batches.push(batch);
    records.push(...batch.records);
    await state.commit({ checkpoint: batch.checkpoint });
    await batch.ack(committed(batch));
    if (opts.maxBatches !== undefined && batches.length >= opts.maxBatches) break;
    if (batches.length > 10_000) throw new Error('runaway poll');
  }
  return { records, batches };
}

export const keysOf = (records: SourceRecord[]) => records.map((r) => r.position.key!);

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
