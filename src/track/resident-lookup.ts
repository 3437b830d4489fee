/**
 * The seam between the tracker's projection store and what a resident is shown (the /track
 * page). The store answers with public fields only; the page never sees a raw event.
 * A wrong postcode, a private service looked up without a postcode and an unknown reference
 * all return `undefined`, so nothing can tell them apart.
 */
import { z } from 'zod';
import { ClosureReasonCode, LifecycleStatus, RelatedReference, Timestamp } from '../event/case-event.js';

export const ResidentTimelineEntry = z
  .object({
    at: Timestamp,
    status: LifecycleStatus,
    label: z.string().optional().describe('The public label of the status at that point'),
    note: z.string().optional().describe('A public note recorded with this change'),
  })
  .strict();
export type ResidentTimelineEntry = z.infer<typeof ResidentTimelineEntry>;

export const ResidentCase = z
  .object({
    council: z.object({ gss: z.string(), name: z.string() }).strict(),
    reference: z.string(),
    service: z.string().optional(),
    status: LifecycleStatus,
    statusLabel: z.string().optional(),
    openedAt: Timestamp.optional(),
    updatedAt: Timestamp,
    dueAt: Timestamp.optional(),
    closedAt: Timestamp.optional(),
    closureReason: z.object({ code: ClosureReasonCode, label: z.string().optional() }).strict().optional(),
    publicNotes: z.array(z.object({ text: z.string(), at: Timestamp.optional() }).strict()),
    media: z.array(z.object({ url: z.string(), caption: z.string().optional() }).strict()),
    relatedReferences: z.array(RelatedReference).optional().describe('The same case in other systems, e.g. the FixMyStreet report'),
    timeline: z.array(ResidentTimelineEntry).describe('Oldest first'),
  })
  .strict();
export type ResidentCase = z.infer<typeof ResidentCase>;

export interface ResidentQuery {
  reference: string;
  postcode?: string;
  council?: string;
}

export interface ResidentLookup {
  findCase(query: ResidentQuery): Promise<ResidentCase | undefined>;
  councils(): Promise<Array<{ gss: string; name: string }>>;
}
