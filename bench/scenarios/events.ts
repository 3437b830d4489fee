/**
 * Ready-made case events for the publish-only scenario: street-services CSV rows through the
 * example's compiled mapping and CloudEvent building, exactly as the pipeline would hand them to
 * the publisher. Built before timing starts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { buildEvent } from '../../src/normalize/build-event.js';
import { decideChange, visibleFields } from '../../src/normalize/change.js';
import { compileMapping } from '../../src/normalize/compile-mapping.js';
import { encodeEvent } from '../../src/publish/kafka/encode.js';
import type { Normalizer } from '../../src/normalize/normalizer.js';
import type { OutgoingCaseEvent } from '../../src/normalize/build-event.js';
import { repoRoot } from '../lib/settings.js';
import { CSV_COLUMNS, csvRow } from './data.js';

function parseRow(line: string): Record<string, string> {
  // Generated rows are quoted and contain no embedded quotes or delimiters.
  const cells = line.trimEnd().slice(1, -1).split('","');
  return Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, cells[i] ?? '']));
}

/** The street-services example's compiled mapping, as the gateway compiles it. */
export async function makeNormalizer(): Promise<Normalizer> {
  const file = resolve(repoRoot, 'config/examples/street-services/casebridge.yaml');
  const env = new Proxy(process.env, { get: (t, k) => t[k as string] || `bench-${String(k)}` });
  const { config } = parseConfigText(readFileSync(file, 'utf8'), file, resolve(file, '..'), env);
  const c = config.connectors[0]!;
  const council = config.councils[0]!;
  return compileMapping(c.mapping, {
    connector: 'bench-street-cases',
    council: { gss: council.gss, name: council.name },
    system: c.system,
    ...(config.lookups ? { sharedLookups: config.lookups } : {}),
    configPath: 'connectors[0].mapping',
  });
}

export async function makeEvents(n: number): Promise<OutgoingCaseEvent[]> {
  const normalize = await makeNormalizer();
  const fetchedAt = new Date().toISOString();
  const events: OutgoingCaseEvent[] = [];
  // Every event its own case: keys spread over partitions as a large export's would.
  const shape = { cases: n };
  for (let i = 0; i < n; i++) {
    const raw = parseRow(csvRow(i, shape));
    let r = normalize({ raw, position: { file: 'bench.csv', line: i + 2 }, fetchedAt });
    if (r instanceof Promise) r = await r;
    if (r.kind !== 'case') throw new Error(`bench row ${i} did not map to a case: ${JSON.stringify(r)}`);
    const d = decideChange(r.snapshot, visibleFields(r.snapshot), undefined);
    if (!d.emit) throw new Error('a new case must emit');
    events.push(buildEvent(r.snapshot, d, 1));
  }
  return events;
}

/** Mean bytes per record as the binary CloudEvents binding sends it: value, key and headers. */
export function recordSizes(events: OutgoingCaseEvent[]): { value: number; total: number } {
  let value = 0;
  let total = 0;
  for (const e of events) {
    const rec = encodeEvent(e, 'binary');
    const v = Buffer.byteLength(rec.value);
    value += v;
    total += v + Buffer.byteLength(rec.key);
    for (const [k, h] of Object.entries(rec.headers)) total += Buffer.byteLength(k) + Buffer.byteLength(h);
  }
  return { value: Math.round(value / events.length), total: Math.round(total / events.length) };
}
