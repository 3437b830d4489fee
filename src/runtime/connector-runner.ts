/**
 * Runs one connector: never two overlapping runs, retriable failures back off with jitter and pause
 * only this connector, non-retriable failures stop only this connector with a clear message.
 */
import { EventEmitter } from 'node:events';
import cron, { type ScheduledTask } from 'node-cron';
import type { Council } from '../event/case-event.js';
import type { ConnectorConfig } from '../config/schema.js';
import { byteSize, durationMs } from '../core/units.js';
import { DEFAULT_CASE_CACHE } from '../config/state.js';
import type { Source, SourceFactory } from '../core/source.js';
import type { Lookups } from '../normalize/mapping-schema.js';
import type { CompileMapping, ConfigLocate, Normalizer } from '../normalize/normalizer.js';
import type { Publisher } from '../core/publisher.js';
import { backoffDelay, sleep } from '../core/backoff.js';
import type { Clock } from '../core/clock.js';
import { CasebridgeError, FencedError, describeError, isRetriable } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { GatewayMetrics } from './metrics.js';
import type { BatchResult } from './pipeline.js';
import { runBatches } from './look-ahead.js';
import { readOnly, type Fence, type StateStore } from '../core/state-store.js';
import { parseStoredCheckpoint } from '../core/checkpoint.js';
import { CASE_NAMESPACE } from '../normalize/case-changes.js';
import { cachedConnectorState } from './state/cached-connector-state.js';

const LISTING_UNFINISHED = 'a snapshot listing ended without its final batch (a snapshot file rejected whole?); cases missing from it were NOT closed';

export type ConnectorStatus = 'idle' | 'running' | 'backing_off' | 'failed' | 'stopped';

export interface RunTotals {
  read: number;
  published: number;
  deadLettered: number;
  skipped: number;
  /** Why records produced no event: filtered, unchanged (a repeat), older (out of date). */
  skippedBy: Record<string, number>;
  batches: number;
  /** Snapshot listings that closed nothing although cases were missing from them, and why. */
  listingNotes?: string[];
  /** Supplier local times in a clock change, by "kind:resolution" (only when there were any). */
  clockChanges?: Record<string, number>;
  /** Source warnings by code: how many, and the latest message. */
  warnings?: Record<string, { count: number; message: string }>;
}

export interface RunSummary extends RunTotals {
  connector: string;
  status: 'ok' | 'failed' | 'aborted';
  durationMs: number;
  error?: string;
  /** Runs it took (1 + retries); the counts above add up every one of them. */
  attempts?: number;
  /** Inputs set aside whole in this run (files moved to the rejected folder), with the reason. */
  rejectedFiles?: Array<{ file: string; reason: string }>;
}

export interface ConnectorRunnerDeps {
  publisher: Publisher;
  stateStore: StateStore;
  clock: Clock;
  logger: Logger;
  metrics: GatewayMetrics;
  council: Council;
  sharedLookups?: Lookups;
  baseDir: string;
  compileMapping: CompileMapping;
  sourceFactory: SourceFactory<ConnectorConfig>;
  /** Index of the connector in the config, for error messages that point at the config. */
  index: number;
  /** The config file and where its paths sit (LoadedConfig.locate), so reject reasons give file:line. */
  configFile?: string;
  locateConfig?: ConfigLocate;
  /**
   * Set when the connector runs under a fleet lease: every commit carries the lease's fence (the
   * store refuses it once another instance holds the lease), and a refusal stops this run.
   */
  lease?: { fence(): Fence | undefined; fenced(): void };
  /** Bytes of case memory text the run keeps in memory (config state.caseCache). */
  caseCacheBytes?: number;
}

export class ConnectorRunner extends EventEmitter {
  readonly name: string;
  status: ConnectorStatus = 'idle';
  lastError: string | undefined;
  /** The error behind lastError (typed, with context), e.g. for a supplier's Retry-After hint. */
  lastFailure: unknown;
  lastSuccessAt: Date | undefined;
  /** Age of the newest case change published, when it was published (also the lag gauge). */
  lagSeconds: number | undefined;
  readonly totals: RunTotals = { read: 0, published: 0, deadLettered: 0, skipped: 0, skippedBy: {}, batches: 0 };

  private source: Source | undefined;
  private normalize: Normalizer | undefined;
  private active: Promise<RunSummary> | undefined;
  private cronTask: ScheduledTask | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(
    readonly config: ConnectorConfig,
    private readonly deps: ConnectorRunnerDeps,
  ) {
    super();
    this.name = config.name;
    this.log = deps.logger.child({ connector: config.name });
  }

  get continuous(): boolean {
    if (this.status === 'failed') return false;
    return this.prepare().continuous === true;
  }

  /** Compile the mapping and create the source once; both throw ConfigError on bad config. */
  private prepare(): Source {
    if (!this.normalize) {
      this.normalize = this.deps.compileMapping(this.config.mapping, {
        connector: this.name,
        council: this.deps.council,
        system: this.config.system,
        ...(this.deps.sharedLookups ? { sharedLookups: this.deps.sharedLookups } : {}),
        configPath: `connectors[${this.deps.index}].mapping`,
        ...(this.deps.configFile ? { configFile: this.deps.configFile } : {}),
        ...(this.deps.locateConfig ? { locate: this.deps.locateConfig } : {}),
      });
    }
    if (!this.source) {
      this.source = this.deps.sourceFactory(this.config, {
        connector: this.name,
        clock: this.deps.clock,
        logger: this.log,
        state: readOnly(this.deps.stateStore.forConnector(this.name)),
        baseDir: this.deps.baseDir,
        observe: { skippedEntry: (kind) => this.deps.metrics.fileEntriesSkipped.labels(this.name, kind).inc() },
      });
    }
    return this.source;
  }

  /** Live checks against the supplier (catalogue, WSDL, host key) before the first run. */
  async check(): Promise<void> {
    await this.prepare().check?.();
  }

  /**
   * Start-up check that never takes the gateway down: a config problem stops only this connector
   * (status failed, with the message); a supplier that is merely unreachable is left to the
   * first run's backoff.
   */
  async checkAtStartup(): Promise<boolean> {
    try {
      await this.check();
      return true;
    } catch (err) {
      const message = describeError(err);
      this.lastError = message;
      this.lastFailure = err;
      if (isRetriable(err)) {
        this.log.warn(`${this.name}: start-up check could not reach the supplier (${message}); will retry on the first run`);
        return true;
      }
      this.status = 'failed';
      this.deps.metrics.connectorUp.labels(this.name).set(0);
      this.log.error(`${this.name}: stopped: ${message}`);
      return false;
    }
  }

  /**
   * One run until the source is caught up (or, for continuous sources, until aborted). A run that
   * is already going is joined, never doubled.
   */
  runOnce(signal: AbortSignal): Promise<RunSummary> {
    if (this.active) return this.active;
    if (this.status === 'failed') {
      return Promise.resolve({ connector: this.name, status: 'failed', durationMs: 0, read: 0, published: 0, deadLettered: 0, skipped: 0, skippedBy: {}, batches: 0, ...(this.lastError ? { error: this.lastError } : {}) });
    }
    this.active = this.runInner(signal).finally(() => {
      this.active = undefined;
    });
    return this.active;
  }

  /** Like runOnce, but retriable failures are retried with backoff until success or abort. */
  async runWithRetry(signal: AbortSignal): Promise<RunSummary> {
    const policy = {
      initialMs: durationMs(this.config.retry.initial),
      maxMs: durationMs(this.config.retry.max),
      multiplier: this.config.retry.multiplier,
    };
    const started = Date.now();
    const sum: RunTotals = { read: 0, published: 0, deadLettered: 0, skipped: 0, skippedBy: {}, batches: 0 };
    const rejectedFiles: Array<{ file: string; reason: string }> = [];
    const total = (s: RunSummary, attempts: number, status: RunSummary['status'] = s.status): RunSummary => {
      addTotals(sum, s);
      rejectedFiles.push(...(s.rejectedFiles ?? []));
      return { ...s, ...sum, skippedBy: { ...sum.skippedBy }, status, durationMs: Date.now() - started, attempts, ...(rejectedFiles.length ? { rejectedFiles } : {}) };
    };
    // `attempt` counts failures since the last batch that went through: a dependency that keeps
    // coming back between failures is not "down for longer and longer" (finding 5, docs/reliability.md).
    for (let attempt = 0, runs = 1; ; attempt++, runs++) {
      const summary = await this.runOnce(signal);
      if (summary.status !== 'failed' || this.status === 'failed' || signal.aborted) return total(summary, runs);
      addTotals(sum, summary);
      rejectedFiles.push(...(summary.rejectedFiles ?? []));
      if (summary.batches > 0) attempt = 0;
      // A supplier that said when to come back (HTTP Retry-After) is believed, within our maximum.
      const hinted = this.lastFailure instanceof CasebridgeError ? Number(this.lastFailure.context.retryAfterMs) : NaN;
      const delay = Number.isFinite(hinted) ? Math.min(policy.maxMs, Math.max(hinted, backoffDelay(policy, attempt))) : backoffDelay(policy, attempt);
      this.status = 'backing_off';
      this.log.warn({ attempt: attempt + 1, retryInMs: delay }, `${this.name}: ${summary.error}; retrying in ${(delay / 1000).toFixed(1)}s`);
      this.emit('backoff', { attempt: attempt + 1, delay, error: summary.error });
      await sleep(delay, signal);
      if (signal.aborted) return total({ ...summary, read: 0, published: 0, deadLettered: 0, skipped: 0, skippedBy: {}, batches: 0, rejectedFiles: [] }, runs, 'aborted');
    }
  }

  private async runInner(signal: AbortSignal): Promise<RunSummary> {
    const started = Date.now();
    const run: RunTotals = { read: 0, published: 0, deadLettered: 0, skipped: 0, skippedBy: {}, batches: 0 };
    const rejectedFiles: Array<{ file: string; reason: string }> = [];
    const files = () => (rejectedFiles.length ? { rejectedFiles } : {});
    const { metrics } = this.deps;
    this.status = 'running';
    /** A snapshot listing that has started and not yet reached its final batch. */
    let openListing: string | undefined;
    try {
      const source = this.prepare();
      const lease = this.deps.lease;
      // Case memory kept in memory for this run as the JSON text the store is given (~0.75 KB a
      // typical case), bounded by bytes (state.caseCache, 4 MB by default: about 5,000 cases)
      // whatever the input size or record width; its cost in peak RSS is in docs/performance.md.
      const state = cachedConnectorState(this.deps.stateStore.forConnector(this.name, lease ? { fence: () => lease.fence() } : undefined), {
        namespace: CASE_NAMESPACE,
        maxBytes: this.deps.caseCacheBytes ?? byteSize(DEFAULT_CASE_CACHE),
      });
      const deps = {
        connector: this.name,
        council: this.deps.council,
        normalize: this.normalize!,
        publisher: this.deps.publisher,
        state,
        clock: this.deps.clock,
        signal,
        rawText: this.config.deadLetters?.rawText ?? 'omit',
        ...(lease ? { leaseHeld: () => lease.fence() !== undefined } : {}),
      };
      const checkpoint = parseStoredCheckpoint(source.checkpointSchema, await state.checkpoint(), this.name);
      let t0 = Date.now();
      const cacheSeen = { hits: 0, misses: 0 };
      const reportCache = () => {
        const c = state.cacheStats;
        metrics.caseCacheLookups.labels(this.name, 'hit').inc(c.hits - cacheSeen.hits);
        metrics.caseCacheLookups.labels(this.name, 'miss').inc(c.misses - cacheSeen.misses);
        metrics.caseCacheBytes.labels(this.name).set(c.bytes);
        metrics.caseCacheAdmitting.labels(this.name).set(c.admitting ? 1 : 0);
        cacheSeen.hits = c.hits;
        cacheSeen.misses = c.misses;
      };
      await runBatches(source.read({ checkpoint, signal }), { readAhead: source.readAhead === true, signal }, deps, {
        starting: (batch) => {
          t0 = Date.now();
          if (batch.snapshot) {
            if (openListing !== undefined && openListing !== batch.snapshot.id) this.noteListing(run, 'incomplete', LISTING_UNFINISHED);
            openListing = batch.snapshot.final ? undefined : batch.snapshot.id;
          }
        },
        finished: (_batch, r: BatchResult) => {
          metrics.batchDuration.labels(this.name).observe((Date.now() - t0) / 1000);
          reportCache();
          this.account(run, r);
          if (r.rejectedFile) rejectedFiles.push(r.rejectedFile);
          if (r.closeWithheld) this.noteListing(run, r.closeWithheld.reason, r.closeWithheld.message);
          this.emit('batch', { run: { ...run }, totals: { ...this.totals } });
        },
      });
      if (openListing !== undefined && !signal.aborted) this.noteListing(run, 'incomplete', LISTING_UNFINISHED);
      this.status = signal.aborted ? 'stopped' : 'idle';
      this.lastError = undefined;
      this.lastSuccessAt = this.deps.clock.now();
      metrics.lastSuccess.labels(this.name).set(this.lastSuccessAt.getTime() / 1000);
      metrics.connectorUp.labels(this.name).set(1);
      return { connector: this.name, status: signal.aborted ? 'aborted' : 'ok', durationMs: Date.now() - started, ...run, ...files() };
    } catch (err) {
      const retriable = isRetriable(err);
      const message = describeError(err);
      this.lastError = message;
      this.lastFailure = err;
      metrics.runFailures.labels(this.name, String(retriable)).inc();
      // The missing cases of a listing that failed part-way may be on the pages never read.
      if (openListing !== undefined) this.noteListing(run, 'incomplete', `the listing failed part-way (${message}); cases missing from it were NOT closed`);
      metrics.connectorUp.labels(this.name).set(0);
      if (err instanceof FencedError) {
        // Another instance holds the lease now: this one stops the connector without committing;
        // the batch is read again by the new holder from the last committed position.
        metrics.fencingRejections.labels(this.name).inc();
        this.log.warn({ err: errorForLog(err) }, `${this.name}: commit refused, the lease is no longer ours (${message}); stopping here, the holder of the lease carries on`);
        this.deps.lease?.fenced();
        this.status = 'stopped';
        this.lastError = undefined;
        return { connector: this.name, status: 'aborted', durationMs: Date.now() - started, ...run, ...files() };
      }
      if (signal.aborted && isAbort(err)) {
        this.status = 'stopped';
        return { connector: this.name, status: 'aborted', durationMs: Date.now() - started, ...run, ...files() };
      }
      if (retriable) {
        this.status = 'backing_off';
      } else {
        this.status = 'failed';
        this.log.error({ err: errorForLog(err) }, `${this.name}: stopped: ${message}`);
      }
      return { connector: this.name, status: 'failed', durationMs: Date.now() - started, error: message, ...run, ...files() };
    }
  }

  /** Log, count and keep for the run summary: a listing that was not allowed to close cases. */
  private noteListing(run: RunTotals, reason: string, message: string): void {
    this.log.warn({ reason }, `${this.name}: ${message}`);
    this.deps.metrics.closesWithheld.labels(this.name, reason).inc();
    for (const t of [run, this.totals]) (t.listingNotes ??= []).push(message);
  }

  private account(run: RunTotals, r: BatchResult): void {
    const { metrics } = this.deps;
    for (const t of [run, this.totals]) {
      t.read += r.read;
      t.published += r.published;
      t.deadLettered += r.deadLettered;
      t.skipped += r.skipped;
      for (const [reason, n] of Object.entries(r.skippedBy)) t.skippedBy[reason] = (t.skippedBy[reason] ?? 0) + n;
      for (const [key, n] of Object.entries(r.clockChanges ?? {})) (t.clockChanges ??= {})[key] = (t.clockChanges[key] ?? 0) + n;
      for (const w of r.warnings ?? []) (t.warnings ??= {})[w.code] = { count: (t.warnings[w.code]?.count ?? 0) + 1, message: w.message };
      t.batches++;
    }
    metrics.recordsRead.labels(this.name).inc(r.read);
    for (const [type, n] of Object.entries(r.publishedByType)) metrics.eventsPublished.labels(this.name, type).inc(n);
    for (const [stage, n] of Object.entries(r.deadLetteredBy ?? {})) metrics.deadLetters.labels(this.name, stage).inc(n);
    for (const [reason, n] of Object.entries(r.skippedBy)) metrics.recordsSkipped.labels(this.name, reason).inc(n);
    for (const w of r.warnings ?? []) {
      metrics.sourceWarnings.labels(this.name, w.code).inc();
      this.log.warn({ code: w.code }, `${this.name}: ${w.message}`);
    }
    for (const [key, n] of Object.entries(r.clockChanges ?? {})) {
      const [kind, resolution] = key.split(':') as [string, string];
      metrics.clockChanges.labels(this.name, kind, resolution).inc(n);
    }
    if (r.newestChangeAt !== undefined) {
      this.lagSeconds = Math.max(0, (this.deps.clock.now().getTime() - r.newestChangeAt) / 1000);
      metrics.lagSeconds.labels(this.name).set(this.lagSeconds);
    }
  }

  /** Start the schedule (interval, cron) or the continuous read loop; stops when the signal aborts. */
  startSchedule(signal: AbortSignal): void {
    if (this.status === 'failed') return;
    const source = this.prepare();
    if (source.continuous) {
      void (async () => {
        while (!signal.aborted) {
          await this.runWithRetry(signal);
          if ((this.status as ConnectorStatus) === 'failed') return;
          if (!signal.aborted) await sleep(1000, signal);
        }
      })();
      return;
    }
    const schedule = this.config.schedule ?? { every: '60s' };
    if ('cron' in schedule) {
      this.cronTask = cron.schedule(
        schedule.cron,
        () => {
          if (this.active || this.status === 'backing_off') {
            this.log.debug('previous run still going; skipping this tick');
            return;
          }
          void this.runWithRetry(signal);
        },
        schedule.timezone ? { timezone: schedule.timezone } : {},
      );
      void this.runWithRetry(signal);
    } else {
      const every = durationMs(schedule.every);
      const loop = async () => {
        if (signal.aborted || this.status === 'failed') return;
        await this.runWithRetry(signal);
        if (!signal.aborted && (this.status as ConnectorStatus) !== 'failed') this.timer = setTimeout(() => void loop(), every);
      };
      void loop();
    }
    signal.addEventListener('abort', () => {
      void this.cronTask?.stop();
      if (this.timer) clearTimeout(this.timer);
    });
  }

  /** Wait for an in-flight run to finish (it stops at the next batch boundary once aborted). */
  async drain(): Promise<void> {
    await this.active?.catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.source?.close();
  }
}

function addTotals(into: RunTotals, from: RunTotals): void {
  into.read += from.read;
  into.published += from.published;
  into.deadLettered += from.deadLettered;
  into.skipped += from.skipped;
  into.batches += from.batches;
  for (const [reason, n] of Object.entries(from.skippedBy)) into.skippedBy[reason] = (into.skippedBy[reason] ?? 0) + n;
}

function isAbort(err: unknown): boolean {
  return (err as Error)?.name === 'AbortError' || (err instanceof CasebridgeError && err.code === 'aborted');
}

function errorForLog(err: unknown): Record<string, unknown> {
  if (err instanceof CasebridgeError) return { type: err.name, code: err.code, message: err.message, context: err.context };
  return { type: (err as Error)?.name, message: (err as Error)?.message };
}
