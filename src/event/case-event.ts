/**
 * The case event: the one contract every connector produces and every portal consumes.
 * This zod schema is the single source of truth; JSON Schema and AsyncAPI documents are
 * generated from it (`casebridge schema --write`). Depends on nothing in the project but core.
 */
import { z } from 'zod';
import { SourcePosition, Timestamp } from '../core/position.js';

// Part of the event contract; defined in core because sources and dead letters use them too.
export { SourcePosition, Timestamp };

/** Bumped only for breaking changes; additive fields keep the version. */
export const EVENT_SCHEMA_VERSION = 'v1';
export const EVENT_TYPE_PREFIX = 'uk.casebridge.case';
export const DATA_SCHEMA_URI = `https://casebridge.dev/schemas/case-event.${EVENT_SCHEMA_VERSION}.json`;

/** ISO 8601 date-time that always states its offset (Z or ±hh:mm), never a floating local time. */

/**
 * What a resident is told about their case. Deliberately small: every supplier status maps onto
 * one of these (see docs/lifecycle.md), and portals may rely on the list only growing in a new
 * schema version.
 */
export const LifecycleStatus = z
  .enum(['received', 'in_progress', 'scheduled', 'on_hold', 'resolved', 'closed', 'cancelled'])
  .describe('Public lifecycle status, from a fixed vocabulary (see docs/lifecycle.md)');
export type LifecycleStatus = z.infer<typeof LifecycleStatus>;

/** Statuses after which a case is finished; an event reaching one of these is a `closed` event. */
export const TERMINAL_STATUSES: readonly LifecycleStatus[] = ['closed', 'cancelled'];

export const ChangeKind = z
  .enum(['created', 'updated', 'status_changed', 'closed'])
  .describe('Kind of change this event reports');
export type ChangeKind = z.infer<typeof ChangeKind>;

const typeOf = (kind: string): string => `${EVENT_TYPE_PREFIX}.${kind}.${EVENT_SCHEMA_VERSION}`;
const EVENT_TYPES: Readonly<Record<string, string>> = Object.fromEntries(ChangeKind.options.map((k) => [k, typeOf(k)]));
/** Made once per kind: every event asks. */
export const eventTypeFor = (kind: ChangeKind): string => EVENT_TYPES[kind] ?? typeOf(kind);

/** GSS code of a UK local authority, e.g. E09000019 (Islington), S12000036, W06000015, N09000003. */
export const GssCode = z
  .string()
  .regex(/^[ENSW]\d{8}$/, 'a GSS code: E, N, S or W followed by 8 digits, e.g. E09000019');

export const Council = z
  .object({
    gss: GssCode,
    name: z.string().min(1),
  })
  .strict();
export type Council = z.infer<typeof Council>;

export const SourceSystem = z
  .object({
    supplier: z.string().min(1).describe('Supplier or product family, e.g. "Whitespace", "Confirm"'),
    product: z.string().min(1).optional().describe('Product or module name as the council knows it'),
    connector: z.string().min(1).describe('Name of the casebridge connector that read it'),
  })
  .strict();
export type SourceSystem = z.infer<typeof SourceSystem>;

export const CaseStatus = z
  .object({
    lifecycle: LifecycleStatus,
    code: z.string().min(1).describe("The supplier's own status code, verbatim"),
    label: z.string().min(1).optional().describe("The supplier's own label for the code"),
    publicLabel: z.string().min(1).optional().describe('Wording the council chose for residents'),
  })
  .strict();
export type CaseStatus = z.infer<typeof CaseStatus>;

export const CaseService = z
  .object({
    code: z.string().min(1).optional().describe("Supplier's service / category code"),
    name: z.string().min(1).optional().describe('Service name residents recognise, e.g. "Missed bin collection"'),
    category: z.string().min(1).optional(),
    lgsl: z.number().int().positive().optional().describe('Local Government Service List code, where known'),
  })
  .strict();
export type CaseService = z.infer<typeof CaseService>;

/**
 * Why a case was closed, in words a resident understands. `no-longer-listed` is set by
 * casebridge when a supplier's full listing stops showing an open case (snapshot mode).
 */
export const ClosureReasonCode = z
  .enum(['completed', 'duplicate', 'not-council', 'withdrawn', 'no-action-needed', 'no-longer-listed', 'other'])
  .describe('Why the case was closed (see docs/lifecycle.md)');
export type ClosureReasonCode = z.infer<typeof ClosureReasonCode>;

export const ClosureReason = z
  .object({
    code: ClosureReasonCode,
    supplierCode: z.string().min(1).optional().describe("The supplier's own closure code, verbatim"),
    label: z.string().min(1).optional().describe('Public wording for the reason'),
  })
  .strict();
export type ClosureReason = z.infer<typeof ClosureReason>;

/** Text the council chose to show residents; only from fields a mapping lists under publicNotes. */
export const PublicNote = z
  .object({
    text: z.string().min(1),
    at: Timestamp.optional().describe('When the note was written, if the supplier says'),
  })
  .strict();
export type PublicNote = z.infer<typeof PublicNote>;

export const MediaItem = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: 'an http(s) URL' })
      .regex(/^https?:\/\//i, 'an http(s) URL')
      .describe('A photo or document a resident may open, e.g. of the finished work'),
    caption: z.string().min(1).optional(),
  })
  .strict();
export type MediaItem = z.infer<typeof MediaItem>;

/** The same case under another system's reference, e.g. the FixMyStreet report it came from. */
export const RelatedReference = z
  .object({
    system: z.string().min(1).describe('The other system, e.g. "fixmystreet", "crm"'),
    reference: z.string().min(1),
  })
  .strict();
export type RelatedReference = z.infer<typeof RelatedReference>;

export const Case = z
  .object({
    reference: z.string().min(1).describe('Public case reference the resident knows'),
    supplierId: z.string().min(1).optional().describe('Internal supplier id, when different from the reference'),
    service: CaseService,
    status: CaseStatus,
    description: z.string().optional(),
    openedAt: Timestamp.optional(),
    updatedAt: Timestamp.describe('When the supplier last changed the case (or when casebridge observed the change, see provenance.updatedAtSource)'),
    dueAt: Timestamp.optional(),
    closedAt: Timestamp.optional(),
    closureReason: ClosureReason.optional(),
    publicNotes: z.array(PublicNote).min(1).optional().describe('Public notes, oldest first'),
    media: z.array(MediaItem).min(1).optional(),
    relatedReferences: z.array(RelatedReference).min(1).optional(),
  })
  .strict();
export type Case = z.infer<typeof Case>;

export const Location = z
  .object({
    uprn: z.string().regex(/^\d{1,12}$/, 'a UPRN: 1 to 12 digits').optional(),
    usrn: z.string().regex(/^\d{1,8}$/, 'a USRN: 1 to 8 digits').optional(),
    address: z.string().min(1).optional(),
    postcode: z.string().min(1).optional().describe('Normalised UK postcode, e.g. "N1 1XR"'),
    latitude: z.number().min(-90).max(90).optional().describe('WGS84'),
    longitude: z.number().min(-180).max(180).optional().describe('WGS84'),
    easting: z.number().optional().describe('British National Grid (EPSG:27700), as supplied'),
    northing: z.number().optional().describe('British National Grid (EPSG:27700), as supplied'),
  })
  .strict();
export type Location = z.infer<typeof Location>;

export const Change = z
  .object({
    kind: ChangeKind,
    fields: z.array(z.string()).describe('Dotted paths under data.case / data.location that changed; empty for created'),
    previousStatus: LifecycleStatus.optional(),
    previousStatusCode: z.string().optional(),
  })
  .strict();
export type Change = z.infer<typeof Change>;


export const ClockChangeApplied = z
  .object({
    field: z.string().min(1).describe('The event field the time went to, e.g. case.updatedAt'),
    kind: z.enum(['ambiguous', 'nonexistent']).describe('ambiguous: the local time happens twice (clocks go back); nonexistent: it never happens (clocks go forward)'),
    resolution: z.enum(['earlier', 'later', 'shift']).describe('earlier / later instant of an ambiguous time, or shifted forward by the gap'),
    local: z.string().optional().describe("The supplier's local time as read, without offset, e.g. 2025-10-26T01:30:00 (left out for personal fields)"),
  })
  .strict();
export type ClockChangeApplied = z.infer<typeof ClockChangeApplied>;

export const Provenance = z
  .object({
    connector: z.string().min(1),
    position: SourcePosition,
    fetchedAt: Timestamp,
    updatedAtSource: z
      .enum(['supplier', 'observed'])
      .describe('"supplier" when case.updatedAt came from the supplier, "observed" when the supplier gives none and casebridge stamped the time it saw the change'),
    clockChange: z
      .array(ClockChangeApplied)
      .min(1)
      .optional()
      .describe("Supplier local times in this event that fell in a clock change, and how the mapping's clockChange policy read them; absent when none did"),
  })
  .strict();
export type Provenance = z.infer<typeof Provenance>;

/** 1 for a case's first event from a source, +1 per published change (docs/lifecycle.md). */
export const CaseSequence = z.number().int().min(1);

export const CaseEventData = z
  .object({
    council: Council,
    system: SourceSystem,
    case: Case,
    location: Location.optional(),
    change: Change,
    provenance: Provenance,
    sequence: CaseSequence.optional().describe(
      'Per-case sequence number, the same as the casesequence attribute: 1 for the first event of a case from this source (council + connector), +1 for each published change. Absent on events written before casebridge added it; order those by time',
    ),
    personal: z
      .record(z.string(), z.string())
      .optional()
      .describe('Personal data a council chose to include, hashed or redacted as configured; absent by default'),
  })
  .strict();
export type CaseEventData = z.infer<typeof CaseEventData>;

export const CaseEvent = z
  .object({
    specversion: z.literal('1.0'),
    id: z
      .string()
      .regex(/^[0-9a-f]{32}$/, '32 lowercase hex characters')
      .describe('Deterministic and unique per change (scheme v2): a hash of council, connector, case reference, casesequence, change kind and a fingerprint of the normalised case. A replay of the same change gives the same id; two different changes never share one. Dedupe on it'),
    source: z.string().regex(/^\/councils\/[ENSW]\d{8}\/connectors\/[a-z0-9][a-z0-9-]*$/).describe('/councils/{gss}/connectors/{connector}'),
    type: z.enum([
      eventTypeFor('created'),
      eventTypeFor('updated'),
      eventTypeFor('status_changed'),
      eventTypeFor('closed'),
    ]),
    subject: z.string().min(1).describe('The case reference'),
    time: Timestamp.describe('When the change happened (data.case.updatedAt)'),
    datacontenttype: z.literal('application/json'),
    dataschema: z.literal(DATA_SCHEMA_URI),
    casesequence: CaseSequence.optional().describe(
      'CloudEvents extension attribute (Integer): per-case sequence, 1 for the first event of a case from this source, +1 per published change; a gap means an event is missing. Absent on events written before casebridge added it',
    ),
    data: CaseEventData,
  })
  .strict();
export type CaseEvent = z.infer<typeof CaseEvent>;

/** What a connector's mapping produces: the case as it is now, before change detection. */
export const CaseSnapshot = CaseEventData.omit({ change: true, sequence: true });
export type CaseSnapshot = z.infer<typeof CaseSnapshot>;
