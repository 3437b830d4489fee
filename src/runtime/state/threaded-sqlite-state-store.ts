/**
 * The SQLite state file's commits on a thread of their own. better-sqlite3 is synchronous: every
 * batch's commit (an upsert of about 1 KB per case, and the fsync) ran on the main thread, and the
 * main thread is the gateway's limit. Writing no case memory at all made a CSV → Kafka run 1.24×
 * as fast (docs/performance.md, issue #16); on this thread the writes run beside the next batch's
 * reading, mapping and publishing instead of between them.
 *
 * Same file, same transactions, same guarantees: a commit resolves after SQLite committed it (and
 * synced it, synchronous = FULL). Writes cross as JSON text, made on this side (the case cache has
 * made it already). The thread keeps the process alive only while a commit is out. If it stops,
 * every commit waiting on it fails with a retriable StateError and the next starts a new thread:
 * the file is consistent whatever a commit was doing.
 */
import type { Worker } from 'node:worker_threads';
import { CasebridgeError, StateError } from '../../core/errors.js';
import { startWorkerBeside } from '../../core/start-worker.js';
import type { ConnectorState, ConnectorStateOptions, StateStore, StateUpdate } from '../../core/state-store.js';
import { fencingRefused, openSqliteStateStore } from '../sqlite-state-store.js';
import type { ThreadError, ThreadReply, ThreadRequest, ThreadWrite } from './sqlite-thread-protocol.js';

type Waiting = { resolve: (v: unknown) => void; reject: (e: unknown) => void };
type RequestBody = ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

function fromThreadError(e: ThreadError): Error {
  if (e.code !== undefined) {
    const err = new StateError(e.message, { code: e.code, retriable: e.retriable ?? false, context: (e.context ?? {}) as CasebridgeError['context'] });
    err.name = e.name;
    return err;
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/** Ends the thread as a crash would (tests: what waits fails retriably, the next request restarts it). */
export const stopThread = Symbol('stop the state thread');

export interface ThreadedStateStore extends StateStore {
  [stopThread](): Promise<void>;
}

export async function openThreadedSqliteStateStore(path: string): Promise<ThreadedStateStore> {
  let worker: Worker | undefined;
  let ready: Promise<Worker> | undefined;
  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  let closed = false;

  const stopped = (why: string) => {
    worker = undefined;
    ready = undefined;
    const err = new StateError(`the SQLite state thread for ${path} stopped (${why}); the commit or read it was doing is undone and will be retried`, { code: 'state_thread', retriable: true, context: { file: path } });
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };

  const start = (): Promise<Worker> =>
    new Promise<Worker>((resolve, reject) => {
      const w = startWorkerBeside(import.meta.url, 'sqlite-state-thread', { path });
      let opened = false;
      w.on('message', (m: ThreadReply) => {
        if (m.type === 'ready') {
          opened = true;
          worker = w;
          w.unref();
          resolve(w);
        } else if (m.type === 'open-failed') reject(fromThreadError(m.error));
        else {
          const pending = waiting.get(m.id);
          if (!pending) return;
          waiting.delete(m.id);
          if (waiting.size === 0) w.unref();
          if ('error' in m) pending.reject(fromThreadError(m.error));
          else pending.resolve(m.value);
        }
      });
      w.on('error', (err) => (opened ? stopped(err.message) : reject(new StateError(`cannot start the SQLite state thread for ${path}: ${err.message}`, { code: 'state_open', cause: err, context: { file: path } }))));
      w.on('exit', (code) => {
        if (!opened) reject(new StateError(`the SQLite state thread for ${path} exited (${code}) before it opened the file`, { code: 'state_open', context: { file: path } }));
        else if (worker === w) stopped(`exit code ${code}`);
      });
    });

  async function request<T>(body: RequestBody): Promise<T> {
    if (closed) throw new StateError(`state store ${path} is closed`, { code: 'state_closed', context: { file: path } });
    const w = worker ?? (await (ready ??= start()));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (waiting.size === 1) w.ref();
      w.postMessage({ ...body, id } as ThreadRequest);
    });
  }

  // Opening happens here, so a missing or damaged file fails the open as it does in process.
  ready = start();
  await ready;

  // Reads stay on this thread, on a connection of their own: a batch's lookups must not wait
  // behind the previous batch's commit (the runtime lays that batch's writes over what it reads).
  // WAL lets one connection read while the thread's writes; each read sees every commit that
  // resolved before it was made.
  const reader = openSqliteStateStore(path);

  function forConnector(connector: string, options?: ConnectorStateOptions): ConnectorState {
    if (options?.fence) throw fencingRefused(connector);
    const read = reader.forConnector(connector);
    return {
      connector,
      checkpoint: () => read.checkpoint(),
      get: (namespace, key) => read.get(namespace, key),
      getMany: (namespace, keys) => read.getMany(namespace, keys),
      getManyText: (namespace, keys) => read.getManyText!(namespace, keys),
      entries: (namespace) => read.entries(namespace),
      async commit({ checkpoint, writes = [] }: StateUpdate) {
        let sent: ThreadWrite[];
        try {
          sent = writes.map((w) => (w.op === 'put' ? { op: 'put', namespace: w.namespace, key: w.key, json: w.json ?? JSON.stringify(w.value) } : w));
        } catch (cause) {
          throw new StateError(`cannot commit state for ${connector}: ${(cause as Error).message}`, { cause, code: 'state_commit', retriable: true, context: { connector } });
        }
        await request<void>({ op: 'commit', connector, checkpoint, writes: sent });
      },
    };
  }

  return {
    async [stopThread]() {
      await worker?.terminate();
    },
    forConnector,
    resetCheckpoint: (connector) => request<boolean>({ op: 'reset', connector }),
    async close() {
      if (closed) return;
      const w = worker;
      if (w) {
        const exited = new Promise((resolve) => w.once('exit', resolve));
        await request<void>({ op: 'close' }).catch(() => undefined);
        closed = true;
        // Held until the thread has ended: a caller awaiting close must not see an empty event loop.
        w.ref();
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
        if (worker === w) await w.terminate();
      }
      closed = true;
      worker = undefined;
      await reader.close();
    },
  };
}
