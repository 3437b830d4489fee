/**
 * What the main thread and the Kafka publisher's worker thread say to each other. Errors cross
 * the thread boundary as plain data and are rebuilt as the same CasebridgeError class, code,
 * retriable flag and context, so the runtime cannot tell a threaded publisher from an in-thread one.
 */
import { CasebridgeError, ConfigError, PublishError, type ErrorContext } from '../../core/errors.js';
import type { DeadLetter } from '../../core/dead-letter.js';
import type { OutgoingEvent, PublisherHealth } from '../../core/publisher.js';
import type { KafkaPublisherConfig } from './config.js';
import type { KafkaCouncil } from './publisher.js';

export interface WorkerInit {
  config: KafkaPublisherConfig;
  councils: readonly KafkaCouncil[];
  connectors?: readonly { name: string; council: string }[];
  /** The main logger's level, so kafkajs logs no more than the main thread would write. */
  logLevel: string;
}

export type Request =
  | { id: number; op: 'start' }
  | { id: number; op: 'publish'; events: OutgoingEvent[] }
  | { id: number; op: 'deadLetter'; letters: DeadLetter[] }
  | { id: number; op: 'close' };

export type Reply =
  | { type: 'reply'; id: number; error?: SerializedError; health: PublisherHealth }
  /** One pino line from the worker, re-logged by the main thread's logger (which masks secrets). */
  | { type: 'log'; line: string };

export interface SerializedError {
  kind: 'config' | 'publish' | 'other';
  name: string;
  message: string;
  code?: string;
  retriable?: boolean;
  context?: ErrorContext;
  /** kafkajs' error type (e.g. MESSAGE_TOO_LARGE), kept on the rebuilt cause chain. */
  type?: string;
  cause?: SerializedError;
}

export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { kind: 'other', name: 'Error', message: String(err) };
  const e = err as Error & { type?: unknown; code?: unknown; retriable?: unknown; cause?: unknown };
  const out: SerializedError = {
    kind: err instanceof ConfigError ? 'config' : err instanceof PublishError ? 'publish' : 'other',
    name: err.name,
    message: err.message,
  };
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.retriable === 'boolean') out.retriable = e.retriable;
  if (typeof e.type === 'string') out.type = e.type;
  if (err instanceof CasebridgeError) out.context = { ...err.context };
  if (e.cause !== undefined && depth < 8) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

export function deserializeError(s: SerializedError): Error {
  const cause = s.cause ? deserializeError(s.cause) : undefined;
  const opts = { ...(s.code !== undefined ? { code: s.code } : {}), ...(s.context ? { context: s.context } : {}), ...(cause ? { cause } : {}) };
  if (s.kind === 'config') return new ConfigError(s.message, opts);
  if (s.kind === 'publish') return new PublishError(s.message, { ...opts, retriable: s.retriable ?? false });
  const err = new Error(s.message, cause ? { cause } : undefined) as Error & { type?: string; code?: string; retriable?: boolean };
  err.name = s.name;
  if (s.type !== undefined) err.type = s.type;
  if (s.code !== undefined) err.code = s.code;
  if (s.retriable !== undefined) err.retriable = s.retriable;
  return err;
}
