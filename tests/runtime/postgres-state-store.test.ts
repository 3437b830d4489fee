/**
 * The PostgreSQL state store against the real server (127.0.0.1:5432, db test): the shared
 * contract, then what only a shared store does — migrations under a lock, one-query reads, paged
 * streaming, and the fencing check. Every test uses its own schema.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { FencedError, StateError } from '../../src/core/errors.js';
import { maskSecrets } from '../../src/core/mask.js';
import type { Fence } from '../../src/core/state-store.js';
import { MIGRATIONS, migrate } from '../../src/runtime/state/postgres-migrations.js';
import { isPostgresStateStore, openPostgresStateStore, type PostgresStateStore } from '../../src/runtime/state/postgres-state-store.js';
import { stateStoreContract } from './state-store-contract.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
const schemas: string[] = [];
const opened: PostgresStateStore[] = [];

function newSchema(): string {
  const s = `cb_state_${randomBytes(5).toString('hex')}`;
  schemas.push(s);
  return s;
}

async function open(schema: string, extra: { poolSize?: number; pageSize?: number } = {}): Promise<PostgresStateStore> {
  const store = await openPostgresStateStore({ url: PG_URL, schema, ...extra });
  opened.push(store);
  return store;
}

afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
  while (schemas.length) await admin.query(`DROP SCHEMA IF EXISTS "${schemas.pop()!}" CASCADE`);
});
afterAll(async () => {
  await admin.end();
});

stateStoreContract('PostgreSQL', async () => {
  const schema = newSchema();
  return { store: await open(schema, { pageSize: 100 }), reopen: () => open(schema, { pageSize: 100 }) };
});

async function setLease(store: PostgresStateStore, connector: string, holder: string, token: number): Promise<void> {
  await store.pool.query(
    `INSERT INTO ${store.table('casebridge_leases')} (connector, holder, token, acquired_at, renewed_at, expires_at)
     VALUES ($1, $2, $3, now(), now(), now() + interval '30 seconds')
     ON CONFLICT (connector) DO UPDATE SET holder = excluded.holder, token = excluded.token, acquired_at = now(), renewed_at = now(), expires_at = excluded.expires_at`,
    [connector, holder, token],
  );
}

describe('PostgreSQL state store', () => {
  it('migrates a fresh schema once, even when two gateways start together', async () => {
    const schema = newSchema();
    const [a, b] = await Promise.all([open(schema), open(schema)]);
    expect(isPostgresStateStore(a)).toBe(true);
    const { rows } = await a.pool.query<{ version: number }>(`SELECT version FROM ${a.table('casebridge_schema_migrations')} ORDER BY version`);
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const tables = await admin.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema]);
    expect(tables.rows.map((r) => r.table_name)).toEqual(['casebridge_checkpoints', 'casebridge_kv', 'casebridge_leases', 'casebridge_schema_migrations']);
    await a.forConnector('x').commit({ checkpoint: { n: 1 } });
    expect(await b.forConnector('x').checkpoint()).toEqual({ n: 1 });
    // A third start finds nothing to do.
    const client = await admin.connect();
    try {
      expect(await migrate(client, schema)).toEqual([]);
    } finally {
      client.release();
    }
  });

  it('starts with a role that may only use the tables once the schema exists', async () => {
    const schema = newSchema();
    await (await open(schema)).close();
    opened.pop();
    const role = `cb_user_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    try {
      await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
      await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
      const store = await openPostgresStateStore({ url: `postgres://${role}@127.0.0.1:5432/test`, schema });
      try {
        await store.forConnector('street').commit({ checkpoint: { line: 1 } });
        expect(await store.forConnector('street').checkpoint()).toEqual({ line: 1 });
      } finally {
        await store.close();
      }
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.query(`DROP ROLE ${role}`);
    }
  });

  it('refuses a schema that a newer casebridge migrated', async () => {
    const schema = newSchema();
    await open(schema);
    await admin.query(`INSERT INTO "${schema}".casebridge_schema_migrations (version, name) VALUES (999, 'from the future')`);
    await expect(open(schema)).rejects.toThrow(/has migration 999 but this casebridge knows only up to 1/);
  });

  it('says where it could not connect, without the password', async () => {
    const secret = `pw-${randomBytes(6).toString('hex')}`;
    const err = await openPostgresStateStore({ url: `postgres://postgres:${secret}@127.0.0.1:1/test`, schema: newSchema() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).retriable).toBe(true);
    expect((err as Error).message).toMatch(/cannot open the PostgreSQL state store at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test/);
    expect((err as Error).message).not.toContain(secret);
    // The password is registered for masking wherever else it might surface.
    expect(maskSecrets(`connect failed for ${secret}`)).not.toContain(secret);
  });

  it('reads a batch of keys with one query and streams entries page by page without holding a connection', async () => {
    const store = await open(newSchema(), { poolSize: 1, pageSize: 50 });
    const s = store.forConnector('street');
    await s.commit({ writes: Array.from({ length: 260 }, (_, i) => ({ op: 'put' as const, namespace: 'cases', key: `C${String(i).padStart(4, '0')}`, value: i })) });
    const query = vi.spyOn(store.pool, 'query');
    const got = await s.getMany('cases', Array.from({ length: 200 }, (_, i) => `C${String(i * 2).padStart(4, '0')}`));
    expect(got.size).toBe(130);
    expect(query).toHaveBeenCalledTimes(1);
    query.mockClear();

    // With a pool of one connection, a commit in the middle of the scan would wait forever if the
    // scan held it (a cursor would).
    let n = 0;
    for await (const [key] of s.entries('cases')) {
      if (n++ === 75) await s.commit({ writes: [{ op: 'put', namespace: 'elsewhere', key, value: 'seen mid-scan' }] });
    }
    expect(n).toBe(260);
    expect(query.mock.calls.filter(([sql]) => String(sql).includes('ORDER BY key'))).toHaveLength(6);
    query.mockRestore();
    expect(await s.get('elsewhere', 'C0075')).toBe('seen mid-scan');
  });

  it('rolls back a commit whose later statement fails in the database', async () => {
    const store = await open(newSchema());
    const s = store.forConnector('street');
    await s.commit({ checkpoint: { line: 1 } });
    // PostgreSQL text cannot hold NUL: the delete fails after the upsert ran in the same transaction.
    const err = await s
      .commit({ checkpoint: { line: 2 }, writes: [{ op: 'put', namespace: 'ns', key: 'A', value: 1 }, { op: 'delete', namespace: 'ns', key: 'bad\u0000key' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).code).toBe('state_commit');
    expect((err as StateError).context.connector).toBe('street');
    expect(await s.checkpoint()).toEqual({ line: 1 });
    expect(await s.get('ns', 'A')).toBeUndefined();
    // The connection went back to the pool usable.
    await s.commit({ checkpoint: { line: 3 } });
    expect(await s.checkpoint()).toEqual({ line: 3 });
  });

  describe('fencing', () => {
    it('commits while the lease is held, and refuses once another instance holds it', async () => {
      const store = await open(newSchema());
      await setLease(store, 'street', 'gw-1', 7);
      let fence: Fence | undefined = { holder: 'gw-1', token: 7 };
      const fenced: Array<Fence | undefined> = [];
      const s = store.forConnector('street', { fence: () => fence, onFenced: (f) => fenced.push(f) });
      await s.commit({ checkpoint: { line: 10 }, writes: [{ op: 'put', namespace: 'cases', key: 'A', value: 'first' }] });
      expect(await s.checkpoint()).toEqual({ line: 10 });

      await setLease(store, 'street', 'gw-2', 8);
      const err = await s.commit({ checkpoint: { line: 20 }, writes: [{ op: 'put', namespace: 'cases', key: 'A', value: 'late' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FencedError);
      expect(err).toBeInstanceOf(StateError);
      expect((err as FencedError).retriable).toBe(false);
      expect((err as FencedError).code).toBe('fenced');
      expect((err as Error).message).toBe('commit refused for street: gw-1 no longer holds its lease (token 7); another instance took over, so this batch is left for it');
      expect(fenced).toEqual([{ holder: 'gw-1', token: 7 }]);
      expect(await s.checkpoint()).toEqual({ line: 10 });
      expect(await s.get('cases', 'A')).toBe('first');

      // The same holder with a stale token (it lost the lease and got it back) is refused too.
      await setLease(store, 'street', 'gw-1', 9);
      await expect(s.commit({ checkpoint: { line: 30 } })).rejects.toBeInstanceOf(FencedError);
      fence = { holder: 'gw-1', token: 9 };
      await s.commit({ checkpoint: { line: 30 } });
      expect(await s.checkpoint()).toEqual({ line: 30 });

      // Holding no lease at all: refused, and counted.
      fence = undefined;
      await expect(s.commit({ checkpoint: { line: 40 } })).rejects.toThrow('commit refused for street: this instance holds no lease on it');
      expect(fenced).toHaveLength(3);
      expect(await s.checkpoint()).toEqual({ line: 30 });
    });

    it('refuses a connector that has no lease row, and leaves unfenced connectors alone', async () => {
      const store = await open(newSchema());
      const s = store.forConnector('street', { fence: () => ({ holder: 'gw-1', token: 1 }) });
      await expect(s.commit({ checkpoint: { line: 1 } })).rejects.toBeInstanceOf(FencedError);
      expect(await s.checkpoint()).toBeUndefined();
      await store.forConnector('street').commit({ checkpoint: { line: 1 } });
      expect(await s.checkpoint()).toEqual({ line: 1 });
    });

    it('holds the lease row while a commit is in flight, so a takeover waits for it', async () => {
      const store = await open(newSchema());
      await setLease(store, 'street', 'gw-1', 1);
      // Start a fenced commit's transaction by hand up to the lease check, as the store does.
      const client = await store.pool.connect();
      const other = new pg.Client({ connectionString: PG_URL });
      await other.connect();
      try {
        const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        await client.query('BEGIN');
        await client.query(`SELECT 1 FROM ${store.table('casebridge_leases')} WHERE connector = $1 AND holder = $2 AND token = $3 FOR SHARE`, ['street', 'gw-1', 1]);
        let done = false;
        const takeover = other.query(`UPDATE ${store.table('casebridge_leases')} SET holder = 'gw-2', token = token + 1 WHERE connector = 'street'`).then(() => (done = true));
        // The takeover's session waits on a lock until this transaction ends.
        await expect
          .poll(async () => (await admin.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid])).rows[0]?.wait_event_type, { timeout: 30_000 })
          .toBe('Lock');
        expect(done).toBe(false);
        await client.query('COMMIT');
        await takeover;
      } finally {
        client.release();
        await other.end();
      }
      const { rows } = await store.pool.query(`SELECT holder, token FROM ${store.table('casebridge_leases')} WHERE connector = 'street'`);
      expect(rows[0]).toEqual({ holder: 'gw-2', token: '2' });
    });
  });
});
