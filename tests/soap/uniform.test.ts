/**
 * Planning over real HTTP(S): list the references changed since a time, then one call per
 * reference (bounded concurrency). The details carry no update time, so casebridge stamps the time
 * it observed the change. HTTP Basic in one install, a client certificate in another.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { UniformSimulator } from '../simulators/soap/uniform.js';
import { makeCerts, type TestCerts } from './certs.js';
import { openHarness, tempDir, type Harness } from './harness.js';

const T0 = '2025-11-03T10:00:00Z'; // GMT: UK local time equals UTC
const env = { PLANNING_PASSWORD: 'planning-secret' };

function planningConnector(wsdl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'planning',
    type: 'soap',
    council: 'E09000019',
    system: { supplier: 'Example Planning', product: 'Planning Applications' },
    retry: { initial: '10ms', max: '50ms' },
    wsdl,
    auth: { type: 'basic', username: 'casebridge', password: '${env:PLANNING_PASSWORD}' },
    timeout: '5s',
    window: { start: '7d', lag: '1m', overlap: '5m' },
    list: { operation: 'GetChangedServiceRequestRefVals', args: { since: '{{since}}' }, records: 'GetChangedServiceRequestRefValsResult.string' },
    detail: {
      operation: 'GetServiceRequestByReferenceValue',
      args: { referenceValue: '{{ref}}' },
      records: 'GetServiceRequestByReferenceValueResult',
      concurrency: 3,
    },
    errors: { retriable: ['Server'] },
    mapping: {
      reference: 'ReferenceValue',
      description: 'ProposalDescription',
      service: { code: 'ApplicationType' },
      status: { code: 'StatusCode', label: 'StatusDescription', lookup: 'planning-status' },
      openedAt: { path: 'DateReceived', date: 'yyyy-MM-dd' },
      dueAt: { path: 'TargetDate', date: 'yyyy-MM-dd' },
      closedAt: { path: 'DecisionDate', date: 'yyyy-MM-dd' },
      location: { uprn: 'UPRN', address: 'SiteAddress', postcode: 'SitePostcode', easting: 'Easting', northing: 'Northing' },
      personal: [{ name: 'applicant', value: 'ApplicantName', mode: 'omit' }],
      lookups: {
        'planning-status': {
          entries: {
            REG: { status: 'received' },
            VAL: { status: 'in_progress', label: 'Under consideration' },
            CON: { status: 'in_progress', label: 'Out to consultation' },
            DEC: { status: 'closed', label: 'Decided' },
            WDN: { status: 'cancelled', label: 'Withdrawn' },
          },
        },
      },
    },
    ...extra,
  };
}

const clock = fixedClock(T0);
let sim: UniformSimulator;
let h: Harness | undefined;
let refs: string[];

function seed(s: UniformSimulator): string[] {
  const out: string[] = [];
  for (let i = 0; i < 7; i++) out.push(s.addApplication({ at: new Date(Date.parse('2025-11-01T09:00:00Z') + i * 3_600_000), proposal: `Proposal ${i}` }).ReferenceValue);
  return out;
}

afterEach(async () => {
  await h?.close();
  h = undefined;
  await sim?.stop();
});

describe('planning (changed references, then details) with HTTP Basic', () => {
  beforeEach(async () => {
    clock.set(T0);
    sim = new UniformSimulator();
    refs = seed(sim);
    await sim.start();
  });

  it('fetches every changed reference once, at most `concurrency` at a time, and stamps the observed time', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const services = sim.served!.soapServer.services as Record<string, Record<string, Record<string, (a: unknown) => unknown>>>;
    const port = services.PlanningService!.PlanningServiceSoap!;
    const real = port.GetServiceRequestByReferenceValue!;
    port.GetServiceRequestByReferenceValue = async (args: unknown) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return real(args);
    };

    h = await openHarness(planningConnector(sim.served!.wsdlUrl), { clock, env });
    expect((await h.run()).status).toBe('ok');
    const details = sim.calls.filter((c) => c.op === 'GetServiceRequestByReferenceValue');
    expect(details.map((c) => c.args.referenceValue).sort()).toEqual([...refs].sort());
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    // "7d" before 10:00 GMT on 3 Nov, sent as UK local time.
    expect(sim.calls[0]).toMatchObject({ op: 'GetChangedServiceRequestRefVals', args: { since: '2025-10-27T10:00:00' } });

    const e = h.byRef().get(refs[0]!)!;
    expect(e.type).toBe('uk.casebridge.case.created.v1');
    expect(e.data.case).toMatchObject({ reference: refs[0], status: { code: 'REG', lifecycle: 'received', label: 'Registered' }, service: { code: 'FUL' }, description: 'Proposal 0' });
    // No update time from the supplier: casebridge stamped when it saw the record, and says so.
    expect(e.data.provenance.updatedAtSource).toBe('observed');
    expect(Date.parse(e.data.case.updatedAt)).toBe(Date.parse(T0));
    expect(e.data.location).toMatchObject({ uprn: '5300098765', postcode: 'N1 4RH' });
    expect(e.data.provenance.position).toMatchObject({ operation: 'GetServiceRequestByReferenceValue', key: refs[0] });
    expect(JSON.stringify(h.events())).not.toContain('Mr R Applicant');
  });

  it('a decision on one application yields one closed event next run; the unchanged ones yield nothing', async () => {
    h = await openHarness(planningConnector(sim.served!.wsdlUrl), { clock, env });
    await h.run();
    clock.set('2025-11-03T11:00:00Z');
    sim.setStatus(refs[2]!, 'DEC', new Date('2025-11-03T10:30:00Z'), 'PER');
    sim.calls.length = 0;
    expect((await h.run()).status).toBe('ok');
    // Window since = 09:59Z (previous end) - 5m overlap; only the changed reference is listed.
    expect(sim.calls[0]?.args.since).toBe('2025-11-03T09:54:00');
    expect(sim.calls.filter((c) => c.op === 'GetServiceRequestByReferenceValue').map((c) => c.args.referenceValue)).toEqual([refs[2]]);
    const closed = h.events().slice(7);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ subject: refs[2], type: 'uk.casebridge.case.closed.v1' });
    expect(Date.parse(closed[0]!.data.case.closedAt!)).toBe(Date.parse('2025-11-03T00:00:00Z')); // a date, UK midnight
    expect(Date.parse(closed[0]!.data.case.updatedAt)).toBe(Date.parse('2025-11-03T11:00:00Z'));
  });

  it('a retriable fault on one detail call fails the run; nothing is committed and the next run completes', async () => {
    h = await openHarness(planningConnector(sim.served!.wsdlUrl), { clock, env });
    sim.failNext('GetServiceRequestByReferenceValue', 'soap:Server', 'Server is busy');
    const failed = await h.run();
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.error).toContain('SOAP fault soap:Server: Server is busy');
    expect(await h.checkpoint()).toBeUndefined();
    expect((await h.run()).status).toBe('ok');
    expect(new Set(h.events().map((e) => e.subject)).size).toBe(7);
  });

  it('wrong Basic credentials: HTTP 401, a clear non-retriable error', async () => {
    h = await openHarness(planningConnector(sim.served!.wsdlUrl), { clock, env: { PLANNING_PASSWORD: 'nope-nope' } });
    const summary = await h.run();
    expect(summary.status).toBe('failed');
    expect(summary.error).toContain('HTTP 401');
    expect(h.gw.runners.get('planning')?.status).toBe('failed');
  });
});

describe('planning with a client certificate over HTTPS', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeCerts(tempDir('cb-soap-certs-'));
  });
  beforeEach(async () => {
    clock.set(T0);
    sim = new UniformSimulator({
      basicAuth: false,
      tls: { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ca: readFileSync(certs.caCert), requestCert: true },
    });
    refs = seed(sim);
    await sim.start();
  });

  it('reads the WSDL and calls the service with the client certificate', async () => {
    expect(sim.served!.wsdlUrl).toMatch(/^https:\/\/127\.0\.0\.1:/);
    h = await openHarness(planningConnector(sim.served!.wsdlUrl, { auth: { type: 'certificate', cert: certs.clientCert, key: certs.clientKey }, tls: { ca: certs.caCert } }), { clock, env });
    const summary = await h.run();
    expect(summary.status).toBe('ok');
    expect(h.byRef().size).toBe(7);
  });

  it('without the client certificate the TLS handshake is refused and nothing is published', async () => {
    h = await openHarness(planningConnector(sim.served!.wsdlUrl, { auth: { type: 'none' }, tls: { ca: certs.caCert } }), { clock, env });
    // A start-up failure stops only this connector: the run reports it instead of throwing.
    const s = await h.run();
    expect(s.status).toBe('failed');
    expect(s.error).toMatch(/WSDL/);
    expect(h.events()).toHaveLength(0);
  });

  it('an untrusted server certificate is refused (no tls.ca)', async () => {
    h = await openHarness(planningConnector(sim.served!.wsdlUrl, { auth: { type: 'certificate', cert: certs.clientCert, key: certs.clientKey } }), { clock, env });
    const s = await h.run();
    expect(s.status).toBe('failed');
    expect(s.error).toMatch(/certificate/i);
    expect(h.events()).toHaveLength(0);
  });
});
