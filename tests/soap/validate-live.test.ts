/**
 * `casebridge validate --live` against a real SOAP service (the waste simulator, served by the soap
 * package): operation and argument names are checked against the WSDL, with a did-you-mean.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { BartecSimulator } from '../simulators/soap/bartec.js';

let sim: BartecSimulator;
let wsdlUrl: string;
let dir: string;
beforeEach(async () => {
  sim = new BartecSimulator({ pageSize: 4, now: () => new Date('2025-07-01T12:00:00Z') });
  wsdlUrl = (await sim.start()).wsdlUrl;
  dir = mkdtempSync(join(tmpdir(), 'cb-live-'));
});
afterEach(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(list: string, detail: string): string {
  const file = join(dir, 'casebridge.yaml');
  writeFileSync(
    file,
    `version: 1
councils:
  - { gss: E09000019, name: London Borough of Islington }
state: { path: ./state.sqlite }
connectors:
  - name: waste
    type: soap
    council: E09000019
    system: { supplier: Example Waste }
    wsdl: ${wsdlUrl}
    session: { operation: Login, args: { Username: casebridge, Password: secret }, token: LoginResult.Token }
    list:
${list}
      records: "*.ServiceRequests_Updates.ServiceRequest_Updates"
      key: ServiceRequestID
      paging: { start: 1, total: "*.ServiceRequests_Updates.$attributes.RecordCount" }
    detail:
${detail}
      records: "*.ServiceRequest_Histories.ServiceRequest_History"
    mapping:
      reference: ServiceCode
      status: { code: ServiceStatusName, lookup: st }
      lookups: { st: { entries: { OPEN: { status: received } } } }
`,
  );
  return file;
}

async function validateLive(file: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  // Asynchronous: the simulator answers from this process.
  const child = spawnCli(['validate', '--live', file]);
  const status = await new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { status, ...child.output() };
}

describe('validate --live against a WSDL', () => {
  it('passes operations and arguments the WSDL declares', async () => {
    const file = config(
      `      operation: ServiceRequests_Updates_Get
      args: { Token: "{{token}}", LastUpdated: "{{since}}", PageNumber: "{{page}}" }`,
      `      operation: ServiceRequests_History_Get
      args: { Token: "{{token}}", ServiceRequestID: "{{ref}}" }`,
    );
    const r = await validateLive(file);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`ok  ${file}: 1 connector(s): waste (soap)\n`);
    expect(r.status).toBe(0);
  });

  it('names a misnamed argument (case or spelling) and an unknown operation, at their config lines, with a did-you-mean', async () => {
    const file = config(
      `      operation: ServiceRequests_Updates_Get
      args:
        TOKEN: "{{token}}"
        LastUpdate: "{{since}}"
        PageNumber: "{{page}}"
        Foo: bar`,
      `      operation: ServiceRequest_History_Get
      args: { Token: "{{token}}", ServiceRequestID: "{{ref}}" }`,
    );
    const r = await validateLive(file);
    expect(r.status).toBe(2);
    const op = 'ServiceRequests_Updates_Get';
    expect(r.stderr).toBe(
      [
        `invalid  ${file}: 4 problem(s)`,
        `  ${file}:15:16  connectors[0].list.args.TOKEN: argument "TOKEN" is not in the WSDL's input for ${op} — did you mean "Token"? (it takes: Token, LastUpdated, PageNumber)`,
        `  ${file}:16:21  connectors[0].list.args.LastUpdate: argument "LastUpdate" is not in the WSDL's input for ${op} — did you mean "LastUpdated"? (it takes: Token, LastUpdated, PageNumber)`,
        `  ${file}:18:14  connectors[0].list.args.Foo: argument "Foo" is not in the WSDL's input for ${op} (it takes: Token, LastUpdated, PageNumber)`,
        `  ${file}:23:18  connectors[0].detail.operation: operation "ServiceRequest_History_Get" is not in the WSDL — did you mean "ServiceRequests_History_Get"? (it has: Login, ServiceRequests_Updates_Get, ServiceRequests_History_Get)`,
        '',
      ].join('\n'),
    );
  });
});
