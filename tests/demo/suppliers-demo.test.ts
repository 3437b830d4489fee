/**
 * `npm run demo:suppliers` end to end, as a subprocess: the script starts the SOAP and REST
 * supplier simulators, runs config/demo/suppliers.yaml once and stops them. The config and the
 * WSDLs it references are copied into a temp folder with the same layout, so the events and the
 * state land there and not in the repo.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { readEventLog } from '../helpers/event-log.js';

const REPO = resolve(import.meta.dirname, '../..');
const CONNECTORS = ['islington-waste', 'islington-highways', 'islington-planning', 'islington-repairs'];
/** Contact details the simulators put in their records; none may reach an event. */
const PERSONAL = ['Jane Resident', '07700 900123', 'jane.resident@example.org', 'Sam Walker', 'sam.walker@example.net', 'Mr R Applicant', 'Draw & Build', 'tenant0@example.org', '0207 527'];

const work = mkdtempSync(join(tmpdir(), 'cb-demo-suppliers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function copyDemo(): string {
  const configDir = join(work, 'config/demo');
  const wsdlDir = join(work, 'tests/simulators/soap/wsdl');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(wsdlDir, { recursive: true });
  copyFileSync(join(REPO, 'config/demo/suppliers.yaml'), join(configDir, 'suppliers.yaml'));
  for (const f of readdirSync(join(REPO, 'tests/simulators/soap/wsdl'))) copyFileSync(join(REPO, 'tests/simulators/soap/wsdl', f), join(wsdlDir, f));
  return join(configDir, 'suppliers.yaml');
}

function runDemo(config: string, args: string[] = []) {
  const r = spawnSync('bash', [join(REPO, 'scripts/demo-suppliers.sh'), ...args], {
    cwd: REPO,
    env: { ...process.env, DEMO_CONFIG: config, DEMO_BASE_PORT: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const ports = /on 127\.0\.0\.1:(\d+)-(\d+)/.exec(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, basePort: ports ? Number(ports[1]) : undefined };
}

function refused(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      done(false);
    });
    s.once('error', () => done(true));
  });
}

function eventValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(REPO, 'config/schemas/case-event.v1.json'), 'utf8')));
}

describe('npm run demo:suppliers', () => {
  it('reads every simulated supplier, publishes valid events without personal data, stops the simulators, and a second run publishes nothing', { timeout: 240_000 }, async () => {
    const config = copyDemo();
    const first = runDemo(config);
    expect(first.status, first.stderr).toBe(0);

    // The summary table: every connector ok, something published, nothing dead-lettered.
    const published: Record<string, number> = {};
    for (const name of CONNECTORS) {
      const row = new RegExp(`^${name}\\s+(\\S+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)`, 'm').exec(first.stdout);
      expect(row, `no summary row for ${name} in:\n${first.stdout}`).not.toBeNull();
      expect(row![1], name).toBe('ok');
      published[name] = Number(row![3]);
      expect(published[name], name).toBeGreaterThan(0);
      expect(Number(row![4]), `${name} dead letters`).toBe(0);
    }
    const total = Number(/(\d+) event\(s\) published, 0 dead letter\(s\)/.exec(first.stdout)?.[1]);

    // The simulators were stopped by the script's trap.
    expect(first.basePort, first.stderr).toBeDefined();
    for (let p = first.basePort!; p < first.basePort! + 4; p++) expect(await refused(p), `port ${p} still answers`).toBe(true);

    const eventsDir = join(work, 'config/demo/var/suppliers/events');
    const events = readEventLog(eventsDir);
    expect(events.length).toBe(total);
    const validate = eventValidator();
    for (const e of events) expect(validate(e), `${e.subject}: ${JSON.stringify(validate.errors)}`).toBe(true);
    const by = (name: string) => events.filter((e) => e.data.provenance.connector === name);
    for (const name of CONNECTORS) expect(by(name).length, name).toBe(published[name]);

    // Planning applications carry no update time: casebridge stamped when it saw them.
    for (const e of by('islington-planning')) expect(e.data.provenance.updatedAtSource, e.subject).toBe('observed');
    for (const name of ['islington-waste', 'islington-highways', 'islington-repairs']) {
      for (const e of by(name)) expect(e.data.provenance.updatedAtSource, e.subject).toBe('supplier');
    }

    // Waste: grid references became latitude/longitude (north London), contact details never left.
    for (const e of by('islington-waste')) {
      expect(e.data.location.latitude, e.subject).toBeGreaterThan(51.5);
      expect(e.data.location.latitude, e.subject).toBeLessThan(51.6);
      expect(e.data.location.longitude, e.subject).toBeGreaterThan(-0.2);
      expect(e.data.location.longitude, e.subject).toBeLessThan(-0.05);
      expect(e.data.personal, e.subject).toBeUndefined();
    }
    const text = readFileSync(join(eventsDir, 'events-000001.jsonl'), 'utf8');
    for (const p of PERSONAL) expect(text, p).not.toContain(p);

    // Status codes went through the lookups; one highways enquiry moved on within the run.
    expect(new Set(by('islington-waste').map((e) => e.data.case.status.lifecycle))).toEqual(new Set(['received', 'in_progress', 'closed']));
    expect(by('islington-highways').some((e) => e.type === 'uk.casebridge.case.status_changed.v1')).toBe(true);

    // Again: the simulators restart with the same data, and the committed positions say it is old.
    const second = runDemo(config, ['--json']);
    expect(second.status, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout) as { connectors: { connector: string; status: string; published: number }[] };
    expect(summary.connectors.map((c) => [c.connector, c.status, c.published])).toEqual(CONNECTORS.map((n) => [n, 'ok', 0]));
    expect(readEventLog(eventsDir).length).toBe(total);
  });
});
