/**
 * Where case events go. `publish` resolves only when every event is durable (Kafka acks=all, or
 * the local log fsync'd); the runtime commits a checkpoint only after that. Implementations:
 * local-log (embedded default), stdout (previews), kafka (src/publish/kafka — the only place
 * that may import kafkajs).
 */
import type { CaseEvent } from '../event/case-event.js';
import type { DeadLetter } from '../event/dead-letter.js';

export interface OutgoingEvent {
  event: CaseEvent;
  /** Partition key: council + system + case reference (see event/identity.ts caseKey). */
  key: string;
}

export interface PublisherHealth {
  ok: boolean;
  detail?: string;
}

export interface Publisher {
  /** Connect, check or create topics / folders. Throws ConfigError or retriable PublishError. */
  start(): Promise<void>;
  /** Durable when resolved, in the order given for events sharing a key. Throws PublishError. */
  publish(events: OutgoingEvent[]): Promise<void>;
  /** Durable when resolved. Dead letters never block the events after them. */
  deadLetter(letters: DeadLetter[]): Promise<void>;
  health(): PublisherHealth;
  /** Flush and release; safe to call twice. */
  close(): Promise<void>;
}
