/**
 * CPU and allocation of the file connector's CSV reader alone (parseCsv, no source, no mapping):
 * a generated export of about `--mib` MiB, optionally with a wide free-text column, read once to
 * warm up and once measured.
 *
 *   node --import tsx bench/file/parse-csv.ts [--mib 20] [--notes 4000] [--alloc]
 *
 * --alloc samples every allocation, also of objects already collected (V8 sampling heap profiler),
 * so the total is what the read allocated, not what it kept; it slows the measured run.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvFormat } from '../../src/connectors/file/config.js';
import { parseCsv } from '../../src/connectors/file/parse-csv.js';
import { writeCsv } from '../scenarios/data.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const mib = arg('mib', 20);
const notes = arg('notes', 0);
const alloc = process.argv.includes('--alloc');

const dir = mkdtempSync(join(tmpdir(), 'cb-parse-csv-'));
try {
  const file = join(dir, 'export.csv');
  const { bytes } = await writeCsv(file, { cases: 5000, notes }, { bytes: mib * 2 ** 20 });
  const format = CsvFormat.parse({ type: 'csv' });
  const read = async () => {
    let rows = 0;
    for await (const batch of parseCsv(createReadStream(file, { highWaterMark: 64 * 1024 }), format)) rows += batch.length;
    return rows;
  };
  await read();
  let session: Session | undefined;
  if (alloc) {
    session = new Session();
    session.connect();
    // Collected objects count too: garbage is the point.
    await session.post('HeapProfiler.startSampling', { samplingInterval: 32_768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  }
  const c0 = process.cpuUsage();
  const rows = await read();
  const c = process.cpuUsage(c0);
  const us = c.user + c.system;
  let allocated = '';
  if (session) {
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { samples: { size: number }[] } };
    allocated = `, allocated ${(profile.samples.reduce((s, x) => s + x.size, 0) / 2 ** 20).toFixed(0)} MiB`;
    session.disconnect();
  }
  console.log(`parseCsv: ${rows} rows, ${(bytes / 2 ** 20).toFixed(1)} MiB, notes ${notes}: CPU ${(us / 1000).toFixed(0)} ms = ${(us / rows).toFixed(2)} µs/row${allocated}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
