/**
 * The production projection store: PostgreSQL, one schema of its own. Migrations run at start
 * under an advisory lock (several trackers may start together); `apply` writes a whole batch in
 * one transaction with array-parameter (unnest) statements, so a batch costs a few round trips
 * whatever its size. A commit is durable when it returns (synchronous_commit as the server has it).
 */
import pg from 'pg';
import { StateError } from '../../core/errors.js';
import { newestPerCase, requestedMs, sortTimeline, type ProjectedEvent, type StoredCase, type TimelineEntry } from '../projection.js';
import { CASE_COLUMNS, findCasesSql, listCasesSql, listUpdatesSql, NEWER_THAN_STORED, params, TABLES, tableDdl, type Dialect } from './sql.js';
import { serviceIdOf, type ApplyBatch, type ApplyResult, type CaseRecord, type ProjectionStore } from './store.js';

interface CaseRow {
  case_key: string;
  service_id: string;
  service_key: string;
  postcode: string | null;
  seq: string | null;
  time_ms: string;
  requested_ms: string;
  state: unknown;
}

/** A constant per schema, so trackers on different schemas never wait for each other. */
const lockKey = (schema: string): number => {
  let h = 0;
  for (const ch of `casebridge-track:${schema}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
};

export function openPostgresProjection(opts: { url: string; schema: string; poolSize?: number; pool?: pg.Pool }): ProjectionStore & { pool: pg.Pool } {
  const pool = opts.pool ?? new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const schema = opts.schema;
  const q = (name: string) => `"${schema}"."${name}"`;
  const dialect: Dialect = { bigint: 'BIGINT', json: 'JSONB', t: q };

  const toRecord = (r: CaseRow): CaseRecord => ({
    caseKey: r.case_key,
    serviceId: r.service_id,
    serviceKey: r.service_key,
    postcode: r.postcode,
    seq: r.seq === null ? null : Number(r.seq),
    timeMs: Number(r.time_ms),
    requestedMs: Number(r.requested_ms),
    state: r.state as StoredCase,
  });

  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (cause) {
      // Connection failures clear up; the ingest loop backs off and retries the same batch.
      throw new StateError(`tracker store (PostgreSQL) ${what}: ${(cause as Error).message}`, { cause, code: 'track_store', retriable: true });
    }
  };

  return {
    kind: 'postgres',
    pool,
    async migrate() {
      await wrap('migration', async () => {
        const client = await pool.connect();
        try {
          await client.query('SELECT pg_advisory_lock($1)', [lockKey(schema)]);
          try {
            await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
            for (const sql of tableDdl(dialect)) await client.query(sql);
          } finally {
            await client.query('SELECT pg_advisory_unlock($1)', [lockKey(schema)]);
          }
        } finally {
          client.release();
        }
      });
    },
    async apply(batch: ApplyBatch): Promise<ApplyResult> {
      return wrap('apply', async () => {
        const unique = new Map<string, ProjectedEvent>();
        for (const e of batch.events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
        const events = [...unique.values()];
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const ins = await client.query<{ event_id: string }>(
            `INSERT INTO ${q('events')} (event_id, case_key, council, reference, service_id, service_key, time_ms, entry)
             SELECT a, b, c, d, e, f, g, h::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[]) AS t(a, b, c, d, e, f, g, h)
             ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
            [
              events.map((e) => e.eventId),
              events.map((e) => e.caseKey),
              events.map((e) => e.council),
              events.map((e) => e.reference),
              events.map((e) => serviceIdOf(e.council, e.serviceKey)),
              events.map((e) => e.serviceKey),
              events.map((e) => e.timeMs),
              events.map((e) => JSON.stringify(e.entry)),
            ],
          );
          const fresh = new Set(ins.rows.map((r) => r.event_id));
          const inserted = events.filter((e) => fresh.has(e.eventId));
          const winners = newestPerCase(inserted);
          const up = await client.query<{ case_key: string }>(
            `INSERT INTO ${q('cases')} AS cases (case_key, council, reference, service_id, service_key, status, seq, time_ms, event_id, requested_ms, postcode, state)
             SELECT a, b, c, d, e, f, g, h, i, j, k, l::jsonb
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::bigint[], $11::text[], $12::text[])
               AS t(a, b, c, d, e, f, g, h, i, j, k, l)
             ON CONFLICT (case_key) DO UPDATE SET
               council = excluded.council, reference = excluded.reference, service_id = excluded.service_id,
               service_key = excluded.service_key, status = excluded.status, seq = excluded.seq, time_ms = excluded.time_ms,
               event_id = excluded.event_id, postcode = excluded.postcode, state = excluded.state,
               requested_ms = LEAST(cases.requested_ms, excluded.requested_ms)
             WHERE ${NEWER_THAN_STORED('cases')}
             RETURNING case_key`,
            [
              winners.map((e) => e.caseKey),
              winners.map((e) => e.council),
              winners.map((e) => e.reference),
              winners.map((e) => serviceIdOf(e.council, e.serviceKey)),
              winners.map((e) => e.serviceKey),
              winners.map((e) => e.status),
              winners.map((e) => e.seq),
              winners.map((e) => e.timeMs),
              winners.map((e) => e.eventId),
              winners.map((e) => requestedMs(e)),
              winners.map((e) => e.postcode),
              winners.map((e) => JSON.stringify(e.state)),
            ],
          );
          const won = new Set(up.rows.map((r) => r.case_key));
          const changed = winners.filter((e) => won.has(e.caseKey));
          // An older event that lost to the stored state may still be the earliest report of the case.
          const earliest = new Map<string, number>();
          for (const e of inserted) earliest.set(e.caseKey, Math.min(earliest.get(e.caseKey) ?? Infinity, requestedMs(e)));
          if (inserted.length > changed.length) {
            await client.query(
              `UPDATE ${q('cases')} AS c SET requested_ms = v.ms FROM unnest($1::text[], $2::bigint[]) AS v(k, ms) WHERE c.case_key = v.k AND c.requested_ms > v.ms`,
              [[...earliest.keys()], [...earliest.values()]],
            );
          }
          const letters = batch.deadLetters ?? [];
          if (letters.length) {
            await client.query(
              `INSERT INTO ${q('dead_letters')} (id, source, reason, raw, at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) ON CONFLICT (id) DO NOTHING`,
              [letters.map((d) => d.id), letters.map((d) => d.source), letters.map((d) => d.reason), letters.map((d) => JSON.stringify(d.raw) ?? 'null'), letters.map((d) => d.at)],
            );
          }
          if (batch.position) {
            await client.query(`INSERT INTO ${q('positions')} (source, value) VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET value = excluded.value`, [
              batch.position.source,
              batch.position.value,
            ]);
          }
          await client.query('COMMIT');
          return { inserted: inserted.length, duplicates: batch.events.length - inserted.length, stale: inserted.length - changed.length, changed };
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      });
    },
    async position(source) {
      const r = await wrap('read position', () => pool.query<{ value: string }>(`SELECT value FROM ${q('positions')} WHERE source = $1`, [source]));
      return r.rows[0]?.value;
    },
    async findCases(reference, council) {
      return wrap('lookup', async () => {
        const p = params('postgres');
        // One round trip: the case rows with their timelines aggregated beside them.
        const sql = `SELECT c.*, (SELECT coalesce(json_agg(e.entry), '[]'::json) FROM ${q('events')} e WHERE e.case_key = c.case_key) AS timeline
                     FROM (${findCasesSql(dialect, p, reference, council)}) c`;
        const rows = (await pool.query<CaseRow & { timeline: TimelineEntry[] }>(sql, p.values)).rows;
        return rows.map((r) => ({ ...toRecord(r), timeline: sortTimeline(r.timeline) }));
      });
    },
    async listCases(query) {
      const p = params('postgres');
      const sql = listCasesSql(dialect, p, query);
      return (await wrap('list cases', () => pool.query<CaseRow>(sql, p.values))).rows.map(toRecord);
    },
    async casesByKey(keys) {
      if (!keys.length) return [];
      const r = await wrap('read cases', () => pool.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM ${q('cases')} WHERE case_key = ANY($1::text[])`, [keys]));
      return r.rows.map(toRecord);
    },
    async listUpdates(query) {
      const p = params('postgres');
      const sql = listUpdatesSql(dialect, p, query);
      const rows = (await wrap('list updates', () => pool.query<{ entry: unknown; reference: string; council: string; service_key: string }>(sql, p.values))).rows;
      return rows.map((r) => ({ entry: r.entry as TimelineEntry, reference: r.reference, council: r.council, serviceKey: r.service_key }));
    },
    async services() {
      const r = await wrap('list services', () =>
        pool.query<{ council: string; service_key: string; name: string | null }>(
          `SELECT DISTINCT ON (service_id) council, service_key, state->'case'->'service'->>'name' AS name FROM ${q('cases')} ORDER BY service_id`,
        ),
      );
      return r.rows.map((x) => ({ council: x.council, serviceKey: x.service_key, ...(x.name ? { name: x.name } : {}) }));
    },
    async counts() {
      const n = async (t: string) => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(t)}`)).rows[0]!.n);
      return wrap('count', async () => ({ cases: await n('cases'), events: await n('events'), deadLetters: await n('dead_letters') }));
    },
    async reset() {
      await wrap('reset', () => pool.query(`TRUNCATE ${TABLES.map(q).join(', ')}`));
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (!opts.pool) await pool.end();
    },
  };
}
