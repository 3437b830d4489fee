/**
 * Lease managers against the real PostgreSQL (each test its own schema): fair shares, failover
 * when an instance stops renewing, hand-back when one joins, atomic acquisition, and the fence.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createLeaseManager, type LeaseManager } from '../../src/runtime/fleet/lease-manager.js';
import { pgLeaseStore, type LeaseStore } from '../../src/runtime/fleet/lease-store.js';

const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: process.env.CB_PG_USER ?? 'postgres', database: 'test', max: 8 });
const schemas: string[] = [];
const managers: LeaseManager[] = [];
const connectors = Array.from({ length: 12 }, (_, i) => `conn-${String(i).padStart(2, '0')}`);

async function freshStore(): Promise<LeaseStore> {
  const schema = `fleet_${randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  const store = pgLeaseStore(pool, schema);
  await store.ensureTables();
  return store;
}

/** Instances whose database calls hang from now on (a frozen process). */
const freeze = new Set<string>();
function frozenWhen(id: string, store: LeaseStore): LeaseStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => (freeze.has(id) ? new Promise(() => undefined) : (v as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}

function instance(store: LeaseStore, id: string, running: Set<string>, ttlMs = 1500) {
  const m = createLeaseManager({
    store: frozenWhen(id, store),
    instanceId: id,
    connectors,
    ttlMs,
    renewMs: 400,
    logger: silentLogger(),
    onAcquired: (c) => running.add(c),
    onLost: async (c) => {
      running.delete(c);
    },
  });
  managers.push(m);
  return m;
}

async function until(what: string, cond: () => Promise<boolean> | boolean, boundMs = 60_000): Promise<void> {
  for (const end = Date.now() + boundMs; Date.now() < end; ) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const holders = async (store: LeaseStore) => {
  const s = await store.snapshot();
  return new Map(s.leases.filter((l) => l.expiresAt > s.now).map((l) => [l.connector, l.holder]));
};

beforeAll(async () => {
  await pool.query('SELECT 1');
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop().catch(() => undefined);
});
afterAll(async () => {
  for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
  await pool.end();
});

describe('lease manager (real PostgreSQL)', () => {
  it('three instances share 12 connectors 4/4/4, each connector held by exactly one', async () => {
    const store = await freshStore();
    const runs = [new Set<string>(), new Set<string>(), new Set<string>()];
    const ms = runs.map((r, i) => instance(store, `inst-${i}`, r));
    for (const m of ms) await m.start();
    await until('an even spread', async () => {
      const h = await holders(store);
      return h.size === 12 && runs.every((r) => r.size === 4);
    });
    const h = await holders(store);
    for (const [i, r] of runs.entries()) for (const c of r) expect(h.get(c)).toBe(`inst-${i}`);
    const all = runs.flatMap((r) => [...r]);
    expect(new Set(all).size).toBe(12);
  }, 90_000);

  it('an instance that stops renewing loses its connectors to the others, with new tokens; a joiner takes its share back', async () => {
    const store = await freshStore();
    const runs = [new Set<string>(), new Set<string>(), new Set<string>()];
    const ms = runs.map((r, i) => instance(store, `inst-${i}`, r));
    for (const m of ms) await m.start();
    await until('an even spread', async () => runs.every((r) => r.size === 4) && (await holders(store)).size === 12);
    const before = await store.snapshot();
    const victims = [...runs[2]!];
    // Frozen like a SIGSTOPped process: its calls to the database never return, nothing is released.
    const crashed = ms[2]!;
    managers.splice(managers.indexOf(crashed), 1);
    freeze.add('inst-2');
    await until('the survivors hold all 12', async () => runs[0]!.size + runs[1]!.size === 12 && runs[0]!.size === 6);
    const after = await store.snapshot();
    for (const c of victims) {
      const b = before.leases.find((l) => l.connector === c)!;
      const a = after.leases.find((l) => l.connector === c)!;
      expect(a.holder).not.toBe('inst-2');
      expect(a.token).toBe(b.token + 1);
    }
    // The frozen instance's fence no longer answers once its TTL ran out.
    expect(crashed.fence(victims[0]!)).toBeUndefined();
    // A new instance joins: the others hand back down to 4 each.
    const joiner = new Set<string>();
    await instance(store, 'inst-3', joiner).start();
    await until('the joiner gets its share', async () => joiner.size === 4 && runs[0]!.size === 4 && runs[1]!.size === 4);
  }, 120_000);

  it('acquisition is atomic: of many racing instances exactly one wins each free lease', async () => {
    const store = await freshStore();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.tryAcquire('contested', `racer-${i}`, 60_000)));
    expect(results.filter((t) => t !== undefined)).toEqual([1]);
    // Expired: taken over with the next token; the previous holder's renewal then fails.
    const winner = `racer-${results.findIndex((t) => t !== undefined)}`;
    await store.release('contested', winner, 1);
    expect(await store.tryAcquire('contested', 'newcomer', 60_000)).toBe(2);
    expect(await store.renew(winner, new Map([['contested', 1]]), 60_000)).toEqual(new Set());
    expect(await store.renew('newcomer', new Map([['contested', 2]]), 60_000)).toEqual(new Set(['contested']));
  });
});
