/**
 * Two questions for the PostgreSQL state store, answered side by side on this machine:
 *  1. the kv value column: text (JSON as written, what the store uses) against jsonb;
 *  2. the PostgreSQL store against the SQLite store, for the runtime's per-batch work: one
 *     getMany of a batch's cases, then one commit of the checkpoint with the batch's case memory.
 * Rounds alternate between the two sides so background load falls on both; figures are medians.
 *
 *   node --import tsx bench/state/postgres-state.ts [batches] [batchSize]
 * Needs PostgreSQL at 127.0.0.1:5432 (db test, user postgres); uses and drops its own schemas.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { StateStore } from '../../src/core/state-store.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import { openPostgresStateStore } from '../../src/runtime/state/postgres-state-store.js';

const URL = process.env.CB_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const batches = Number(process.argv[2] ?? 40);
const batchSize = Number(process.argv[3] ?? 500);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** About the size of a remembered case (CaseMemory: the last snapshot plus ids), ~1 KB as JSON. */
function memory(i: number, round: number) {
  return {
    snapshot: {
      council: { gss: 'E09000019', name: 'London Borough of Islington' },
      system: { supplier: 'Street services', connector: 'street' },
      case: {
        reference: `CR${String(i).padStart(8, '0')}`,
        service: { code: 'FLY', name: 'Fly-tipping', lgsl: 1017 },
        status: { lifecycle: round % 2 ? 'in_progress' : 'received', code: String(round % 5), label: 'Inspection booked' },
        openedAt: '2025-11-03T14:05:00+00:00',
        updatedAt: new Date(Date.UTC(2025, 10, 3, 14, round)).toISOString(),
        description: 'Black sacks and a mattress left by the bins behind the parade of shops; resident reports it has been there a week.',
      },
      location: { uprn: String(100000000 + i), usrn: '20600123', address: `${i} Upper Street, London`, postcode: 'N1 1XR', latitude: 51.5362, longitude: -0.1033, easting: 531524, northing: 183980 },
      provenance: { connector: 'street', position: { file: 'export.csv', line: i + 2 }, fetchedAt: '2025-11-03T14:06:00+00:00' },
    },
    updatedAt: new Date(Date.UTC(2025, 10, 3, 14, round)).toISOString(),
    lastEventId: randomBytes(16).toString('hex'),
    sequence: round + 1,
  };
}

async function perBatch(store: StateStore, round: number): Promise<number> {
  const s = store.forConnector('street');
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    const keys = Array.from({ length: batchSize }, (_, i) => `CR${String(b * batchSize + i).padStart(8, '0')}`);
    await s.getMany('cases', keys);
    await s.commit({ checkpoint: { file: 'export.csv', line: (b + 1) * batchSize + 1, round }, writes: keys.map((key, i) => ({ op: 'put' as const, namespace: 'cases', key, value: memory(b * batchSize + i, round) })) });
  }
  return (performance.now() - t0) / batches;
}

async function columnRound(pool: pg.Pool, table: string, type: 'text' | 'jsonb', round: number): Promise<{ write: number; read: number }> {
  let write = 0;
  let read = 0;
  for (let b = 0; b < batches; b++) {
    const keys = Array.from({ length: batchSize }, (_, i) => `CR${String(b * batchSize + i).padStart(8, '0')}`);
    const values = keys.map((_, i) => JSON.stringify(memory(b * batchSize + i, round)));
    let t0 = performance.now();
    const { rows } = await pool.query(`SELECT key, value FROM ${table} WHERE connector = $1 AND namespace = $2 AND key = ANY($3::text[])`, ['street', 'cases', keys]);
    // The store hands back parsed values either way: pg parses jsonb itself, text is JSON.parse'd.
    if (type === 'text') for (const r of rows) JSON.parse(r.value as string);
    read += performance.now() - t0;
    t0 = performance.now();
    await pool.query(
      `INSERT INTO ${table} (connector, namespace, key, value) SELECT 'street', 'cases', k, v::${type} FROM unnest($1::text[], $2::text[]) AS u(k, v)
       ON CONFLICT (connector, namespace, key) DO UPDATE SET value = excluded.value`,
      [keys, values],
    );
    write += performance.now() - t0;
  }
  return { write: write / batches, read: read / batches };
}

async function main(): Promise<void> {
  const admin = new pg.Pool({ connectionString: URL, max: 2 });
  const tag = randomBytes(4).toString('hex');
  const schemas = [`cb_bench_col_${tag}`, `cb_bench_store_${tag}`];
  const dir = mkdtempSync(join(os.tmpdir(), 'cb-bench-state-'));
  try {
    // 1. text against jsonb
    await admin.query(`CREATE SCHEMA ${schemas[0]}`);
    for (const type of ['text', 'jsonb']) {
      await admin.query(`CREATE TABLE ${schemas[0]}.kv_${type} (connector text COLLATE "C", namespace text COLLATE "C", key text COLLATE "C", value ${type} NOT NULL, PRIMARY KEY (connector, namespace, key))`);
    }
    const col = { text: { write: [] as number[], read: [] as number[] }, jsonb: { write: [] as number[], read: [] as number[] } };
    for (let round = 0; round < 5; round++) {
      for (const type of round % 2 ? (['jsonb', 'text'] as const) : (['text', 'jsonb'] as const)) {
        const r = await columnRound(admin, `${schemas[0]}.kv_${type}`, type, round);
        if (round > 0) {
          col[type].write.push(r.write);
          col[type].read.push(r.read);
        }
      }
    }
    const size = async (type: string) => Number((await admin.query(`SELECT pg_total_relation_size('${schemas[0]}.kv_${type}') AS n`)).rows[0].n);
    const [textBytes, jsonbBytes] = [await size('text'), await size('jsonb')];

    // 2. PostgreSQL store against SQLite store
    const sqlite = openSqliteStateStore(join(dir, 'state.sqlite'));
    const postgres = await openPostgresStateStore({ url: URL, schema: schemas[1]!, poolSize: 4 });
    const stores = { sqlite: [] as number[], postgres: [] as number[] };
    for (let round = 0; round < 5; round++) {
      for (const name of round % 2 ? (['postgres', 'sqlite'] as const) : (['sqlite', 'postgres'] as const)) {
        const ms = await perBatch(name === 'sqlite' ? sqlite : postgres, round);
        if (round > 0) stores[name].push(ms);
      }
    }
    await sqlite.close();
    await postgres.close();

    const f = (x: number) => x.toFixed(1);
    const lines = [
      `batches of ${batchSize} cases (~1 KB each), ${batches} batches per round, median of 4 rounds after a warm-up round`,
      `value column, ms per batch: getMany text ${f(median(col.text.read))} / jsonb ${f(median(col.jsonb.read))} (jsonb/text ${(median(col.jsonb.read) / median(col.text.read)).toFixed(2)}); upsert text ${f(median(col.text.write))} / jsonb ${f(median(col.jsonb.write))} (jsonb/text ${(median(col.jsonb.write) / median(col.text.write)).toFixed(2)}); table+index bytes text ${textBytes} / jsonb ${jsonbBytes} (jsonb/text ${(jsonbBytes / textBytes).toFixed(2)})`,
      `store, ms per batch (getMany + commit): SQLite ${f(median(stores.sqlite))} / PostgreSQL ${f(median(stores.postgres))} (PostgreSQL/SQLite ${(median(stores.postgres) / median(stores.sqlite)).toFixed(2)})`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
