/**
 * What differs between databases, kept small: identifier quoting, placeholders, catalogue and
 * clock queries, session statements and the keyset page SQL. Everything else (modes, checkpoints,
 * conversion to records) is shared and lives in source.ts.
 */
import type { DateTime } from 'luxon';
import type { PlaceholderStyle } from './params.js';
import { DbTimestamp, toDateTime, type TimestampKind } from './timestamps.js';

export interface FieldInfo {
  name: string;
  /** `timestamp` values arrive as DbTimestamp; `date` as yyyy-MM-dd text. */
  kind: 'timestamp' | 'date' | 'other';
  tsKind?: TimestampKind;
  /** Fractional-second digits the column keeps (SQL Server datetime: 3, smalldatetime: 0). */
  scale?: number;
  /** The driver's type name, for messages and SQL Server parameter types. */
  typeName: string;
}

export interface QueryResult {
  rows: Record<string, unknown>[];
  fields: FieldInfo[];
}

/** Parameter types matter only to SQL Server (nvarchar against a varchar index defeats the index). */
export type ParamType = 'timestamp' | 'varchar' | 'nvarchar' | 'int' | 'bigint' | 'float';

export interface QueryOptions {
  /** What the query is for, reported in errors: catalogue, probe, page, now, session. */
  operation: string;
  paramTypes?: Record<string, ParamType>;
}

/** A small pool on one database. SQL uses `:name` parameters; the pool binds them. */
export interface SqlPool {
  readonly dialect: Dialect;
  query(sql: string, params: Record<string, unknown>, opts: QueryOptions): Promise<QueryResult>;
  /** The database's own clock, as an instant. */
  now(): Promise<DateTime>;
  close(): Promise<void>;
}

export interface CatalogueColumn {
  name: string;
  dataType: string;
  nullable: boolean;
}

/** Which lower bound a keyset page uses. */
export type LowerBound = 'none' | 'since' | 'keyset';

/**
 * The lower-bound predicate for databases without row-value comparison (MySQL/MariaDB, SQL Server):
 * `(ts, key) > (:since, :after_key)` expanded, with a leading `ts >= :since` so the optimiser gets a
 * range on the (updated_at, key) index. Ends with AND (or is empty) so the caller appends the upper bound.
 */
export function expandedLowerBound(updatedAt: string, key: string, lower: LowerBound): string {
  if (lower === 'keyset') return `${updatedAt} >= :since AND (${updatedAt} > :since OR ${key} > :after_key) AND `;
  if (lower === 'since') return `${updatedAt} > :since AND `;
  return '';
}

export interface PageSpec {
  /** Quoted, qualified table name. */
  table: string;
  /** Quoted column names to select. */
  columns: string[];
  /** Quoted key column. */
  key: string;
}

export interface Dialect {
  readonly name: 'postgres' | 'mysql' | 'mssql';
  readonly placeholders: PlaceholderStyle;
  /** MySQL strings treat backslash as an escape; the parameter scanner must know. */
  readonly backslashEscapes: boolean;
  readonly defaultPort: number;
  quoteIdent(name: string): string;
  qualify(schema: string, table: string): string;
  /** One row, column schema_name: the schema unqualified names resolve to. */
  readonly currentSchemaSql: string;
  /** Rows (table_name) of tables and views in :schema. */
  readonly tablesSql: string;
  /** Rows (column_name, data_type, is_nullable) of :schema.:table in ordinal order. */
  readonly columnsSql: string;
  /**
   * Incremental page: rows after (:since, :after_key), at or before :until, ordered by
   * (updated-at, key), at most :limit. `lower` = none on a first run without `start`, since
   * (strictly after :since) on a first run with `start`, keyset afterwards.
   */
  incrementalPage(spec: PageSpec & { updatedAt: string; lower: LowerBound }): string;
  /** Snapshot page: rows with key > :after_key (none on the first page) ordered by key, at most :limit. */
  snapshotPage(spec: PageSpec & { first: boolean }): string;
  /** Text to bind for a timestamp so the database compares it exactly with the column it came from. */
  bindTimestamp(ts: DbTimestamp, field: FieldInfo | undefined): string;
}

/** The parameter type for a key column (SQL Server only), so a varchar index is compared with varchar. */
export function keyParamType(field: FieldInfo | undefined): ParamType | undefined {
  switch (field?.typeName) {
    case 'varchar':
    case 'char':
      return 'varchar';
    case 'nvarchar':
    case 'nchar':
    case 'uniqueidentifier':
      return 'nvarchar';
    case 'int':
    case 'smallint':
    case 'tinyint':
      return 'int';
    case 'bigint':
      return 'bigint';
    default:
      return undefined;
  }
}

/**
 * The database's own clock in UTC, the upper bound of every incremental poll. `sql` selects one
 * timestamp column named `now` (each dialect its own function for the current UTC time).
 */
export async function readDatabaseClock(query: SqlPool['query'], sql: string): Promise<DateTime> {
  const { rows } = await query(sql, {}, { operation: 'read database clock' });
  const ts = rows[0]?.now;
  if (!(ts instanceof DbTimestamp)) throw new Error(`unexpected clock value ${String(ts)}`);
  return toDateTime(ts, 'UTC');
}
