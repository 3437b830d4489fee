/**
 * Bench inputs shaped like the example configs' suppliers, and gateway configs around them.
 *
 * Mappings and lookups are read from config/examples/* so the bench runs what councils write:
 *   street-services     CSV history export (10 columns, UK dates, stage/inspection lookups, a
 *                       JSONata filter)
 *   housing-repairs-sql repairs table read incrementally by (updated_at, job_no)
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../lib/settings.js';

export const GSS = 'E09000019';
const COUNCIL = { gss: GSS, name: 'Islington' };

interface ExampleConnector {
  system: Record<string, unknown>;
  mapping: Record<string, unknown>;
  lookups?: Record<string, unknown>;
}

function example(name: string): ExampleConnector {
  const doc = YAML.parse(readFileSync(resolve(repoRoot, 'config/examples', name, 'casebridge.yaml'), 'utf8')) as {
    lookups?: Record<string, unknown>;
    connectors: { system: Record<string, unknown>; mapping: Record<string, unknown> }[];
  };
  const c = doc.connectors[0]!;
  return { system: c.system, mapping: c.mapping, ...(doc.lookups ? { lookups: doc.lookups } : {}) };
}

// ---- street-services CSV ------------------------------------------------------------------

export const CSV_COLUMNS = ['History Date/Time', 'Recorded Date', 'CRNo', 'Stage Desc.', 'Date Cleared', 'Inspection', 'LCA', 'Action Due', 'Event Type', 'Stage'];
const STAGE_DESC = ['Recorded', 'Passed to team', 'Inspection Due', 'Repair booked', 'Repair under way', 'Awaiting utility', 'Repair under way', 'Cancelled', 'Cleared'];
const INSPECTIONS = ['PH', 'FW', 'SL', 'FT', 'GR'];
const pad = (n: number) => String(n).padStart(2, '0');
const BASE = Date.UTC(2025, 0, 6, 7, 0);

function ukDate(ms: number, withTime: boolean): string {
  const d = new Date(ms);
  const day = `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
  return withTime ? `${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` : day;
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

export interface CsvShape {
  /** Distinct cases; row r belongs to case r % cases, so each case's rows move through the stages in time order. */
  cases: number;
  /** Extra free-text "Notes" column of about this many characters (0: none), as wide supplier exports carry. */
  notes?: number;
  /** First case number (CRNo), so files dropped one after another never share a case. */
  firstCase?: number;
}

export function csvHeader(shape: CsvShape): string {
  return [...CSV_COLUMNS, ...(shape.notes ? ['Notes'] : [])].map(quote).join(',') + '\n';
}

const NOTE_WORDS = 'resident reports large pothole outside number twelve near the bus stop kerb damaged lamp column flickering at night bags dumped by the garages again please clear before the weekend'.split(' ');

/** Row r of a history export: every row is a new stage of its case, so every row yields one event. */
export function csvRow(r: number, shape: CsvShape): string {
  const c = r % shape.cases;
  const round = Math.floor(r / shape.cases);
  const stage = (round % 9) + 1;
  // One minute per `cases` rows: a case's next stage is always later than its previous one.
  const at = BASE + round * 60_000;
  const recorded = BASE - (c % 1440) * 60_000;
  const fields = [
    ukDate(at, true),
    ukDate(recorded, c % 3 !== 0),
    String((shape.firstCase ?? 2_500_000) + c),
    STAGE_DESC[stage - 1]!,
    stage === 9 ? ukDate(at, true) : '',
    INSPECTIONS[c % INSPECTIONS.length]!,
    `LCA${pad(c % 12)}`,
    ukDate(recorded + 5 * 86_400_000, false),
    'Stage Change',
    String(stage),
  ];
  if (shape.notes) {
    let note = '';
    for (let i = r; note.length < shape.notes; i++) note += NOTE_WORDS[i % NOTE_WORDS.length] + ' ';
    fields.push(note.trimEnd());
  }
  return fields.map(quote).join(',') + '\n';
}

/** Write a CSV of `rows` rows, or until it reaches `bytes`; streams, so a 1 GB file costs no memory. */
export async function writeCsv(path: string, shape: CsvShape, limit: { rows?: number; bytes?: number }): Promise<{ rows: number; bytes: number }> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let rows = 0;
  const head = csvHeader(shape);
  out.write(head);
  bytes += Buffer.byteLength(head);
  let chunk = '';
  for (;;) {
    if (limit.rows !== undefined && rows >= limit.rows) break;
    if (limit.bytes !== undefined && bytes + chunk.length >= limit.bytes) break;
    chunk += csvRow(rows++, shape);
    if (chunk.length >= 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  if (chunk) {
    bytes += Buffer.byteLength(chunk);
    out.write(chunk);
  }
  out.end();
  await once(out, 'finish');
  return { rows, bytes };
}

// ---- gateway configs ------------------------------------------------------------------------

export interface KafkaTarget {
  brokers: string[];
  topic: string;
}

function kafkaPublisher(k: KafkaTarget) {
  return { type: 'kafka', brokers: k.brokers, topic: k.topic, deadLetterTopic: `${k.topic}.dead`, createTopics: false };
}

export function csvGatewayConfig(opts: {
  kafka: KafkaTarget;
  dropDir: string;
  statePath: string;
  watch?: { pollInterval: string; marker: string };
  batchSize?: number;
}): string {
  const ex = example('street-services');
  const connector: Record<string, unknown> = {
    name: 'bench-street-cases',
    type: 'file',
    council: GSS,
    system: ex.system,
    path: opts.dropDir,
    pattern: '*.csv',
    order: 'name',
    format: { type: 'csv', encoding: 'auto' },
    // Generated files are complete when the bench drops them; the watch scenario uses a marker.
    ready: opts.watch ? { stableFor: '0s', marker: opts.watch.marker } : { stableFor: '0s' },
    after: { action: 'move' },
    ...(opts.watch ? { watch: true, pollInterval: opts.watch.pollInterval } : {}),
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    mapping: ex.mapping,
  };
  return YAML.stringify({
    version: 1,
    councils: [COUNCIL],
    state: { path: opts.statePath },
    publisher: kafkaPublisher(opts.kafka),
    http: { enabled: false },
    log: { level: 'warn' },
    ...(ex.lookups ? { lookups: ex.lookups } : {}),
    connectors: [connector],
  });
}

export function sqlGatewayConfig(opts: {
  kafka: KafkaTarget;
  statePath: string;
  pg: { host: string; port: number; database: string; user: string };
  table: string;
  lag: string;
  schedule?: string;
  batchSize?: number;
}): string {
  const ex = example('housing-repairs-sql');
  const connector: Record<string, unknown> = {
    name: 'bench-housing-repairs',
    type: 'sql',
    council: GSS,
    system: ex.system,
    ...(opts.schedule ? { schedule: { every: opts.schedule } } : {}),
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    connection: { dialect: 'postgres', host: opts.pg.host, port: opts.pg.port, database: opts.pg.database, user: opts.pg.user, tls: { mode: 'disable' } },
    timezone: 'Europe/London',
    read: { mode: 'incremental', table: opts.table, updatedAt: 'updated_at', key: 'job_no', lag: opts.lag },
    mapping: ex.mapping,
  };
  return YAML.stringify({
    version: 1,
    councils: [COUNCIL],
    state: { path: opts.statePath },
    publisher: kafkaPublisher(opts.kafka),
    http: { enabled: false },
    log: { level: 'warn' },
    connectors: [connector],
  });
}

export function parsePgUrl(url: string): { host: string; port: number; database: string; user: string } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5432), database: u.pathname.replace(/^\//, '') || 'test', user: decodeURIComponent(u.username || 'postgres') };
}

// ---- housing-repairs table ------------------------------------------------------------------

/** The example's repairs table (config/examples/housing-repairs-sql), plus the index incremental reads use. */
export function repairsTableSql(table: string): string[] {
  const t = `"${table}"`;
  return [
    `CREATE TABLE ${t} (job_no text PRIMARY KEY, status_code text, status_desc text, trade_code text, job_desc text,
       reported_at timestamp, updated_at timestamp NOT NULL, target_date date, completed_at timestamp, uprn bigint,
       address_line1 text, town text, postcode text, tenant_name text, tenant_phone text)`,
    `CREATE INDEX "${table}_upd" ON ${t} (updated_at, job_no)`,
  ];
}

/** Rows i in [from, to): realistic values, generated inside PostgreSQL so loading 2 million rows takes seconds. */
export function repairsInsertSql(table: string, from: number, to: number): string {
  return `INSERT INTO "${table}"
    SELECT 'HR-' || lpad(i::text, 8, '0'),
           (ARRAY['RAI','APP','WIP','WFP','COM','CLO'])[1 + i % 6],
           (ARRAY['Reported','Appointment made','In progress','Waiting for parts','Completed','Closed'])[1 + i % 6],
           (ARRAY['PLB','ELE','CAR','DMP'])[1 + i % 4],
           (ARRAY['Kitchen tap leaking','No power to sockets','Front door sticking','Black mould in bathroom'])[1 + i % 4],
           timestamp '2024-01-01 08:00' + (i || ' seconds')::interval,
           timestamp '2024-01-01 09:00' + (i || ' seconds')::interval,
           date '2024-02-01' + (i % 300),
           CASE WHEN i % 6 >= 4 THEN timestamp '2024-01-05 10:00' + (i || ' seconds')::interval END,
           5300000000 + i,
           'Flat ' || (i % 40) || ', ' || (i % 200) || ' Example Road',
           'London',
           'N7 ' || (i % 9) || 'XX',
           'A Tenant',
           '020 7946 ' || lpad((i % 10000)::text, 4, '0')
      FROM generate_series(${from}, ${to - 1}) AS i`;
}
