/**
 * Moves an installation's state from its SQLite file to PostgreSQL (`casebridge state migrate`):
 * every checkpoint and every remembered entry, copied as the exact JSON text stored, in one
 * PostgreSQL transaction (all or nothing), then counted again on both sides.
 */
import Database from 'better-sqlite3';
import type pg from 'pg';
import { StateError } from '../../core/errors.js';
import { damagedStateError, integrityProblems, refuseBadStateFile } from '../sqlite-state-store.js';
import type { PostgresStateStore } from './postgres-state-store.js';

export interface ConnectorCounts {
  connector: string;
  checkpoints: number;
  entries: number;
}

export interface CopyResult {
  connectors: ConnectorCounts[];
  /** Rows the target held for these connectors before, removed because of `force`. */
  replaced: { checkpoints: number; entries: number };
}

const PAGE = 1000;

export async function copySqliteToPostgres(sqlitePath: string, target: PostgresStateStore, opts: { force?: boolean } = {}): Promise<CopyResult> {
  refuseBadStateFile(sqlitePath);
  let db: Database.Database;
  try {
    db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  } catch (cause) {
    throw new StateError(`cannot open ${sqlitePath}: ${(cause as Error).message}`, { cause, code: 'state_open', context: { file: sqlitePath } });
  }
  const client = await target.pool.connect();
  let broken: Error | undefined;
  try {
    const problems = integrityProblems(db);
    if (problems.length) throw damagedStateError(sqlitePath, `integrity check: ${problems.slice(0, 3).join('; ')}`);
    // One read transaction: a consistent snapshot even if something writes the file meanwhile.
    db.prepare('BEGIN').run();
    const source = countSqlite(db);
    const names = source.map((c) => c.connector);
    const checkpoints = target.table('casebridge_checkpoints');
    const kv = target.table('casebridge_kv');

    await client.query('BEGIN');
    try {
      const existing = await countPostgres(client, target, names);
      const held = existing.filter((c) => c.checkpoints || c.entries);
      if (held.length && !opts.force) {
        throw new StateError(
          `${describeTarget(target)} already holds state for ${held.map((c) => `${c.connector} (${c.checkpoints} checkpoint, ${c.entries} entries)`).join(', ')}; nothing was copied. Use --force to replace it`,
          { code: 'state_migrate_target_not_empty' },
        );
      }
      const replaced = { checkpoints: 0, entries: 0 };
      if (held.length) {
        replaced.checkpoints = (await client.query(`DELETE FROM ${checkpoints} WHERE connector = ANY($1::text[])`, [names])).rowCount ?? 0;
        replaced.entries = (await client.query(`DELETE FROM ${kv} WHERE connector = ANY($1::text[])`, [names])).rowCount ?? 0;
      }

      const cps = db.prepare<[], { connector: string; checkpoint: string; updated_at: string }>('SELECT connector, checkpoint, updated_at FROM checkpoints').all();
      if (cps.length) {
        await client.query(`INSERT INTO ${checkpoints} (connector, checkpoint, updated_at) SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])`, [
          cps.map((r) => r.connector),
          cps.map((r) => r.checkpoint),
          cps.map((r) => r.updated_at),
        ]);
      }
      // Pages of rows, so a large case memory never sits in memory whole.
      type Row = { connector: string; namespace: string; key: string; value: string };
      const firstPage = db.prepare<[number], Row>('SELECT connector, namespace, key, value FROM kv ORDER BY connector, namespace, key LIMIT ?');
      const nextPage = db.prepare<[string, string, string, number], Row>(
        'SELECT connector, namespace, key, value FROM kv WHERE (connector, namespace, key) > (?, ?, ?) ORDER BY connector, namespace, key LIMIT ?',
      );
      let after: Row | undefined;
      for (;;) {
        const rows = after ? nextPage.all(after.connector, after.namespace, after.key, PAGE) : firstPage.all(PAGE);
        if (!rows.length) break;
        await client.query(`INSERT INTO ${kv} (connector, namespace, key, value) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`, [
          rows.map((r) => r.connector),
          rows.map((r) => r.namespace),
          rows.map((r) => r.key),
          rows.map((r) => r.value),
        ]);
        after = rows[rows.length - 1]!;
        if (rows.length < PAGE) break;
      }

      const copied = await countPostgres(client, target, names);
      const mismatch = source.filter((s) => {
        const t = copied.find((c) => c.connector === s.connector);
        return !t || t.checkpoints !== s.checkpoints || t.entries !== s.entries;
      });
      if (mismatch.length) {
        throw new StateError(`the counts after copying do not match for ${mismatch.map((m) => m.connector).join(', ')}; nothing was copied`, { code: 'state_migrate_verify' });
      }
      await client.query('COMMIT');
      return { connectors: source, replaced };
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (e) {
        broken = e as Error;
      }
      throw err;
    }
  } finally {
    client.release(broken);
    if (db.inTransaction) db.prepare('COMMIT').run();
    db.close();
  }
}

export function describeTarget(target: PostgresStateStore): string {
  return `schema ${target.schema}`;
}

function countSqlite(db: Database.Database): ConnectorCounts[] {
  const rows = db
    .prepare<[], { connector: string; checkpoints: number; entries: number }>(
      `SELECT connector, SUM(c) AS checkpoints, SUM(e) AS entries FROM (
         SELECT connector, 1 AS c, 0 AS e FROM checkpoints
         UNION ALL SELECT connector, 0, COUNT(*) FROM kv GROUP BY connector
       ) GROUP BY connector ORDER BY connector`,
    )
    .all();
  return rows.map((r) => ({ connector: r.connector, checkpoints: Number(r.checkpoints), entries: Number(r.entries) }));
}

/** Counts in the target for the given connectors (zero rows included). */
export async function countPostgres(client: pg.ClientBase | pg.Pool, target: PostgresStateStore, names: string[]): Promise<ConnectorCounts[]> {
  const { rows } = await client.query<{ connector: string; checkpoints: string; entries: string }>(
    `SELECT n.connector,
       (SELECT count(*) FROM ${target.table('casebridge_checkpoints')} c WHERE c.connector = n.connector) AS checkpoints,
       (SELECT count(*) FROM ${target.table('casebridge_kv')} k WHERE k.connector = n.connector) AS entries
     FROM unnest($1::text[]) AS n(connector) ORDER BY n.connector`,
    [names],
  );
  return rows.map((r) => ({ connector: r.connector, checkpoints: Number(r.checkpoints), entries: Number(r.entries) }));
}
