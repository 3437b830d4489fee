/**
 * What a publisher kind gives the compliance suite (tests/compliance/publishers.test.ts): a
 * publisher made from a config the way the gateway makes it, and an independent way to read back
 * what became durable (an independent Kafka consumer, the log files themselves).
 */
import type { Publisher } from '../../../src/core/publisher.js';

export interface Stored {
  id: string;
  /** The case the event is about (its partition key is derived from it). */
  subject: string;
}

export interface LivePublisher {
  publisher: Publisher;
  /** Events as stored, in stored order per key (read by something other than the publisher). */
  readEvents(): Promise<Stored[]>;
  /** Dead-letter ids as stored. */
  readDeadLetters(): Promise<string[]>;
  teardown(): Promise<void>;
}

export interface PublisherKind {
  name: string;
  open(): Promise<LivePublisher>;
  /**
   * The publisher's error classes; absent (with the reason in the adapter) where there is neither
   * a destination to lose nor a config to get wrong.
   */
  errors?: {
    /** Started against a destination that is not there (broker down, folder gone): publish or start fails retriable. */
    unreachable(): Promise<{ publisher: Publisher; whenStarted?: () => Promise<void>; teardown(): Promise<void> }>;
    /** A config only a person can fix (a topic that does not exist and may not be created): ConfigError. */
    misconfigured(): Promise<{ publisher: Publisher; teardown(): Promise<void> }>;
  };
}
