/**
 * SQL peer: a bare keyset read of the whole table with the same driver (pg), the same query shape
 * and page size as casebridge's incremental source — (updated_at, key) > (last) ORDER BY
 * updated_at, key LIMIT page — and nothing else: rows are counted and dropped. Prints one JSON line.
 *
 *   node --import tsx bench/scenarios/sql-bare-read.ts --url postgres://postgres@127.0.0.1/test --table T --page 500
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

const { values } = parseArgs({ options: { url: { type: 'string' }, table: { type: 'string' }, page: { type: 'string' } } });
const page = Number(values.page ?? 500);
const t = `"${values.table!.replace(/"/g, '""')}"`;
const cols = 'job_no, status_code, status_desc, trade_code, job_desc, reported_at, updated_at, target_date, completed_at, uprn, address_line1, town, postcode, tenant_name, tenant_phone';

const t0 = performance.now();
const client = new pg.Client({ connectionString: values.url });
await client.connect();
let rows = 0;
let last: { updated_at: unknown; job_no: string } | undefined;
for (;;) {
  const res = last
    ? await client.query(`SELECT ${cols} FROM ${t} WHERE (updated_at, job_no) > ($1, $2) ORDER BY updated_at, job_no LIMIT $3`, [last.updated_at, last.job_no, page])
    : await client.query(`SELECT ${cols} FROM ${t} ORDER BY updated_at, job_no LIMIT $1`, [page]);
  rows += res.rows.length;
  if (res.rows.length < page) break;
  last = res.rows[res.rows.length - 1] as { updated_at: unknown; job_no: string };
}
await client.end();
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ rows, seconds, perSecond: rows / seconds }) + '\n');
