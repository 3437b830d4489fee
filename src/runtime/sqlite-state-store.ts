/**
 * The embedded state store: one SQLite file (WAL, synchronous=FULL so a commit survives power loss
 * once it returns). One row per connector checkpoint, one row per (connector, namespace, key).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateError } from '../core/errors.js';
import { byteSize } from '../core/units.js';
import { DEFAULT_PAGE_CACHE } from '../config/state.js';
import type { Checkpoint, ConnectorState, ConnectorStateOptions, StateStore, StateWrite } from '../core/state-store.js';

const RESTORE_HINT = 'restore it from a copy made with `casebridge state backup`, or delete it to start afresh (every source is then read again from the start)';

/**
 * A state file that exists but is empty or damaged is refused: taking it as fresh state would
 * forget every checkpoint and publish everything again (finding 7, docs/reliability.md).
 */
export function refuseBadStateFile(path: string): void {
  if (path === ':memory:' || !existsSync(path)) return;
  if (statSync(path).size === 0) {
    throw new StateError(`state file ${path} is empty (0 bytes): it holds no checkpoints, so every source would be read and published again; ${RESTORE_HINT}`, {
      code: 'state_empty',
      context: { file: path },
    });
  }
}

/** Problems SQLite's integrity check finds (empty when the file is sound). */
export function integrityProblems(db: Database.Database, quick = false): string[] {
  const rows = db.pragma(quick ? 'quick_check' : 'integrity_check') as Array<Record<string, string>>;
  const out = rows.map((r) => Object.values(r)[0] ?? '').filter((m) => m !== 'ok');
  return out;
}

export function damagedStateError(path: string, detail: string, cause?: unknown): StateError {
  return new StateError(`state file ${path} is damaged (${detail}); ${RESTORE_HINT}`, { code: 'state_damaged', cause, context: { file: path } });
}

export const NEW_FILE_PAGE_SIZE = 16_384;

export interface SqliteStateStore extends StateStore {
  /** SQLite's page cache of this connection, in KiB (what PRAGMA cache_size was set to). */
  pageCacheKib(): number;
}

export interface SqliteStoreOptions {
  /** Bytes of SQLite page cache (state.pageCache); default DEFAULT_PAGE_CACHE. */
  pageCacheBytes?: number;
}

export function openSqliteStateStore(path: string, options: SqliteStoreOptions = {}): SqliteStateStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  refuseBadStateFile(path);
  const existed = path !== ':memory:' && existsSync(path);
  let db: Database.Database;
  try {
    db = new Database(path);
    if (existed) {
      let problems: string[];
      try {
        problems = integrityProblems(db, true);
      } catch (cause) {
        db.close();
        throw damagedStateError(path, (cause as Error).message, cause);
      }
      if (problems.length) {
        db.close();
        throw damagedStateError(path, `integrity check: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` and ${problems.length - 3} more` : ''}`);
      }
    }
    // A new file gets 16 KiB pages (a page size is fixed once the file has tables): case memory rows
    // are around 1 KB, and on 4 KiB pages writing 500 new cases cost 11 µs each against 7 (the
    // B-tree splits less, the WAL gets fewer frames); a file made with 4 KiB pages keeps them.
    if (!existed) db.pragma(`page_size = ${NEW_FILE_PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    // Negative: a size in KiB rather than in pages, so it holds whatever the page size.
    db.pragma(`cache_size = -${Math.max(64, Math.round((options.pageCacheBytes ?? byteSize(DEFAULT_PAGE_CACHE)) / 1024))}`);
    db.exec(`
      CREATE TABLE IF NOT EXISTS checkpoints (
        connector TEXT PRIMARY KEY,
        checkpoint TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      -- An ordinary rowid table: values (case memory) are around 1 KB, and SQLite's WITHOUT ROWID
      -- layout is meant for rows under ~1/20 of a page; with 1 KB rows it made each upsert ~5x and
      -- each lookup ~4x slower and the file 3x larger (docs/performance.md).
      CREATE TABLE IF NOT EXISTS kv (
        connector TEXT NOT NULL,
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (connector, namespace, key)
      );
    `);
  } catch (cause) {
    if (cause instanceof StateError) throw cause;
    throw new StateError(`cannot open state store ${path}: ${(cause as Error).message}`, { cause, code: 'state_open' });
  }

  const getCheckpoint = db.prepare<[string], { checkpoint: string }>('SELECT checkpoint FROM checkpoints WHERE connector = ?');
  const putCheckpoint = db.prepare(
    `INSERT INTO checkpoints (connector, checkpoint, updated_at) VALUES (?, ?, ?)
     ON CONFLICT(connector) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
  );
  const getKv = db.prepare<[string, string, string], { value: string }>('SELECT value FROM kv WHERE connector = ? AND namespace = ? AND key = ?');
  const putKv = db.prepare(
    `INSERT INTO kv (connector, namespace, key, value) VALUES (?, ?, ?, ?)
     ON CONFLICT(connector, namespace, key) DO UPDATE SET value = excluded.value`,
  );
  const deleteKv = db.prepare('DELETE FROM kv WHERE connector = ? AND namespace = ? AND key = ?');
  const deleteCheckpoint = db.prepare('DELETE FROM checkpoints WHERE connector = ?');
  // One statement per batch of keys: a SELECT per key cost a statement step and a read lock each.
  const getKvMany = db.prepare<[string, string, string], { key: string; value: string }>(
    'SELECT key, value FROM kv WHERE connector = ? AND namespace = ? AND key IN (SELECT value FROM json_each(?))',
  );
  const scanKv = db.prepare<[string, string], { key: string; value: string }>('SELECT key, value FROM kv WHERE connector = ? AND namespace = ? ORDER BY key');

  const commitTx = db.transaction((connector: string, checkpoint: Checkpoint | undefined, writes: StateWrite[]) => {
    for (const w of writes) {
      if (w.op === 'put') putKv.run(connector, w.namespace, w.key, w.json ?? JSON.stringify(w.value));
      else deleteKv.run(connector, w.namespace, w.key);
    }
    if (checkpoint !== undefined) putCheckpoint.run(connector, JSON.stringify(checkpoint), new Date().toISOString());
  });

  const textsOf = (connector: string, namespace: string, keys: readonly string[]): Map<string, string> => {
    const out = new Map<string, string>();
    if (keys.length === 1) {
      const row = getKv.get(connector, namespace, keys[0]!);
      if (row) out.set(keys[0]!, row.value);
    } else if (keys.length) {
      for (const row of getKvMany.iterate(connector, namespace, JSON.stringify(keys))) out.set(row.key, row.value);
    }
    return out;
  };

  let closed = false;
  const parse = <T>(text: string): T => JSON.parse(text) as T;
  return {
    pageCacheKib: () => -(db.pragma('cache_size', { simple: true }) as number),
    forConnector(connector: string, options?: ConnectorStateOptions): ConnectorState {
      // One file belongs to one process: there is no lease to check, and pretending to fence
      // would promise a guarantee this store cannot give.
      if (options?.fence) {
        throw new StateError(`connector ${connector}: fencing needs a shared state store (state.type: postgres); the SQLite file cannot hold leases`, {
          code: 'state_no_fencing',
          context: { connector },
        });
      }
      return {
        connector,
        async checkpoint() {
          const row = getCheckpoint.get(connector);
          return row ? parse<Checkpoint>(row.checkpoint) : undefined;
        },
        async get<T>(namespace: string, key: string) {
          const row = getKv.get(connector, namespace, key);
          return row ? parse<T>(row.value) : undefined;
        },
        async getMany<T>(namespace: string, keys: readonly string[]) {
          const out = new Map<string, T>();
          for (const [key, text] of textsOf(connector, namespace, keys)) out.set(key, parse<T>(text));
          return out;
        },
        async getManyText(namespace: string, keys: readonly string[]) {
          return textsOf(connector, namespace, keys);
        },
        async *entries<T>(namespace: string): AsyncIterable<[string, T]> {
          for (const row of scanKv.iterate(connector, namespace)) yield [row.key, parse<T>(row.value)];
        },
        async commit({ checkpoint, writes = [] }) {
          try {
            commitTx(connector, checkpoint, writes);
          } catch (cause) {
            throw new StateError(`cannot commit state for ${connector}: ${(cause as Error).message}`, {
              cause,
              code: 'state_commit',
              retriable: true,
              context: { connector },
            });
          }
        },
      };
    },
    async resetCheckpoint(connector: string) {
      return deleteCheckpoint.run(connector).changes > 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
