/**
 * Where case events go. `publish` resolves only when every event is durable (Kafka acks=all, or
 * the local log fsync'd); the runtime commits a checkpoint only after that. Implementations:
 * local-log (embedded default), stdout (previews), kafka (src/publish/kafka — the only place
 * that may import kafkajs).
 */
import type { DeadLetter } from './dead-letter.js';

/**
 * The CloudEvents 1.0 envelope a publisher writes. Publishers carry events without reading their
 * data, so they depend on this shape rather than on the case event (src/event), which fits it.
 */
export interface CloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: string;
  dataschema: string;
  /** casebridge's extension attribute: the case's sequence number. */
  casesequence?: number;
  data: unknown;
}

export interface OutgoingEvent<E extends CloudEvent = CloudEvent> {
  event: E;
  /** Partition key: council + system + case reference (see event/identity.ts caseKey). */
  key: string;
  /** GSS code of the council the event belongs to (topic routing). */
  council: string;
  /** The connector that produced it (topic routing). */
  connector: string;
  /**
   * `JSON.stringify(event.data)`, when whoever built the event has made it already (the case-event
   * builder does, from the text it also stores as case memory): a publisher that sends the data as
   * text sends this instead of serialising the data again.
   */
  dataJson?: string;
}

export interface PublisherHealth {
  ok: boolean;
  detail?: string;
}

export interface Publisher<E extends CloudEvent = CloudEvent> {
  /** Connect, check or create topics / folders. Throws ConfigError or retriable PublishError. */
  start(): Promise<void>;
  /** Durable when resolved, in the order given for events sharing a key. Throws PublishError. */
  publish(events: OutgoingEvent<E>[]): Promise<void>;
  /** Durable when resolved. Dead letters never block the events after them. */
  deadLetter(letters: DeadLetter[]): Promise<void>;
  health(): PublisherHealth;
  /** Flush and release; safe to call twice. */
  close(): Promise<void>;
}
