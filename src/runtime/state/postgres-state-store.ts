/**
 * The shared state store: PostgreSQL, so several gateways can share one installation's state and
 * connector leases. Same semantics as the SQLite store — one row per checkpoint, one per
 * (connector, namespace, key), values kept as the JSON text they were written as — and every commit
 * is one transaction (checkpoint and writes together), fenced by the connector's lease when the
 * caller asks for it.
 */
import pg from 'pg';
import { FencedError, StateError } from '../../core/errors.js';
import { registerSecret } from '../../core/mask.js';
import type { Checkpoint, ConnectorState, ConnectorStateOptions, Fence, StateStore, StateWrite } from '../../core/state-store.js';
import { migrate, quoteIdent } from './postgres-migrations.js';

export interface PostgresStateStoreOptions {
  url: string;
  /** Holds every casebridge table; created when missing. */
  schema?: string;
  poolSize?: number;
  /** Rows per page when `entries` streams a namespace. */
  pageSize?: number;
  /** An idle pooled connection failed (the pool replaces it); for logging. */
  onPoolError?: (err: Error) => void;
  /**
   * The server ends a session left idle inside a transaction this long. A fleet sets it to the
   * lease TTL: an instance paused mid-commit holds a share lock on its lease row, and without
   * this the instance taking over would wait on that lock for as long as the pause lasts.
   */
  idleInTransactionTimeoutMs?: number;
}

export interface PostgresStateStore extends StateStore {
  /** For the fleet's lease manager and tools: the same pool and schema the store uses. */
  readonly pool: pg.Pool;
  readonly schema: string;
  /** `schema.table`, quoted. */
  table(name: string): string;
}

export const DEFAULT_SCHEMA = 'casebridge';

/** The gateway opens whichever store the config names; the fleet needs the PostgreSQL one's pool. */
export function isPostgresStateStore(store: StateStore): store is PostgresStateStore {
  return 'pool' in store && store.pool instanceof pg.Pool;
}

/** The URL with its password replaced, for messages. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres URL (unparseable)';
  }
}

export async function openPostgresStateStore(opts: PostgresStateStoreOptions): Promise<PostgresStateStore> {
  const schema = opts.schema ?? DEFAULT_SCHEMA;
  const where = `${describePostgresUrl(opts.url)} (schema ${schema})`;
  try {
    const pw = new URL(opts.url).password;
    if (pw) {
      registerSecret(pw);
      registerSecret(decodeURIComponent(pw));
    }
  } catch {
    // pg reports an unusable URL when it connects, below.
  }
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    ...(opts.idleInTransactionTimeoutMs ? { options: `-c idle_in_transaction_session_timeout=${Math.max(1, Math.round(opts.idleInTransactionTimeoutMs))}` } : {}),
  });
  pool.on('error', (err) => opts.onPoolError?.(err));
  try {
    const client = await pool.connect();
    try {
      await migrate(client, schema);
    } finally {
      client.release();
    }
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw new StateError(`cannot open the PostgreSQL state store at ${where}: ${(cause as Error).message}`, {
      cause,
      code: 'state_open',
      retriable: true,
    });
  }
  return postgresStateStore(pool, schema, opts.pageSize ?? 500);
}

function postgresStateStore(pool: pg.Pool, schema: string, pageSize: number): PostgresStateStore {
  const table = (name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;
  const checkpoints = table('casebridge_checkpoints');
  const kv = table('casebridge_kv');
  const leases = table('casebridge_leases');
  let closed = false;

  const readError = (connector: string, what: string, cause: unknown) =>
    new StateError(`cannot read ${what} for ${connector} from PostgreSQL: ${(cause as Error).message}`, {
      cause,
      code: 'state_read',
      retriable: true,
      context: { connector },
    });

  async function commit(connector: string, options: ConnectorStateOptions | undefined, checkpoint: Checkpoint | undefined, writes: readonly StateWrite[]): Promise<void> {
    // Writes apply in order, so only each key's last write counts; collapsing them lets one
    // statement upsert and one delete (an upsert may not touch the same row twice).
    const last = new Map<string, StateWrite>();
    for (const w of writes) last.set(JSON.stringify([w.namespace, w.key]), w);
    const puts = { ns: [] as string[], keys: [] as string[], values: [] as string[] };
    const dels = { ns: [] as string[], keys: [] as string[] };
    let checkpointText: string | undefined;
    try {
      for (const w of last.values()) {
        if (w.op === 'put') {
          puts.ns.push(w.namespace);
          puts.keys.push(w.key);
          puts.values.push(w.json ?? JSON.stringify(w.value));
        } else {
          dels.ns.push(w.namespace);
          dels.keys.push(w.key);
        }
      }
      if (checkpoint !== undefined) checkpointText = JSON.stringify(checkpoint);
    } catch (cause) {
      throw new StateError(`cannot commit state for ${connector}: a value cannot be stored as JSON (${(cause as Error).message})`, { cause, code: 'state_commit', context: { connector } });
    }
    let fence: Fence | undefined;
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      throw commitError(connector, cause);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      if (options?.fence) {
        fence = options.fence();
        // FOR SHARE: a lease cannot change hands while this commit is in flight.
        const held = fence && (await client.query(`SELECT 1 FROM ${leases} WHERE connector = $1 AND holder = $2 AND token = $3 FOR SHARE`, [connector, fence.holder, fence.token])).rowCount;
        if (!held) {
          await client.query('ROLLBACK');
          options.onFenced?.(fence);
          throw new FencedError(
            fence
              ? `commit refused for ${connector}: ${fence.holder} no longer holds its lease (token ${fence.token}); another instance took over, so this batch is left for it`
              : `commit refused for ${connector}: this instance holds no lease on it`,
            { context: { connector, ...(fence ? { holder: fence.holder, token: fence.token } : {}) } },
          );
        }
      }
      if (puts.keys.length) {
        await client.query(
          `INSERT INTO ${kv} (connector, namespace, key, value)
           SELECT $1::text, * FROM unnest($2::text[], $3::text[], $4::text[])
           ON CONFLICT (connector, namespace, key) DO UPDATE SET value = excluded.value`,
          [connector, puts.ns, puts.keys, puts.values],
        );
      }
      if (dels.keys.length) {
        await client.query(`DELETE FROM ${kv} WHERE connector = $1 AND (namespace, key) IN (SELECT * FROM unnest($2::text[], $3::text[]))`, [connector, dels.ns, dels.keys]);
      }
      if (checkpointText !== undefined) {
        await client.query(
          `INSERT INTO ${checkpoints} (connector, checkpoint, updated_at) VALUES ($1, $2, now())
           ON CONFLICT (connector) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
          [connector, checkpointText],
        );
      }
      await client.query('COMMIT');
    } catch (cause) {
      if (cause instanceof FencedError) throw cause;
      try {
        await client.query('ROLLBACK');
      } catch (e) {
        broken = e as Error;
      }
      throw commitError(connector, cause);
    } finally {
      client.release(broken);
    }
  }

  return {
    pool,
    schema,
    table,
    forConnector(connector: string, options?: ConnectorStateOptions): ConnectorState {
      const getManyText = async (namespace: string, keys: readonly string[]): Promise<Map<string, string>> => {
        const out = new Map<string, string>();
        if (!keys.length) return out;
        try {
          const { rows } = await pool.query<{ key: string; value: string }>(`SELECT key, value FROM ${kv} WHERE connector = $1 AND namespace = $2 AND key = ANY($3::text[])`, [
            connector,
            namespace,
            [...keys],
          ]);
          for (const r of rows) out.set(r.key, r.value);
        } catch (cause) {
          throw readError(connector, `${keys.length} ${namespace} entries`, cause);
        }
        return out;
      };
      return {
        connector,
        async checkpoint() {
          try {
            const { rows } = await pool.query<{ checkpoint: string }>(`SELECT checkpoint FROM ${checkpoints} WHERE connector = $1`, [connector]);
            return rows[0] ? (JSON.parse(rows[0].checkpoint) as Checkpoint) : undefined;
          } catch (cause) {
            throw readError(connector, 'the checkpoint', cause);
          }
        },
        async get<T>(namespace: string, key: string) {
          try {
            const { rows } = await pool.query<{ value: string }>(`SELECT value FROM ${kv} WHERE connector = $1 AND namespace = $2 AND key = $3`, [connector, namespace, key]);
            return rows[0] ? (JSON.parse(rows[0].value) as T) : undefined;
          } catch (cause) {
            throw readError(connector, `${namespace}/${key}`, cause);
          }
        },
        async getMany<T>(namespace: string, keys: readonly string[]) {
          const out = new Map<string, T>();
          for (const [key, text] of await getManyText(namespace, keys)) out.set(key, JSON.parse(text) as T);
          return out;
        },
        getManyText,
        // Keyset pages: memory stays at one page however large the namespace, and no connection
        // is held between pages (the caller may commit while it iterates).
        async *entries<T>(namespace: string): AsyncIterable<[string, T]> {
          let after: string | undefined;
          for (;;) {
            let rows: { key: string; value: string }[];
            try {
              ({ rows } = await pool.query<{ key: string; value: string }>(
                after === undefined
                  ? `SELECT key, value FROM ${kv} WHERE connector = $1 AND namespace = $2 ORDER BY key LIMIT $3`
                  : `SELECT key, value FROM ${kv} WHERE connector = $1 AND namespace = $2 AND key > $4 ORDER BY key LIMIT $3`,
                after === undefined ? [connector, namespace, pageSize] : [connector, namespace, pageSize, after],
              ));
            } catch (cause) {
              throw readError(connector, `the ${namespace} entries`, cause);
            }
            for (const r of rows) yield [r.key, JSON.parse(r.value) as T];
            if (rows.length < pageSize) return;
            after = rows[rows.length - 1]!.key;
          }
        },
        commit: ({ checkpoint, writes = [] }) => commit(connector, options, checkpoint, writes),
      };
    },
    async resetCheckpoint(connector: string) {
      try {
        const r = await pool.query(`DELETE FROM ${checkpoints} WHERE connector = $1`, [connector]);
        return (r.rowCount ?? 0) > 0;
      } catch (cause) {
        throw commitError(connector, cause);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

function commitError(connector: string, cause: unknown): StateError {
  return new StateError(`cannot commit state for ${connector} to PostgreSQL: ${(cause as Error).message}`, {
    cause,
    code: 'state_commit',
    retriable: true,
    context: { connector },
  });
}
