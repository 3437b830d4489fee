/**
 * A list call that reads 0 records is not silently "ok" when the response says otherwise: a
 * `records` path matching nothing in a non-empty response, or an in-body error element that
 * `errors` does not describe, is a warning — logged, counted in the metrics and in the summary.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { summaryTable } from '../../src/cli/output.js';
import { emptyListWarning } from '../../src/connectors/soap/response-checks.js';
import { spawnCli } from '../helpers/cli.js';
import { BartecSimulator } from '../simulators/soap/bartec.js';
import { openHarness, type Harness } from './harness.js';
import { stringify } from 'yaml';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const T0 = '2025-07-01T12:00:00Z';
const clock = fixedClock(T0);
const env = { WASTE_PASSWORD: 'waste-secret' };
const RULES = { code: '*.Errors.Result', message: '*.Errors.Message', success: ['0'], retriable: [], sessionExpired: [] };
const NO_RULES = { success: ['0'], retriable: [], sessionExpired: [] };

let sim: BartecSimulator;
let wsdl: string;
let h: Harness | undefined;
beforeEach(async () => {
  clock.set(T0);
  sim = new BartecSimulator({ pageSize: 4, now: () => clock.now() });
  for (let i = 0; i < 3; i++) sim.addRequest({ at: new Date(Date.parse('2025-07-01T08:00:00Z') + i * 60_000), uprn: String(5_300_012_000 + i) });
  wsdl = (await sim.start()).wsdlUrl;
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim.stop();
});

function wasteConnector(wsdl: string): Record<string, unknown> {
  return {
    name: 'waste',
    type: 'soap',
    council: 'E09000019',
    system: { supplier: 'Example Waste' },
    retry: { initial: '10ms', max: '50ms' },
    wsdl,
    timeout: '5s',
    window: { start: '2025-07-01T00:00:00Z', maxSpan: '1d', lag: '30s', overlap: '2m' },
    session: { operation: 'Login', args: { Username: 'casebridge', Password: '${env:WASTE_PASSWORD}' }, token: 'LoginResult.Token' },
    list: {
      operation: 'ServiceRequests_Updates_Get',
      args: { Token: '{{token}}', LastUpdated: '{{since}}', PageNumber: '{{page}}' },
      records: '*.ServiceRequests_Updates.ServiceRequest_Updates',
      key: 'ServiceRequestID',
      paging: { start: 1, total: '*.ServiceRequests_Updates.$attributes.RecordCount' },
    },
    errors: RULES,
    mapping: {
      reference: 'ServiceCode',
      status: { code: { const: 'OPEN' }, lookup: 'st' },
      updatedAt: { path: 'DateChanged', date: 'iso' },
      lookups: { st: { entries: { OPEN: { status: 'received' } } } },
    },
  };
}

const wrongPath = (w: string) => {
  const c = wasteConnector(w);
  return { ...c, list: { ...(c.list as object), records: '*.ServiceRequests_Update.ServiceRequest_Updates' } };
};

describe('emptyListWarning', () => {
  const response = { R: { Errors: { Result: '0', Message: 'Success' }, Items: { Item: [{ Id: '1' }] } } };
  it('warns when the path stops matching where the response has content, naming what is there', () => {
    expect(emptyListWarning(response, '*.Itemz.Item', RULES, 'Op')).toEqual({
      code: 'soap_records_path_empty',
      message: 'list.records "*.Itemz.Item" matched nothing in a non-empty Op response: *.Itemz is not there (* in the response has: Items); check the path',
    });
  });
  it('stays quiet for an empty listing: an empty container, or only the configured error element', () => {
    expect(emptyListWarning({ R: { Errors: { Result: '0', Message: 'Success' }, Items: { $attributes: { RecordCount: '0' } } } }, '*.Items.Item', RULES, 'Op')).toBeUndefined();
    expect(emptyListWarning({ R: { Errors: { Result: '0', Message: 'Success' } } }, '*.Items.Item', RULES, 'Op')).toBeUndefined();
    expect(emptyListWarning({}, '*.Items.Item', RULES, 'Op')).toBeUndefined();
  });
  it('names an error element errors.code does not describe', () => {
    expect(emptyListWarning({ R: { Errors: { Result: '-2', Message: 'Session token is invalid' } } }, '*.Items.Item', NO_RULES, 'Op')).toEqual({
      code: 'soap_unconfigured_error',
      message:
        'the Op response has what looks like an error report at R.Errors (Result: "-2", Message: "Session token is invalid") and no records, but errors.code is not configured, so it counts as "0 records"; set errors.code (and errors.message) to the supplier\'s error element',
    });
  });
});

describe('list warnings in a run against the waste simulator', () => {
  it('a records path matching nothing: warning in the run summary and the metrics, not a silent 0', async () => {
    h = await openHarness(wrongPath(wsdl), { clock, env });
    const summary = await h.run();
    expect(summary).toMatchObject({ status: 'ok', read: 0, published: 0 });
    const message =
      'list.records "*.ServiceRequests_Update.ServiceRequest_Updates" matched nothing in a non-empty ServiceRequests_Updates_Get response: *.ServiceRequests_Update is not there (* in the response has: ServiceRequests_Updates); check the path';
    expect(summary.warnings).toEqual({ soap_records_path_empty: { count: 1, message } });
    expect(summaryTable([summary])).toContain(`\nwaste: warning: ${message}`);
    const metrics = await h.gw.metrics.registry.metrics();
    expect(metrics).toContain('casebridge_source_warnings_total{connector="waste",code="soap_records_path_empty"} 1');
  });

  it('the right path over the same data: no warning', async () => {
    h = await openHarness(wasteConnector(wsdl), { clock, env });
    const summary = await h.run();
    expect(summary).toMatchObject({ status: 'ok', read: 3 });
    expect(summary.warnings).toBeUndefined();
  });

  it('an in-body error with errors not configured: warned about in the log and the summary of `run --once`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-soapwarn-'));
    try {
      const c = wasteConnector(wsdl);
      // No session and a token the supplier does not know: every list call answers Errors.Result = -2.
      const { session: _session, errors: _errors, ...rest } = c;
      const connector = { ...rest, list: { ...(c.list as object), args: { Token: 'not-a-token', LastUpdated: '{{since}}', PageNumber: '{{page}}' } } };
      const file = join(dir, 'casebridge.yaml');
      writeFileSync(file, stringify({ version: 1, councils: [{ gss: 'E09000019', name: 'Islington' }], state: { path: './state.sqlite' }, publisher: { type: 'local-log', dir: './events' }, connectors: [connector] }));
      const child = spawnCli(['run', file, '--once', '--no-progress'], { env });
      const status = await new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const { stdout, stderr } = child.output();
      expect(status).toBe(0);
      const message =
        'the ServiceRequests_Updates_Get response has what looks like an error report at ServiceRequests_Updates_GetResult.Errors (Result: "-2", Message: "Session token is invalid or has expired") and no records, but errors.code is not configured, so it counts as "0 records"; set errors.code (and errors.message) to the supplier\'s error element';
      expect(stdout).toContain(`waste: warning: ${message}`);
      const logged = stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; code?: string; msg: string });
      expect(logged).toContainEqual(expect.objectContaining({ level: 'warn', code: 'soap_unconfigured_error', msg: `waste: ${message}` }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
