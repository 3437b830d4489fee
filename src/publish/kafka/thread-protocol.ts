/**
 * What the main thread and the Kafka publisher's worker thread say to each other. Errors cross
 * the thread boundary as plain data and are rebuilt as the same CasebridgeError class, code,
 * retriable flag and context, so the runtime cannot tell a threaded publisher from an in-thread one.
 */
import type { DeadLetter } from '../../core/dead-letter.js';
import type { SerializedError } from '../../core/thread-errors.js';
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

export { serializeError, deserializeError, type SerializedError } from '../../core/thread-errors.js';
