/** Wraps a case snapshot and a change decision into the CloudEvents envelope. */
import {
  DATA_SCHEMA_URI,
  eventTypeFor,
  type CaseEvent,
  type CaseSnapshot,
  type ChangeKind,
  type LifecycleStatus,
} from '../event/case-event.js';
import { caseFingerprint, caseKey, eventId, eventSource } from '../event/identity.js';
import type { OutgoingEvent } from '../core/publisher.js';
import { eventDataJson } from './snapshot-json.js';

/** A case event on its way to a publisher. */
export type OutgoingCaseEvent = OutgoingEvent<CaseEvent>;

export interface ChangeFacts {
  kind: ChangeKind;
  fields: string[];
  previousStatus?: LifecycleStatus;
  previousStatusCode?: string;
}

/**
 * `sequence` is the case's number for this change (1 for its first event, see nextSequence), read
 * from committed state, so replaying the same change yields the same id whatever the wall clock says.
 */
export function buildEvent(snapshot: CaseSnapshot, change: ChangeFacts, sequence: number): OutgoingCaseEvent {
  const gss = snapshot.council.gss;
  const connector = snapshot.system.connector;
  const reference = snapshot.case.reference;
  const changeOut = {
    kind: change.kind,
    fields: change.fields,
    ...(change.previousStatus ? { previousStatus: change.previousStatus } : {}),
    ...(change.previousStatusCode ? { previousStatusCode: change.previousStatusCode } : {}),
  };
  const event: CaseEvent = {
    specversion: '1.0',
    id: eventId({ gss, connector, reference, sequence, kind: change.kind, fingerprint: caseFingerprint(snapshot) }),
    source: eventSource(gss, connector),
    type: eventTypeFor(change.kind) as CaseEvent['type'],
    subject: reference,
    time: snapshot.case.updatedAt,
    datacontenttype: 'application/json',
    dataschema: DATA_SCHEMA_URI,
    casesequence: sequence,
    data: { ...snapshot, change: changeOut, sequence },
  };
  const dataJson = eventDataJson(snapshot, changeOut, sequence);
  return { event, key: caseKey({ gss, supplier: snapshot.system.supplier, reference }), council: gss, connector, ...(dataJson !== undefined && { dataJson }) };
}

/**
 * The sequence number of a case's next event. A case remembered by a version of casebridge that
 * kept no sequence has published at least one event (without a casesequence): that counts as 1,
 * so its next event carries 2.
 */
export function nextSequence(prev: { sequence?: number } | undefined): number {
  if (!prev) return 1;
  return (prev.sequence ?? 1) + 1;
}
