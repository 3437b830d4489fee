/**
 * The embedded projection store: one SQLite file (WAL, synchronous=FULL, so `apply` is durable
 * when it returns). better-sqlite3 is synchronous; one tracker process owns the file.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateError } from '../../core/errors.js';
import { newestPerCase, requestedMs, sortTimeline, type ProjectedEvent, type StoredCase, type TimelineEntry } from '../projection.js';
import { CASE_COLUMNS, findCasesSql, listCasesSql, listUpdatesSql, NEWER_THAN_STORED, params, TABLES, tableDdl, type Dialect } from './sql.js';
import { serviceIdOf, type ApplyBatch, type ApplyResult, type CaseRecord, type ProjectionStore } from './store.js';

const dialect: Dialect = { bigint: 'INTEGER', json: 'TEXT', t: (n) => n };

interface CaseRow {
  case_key: string;
  service_id: string;
  service_key: string;
  postcode: string | null;
  seq: number | null;
  time_ms: number;
  requested_ms: number;
  state: string;
}

export function openSqliteProjection(path: string): ProjectionStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
  } catch (cause) {
    throw new StateError(`cannot open the tracker store ${path}: ${(cause as Error).message}`, { cause, code: 'track_store_open' });
  }
  let statements: ReturnType<typeof prepare> | undefined;
  const prepare = () => ({
    insertEvent: db.prepare(
      `INSERT INTO events (event_id, case_key, council, reference, service_id, service_key, time_ms, entry)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
    ),
    upsertCase: db.prepare(
      `INSERT INTO cases (case_key, council, reference, service_id, service_key, status, seq, time_ms, event_id, requested_ms, postcode, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (case_key) DO UPDATE SET
         council = excluded.council, reference = excluded.reference, service_id = excluded.service_id,
         service_key = excluded.service_key, status = excluded.status, seq = excluded.seq, time_ms = excluded.time_ms,
         event_id = excluded.event_id, postcode = excluded.postcode, state = excluded.state,
         requested_ms = min(cases.requested_ms, excluded.requested_ms)
       WHERE ${NEWER_THAN_STORED('cases')}`,
    ),
    earlier: db.prepare('UPDATE cases SET requested_ms = ? WHERE case_key = ? AND requested_ms > ?'),
    deadLetter: db.prepare('INSERT INTO dead_letters (id, source, reason, raw, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    putPosition: db.prepare('INSERT INTO positions (source, value) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET value = excluded.value'),
    getPosition: db.prepare<[string], { value: string }>('SELECT value FROM positions WHERE source = ?'),
    timeline: db.prepare<[string], { entry: string }>('SELECT entry FROM events WHERE case_key = ?'),
  });

  const applyTx = (batch: ApplyBatch): ApplyResult => {
    const s = statements!;
    const inserted: ProjectedEvent[] = [];
    const seen = new Set<string>();
    for (const e of batch.events) {
      if (seen.has(e.eventId)) continue;
      seen.add(e.eventId);
      const r = s.insertEvent.run(e.eventId, e.caseKey, e.council, e.reference, serviceIdOf(e.council, e.serviceKey), e.serviceKey, e.timeMs, JSON.stringify(e.entry));
      if (r.changes === 1) inserted.push(e);
    }
    const changed: ProjectedEvent[] = [];
    for (const e of newestPerCase(inserted)) {
      const requested = requestedMs(e);
      const r = s.upsertCase.run(e.caseKey, e.council, e.reference, serviceIdOf(e.council, e.serviceKey), e.serviceKey, e.status, e.seq, e.timeMs, e.eventId, requested, e.postcode, JSON.stringify(e.state));
      if (r.changes === 1) changed.push(e);
    }
    // An older event that lost to the stored state may still be the earliest report of the case.
    for (const e of inserted) s.earlier.run(requestedMs(e), e.caseKey, requestedMs(e));
    for (const d of batch.deadLetters ?? []) s.deadLetter.run(d.id, d.source, d.reason, JSON.stringify(d.raw) ?? 'null', d.at);
    if (batch.position) s.putPosition.run(batch.position.source, batch.position.value);
    return { inserted: inserted.length, duplicates: batch.events.length - inserted.length, stale: inserted.length - changed.length, changed };
  };
  const tx = db.transaction(applyTx);

  const toRecord = (r: CaseRow): CaseRecord => ({
    caseKey: r.case_key,
    serviceId: r.service_id,
    serviceKey: r.service_key,
    postcode: r.postcode,
    seq: r.seq,
    timeMs: r.time_ms,
    requestedMs: r.requested_ms,
    state: JSON.parse(r.state) as StoredCase,
  });

  return {
    kind: 'sqlite',
    async migrate() {
      db.transaction(() => {
        for (const sql of tableDdl(dialect)) db.exec(sql);
      })();
      statements = prepare();
    },
    async apply(batch) {
      if (!statements) throw new StateError('tracker store used before migrate()', { code: 'track_store_not_ready' });
      return tx(batch);
    },
    async position(source) {
      return statements?.getPosition.get(source)?.value;
    },
    async findCases(reference, council) {
      const p = params('sqlite');
      const rows = db.prepare<unknown[], CaseRow>(findCasesSql(dialect, p, reference, council)).all(...p.values);
      return rows.map((r) => ({
        ...toRecord(r),
        timeline: sortTimeline(statements!.timeline.all(r.case_key).map((t) => JSON.parse(t.entry) as TimelineEntry)),
      }));
    },
    async listCases(q) {
      const p = params('sqlite');
      return db.prepare<unknown[], CaseRow>(listCasesSql(dialect, p, q)).all(...p.values).map(toRecord);
    },
    async casesByKey(keys) {
      if (!keys.length) return [];
      const p = params('sqlite');
      return db.prepare<unknown[], CaseRow>(`SELECT ${CASE_COLUMNS} FROM cases WHERE case_key IN (${p.list(keys)})`).all(...p.values).map(toRecord);
    },
    async listUpdates(q) {
      const p = params('sqlite');
      return db
        .prepare<unknown[], { entry: string; reference: string; council: string; service_key: string }>(listUpdatesSql(dialect, p, q))
        .all(...p.values)
        .map((r) => ({ entry: JSON.parse(r.entry) as TimelineEntry, reference: r.reference, council: r.council, serviceKey: r.service_key }));
    },
    async services() {
      const rows = db
        .prepare<[], { council: string; service_key: string; name: string | null }>(
          "SELECT council, service_key, max(json_extract(state, '$.case.service.name')) AS name FROM cases GROUP BY council, service_key",
        )
        .all();
      return rows.map((r) => ({ council: r.council, serviceKey: r.service_key, ...(r.name ? { name: r.name } : {}) }));
    },
    async counts() {
      const n = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      return { cases: n('cases'), events: n('events'), deadLetters: n('dead_letters') };
    },
    async reset() {
      db.transaction(() => {
        for (const t of TABLES) db.exec(`DELETE FROM ${t}`);
      })();
    },
    async ping() {
      return db.open;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
