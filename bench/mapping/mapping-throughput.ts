/**
 * Records per second through realistic compiled mappings, including the zod validation every
 * snapshot gets, on one core (one Node thread; no workers).
 *
 *   node --import tsx bench/mapping/mapping-throughput.ts [--records 200000] [--json]
 *
 * Mappings are the example configs' own (config/examples/*), so the figures follow what councils
 * actually write:
 *   street-services CSV   paths, two Luxon date formats tried in order, status + service lookups,
 *                         without its JSONata filter (the synchronous fast path)
 *   street-services CSV   the same with its JSONata filter (the async path)
 *   waste SOAP            nested XML-shaped records, ISO dates, BNG → WGS84, UPRN, hashed email,
 *                         JSONata status expression
 *   housing repairs SQL   ISO dates with offsets, template, postcode, redaction
 * Also: the same CSV mapping plus change detection and CloudEvent building (the whole per-record
 * CPU cost of the pipeline apart from publishing).
 */
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { loadConfigFile } from '../../src/config/load.js';
import type { SourceRecord } from '../../src/core/source.js';
import { buildEvent } from '../../src/normalize/build-event.js';
import { decideChange, visibleFields } from '../../src/normalize/change.js';
import { compileMapping } from '../../src/normalize/compile-mapping.js';
import type { Normalizer } from '../../src/normalize/normalizer.js';
import type { Mapping } from '../../src/normalize/mapping-schema.js';

const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--records') + 1] ?? 0) || 200_000;
const asJson = args.includes('--json');

const env = new Proxy(process.env, { get: (t, k) => t[k as string] || `bench-${String(k)}` });

function normalizerFor(config: string, edit?: (m: Mapping) => Mapping): Normalizer {
  const { config: cfg } = loadConfigFile(`config/examples/${config}/casebridge.yaml`, env);
  const c = cfg.connectors[0]!;
  const council = cfg.councils[0]!;
  return compileMapping(edit ? edit(c.mapping) : c.mapping, {
    connector: c.name,
    council: { gss: council.gss, name: council.name },
    system: c.system,
    ...(cfg.lookups ? { sharedLookups: cfg.lookups } : {}),
    configPath: 'connectors[0].mapping',
  });
}

const pad = (n: number) => String(n).padStart(2, '0');
const fetchedAt = '2025-06-01T12:00:00Z';

function csvRecord(i: number): SourceRecord {
  const d = 1 + (i % 28);
  const m = 1 + (i % 12);
  const stage = String(1 + (i % 9));
  return {
    raw: {
      'History Date/Time': `${pad(d)}/${pad(m)}/2025 ${pad(i % 24)}:${pad(i % 60)}`,
      'Recorded Date': i % 2 ? `${pad(d)}/${pad(m)}/2025` : `${pad(d)}/${pad(m)}/2025 07:31`,
      CRNo: String(100000 + (i % 50000)),
      'Stage Desc.': `Stage ${stage}`,
      'Date Cleared': stage === '9' ? `${pad(d)}/${pad(m)}/2025 16:00` : '',
      Inspection: ['PH', 'FW', 'SL', 'FT', 'XX'][i % 5],
      LCA: 'N1',
      'Action Due': `${pad(d)}/${pad(m)}/2025`,
      'Event Type': i % 10 === 0 ? 'Ignored' : 'Update',
      Stage: stage,
    },
    position: { file: 'CRM_History.csv', line: i + 2 },
    fetchedAt,
  };
}

function soapRecord(i: number): SourceRecord {
  const status = ['OPEN', 'ALLOCATED', 'IN PROGRESS', 'CLOSED'][i % 4]!;
  return {
    raw: {
      id: String(88000 + i),
      ServiceCode: `SR${String(51000 + (i % 40000)).padStart(8, '0')}`,
      UPRN: String(100023336956 + (i % 1000)),
      ServiceLocation: { $attributes: { Easting: String(530000 + (i % 5000)), Northing: String(178000 + (i % 5000)) } },
      DateRequested: '2025-10-24T08:15:12.340',
      DateChanged: `2025-10-${pad(1 + (i % 28))}T${pad(i % 24)}:15:12.340`,
      DateClosed: status === 'CLOSED' ? '2025-10-27T11:02:45.500' : '0001-01-01T00:00:00',
      ClosingCode: status === 'CLOSED' ? (i % 8 === 3 ? 'CANCELLED' : 'COMPLETED') : '',
      ServiceStatusName: status,
      WorkGroupName: 'Refuse North',
      ContactPhone: '07700 900123',
      ContactEmail: `Resident${i}@Example.org`,
      Update: { ServiceRequestID: String(88000 + i), ServiceClass: 'WASTE', ServiceType: ['MISSED BIN', 'GW NEW SUBSCRIPTION', 'LEAF REMOVAL'][i % 3] },
    },
    position: { operation: 'ServiceRequests_History_Get', key: String(88000 + i) },
    fetchedAt,
  };
}

function sqlRecord(i: number): SourceRecord {
  const code = ['RAI', 'APP', 'WIP', 'WFP', 'COM', 'CLO'][i % 6]!;
  return {
    raw: {
      job_no: `HR-2025-${String(i % 100000).padStart(6, '0')}`,
      status_code: code.toLowerCase(),
      status_desc: code,
      trade_code: ['plb', 'ele', 'car', 'dmp'][i % 4],
      job_desc: 'Kitchen tap leaking',
      reported_at: '2025-03-28T09:15:00+00:00',
      updated_at: `2025-04-${pad(1 + (i % 28))}T${pad(i % 24)}:00:00+01:00`,
      target_date: i % 2 ? '2025-04-02' : null,
      completed_at: code === 'COM' ? '2025-04-02T11:25:00+01:00' : null,
      uprn: 5300012345 + (i % 1000),
      address_line1: `Flat ${i % 40}, 12 Example Road`,
      town: 'London',
      postcode: 'n7 8xx',
      tenant_name: 'A Tenant',
      tenant_phone: '020 7946 0000',
    },
    position: { table: 'repairs', key: `HR-${i}` },
    fetchedAt,
  };
}

interface Result {
  name: string;
  records: number;
  seconds: number;
  perSecond: number;
  microsPerRecord: number;
  cases: number;
  skipped: number;
  rejected: number;
}

async function measure(name: string, normalize: Normalizer, make: (i: number) => SourceRecord, extra?: (snapshot: Parameters<typeof visibleFields>[0], rec: SourceRecord) => void): Promise<Result> {
  // Records are built beforehand so the figure is the mapping's cost, not the generator's.
  const records = Array.from({ length: N }, (_, i) => make(i));
  const warm = Math.min(20_000, N);
  for (let i = 0; i < warm; i++) {
    const r = normalize(records[i]!);
    if (r instanceof Promise) await r;
  }
  let cases = 0;
  let skipped = 0;
  let rejected = 0;
  const t0 = performance.now();
  for (const rec of records) {
    let r = normalize(rec);
    if (r instanceof Promise) r = await r;
    if (r.kind === 'case') {
      cases++;
      extra?.(r.snapshot, rec);
    } else if (r.kind === 'skip') skipped++;
    else rejected++;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { name, records: N, seconds: Number(seconds.toFixed(3)), perSecond: Math.round(N / seconds), microsPerRecord: Number(((seconds * 1e6) / N).toFixed(2)), cases, skipped, rejected };
}

const withoutFilter = (m: Mapping): Mapping => {
  const { filter: _f, ...rest } = m;
  return rest as Mapping;
};

const results: Result[] = [];
results.push(await measure('street-services CSV (sync fast path)', normalizerFor('street-services', withoutFilter), csvRecord));
results.push(await measure('street-services CSV + JSONata filter', normalizerFor('street-services'), csvRecord));
results.push(await measure('waste SOAP (BNG, hash, JSONata status)', normalizerFor('waste-soap'), soapRecord));
results.push(await measure('housing repairs SQL', normalizerFor('housing-repairs-sql'), sqlRecord));
results.push(
  await measure('street-services CSV + change detection + CloudEvent', normalizerFor('street-services', withoutFilter), csvRecord, (snapshot, rec) => {
    const visible = visibleFields(snapshot);
    const d = decideChange(snapshot, visible, undefined);
    if (d.emit) buildEvent(snapshot, d, 1);
  }),
);

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
if (asJson) {
  process.stdout.write(JSON.stringify({ node: process.version, cpu, results }, null, 2) + '\n');
} else {
  process.stdout.write(`mapping throughput, one core — node ${process.version}, ${cpu}, ${N} records per run\n\n`);
  const w = Math.max(...results.map((r) => r.name.length));
  process.stdout.write(`${'mapping'.padEnd(w)}  ${'records/s'.padStart(10)}  ${'µs/record'.padStart(9)}  cases / skipped / rejected\n`);
  for (const r of results) {
    process.stdout.write(`${r.name.padEnd(w)}  ${String(r.perSecond).padStart(10)}  ${r.microsPerRecord.toFixed(2).padStart(9)}  ${r.cases} / ${r.skipped} / ${r.rejected}\n`);
  }
}
