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
import { durationMs } from '../../core/units.js';
import { ConfigError, SourceError } from '../../core/errors.js';
import { ignoreOutcome, type ReadContext, type Source, type SourceBatch, type SourceDeps } from '../../core/source.js';
import { sqlConfigProblems, type SqlConnectorConfig } from './config.js';
import type { SqlPool } from './dialect.js';
import { fromDateTime, toIsoWithOffset } from './timestamps.js';
import { tlsMaterial } from './tls.js';
import { createPlanner, FLOOR, type Plan, type Prepared } from './plan.js';
import { keyValue, toRecord } from './rows.js';
import { positionAfterPage, startPosition, upperBound } from './watermark.js';
import { checkKeyAdvanced, snapshotStart, splitPage } from './keyset.js';
import { SqlCheckpoint, type IncrementalCheckpoint, type SnapshotCheckpoint } from './checkpoint.js';

export { compareTimestamps } from './rows.js';

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

export function createSqlSourceWith(config: SqlConnectorConfig, deps: SourceDeps, poolFactory: PoolFactory = defaultPoolFactory): Source<SqlCheckpoint> {
  const problems = sqlConfigProblems(config.read, config.connection.dialect);
  if (problems.length) {
    throw new ConfigError(problems.map((p) => `read.${p.path.join('.')}: ${p.message}`).join('; '), { context: { connector: config.name, field: 'read' } });
  }
  const log = deps.logger.child({ kind: 'sql' });
  const read = config.read;
  const zone = config.timezone;
  const batchSize = config.batchSize;
  const planner = createPlanner(() => poolFactory(config, deps), read, config.name, log);
  let closed = false;

  async function* readIncremental({ plan, pool }: Prepared, ctx: ReadContext<SqlCheckpoint>): AsyncGenerator<SourceBatch<SqlCheckpoint>> {
    if (read.mode !== 'incremental') return;
    const dialect = pool.dialect;
    const tsField = plan.tsField!;
    const tsKind = tsField.tsKind ?? 'local';
    let position = startPosition(restore(ctx, 'incremental'), plan, read.start, { dialect, tsField, zone }, log);
    const upper = upperBound(await pool.now(), durationMs(read.lag), tsKind, zone, log);
    const until = dialect.bindTimestamp(fromDateTime(upper, tsKind, zone), tsField);
    log.debug({ since: position.since, afterKey: position.afterKey, until }, 'incremental poll');

    for (let page = 0; !ctx.signal.aborted && !closed; page++) {
      const sql = plan.sql(position.lower);
      // Unused names are ignored: only the parameters the SQL mentions are bound.
      const params = { since: position.since ?? dialect.bindTimestamp(FLOOR, tsField), after_key: position.afterKey, until, limit: batchSize };
      const { rows } = await runPage(pool, sql, params, plan);
      if (!rows.length) return;
      const fetchedAt = deps.clock.now().toISOString();
      const records = rows.map((r) => toRecord(r, plan, fetchedAt, zone));
      const next = positionAfterPage(rows, position, plan, `${read.updatedAt}, ${read.key}`, dialect, config.name);
      position = next.position;
      const checkpoint: IncrementalCheckpoint = { mode: 'incremental', column: plan.updatedAt!, ts: next.position.since, key: next.position.afterKey, at: toIsoWithOffset(next.ts, zone) };
      yield { records, checkpoint, ack: ignoreOutcome };
      if (rows.length < batchSize) return;
    }
  }

  async function* readSnapshot({ plan, pool }: Prepared, ctx: ReadContext<SqlCheckpoint>): AsyncGenerator<SourceBatch<SqlCheckpoint>> {
    if (read.mode !== 'snapshot') return;
    const dialect = pool.dialect;
    const start = snapshotStart(restore(ctx, 'snapshot'), config.name, deps.clock.now());
    const id = start.id;
    let { afterKey, first } = start;
    if (!first) log.info({ snapshot: id, afterKey }, 'resuming snapshot');
    const onMissing = read.onMissing;
    while (!ctx.signal.aborted && !closed) {
      const sql = plan.sql(first ? 'none' : 'keyset');
      // One row more than a page tells us whether this page is the last without another query.
      const params = { after_key: afterKey, limit: batchSize + 1 };
      const { rows } = await runPage(pool, sql, params, plan);
      const { page, final } = splitPage(rows, batchSize);
      const fetchedAt = deps.clock.now().toISOString();
      const records = page.map((r) => toRecord(r, plan, fetchedAt, zone));
      let checkpoint: SnapshotCheckpoint;
      if (final) {
        checkpoint = { mode: 'snapshot', snapshot: id, done: true, at: fetchedAt };
      } else {
        const next = keyValue(page[page.length - 1]![plan.key], plan, dialect, config.name);
        checkKeyAdvanced(first, next, afterKey, plan.label, config.name);
        afterKey = next;
        checkpoint = { mode: 'snapshot', snapshot: id, done: false, afterKey, at: fetchedAt };
      }
      first = false;
      yield { records, checkpoint, snapshot: { id, final, onMissing, maxCloseShare: read.maxCloseShare }, ack: ignoreOutcome };
      if (final) return;
    }
  }

  async function runPage(pool: SqlPool, sql: string, params: Record<string, unknown>, plan: Plan) {
    try {
      return await pool.query(sql, params, { operation: 'read page', paramTypes: plan.paramTypes });
    } catch (err) {
      if (err instanceof SourceError) {
        (err.context as Record<string, unknown>).table ??= plan.label;
      }
      throw err;
    }
  }

  /** The runtime has parsed the checkpoint; a position of the other read mode is started over. */
  function restore<M extends SqlCheckpoint['mode']>(ctx: ReadContext<SqlCheckpoint>, mode: M): Extract<SqlCheckpoint, { mode: M }> | undefined {
    const cp = ctx.checkpoint;
    if (cp === undefined) return undefined;
    if (cp.mode !== mode) {
      log.warn({ was: cp.mode, now: mode }, 'read.mode changed since the last checkpoint; starting over');
      return undefined;
    }
    return cp as Extract<SqlCheckpoint, { mode: M }>;
  }

  return {
    checkpointSchema: SqlCheckpoint,
    // Acks ignore the outcome and the next page depends only on this reader's own position.
    readAhead: true,
    async check() {
      await planner.prepare();
    },
    async *read(ctx: ReadContext<SqlCheckpoint>) {
      const prepared = await planner.prepare();
      if (read.mode === 'incremental') yield* readIncremental(prepared, ctx);
      else yield* readSnapshot(prepared, ctx);
    },
    async close() {
      if (closed) return;
      closed = true;
      await planner.close();
    },
  };
}
