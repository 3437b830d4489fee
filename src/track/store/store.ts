/**
 * The projection store: one interface, two engines (SQLite embedded default, PostgreSQL for
 * production), run through the same contract tests. `apply` is one transaction: the events,
 * the case rows they win, the dead letters and the source position commit together, and it
 * resolves only once that transaction is durable.
 * Rows are read back without re-validating them: they were written from contract-checked events
 * by this code, and parsing every row again doubled the lookup's CPU time (docs/tracker.md).
 */
import type { LifecycleStatus } from '../../event/case-event.js';
import type { ProjectedEvent, StoredCase, TimelineEntry } from '../projection.js';

export interface TrackDeadLetter {
  /** Deterministic (hash of where it came from and what it was), so a redelivery is stored once. */
  id: string;
  source: string;
  reason: string;
  raw: unknown;
  at: string;
}

export interface ApplyBatch {
  events: ProjectedEvent[];
  deadLetters?: TrackDeadLetter[];
  /** Where this batch ends in a source the store tracks itself (the local log); same transaction. */
  position?: { source: string; value: string };
}

export interface ApplyResult {
  /** Events new to the store (written to their case's timeline). */
  inserted: number;
  /** Events already stored (redelivery), skipped. */
  duplicates: number;
  /** New events older than the case's current state: in the timeline, state untouched. */
  stale: number;
  /** The case versions that became current, for the case-state topic. */
  changed: ProjectedEvent[];
}

export interface CaseRecord {
  caseKey: string;
  serviceId: string;
  serviceKey: string;
  postcode: string | null;
  seq: number | null;
  timeMs: number;
  /** When the case was first reported: openedAt, else its earliest event. */
  requestedMs: number;
  state: StoredCase;
  timeline?: TimelineEntry[];
}

export interface CaseCursor {
  timeMs: number;
  caseKey: string;
}

export interface CaseQuery {
  council?: string;
  statuses?: LifecycleStatus[];
  /** Only these `council/serviceKey` ids (privacy); undefined means no restriction. */
  serviceIds?: string[];
  references?: string[];
  updatedSinceMs?: number;
  requestedFromMs?: number;
  requestedToMs?: number;
  after?: CaseCursor;
  /** Ascending by (update time, case key) for cursors; descending by report time for Open311. */
  order: 'updated-asc' | 'requested-desc';
  limit: number;
}

export interface UpdateRow {
  entry: TimelineEntry;
  reference: string;
  council: string;
  serviceKey: string;
}

export interface UpdateQuery {
  council?: string;
  serviceIds: string[];
  fromMs: number;
  toMs: number;
  limit: number;
}

export interface ServiceSeen {
  council: string;
  serviceKey: string;
  name?: string;
}

export interface ProjectionStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Create or upgrade tables and indexes (safe to run from several trackers at once). */
  migrate(): Promise<void>;
  apply(batch: ApplyBatch): Promise<ApplyResult>;
  position(source: string): Promise<string | undefined>;
  /** Cases with this reference (in this council), with their timelines. */
  findCases(reference: string, council?: string): Promise<CaseRecord[]>;
  listCases(q: CaseQuery): Promise<CaseRecord[]>;
  /** Current rows of these cases (no timelines), for the case-state topic. */
  casesByKey(keys: readonly string[]): Promise<CaseRecord[]>;
  listUpdates(q: UpdateQuery): Promise<UpdateRow[]>;
  services(): Promise<ServiceSeen[]>;
  counts(): Promise<{ cases: number; events: number; deadLetters: number }>;
  /** Empty every table, for `--rebuild`. */
  reset(): Promise<void>;
  /** Is the database reachable (readiness)? */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export const serviceIdOf = (council: string, serviceKey: string): string => `${council}/${serviceKey}`;
