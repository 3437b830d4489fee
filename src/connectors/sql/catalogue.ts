/**
 * Table and column names from the config, checked against the database catalogue
 * (information_schema) before any of them reaches SQL — and then only quoted. A name that is not
 * there stops the connector at startup with the names that are closest.
 */
import { ConfigError } from '../../core/errors.js';
import type { CatalogueColumn, SqlPool } from './dialect.js';
import { distance } from 'fastest-levenshtein';

export interface ResolvedTable {
  schema: string;
  name: string;
  /** Quoted and schema-qualified, ready for SQL. */
  sql: string;
  columns: CatalogueColumn[];
}


/** Up to `n` candidates close to `word` (edit distance, or one containing the other), closest first. */
export function nearMatches(word: string, candidates: readonly string[], n = 3): string[] {
  const w = word.toLowerCase();
  return candidates
    .map((c) => {
      const lc = c.toLowerCase();
      const d = distance(w, lc);
      const contains = lc.includes(w) || w.includes(lc);
      return { c, score: contains ? Math.min(d, 1) : d };
    })
    .filter((x) => x.score <= Math.max(2, Math.floor(w.length / 3)))
    .sort((a, b) => a.score - b.score || a.c.localeCompare(b.c))
    .slice(0, n)
    .map((x) => x.c);
}

/** Exact match first; otherwise a single case-insensitive match (unquoted names fold case). */
export function matchName(wanted: string, available: readonly string[]): string | undefined {
  if (available.includes(wanted)) return wanted;
  const ci = available.filter((a) => a.toLowerCase() === wanted.toLowerCase());
  return ci.length === 1 ? ci[0] : undefined;
}

function suggestion(word: string, available: readonly string[]): string {
  const near = nearMatches(word, available);
  if (near.length) return `; near matches: ${near.join(', ')}`;
  const some = available.slice(0, 12);
  return available.length ? `; it has: ${some.join(', ')}${available.length > some.length ? ', …' : ''}` : '';
}

export async function resolveTable(pool: SqlPool, wanted: { schema?: string; table: string }, connector: string): Promise<ResolvedTable> {
  const d = pool.dialect;
  let schema = wanted.schema;
  if (schema === undefined) {
    const { rows } = await pool.query(d.currentSchemaSql, {}, { operation: 'read catalogue' });
    schema = String(rows[0]?.schema_name ?? '');
    if (!schema) throw new ConfigError('cannot tell which schema unqualified table names resolve to; set read.schema', { context: { connector, field: 'read.schema' } });
  }
  const { rows: tableRows } = await pool.query(d.tablesSql, { schema }, { operation: 'read catalogue' });
  const tables = tableRows.map((r) => String(r.table_name));
  const name = matchName(wanted.table, tables);
  if (name === undefined) {
    const where = tables.length ? `schema "${schema}"` : `schema "${schema}" (no tables visible to this account there)`;
    throw new ConfigError(`table "${wanted.table}" does not exist in ${where}${suggestion(wanted.table, tables)}`, {
      context: { connector, table: wanted.table, field: 'read.table' },
    });
  }
  const { rows: colRows } = await pool.query(d.columnsSql, { schema, table: name }, { operation: 'read catalogue' });
  const columns = colRows.map((r) => ({
    name: String(r.column_name),
    dataType: String(r.data_type).toLowerCase(),
    nullable: String(r.is_nullable).toUpperCase() === 'YES',
  }));
  return { schema, name, sql: d.qualify(schema, name), columns };
}

/** The catalogue column a config name refers to, or a ConfigError naming table and column. */
export function resolveColumn(table: ResolvedTable, wanted: string, field: string, connector: string): CatalogueColumn {
  const names = table.columns.map((c) => c.name);
  const name = matchName(wanted, names);
  if (name === undefined) {
    throw new ConfigError(`table "${table.schema}.${table.name}" has no column "${wanted}" (${field})${suggestion(wanted, names)}`, {
      context: { connector, table: `${table.schema}.${table.name}`, field },
    });
  }
  return table.columns.find((c) => c.name === name)!;
}

/** Column names a custom query's result must contain (updatedAt, key), checked the same way. */
export function resolveResultColumn(available: readonly string[], wanted: string, field: string, label: string, connector: string): string {
  const name = matchName(wanted, available);
  if (name === undefined) {
    throw new ConfigError(`the custom query (${label}) returns no column "${wanted}" (${field})${suggestion(wanted, available)}`, {
      context: { connector, table: label, field },
    });
  }
  return name;
}

const TIMESTAMP_TYPES = new Set([
  'timestamp without time zone',
  'timestamp with time zone',
  'timestamp',
  'timestamptz',
  'datetime',
  'datetime2',
  'smalldatetime',
  'datetimeoffset',
]);

export function isTimestampType(dataType: string): boolean {
  return TIMESTAMP_TYPES.has(dataType.toLowerCase());
}

const UNKEYABLE = /^(bytea|blob|tinyblob|mediumblob|longblob|binary|varbinary|image|json|jsonb|xml|geometry|geography|ntext|tinytext|mediumtext|longtext|array|user-defined)$/;

/** Key columns must compare cheaply and exactly; large objects and binary values cannot be a keyset position. */
export function isKeyableType(dataType: string): boolean {
  return !UNKEYABLE.test(dataType.toLowerCase());
}
