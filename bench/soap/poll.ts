/**
 * SOAP connector benchmark (not a test), everything on 127.0.0.1:
 *  1. two-step polling of the waste simulator (list with paging, one history call per request,
 *     token login), records per second through the source alone, at detail concurrency 1, 4, 8;
 *  2. the same end to end through the gateway (mapping, change detection, SQLite state, local log
 *     with fsync), events per second;
 *  3. the hostile answers: how long refusing them takes and how much memory it costs.
 *
 *   npx tsx bench/soap/poll.ts                  # 2000 service requests, 100 per page
 *   npx tsx bench/soap/poll.ts --requests 5000 --page 200
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import { SoapConnectorConfig } from '../../src/connectors/soap/config.js';
import { createSoapSource } from '../../src/connectors/soap/create.js';
import { fixedClock } from '../../src/core/clock.js';
import { createGateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { startHostile } from '../../tests/simulators/soap/hostile.js';
import { BartecSimulator } from '../../tests/simulators/soap/bartec.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' }, page: { type: 'string', default: '100' } } });
const N = Number(values.requests);
const PAGE = Number(values.page);
const T0 = '2025-07-01T12:00:00Z';

function connector(wsdl: string, concurrency: number): Record<string, unknown> {
  return {
    name: 'waste',
    type: 'soap',
    council: 'E09000019',
    system: { supplier: 'Example Waste' },
    wsdl,
    window: { start: '2025-06-30T00:00:00Z', maxSpan: '7d' },
    batchSize: 500,
    session: { operation: 'Login', args: { Username: 'casebridge', Password: 'waste-secret' }, token: 'LoginResult.Token' },
    list: {
      operation: 'ServiceRequests_Updates_Get',
      args: { Token: '{{token}}', LastUpdated: '{{since}}', PageNumber: '{{page}}' },
      records: '*.ServiceRequests_Updates.ServiceRequest_Updates',
      key: 'ServiceRequestID',
      paging: { total: '*.ServiceRequests_Updates.$attributes.RecordCount' },
    },
    detail: { operation: 'ServiceRequests_History_Get', args: { Token: '{{token}}', ServiceRequestID: '{{ref}}' }, records: '*.ServiceRequest_Histories.ServiceRequest_History', select: 'latest', orderBy: 'DateChanged', listAs: 'Update', concurrency },
    errors: { code: '*.Errors.Result', message: '*.Errors.Message', sessionExpired: ['-2'] },
    mapping: {
      reference: 'ServiceCode',
      status: { code: 'ServiceStatusName', lookup: 'st' },
      updatedAt: { path: 'DateChanged', date: 'iso' },
      openedAt: { path: 'DateRequested', date: 'iso' },
      closedAt: { path: 'DateClosed', date: 'iso', nullIf: ['0001-01-01T00:00:00'] },
      location: { uprn: 'UPRN', easting: 'ServiceLocation.@Easting', northing: 'ServiceLocation.@Northing' },
      lookups: { st: { entries: { OPEN: { status: 'received' }, 'IN PROGRESS': { status: 'in_progress' }, CLOSED: { status: 'closed' } } } },
    },
  };
}

const mb = (b: number) => (b / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const clock = fixedClock(T0);
  const sim = new BartecSimulator({ pageSize: PAGE, now: () => clock.now() });
  for (let i = 0; i < N; i++) {
    const r = sim.addRequest({ at: new Date(Date.parse('2025-07-01T00:00:00Z') + i * 1000), uprn: String(5_300_000_000 + i) });
    if (i % 3 === 0) sim.setStatus(r.ServiceRequestID, 'IN PROGRESS', new Date(Date.parse('2025-07-01T06:00:00Z') + i * 1000));
  }
  const served = await sim.start();
  const lines: string[] = [`SOAP polling, ${N} service requests, ${PAGE} per page, one history call each (node ${process.version})`];

  for (const concurrency of [1, 4, 8]) {
    const cfg = SoapConnectorConfig.parse(connector(served.wsdlUrl, concurrency));
    const source = createSoapSource(cfg, { connector: 'waste', clock, logger: silentLogger(), state: undefined as never, baseDir: tmpdir() });
    await source.check?.();
    sim.calls.length = 0;
    const t = performance.now();
    let n = 0;
    for await (const b of source.read({ checkpoint: undefined, signal: new AbortController().signal })) {
      n += b.records.length;
      await b.ack({ status: 'committed', published: b.records.length, deadLettered: 0, skipped: 0 });
    }
    const s = (performance.now() - t) / 1000;
    await source.close();
    lines.push(`  source only, concurrency ${concurrency}: ${n} records in ${s.toFixed(2)} s = ${Math.round(n / s)} records/s (${sim.calls.length} SOAP calls)`);
  }

  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-soap-'));
  try {
    const text = stringify({ version: 1, councils: [{ gss: 'E09000019', name: 'Islington' }], state: { path: './state.sqlite' }, publisher: { type: 'local-log', dir: './events', fsync: true }, connectors: [connector(served.wsdlUrl, 8)] });
    writeFileSync(join(dir, 'casebridge.yaml'), text);
    const gw = await createGateway({ loaded: parseConfigText(text, join(dir, 'casebridge.yaml'), dir, {}), logger: silentLogger(), http: false, clock });
    const t = performance.now();
    const [summary] = await gw.runAllOnce({ retry: false });
    const s = (performance.now() - t) / 1000;
    await gw.stop();
    lines.push(`  gateway end to end (mapping, SQLite state, local log fsync), concurrency 8: ${summary!.published} events in ${s.toFixed(2)} s = ${Math.round(summary!.published / s)} events/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await sim.stop();
  }

  const hdir = mkdtempSync(join(tmpdir(), 'cb-bench-hostile-'));
  writeFileSync(join(hdir, 'secret.txt'), 'secret');
  const hostile = await startHostile({ secretFile: join(hdir, 'secret.txt') });
  try {
    for (const mode of ['wsdl', 'raw'] as const) {
      for (const kind of ['bomb', 'huge'] as const) {
        hostile.mode = kind;
        const cfg = SoapConnectorConfig.parse({
          name: 'probe',
          type: 'soap',
          council: 'E09000019',
          system: { supplier: 'Probe' },
          window: { start: '1h' },
          mapping: { reference: 'Reference', status: { code: 'Status', lookup: 'st' } },
          ...(mode === 'wsdl'
            ? { wsdl: hostile.wsdlUrl, list: { operation: 'GetCases', args: { since: '{{since}}' }, records: 'GetCasesResult.Case' } }
            : { mode: 'raw', endpoint: hostile.url, list: { operation: 'GetCases', envelope: new URL('../../tests/soap/envelopes/case-probe.xml', import.meta.url).pathname, records: 'GetCasesResult.Case' } }),
        });
        const source = createSoapSource(cfg, { connector: 'probe', clock: fixedClock(T0), logger: silentLogger(), state: undefined as never, baseDir: hdir });
        await source.check?.();
        global.gc?.();
        const rss0 = process.memoryUsage().rss;
        let peak = rss0;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
        const t = performance.now();
        let code = 'none';
        try {
          for await (const b of source.read({ checkpoint: undefined, signal: new AbortController().signal })) await b.ack({ status: 'committed', published: b.records.length, deadLettered: 0, skipped: 0 });
        } catch (e) {
          code = (e as { code?: string }).code ?? 'error';
        }
        clearInterval(sampler);
        peak = Math.max(peak, process.memoryUsage().rss);
        await source.close();
        lines.push(`  hostile ${kind} (${mode}): refused as ${code} in ${(performance.now() - t).toFixed(0)} ms, RSS +${mb(peak - rss0)} MB${kind === 'huge' ? `, server got to write ${mb(hostile.hugeBytesWritten)} of 50 MB` : ''}`);
      }
    }
  } finally {
    await hostile.close();
    rmSync(hdir, { recursive: true, force: true });
  }
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
