/**
 * `casebridge track`: the projection store, the ingest (Kafka consumer group or local log tail)
 * and the HTTP API, put together from a loaded tracker config. Factories take what they need.
 */
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { durationMs } from '../core/units.js';
import type { LoadedYaml } from '../config/load.js';
import type { Logger } from '../core/logger.js';
import type { TrackConfig, TrackStoreConfig } from './config.js';
import { buildTrackServer, type TrackServerDeps } from './http/server.js';
import { createApplier } from './ingest/applier.js';
import { createCaseStatePublisher, type CaseStatePublisher } from './ingest/kafka/case-state.js';
import { createKafkaIngest, type KafkaIngest } from './ingest/kafka/consumer.js';
import { createLocalLogIngest, type LocalLogIngest } from './ingest/local-log.js';
import { createTrackMetrics, type TrackMetrics } from './metrics.js';
import { createPrivacy } from './privacy.js';
import { createResidentLookup } from './resident.js';
import type { ResidentLookup } from './resident-lookup.js';
import { openPostgresProjection } from './store/postgres.js';
import { openSqliteProjection } from './store/sqlite.js';
import type { ProjectionStore } from './store/store.js';

export function openProjectionStore(cfg: TrackStoreConfig, baseDir: string): ProjectionStore {
  return cfg.kind === 'sqlite' ? openSqliteProjection(resolve(baseDir, cfg.path)) : openPostgresProjection({ url: cfg.url, schema: cfg.schema, poolSize: cfg.poolSize });
}

export interface Tracker {
  store: ProjectionStore;
  lookup: ResidentLookup;
  metrics: TrackMetrics;
  app: FastifyInstance;
  /** Local log only: apply everything complete now (used by --once and tests). */
  catchUp(): Promise<number>;
  /** Start ingesting and serving; resolves with the URL served. */
  start(opts?: { http?: boolean }): Promise<string | undefined>;
  stop(): Promise<void>;
}

export async function createTracker(opts: {
  loaded: LoadedYaml<TrackConfig>;
  logger: Logger;
  rebuild?: boolean;
  plugins?: TrackServerDeps['plugins'];
  now?: () => Date;
  port?: number;
}): Promise<Tracker> {
  const { config, baseDir } = opts.loaded;
  const store = openProjectionStore(config.store, baseDir);
  await store.migrate();
  if (opts.rebuild) await store.reset();
  const metrics = createTrackMetrics({ defaultMetrics: true });
  const privacy = createPrivacy(config);
  const lookup = createResidentLookup({ store, privacy, councils: config.councils });
  const applier = createApplier({ store, metrics, logger: opts.logger });

  let logIngest: LocalLogIngest | undefined;
  let kafkaIngest: KafkaIngest | undefined;
  let caseState: CaseStatePublisher | undefined;
  const src = config.source;
  if (src.type === 'local-log') {
    logIngest = createLocalLogIngest({ dir: resolve(baseDir, src.dir), batchSize: src.batchSize, pollMs: durationMs(src.poll), store, applier, metrics, logger: opts.logger });
  } else {
    if (src.caseStateTopic) {
      caseState = createCaseStatePublisher({ brokers: src.brokers, clientId: src.clientId, topic: src.caseStateTopic, replicationFactor: src.replicationFactor, store, privacy });
    }
    const publisher = caseState;
    kafkaIngest = createKafkaIngest({
      config: src,
      applier,
      metrics,
      logger: opts.logger,
      ...(opts.rebuild ? { fromBeginning: true } : {}),
      ...(publisher ? { afterBatch: (keys: string[]) => publisher.publish(keys) } : {}),
    });
  }

  const app = await buildTrackServer({
    store,
    lookup,
    privacy,
    config,
    metrics,
    ready: () => (kafkaIngest ? kafkaIngest.connected() : true),
    ...(opts.plugins ? { plugins: opts.plugins } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const abort = new AbortController();
  let tailing: Promise<void> | undefined;

  return {
    store,
    lookup,
    metrics,
    app,
    catchUp: () => (logIngest ? logIngest.catchUp() : Promise.resolve(0)),
    async start({ http = true } = {}) {
      if (logIngest) tailing = logIngest.run(abort.signal);
      await caseState?.start();
      if (kafkaIngest) await kafkaIngest.start();
      if (!http) return undefined;
      return app.listen({ host: config.http.host, port: opts.port ?? config.http.port });
    },
    async stop() {
      abort.abort();
      await tailing;
      await kafkaIngest?.stop();
      await caseState?.stop();
      await app.close();
      await store.close();
    },
  };
}
