/** Messages between the SQLite state store's client (main thread) and its thread. */
import type { Checkpoint } from '../../core/state-store.js';

/** Every write carries its JSON text: the thread stores text as it is given. */
export type ThreadWrite = { op: 'put'; namespace: string; key: string; json: string } | { op: 'delete'; namespace: string; key: string };

export type ThreadRequest =
  | { id: number; op: 'commit'; connector: string; checkpoint: Checkpoint | undefined; writes: ThreadWrite[] }
  | { id: number; op: 'reset'; connector: string }
  | { id: number; op: 'close' };

/** An error as it crosses the thread: a StateError keeps its code, retriability and context. */
export interface ThreadError {
  name: string;
  message: string;
  code?: string;
  retriable?: boolean;
  context?: Record<string, unknown>;
}

export type ThreadReply =
  | { type: 'ready' }
  | { type: 'open-failed'; error: ThreadError }
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'reply'; id: number; error: ThreadError };
