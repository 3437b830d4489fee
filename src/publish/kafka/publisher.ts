/**
 * Publisher to Apache Kafka with kafkajs: acks=all, idempotent producer, CloudEvents Kafka binding.
 *
 * Failure model: every publish is bounded by publishTimeout; any failure becomes a PublishError
 * (retriable when the broker is unreachable or kafkajs ran out of retries on a retriable error) and
 * throws away the producer, so the next publish starts on a fresh producer id. That trades the
 * broker's per-producer dedupe for never getting stuck on sequence-number errors after an
 * abandoned batch; duplicates it can cause carry identical CloudEvents ids, which is the contract.
 */
// First: kafkajs must find its replaced modules when it loads (see the module).
import './kafkajs-preload.js';
import { Kafka, CompressionTypes, type Producer, type SASLOptions, type KafkaConfig, type Message } from 'kafkajs';
import { durationMs } from '../../core/units.js';
import type { DeadLetter } from '../../core/dead-letter.js';
import type { Clock } from '../../core/clock.js';
import { ConfigError, PublishError, describeError, type ErrorContext } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { OutgoingEvent, Publisher, PublisherHealth } from '../../core/publisher.js';
import { fillTopic, topicTemplateProblem, type KafkaPublisherConfig } from './config.js';
import { encodeDeadLetter, encodeEvent, recordSize, type KafkaRecord } from './encode.js';
import { causeChain, isAuthError, isConnectionError, isRetriableKafkaError, kafkaErrorMessage, toPublishError } from './errors.js';
import { kafkaLogCreator, kafkaLogLevelFor } from './log.js';
import { TopicsNotVisibleError, waitForTopics } from '../../core/topic-wait.js';
import { noteKafkaPublisher, forgetKafkaPublisher } from './rejection-guard.js';
import { javaCompatiblePartitioner } from './partitioner.js';

export interface KafkaCouncil {
  gss: string;
  name?: string;
  /** Overrides the topic template for this council's events; may use the same placeholders. */
  topic?: string;
}

export interface KafkaPublisherDeps {
  logger: Logger;
  councils: readonly KafkaCouncil[];
  clock: Clock;
  /** Connectors that will publish, so start() can check topics whose template uses {connector}. */
  connectors?: readonly { name: string; council: string }[];
}

/**
 * kafkajs' own retries inside one publish: enough to ride out a leader election, short enough
 * that an unreachable broker surfaces within seconds; the runtime's backoff takes over after that.
 */
const CLIENT_RETRY = { initialRetryTime: 200, maxRetryTime: 2_000, retries: 3, factor: 0.2, multiplier: 2 };
/** Copies of each partition when the config does not say and the cluster has enough brokers. */
const DEFAULT_REPLICATION_FACTOR = 3;

interface Outgoing {
  topic: string;
  record: KafkaRecord;
}

export class KafkaPublisher implements Publisher {
  private readonly kafka: Kafka;
  private readonly log: Logger;
  private readonly knownTopics = new Set<string>();
  private readonly publishTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private current: { producer: Producer; ready: Promise<void> } | undefined;
  private state: 'new' | 'started' | 'closed' = 'new';
  private failure: { at: Date; detail: string } | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly config: KafkaPublisherConfig,
    private readonly deps: KafkaPublisherDeps,
  ) {
    this.log = deps.logger.child({ component: 'kafka-publisher' });
    this.publishTimeoutMs = durationMs(config.publishTimeout);
    this.requestTimeoutMs = durationMs(config.requestTimeout);
    deps.councils.forEach((c, i) => {
      const problem = c.topic === undefined ? undefined : topicTemplateProblem(c.topic);
      if (problem) throw new ConfigError(`councils[${i}].topic "${c.topic}": ${problem}`, { context: { field: `councils[${i}].topic` } });
    });
    this.kafka = new Kafka(this.clientConfig());
  }

  private clientConfig(): KafkaConfig {
    const c = this.config;
    const ssl = c.tls
      ? {
          rejectUnauthorized: c.tls.rejectUnauthorized,
          ...(c.tls.ca ? { ca: [c.tls.ca] } : {}),
          ...(c.tls.cert ? { cert: c.tls.cert } : {}),
          ...(c.tls.key ? { key: c.tls.key } : {}),
          ...(c.tls.passphrase ? { passphrase: c.tls.passphrase } : {}),
          ...(c.tls.servername ? { servername: c.tls.servername } : {}),
        }
      : undefined;
    const sasl: SASLOptions | undefined = c.sasl ? ({ mechanism: c.sasl.mechanism, username: c.sasl.username, password: c.sasl.password } as SASLOptions) : undefined;
    return {
      clientId: c.clientId,
      brokers: c.brokers,
      ...(ssl ? { ssl } : {}),
      ...(sasl ? { sasl } : {}),
      connectionTimeout: durationMs(c.connectionTimeout),
      requestTimeout: this.requestTimeoutMs,
      enforceRequestTimeout: true,
      // Every field given: kafkajs picks other defaults under NODE_ENV=test.
      retry: CLIENT_RETRY,
      logLevel: kafkaLogLevelFor(this.deps.logger),
      logCreator: kafkaLogCreator(this.deps.logger),
    };
  }

  private context(extra: ErrorContext = {}): ErrorContext {
    return { brokers: this.config.brokers.join(','), ...extra };
  }

  // ---- topics ---------------------------------------------------------------------------

  topicForEvent(gss: string, connector: string): string {
    const override = this.deps.councils.find((c) => c.gss === gss)?.topic;
    return fillTopic(override ?? this.config.topic, { council: gss, connector });
  }

  topicForDeadLetter(gss: string, connector: string): string {
    return fillTopic(this.config.deadLetterTopic, { council: gss, connector });
  }

  /** The topics we can name before any event exists (templates using {connector} need deps.connectors). */
  private startupTopics(): string[] {
    const topics = new Set<string>();
    const usesConnector = (t: string) => t.includes('{connector}');
    for (const council of this.deps.councils) {
      const connectors = (this.deps.connectors ?? []).filter((c) => c.council === council.gss).map((c) => c.name);
      const eventTemplate = council.topic ?? this.config.topic;
      for (const [template, fill] of [
        [eventTemplate, (n: string) => this.topicForEvent(council.gss, n)],
        [this.config.deadLetterTopic, (n: string) => this.topicForDeadLetter(council.gss, n)],
      ] as const) {
        if (!usesConnector(template)) topics.add(fill(''));
        else for (const n of connectors) topics.add(fill(n));
      }
    }
    return [...topics].sort();
  }

  private async ensureTopics(topics: string[]): Promise<void> {
    const unknown = topics.filter((t) => !this.knownTopics.has(t));
    if (unknown.length === 0) return;
    const admin = this.kafka.admin({ retry: CLIENT_RETRY });
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = unknown.filter((t) => !existing.has(t));
      if (missing.length && !this.config.createTopics) {
        throw new ConfigError(
          `Kafka topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist on ${this.config.brokers.join(',')}; ` +
            'create them (see docs/kafka.md) or set publisher.createTopics: true',
          { code: 'kafka_topic_missing', context: this.context({ topic: missing.join(',') }) },
        );
      }
      if (missing.length) {
        const rf = await this.chooseReplicationFactor(admin);
        await this.createTopics(admin, missing, rf.value);
        await waitForTopics(admin, missing, { timeoutMs: this.requestTimeoutMs });
        const fields = { topics: missing, partitions: this.config.partitions, replicationFactor: rf.value };
        const msg = `created Kafka topics ${missing.join(', ')} with ${this.config.partitions} partition(s) and replication factor ${rf.value} (${rf.why})`;
        // Fewer than 3 copies means a broker failure can lose events: worth a look on a real cluster.
        if (rf.value < DEFAULT_REPLICATION_FACTOR) this.log.warn(fields, msg);
        else this.log.info(fields, msg);
      }
      for (const t of unknown) this.knownTopics.add(t);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      if (e instanceof TopicsNotVisibleError) throw new PublishError(e.message, { code: 'kafka_topics_not_visible', retriable: true, cause: e, context: this.context({ operation: 'topics' }) });
      const what = isConnectionError(e) && !isAuthError(e) ? `cannot reach Kafka at ${this.config.brokers.join(',')} to check topics ${unknown.join(', ')}` : `cannot check Kafka topics ${unknown.join(', ')}`;
      throw toPublishError(e, what, this.context({ operation: 'topics' }));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** The configured replication factor, else min(3, brokers): what a one-broker dev cluster can satisfy. */
  private async chooseReplicationFactor(admin: ReturnType<Kafka['admin']>): Promise<{ value: number; why: string }> {
    if (this.config.replicationFactor !== undefined) return { value: this.config.replicationFactor, why: 'publisher.replicationFactor' };
    const brokers = (await admin.describeCluster()).brokers.length;
    const value = Math.max(1, Math.min(DEFAULT_REPLICATION_FACTOR, brokers));
    return { value, why: `publisher.replicationFactor not set: min(${DEFAULT_REPLICATION_FACTOR}, ${brokers} broker${brokers === 1 ? '' : 's'} in the cluster)` };
  }

  private async createTopics(admin: ReturnType<Kafka['admin']>, topics: string[], replicationFactor: number): Promise<void> {
    try {
      await admin.createTopics({
        // Leaders are awaited by waitForTopics, which also waits out UNKNOWN_TOPIC_OR_PARTITION.
        waitForLeaders: false,
        timeout: this.requestTimeoutMs,
        topics: topics.map((topic) => ({
          topic,
          numPartitions: this.config.partitions,
          replicationFactor,
          configEntries: Object.entries(this.config.topicConfig ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (e) {
      // kafkajs reports per-topic failures as an aggregate; a broker that refuses the request
      // (replication factor too high, bad topic config) needs a person, not a retry.
      const errors = ((e as { errors?: unknown[] }).errors ?? [e]) as unknown[];
      const onlyTopicExists = errors.every((x) => causeChain(x).some((c) => c.type === 'TOPIC_ALREADY_EXISTS'));
      if (onlyTopicExists) return;
      if (errors.some((x) => isConnectionError(x) || isRetriableKafkaError(x))) throw e;
      const reasons = [...new Set(errors.map((x) => kafkaErrorMessage(x)))];
      let hint = '';
      if (errors.some((x) => causeChain(x).some((c) => c.type === 'INVALID_REPLICATION_FACTOR'))) {
        const count = await admin
          .describeCluster()
          .then((d) => d.brokers.length)
          .catch(() => undefined);
        hint = count === undefined ? '; lower publisher.replicationFactor' : `; the cluster has ${count} broker${count === 1 ? '' : 's'}: set publisher.replicationFactor to at most ${count}`;
      }
      throw new ConfigError(
        `cannot create Kafka topics ${topics.join(', ')} (partitions ${this.config.partitions}, replicationFactor ${replicationFactor}): ${reasons.join('; ')}${hint}`,
        { code: 'kafka_create_topics', cause: e, context: this.context({ topic: topics.join(','), field: 'publisher.replicationFactor' }) },
      );
    }
  }

  // ---- producer -------------------------------------------------------------------------

  private async producer(): Promise<Producer> {
    if (!this.current) {
      const producer = this.kafka.producer({
        idempotent: true,
        // kafkajs serialises produce requests per broker for an idempotent producer; 1 keeps
        // ordering trivially safe on every broker version.
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: javaCompatiblePartitioner,
        retry: CLIENT_RETRY,
      });
      const ready = producer.connect();
      ready.catch(() => undefined);
      this.current = { producer, ready };
    }
    const { producer, ready } = this.current;
    try {
      await ready;
    } catch (e) {
      this.discard(producer);
      throw e;
    }
    return producer;
  }

  /** Drop a producer after a failure; the next publish connects a new one (new producer id). */
  private discard(producer: Producer): void {
    if (this.current?.producer !== producer) return;
    this.current = undefined;
    producer.disconnect().catch(() => undefined);
  }

  // ---- publishing -----------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.state === 'closed') throw new PublishError('Kafka publisher is closed', { context: this.context() });
    if (this.state === 'started') return;
    noteKafkaPublisher(this);
    try {
      await this.bounded('connect to Kafka', async () => {
        await this.ensureTopics(this.startupTopics());
        await this.producer();
      });
    } catch (e) {
      const err = e instanceof ConfigError ? e : toPublishError(e, `cannot reach Kafka at ${this.config.brokers.join(',')}`, this.context({ operation: 'start' }));
      this.markFailed(err);
      throw err;
    }
    this.state = 'started';
    this.failure = undefined;
    this.log.info({ brokers: this.config.brokers, mode: this.config.mode, topics: [...this.knownTopics] }, 'connected to Kafka');
  }

  async publish(events: OutgoingEvent[]): Promise<void> {
    if (events.length === 0) return;
    const items = events.map((out) => ({
      topic: this.topicForEvent(out.council, out.connector),
      record: encodeEvent(out, this.config.mode),
    }));
    await this.send(items, `publish ${events.length} event${events.length > 1 ? 's' : ''}`);
  }

  async deadLetter(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const items = letters.map((l) => ({ topic: this.topicForDeadLetter(l.council, l.connector), record: encodeDeadLetter(l) }));
    await this.send(items, `publish ${letters.length} dead letter${letters.length > 1 ? 's' : ''}`);
  }

  private async send(items: Outgoing[], what: string): Promise<void> {
    if (this.state !== 'started') {
      throw new PublishError(`cannot ${what}: the Kafka publisher is ${this.state === 'new' ? 'not started' : 'closed'}`, { context: this.context() });
    }
    const topics = [...new Set(items.map((i) => i.topic))];
    try {
      await this.bounded(what, async (aborted) => {
        await this.ensureTopics(topics);
        for (const chunk of chunks(items, this.config.maxRequestBytes)) {
          if (aborted()) return;
          const producer = await this.producer();
          try {
            await producer.sendBatch({
              acks: -1,
              timeout: this.requestTimeoutMs,
              compression: this.config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
              topicMessages: byTopic(chunk),
            });
          } catch (e) {
            this.discard(producer);
            throw e;
          }
        }
      });
    } catch (e) {
      const err = e instanceof ConfigError ? e : toPublishError(e, `cannot ${what} to Kafka`, this.context({ operation: 'publish', topic: topics.join(',') }));
      this.markFailed(err);
      throw err;
    }
    if (this.failure) this.log.info({ downForMs: this.deps.clock.now().getTime() - this.failure.at.getTime() }, 'Kafka publishing recovered');
    this.failure = undefined;
  }

  /** Run fn within publishTimeout; on time-out the producer is dropped and fn told to stop. */
  private async bounded(what: string, fn: (aborted: () => boolean) => Promise<void>): Promise<void> {
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const work = fn(() => timedOut);
    // The work may still settle after the time-out; its outcome is no longer anyone's business.
    work.catch(() => undefined);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        if (this.current) this.discard(this.current.producer);
        reject(
          new PublishError(`cannot ${what}: Kafka at ${this.config.brokers.join(',')} did not confirm within ${this.config.publishTimeout}`, {
            code: 'kafka_timeout',
            retriable: true,
            context: this.context({ operation: what }),
          }),
        );
      }, this.publishTimeoutMs);
    });
    try {
      await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private markFailed(err: unknown): void {
    const detail = describeError(err);
    // The caller (the runtime) logs the error itself, once, with its connector; this is the detail.
    if (!this.failure) this.log.debug({ err: detail }, 'Kafka publishing failing');
    this.failure = { at: this.deps.clock.now(), detail };
  }

  /** Called by the rejection guard when kafkajs rejects a promise nobody holds. */
  noteStrayFailure(err: unknown): void {
    if (this.state !== 'started') return;
    this.log.debug({ err: kafkaErrorMessage(err) }, 'kafkajs rejected a promise outside any publish');
  }

  health(): PublisherHealth {
    if (this.state === 'closed') return { ok: false, detail: 'closed' };
    if (this.failure) return { ok: false, detail: `failing since ${this.failure.at.toISOString()}: ${this.failure.detail}` };
    if (this.state === 'new') return { ok: false, detail: 'not started' };
    return { ok: true, detail: `connected to ${this.config.brokers.join(',')}` };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closed';
      forgetKafkaPublisher(this);
      const current = this.current;
      this.current = undefined;
      if (current) await current.producer.disconnect().catch(() => undefined);
    })();
    return this.closing;
  }
}

/** Order-preserving split into requests of at most maxBytes (a record larger than that goes alone). */
export function chunks(items: Outgoing[], maxBytes: number): Outgoing[][] {
  const out: Outgoing[][] = [];
  let cur: Outgoing[] = [];
  let size = 0;
  for (const item of items) {
    const s = recordSize(item.record);
    if (cur.length && size + s > maxBytes) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(item);
    size += s;
  }
  if (cur.length) out.push(cur);
  return out;
}

function byTopic(items: Outgoing[]): { topic: string; messages: Message[] }[] {
  const map = new Map<string, Message[]>();
  for (const { topic, record } of items) {
    let list = map.get(topic);
    if (!list) map.set(topic, (list = []));
    list.push({ key: record.key, value: record.value, headers: record.headers });
  }
  return [...map].map(([topic, messages]) => ({ topic, messages }));
}
