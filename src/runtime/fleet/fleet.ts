/**
 * The gateway's part in a fleet: opens the lease tables in the PostgreSQL state database, runs the
 * lease manager, and starts or stops each connector's runner as its lease comes and goes. A runner
 * whose lease is lost is aborted and drained before the lease can be taken up again here.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { ConfigError } from '../../core/errors.js';
import type { Fence } from '../../core/state-store.js';
import { durationMs } from '../../core/units.js';
import type { Logger } from '../../core/logger.js';
import { renewEveryMs, type FleetConfig } from '../../config/fleet.js';
import type { StateConfig } from '../../config/state.js';
import type { ConnectorRunner } from '../connector-runner.js';
import type { GatewayMetrics } from '../metrics.js';
import { createLeaseManager, type LeaseManager } from './lease-manager.js';
import { pgLeaseStore, type ConnectorReport, type LeaseStore } from './lease-store.js';
import { fleetView, type FleetView } from './fleet-view.js';

export interface Fleet {
  readonly instanceId: string;
  readonly manager: LeaseManager;
  fence(connector: string): Fence | undefined;
  fenced(connector: string): void;
  view(): FleetView | undefined;
  stop(): Promise<void>;
}

/** CASEBRIDGE_INSTANCE_ID (e.g. from a service manager's instance name), else hostname-pid. */
export function defaultInstanceId(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CASEBRIDGE_INSTANCE_ID?.trim();
  if (fromEnv) {
    if (!/^[A-Za-z0-9._:@-]{1,100}$/.test(fromEnv)) throw new ConfigError(`CASEBRIDGE_INSTANCE_ID "${fromEnv}" must be letters, digits and . _ : @ - (at most 100)`, { context: { field: 'CASEBRIDGE_INSTANCE_ID' } });
    return fromEnv;
  }
  return `${hostname()}-${process.pid}`;
}

/** The lease tables live beside the state tables, so the fenced commit can check them. */
export function openLeaseStore(state: StateConfig, opts: { poolSize?: number; lockTimeoutMs?: number } = {}): LeaseStore {
  if (state.type !== 'postgres') throw new ConfigError(`fleet needs state.type: postgres (have ${state.type})`, { context: { field: 'state.type' } });
  const pool = new pg.Pool({
    connectionString: state.url,
    max: opts.poolSize ?? 2,
    // A lease row locked by a paused instance's commit must not hold up this instance's tick.
    ...(opts.lockTimeoutMs ? { options: `-c lock_timeout=${Math.max(1, Math.round(opts.lockTimeoutMs))}` } : {}),
  });
  // A dropped idle connection must not end the process; the next tick reports the failure.
  pool.on('error', () => undefined);
  return pgLeaseStore(pool, state.schema, { ownsPool: true });
}

export interface StartFleetOptions {
  config: FleetConfig;
  state: StateConfig;
  runners: ConnectorRunner[];
  /** The gateway's own signal: aborting it stops every connector here. */
  signal: AbortSignal;
  logger: Logger;
  metrics: GatewayMetrics;
  httpUrl(): string | undefined;
  leaseStore?: LeaseStore;
}

export async function startFleet(o: StartFleetOptions): Promise<Fleet> {
  const instanceId = o.config.instanceId ?? defaultInstanceId();
  const ttlMs = durationMs(o.config.leaseTtl);
  const store = o.leaseStore ?? openLeaseStore(o.state, { lockTimeoutMs: renewEveryMs(o.config) });
  const byName = new Map(o.runners.map((r) => [r.name, r]));
  const controllers = new Map<string, AbortController>();
  const stopping = new Map<string, Promise<void>>();
  const log = o.logger.child({ instance: instanceId });

  const report = (): Record<string, ConnectorReport> => {
    const out: Record<string, ConnectorReport> = {};
    for (const name of manager.held().keys()) {
      const r = byName.get(name);
      if (!r) continue;
      out[name] = {
        status: r.status,
        ...(r.lagSeconds !== undefined ? { lagSeconds: r.lagSeconds } : {}),
        ...(r.lastSuccessAt ? { lastSuccessAt: r.lastSuccessAt.toISOString() } : {}),
        ...(r.lastError ? { lastError: r.lastError } : {}),
      };
    }
    return out;
  };

  const manager: LeaseManager = createLeaseManager({
    store,
    instanceId,
    connectors: o.runners.map((r) => r.name),
    ttlMs,
    renewMs: renewEveryMs(o.config),
    logger: o.logger,
    report,
    httpUrl: o.httpUrl,
    onAcquired(name, token) {
      o.metrics.leaseAcquisitions.labels(name).inc();
      const runner = byName.get(name)!;
      // A run from an earlier tenure may still be finishing its batch (uncommitted): wait for it.
      void (stopping.get(name) ?? Promise.resolve()).then(() => {
        if (o.signal.aborted || manager.fence(name)?.token !== token) return;
        const ctrl = new AbortController();
        controllers.set(name, ctrl);
        log.info({ connector: name, leaseToken: token }, `starting ${name} under lease token ${token}`);
        runner.startSchedule(AbortSignal.any([o.signal, ctrl.signal]));
      });
    },
    async onLost(name, reason) {
      o.metrics.leaseLosses.labels(name, reason).inc();
      controllers.get(name)?.abort();
      controllers.delete(name);
      const drained = byName.get(name)!.drain();
      stopping.set(name, drained);
      await drained;
    },
    onSnapshot(s) {
      o.metrics.leaseHolder.reset();
      for (const l of s.leases) if (l.expiresAt > s.now && byName.has(l.connector)) o.metrics.leaseHolder.labels(l.connector, l.holder).set(1);
    },
  });
  await manager.start();
  log.info({ leaseTtl: o.config.leaseTtl, connectors: o.runners.length }, `fleet: instance ${instanceId} joined; holding ${manager.held().size} of ${o.runners.length} connector(s)`);

  let stopped: Promise<void> | undefined;
  return {
    instanceId,
    manager,
    fence: (c) => manager.fence(c),
    fenced: (c) => manager.fenced(c),
    view: () => {
      const s = manager.lastSnapshot();
      return s ? fleetView(s, o.runners.map((r) => r.name), ttlMs, instanceId) : undefined;
    },
    stop() {
      stopped ??= (async () => {
        for (const c of controllers.values()) c.abort();
        await Promise.all(o.runners.map((r) => r.drain()));
        await manager.stop();
        await store.close();
      })();
      return stopped;
    },
  };
}
