// The baseline for bench/sql/initial-load.ts: the same keyset read of the same table with the same
// driver (pg), and nothing else — no mapping, no events, no publishing, no checkpoints.
// Plain JavaScript so no TypeScript loader weighs on its memory figure.
//
//   node bench/sql/bare-read.mjs --url postgres://postgres@127.0.0.1:5432/test --table t --batch 500
import { performance } from 'node:perf_hooks';
import pg from 'pg';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const url = arg('url', 'postgres://postgres@127.0.0.1:5432/test');
const table = arg('table');
const batch = Number(arg('batch', '500'));
if (!table || !/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error('--table <plain lowercase name> is required');

const pool = new pg.Pool({ connectionString: url, max: 2 });
const t0 = performance.now();
let rows = 0;
let since;
let after;
for (;;) {
  const res =
    since === undefined
      ? await pool.query(`SELECT * FROM "${table}" ORDER BY updated_at, job_no LIMIT $1`, [batch])
      : await pool.query(`SELECT * FROM "${table}" WHERE (updated_at, job_no) > ($1, $2) ORDER BY updated_at, job_no LIMIT $3`, [since, after, batch]);
  rows += res.rows.length;
  if (res.rows.length < batch) break;
  const last = res.rows[res.rows.length - 1];
  // The baseline keeps pg's own Date parsing, as a minimal reader would; the bench table's
  // timestamps are whole seconds, so millisecond Dates are exact here.
  since = last.updated_at;
  after = last.job_no;
}
const seconds = (performance.now() - t0) / 1000;
await pool.end();
process.stdout.write(JSON.stringify({ rows, seconds, rowsPerSecond: rows / seconds, heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20 }) + '\n');
