/**
 * The main thread's side of a connector's prepare thread (worker.ts). A batch costs two short
 * exchanges: its records go over and the case references come back; the case memory for them goes
 * over (read here, through the case cache and the pending writes of the batch before) and the
 * events and writes come back as text. The pipeline cannot tell the result from prepareBatch's own.
 *
 * The thread is started on the first batch and kept for the connector's life. If it dies, the
 * batches it held fail as retriable (nothing was published for them) and the next one starts a
 * new thread. Records that cannot be cloned to a thread (never seen from the built-in sources) are
 * prepared on the main thread instead.
 */
import { Worker } from 'node:worker_threads';
import { CasebridgeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ConnectorState } from '../../core/state-store.js';
import type { SourceBatch } from '../../core/source.js';
import { deserializeError } from '../../core/thread-errors.js';
import { CASE_NAMESPACE } from '../../normalize/case-changes.js';
import type { PrepareThread, PreparedBatch } from '../pipeline.js';
import type { Decision, PrepareReply, PrepareRequest, PrepareWorkerInit } from './protocol.js';
import { fromWire, fromWireWrite } from './wire.js';

type Answer = { refs: string[] } | { decision: Decision };

export interface PrepareThreadHandle extends PrepareThread {
  /** The worker's thread id while one runs (tests check that close() ends it). */
  readonly threadId: number | undefined;
  close(): Promise<void>;
}

export function createPrepareThread(init: PrepareWorkerInit, logger: Logger): PrepareThreadHandle {
  let worker: Worker | undefined;
  let closed = false;
  let nextId = 1;
  const pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();

  const settle = (id: number, answer: Answer | Error) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (pending.size === 0) worker?.unref();
    if (answer instanceof Error) p.reject(answer);
    else p.resolve(answer);
  };

  const spawn = (): Worker => {
    if (worker) return worker;
    const w = startWorker(init);
    w.unref();
    w.on('message', (m: PrepareReply) => settle(m.id, 'error' in m ? deserializeError(m.error) : m));
    const lost = (why: string, cause?: unknown) => {
      if (worker !== w) return;
      worker = undefined;
      if (!closed) logger.warn(`${init.context.connector}: the prepare thread stopped (${why}); its batches are read again`);
      const err = new CasebridgeError(`the prepare thread stopped: ${why}`, { code: 'prepare_thread', retriable: true, ...(cause ? { cause } : {}), context: { connector: init.context.connector } });
      for (const id of [...pending.keys()]) settle(id, err);
    };
    w.on('error', (err) => lost(err.message, err));
    w.on('exit', (code) => lost(`exit code ${code}`));
    worker = w;
    return w;
  };

  /** Undefined when the request could not be handed over (a record that cannot be cloned). */
  const call = (req: PrepareRequest): Promise<Answer> | undefined => {
    if (closed) throw new CasebridgeError('the prepare thread is closed', { code: 'aborted', context: { connector: init.context.connector } });
    const w = spawn();
    try {
      w.postMessage(req);
    } catch (err) {
      if ((err as Error).name === 'DataCloneError') return undefined;
      throw err;
    }
    if (pending.size === 0) w.ref();
    return new Promise<Answer>((resolve, reject) => pending.set(req.id, { resolve, reject }));
  };

  return {
    get threadId() {
      return worker?.threadId;
    },

    async prepare(batch: SourceBatch, start): Promise<PreparedBatch | undefined> {
      const id = nextId++;
      const mapping = call({ id, op: 'map', records: batch.records });
      if (!mapping) return undefined;
      const { refs } = (await mapping) as { refs: string[] };
      let texts: Map<string, string>;
      try {
        texts = refs.length ? await readTexts(start.state, refs) : new Map();
      } catch (err) {
        if (worker) worker.postMessage({ id, op: 'drop' } satisfies PrepareRequest);
        throw err;
      }
      const { decision } = (await call({ id, op: 'decide', texts: [...texts], now: start.now })!) as { decision: Decision };
      const { result, deadLetters } = start;
      Object.assign(result, decision.counts);
      deadLetters.push(...decision.deadLetters);
      result.deadLettered = deadLetters.length;
      const events = decision.events.map(fromWire);
      const writes = [...(batch.stateWrites ?? []), ...decision.writes.map(fromWireWrite)];
      return { events, deadLetters, writes, result };
    },

    async close() {
      closed = true;
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
      const gone = new CasebridgeError('the prepare thread was closed', { code: 'aborted', context: { connector: init.context.connector } });
      for (const id of [...pending.keys()]) settle(id, gone);
    },
  };
}

async function readTexts(state: ConnectorState, refs: string[]): Promise<Map<string, string>> {
  if (state.getManyText) return state.getManyText(CASE_NAMESPACE, refs);
  const values = await state.getMany(CASE_NAMESPACE, refs);
  return new Map([...values].map(([k, v]) => [k, JSON.stringify(v)]));
}

/** As the Kafka publisher's thread: the compiled worker.js under dist/, or worker.ts through tsx from source. */
function startWorker(init: PrepareWorkerInit): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./worker.js', self), { workerData: init });
  const entry = new URL('./worker.ts', self).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: init });
}
