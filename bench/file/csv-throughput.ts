/**
 * File connector benchmark (not a test): rows per second and peak memory reading a generated
 * street-services CSV export of >= 1 GB, against the same export at 10 MB.
 *
 *   npx tsx bench/file/csv-throughput.ts            # 10 MB and 1 GB
 *   npx tsx bench/file/csv-throughput.ts --gb 2     # 10 MB and 2 GB
 *
 * Each size is read in a fresh child process through the real source (hash + encoding pass, then
 * streaming csv-parse, batches of 1000 committed to a real SQLite state store, ack moving the file
 * is skipped with `after: keep`), so peak RSS is that process's own. The generated files live in a
 * temp folder that is deleted afterwards, also on Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const HEADER = '"History Date/Time","Recorded Date","CRNo","Stage Desc.","Date Cleared","Inspection","LCA","Action Due","Event Type","Stage"\r\n';
const STAGES = ['Recorded', 'Passed To Contractor', 'Inspection Due', 'Inspected', 'Works Ordered', 'Works In Progress', 'On Hold - Access', 'Works Complete', 'Cleared'];
const KINDS = ['Fly Tipping', 'Graffiti', 'Dumped Rubbish', 'Litter Bin Overflowing', 'Dog Fouling', 'Abandoned Vehicle', 'Street Sweeping, Precinct'];

function row(i: number): string {
  const stage = (i % 9) + 1;
  const d = String((i % 28) + 1).padStart(2, '0');
  const hh = String(i % 24).padStart(2, '0');
  const mm = String(i % 60).padStart(2, '0');
  const cleared = stage === 9 ? `${d}/10/2025 ${hh}:${mm}` : '';
  const kind = KINDS[i % KINDS.length]!;
  const et = i % 11 === 0 ? 'Ignored' : 'Stage Change';
  return `"${d}/10/2025 ${hh}:${mm}","${d}/10/2025 07:31","${2500000 + (i % 400_000)}","${STAGES[stage - 1]}","${cleared}","${kind}","LCA${String((i % 12) + 1).padStart(2, '0')}","${d}/11/2025","${et}","${stage}"\r\n`;
}

async function generate(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let written = 0;
  let rows = 0;
  let failed: Error | undefined;
  out.on('error', (e) => (failed = e));
  const write = (s: string) =>
    new Promise<void>((res, rej) => {
      if (failed) return rej(failed);
      if (out.write(s)) res();
      else out.once('drain', res);
    });
  await write(HEADER);
  written += HEADER.length;
  while (written < bytes) {
    let chunk = '';
    while (chunk.length < 1 << 20) chunk += row(rows++);
    await write(chunk);
    written += chunk.length;
  }
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  return rows;
}

interface ChildReport {
  rows: number;
  rejects: number;
  seconds: number;
  maxRssMb: number;
  /** RSS (MiB) each time another tenth of the file was read: flat means memory does not grow with the file. */
  rssByTenth: number[];
}

/** Child: read one folder through the real source and report. */
async function child(dir: string): Promise<void> {
  const { FileConnectorConfig } = await import('../../src/connectors/file/config.js');
  const { createFileSource } = await import('../../src/connectors/file/create.js');
  const { openSqliteStateStore } = await import('../../src/runtime/sqlite-state-store.js');
  const { silentLogger } = await import('../../src/core/logger.js');
  const { systemClock } = await import('../../src/core/clock.js');
  const config = FileConnectorConfig.parse({
    name: 'bench',
    type: 'file',
    council: 'E09000019',
    system: { supplier: 'Street services' },
    path: join(dir, 'in'),
    pattern: '*.csv',
    ready: { stableFor: '0s' },
    format: { type: 'csv', encoding: 'auto' },
    after: { action: 'keep' },
    batchSize: 1000,
    mapping: { reference: 'CRNo', status: { code: 'Stage', lookup: 'x' } },
  });
  const store = openSqliteStateStore(join(dir, 'state.sqlite'));
  const state = store.forConnector('bench');
  const source = createFileSource(config, { connector: 'bench', clock: systemClock, logger: silentLogger(), state, baseDir: dir });
  let rows = 0;
  let rejects = 0;
  const expectedRows = Number(process.argv[process.argv.indexOf('--rows') + 1]);
  const rssByTenth: number[] = [];
  const t0 = performance.now();
  for await (const b of source.read({ checkpoint: await state.checkpoint(), signal: new AbortController().signal })) {
    rows += b.records.length;
    if (rows >= ((rssByTenth.length + 1) * expectedRows) / 10) rssByTenth.push(Math.round(process.memoryUsage().rss / 1048576));
    rejects += b.rejects?.length ?? 0;
    await state.commit({ checkpoint: b.checkpoint, writes: b.stateWrites ?? [] });
    await b.ack({ status: 'committed', published: b.records.length, deadLettered: b.rejects?.length ?? 0, skipped: 0 });
  }
  const seconds = (performance.now() - t0) / 1000;
  await source.close();
  store.close();
  const report: ChildReport = { rows, rejects, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, rssByTenth };
  process.stdout.write(JSON.stringify(report) + '\n');
}

async function main(): Promise<void> {
  const gbArg = process.argv.indexOf('--gb');
  const gb = gbArg > 0 ? Number(process.argv[gbArg + 1]) : 1;
  const root = mkdtempSync(join(tmpdir(), 'casebridge-bench-file-'));
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const sizes: [string, number][] = [
      ['10 MB', 10 * 1024 * 1024],
      [`${gb} GB`, Math.ceil(gb * 1024 * 1024 * 1024)],
    ];
    const results: { label: string; bytes: number; generated: number; report: ChildReport }[] = [];
    for (const [label, bytes] of sizes) {
      const dir = join(root, label.replace(/\s+/g, ''));
      mkdirSync(join(dir, 'in'), { recursive: true });
      const file = join(dir, 'in', 'street-services-history.csv');
      const g0 = performance.now();
      const generated = await generate(file, bytes);
      const size = statSync(file).size;
      process.stderr.write(`generated ${label}: ${generated} rows, ${(size / 1048576).toFixed(0)} MiB in ${((performance.now() - g0) / 1000).toFixed(1)}s\n`);
      const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir, '--rows', String(generated)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
      const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildReport;
      if (report.rows !== generated) throw new Error(`read ${report.rows} rows of ${generated}`);
      results.push({ label, bytes: size, generated, report });
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`\nfile connector, CSV (node ${process.version}, ${process.platform}/${process.arch})`);
    console.log('size      rows         seconds   rows/s      MiB/s    peak RSS MiB');
    for (const { label, bytes, report } of results) {
      console.log(
        `${label.padEnd(9)} ${String(report.rows).padEnd(12)} ${report.seconds.toFixed(1).padEnd(9)} ${Math.round(report.rows / report.seconds)
          .toString()
          .padEnd(11)} ${(bytes / 1048576 / report.seconds).toFixed(1).padEnd(8)} ${report.maxRssMb.toFixed(0)}`,
      );
    }
    const [small, big] = results;
    console.log(`\npeak RSS, ${big!.label} minus 10 MB: ${(big!.report.maxRssMb - small!.report.maxRssMb).toFixed(0)} MiB`);
    for (const { label, report } of results) console.log(`RSS MiB after each tenth of ${label}: ${report.rssByTenth.join(' ')}`);
  } finally {
    cleanup();
  }
}

if (process.argv.includes('--child')) await child(process.argv[process.argv.indexOf('--child') + 1]!);
else await main();
