/**
 * Synthetic case events for the tracker bench, built directly (valid by construction, checked
 * against the contract for a sample) because zod-parsing a million events would time the generator.
 */
import { DATA_SCHEMA_URI, eventTypeFor } from '../../src/event/case-event.js';
import { caseKey, eventId, eventSource } from '../../src/event/identity.js';
import { TrackedEvent } from '../../src/track/tracked-event.js';

export const BENCH_GSS = 'E09000019';
const CONNECTOR = 'bench-street';
const SUPPLIER = 'Street services';
const STATUSES = ['received', 'in_progress', 'scheduled', 'resolved', 'closed'] as const;

export const benchReference = (n: number): string => `BR${String(n).padStart(8, '0')}`;
export const benchCaseKey = (n: number): string => caseKey({ gss: BENCH_GSS, supplier: SUPPLIER, reference: benchReference(n) });

/** Event `step` (1-based) of case `n`. */
export function benchEvent(n: number, step: number): TrackedEvent {
  const reference = benchReference(n);
  const status = STATUSES[Math.min(step - 1, STATUSES.length - 1)]!;
  const kind = step === 1 ? 'created' : status === 'closed' ? 'closed' : 'status_changed';
  const time = new Date(Date.UTC(2025, 10, 3, 8, 0, 0) + n * 1000 + step * 3_600_000).toISOString();
  return {
    specversion: '1.0',
    id: eventId({ gss: BENCH_GSS, connector: CONNECTOR, reference, sequence: step, fingerprint: `${n}-${step}`, kind }),
    source: eventSource(BENCH_GSS, CONNECTOR),
    type: eventTypeFor(kind) as TrackedEvent['type'],
    subject: reference,
    time,
    datacontenttype: 'application/json',
    dataschema: DATA_SCHEMA_URI,
    casesequence: step,
    data: {
      council: { gss: BENCH_GSS, name: 'London Borough of Islington' },
      system: { supplier: SUPPLIER, connector: CONNECTOR },
      case: {
        reference,
        service: { code: 'FLY', name: 'Fly-tipping' },
        status: { lifecycle: status, code: String(step), label: status, publicLabel: status.replace('_', ' ') },
        openedAt: new Date(Date.UTC(2025, 10, 3, 8, 0, 0) + n * 1000).toISOString(),
        updatedAt: time,
      },
      location: { postcode: 'N1 1XR', latitude: 51.5465, longitude: -0.1058 },
      change: { kind, fields: kind === 'created' ? [] : ['case.status.code'] },
      provenance: { connector: CONNECTOR, position: { table: 'bench', key: reference }, fetchedAt: time, updatedAtSource: 'supplier' },
      sequence: step,
    },
  };
}

/** Throws when the generator drifts from the contract. */
export function checkSample(): void {
  for (const [n, s] of [[0, 1], [7, 3], [99, 5]] as const) TrackedEvent.parse(benchEvent(n, s));
}
