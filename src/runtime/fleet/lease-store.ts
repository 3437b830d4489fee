/**
 * The fleet's two tables in the PostgreSQL state schema: connector leases (shared with the state
 * store, whose fenced commit checks them) and instance heartbeats. Every time comes from the
 * database's clock (now()), so instances on machines whose clocks disagree still agree on who
 * holds what and which lease has expired.
 */
import type pg from 'pg';

export interface LeaseRow {
  connector: string;
  holder: string;
  token: number;
  acquiredAt: Date;
  renewedAt: Date;
  expiresAt: Date;
}

/** What an instance says about its connectors at each heartbeat (shown by /status on any instance and `casebridge fleet`). */
export interface ConnectorReport {
  status: string;
  lagSeconds?: number;
  lastSuccessAt?: string;
  lastError?: string;
}

export interface InstanceRow {
  instanceId: string;
  startedAt: Date;
  seenAt: Date;
  httpUrl: string | null;
  connectors: Record<string, ConnectorReport>;
}

export interface FleetSnapshot {
  /** The database's clock when the snapshot was read. */
  now: Date;
  leases: LeaseRow[];
  instances: InstanceRow[];
}

export interface LeaseStore {
  /** The instances table (and the leases table when the state store's migrations have not made it). */
  ensureTables(): Promise<void>;
  heartbeat(instanceId: string, httpUrl: string | undefined, connectors: Record<string, ConnectorReport>): Promise<void>;
  /** Instances seen within `withinMs`, this one included once it has beaten. */
  liveInstances(withinMs: number): Promise<string[]>;
  /**
   * Take the lease when it is free, expired, or still recorded for this same holder (a restarted
   * instance with a fixed id); the token grows by one either way. Undefined when another holds it.
   */
  tryAcquire(connector: string, holder: string, ttlMs: number): Promise<number | undefined>;
  /** Extend the leases this holder still has with these tokens; returns the connectors renewed. */
  renew(holder: string, held: ReadonlyMap<string, number>, ttlMs: number): Promise<Set<string>>;
  /** Let the lease expire now (same holder and token only), so another instance may take it at once. */
  release(connector: string, holder: string, token: number): Promise<void>;
  removeInstance(instanceId: string): Promise<void>;
  snapshot(): Promise<FleetSnapshot>;
  close(): Promise<void>;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Advisory-lock class for the fleet's own DDL (second key: the schema). */
const LOCK_CLASS = 0x666c_6565; // "flee"

export function pgLeaseStore(pool: pg.Pool, schema: string, opts: { ownsPool?: boolean } = {}): LeaseStore {
  const s = quoteIdent(schema);
  const leases = `${s}.casebridge_leases`;
  const instances = `${s}.casebridge_instances`;
  let closed = false;
  return {
    async ensureTables() {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Two instances starting together must not race on CREATE TABLE IF NOT EXISTS.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${leases} (
          connector text COLLATE "C" PRIMARY KEY,
          holder text NOT NULL,
          token bigint NOT NULL,
          acquired_at timestamptz NOT NULL,
          renewed_at timestamptz NOT NULL,
          expires_at timestamptz NOT NULL
        )`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${instances} (
          instance_id text COLLATE "C" PRIMARY KEY,
          started_at timestamptz NOT NULL DEFAULT now(),
          seen_at timestamptz NOT NULL,
          http_url text,
          connectors jsonb NOT NULL DEFAULT '{}'
        )`);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async heartbeat(instanceId, httpUrl, connectors) {
      await pool.query(
        `INSERT INTO ${instances} (instance_id, seen_at, http_url, connectors) VALUES ($1, now(), $2, $3)
         ON CONFLICT (instance_id) DO UPDATE SET seen_at = now(), http_url = excluded.http_url, connectors = excluded.connectors`,
        [instanceId, httpUrl ?? null, JSON.stringify(connectors)],
      );
    },
    async liveInstances(withinMs) {
      const { rows } = await pool.query<{ instance_id: string }>(`SELECT instance_id FROM ${instances} WHERE seen_at > now() - $1 * interval '1 millisecond' ORDER BY instance_id`, [withinMs]);
      return rows.map((r) => r.instance_id);
    },
    async tryAcquire(connector, holder, ttlMs) {
      const { rows } = await pool.query<{ token: string }>(
        `INSERT INTO ${leases} AS l (connector, holder, token, acquired_at, renewed_at, expires_at)
         VALUES ($1, $2, 1, now(), now(), now() + $3 * interval '1 millisecond')
         ON CONFLICT (connector) DO UPDATE SET holder = excluded.holder, token = l.token + 1,
           acquired_at = now(), renewed_at = now(), expires_at = excluded.expires_at
         WHERE l.expires_at <= now() OR l.holder = excluded.holder
         RETURNING token`,
        [connector, holder, ttlMs],
      );
      return rows[0] ? Number(rows[0].token) : undefined;
    },
    async renew(holder, held, ttlMs) {
      if (held.size === 0) return new Set();
      const { rows } = await pool.query<{ connector: string }>(
        `UPDATE ${leases} AS l SET renewed_at = now(), expires_at = now() + $4 * interval '1 millisecond'
         FROM unnest($2::text[], $3::bigint[]) AS h(connector, token)
         WHERE l.connector = h.connector AND l.token = h.token AND l.holder = $1
         RETURNING l.connector`,
        [holder, [...held.keys()], [...held.values()].map(String), ttlMs],
      );
      return new Set(rows.map((r) => r.connector));
    },
    async release(connector, holder, token) {
      await pool.query(`UPDATE ${leases} SET expires_at = now() WHERE connector = $1 AND holder = $2 AND token = $3`, [connector, holder, token]);
    },
    async removeInstance(instanceId) {
      await pool.query(`DELETE FROM ${instances} WHERE instance_id = $1`, [instanceId]);
    },
    async snapshot() {
      const [now, l, i] = await Promise.all([
        pool.query<{ now: Date }>('SELECT now() AS now'),
        pool.query<{ connector: string; holder: string; token: string; acquired_at: Date; renewed_at: Date; expires_at: Date }>(`SELECT * FROM ${leases} ORDER BY connector`),
        pool.query<{ instance_id: string; started_at: Date; seen_at: Date; http_url: string | null; connectors: Record<string, ConnectorReport> }>(`SELECT * FROM ${instances} ORDER BY instance_id`),
      ]);
      return {
        now: now.rows[0]!.now,
        leases: l.rows.map((r) => ({ connector: r.connector, holder: r.holder, token: Number(r.token), acquiredAt: r.acquired_at, renewedAt: r.renewed_at, expiresAt: r.expires_at })),
        instances: i.rows.map((r) => ({ instanceId: r.instance_id, startedAt: r.started_at, seenAt: r.seen_at, httpUrl: r.http_url, connectors: r.connectors ?? {} })),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (opts.ownsPool) await pool.end();
    },
  };
}
