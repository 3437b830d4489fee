/**
 * Config of the `soap` connector kind: everything a supplier's SOAP service needs, so that adding a
 * supplier is writing YAML, never code. See docs/soap.md for a complete example, field by field.
 */
import { z } from 'zod';
import { ListingSnapshot, connectorBase } from '../../config/common.js';
import { Duration, Secret } from '../../core/units.js';

const PathText = z
  .string()
  .min(1)
  .describe('Path into the operation result: A.B.C, Items[0], * for any one child, $attributes.Name for an XML attribute');

export const TimeRendering = z
  .object({
    zone: z.string().min(1).default('Europe/London').describe('IANA zone the server reads times in (most UK systems ignore offsets and use UK local time)'),
    format: z
      .string()
      .min(1)
      .default("yyyy-MM-dd'T'HH:mm:ss")
      .describe("iso (with offset), epoch, epoch-ms, or a Luxon pattern such as yyyy-MM-dd'T'HH:mm:ss"),
  })
  .strict();
export type TimeRendering = z.infer<typeof TimeRendering>;

const callFields = {
  operation: z.string().min(1).describe('Operation name as in the WSDL (raw mode: used for the SOAPAction default and provenance)'),
  args: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('wsdl mode: the operation arguments, with {{since}} {{until}} {{page}} {{pageSize}} {{offset}} {{token}} {{ref}} {{item.Field}} placeholders'),
  envelope: z.string().min(1).optional().describe('raw mode: file holding the whole SOAP envelope with the same placeholders, plus {{security}} (WS-Security header) and {{args.Name}} (values from args, e.g. credentials) (relative to the config file)'),
  soapAction: z.string().optional().describe('raw mode: SOAPAction header value'),
  timeout: Duration.optional().describe('Overrides the connector timeout for this operation'),
  times: TimeRendering.optional().describe('Overrides the connector `times` for this operation'),
};

export const LoginCall = z
  .object({
    ...callFields,
    token: PathText.describe('Path to the session token in the login result, e.g. LoginResult.Token'),
    ttl: Duration.optional().describe('Log in again after this long even without an expiry error'),
    wsdl: z.string().min(1).optional().describe('Suppliers whose login is a separate authentication service (Bartec): that service\'s WSDL, file or URL'),
    endpoint: z.url({ protocol: /^https?$/ }).optional().describe('Address of the separate authentication service (overrides the address in session.wsdl)'),
  })
  .strict();
export type LoginCall = z.infer<typeof LoginCall>;

export const Paging = z
  .object({
    start: z.number().int().min(0).default(1).describe('Number of the first page ({{page}})'),
    pageSize: z.number().int().min(1).optional().describe('Sent as {{pageSize}}; a page shorter than this is the last one'),
    total: PathText.optional().describe('Path to the total record count (e.g. *.ServiceRequests_Updates.$attributes.RecordCount); stop once that many were read'),
    totalPages: PathText.optional().describe('Path to the number of pages (e.g. *.Result.TotalPages), for suppliers that count pages instead of records; stop after that many pages'),
    maxPages: z.number().int().min(1).default(10_000).describe('Safety bound per window'),
  })
  .strict();
export type Paging = z.infer<typeof Paging>;

export const ListCall = z
  .object({
    ...callFields,
    records: PathText.describe('Path to the records (or references) in the result; one element or many, it does not matter'),
    key: PathText.optional().describe('Path inside each item to its key ({{ref}}), e.g. ServiceRequestID; omit when items are bare references'),
    paging: Paging.optional(),
  })
  .strict();
export type ListCall = z.infer<typeof ListCall>;

export const DetailCall = z
  .object({
    ...callFields,
    records: PathText.describe('Path to the detail record(s) in the result'),
    select: z.enum(['all', 'latest']).default('all').describe('all: every detail record; latest: only the one with the greatest `orderBy` (history operations)'),
    orderBy: PathText.optional().describe('Field to order detail records by (ISO-like times or numbers); needed for select: latest'),
    listAs: z
      .string()
      .regex(/^[A-Za-z_][\w]*$/)
      .optional()
      .describe('Also put the list item into each record under this key, so the mapping can use both'),
    concurrency: z.number().int().min(1).max(32).default(4).describe('Detail calls in flight at once'),
    skipCodes: z.array(z.string()).default([]).describe('In-body or SOAP fault codes meaning "this reference has no details" (deleted, not found): that reference becomes a dead letter with the reason; the rest carry on'),
  })
  .strict()
  .refine((d) => d.select !== 'latest' || d.orderBy !== undefined, { message: 'select: latest needs orderBy', path: ['orderBy'] });
export type DetailCall = z.infer<typeof DetailCall>;

export const SoapAuth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('basic'), username: z.string().min(1), password: Secret }).strict(),
  z
    .object({
      type: z.literal('wsse'),
      username: z.string().min(1),
      password: Secret,
      passwordType: z.enum(['PasswordText', 'PasswordDigest']).default('PasswordText'),
      timestamp: z.boolean().default(true).describe('Add a wsu:Timestamp'),
    })
    .strict(),
  z
    .object({
      type: z.literal('certificate'),
      cert: z.string().min(1).describe('PEM client certificate file (relative to the config file)'),
      key: z.string().min(1).describe('PEM private key file'),
      passphrase: Secret.optional(),
    })
    .strict(),
]);
export type SoapAuth = z.infer<typeof SoapAuth>;

export const ErrorRules = z
  .object({
    code: PathText.optional().describe('Path to an in-body error code, e.g. *.Errors.Result'),
    message: PathText.optional().describe('Path to the in-body error message, e.g. *.Errors.Message'),
    success: z.array(z.string()).default(['0']).describe('In-body codes that mean success'),
    retriable: z.array(z.string()).default([]).describe('In-body or SOAP fault codes worth retrying later (server busy, locked)'),
    sessionExpired: z.array(z.string()).default([]).describe('In-body or fault codes meaning the session token expired: log in again and repeat the call once'),
  })
  .strict();
export type ErrorRules = z.infer<typeof ErrorRules>;

export const SoapWindow = z
  .object({
    start: z
      .union([z.iso.datetime({ offset: true }), Duration])
      .default('1d')
      .describe('First run only: an ISO time with offset, or a duration before now (7d)'),
    maxSpan: Duration.default('1d').describe('Longest window per request when the list sends {{until}}; a long outage is caught up in steps. Ignored for since-only operations'),
    lag: Duration.default('30s').describe('Window end = now minus this, so records still being written are not skipped'),
    overlap: Duration.default('2m').describe('Each window starts this much before the previous end; repeats are harmless (deterministic ids, change detection)'),
  })
  .strict();
export type SoapWindow = z.infer<typeof SoapWindow>;

export const SoapConnectorConfig = connectorBase
  .extend({
    type: z.literal('soap'),
    mode: z.enum(['wsdl', 'raw']).default('wsdl').describe('wsdl: use the WSDL with the soap package; raw: post envelope templates (WSDL missing or broken)'),
    wsdl: z.string().min(1).optional().describe('WSDL file (relative to the config file) or URL; wsdl mode only'),
    endpoint: z.url({ protocol: /^https?$/ }).optional().describe('Service address; overrides the WSDL address (required in raw mode)'),
    service: z.string().optional().describe('WSDL service name when it has several'),
    port: z.string().optional().describe('WSDL port name when the service has several'),
    soapVersion: z.enum(['1.1', '1.2']).default('1.1'),
    allowHosts: z.array(z.string().min(1)).default([]).describe('Extra host[:port] names the WSDL may import from or the service may live on; everything else is refused'),
    timeout: Duration.default('30s').describe('Whole-call deadline, connection to last byte'),
    maxResponseBytes: z.number().int().min(1024).default(16 * 1024 * 1024).describe('Larger responses are refused'),
    auth: SoapAuth.default({ type: 'none' }),
    tls: z
      .object({
        ca: z.string().min(1).optional().describe('PEM file of the CA that signed the supplier certificate'),
        rejectUnauthorized: z.boolean().default(true),
      })
      .strict()
      .optional(),
    httpHeaders: z.record(z.string(), z.string()).default({}).describe('Extra HTTP headers on every call'),
    times: TimeRendering.default({ zone: 'Europe/London', format: "yyyy-MM-dd'T'HH:mm:ss" }),
    window: SoapWindow.default({ start: '1d', maxSpan: '1d', lag: '30s', overlap: '2m' }),
    session: LoginCall.optional().describe('Login operation returning a session token ({{token}})'),
    list: ListCall.describe('The "changed since" operation, or the one listing changed references'),
    detail: DetailCall.optional().describe('One call per listed item for its details (two-step suppliers)'),
    errors: ErrorRules.default({ success: ['0'], retriable: [], sessionExpired: [] }),
    alwaysArray: z.array(z.string().min(1)).default([]).describe('Element names that are lists even when one comes back, e.g. EnquiryStatusLog'),
    snapshot: ListingSnapshot.optional().describe(
      'Full-listing mode: the list operation returns ALL open cases on every poll (no {{since}}/{{until}}, no window); a remembered open case it stops listing is closed. Without it, the list returns changes since a time',
    ),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'wsdl' && !c.wsdl) ctx.addIssue({ code: 'custom', path: ['wsdl'], message: 'wsdl mode needs `wsdl` (a file or URL); use mode: raw for services without one' });
    if (c.mode === 'raw') {
      if (!c.endpoint) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'raw mode needs `endpoint`' });
      if (c.wsdl) ctx.addIssue({ code: 'custom', path: ['wsdl'], message: 'raw mode does not read a WSDL; remove `wsdl` or use mode: wsdl' });
      for (const key of ['session', 'list', 'detail'] as const) {
        const call = c[key];
        if (call && !call.envelope) ctx.addIssue({ code: 'custom', path: [key, 'envelope'], message: 'raw mode needs an envelope template file for every operation' });
      }
    } else {
      for (const key of ['session', 'list', 'detail'] as const) {
        const call = c[key];
        if (call?.envelope) ctx.addIssue({ code: 'custom', path: [key, 'envelope'], message: 'envelope is for mode: raw; in wsdl mode use args' });
      }
    }
  });
export type SoapConnectorConfig = z.infer<typeof SoapConnectorConfig>;
