/**
 * The thread that commits to the SQLite state file (threaded-sqlite-state-store.ts), one request at
 * a time, in the order they were sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CasebridgeError } from '../../core/errors.js';
import type { ConnectorState, StateStore } from '../../core/state-store.js';
import { openSqliteStateStore } from '../sqlite-state-store.js';
import type { ThreadError, ThreadReply, ThreadRequest } from './sqlite-thread-protocol.js';

const port = parentPort!;
const send = (reply: ThreadReply) => port.postMessage(reply);

function toThreadError(err: unknown): ThreadError {
  if (err instanceof CasebridgeError) return { name: err.name, message: err.message, code: err.code, retriable: err.retriable, context: { ...err.context } };
  return { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
}

let store: StateStore | undefined;
try {
  store = openSqliteStateStore((workerData as { path: string }).path);
} catch (err) {
  // Nothing else is listened to, so the thread ends once this is sent.
  send({ type: 'open-failed', error: toThreadError(err) });
}
if (store) serve(store);

function serve(store: StateStore): void {
  const states = new Map<string, ConnectorState>();
  const stateOf = (connector: string) => {
    let s = states.get(connector);
    if (!s) states.set(connector, (s = store.forConnector(connector)));
    return s;
  };

  async function answer(req: ThreadRequest): Promise<unknown> {
    switch (req.op) {
      case 'commit':
        return stateOf(req.connector).commit({ ...(req.checkpoint !== undefined && { checkpoint: req.checkpoint }), writes: req.writes.map((w) => (w.op === 'put' ? { op: 'put', namespace: w.namespace, key: w.key, value: undefined, json: w.json } : w)) });
      case 'reset':
        return store.resetCheckpoint(req.connector);
      case 'close':
        await store.close();
        return undefined;
    }
  }

  port.on('message', (req: ThreadRequest) => {
    // The store is synchronous underneath: each answer is complete before the next message is read.
    answer(req).then(
      (value) => {
        send({ type: 'reply', id: req.id, value });
        if (req.op === 'close') port.close();
      },
      (err: unknown) => send({ type: 'reply', id: req.id, error: toThreadError(err) }),
    );
  });
  send({ type: 'ready' });
}
