/** Case events for tracker tests: valid against the contract, with a per-case sequence when asked. */
import { randomUUID } from 'node:crypto';
import { DATA_SCHEMA_URI, eventTypeFor, type ChangeKind, type ClosureReasonCode, type LifecycleStatus } from '../../src/event/case-event.js';
import { eventId, eventSource, recordFingerprint } from '../../src/event/identity.js';
import { TrackedEvent } from '../../src/track/tracked-event.js';
import { TrackConfig } from '../../src/track/config.js';

export const uid = (): string => randomUUID().slice(0, 8);

export interface Spec {
  reference: string;
  /** Minutes after 2025-11-03T08:00Z. */
  minute: number;
  status?: LifecycleStatus;
  code?: string;
  sequence?: number;
  gss?: string;
  service?: string;
  postcode?: string;
  closure?: ClosureReasonCode;
  personal?: Record<string, string>;
}

export const T0 = Date.parse('2025-11-03T08:00:00Z');
export const at = (minute: number): string => new Date(T0 + minute * 60_000).toISOString().replace('.000Z', 'Z');

export function event(s: Spec): TrackedEvent {
  const gss = s.gss ?? 'E09000019';
  const connector = 'islington-street';
  const status = s.status ?? 'received';
  const kind: ChangeKind = s.sequence === 1 || (s.sequence === undefined && status === 'received') ? 'created' : status === 'closed' ? 'closed' : 'status_changed';
  const time = at(s.minute);
  return TrackedEvent.parse({
    specversion: '1.0',
    id: eventId({ gss, connector, reference: s.reference, sequence: s.sequence ?? 1, fingerprint: recordFingerprint({ ...s }), kind }),
    source: eventSource(gss, connector),
    type: eventTypeFor(kind),
    subject: s.reference,
    time,
    datacontenttype: 'application/json',
    dataschema: DATA_SCHEMA_URI,
    ...(s.sequence !== undefined ? { casesequence: s.sequence } : {}),
    data: {
      council: { gss, name: `Council ${gss}` },
      system: { supplier: 'Street services', connector },
      case: {
        reference: s.reference,
        service: { code: s.service ?? 'FLY', name: s.service === 'HOUSING' ? 'Housing repair' : 'Fly-tipping' },
        status: { lifecycle: status, code: s.code ?? `S-${status}`, label: `Label ${status}`, publicLabel: `Public ${status}` },
        description: 'Mattress on the pavement',
        openedAt: at(0),
        updatedAt: time,
        ...(status === 'closed' ? { closedAt: time } : {}),
        ...(s.closure ? { closureReason: { code: s.closure, supplierCode: 'X1' } } : {}),
      },
      location: { uprn: '5300034721', address: '1 Upper Street', postcode: s.postcode ?? 'N1 1XR', latitude: 51.546512, longitude: -0.105843 },
      change: { kind, fields: kind === 'created' ? [] : ['case.status.code'] },
      provenance: { connector, position: { file: 'x.csv', line: s.minute + 2 }, fetchedAt: '2025-11-03T14:05:00Z', updatedAtSource: 'supplier' },
      ...(s.personal ? { personal: s.personal } : {}),
      ...(s.sequence !== undefined ? { sequence: s.sequence } : {}),
    },
  });
}

export function trackConfig(over: Record<string, unknown> = {}): TrackConfig {
  return TrackConfig.parse({
    version: 1,
    councils: [{ gss: 'E09000019', name: 'Council E09000019' }],
    source: { type: 'local-log', dir: './events' },
    services: [
      { code: 'FLY', privacy: 'public', name: 'Fly-tipping', group: 'Street cleaning' },
      { code: 'HOUSING', privacy: 'private' },
    ],
    ...over,
  });
}

export const PG_URL = process.env.TRACK_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
