/**
 * Config of the `sql` connector kind: a database reached through a small read-only pool, read
 * either incrementally by (updated-at, key) or as keyset-paged snapshots, from a table or from a
 * custom SELECT whose named parameters are always bound. See docs/sql.md.
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { connectorBase, MaxCloseShare } from '../../config/common.js';
import { Duration, Secret } from '../../core/units.js';
import { findNamedParams } from './params.js';

export const SqlDialectName = z
  .enum(['postgres', 'mysql', 'mariadb', 'mssql'])
  .describe('postgres (pg), mysql / mariadb (mysql2), mssql (SQL Server via tedious)');
export type SqlDialectName = z.infer<typeof SqlDialectName>;

/** A port may arrive as text from an ${env:} reference. */
const Port = z.union([z.number().int().min(1).max(65535), z.string().regex(/^\d{1,5}$/, 'a port number').transform(Number)]);

const Identifier = z
  .string()
  .min(1)
  .max(128)
  .refine((s) => !/[\u0000]/.test(s), 'an identifier without NUL characters')
  .describe('A table or column name exactly as the database catalogue knows it; it is checked and quoted, never pasted into SQL');

export const SqlTls = z
  .object({
    mode: z
      .enum(['disable', 'require', 'verify-full'])
      .default('verify-full')
      .describe('disable: plain TCP; require: encrypt but accept any certificate; verify-full (default): encrypt and verify the certificate and host name'),
    ca: z.string().min(1).optional().describe('CA certificate(s): PEM text (e.g. ${file:/etc/casebridge/db-ca.pem}) or a path relative to the config file'),
    cert: z.string().min(1).optional().describe('Client certificate (PEM text or path), for databases that authenticate by certificate'),
    key: Secret.optional().describe('Client private key (PEM text or path); use a ${file:…} reference'),
    servername: z.string().min(1).optional().describe('Host name expected in the server certificate, when it differs from `host`'),
  })
  .strict();
export type SqlTls = z.infer<typeof SqlTls>;

export const SqlConnection = z
  .object({
    dialect: SqlDialectName,
    host: z.string().min(1),
    port: Port.optional().describe('Default: 5432 postgres, 3306 mysql/mariadb, 1433 mssql'),
    database: z.string().min(1),
    user: z.string().min(1).describe('A read-only account (see docs/sql.md); use an ${env:…} reference'),
    password: Secret.optional().describe('Use an ${env:…} or ${file:…} reference; never written in the config'),
    instanceName: z.string().min(1).optional().describe('SQL Server named instance (mssql only)'),
    tls: SqlTls.default({ mode: 'verify-full' }),
    poolMax: z.number().int().min(1).max(4).default(2).describe('Connections kept open (1–4): the gateway reads one page at a time'),
    connectTimeout: Duration.default('15s'),
    queryTimeout: Duration.default('60s').describe('A page query running longer is cancelled (server-side where supported) and retried later'),
    readOnlySession: z
      .boolean()
      .default(true)
      .describe('Set every session read-only (PostgreSQL, MySQL, MariaDB) or ask for read-only intent (SQL Server). Keep on; use a read-only account as well'),
  })
  .strict();
export type SqlConnection = z.infer<typeof SqlConnection>;

const TableSource = {
  table: Identifier.optional().describe('Table or view to read (mutually exclusive with `sql`)'),
  schema: Identifier.optional().describe('Schema of `table`; default: public (postgres), the connected database (mysql), dbo (mssql)'),
  columns: z.array(Identifier).min(1).optional().describe('Columns to read from `table`; default all. The key and updated-at columns are always read'),
  sql: z
    .string()
    .min(1)
    .optional()
    .describe('A custom SELECT (a view or a join) with named parameters such as :since, :until, :after_key, :limit; they are always bound, never pasted in'),
  label: z.string().min(1).optional().describe('Name used as provenance `table` for rows of a custom `sql` query; default "query"'),
};

export const IncrementalRead = z
  .object({
    mode: z.literal('incremental'),
    ...TableSource,
    updatedAt: Identifier.describe('Column holding when the row last changed (timestamp / datetime / datetime2 / datetimeoffset)'),
    key: Identifier.describe('Unique key column; ties on updatedAt are ordered by it'),
    lag: Duration.default('2m').describe('Rows are read only up to the database clock minus this window, so a transaction committing late with an earlier timestamp is still read (docs/sql.md)'),
    start: z.iso.datetime({ offset: true, local: true }).optional().describe('First run: read rows changed after this time (default: all rows)'),
  })
  .strict();
export type IncrementalRead = z.infer<typeof IncrementalRead>;

export const SnapshotRead = z
  .object({
    mode: z.literal('snapshot'),
    ...TableSource,
    key: Identifier.describe('Unique key column; the table is read in pages ordered by it'),
    onMissing: z
      .enum(['close', 'ignore'])
      .default('ignore')
      .describe('A case of this connector absent from a complete snapshot: close emits a closed event, ignore emits nothing'),
    maxCloseShare: MaxCloseShare,
  })
  .strict();
export type SnapshotRead = z.infer<typeof SnapshotRead>;

export const SqlRead = z.discriminatedUnion('mode', [IncrementalRead, SnapshotRead]);
export type SqlRead = z.infer<typeof SqlRead>;

/** Named parameters a custom query must use in each mode, and the ones it may use. */
export const REQUIRED_PARAMS: Record<SqlRead['mode'], readonly string[]> = {
  incremental: ['since', 'after_key', 'until', 'limit'],
  snapshot: ['after_key', 'limit'],
};
export const KNOWN_PARAMS: readonly string[] = ['since', 'after_key', 'until', 'limit'];

export const SqlConnectorConfig = connectorBase
  .extend({
    type: z.literal('sql'),
    connection: SqlConnection,
    timezone: z
      .string()
      .default('Europe/London')
      .refine((z) => IANAZone.isValidZone(z), 'an IANA time zone such as Europe/London')
      .describe('Zone of timestamp columns stored without one (timestamp, datetime, datetime2)'),
    read: SqlRead,
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const p of sqlConfigProblems(cfg.read, cfg.connection.dialect)) ctx.addIssue({ code: 'custom', path: ['read', ...p.path], message: p.message });
  });
export type SqlConnectorConfig = z.infer<typeof SqlConnectorConfig>;

/**
 * Problems a config can show without a database: table xor sql, and the named parameters of a
 * custom query. Shared by the schema (so `validate` reports them with file:line) and the factory.
 */
export function sqlConfigProblems(read: SqlRead, dialect: SqlDialectName): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  if (read.table === undefined && read.sql === undefined) out.push({ path: ['table'], message: 'give either `table` or a custom `sql` query' });
  if (read.table !== undefined && read.sql !== undefined) out.push({ path: ['sql'], message: '`table` and `sql` are mutually exclusive; give one' });
  if (read.sql !== undefined) {
    if (read.columns) out.push({ path: ['columns'], message: '`columns` applies to `table`; a custom `sql` query selects its own columns' });
    if (read.schema) out.push({ path: ['schema'], message: '`schema` applies to `table`; qualify names inside the custom `sql` query instead' });
    let names: string[];
    try {
      names = findNamedParams(read.sql, { backslashEscapes: dialect === 'mysql' || dialect === 'mariadb' });
    } catch (e) {
      out.push({ path: ['sql'], message: (e as Error).message });
      return out;
    }
    for (const n of names) {
      if (!KNOWN_PARAMS.includes(n)) out.push({ path: ['sql'], message: `unknown parameter :${n}; the parameters are ${KNOWN_PARAMS.map((p) => ':' + p).join(', ')}` });
    }
    for (const need of REQUIRED_PARAMS[read.mode]) {
      if (!names.includes(need)) out.push({ path: ['sql'], message: `the ${read.mode} query must use the parameter :${need} (${PARAM_HELP[need]})` });
    }
    const text = stripSqlNoise(read.sql);
    if (!/^\s*(select|with)\b/i.test(text)) out.push({ path: ['sql'], message: 'the custom query must be a single SELECT (or WITH … SELECT) statement' });
    if (/;\s*\S/.test(text)) out.push({ path: ['sql'], message: 'the custom query must be one statement (found a ";" followed by more SQL)' });
    if (!/\border\s+by\b/i.test(text)) {
      out.push({ path: ['sql'], message: `the custom query must end with ORDER BY ${read.mode === 'incremental' ? `${read.updatedAt}, ${read.key}` : read.key} so pages follow the key` });
    }
  }
  return out;
}

const PARAM_HELP: Record<string, string> = {
  since: 'updated-at of the last row read, e.g. (t.updated_at > :since OR (t.updated_at = :since AND t.id > :after_key))',
  after_key: 'key of the last row read',
  until: 'upper bound: the database clock minus `lag`, e.g. AND t.updated_at <= :until',
  limit: 'page size, e.g. LIMIT :limit (PostgreSQL, MySQL) or TOP (:limit) (SQL Server)',
};

/** The query text with string literals, quoted identifiers and comments blanked, for shape checks. */
function stripSqlNoise(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/`(?:[^`]|``)*`/g, '``')
    .replace(/\[[^\]]*\]/g, '[]');
}
