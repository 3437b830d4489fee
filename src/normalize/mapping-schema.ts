/**
 * The mapping language council IT write in YAML: how one supplier record becomes a case.
 * Declarative fields cover almost everything; `jsonata` is the escape hatch (never eval).
 * Compiled once per connector by compile-mapping.ts into a plain function.
 */
import { z } from 'zod';
import { ClosureReasonCode, LifecycleStatus } from '../event/case-event.js';
import { DateFormat } from '../core/date-format.js';

export { DateFormat };

export const DateSpec = z.union([
  DateFormat,
  z
    .object({
      format: z.union([DateFormat, z.array(DateFormat).min(1)]).describe('One format, or several tried in order'),
      zone: z.string().optional().describe('IANA zone for values without an offset; default the mapping timezone (Europe/London)'),
    })
    .strict(),
]);
export type DateSpec = z.infer<typeof DateSpec>;

const ValueSpecBase = z
  .object({
    path: z.string().min(1).optional().describe('Field path: `A`, `A.B`, `Items[0].Code`, a column name with spaces and dots quoted in brackets: `["Stage Desc."]`, an XML attribute: `ServiceLocation.@Easting` (or `ServiceLocation.$attributes.Easting`). One element or a list of them reads the same; an element with attributes reads as its text'),
    const: z.union([z.string(), z.number(), z.boolean()]).optional().describe('A constant value'),
    template: z.string().optional().describe('Text with {path} placeholders, e.g. "{Street}, {Town}"'),
    jsonata: z.string().optional().describe('A JSONata expression over the record (escape hatch)'),
    trim: z.boolean().optional().describe('Trim whitespace (default true)'),
    case: z.enum(['upper', 'lower', 'title']).optional(),
    nullIf: z.array(z.string()).optional().describe('Values that mean "no value", e.g. ["0001-01-01T00:00:00", "N/A"]'),
    number: z.boolean().optional().describe('Parse as a number ("1,234.5" allowed)'),
    date: DateSpec.optional(),
    default: z.union([z.string(), z.number(), z.boolean()]).optional().describe('Used when the value is missing or empty'),
  })
  .strict();

export type ValueSpec =
  | string
  | (z.infer<typeof ValueSpecBase> & { first?: ValueSpec[] });

/** A value: a bare string is a field path; an object combines a source and transforms. */
export const ValueSpec: z.ZodType<ValueSpec> = z.lazy(() =>
  z.union([
    z.string().min(1).describe('Field path shorthand'),
    ValueSpecBase.extend({
      first: z.array(ValueSpec).min(1).optional().describe('First non-empty of several values'),
    }).strict(),
  ]),
);

export const StatusLookupEntry = z
  .object({
    status: LifecycleStatus,
    label: z.string().optional().describe('Public wording for residents'),
  })
  .strict();
export type StatusLookupEntry = z.infer<typeof StatusLookupEntry>;

export const ServiceLookupEntry = z
  .object({
    name: z.string().min(1),
    category: z.string().optional(),
    lgsl: z.number().int().positive().optional(),
  })
  .strict();
export type ServiceLookupEntry = z.infer<typeof ServiceLookupEntry>;

export const StatusLookup = z
  .object({
    kind: z.literal('status').default('status'),
    entries: z.record(z.string(), StatusLookupEntry),
    default: StatusLookupEntry.optional().describe('For codes not in entries; without it an unknown code is a dead letter'),
    caseInsensitive: z.boolean().optional(),
  })
  .strict();

export const ServiceLookup = z
  .object({
    kind: z.literal('service'),
    entries: z.record(z.string(), ServiceLookupEntry),
    default: ServiceLookupEntry.optional(),
    caseInsensitive: z.boolean().optional(),
  })
  .strict();

export const ClosureLookupEntry = z.union([
  ClosureReasonCode,
  z.object({ code: ClosureReasonCode, label: z.string().min(1).optional().describe('Public wording for residents') }).strict(),
]);
export type ClosureLookupEntry = z.infer<typeof ClosureLookupEntry>;

export const ClosureLookup = z
  .object({
    kind: z.literal('closure'),
    entries: z.record(z.string(), ClosureLookupEntry).describe('Supplier closure code → reason, e.g. DUP: duplicate'),
    default: ClosureLookupEntry.optional().describe('For codes not in entries; without it an unknown code is a dead letter'),
    caseInsensitive: z.boolean().optional(),
  })
  .strict();

export const Lookup = z.union([ServiceLookup, ClosureLookup, StatusLookup]);
export type Lookup = z.infer<typeof Lookup>;
export const Lookups = z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), Lookup);
export type Lookups = z.infer<typeof Lookups>;

export const PersonalField = z
  .object({
    name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/).describe('Key under data.personal'),
    value: ValueSpec,
    mode: z
      .enum(['omit', 'hash', 'redact', 'include'])
      .default('omit')
      .describe('omit (default): left out; hash: salted SHA-256; redact: "[REDACTED]"; include: verbatim, on purpose'),
  })
  .strict();

export const ClockChangePolicy = z
  .object({
    ambiguous: z
      .enum(['earlier', 'later', 'reject'])
      .default('earlier')
      .describe('A local time that happens twice as the clocks go back (01:30 on the last Sunday of October): the earlier instant (BST, default), the later one (GMT), or reject the record to dead letters'),
    nonexistent: z
      .enum(['shift', 'reject'])
      .default('shift')
      .describe('A local time that never happens as the clocks go forward (01:30 on the last Sunday of March): shift it forward by the gap (default: 01:30 becomes 02:30 BST), or reject the record to dead letters'),
  })
  .strict();
export type ClockChangePolicy = z.infer<typeof ClockChangePolicy>;

export const Mapping = z
  .object({
    timezone: z.string().default('Europe/London').describe('Zone for supplier times without an offset'),
    clockChange: ClockChangePolicy.optional().describe('What to do with supplier local times that fall in a clock change; recorded in the event as provenance.clockChange whenever it applies'),
    filter: z.string().optional().describe('JSONata predicate; records for which it is false are skipped (counted, not dead-lettered)'),
    reference: ValueSpec.describe('Public case reference'),
    supplierId: ValueSpec.optional(),
    description: ValueSpec.optional(),
    service: z
      .object({
        code: ValueSpec.optional(),
        name: ValueSpec.optional(),
        category: ValueSpec.optional(),
        lgsl: ValueSpec.optional(),
        lookup: z.string().optional().describe('Name of a service lookup table keyed by the service code'),
      })
      .strict()
      .default({}),
    status: z
      .object({
        code: ValueSpec,
        label: ValueSpec.optional(),
        lookup: z.string().describe('Name of a status lookup table keyed by the status code'),
      })
      .strict(),
    openedAt: ValueSpec.optional(),
    updatedAt: ValueSpec.optional().describe('Without it (or when empty) casebridge stamps the time it saw the record and says so in provenance'),
    dueAt: ValueSpec.optional(),
    closedAt: ValueSpec.optional(),
    location: z
      .object({
        uprn: ValueSpec.optional(),
        usrn: ValueSpec.optional(),
        address: ValueSpec.optional(),
        postcode: ValueSpec.optional(),
        latitude: ValueSpec.optional(),
        longitude: ValueSpec.optional(),
        easting: ValueSpec.optional().describe('British National Grid; converted to WGS84 when lat/long are absent'),
        northing: ValueSpec.optional(),
        onInvalid: z
          .enum(['reject', 'omit'])
          .optional()
          .describe('A UPRN, USRN, postcode or grid reference that fails its check: reject the record (default) or leave that field out'),
      })
      .strict()
      .optional(),
    closureReason: z
      .object({
        code: ValueSpec.describe("The supplier's closure code; kept as closureReason.supplierCode"),
        lookup: z.string().describe('Name of a closure lookup table keyed by that code'),
      })
      .strict()
      .optional()
      .describe('Why a case was closed; set only while its lifecycle status is closed or cancelled'),
    publicNotes: z
      .array(z.object({ text: ValueSpec, at: ValueSpec.optional() }).strict())
      .optional()
      .describe('The only fields shown to residents as notes: list a field here to mark it public'),
    media: z.array(z.object({ url: ValueSpec, caption: ValueSpec.optional() }).strict()).optional().describe('Photo or document links (http or https)'),
    relatedReferences: z
      .array(z.object({ system: z.string().min(1).describe('e.g. fixmystreet, crm'), reference: ValueSpec }).strict())
      .optional()
      .describe("The same case's references in other systems"),
    personal: z.array(PersonalField).optional(),
    personalSalt: z.string().optional().describe('Salt for hashed personal fields; use a ${env:…} or ${file:…} reference'),
    lookups: Lookups.optional().describe('Tables local to this connector; top-level `lookups` are shared'),
  })
  .strict();
export type Mapping = z.infer<typeof Mapping>;
