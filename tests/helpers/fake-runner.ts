/**
 * A ConnectorRunner over a scripted source (fake-source.ts) and the fake mapping: the runtime tests'
 * one way to build it, so each test states only what it varies (store, publisher, type, cache).
 */
import type { ConnectorConfig } from '../../src/config/schema.js';
import { fixedClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Publisher } from '../../src/core/publisher.js';
import type { Source } from '../../src/core/source.js';
import type { StateStore } from '../../src/core/state-store.js';
import { ConnectorRunner, type ConnectorRunnerDeps } from '../../src/runtime/connector-runner.js';
import { createMetrics, type GatewayMetrics } from '../../src/runtime/metrics.js';
import { fakeNormalize } from './fake-source.js';

export const FAKE_COUNCIL = { gss: 'E09000019', name: 'Islington' };

export interface FakeRunnerOptions {
  source: Source;
  publisher: Publisher;
  stateStore: StateStore;
  /** The connector type the config says (the runtime treats some kinds differently); file by default. */
  type?: string;
  metrics?: GatewayMetrics;
  caseCacheBytes?: number;
}

export function fakeRunner(o: FakeRunnerOptions): ConnectorRunner {
  const config = { name: 'fake', type: o.type ?? 'file', council: FAKE_COUNCIL.gss, system: { supplier: 'Fake' }, retry: { initial: '10ms', max: '20ms', multiplier: 2 }, mapping: {} } as unknown as ConnectorConfig;
  const deps: ConnectorRunnerDeps = {
    publisher: o.publisher,
    stateStore: o.stateStore,
    clock: fixedClock('2025-11-03T15:00:00Z'),
    logger: silentLogger(),
    metrics: o.metrics ?? createMetrics(),
    council: FAKE_COUNCIL,
    baseDir: '.',
    compileMapping: () => fakeNormalize,
    sourceFactory: () => o.source,
    index: 0,
    ...(o.caseCacheBytes !== undefined ? { caseCacheBytes: o.caseCacheBytes } : {}),
  };
  return new ConnectorRunner(config, deps);
}
