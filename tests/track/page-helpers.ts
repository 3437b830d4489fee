/**
 * An in-memory ResidentLookup with the tracker's privacy rules (private services answer only
 * to reference + matching postcode, and every miss is the same `undefined`), and sample cases.
 */
import type { ResidentCase, ResidentLookup, ResidentQuery } from '../../src/track/resident-lookup.js';

export interface StoredCase {
  case: ResidentCase;
  postcode?: string;
  private?: boolean;
}

export function memoryLookup(stored: StoredCase[]): ResidentLookup & { queries: ResidentQuery[] } {
  const queries: ResidentQuery[] = [];
  return {
    queries,
    async findCase(q) {
      queries.push(q);
      const hit = stored.find((s) => s.case.reference === q.reference && (q.council === undefined || s.case.council.gss === q.council));
      if (!hit) return undefined;
      if (hit.private && (q.postcode === undefined || q.postcode !== hit.postcode)) return undefined;
      if (q.postcode !== undefined && hit.postcode !== undefined && q.postcode !== hit.postcode) return undefined;
      return hit.case;
    },
    async councils() {
      const seen = new Map<string, string>();
      for (const s of stored) seen.set(s.case.council.gss, s.case.council.name);
      return [...seen].map(([gss, name]) => ({ gss, name }));
    },
  };
}

const ISLINGTON = { gss: 'E09000019', name: 'London Borough of Islington' };

/** A public street-services case part-way through: reported, inspected, work booked. */
export const potholeCase: ResidentCase = {
  council: ISLINGTON,
  reference: 'HW-100234',
  service: 'Pothole',
  status: 'scheduled',
  statusLabel: 'Repair booked',
  openedAt: '2025-11-03T09:12:00Z',
  updatedAt: '2025-11-05T14:05:00Z',
  dueAt: '2025-11-12T17:00:00Z',
  publicNotes: [{ text: 'Our inspector marked the hole for a permanent repair.', at: '2025-11-04T11:30:00Z' }],
  media: [{ url: 'https://photos.example.org/hw-100234/1.jpg', caption: 'The pothole on 4 November' }],
  relatedReferences: [{ system: 'fixmystreet', reference: '4411' }],
  timeline: [
    { at: '2025-11-03T09:12:00Z', status: 'received', label: 'Reported' },
    { at: '2025-11-04T11:30:00Z', status: 'in_progress', label: 'Inspected', note: 'Our inspector marked the hole for a permanent repair.' },
    { at: '2025-11-05T14:05:00Z', status: 'scheduled', label: 'Repair booked' },
  ],
};

/** A private housing-repairs case: only shown with the right postcode. Closed as a duplicate. */
export const repairCase: ResidentCase = {
  council: ISLINGTON,
  reference: 'HR-5531',
  service: 'Housing repair',
  status: 'cancelled',
  openedAt: '2025-06-30T23:30:00Z',
  updatedAt: '2025-07-02T08:00:00+01:00',
  closedAt: '2025-07-02T08:00:00+01:00',
  closureReason: { code: 'duplicate' },
  publicNotes: [],
  media: [],
  timeline: [
    { at: '2025-06-30T23:30:00Z', status: 'received' },
    { at: '2025-07-02T08:00:00+01:00', status: 'cancelled' },
  ],
};

/** Supplier text that would break the page if it were not escaped. */
export const hostileCase: ResidentCase = {
  council: ISLINGTON,
  reference: 'X<1>',
  service: '<script>alert(1)</script>',
  status: 'in_progress',
  statusLabel: '"><img src=x onerror=alert(1)>',
  updatedAt: '2025-11-05T14:05:00Z',
  publicNotes: [{ text: '<b>bold</b> & "quoted"' }],
  media: [{ url: 'javascript:alert(1)', caption: 'evil' }],
  timeline: [{ at: '2025-11-05T14:05:00Z', status: 'in_progress', note: '</ol><script>x()</script>' }],
};

export const sampleCases: StoredCase[] = [
  { case: potholeCase, postcode: 'N1 1XR' },
  { case: repairCase, postcode: 'N7 8DB', private: true },
  { case: hostileCase },
];
