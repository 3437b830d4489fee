/**
 * One gateway instance's side of the fleet. Every `renewEvery` it beats its heartbeat, renews the
 * leases it holds, and moves towards its fair share: ceil(connectors / live instances). It keeps
 * what it holds, takes free or expired leases only up to its share, and gives back only the excess
 * (rendezvous order), so joins and departures move as few connectors as possible.
 *
 * A connector runs only while its lease is held. A lease that another instance took, or that could
 * not be renewed before it would expire, stops its connector at once (abort, no commit): `fence()`
 * stops answering for it, so the state store refuses any commit still in flight.
 */
import type { Fence } from '../../core/state-store.js';
import type { Logger } from '../../core/logger.js';
import { describeError } from '../../core/errors.js';
import { byPreference } from './rendezvous.js';
import type { ConnectorReport, FleetSnapshot, LeaseStore } from './lease-store.js';

export type LeaseLossReason = 'taken' | 'expired' | 'renewal-failed' | 'rebalance' | 'fenced' | 'stopping';

export interface LeaseManagerOptions {
  store: LeaseStore;
  instanceId: string;
  /** The connectors that need a lease (push receivers run everywhere and are not listed). */
  connectors: readonly string[];
  ttlMs: number;
  renewMs: number;
  logger: Logger;
  /** Start the connector: its lease is now held. */
  onAcquired(connector: string, token: number): void;
  /** Stop the connector; resolves when it has stopped (nothing of it commits after that). */
  onLost(connector: string, reason: LeaseLossReason): Promise<void>;
  /** Called after every tick with what the database showed. */
  onSnapshot?(snapshot: FleetSnapshot): void;
  report?(): Record<string, ConnectorReport>;
  httpUrl?(): string | undefined;
}

export interface LeaseManager {
  readonly instanceId: string;
  start(): Promise<void>;
  /** The fence a commit must carry; undefined when the lease is not held (or may have run out). */
  fence(connector: string): Fence | undefined;
  /** A commit was refused: the lease is gone whatever we believed; stop the connector. */
  fenced(connector: string): void;
  held(): ReadonlyMap<string, number>;
  lastSnapshot(): FleetSnapshot | undefined;
  /** Run one tick now (tests). */
  tick(): Promise<void>;
  /** Stop ticking; release every lease still held (call after the connectors have stopped) and leave the fleet. */
  stop(): Promise<void>;
}

export function createLeaseManager(o: LeaseManagerOptions): LeaseManager {
  const held = new Map<string, number>();
  const releasing = new Set<string>();
  const log = o.logger.child({ instance: o.instanceId });
  /** Local time before the last renewal that succeeded: the leases last at least until this + ttl. */
  let renewedFrom = 0;
  let snapshot: FleetSnapshot | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const lose = (connector: string, reason: LeaseLossReason): void => {
    if (!held.has(connector) || releasing.has(connector)) {
      held.delete(connector);
      return;
    }
    held.delete(connector);
    log.warn({ connector, reason }, `lease on ${connector} lost (${reason}): stopping it on ${o.instanceId}`);
    void o.onLost(connector, reason).catch((err) => log.error({ connector }, `stopping ${connector}: ${describeError(err)}`));
  };

  /** Give the lease back once the connector has stopped; keep renewing it until then. */
  const giveBack = (connector: string): void => {
    const token = held.get(connector);
    if (token === undefined || releasing.has(connector)) return;
    releasing.add(connector);
    log.info({ connector }, `handing ${connector} to another instance (over the fair share)`);
    void o
      .onLost(connector, 'rebalance')
      .then(() => (held.get(connector) === token ? o.store.release(connector, o.instanceId, token) : undefined))
      .catch((err) => log.warn({ connector }, `releasing ${connector}: ${describeError(err)}`))
      .finally(() => {
        if (held.get(connector) === token) held.delete(connector);
        releasing.delete(connector);
      });
  };

  const tickOnce = async (): Promise<void> => {
    const started = Date.now();
    try {
      await o.store.heartbeat(o.instanceId, o.httpUrl?.(), o.report?.() ?? {});
      const renewed = await o.store.renew(o.instanceId, held, o.ttlMs);
      renewedFrom = started;
      for (const c of [...held.keys()]) if (!renewed.has(c)) lose(c, 'taken');
    } catch (err) {
      log.warn(`fleet: lease renewal failed: ${describeError(err)}`);
      // The leases may run out before the next tick can renew them: stop now rather than let a
      // connector run on a lease another instance may already hold.
      if (Date.now() + o.renewMs >= renewedFrom + o.ttlMs) for (const c of [...held.keys()]) lose(c, 'renewal-failed');
      return;
    }
    if (stopped) return;
    try {
      await rebalance();
      snapshot = await o.store.snapshot();
      o.onSnapshot?.(snapshot);
    } catch (err) {
      log.warn(`fleet: rebalancing failed (the leases held were renewed): ${describeError(err)}`);
    }
  };

  const rebalance = async (): Promise<void> => {
    const live = await o.store.liveInstances(o.ttlMs);
    const instances = Math.max(1, live.length + (live.includes(o.instanceId) ? 0 : 1));
    const share = Math.ceil(o.connectors.length / instances);
    const keeping = [...held.keys()].filter((c) => !releasing.has(c));
    if (keeping.length > share) {
      for (const c of byPreference(o.instanceId, keeping).slice(share)) giveBack(c);
      return;
    }
    if (keeping.length === share) return;
    const view = await o.store.snapshot();
    const taken = new Map(view.leases.filter((l) => l.expiresAt > view.now && l.holder !== o.instanceId).map((l) => [l.connector, l.holder]));
    const free = o.connectors.filter((c) => !held.has(c) && !taken.has(c));
    let have = keeping.length;
    for (const c of byPreference(o.instanceId, free)) {
      if (have >= share || stopped) break;
      let token: number | undefined;
      try {
        token = await o.store.tryAcquire(c, o.instanceId, o.ttlMs);
      } catch (err) {
        // E.g. a lock timeout: the old holder's session still holds the row; try again next tick.
        log.debug({ connector: c }, `could not take the lease on ${c} yet: ${describeError(err)}`);
        continue;
      }
      if (token === undefined) continue;
      held.set(c, token);
      have++;
      log.info({ connector: c, leaseToken: token }, `lease on ${c} acquired by ${o.instanceId} (token ${token})`);
      o.onAcquired(c, token);
    }
  };

  const tick = (): Promise<void> => {
    running ??= tickOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, o.renewMs);
  };

  return {
    instanceId: o.instanceId,
    async start() {
      await o.store.ensureTables();
      await tick();
      schedule();
    },
    fence(connector) {
      const token = held.get(connector);
      if (token === undefined) return undefined;
      // Paused past the TTL (GC, SIGSTOP, a slow disk): the lease may belong to another by now.
      if (Date.now() >= renewedFrom + o.ttlMs) return undefined;
      return { holder: o.instanceId, token };
    },
    fenced(connector) {
      lose(connector, 'fenced');
    },
    held: () => held,
    lastSnapshot: () => snapshot,
    tick,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      for (const [c, token] of held) await o.store.release(c, o.instanceId, token).catch((err) => log.warn({ connector: c }, `releasing ${c}: ${describeError(err)}`));
      held.clear();
      await o.store.removeInstance(o.instanceId).catch(() => undefined);
    },
  };
}
