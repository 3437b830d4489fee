/**
 * The SQL source: keyset pages, one at a time, so memory stays flat on a table of any size.
 *
 * incremental — rows after the checkpoint (updated-at, key), up to the database clock minus `lag`,
 *   ordered by (updated-at, key). The key breaks ties, so rows sharing a timestamp across a page
 *   boundary are never lost; the checkpoint is the (updated-at, key) of a page's last row, kept with
 *   every fractional digit the database has.
 * snapshot — the whole table (or query) in pages ordered by key, each batch flagged with
 *   `snapshot` so the runtime diffs against the last version of each case and handles
 *   disappeared ones.
 *
 * The source never commits: it yields the checkpoint and the runtime commits after publishing.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { durationMs } from '../../core/units.js';
import { ConfigError, SourceError, isRetriable, type CasebridgeError } from '../../core/errors.js';
import { ignoreOutcome, type ReadContext, type Source, type SourceBatch, type SourceDeps, type SourceRecord } from '../../core/source.js';
import { isKeyableType, isTimestampType, resolveColumn, resolveResultColumn, resolveTable } from './catalogue.js';
import { sqlConfigProblems, type SqlConnectorConfig } from './config.js';
import { keyParamType, type Dialect, type FieldInfo, type LowerBound, type ParamType, type SqlPool } from './dialect.js';
import { DbTimestamp, fromDateTime, holdBeforeRepeatedHour, toIsoWithOffset } from './timestamps.js';
import { tlsMaterial } from './tls.js';

const KeyValue = z.union([z.string(), z.number(), z.null()]);

export const IncrementalCheckpoint = z.object({
  mode: z.literal('incremental'),
  /** The updated-at column the position belongs to. */
  column: z.string(),
  /** Updated-at of the last row read, as the database wrote it (every fractional digit). */
  ts: z.string(),
  key: KeyValue,
  /** The same instant as ISO with offset, for people reading the state store. */
  at: z.string().optional(),
});
export type IncrementalCheckpoint = z.infer<typeof IncrementalCheckpoint>;

export const SnapshotCheckpoint = z.object({
  mode: z.literal('snapshot'),
  snapshot: z.string(),
  done: z.boolean(),
  /** Key of the last row read while a snapshot is in progress. */
  afterKey: KeyValue.optional(),
  at: z.string().optional(),
});
export type SnapshotCheckpoint = z.infer<typeof SnapshotCheckpoint>;

const SqlCheckpoint = z.discriminatedUnion('mode', [IncrementalCheckpoint, SnapshotCheckpoint]);

/** First-run lower bound bound into custom incremental queries when `start` is not set. */
const FLOOR = new DbTimestamp('1900-01-01', '00:00:00', '');

export type PoolFactory = (config: SqlConnectorConfig, deps: SourceDeps) => Promise<SqlPool>;

/** Drivers load on first use: a gateway reading PostgreSQL never loads tedious, and the reverse. */
export const defaultPoolFactory: PoolFactory = async (config, deps) => {
  const opts = {
    connection: config.connection,
    tls: tlsMaterial(config.connection.tls, deps.baseDir, config.name),
    connector: config.name,
    logger: deps.logger,
  };
  switch (config.connection.dialect) {
    case 'postgres':
      return (await import('./postgres.js')).createPostgresPool(opts);
    case 'mysql':
    case 'mariadb':
      return (await import('./mysql.js')).createMysqlPool(opts);
    case 'mssql':
      return (await import('./mssql.js')).createMssqlPool(opts);
  }
};

/** What prepare() learned from the catalogue and a zero-row probe; fixed for the source's life. */
interface Plan {
  /** Provenance `table`: schema.table, or the custom query's label. */
  label: string;
  custom: boolean;
  /** SQL per lower bound (incremental) or first/next page (snapshot). */
  sql: (lower: LowerBound) => string;
  /** Result column names. */
  updatedAt?: string;
  key: string;
  tsField?: FieldInfo;
  keyField?: FieldInfo;
  paramTypes: Record<string, ParamType>;
}

export function createSqlSourceWith(config: SqlConnectorConfig, deps: SourceDeps, poolFactory: PoolFactory = defaultPoolFactory): Source {
  const problems = sqlConfigProblems(config.read, config.connection.dialect);
  if (problems.length) {
    throw new ConfigError(problems.map((p) => `read.${p.path.join('.')}: ${p.message}`).join('; '), { context: { connector: config.name, field: 'read' } });
  }
  const log = deps.logger.child({ kind: 'sql' });
  const read = config.read;
  const zone = config.timezone;
  const batchSize = config.batchSize;
  // Assigned by prepare(), which every path to the database goes through first.
  let pool!: SqlPool;
  let dialect!: Dialect;
  let opening: Promise<SqlPool> | undefined;
  let planning: Promise<Plan> | undefined;
  let closed = false;

  async function buildPlan(): Promise<Plan> {
    opening ??= poolFactory(config, deps).catch((err: unknown) => {
      opening = undefined;
      throw err;
    });
    pool = await opening;
    dialect = pool.dialect;
    const paramTypes: Record<string, ParamType> = { since: 'timestamp', until: 'timestamp', limit: 'int' };
    if (read.sql !== undefined) {
      const label = read.label ?? 'query';
      const text = read.sql;
      const probe = await pool.query(text, probeParams(), { operation: 'check custom query', paramTypes: { ...paramTypes, after_key: 'nvarchar' } });
      const names = probe.fields.map((f) => f.name);
      const key = resolveResultColumn(names, read.key, 'read.key', label, config.name);
      const keyField = probe.fields.find((f) => f.name === key);
      let updatedAt: string | undefined;
      let tsField: FieldInfo | undefined;
      if (read.mode === 'incremental') {
        updatedAt = resolveResultColumn(names, read.updatedAt, 'read.updatedAt', label, config.name);
        tsField = probe.fields.find((f) => f.name === updatedAt);
        if (tsField?.kind !== 'timestamp') {
          throw new ConfigError(`the custom query (${label}) returns "${updatedAt}" as ${tsField?.typeName ?? 'an unknown type'}; read.updatedAt must be a timestamp column`, {
            context: { connector: config.name, table: label, field: 'read.updatedAt' },
          });
        }
      }
      const kp = keyParamType(keyField);
      if (kp) paramTypes.after_key = kp;
      return { label, custom: true, sql: () => text, updatedAt, key, tsField, keyField, paramTypes };
    }

    const table = await resolveTable(pool, { schema: read.schema, table: read.table! }, config.name);
    const label = `${table.schema}.${table.name}`;
    const keyCol = resolveColumn(table, read.key, 'read.key', config.name);
    if (!isKeyableType(keyCol.dataType)) {
      throw new ConfigError(`column "${keyCol.name}" of "${label}" is ${keyCol.dataType}; read.key must be a unique column of a comparable type (integer, text, uuid, …)`, {
        context: { connector: config.name, table: label, field: 'read.key' },
      });
    }
    if (keyCol.nullable) log.warn({ table: label, column: keyCol.name }, 'key column is nullable: rows with a NULL key cannot be read in key order');
    let tsCol: { name: string; dataType: string; nullable: boolean } | undefined;
    if (read.mode === 'incremental') {
      tsCol = resolveColumn(table, read.updatedAt, 'read.updatedAt', config.name);
      if (!isTimestampType(tsCol.dataType)) {
        throw new ConfigError(`column "${tsCol.name}" of "${label}" is ${tsCol.dataType}; read.updatedAt must be a timestamp / datetime column`, {
          context: { connector: config.name, table: label, field: 'read.updatedAt' },
        });
      }
      if (tsCol.nullable) log.warn({ table: label, column: tsCol.name }, 'updated-at column is nullable: rows whose updated-at is NULL are never read in incremental mode');
    }
    const wanted = read.columns ? read.columns.map((c) => resolveColumn(table, c, 'read.columns', config.name).name) : table.columns.map((c) => c.name);
    for (const must of [keyCol.name, tsCol?.name]) if (must && !wanted.includes(must)) wanted.push(must);
    const spec = { table: table.sql, columns: wanted.map((c) => dialect.quoteIdent(c)), key: dialect.quoteIdent(keyCol.name) };
    const tsQuoted = tsCol ? dialect.quoteIdent(tsCol.name) : undefined;
    const sql =
      read.mode === 'incremental'
        ? (lower: LowerBound) => dialect.incrementalPage({ ...spec, updatedAt: tsQuoted!, lower })
        : (lower: LowerBound) => dialect.snapshotPage({ ...spec, first: lower === 'none' });
    // A zero-row probe: proves the SELECT grant and tells us how the driver types the columns.
    const probeSql = sql(read.mode === 'incremental' ? (read.start ? 'since' : 'none') : 'none');
    const probe = await pool.query(probeSql, probeParams(), { operation: `check ${label}`, paramTypes });
    const keyField = probe.fields.find((f) => f.name === keyCol.name);
    const tsField = tsCol ? probe.fields.find((f) => f.name === tsCol.name) : undefined;
    if (tsCol && tsField?.kind !== 'timestamp') {
      throw new ConfigError(`column "${tsCol.name}" of "${label}" is read as ${tsField?.typeName ?? 'an unknown type'}; read.updatedAt must be a timestamp column`, {
        context: { connector: config.name, table: label, field: 'read.updatedAt' },
      });
    }
    const kp = keyParamType(keyField);
    if (kp) paramTypes.after_key = kp;
    return { label, custom: false, sql, updatedAt: tsCol?.name, key: keyCol.name, tsField, keyField, paramTypes };
  }

  function probeParams(): Record<string, unknown> {
    const floor = dialect.bindTimestamp(FLOOR, undefined);
    return { since: floor, until: floor, after_key: null, limit: 0 };
  }

  async function prepare(): Promise<Plan> {
    planning ??= buildPlan().then(
      (plan) => {
        log.info({ table: plan.label, mode: read.mode, key: plan.key, updatedAt: plan.updatedAt, tsKind: plan.tsField?.tsKind }, 'sql source ready');
        return plan;
      },
      (err: unknown) => {
        planning = undefined;
        throw atStartup(err);
      },
    );
    return planning;
  }

  /** At startup a rejected SQL statement is a configuration problem; an unreachable database is not. */
  function atStartup(err: unknown): unknown {
    if (err instanceof SourceError && !isRetriable(err)) {
      return new ConfigError(err.message, { cause: err.cause ?? err, context: { connector: config.name, ...(err as CasebridgeError).context, operation: 'check' }, code: err.code });
    }
    return err;
  }

  function toRecord(row: Record<string, unknown>, plan: Plan, fetchedAt: string): SourceRecord {
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) raw[k] = plainValue(v);
    return { raw, position: { table: plan.label, key: keyText(row[plan.key]) }, fetchedAt };
  }

  function plainValue(v: unknown): unknown {
    if (v instanceof DbTimestamp) return toIsoWithOffset(v, zone);
    if (Buffer.isBuffer(v)) return v.toString('base64');
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Date) return v.toISOString();
    return v;
  }

  function keyValue(v: unknown, plan: Plan): string | number | null {
    if (typeof v === 'string' || typeof v === 'number') return v;
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof DbTimestamp) return dialect.bindTimestamp(v, plan.keyField);
    if (v === null || v === undefined) {
      throw new SourceError(`a row of ${plan.label} has a NULL key (${plan.key}); the key column must be unique and not null`, {
        code: 'sql_null_key',
        context: { connector: config.name, table: plan.label, operation: 'read page' },
      });
    }
    throw new SourceError(`the key column ${plan.key} of ${plan.label} holds ${typeof v} values, which cannot be a keyset position`, {
      code: 'sql_bad_key',
      context: { connector: config.name, table: plan.label, operation: 'read page' },
    });
  }

  async function* readIncremental(plan: Plan, ctx: ReadContext): AsyncGenerator<SourceBatch> {
    if (read.mode !== 'incremental') return;
    const tsField = plan.tsField!;
    const tsKind = tsField.tsKind ?? 'local';
    const cp = restore(ctx, 'incremental');
    let lower: LowerBound = 'none';
    let since: string | undefined;
    let afterKey: string | number | null = null;
    if (cp && cp.column !== plan.updatedAt) {
      log.warn({ was: cp.column, now: plan.updatedAt }, 'read.updatedAt changed since the last checkpoint; reading from the start');
    } else if (cp) {
      lower = 'keyset';
      since = cp.ts;
      afterKey = cp.key;
    } else if (read.start) {
      lower = 'since';
      since = dialect.bindTimestamp(fromDateTime(DateTime.fromISO(read.start, { zone }), tsKind, zone), tsField);
    }
    const dbNow = await pool.now();
    let upper = dbNow.minus({ milliseconds: durationMs(read.lag) });
    if (tsKind === 'local') {
      const held = holdBeforeRepeatedHour(upper, zone);
      if (held !== upper) log.info({ zone, upper: upper.toISO(), held: held.toISO() }, 'clocks go back: holding the upper bound before the repeated hour until it has passed twice');
      upper = held;
    }
    const until = dialect.bindTimestamp(fromDateTime(upper, tsKind, zone), tsField);
    log.debug({ since, afterKey, until }, 'incremental poll');

    for (let page = 0; !ctx.signal.aborted && !closed; page++) {
      const sql = plan.sql(lower);
      // Unused names are ignored: only the parameters the SQL mentions are bound.
      const params = { since: since ?? dialect.bindTimestamp(FLOOR, tsField), after_key: afterKey, until, limit: batchSize };
      const { rows } = await runPage(sql, params, plan);
      if (!rows.length) return;
      const fetchedAt = deps.clock.now().toISOString();
      const records = rows.map((r) => toRecord(r, plan, fetchedAt));
      const last = rows[rows.length - 1]!;
      const ts = last[plan.updatedAt!];
      if (!(ts instanceof DbTimestamp)) {
        throw new SourceError(`a row of ${plan.label} (key ${keyText(last[plan.key])}) has updated-at ${ts === null ? 'NULL' : JSON.stringify(ts)}; the query must return only rows with a timestamp`, {
          code: 'sql_bad_timestamp',
          context: { connector: config.name, table: plan.label, key: keyText(last[plan.key]), operation: 'read page' },
        });
      }
      assertOrdered(rows, plan);
      const nextSince = dialect.bindTimestamp(ts, tsField);
      const nextKey = keyValue(last[plan.key], plan);
      if (lower === 'keyset' && nextSince === since && nextKey === afterKey) {
        throw new ConfigError(`the custom query (${plan.label}) returned the position it was given again; its WHERE must select rows strictly after (:since, :after_key)`, {
          context: { connector: config.name, table: plan.label, field: 'read.sql' },
        });
      }
      since = nextSince;
      afterKey = nextKey;
      lower = 'keyset';
      const checkpoint: IncrementalCheckpoint = { mode: 'incremental', column: plan.updatedAt!, ts: since, key: afterKey, at: toIsoWithOffset(ts, zone) };
      yield { records, checkpoint, ack: ignoreOutcome };
      if (rows.length < batchSize) return;
    }
  }

  async function* readSnapshot(plan: Plan, ctx: ReadContext): AsyncGenerator<SourceBatch> {
    if (read.mode !== 'snapshot') return;
    const cp = restore(ctx, 'snapshot');
    let id: string;
    let afterKey: string | number | null = null;
    let first = true;
    if (cp && !cp.done && cp.afterKey !== undefined) {
      id = cp.snapshot;
      afterKey = cp.afterKey;
      first = false;
      log.info({ snapshot: id, afterKey }, 'resuming snapshot');
    } else {
      id = `${config.name}@${deps.clock.now().toISOString()}`;
    }
    const onMissing = read.onMissing;
    while (!ctx.signal.aborted && !closed) {
      const sql = plan.sql(first ? 'none' : 'keyset');
      // One row more than a page tells us whether this page is the last without another query.
      const params = { after_key: afterKey, limit: batchSize + 1 };
      const { rows } = await runPage(sql, params, plan);
      const final = rows.length <= batchSize;
      const page = final ? rows : rows.slice(0, batchSize);
      const fetchedAt = deps.clock.now().toISOString();
      const records = page.map((r) => toRecord(r, plan, fetchedAt));
      const last = page[page.length - 1];
      let checkpoint: SnapshotCheckpoint;
      if (final) {
        checkpoint = { mode: 'snapshot', snapshot: id, done: true, at: fetchedAt };
      } else {
        const next = keyValue(last![plan.key], plan);
        if (!first && next === afterKey) {
          throw new ConfigError(`the custom query (${plan.label}) returned the key it was given again; its WHERE must select rows with key > :after_key`, {
            context: { connector: config.name, table: plan.label, field: 'read.sql' },
          });
        }
        afterKey = next;
        checkpoint = { mode: 'snapshot', snapshot: id, done: false, afterKey, at: fetchedAt };
      }
      first = false;
      yield { records, checkpoint, snapshot: { id, final, onMissing, maxCloseShare: read.maxCloseShare }, ack: ignoreOutcome };
      if (final) return;
    }
  }

  async function runPage(sql: string, params: Record<string, unknown>, plan: Plan) {
    try {
      return await pool.query(sql, params, { operation: 'read page', paramTypes: plan.paramTypes });
    } catch (err) {
      if (err instanceof SourceError) {
        (err.context as Record<string, unknown>).table ??= plan.label;
      }
      throw err;
    }
  }

  /** Timestamps must not go backwards inside a page: a custom query without the right ORDER BY would skip rows. */
  function assertOrdered(rows: Record<string, unknown>[], plan: Plan): void {
    if (!plan.custom) return;
    let prev: DbTimestamp | undefined;
    for (const r of rows) {
      const ts = r[plan.updatedAt!];
      if (!(ts instanceof DbTimestamp)) continue;
      if (prev && compareTimestamps(ts, prev) < 0) {
        throw new ConfigError(`the custom query (${plan.label}) returned rows out of order; it must ORDER BY ${read.mode === 'incremental' ? read.updatedAt : ''}, ${read.key}`, {
          context: { connector: config.name, table: plan.label, field: 'read.sql' },
        });
      }
      prev = ts;
    }
  }

  function restore<M extends 'incremental' | 'snapshot'>(ctx: ReadContext, mode: M): (M extends 'incremental' ? IncrementalCheckpoint : SnapshotCheckpoint) | undefined {
    if (ctx.checkpoint === undefined) return undefined;
    const parsed = SqlCheckpoint.safeParse(ctx.checkpoint);
    if (!parsed.success) {
      throw new SourceError(`the stored checkpoint of ${config.name} is not a SQL position (${JSON.stringify(ctx.checkpoint).slice(0, 200)}); reset the connector's checkpoint`, {
        code: 'sql_bad_checkpoint',
        context: { connector: config.name, operation: 'restore checkpoint' },
      });
    }
    if (parsed.data.mode !== mode) {
      log.warn({ was: parsed.data.mode, now: mode }, 'read.mode changed since the last checkpoint; starting over');
      return undefined;
    }
    return parsed.data as M extends 'incremental' ? IncrementalCheckpoint : SnapshotCheckpoint;
  }

  return {
    async check() {
      await prepare();
    },
    async *read(ctx: ReadContext) {
      const plan = await prepare();
      if (read.mode === 'incremental') yield* readIncremental(plan, ctx);
      else yield* readSnapshot(plan, ctx);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (opening) await (await opening.catch(() => undefined))?.close();
    },
  };
}


function keyText(v: unknown): string {
  if (v instanceof DbTimestamp) return v.toString();
  return v === null || v === undefined ? '' : String(v);
}

export function compareTimestamps(a: DbTimestamp, b: DbTimestamp): number {
  const ka = `${a.date} ${a.time}.${a.frac.padEnd(9, '0')}`;
  const kb = `${b.date} ${b.time}.${b.frac.padEnd(9, '0')}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
