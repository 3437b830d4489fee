/**
 * What one case event becomes in the projection: a timeline entry (every event) and a candidate
 * case row (the latest public state, kept only when the event is newer than what the row holds).
 * Pure, shared by both stores, so SQLite and PostgreSQL can only differ in storage.
 */
import { z } from 'zod';
import { CaseEventData, ChangeKind, ClosureReason, LifecycleStatus, Timestamp } from '../event/case-event.js';
import { instant, type TrackedEvent } from './tracked-event.js';

/** The case as stored: no personal data, no provenance; privacy shaping happens when it is shown. */
export const StoredCase = CaseEventData.pick({ council: true, case: true, location: true }).extend({
  supplier: z.string(),
});
export type StoredCase = z.infer<typeof StoredCase>;

export const TimelineEntry = z
  .object({
    id: z.string().describe('The event id (also the Open311 update_id)'),
    at: Timestamp,
    kind: ChangeKind,
    status: LifecycleStatus,
    code: z.string().describe("The supplier's status code"),
    label: z.string().optional(),
    publicLabel: z.string().optional(),
    closureReason: ClosureReason.optional(),
    sequence: z.number().int().optional(),
  })
  .strict();
export type TimelineEntry = z.infer<typeof TimelineEntry>;

/** Everything the stores index on, plus the JSON they keep. */
export interface ProjectedEvent {
  eventId: string;
  caseKey: string;
  council: string;
  reference: string;
  serviceKey: string;
  status: LifecycleStatus;
  seq: number | null;
  timeMs: number;
  updatedAt: string;
  postcode: string | null;
  entry: TimelineEntry;
  state: StoredCase;
}

/** A service is identified by its code, or its name when the supplier gives no code. */
export const serviceKeyOf = (service: { code?: string | undefined; name?: string | undefined }): string => service.code ?? service.name ?? 'unknown';

/** "n1 1xr" and "N11XR" are the same postcode; compare without case or spaces. */
export const normalisePostcode = (p: string): string => p.replace(/\s+/g, '').toUpperCase();

export function project(event: TrackedEvent, key: string, sequence?: number): ProjectedEvent {
  const d = event.data;
  const entry: TimelineEntry = {
    id: event.id,
    at: event.time,
    kind: d.change.kind,
    status: d.case.status.lifecycle,
    code: d.case.status.code,
    ...(d.case.status.label !== undefined ? { label: d.case.status.label } : {}),
    ...(d.case.status.publicLabel !== undefined ? { publicLabel: d.case.status.publicLabel } : {}),
    ...(d.case.closureReason !== undefined ? { closureReason: d.case.closureReason } : {}),
    ...(sequence !== undefined ? { sequence } : {}),
  };
  const state: StoredCase = {
    council: d.council,
    supplier: d.system.supplier,
    case: d.case,
    ...(d.location ? { location: d.location } : {}),
  };
  return {
    eventId: event.id,
    caseKey: key,
    council: d.council.gss,
    reference: d.case.reference,
    serviceKey: serviceKeyOf(d.case.service),
    status: d.case.status.lifecycle,
    seq: sequence ?? null,
    timeMs: instant(event.time),
    updatedAt: event.time,
    postcode: d.location?.postcode ? normalisePostcode(d.location.postcode) : null,
    entry,
    state,
  };
}

/**
 * Which of two versions of a case is newer: by sequence when both carry one, else by time, then by
 * event id so that every order of arrival ends on the same row. Positive when `a` is newer.
 * Two different events with the same sequence happen when a gateway published a change, stopped
 * before committing it, and the supplier changed the case again before the replay: the later
 * supplier time is the case as it is now, so time decides before the id does.
 * The stores express the same rule in SQL for the row already stored.
 */
export function compareVersions(a: { seq: number | null; timeMs: number; eventId: string }, b: { seq: number | null; timeMs: number; eventId: string }): number {
  if (a.seq !== null && b.seq !== null && a.seq !== b.seq) return a.seq - b.seq;
  if (a.timeMs !== b.timeMs) return a.timeMs - b.timeMs;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/** The newest version per case in a batch: only these can replace a stored row. */
export function newestPerCase(events: readonly ProjectedEvent[]): ProjectedEvent[] {
  const best = new Map<string, ProjectedEvent>();
  for (const e of events) {
    const cur = best.get(e.caseKey);
    if (!cur || compareVersions(e, cur) > 0) best.set(e.caseKey, e);
  }
  return [...best.values()];
}

/** When the case was reported, as far as this event says: openedAt, else the event's own time. */
export const requestedMs = (e: ProjectedEvent): number => (e.state.case.openedAt ? Date.parse(e.state.case.openedAt) : e.timeMs);

/** Timeline order: sequence when both have one, else time, else id (stable across stores). */
export function sortTimeline(entries: TimelineEntry[]): TimelineEntry[] {
  return entries.sort((a, b) =>
    compareVersions(
      { seq: a.sequence ?? null, timeMs: instant(a.at), eventId: a.id },
      { seq: b.sequence ?? null, timeMs: instant(b.at), eventId: b.id },
    ),
  );
}
