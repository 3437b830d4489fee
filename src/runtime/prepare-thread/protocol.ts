/**
 * What the main thread and a connector's prepare thread say to each other, per batch:
 *   map    → the records go over; the thread maps and validates them and answers the case references
 *   decide → the store's case memory for those references goes over (as text); the thread detects
 *            the changes, builds the events and answers them with the case memory to write
 *   drop   → the batch will not be decided (its state read failed): forget its mapped records
 */
import type { SerializedError } from '../../core/thread-errors.js';
import type { SourceRecord } from '../../core/source.js';
import type { DeadLetter } from '../../core/dead-letter.js';
import type { Mapping } from '../../normalize/mapping-schema.js';
import type { MappingContext } from '../../normalize/normalizer.js';
import type { BatchResult } from '../pipeline.js';
import type { WireEvent, WireWrite } from './wire.js';

export interface PrepareWorkerInit {
  mapping: Mapping;
  /** The mapping's context without `locate` (a function): the mapping compiled once already on the main thread. */
  context: Omit<MappingContext, 'locate'>;
}

export type PrepareRequest =
  | { id: number; op: 'map'; records: SourceRecord[] }
  | { id: number; op: 'decide'; texts: Array<[string, string]>; now: string }
  | { id: number; op: 'drop' };

export interface Decision {
  events: WireEvent[];
  deadLetters: DeadLetter[];
  writes: WireWrite[];
  counts: Pick<BatchResult, 'skipped' | 'skippedBy' | 'clockChanges' | 'published' | 'publishedByType' | 'newestChangeAt'>;
}

export type PrepareReply = { id: number; error: SerializedError } | { id: number; refs: string[] } | { id: number; decision: Decision };
