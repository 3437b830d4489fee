/** PostgreSQL through `pg`: a small pool whose sessions are UTC, ISO-dated and read-only. */
import pg from 'pg';
import { durationMs } from '../../core/units.js';
import type { Logger } from '../../core/logger.js';
import type { SqlConnection } from './config.js';
import type { Dialect, FieldInfo, QueryOptions, QueryResult, SqlPool } from './dialect.js';
import { classifySqlError, sqlError } from './errors.js';
import { compileNamed } from './params.js';
import { parseDbTimestamp } from './timestamps.js';
import type { TlsMaterial } from './tls.js';
import { readDatabaseClock } from './dialect.js';

const OID = { date: 1082, timestamp: 1114, timestamptz: 1184, timestampArr: 1115, timestamptzArr: 1185, dateArr: 1182 } as const;
const RAW_TEXT = new Set<number>(Object.values(OID));

const identity = (v: string) => v;

/** Read dates and timestamps as the server's text; other types keep pg's own parsers. */
const textTimestamps = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    RAW_TEXT.has(oid) ? identity : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export const postgresDialect: Dialect = {
  name: 'postgres',
  placeholders: 'dollar',
  backslashEscapes: false,
  defaultPort: 5432,
  quoteIdent: (name) => `"${name.replace(/"/g, '""')}"`,
  qualify(schema, table) {
    return `${this.quoteIdent(schema)}.${this.quoteIdent(table)}`;
  },
  currentSchemaSql: 'SELECT current_schema() AS schema_name',
  tablesSql: 'SELECT table_name AS table_name FROM information_schema.tables WHERE table_schema = :schema ORDER BY table_name',
  columnsSql:
    'SELECT column_name AS column_name, data_type AS data_type, is_nullable AS is_nullable FROM information_schema.columns WHERE table_schema = :schema AND table_name = :table ORDER BY ordinal_position',
  incrementalPage({ table, columns, key, updatedAt, lower }) {
    // A row comparison is what PostgreSQL's btree can use directly on an (updated_at, key) index.
    const where =
      lower === 'keyset' ? `(${updatedAt}, ${key}) > (:since, :after_key) AND ` : lower === 'since' ? `${updatedAt} > :since AND ` : '';
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE ${where}${updatedAt} <= :until ORDER BY ${updatedAt}, ${key} LIMIT :limit`;
  },
  snapshotPage({ table, columns, key, first }) {
    return `SELECT ${columns.join(', ')} FROM ${table}${first ? '' : ` WHERE ${key} > :after_key`} ORDER BY ${key} LIMIT :limit`;
  },
  bindTimestamp(ts) {
    return ts.toString();
  },
};

function fieldInfo(f: pg.FieldDef): FieldInfo {
  switch (f.dataTypeID) {
    case OID.timestamp:
      return { name: f.name, kind: 'timestamp', tsKind: 'local', scale: 6, typeName: 'timestamp' };
    case OID.timestamptz:
      return { name: f.name, kind: 'timestamp', tsKind: 'zoned', scale: 6, typeName: 'timestamptz' };
    case OID.date:
      return { name: f.name, kind: 'date', typeName: 'date' };
    default:
      return { name: f.name, kind: 'other', typeName: `oid:${f.dataTypeID}` };
  }
}

export function sessionStatementsPostgres(conn: SqlConnection): string[] {
  const out = ["SET TIME ZONE 'UTC'", "SET DateStyle = 'ISO, YMD'", `SET statement_timeout = ${Math.max(1, durationMs(conn.queryTimeout))}`];
  if (conn.readOnlySession) out.push('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  return out;
}

export function createPostgresPool(opts: { connection: SqlConnection; tls: TlsMaterial | undefined; connector: string; logger: Logger }): SqlPool {
  const c = opts.connection;
  const pool = new pg.Pool({
    host: c.host,
    port: c.port ?? postgresDialect.defaultPort,
    database: c.database,
    user: c.user,
    password: c.password,
    max: c.poolMax,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: durationMs(c.connectTimeout),
    // Client-side guard in case the server-side statement_timeout cannot fire (network stall).
    query_timeout: durationMs(c.queryTimeout) + 5_000,
    application_name: `casebridge:${opts.connector}`.slice(0, 63),
    ssl: opts.tls ? { ...opts.tls } : false,
    types: textTimestamps,
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', (err) => opts.logger.warn({ err: err.message, connector: opts.connector }, 'postgres idle connection closed'));

  const initialised = new WeakSet<pg.PoolClient>();
  const session = sessionStatementsPostgres(c);

  async function query(sql: string, params: Record<string, unknown>, q: QueryOptions): Promise<QueryResult> {
    const compiled = compileNamed(sql, params, 'dollar');
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw sqlError(err, { connector: opts.connector, operation: 'connect', dialect: 'postgres' });
    }
    let broken: Error | undefined;
    try {
      if (!initialised.has(client)) {
        for (const s of session) await client.query(s);
        initialised.add(client);
      }
      const res = await client.query({ text: compiled.text, values: compiled.values });
      const fields = res.fields.map(fieldInfo);
      const rows = res.rows as Record<string, unknown>[];
      convertRows(rows, fields);
      return { rows, fields };
    } catch (err) {
      broken = err as Error;
      throw sqlError(err, { connector: opts.connector, operation: q.operation, dialect: 'postgres' });
    } finally {
      // A connection that failed mid-query may be unusable; drop it rather than hand it out again.
      const category = broken ? classifySqlError(broken) : undefined;
      client.release(category === 'connection' || category === 'timeout' ? broken : undefined);
    }
  }

  return {
    dialect: postgresDialect,
    query,
    now: () => readDatabaseClock(query, 'SELECT clock_timestamp() AS now'),
    async close() {
      if (!pool.ended && !(pool as { ending?: boolean }).ending) await pool.end();
    },
  };
}

function convertRows(rows: Record<string, unknown>[], fields: FieldInfo[]): void {
  const ts = fields.filter((f) => f.kind === 'timestamp');
  if (!ts.length) return;
  for (const row of rows) {
    for (const f of ts) {
      const v = row[f.name];
      if (typeof v === 'string') row[f.name] = parseDbTimestamp(v) ?? v;
    }
  }
}
