/**
 * MySQL and MariaDB through `mysql2`: server-side prepared statements (`execute`, so values are
 * bound by the server), dates as strings, sessions in UTC and read-only.
 */
import mysql from 'mysql2/promise';
import type { FieldPacket, PoolConnection } from 'mysql2/promise';
import { durationMs } from '../../core/units.js';
import type { Logger } from '../../core/logger.js';
import type { SqlConnection } from './config.js';
import type { Dialect, FieldInfo, QueryOptions, QueryResult, SqlPool } from './dialect.js';
import { expandedLowerBound, readDatabaseClock } from './dialect.js';
import { classifySqlError, sqlError } from './errors.js';
import { compileNamed } from './params.js';
import { DbTimestamp, parseDbTimestamp } from './timestamps.js';
import type { TlsMaterial } from './tls.js';

/** mysql protocol column types (include/mysql/field_types.h). */
const T = { TIMESTAMP: 7, DATE: 10, DATETIME: 12, NEWDATE: 14, TIMESTAMP2: 17, DATETIME2: 18 } as const;

export const mysqlDialect: Dialect = {
  name: 'mysql',
  placeholders: 'question',
  backslashEscapes: true,
  defaultPort: 3306,
  quoteIdent: (name) => `\`${name.replace(/`/g, '``')}\``,
  qualify(schema, table) {
    return `${this.quoteIdent(schema)}.${this.quoteIdent(table)}`;
  },
  currentSchemaSql: 'SELECT DATABASE() AS schema_name',
  tablesSql: 'SELECT TABLE_NAME AS table_name FROM information_schema.TABLES WHERE TABLE_SCHEMA = :schema ORDER BY TABLE_NAME',
  columnsSql:
    'SELECT COLUMN_NAME AS column_name, DATA_TYPE AS data_type, IS_NULLABLE AS is_nullable FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = :schema AND TABLE_NAME = :table ORDER BY ORDINAL_POSITION',
  incrementalPage({ table, columns, key, updatedAt, lower }) {
    const where = expandedLowerBound(updatedAt, key, lower);
    return `SELECT ${columns.join(', ')} FROM ${table} WHERE ${where}${updatedAt} <= :until ORDER BY ${updatedAt}, ${key} LIMIT :limit`;
  },
  snapshotPage({ table, columns, key, first }) {
    return `SELECT ${columns.join(', ')} FROM ${table}${first ? '' : ` WHERE ${key} > :after_key`} ORDER BY ${key} LIMIT :limit`;
  },
  bindTimestamp(ts) {
    // Sessions run in UTC, so TIMESTAMP values were read as UTC wall time and compare as such.
    return `${ts.date} ${ts.time}${ts.frac ? '.' + ts.frac : ''}`;
  },
};

function fieldInfo(f: FieldPacket): FieldInfo {
  const type = f.columnType ?? f.type;
  const scale = typeof f.decimals === 'number' && f.decimals <= 6 ? f.decimals : 0;
  if (type === T.TIMESTAMP || type === T.TIMESTAMP2) return { name: f.name, kind: 'timestamp', tsKind: 'zoned', scale, typeName: 'timestamp' };
  if (type === T.DATETIME || type === T.DATETIME2) return { name: f.name, kind: 'timestamp', tsKind: 'local', scale, typeName: 'datetime' };
  if (type === T.DATE || type === T.NEWDATE) return { name: f.name, kind: 'date', typeName: 'date' };
  return { name: f.name, kind: 'other', typeName: `type:${type}` };
}

export function sessionStatementsMysql(conn: SqlConnection): string[] {
  const ms = Math.max(1, durationMs(conn.queryTimeout));
  const out = ["SET time_zone = '+00:00'"];
  // Server-side statement limit: MariaDB and MySQL name it differently (seconds vs milliseconds).
  out.push(conn.dialect === 'mariadb' ? `SET SESSION max_statement_time = ${ms / 1000}` : `SET SESSION max_execution_time = ${ms}`);
  if (conn.readOnlySession) out.push('SET SESSION TRANSACTION READ ONLY');
  return out;
}

export function createMysqlPool(opts: { connection: SqlConnection; tls: TlsMaterial | undefined; connector: string; logger: Logger }): SqlPool {
  const c = opts.connection;
  const pool = mysql.createPool({
    host: c.host,
    port: c.port ?? mysqlDialect.defaultPort,
    database: c.database,
    user: c.user,
    password: c.password,
    connectionLimit: c.poolMax,
    maxIdle: c.poolMax,
    idleTimeout: 30_000,
    connectTimeout: durationMs(c.connectTimeout),
    enableKeepAlive: true,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    multipleStatements: false,
    charset: 'utf8mb4',
    ssl: opts.tls ? { ...opts.tls } : undefined,
  });
  const session = sessionStatementsMysql(c);
  const initialised = new WeakSet<object>();
  const timeout = durationMs(c.queryTimeout) + 5_000;

  async function query(sql: string, params: Record<string, unknown>, q: QueryOptions): Promise<QueryResult> {
    // mysql2 sends JS numbers as DOUBLE, which LIMIT rejects on some servers; integers travel as text.
    const values = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'number' && Number.isInteger(v) ? String(v) : v]));
    const compiled = compileNamed(sql, values, 'question', { backslashEscapes: true });
    let conn: PoolConnection;
    try {
      conn = await pool.getConnection();
    } catch (err) {
      throw sqlError(err, { connector: opts.connector, operation: 'connect', dialect: c.dialect });
    }
    let broken = false;
    try {
      const underlying = (conn as unknown as { connection: object }).connection;
      if (!initialised.has(underlying)) {
        for (const s of session) await conn.query(s);
        initialised.add(underlying);
      }
      const [rows, fieldPackets] = await conn.execute({ sql: compiled.text, values: compiled.values as never[], timeout });
      const fields = (fieldPackets ?? []).map(fieldInfo);
      const out = rows as Record<string, unknown>[];
      convertRows(out, fields);
      return { rows: out, fields };
    } catch (err) {
      const category = classifySqlError(err);
      broken = category === 'connection' || category === 'timeout';
      throw sqlError(err, { connector: opts.connector, operation: q.operation, dialect: c.dialect });
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  }

  let closed = false;
  return {
    dialect: mysqlDialect,
    query,
    now: () => readDatabaseClock(query, 'SELECT UTC_TIMESTAMP(6) AS now'),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

function convertRows(rows: Record<string, unknown>[], fields: FieldInfo[]): void {
  const ts = fields.filter((f) => f.kind === 'timestamp');
  if (!ts.length) return;
  for (const row of rows) {
    for (const f of ts) {
      const v = row[f.name];
      if (typeof v !== 'string') continue;
      const parsed = parseDbTimestamp(v);
      // Zero dates ('0000-00-00 00:00:00') are not instants; keep the text for the mapping's nullIf.
      if (!parsed || parsed.date.startsWith('0000')) continue;
      // TIMESTAMP values are instants, printed in the session zone, which is UTC.
      row[f.name] = f.tsKind === 'zoned' ? new DbTimestamp(parsed.date, parsed.time, parsed.frac, '+00:00') : parsed;
    }
  }
}
