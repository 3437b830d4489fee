/**
 * SQL Server through `mssql` (tedious). NOT integration-tested here (no SQL Server can run on the
 * build machine); the generated SQL and parameter binding are unit-tested. See docs/sql.md.
 *
 * Values are bound as typed request inputs (@name). Timestamps are bound as ISO 8601 text with a
 * `T`, the one format SQL Server reads the same under every language / DATEFORMAT (a UK login's
 * `british` language reads '2025-03-01 10:00' as 3 January for `datetime`).
 */
import sql from 'mssql';
import { durationMs } from '../../core/units.js';
import type { Logger } from '../../core/logger.js';
import type { SqlConnection } from './config.js';
import type { Dialect, FieldInfo, ParamType, QueryOptions, QueryResult, SqlPool } from './dialect.js';
import { expandedLowerBound, readDatabaseClock } from './dialect.js';
export { keyParamType } from './dialect.js';
import { classifySqlError, sqlError } from './errors.js';
import { compileNamed } from './params.js';
import { fromTediousDate, type TimestampKind } from './timestamps.js';
import type { TlsMaterial } from './tls.js';

export const mssqlDialect: Dialect = {
  name: 'mssql',
  placeholders: 'at',
  backslashEscapes: false,
  defaultPort: 1433,
  quoteIdent: (name) => `[${name.replace(/]/g, ']]')}]`,
  qualify(schema, table) {
    return `${this.quoteIdent(schema)}.${this.quoteIdent(table)}`;
  },
  currentSchemaSql: 'SELECT SCHEMA_NAME() AS schema_name',
  tablesSql: 'SELECT TABLE_NAME AS table_name FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = :schema ORDER BY TABLE_NAME',
  columnsSql:
    'SELECT COLUMN_NAME AS column_name, DATA_TYPE AS data_type, IS_NULLABLE AS is_nullable FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = :schema AND TABLE_NAME = :table ORDER BY ORDINAL_POSITION',
  incrementalPage({ table, columns, key, updatedAt, lower }) {
    const where = expandedLowerBound(updatedAt, key, lower);
    return `SELECT TOP (:limit) ${columns.join(', ')} FROM ${table} WHERE ${where}${updatedAt} <= :until ORDER BY ${updatedAt}, ${key}`;
  },
  snapshotPage({ table, columns, key, first }) {
    return `SELECT TOP (:limit) ${columns.join(', ')} FROM ${table}${first ? '' : ` WHERE ${key} > :after_key`} ORDER BY ${key}`;
  },
  bindTimestamp(ts, field) {
    // datetime takes at most 3 fractional digits and smalldatetime none; more is a conversion error.
    const scale = field?.scale ?? 7;
    const frac = ts.frac.slice(0, scale);
    return `${ts.date}T${ts.time}${frac ? '.' + frac : ''}${ts.offset ?? ''}`;
  },
};

const TS_TYPES = new Map<unknown, { kind: TimestampKind; scale?: number; name: string }>([
  [sql.TYPES.DateTime, { kind: 'local', scale: 3, name: 'datetime' }],
  [sql.TYPES.SmallDateTime, { kind: 'local', scale: 0, name: 'smalldatetime' }],
  [sql.TYPES.DateTime2, { kind: 'local', name: 'datetime2' }],
  [sql.TYPES.DateTimeOffset, { kind: 'zoned', name: 'datetimeoffset' }],
]);

const TYPE_NAMES = new Map<unknown, string>([
  [sql.TYPES.VarChar, 'varchar'],
  [sql.TYPES.Char, 'char'],
  [sql.TYPES.Text, 'text'],
  [sql.TYPES.NVarChar, 'nvarchar'],
  [sql.TYPES.NChar, 'nchar'],
  [sql.TYPES.NText, 'ntext'],
  [sql.TYPES.Int, 'int'],
  [sql.TYPES.SmallInt, 'smallint'],
  [sql.TYPES.TinyInt, 'tinyint'],
  [sql.TYPES.BigInt, 'bigint'],
  [sql.TYPES.UniqueIdentifier, 'uniqueidentifier'],
  [sql.TYPES.Date, 'date'],
]);

export interface MssqlColumn {
  name: string;
  type: unknown;
  scale?: number;
}

export function mssqlFieldInfo(col: MssqlColumn): FieldInfo {
  const ts = TS_TYPES.get(col.type);
  if (ts) return { name: col.name, kind: 'timestamp', tsKind: ts.kind, scale: ts.scale ?? col.scale ?? 7, typeName: ts.name };
  const name = TYPE_NAMES.get(col.type) ?? 'other';
  return { name: col.name, kind: name === 'date' ? 'date' : 'other', typeName: name };
}

export interface MssqlInput {
  name: string;
  kind: ParamType;
  type: sql.ISqlType | (() => sql.ISqlType);
  value: unknown;
}

function inferKind(v: unknown): ParamType {
  if (typeof v === 'bigint') return 'bigint';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return 'float';
    return v >= -2147483648 && v <= 2147483647 ? 'int' : 'bigint';
  }
  return 'nvarchar';
}

function sqlType(kind: ParamType): sql.ISqlType | (() => sql.ISqlType) {
  switch (kind) {
    case 'timestamp':
      return sql.VarChar(40);
    case 'varchar':
      return sql.VarChar(8000);
    case 'nvarchar':
      return sql.NVarChar(4000);
    case 'int':
      return sql.Int;
    case 'bigint':
      return sql.BigInt;
    case 'float':
      return sql.Float;
  }
}

/** Typed request inputs for named values; pure, so binding is testable without a server. */
export function mssqlInputs(named: Record<string, unknown>, types: Record<string, ParamType> = {}): MssqlInput[] {
  return Object.entries(named).map(([name, value]) => {
    const kind = types[name] ?? inferKind(value);
    // A bigint key travels as text, converted by the server: JS numbers lose digits past 2^53.
    const v = kind === 'bigint' && value !== null && value !== undefined ? String(value) : value;
    return { name, kind, type: sqlType(kind), value: v ?? null };
  });
}

export function createMssqlPool(opts: { connection: SqlConnection; tls: TlsMaterial | undefined; connector: string; logger: Logger }): SqlPool {
  const c = opts.connection;
  const pool = new sql.ConnectionPool({
    server: c.host,
    port: c.instanceName ? undefined : (c.port ?? mssqlDialect.defaultPort),
    database: c.database,
    user: c.user,
    password: c.password,
    connectionTimeout: durationMs(c.connectTimeout),
    requestTimeout: durationMs(c.queryTimeout),
    pool: { max: c.poolMax, min: 0, idleTimeoutMillis: 30_000 },
    options: {
      instanceName: c.instanceName,
      encrypt: opts.tls !== undefined,
      trustServerCertificate: opts.tls ? !opts.tls.rejectUnauthorized : false,
      serverName: opts.tls?.servername,
      cryptoCredentialsDetails: opts.tls ? { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key } : undefined,
      // Dates built from UTC fields: wall-clock columns come back as their stored digits.
      useUTC: true,
      readOnlyIntent: c.readOnlySession,
      appName: `casebridge:${opts.connector}`.slice(0, 128),
    } as sql.config['options'],
  });
  pool.on('error', (err: Error) => opts.logger.warn({ err: err.message, connector: opts.connector }, 'mssql pool error'));
  let connecting: Promise<sql.ConnectionPool> | undefined;

  async function connected(): Promise<sql.ConnectionPool> {
    connecting ??= pool.connect().catch((err: unknown) => {
      connecting = undefined;
      throw err;
    });
    return connecting;
  }

  async function query(text: string, params: Record<string, unknown>, q: QueryOptions): Promise<QueryResult> {
    const compiled = compileNamed(text, params, 'at');
    let p: sql.ConnectionPool;
    try {
      p = await connected();
    } catch (err) {
      throw sqlError(err, { connector: opts.connector, operation: 'connect', dialect: 'mssql' });
    }
    try {
      const req = p.request();
      for (const input of mssqlInputs(compiled.named, q.paramTypes)) req.input(input.name, input.type, input.value);
      const res = await req.query(compiled.text);
      const cols = Object.values((res.recordset?.columns ?? {}) as Record<string, MssqlColumn & { index: number }>).sort((a, b) => a.index - b.index);
      const fields = cols.map(mssqlFieldInfo);
      const rows = (res.recordset ?? []) as Record<string, unknown>[];
      convertRows(rows, fields);
      return { rows, fields };
    } catch (err) {
      const category = classifySqlError(err);
      if (category === 'connection') connecting = undefined;
      throw sqlError(err, { connector: opts.connector, operation: q.operation, dialect: 'mssql' });
    }
  }

  let closed = false;
  return {
    dialect: mssqlDialect,
    query,
    now: () => readDatabaseClock(query, 'SELECT SYSUTCDATETIME() AS now'),
    async close() {
      if (closed) return;
      closed = true;
      if (connecting) await pool.close();
    },
  };
}

/** tedious Dates → DbTimestamp (every digit) and yyyy-MM-dd for date columns. */
export function convertRows(rows: Record<string, unknown>[], fields: FieldInfo[]): void {
  const conv = fields.filter((f) => f.kind !== 'other');
  if (!conv.length) return;
  for (const row of rows) {
    for (const f of conv) {
      const v = row[f.name];
      if (!(v instanceof Date)) continue;
      row[f.name] = f.kind === 'date' ? v.toISOString().slice(0, 10) : fromTediousDate(v, f.tsKind ?? 'local', f.scale ?? 7);
    }
  }
}
