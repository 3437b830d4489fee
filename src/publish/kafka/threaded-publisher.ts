/**
 * The Kafka publisher as the gateway uses it: the same contract and errors as KafkaPublisher
 * (publisher.ts), which runs in a worker thread (thread-worker.ts). kafkajs' encoding is about
 * half the gateway's CPU per row; on its own thread it overlaps with reading and preparing the
 * next batch on the main one. Events cross as structured clones of the event objects: measured
 * cheaper for the main thread than encoding them here and sending the records (2.4 against 3.7
 * µs per event), and than a JSON string in a transferred buffer (3.0).
 */
import { Worker } from 'node:worker_threads';
import { ConfigError, PublishError } from '../../core/errors.js';
import type { DeadLetter } from '../../core/dead-letter.js';
import type { Logger } from '../../core/logger.js';
import type { OutgoingEvent, Publisher, PublisherHealth } from '../../core/publisher.js';
import { topicTemplateProblem, type KafkaPublisherConfig } from './config.js';
import type { KafkaPublisherDeps } from './publisher.js';
import { deserializeError, type Reply, type Request, type WorkerInit } from './thread-protocol.js';

type Op = Request extends infer R ? (R extends { op: infer O } ? O : never) : never;
type Payload = { events: OutgoingEvent[] } | { letters: DeadLetter[] } | Record<string, never>;

export class ThreadedKafkaPublisher implements Publisher {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private state: 'new' | 'started' | 'closed' = 'new';
  private lastHealth: PublisherHealth = { ok: false, detail: 'not started' };
  private closing: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(
    private readonly config: KafkaPublisherConfig,
    private readonly deps: KafkaPublisherDeps,
  ) {
    this.log = deps.logger;
    // Checked here as well as in the worker: a bad template is a ConfigError at construction.
    deps.councils.forEach((c, i) => {
      const problem = c.topic === undefined ? undefined : topicTemplateProblem(c.topic);
      if (problem) throw new ConfigError(`councils[${i}].topic "${c.topic}": ${problem}`, { context: { field: `councils[${i}].topic` } });
    });
  }

  async start(): Promise<void> {
    if (this.state === 'closed') throw new PublishError('Kafka publisher is closed', { context: { brokers: this.config.brokers.join(',') } });
    if (this.state === 'started') return;
    await this.call('start', {});
    this.state = 'started';
  }

  async publish(events: OutgoingEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.send('publish', { events }, `publish ${events.length} event${events.length > 1 ? 's' : ''}`);
  }

  async deadLetter(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.send('deadLetter', { letters }, `publish ${letters.length} dead letter${letters.length > 1 ? 's' : ''}`);
  }

  /** The worker thread's id while one runs (diagnostics; tests check that close() ends it). */
  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  health(): PublisherHealth {
    if (this.state === 'closed') return { ok: false, detail: 'closed' };
    return this.lastHealth;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const wasStarted = this.state !== 'new' || this.worker !== undefined;
      this.state = 'closed';
      const worker = this.worker;
      if (!worker) return;
      if (wasStarted) await this.call('close', {}).catch(() => undefined);
      this.worker = undefined;
      await worker.terminate();
      // A publish still in flight has no thread left to answer it.
      const gone = new PublishError('the Kafka publisher was closed before Kafka confirmed', { code: 'kafka_closed', retriable: true, context: { brokers: this.config.brokers.join(',') } });
      for (const id of [...this.pending.keys()]) this.settle(id, gone);
    })();
    return this.closing;
  }

  /** The in-thread publisher's refusal when not started or closed, without waking a worker. */
  private async send(op: 'publish' | 'deadLetter', payload: Payload, what: string): Promise<void> {
    if (this.state !== 'started') {
      throw new PublishError(`cannot ${what}: the Kafka publisher is ${this.state === 'new' ? 'not started' : 'closed'}`, { context: { brokers: this.config.brokers.join(',') } });
    }
    // A worker that died (out of memory, a bug) is replaced; the new one connects first.
    if (!this.worker) await this.call('start', {});
    await this.call(op, payload);
  }

  private call(op: Op, payload: Payload): Promise<void> {
    const worker = this.spawn();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Referenced only while a request is out: an idle publisher never keeps the process alive,
      // a publish in flight always does (the main thread may have nothing else to wait on).
      if (this.pending.size === 1) worker.ref();
      try {
        worker.postMessage({ id, op, ...payload } as Request);
      } catch (err) {
        this.settle(id, new PublishError(`cannot hand ${op} to the Kafka publisher thread: ${(err as Error).message}`, { code: 'kafka_thread', cause: err }));
      }
    });
  }

  private settle(id: number, error?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    if (error) p.reject(error);
    else p.resolve();
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    const init: WorkerInit = {
      config: this.config,
      councils: this.deps.councils,
      ...(this.deps.connectors ? { connectors: this.deps.connectors } : {}),
      logLevel: this.log.level,
    };
    const worker = startWorker(init);
    worker.unref();
    worker.on('message', (m: Reply) => {
      if (m.type === 'log') return this.relog(m.line);
      this.lastHealth = m.health;
      this.settle(m.id, m.error ? deserializeError(m.error) : undefined);
    });
    const lost = (why: string, cause?: unknown) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const err = new PublishError(`the Kafka publisher thread stopped: ${why}`, { code: 'kafka_thread', retriable: true, ...(cause ? { cause } : {}), context: { brokers: this.config.brokers.join(',') } });
      if (this.state !== 'closed') this.lastHealth = { ok: false, detail: err.message };
      for (const id of [...this.pending.keys()]) this.settle(id, err);
    };
    worker.on('error', (err) => lost(err.message, err));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** Re-log a worker line through the main logger: its bindings, level and secret masking apply. */
  private relog(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { level, msg, ...fields } = entry;
    const log = this.log as unknown as Record<string, (f: object, m?: string) => void>;
    const fn = typeof level === 'string' ? log[level] : undefined;
    if (typeof fn === 'function') fn.call(this.log, fields, typeof msg === 'string' ? msg : undefined);
  }
}

/**
 * The worker is the compiled thread-worker.js next to this module under dist/. Run from source
 * (tsx, vitest) this module is a .ts file: the worker then registers tsx before importing its
 * .ts entry, as a worker inherits no loader from a test runner.
 */
function startWorker(init: WorkerInit): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./thread-worker.js', self), { workerData: init });
  const entry = new URL('./thread-worker.ts', self).href;
  // Resolved here: an eval'd worker resolves bare specifiers from the working directory.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: init });
}
