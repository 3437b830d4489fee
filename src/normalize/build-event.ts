/** Wraps a case snapshot and a change decision into the CloudEvents envelope. */
import {
  DATA_SCHEMA_URI,
  eventTypeFor,
  type CaseEvent,
  type CaseSnapshot,
  type ChangeKind,
  type LifecycleStatus,
} from '../event/case-event.js';
import { caseKey, eventId, eventSource } from '../event/identity.js';
import type { OutgoingEvent } from '../publish/publisher.js';

export interface ChangeFacts {
  kind: ChangeKind;
  fields: string[];
  previousStatus?: LifecycleStatus;
  previousStatusCode?: string;
}

/**
 * `fingerprint` identifies the source record version (identity.recordFingerprint of the raw
 * record), so replaying the same record yields the same id whatever the wall clock says.
 */
export function buildEvent(snapshot: CaseSnapshot, change: ChangeFacts, fingerprint: string): OutgoingEvent {
  const gss = snapshot.council.gss;
  const connector = snapshot.system.connector;
  const reference = snapshot.case.reference;
  const event: CaseEvent = {
    specversion: '1.0',
    id: eventId({ gss, connector, reference, fingerprint }),
    source: eventSource(gss, connector),
    type: eventTypeFor(change.kind) as CaseEvent['type'],
    subject: reference,
    time: snapshot.case.updatedAt,
    datacontenttype: 'application/json',
    dataschema: DATA_SCHEMA_URI,
    data: {
      ...snapshot,
      change: {
        kind: change.kind,
        fields: change.fields,
        ...(change.previousStatus ? { previousStatus: change.previousStatus } : {}),
        ...(change.previousStatusCode ? { previousStatusCode: change.previousStatusCode } : {}),
      },
    },
  };
  return { event, key: caseKey({ gss, supplier: snapshot.system.supplier, reference }) };
}
