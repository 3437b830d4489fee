/**
 * The PostgreSQL state schema, as numbered migrations. Every gateway runs them at start, inside one
 * transaction holding an advisory lock, so two gateways starting together neither race nor see a
 * half-made schema. A migration, once released, is never edited: changes are new numbers.
 */
import type pg from 'pg';

export interface Migration {
  version: number;
  name: string;
  /** Statements run in order; `{schema}` is replaced by the quoted schema name. */
  statements: string[];
}

/*
 * Keys and names are COLLATE "C" so `ORDER BY key` is code-point order, as in the SQLite store
 * (whatever the database's default collation), and the primary-key index serves keyset pages.
 * Values are the JSON text the SQLite store keeps: jsonb would reorder object keys, drop
 * duplicate ones and refuse \u0000, so a value would not always come back as it was written.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'checkpoints, kv and connector leases',
    statements: [
      `CREATE TABLE {schema}.casebridge_checkpoints (
        connector text COLLATE "C" PRIMARY KEY,
        checkpoint text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE {schema}.casebridge_kv (
        connector text COLLATE "C" NOT NULL,
        namespace text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        value text NOT NULL,
        PRIMARY KEY (connector, namespace, key)
      )`,
      // Written by the fleet (connector leases); read by every fenced commit. `token` grows by one
      // each time the lease changes holder and is never reused.
      `CREATE TABLE {schema}.casebridge_leases (
        connector text COLLATE "C" PRIMARY KEY,
        holder text NOT NULL,
        token bigint NOT NULL,
        acquired_at timestamptz NOT NULL,
        renewed_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`,
    ],
  },
];

/** Arbitrary constant: the advisory-lock class for casebridge migrations (second key: the schema). */
const LOCK_CLASS = 0x6361_7365; // "case"

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Brings `schema` up to the newest migration; returns the versions applied now (empty when current). */
export async function migrate(client: pg.ClientBase, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const q = quoteIdent(schema);
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
    // Looked up before creating: CREATE ... IF NOT EXISTS checks the CREATE privilege even when
    // the object exists, and a gateway's role may have only USAGE on an existing schema.
    const exists = await client.query('SELECT to_regclass($1) IS NOT NULL AS ok', [`${q}.casebridge_schema_migrations`]);
    if (!exists.rows[0].ok) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
      await client.query(`CREATE TABLE ${q}.casebridge_schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    }
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${q}.casebridge_schema_migrations`);
    const done = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...migrations.map((m) => m.version));
    const ahead = [...done].filter((v) => v > newest);
    if (ahead.length) {
      throw new Error(`schema ${schema} has migration ${Math.max(...ahead)} but this casebridge knows only up to ${newest}: a newer version of casebridge made it; run that version (or newer)`);
    }
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      for (const sql of m.statements) await client.query(sql.replaceAll('{schema}', q));
      await client.query(`INSERT INTO ${q}.casebridge_schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return applied;
}
