/**
 * The gateway: one state store, one publisher, one runner per enabled connector, and the HTTP
 * endpoint. Everything it needs can be passed in, so tests run it with fakes or real parts alike.
 */
import { byteSize, durationMs } from '../core/units.js';
import type { LoadedConfig } from '../config/load.js';
import type { ConnectorConfig } from '../config/schema.js';
import { loadSourceFactories } from '../connectors/registry.js';
import type { SourceFactory } from '../core/source.js';
import { compileMapping as defaultCompileMapping } from '../normalize/compile-mapping.js';
import type { CompileMapping } from '../normalize/normalizer.js';
import { createPublisher } from '../publish/create-publisher.js';
import type { Publisher } from '../core/publisher.js';
import { backoffDelay, sleep } from '../core/backoff.js';
import { systemClock, type Clock } from '../core/clock.js';
import { ConnectorRunner, type RunSummary } from './connector-runner.js';
import { ConfigError, describeError, isRetriable } from '../core/errors.js';
import { startHttpServer, type StatusReport } from './http-server.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { openStateStore } from './state/open-state-store.js';
import type { StateStore } from '../core/state-store.js';
import { startFleet, type Fleet } from './fleet/fleet.js';
import type { LeaseStore } from './fleet/lease-store.js';

export interface GatewayOptions {
  loaded: LoadedConfig;
  publisher?: Publisher;
  stateStore?: StateStore;
  clock?: Clock;
  logger?: Logger;
  metrics?: GatewayMetrics;
  compileMapping?: CompileMapping;
  /** Source factories by connector type (default: the registry); tests inject fakes here. */
  sourceFactories?: Record<string, SourceFactory<ConnectorConfig>>;
  /** Override the config's http section; `false` disables the endpoint (tests, --once runs). */
  http?: false | { host?: string; port?: number };
  /** Only these connectors (default: every enabled one). */
  only?: string[];
  /** A publish pending longer than this makes the gateway not ready (default: the Kafka requestTimeout, else 30s). */
  publishTimeoutMs?: number;
  /** The fleet's lease tables (default: opened from state.url when the config has `fleet`). */
  leaseStore?: LeaseStore;
}

export interface Gateway {
  readonly runners: ReadonlyMap<string, ConnectorRunner>;
  readonly publisher: Publisher;
  readonly metrics: GatewayMetrics;
  /** URL of the health/metrics endpoint once started with http enabled. */
  readonly httpUrl: string | undefined;
  /** Start the publisher (retrying while it is unreachable) and run live checks. */
  open(): Promise<void>;
  /** Run every connector once until caught up (retriable failures retried until abort). */
  runAllOnce(opts?: { retry?: boolean }): Promise<RunSummary[]>;
  runOnce(connector: string): Promise<RunSummary>;
  /** Start schedules, watchers and push receivers; returns immediately. */
  start(): Promise<void>;
  status(): StatusReport;
  /** Graceful: stop schedules, let in-flight batches finish (up to the grace period), close everything. Safe twice. Returns within shutdownGrace. */
  stop(): Promise<void>;
  /** Publishes still pending when stop() gave up on them (0 after a clean stop). */
  readonly abandoned: number;
  readonly signal: AbortSignal;
  /** Set while running with `fleet:` in the config. */
  readonly fleet: Fleet | undefined;
}

interface PendingPublish {
  connector: string;
  what: 'events' | 'dead letters';
  count: number;
  since: number;
}

function describePending(p: PendingPublish): string {
  return `${p.connector} (${p.count} ${p.what} since ${new Date(p.since).toISOString()})`;
}

/** Wraps the publisher to know which publishes are in flight and since when (readiness, shutdown). */
function trackInFlight(publisher: Publisher): { publisher: Publisher; pending(): PendingPublish[]; oldest(): PendingPublish | undefined } {
  const pending = new Set<PendingPublish>();
  const track = async (p: PendingPublish, run: () => Promise<void>) => {
    pending.add(p);
    try {
      await run();
    } finally {
      pending.delete(p);
    }
  };
  return {
    publisher: {
      start: () => publisher.start(),
      publish: (events) => track({ connector: events[0]?.connector ?? 'unknown', what: 'events', count: events.length, since: Date.now() }, () => publisher.publish(events)),
      deadLetter: (letters) => track({ connector: letters[0]?.connector ?? 'unknown', what: 'dead letters', count: letters.length, since: Date.now() }, () => publisher.deadLetter(letters)),
      health: () => publisher.health(),
      close: () => publisher.close(),
    },
    pending: () => [...pending],
    oldest: () => [...pending].reduce<PendingPublish | undefined>((a, p) => (!a || p.since < a.since ? p : a), undefined),
  };
}

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config, baseDir } = opts.loaded;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: config.log.level });
  const metrics = opts.metrics ?? createMetrics({ defaultMetrics: true });
  const stateStore = opts.stateStore ?? (await openStateStore(config.state, { baseDir, onPoolError: (err) => logger.warn(`state store connection failed: ${err.message}`), ...(config.fleet ? { idleInTransactionTimeoutMs: durationMs(config.fleet.leaseTtl) } : {}) }));
  let publisher: Publisher;
  try {
    publisher = opts.publisher ?? (await createPublisher(config.publisher, { baseDir, logger, clock, councils: config.councils, connectors: config.connectors.map((c) => ({ name: c.name, council: c.council })) }));
  } catch (err) {
    // A PostgreSQL pool left open would keep the process alive after the failed start.
    if (!opts.stateStore) await stateStore.close().catch(() => undefined);
    throw err;
  }
  const publishTimeoutMs = opts.publishTimeoutMs ?? (config.publisher.type === 'kafka' ? durationMs(config.publisher.requestTimeout) : 30_000);
  const inFlight = trackInFlight(publisher);
  const compileMapping = opts.compileMapping ?? defaultCompileMapping;
  const abort = new AbortController();
  const councils = new Map(config.councils.map((c) => [c.gss, c]));

  const runners = new Map<string, ConnectorRunner>();
  const wanted = config.connectors.filter((c) => c.enabled && (!opts.only || opts.only.includes(c.name)));
  // Only the kinds this config uses are loaded, so their drivers stay out of every other gateway.
  const factories = opts.sourceFactories ?? (await loadSourceFactories(wanted.map((c) => c.type)));
  let fleet: Fleet | undefined;
  config.connectors.forEach((c, index) => {
    if (!c.enabled || (opts.only && !opts.only.includes(c.name))) return;
    const factory = factories[c.type];
    if (!factory) throw new ConfigError(`no source for connector type ${c.type}`, { context: { connector: c.name } });
    const council = councils.get(c.council)!;
    runners.set(
      c.name,
      new ConnectorRunner(c, {
        publisher: inFlight.publisher,
        stateStore,
        caseCacheBytes: byteSize(config.state.caseCache),
        clock,
        logger,
        metrics,
        council: { gss: council.gss, name: council.name },
        ...(config.lookups ? { sharedLookups: config.lookups } : {}),
        baseDir,
        compileMapping,
        sourceFactory: factory,
        index,
        ...(config.fleet && c.type !== 'push' ? { lease: { fence: () => fleet?.fence(c.name), fenced: () => fleet?.fenced(c.name) } } : {}),
        configFile: opts.loaded.file,
        ...(opts.loaded.locate ? { locateConfig: opts.loaded.locate } : {}),
      }),
    );
  });
  if (opts.only) for (const name of opts.only) if (!runners.has(name)) {
    throw new ConfigError(`no enabled connector named "${name}" (have: ${[...runners.keys()].join(', ') || 'none'})`);
  }

  let publisherReady = false;
  let httpClose: (() => Promise<void>) | undefined;
  let httpUrl: string | undefined;
  let stopping: Promise<void> | undefined;
  let abandoned = 0;

  const status = (): StatusReport => {
    const stuck = inFlight.oldest();
    const health =
      stuck && Date.now() - stuck.since > publishTimeoutMs
        ? { ok: false, detail: `publish pending for ${((Date.now() - stuck.since) / 1000).toFixed(1)}s (${describePending(stuck)}), longer than the request timeout ${(publishTimeoutMs / 1000).toFixed(1)}s: the broker or disk may be hung` }
        : publisherReady
          ? publisher.health()
          : { ok: false, detail: 'publisher not started yet' };
    const connectors = [...runners.values()].map((r) => ({
      name: r.name,
      status: r.status,
      ...(r.lastSuccessAt ? { lastSuccessAt: r.lastSuccessAt.toISOString() } : {}),
      ...(r.lastError ? { lastError: r.lastError } : {}),
      totals: { ...r.totals, skippedBy: { ...r.totals.skippedBy } },
    }));
    const ready = health.ok && connectors.every((c) => c.status !== 'failed' && c.status !== 'backing_off');
    const fleetView = fleet?.view();
    return { ready, publisher: health, connectors, ...(fleetView ? { fleet: fleetView } : {}) };
  };

  const open = async () => {
    if (publisherReady) return;
    const policy = { initialMs: 1000, maxMs: 30_000, multiplier: 2 };
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      try {
        await publisher.start();
        publisherReady = true;
        break;
      } catch (err) {
        if (!isRetriable(err)) throw err;
        const delay = backoffDelay(policy, attempt);
        logger.warn({ attempt: attempt + 1 }, `publisher unavailable: ${describeError(err)}; retrying in ${(delay / 1000).toFixed(1)}s`);
        await sleep(delay, abort.signal);
      }
    }
    if (!publisherReady) return;
    for (const r of runners.values()) await r.checkAtStartup();
  };

  const gateway: Gateway = {
    runners,
    publisher,
    metrics,
    get httpUrl() {
      return httpUrl;
    },
    signal: abort.signal,
    get abandoned() {
      return abandoned;
    },
    get fleet() {
      return fleet;
    },
    open,
    async runAllOnce({ retry = true } = {}) {
      if (config.fleet) {
        throw new ConfigError('run --once cannot take part in a fleet (it would run connectors other instances hold under their leases): run without --once, or remove fleet: from the config', { context: { field: 'fleet' } });
      }
      await open();
      if (abort.signal.aborted) {
        return [...runners.values()].map((r) => ({ connector: r.name, status: 'aborted' as const, durationMs: 0, read: 0, published: 0, deadLettered: 0, skipped: 0, skippedBy: {}, batches: 0 }));
      }
      const summaries: RunSummary[] = [];
      // Connectors run side by side: one slow supplier must not hold up the others.
      const runs = [...runners.values()].filter((r) => !r.continuous).map((r) => (retry ? r.runWithRetry(abort.signal) : r.runOnce(abort.signal)));
      for (const s of await Promise.all(runs)) summaries.push(s);
      return summaries;
    },
    async runOnce(name: string) {
      const r = runners.get(name);
      if (!r) throw new ConfigError(`no enabled connector named "${name}"`);
      await open();
      return r.runOnce(abort.signal);
    },
    async start() {
      // An explicit override (e.g. --port) turns the endpoint on even where the config turned it off.
      const http = opts.http === false ? undefined : opts.http ? { ...config.http, ...opts.http, enabled: true } : config.http;
      if (http && http.enabled !== false) {
        const s = await startHttpServer({ host: http.host ?? '127.0.0.1', port: http.port ?? 9464, registry: metrics.registry, status, ...(config.http.token ? { token: config.http.token } : {}) });
        httpClose = s.close;
        httpUrl = s.url;
        logger.info({ url: s.url }, `health and metrics on ${s.url}/readyz and ${s.url}/metrics`);
      }
      await open();
      if (abort.signal.aborted) return;
      if (!config.fleet) {
        for (const r of runners.values()) r.startSchedule(abort.signal);
        return;
      }
      // Push receivers run on every instance; everything else only where its lease is held.
      for (const r of runners.values()) if (r.config.type === 'push') r.startSchedule(abort.signal);
      fleet = await startFleet({
        config: config.fleet,
        state: config.state,
        runners: [...runners.values()].filter((r) => r.config.type !== 'push'),
        signal: abort.signal,
        logger,
        metrics,
        httpUrl: () => httpUrl,
        ...(opts.leaseStore ? { leaseStore: opts.leaseStore } : {}),
      });
    },
    status,
    stop() {
      stopping ??= (async () => {
        abort.abort();
        // Everything below shares one deadline: a hung broker must not hold the process past it.
        const deadline = Date.now() + durationMs(config.shutdownGrace);
        const within = <T>(p: Promise<T>) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), Math.max(0, deadline - Date.now())).unref())]);
        await within(Promise.all([...runners.values()].map((r) => r.drain())));
        // Every connector has stopped: hand the leases back so the other instances take over at once.
        await within(fleet?.stop() ?? Promise.resolve());
        const left = inFlight.pending();
        if (left.length) {
          abandoned = left.length;
          for (const p of left) metrics.publishAbandoned.labels(p.connector).inc();
          logger.error(
            { pending: left.map((p) => ({ connector: p.connector, what: p.what, count: p.count, since: new Date(p.since).toISOString() })) },
            `abandoned ${left.length} publish(es) still pending after shutdownGrace ${config.shutdownGrace}: ${left.map(describePending).join('; ')}; nothing was committed for them, so they are read and published again on restart`,
          );
        }
        for (const r of runners.values()) await within(r.close().catch((e: Error) => logger.warn(`closing ${r.name}: ${e.message}`)));
        if (!(await within(publisher.close().catch((e: Error) => logger.warn(`closing publisher: ${e.message}`))))) logger.warn('publisher did not close within shutdownGrace');
        // A run still inside a hung publish never commits after this: the store is closed under it.
        await within(stateStore.close().catch((e: Error) => logger.warn(`closing state store: ${e.message}`)));
        await within(httpClose?.() ?? Promise.resolve());
      })();
      return stopping;
    },
  };
  return gateway;
}
