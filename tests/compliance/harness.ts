/**
 * The compliance suite's runtime around one connector: the real gateway (real config loader,
 * mapping compiler, pipeline and SQLite state) with a publisher that records what it was given and
 * can "crash" after an event is durable, and a journal of publish / commit / ack in the order they
 * happened. This is the only file of the suite that knows the shape of the source contract (read,
 * batches, ack, the state store's commit), so a contract change is one edit here, not one per kind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfigText, type LoadedConfig } from '../../src/config/load.js';
import type { ConnectorConfig } from '../../src/config/schema.js';
import { loadSourceFactories, sourceLoaders } from '../../src/connectors/registry.js';
import { systemClock } from '../../src/core/clock.js';
import { PublishError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Publisher } from '../../src/core/publisher.js';
import type { BatchOutcome, Checkpoint, Source, SourceBatch, SourceFactory } from '../../src/core/source.js';
import { readOnly, type StateStore } from '../../src/core/state-store.js';
import type { CaseEvent } from '../../src/event/case-event.js';
import type { OutgoingCaseEvent } from '../../src/normalize/build-event.js';
import type { RunSummary } from '../../src/runtime/connector-runner.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { COUNCIL, type ConnectorUnderTest, type LiveSupplier, type SourceKind } from './kinds/types.js';

// Every kind, as the registry loads them on first use.
const sourceFactories = await loadSourceFactories(Object.keys(sourceLoaders));

export interface Workspace {
  dir: string;
  statePath: string;
  remove(): void;
}

export function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'cb-compliance-'));
  return { dir, statePath: join(dir, 'state.sqlite'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function load(under: ConnectorUnderTest, ws: Workspace): LoadedConfig {
  const text = stringify({ version: 1, councils: [COUNCIL], state: { path: ws.statePath }, shutdownGrace: '5s', connectors: [under.connector] });
  return parseConfigText(text, join(ws.dir, 'casebridge.yaml'), ws.dir, under.env ?? {});
}

/** The connector's config as the gateway sees it (defaults applied). */
export function connectorConfig(under: ConnectorUnderTest, ws: Workspace): ConnectorConfig {
  return load(under, ws).config.connectors[0]!;
}

/** A source straight from the registry, made as the runtime makes it, for the properties of the source alone. */
export interface LoneSource {
  source: Source;
  /** Release the state store the source was given (the test closes the source itself). */
  dispose(): Promise<void>;
}

export function createSource(under: ConnectorUnderTest, ws: Workspace): LoneSource {
  const config = connectorConfig(under, ws);
  const factory = sourceFactories[config.type] as SourceFactory<ConnectorConfig>;
  const store = openSqliteStateStore(ws.statePath);
  try {
    const source = factory(config, { connector: config.name, clock: systemClock, logger: silentLogger(), state: readOnly(store.forConnector(config.name)), baseDir: ws.dir });
    return { source, dispose: () => store.close() };
  } catch (err) {
    void store.close();
    throw err;
  }
}

/** A read of a lone source from the start (no checkpoint), pulled batch by batch. */
export function startRead(source: Source, signal: AbortSignal): AsyncIterator<SourceBatch> {
  return source.read({ checkpoint: undefined, signal })[Symbol.asyncIterator]();
}

/** Acknowledge a batch as the runtime does once it is published and committed. */
export function acknowledge(batch: SourceBatch): Promise<void> {
  return batch.ack({ status: 'committed', published: batch.records.length, deadLettered: 0, skipped: 0 });
}

/** The checkpoint committed so far (a fresh store on the same file, as a restarted process sees it). */
export async function committedCheckpoint(ws: Workspace, connector: string): Promise<Checkpoint | undefined> {
  const store = openSqliteStateStore(ws.statePath);
  try {
    return await store.forConnector(connector).checkpoint();
  } finally {
    await store.close();
  }
}

export interface RecordingPublisher extends Publisher<CaseEvent> {
  /** Every event that became durable, in order, duplicates included. */
  events: OutgoingCaseEvent[];
  deadLetters: number;
}

/**
 * Keeps what it is given. With `crashOnPublish: n`, the n-th publish keeps its events (they are
 * durable) and then throws, as if the process died before the runtime could commit.
 */
export function recordingPublisher(journal: string[], opts: { crashOnPublish?: number } = {}): RecordingPublisher {
  let calls = 0;
  const p: RecordingPublisher = {
    events: [],
    deadLetters: 0,
    start: async () => undefined,
    async publish(events) {
      calls++;
      p.events.push(...(events as OutgoingCaseEvent[]));
      journal.push(`publish:${events.length}`);
      if (calls === opts.crashOnPublish) throw new PublishError('crashed after the events were durable, before the commit (compliance test)', { retriable: true, code: 'test_crash' });
    },
    async deadLetter(letters) {
      p.deadLetters += letters.length;
      journal.push(`deadLetter:${letters.length}`);
    },
    health: () => ({ ok: true }),
    close: async () => undefined,
  };
  return p;
}

/** Every commit of the state store goes into the journal (whatever else the store offers passes through). */
function journaledStore(inner: StateStore, journal: string[]): StateStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'forConnector') return Reflect.get(target, prop, receiver);
      return (name: string) =>
        new Proxy(target.forConnector(name), {
          get(state, key, r) {
            const v = Reflect.get(state, key, r) as unknown;
            if (key !== 'commit' || typeof v !== 'function') return typeof v === 'function' ? v.bind(state) : v;
            return (update: { checkpoint?: Checkpoint }) => {
              journal.push(`commit:${update.checkpoint === undefined ? '-' : JSON.stringify(update.checkpoint)}`);
              return (v as (u: unknown) => unknown).call(state, update);
            };
          },
        });
    },
  });
}

export interface SourceHooks {
  /** Called as the source yields its n-th batch (1-based), before the runtime sees it. */
  onBatch?(n: number): void;
}

/** The source's batches and acks go into the journal. */
function journaledSource(inner: Source, journal: string[], hooks: SourceHooks): Source {
  let n = 0;
  return {
    ...(inner.check ? { check: () => inner.check!() } : {}),
    ...(inner.continuous !== undefined ? { continuous: inner.continuous } : {}),
    // The runtime pulls ahead only for kinds that allow it: the suite must see what they do.
    ...(inner.readAhead !== undefined ? { readAhead: inner.readAhead } : {}),
    close: () => inner.close(),
    async *read(ctx) {
      for await (const batch of inner.read(ctx)) {
        n++;
        journal.push(`batch:${batch.records.length}`);
        hooks.onBatch?.(n);
        const ack = batch.ack.bind(batch);
        yield {
          ...batch,
          ack: (outcome: BatchOutcome) => {
            journal.push(`ack:${outcome.status}`);
            return ack(outcome);
          },
        };
      }
    },
  };
}

export interface GatewayUnderTest {
  gw: Gateway;
  name: string;
  publisher: RecordingPublisher;
  journal: string[];
}

export async function openGateway(under: ConnectorUnderTest, ws: Workspace, opts: { crashOnPublish?: number; hooks?: SourceHooks; journal?: string[] } = {}): Promise<GatewayUnderTest> {
  const loaded = load(under, ws);
  const journal = opts.journal ?? [];
  const publisher = recordingPublisher(journal, opts);
  const wrapped: Record<string, SourceFactory<ConnectorConfig>> = {};
  for (const [type, factory] of Object.entries(sourceFactories)) wrapped[type] = (config, deps) => journaledSource(factory(config, deps), journal, opts.hooks ?? {});
  const gw = await createGateway({
    loaded,
    publisher,
    stateStore: journaledStore(openSqliteStateStore(ws.statePath), journal),
    logger: silentLogger(),
    http: false,
    sourceFactories: wrapped,
  });
  return { gw, name: loaded.config.connectors[0]!.name, publisher, journal };
}

export { until } from '../helpers/until.js';

/** What the properties read of a run. */
export interface RunOutcome {
  status: RunSummary['status'];
  read: number;
}

/**
 * One run as the kind runs: a poll source until caught up; a push source as the gateway runs it
 * (listening, a failed run retried after backoff) until the supplier's pending records were all
 * acknowledged, then stopped.
 */
export async function runOnce(kind: SourceKind, supplier: LiveSupplier, g: GatewayUnderTest): Promise<RunOutcome> {
  if (!kind.continuous) {
    const summary = await g.gw.runOnce(g.name);
    await g.gw.stop();
    return summary;
  }
  await g.gw.start();
  await supplier.deliver!();
  const runner = g.gw.runners.get(g.name)!;
  const outcome: RunOutcome = { status: runner.status === 'failed' ? 'failed' : 'ok', read: runner.totals.read };
  await g.gw.stop();
  return outcome;
}

/** Event ids by case reference (the event subject carries it). */
export function idsByCase(events: OutgoingCaseEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    const ref = e.event.data.case.reference;
    out.set(ref, [...(out.get(ref) ?? []), e.event.id]);
  }
  return out;
}
