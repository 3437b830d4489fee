/**
 * Query building: what a SQL source learns once, before its first page, from the catalogue and a
 * zero-row probe — the page SQL for each lower bound, the result columns of the key and updated-at,
 * how the driver types them, and the parameter types to bind. Mistakes are config errors naming
 * the field (a missing column with near matches, a key that cannot be ordered, a non-timestamp).
 */
import type { Logger } from '../../core/logger.js';
import { ConfigError, SourceError, isRetriable, type CasebridgeError } from '../../core/errors.js';
import { isKeyableType, isTimestampType, resolveColumn, resolveResultColumn, resolveTable } from './catalogue.js';
import type { SqlRead } from './config.js';
import { keyParamType, type Dialect, type FieldInfo, type LowerBound, type ParamType, type SqlPool } from './dialect.js';
import { DbTimestamp } from './timestamps.js';

/** First-run lower bound bound into custom incremental queries when `start` is not set. */
export const FLOOR = new DbTimestamp('1900-01-01', '00:00:00', '');

/** What the plan learned; fixed for the source's life. */
export interface Plan {
  /** Provenance `table`: schema.table, or the custom query's label. */
  label: string;
  custom: boolean;
  /** SQL per lower bound (incremental) or first/next page (snapshot). */
  sql: (lower: LowerBound) => string;
  /** Result column names. */
  updatedAt?: string | undefined;
  key: string;
  tsField?: FieldInfo | undefined;
  keyField?: FieldInfo | undefined;
  paramTypes: Record<string, ParamType>;
}

/** Parameters of the zero-row probe: every name a query may use, bound to harmless values. */
export function probeParams(dialect: Dialect): Record<string, unknown> {
  const floor = dialect.bindTimestamp(FLOOR, undefined);
  return { since: floor, until: floor, after_key: null, limit: 0 };
}

export async function buildPlan(pool: SqlPool, read: SqlRead, connector: string, log: Logger): Promise<Plan> {
  return read.sql !== undefined ? planCustomQuery(pool, read, read.sql, connector) : planTable(pool, read, connector, log);
}

async function planCustomQuery(pool: SqlPool, read: SqlRead, text: string, connector: string): Promise<Plan> {
  const paramTypes: Record<string, ParamType> = { since: 'timestamp', until: 'timestamp', limit: 'int' };
  const label = read.label ?? 'query';
  const probe = await pool.query(text, probeParams(pool.dialect), { operation: 'check custom query', paramTypes: { ...paramTypes, after_key: 'nvarchar' } });
  const names = probe.fields.map((f) => f.name);
  const key = resolveResultColumn(names, read.key, 'read.key', label, connector);
  const keyField = probe.fields.find((f) => f.name === key);
  let updatedAt: string | undefined;
  let tsField: FieldInfo | undefined;
  if (read.mode === 'incremental') {
    updatedAt = resolveResultColumn(names, read.updatedAt, 'read.updatedAt', label, connector);
    tsField = probe.fields.find((f) => f.name === updatedAt);
    if (tsField?.kind !== 'timestamp') {
      throw new ConfigError(`the custom query (${label}) returns "${updatedAt}" as ${tsField?.typeName ?? 'an unknown type'}; read.updatedAt must be a timestamp column`, {
        context: { connector, table: label, field: 'read.updatedAt' },
      });
    }
  }
  const kp = keyParamType(keyField);
  if (kp) paramTypes.after_key = kp;
  return { label, custom: true, sql: () => text, updatedAt, key, tsField, keyField, paramTypes };
}

async function planTable(pool: SqlPool, read: SqlRead, connector: string, log: Logger): Promise<Plan> {
  const dialect = pool.dialect;
  const paramTypes: Record<string, ParamType> = { since: 'timestamp', until: 'timestamp', limit: 'int' };
  const table = await resolveTable(pool, { schema: read.schema, table: read.table! }, connector);
  const label = `${table.schema}.${table.name}`;
  const keyCol = resolveColumn(table, read.key, 'read.key', connector);
  if (!isKeyableType(keyCol.dataType)) {
    throw new ConfigError(`column "${keyCol.name}" of "${label}" is ${keyCol.dataType}; read.key must be a unique column of a comparable type (integer, text, uuid, …)`, {
      context: { connector, table: label, field: 'read.key' },
    });
  }
  if (keyCol.nullable) log.warn({ table: label, column: keyCol.name }, 'key column is nullable: rows with a NULL key cannot be read in key order');
  let tsCol: { name: string; dataType: string; nullable: boolean } | undefined;
  if (read.mode === 'incremental') {
    tsCol = resolveColumn(table, read.updatedAt, 'read.updatedAt', connector);
    if (!isTimestampType(tsCol.dataType)) {
      throw new ConfigError(`column "${tsCol.name}" of "${label}" is ${tsCol.dataType}; read.updatedAt must be a timestamp / datetime column`, {
        context: { connector, table: label, field: 'read.updatedAt' },
      });
    }
    if (tsCol.nullable) log.warn({ table: label, column: tsCol.name }, 'updated-at column is nullable: rows whose updated-at is NULL are never read in incremental mode');
  }
  const wanted = read.columns ? read.columns.map((c) => resolveColumn(table, c, 'read.columns', connector).name) : table.columns.map((c) => c.name);
  for (const must of [keyCol.name, tsCol?.name]) if (must && !wanted.includes(must)) wanted.push(must);
  const spec = { table: table.sql, columns: wanted.map((c) => dialect.quoteIdent(c)), key: dialect.quoteIdent(keyCol.name) };
  const tsQuoted = tsCol ? dialect.quoteIdent(tsCol.name) : undefined;
  const sql =
    read.mode === 'incremental'
      ? (lower: LowerBound) => dialect.incrementalPage({ ...spec, updatedAt: tsQuoted!, lower })
      : (lower: LowerBound) => dialect.snapshotPage({ ...spec, first: lower === 'none' });
  // A zero-row probe: proves the SELECT grant and tells us how the driver types the columns.
  const probeSql = sql(read.mode === 'incremental' ? (read.start ? 'since' : 'none') : 'none');
  const probe = await pool.query(probeSql, probeParams(dialect), { operation: `check ${label}`, paramTypes });
  const keyField = probe.fields.find((f) => f.name === keyCol.name);
  const tsField = tsCol ? probe.fields.find((f) => f.name === tsCol.name) : undefined;
  if (tsCol && tsField?.kind !== 'timestamp') {
    throw new ConfigError(`column "${tsCol.name}" of "${label}" is read as ${tsField?.typeName ?? 'an unknown type'}; read.updatedAt must be a timestamp column`, {
      context: { connector, table: label, field: 'read.updatedAt' },
    });
  }
  const kp = keyParamType(keyField);
  if (kp) paramTypes.after_key = kp;
  return { label, custom: false, sql, updatedAt: tsCol?.name, key: keyCol.name, tsField, keyField, paramTypes };
}

export interface Prepared {
  plan: Plan;
  pool: SqlPool;
}

export interface Planner {
  /** Open the pool and make the plan, once; a failure is forgotten so the next call tries again. */
  prepare(): Promise<Prepared>;
  /** Close the pool if one was opened. */
  close(): Promise<void>;
}

export function createPlanner(open: () => Promise<SqlPool>, read: SqlRead, connector: string, log: Logger): Planner {
  let opening: Promise<SqlPool> | undefined;
  let planning: Promise<Prepared> | undefined;

  async function openAndPlan(): Promise<Prepared> {
    opening ??= open().catch((err: unknown) => {
      opening = undefined;
      throw err;
    });
    const pool = await opening;
    return { plan: await buildPlan(pool, read, connector, log), pool };
  }

  return {
    prepare() {
      planning ??= openAndPlan().then(
        (prepared) => {
          const { plan } = prepared;
          log.info({ table: plan.label, mode: read.mode, key: plan.key, updatedAt: plan.updatedAt, tsKind: plan.tsField?.tsKind }, 'sql source ready');
          return prepared;
        },
        (err: unknown) => {
          planning = undefined;
          throw atStartup(err, connector);
        },
      );
      return planning;
    },
    async close() {
      if (opening) await (await opening.catch(() => undefined))?.close();
    },
  };
}

/** At startup a rejected SQL statement is a configuration problem; an unreachable database is not. */
export function atStartup(err: unknown, connector: string): unknown {
  if (err instanceof SourceError && !isRetriable(err)) {
    return new ConfigError(err.message, { cause: err.cause ?? err, context: { connector, ...(err as CasebridgeError).context, operation: 'check' }, code: err.code });
  }
  return err;
}
