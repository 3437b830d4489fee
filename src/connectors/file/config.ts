/**
 * Config of the `file` connector kind: CSV, XML, JSON and JSON Lines exports dropped into a local
 * folder or onto an SFTP server.
 *
 * Groups, in the order a council IT person thinks about them:
 *   where the files are      path, pattern, ignore, sftp
 *   when a file is complete  ready (minimum age, stable size, marker file)
 *   how to read it           format (csv / xml / json / jsonl, encoding, delimiter, ...)
 *   what a file means        mode (delta: each row is a change; snapshot: all open cases)
 *   when to give up on it    rejects (threshold that rejects a whole file)
 *   what happens afterwards  after (move to processed / delete / keep; rejected folder)
 */
import { z } from 'zod';
import { connectorBase, MaxCloseShare } from '../../config/common.js';
import { ByteSize, Duration, Secret } from '../../core/units.js';
import { formatTypeFromName, KNOWN_EXTENSIONS } from './format-inference.js';

export const Encoding = z
  .string()
  .min(1)
  .default('auto')
  .describe(
    'Text encoding: "auto" (UTF-8 with or without BOM when the bytes are valid UTF-8, else windows-1252), or a name iconv-lite knows: utf-8, windows-1252, iso-8859-1, utf-16le ...',
  );

/** A glob matched against the file name only (no folders), e.g. "*.csv" or "CRM_Export_*.{csv,CSV}". */
const Glob = z.string().min(1);

export const CsvFormat = z
  .object({
    type: z.literal('csv'),
    encoding: Encoding,
    delimiter: z.string().min(1).max(4).default(',').describe('Field separator, e.g. "," ";" "|" or "\\t"'),
    quote: z.string().length(1).default('"').describe('Quote character around fields holding delimiters or line breaks'),
    escape: z.string().length(1).default('"').describe('Escapes a quote inside a quoted field (CSV standard: the quote doubled)'),
    header: z.boolean().default(true).describe('The first line (after skipLines) names the columns'),
    columns: z.array(z.string().min(1)).min(1).optional().describe('Column names for a file without a header row (header: false)'),
    skipLines: z.number().int().min(0).default(0).describe('Lines before the header to ignore (titles, report banners)'),
    trim: z.boolean().default(false).describe('Trim spaces around unquoted fields'),
    relaxQuotes: z.boolean().default(false).describe('Accept a quote inside an unquoted field (5" pipe) instead of rejecting the row'),
    maxRecordSize: z.number().int().min(1024).default(1_048_576).describe('Characters one row may hold; bounds memory when a quote is never closed'),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (!f.header && !f.columns) ctx.addIssue({ code: 'custom', path: ['columns'], message: 'a file without a header row (header: false) needs `columns` to name its fields' });
    if (f.header && f.columns) ctx.addIssue({ code: 'custom', path: ['columns'], message: '`columns` is only for files without a header row; with header: true the header names the columns' });
  });
export type CsvFormat = z.infer<typeof CsvFormat>;

export const XmlFormat = z
  .object({
    type: z.literal('xml'),
    encoding: Encoding.describe('As for CSV; "auto" also honours the XML declaration\'s encoding'),
    recordElement: z
      .string()
      .regex(/^[A-Za-z_][\w.-]*$/, 'an element name without prefix, e.g. ServiceRequest')
      .describe('Name (without namespace prefix) of the element that holds one record; each is parsed on its own so memory stays flat'),
    removeNamespacePrefix: z.boolean().default(true).describe('Drop ns: prefixes from element and attribute names'),
    maxRecordSize: z.number().int().min(1024).default(10_485_760).describe('Characters one record element may hold'),
  })
  .strict();
export type XmlFormat = z.infer<typeof XmlFormat>;

export const JsonFormat = z
  .object({
    type: z.literal('json'),
    encoding: Encoding,
    recordPath: z.string().optional().describe('Path to the array of records, e.g. "data.cases"; default: the document itself (an array, or one object)'),
    maxFileSize: z.number().int().min(1024).default(104_857_600).describe('A JSON document is parsed whole; bigger files are rejected (use jsonl for large exports)'),
  })
  .strict();
export type JsonFormat = z.infer<typeof JsonFormat>;

export const JsonLinesFormat = z
  .object({
    type: z.literal('jsonl'),
    encoding: Encoding,
    recordPath: z.string().optional().describe('Path inside each line to the record, e.g. "payload"; default: the line itself'),
    maxRecordSize: z.number().int().min(1024).default(10_485_760).describe('Characters one line may hold'),
  })
  .strict();
export type JsonLinesFormat = z.infer<typeof JsonLinesFormat>;

export const FileFormat = z.discriminatedUnion('type', [CsvFormat, XmlFormat, JsonFormat, JsonLinesFormat]);
export type FileFormat = z.infer<typeof FileFormat>;

export const SftpConfig = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    username: z.string().min(1),
    password: Secret.optional().describe('Use a ${env:…} or ${file:…} reference'),
    privateKey: Secret.optional().describe('Private key text (OpenSSH or PEM); use ${file:/path/to/key}'),
    passphrase: Secret.optional().describe('Passphrase of an encrypted private key'),
    hostKey: z
      .union([z.string(), z.array(z.string()).min(1)])
      .describe('Pinned host key fingerprint(s) as OpenSSH prints them: "SHA256:…" (ssh-keyscan host | ssh-keygen -lf -). No trust on first use.'),
    connectTimeout: Duration.default('20s'),
    reconnect: z
      .object({
        initial: Duration.default('1s'),
        max: Duration.default('1m'),
        attempts: z.number().int().min(1).max(100).default(5).describe('Connection attempts per run before the run fails (and the runtime retries later)'),
      })
      .strict()
      .default({ initial: '1s', max: '1m', attempts: 5 }),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!s.password && !s.privateKey) ctx.addIssue({ code: 'custom', path: ['password'], message: 'give a password or a privateKey (from ${env:…} or ${file:…})' });
    for (const [i, fp] of (Array.isArray(s.hostKey) ? s.hostKey : [s.hostKey]).entries()) {
      if (!/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(fp.trim())) {
        ctx.addIssue({
          code: 'custom',
          path: Array.isArray(s.hostKey) ? ['hostKey', i] : ['hostKey'],
          message: 'expected a SHA256 fingerprint like "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8" (ssh-keygen -lf)',
        });
      }
    }
  });
export type SftpConfig = z.infer<typeof SftpConfig>;

export const ReadyRules = z
  .object({
    minAge: Duration.default('0s').describe('The file was last modified at least this long ago'),
    stableFor: Duration.default('2s').describe('Size and modification time unchanged across two looks this far apart ("0s" turns the check off)'),
    marker: z
      .string()
      .min(1)
      .optional()
      .describe('Read a file only once its marker exists, e.g. "{name}.done" (export.csv.done) or "{stem}.ok" (export.ok); the marker is moved or deleted with it'),
  })
  .strict();
export type ReadyRules = z.infer<typeof ReadyRules>;

export const AfterRules = z
  .object({
    action: z
      .enum(['move', 'delete', 'keep'])
      .default('move')
      .describe('After its events are published and committed: move the file to `processed`, delete it, or keep it where it is (the ledger stops it being read twice)'),
    processed: z.string().min(1).default('processed').describe('Folder for processed files (relative to `path`)'),
    rejected: z.string().min(1).default('rejected').describe('Folder for files that could not be read, with <name>.reason.txt next to each (relative to `path`)'),
    duplicates: z.string().min(1).default('duplicates').describe('Folder for a file whose exact content was already processed (relative to `path`)'),
  })
  .strict();
export type AfterRules = z.infer<typeof AfterRules>;

export const RejectRules = z
  .object({
    maxCount: z.number().int().min(0).optional().describe('Reject the whole file once more than this many rows are rejected'),
    maxRatio: z.number().min(0).max(1).default(0.5).describe('Reject the whole file when more than this share of its rows is rejected'),
    minRows: z.number().int().min(1).default(20).describe('The ratio is judged only once this many rows were read (and always at the end)'),
  })
  .strict();
export type RejectRules = z.infer<typeof RejectRules>;

export const FileConnectorConfig = connectorBase
  .extend({
    type: z.literal('file'),
    path: z
      .string()
      .min(1)
      .describe('Folder the exports land in: local (relative to the config file) or, with `sftp`, on the server (relative to the login folder)'),
    pattern: z.union([Glob, z.array(Glob).min(1)]).default('*.csv').describe('Glob(s) on the file name, e.g. "*.csv" or ["CRM_*.csv", "CRM_*.CSV"]'),
    ignore: z
      .array(Glob)
      .default(['*.tmp', '*.part', '*.partial', '*.filepart', '.*', '~*'])
      .describe('Names never read: temp files of a write-then-rename upload, hidden files'),
    order: z.enum(['mtime', 'name']).default('mtime').describe('Read files oldest first (mtime) or in name order (names carrying a timestamp)'),
    sftp: SftpConfig.optional().describe('Read from an SFTP server instead of a local folder'),
    watch: z
      .boolean()
      .default(false)
      .describe('Local folders only: run continuously and pick a file up within seconds of it being complete (fs.watch plus a short poll)'),
    pollInterval: Duration.default('2s').describe('Watch mode: rescan at least this often (fs.watch misses events on network shares)'),
    ready: ReadyRules.default({ minAge: '0s', stableFor: '2s' }),
    format: FileFormat.optional().describe(`How to read the files; when absent, each file is read by its extension (${KNOWN_EXTENSIONS}) with the defaults below`),
    mode: z.enum(['delta', 'snapshot']).default('delta').describe('delta: every record is a change; snapshot: each file lists every open case'),
    batchBytes: ByteSize.default('1MB').describe(
      'A batch also ends once its records hold about this much text (batchSize bounds the rows): wide exports (long notes columns) then go in smaller batches, which keeps memory flat',
    ),
    snapshot: z
      .object({
        onMissing: z.enum(['close', 'ignore']).default('close').describe('A case missing from a full export: emit a closed event, or ignore it'),
        allowEmpty: z.boolean().default(false).describe('Accept a snapshot with no records (otherwise it is rejected: it would close every case)'),
        maxCloseShare: MaxCloseShare,
      })
      .strict()
      .default({ onMissing: 'close', allowEmpty: false, maxCloseShare: 0.5 }),
    rejects: RejectRules.default({ maxRatio: 0.5, minRows: 20 }),
    after: AfterRules.default({ action: 'move', processed: 'processed', rejected: 'rejected', duplicates: 'duplicates' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.watch && c.sftp) ctx.addIssue({ code: 'custom', path: ['watch'], message: 'watch is for local folders; an SFTP folder is polled on `schedule`' });
    if (c.watch && c.schedule) ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'a watching connector runs continuously; remove `schedule` or set watch: false' });
    if (!c.format) {
      for (const p of Array.isArray(c.pattern) ? c.pattern : [c.pattern]) {
        const type = formatTypeFromName(p);
        if (!type) {
          ctx.addIssue({
            code: 'custom',
            path: ['format'],
            message: `format is missing and cannot be taken from pattern "${p}", which does not end in ${KNOWN_EXTENSIONS}: add format: { type: csv } (or xml, json, jsonl)`,
          });
        } else if (type === 'xml') {
          ctx.addIssue({ code: 'custom', path: ['format'], message: `pattern "${p}" names XML files, which need the record element: add format: { type: xml, recordElement: … }` });
        }
      }
    }
  });
export type FileConnectorConfig = z.infer<typeof FileConnectorConfig>;
