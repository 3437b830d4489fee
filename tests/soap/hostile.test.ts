/**
 * Hostile responses over real HTTP on 127.0.0.1, in both modes (the soap package with its own sax
 * parser, and raw envelopes with fast-xml-parser): each ends in a bounded, clear, typed error and
 * nothing is read from disk, nothing lands on Object.prototype.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoapConnectorConfig } from '../../src/connectors/soap/config.js';
import { createSoapSource } from '../../src/connectors/soap/create.js';
import type { SourceRecord } from '../../src/core/source.js';
import { fixedClock } from '../../src/core/clock.js';
import { CasebridgeError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { startHostile, type Hostile } from '../simulators/soap/hostile.js';
import { wsdlText } from '../simulators/soap/serve.js';
import { tempDir } from './harness.js';
import { committed } from '../helpers/outcome.js';

const SECRET = `casebridge-secret-${process.pid}-${Date.now()}`;
const ENVELOPES = join(import.meta.dirname, 'envelopes');
let hostile: Hostile;
let dir: string;

beforeAll(async () => {
  dir = tempDir('cb-soap-hostile-');
  const secretFile = join(dir, 'secret.txt');
  writeFileSync(secretFile, SECRET);
  hostile = await startHostile({ secretFile });
});
afterAll(async () => {
  await hostile.close();
});

function config(mode: 'wsdl' | 'raw', extra: Record<string, unknown> = {}): SoapConnectorConfig {
  const base = {
    name: 'probe',
    type: 'soap',
    council: 'E09000019',
    system: { supplier: 'Probe' },
    timeout: '1500ms',
    window: { start: '1h' },
    mapping: { reference: 'Reference', status: { code: 'Status', lookup: 'st' } },
  };
  const call =
    mode === 'wsdl'
      ? { wsdl: hostile.wsdlUrl, list: { operation: 'GetCases', args: { since: '{{since}}' }, records: 'GetCasesResult.Case' } }
      : { mode: 'raw', endpoint: hostile.url, list: { operation: 'GetCases', soapAction: 'http://example.org/cases/GetCases', envelope: join(ENVELOPES, 'case-probe.xml'), records: 'GetCasesResult.Case' } };
  return SoapConnectorConfig.parse({ ...base, ...call, ...extra });
}

interface Outcome {
  records: SourceRecord[];
  error: CasebridgeError | undefined;
  logs: string;
}

async function readAll(cfg: SoapConnectorConfig): Promise<Outcome> {
  let logs = '';
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs += String(chunk);
      cb();
    },
  });
  const logger = createLogger({ level: 'trace', destination });
  const source = createSoapSource(cfg, { connector: cfg.name, clock: fixedClock('2025-07-01T12:00:00Z'), logger, state: undefined as never, baseDir: dir });
  const records: SourceRecord[] = [];
  let error: CasebridgeError | undefined;
  try {
    for await (const b of source.read({ checkpoint: undefined, signal: new AbortController().signal })) {
      records.push(...b.records);
      await b.ack(committed(b));
    }
  } catch (e) {
    if (!(e instanceof CasebridgeError)) throw e;
    error = e;
    logger.error({ err: e }, e.message);
  } finally {
    await source.close();
  }
  return { records, error, logs };
}

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();
const cleanPrototype = prototypeKeys();

describe.each(['wsdl', 'raw'] as const)('hostile responses (%s mode)', (mode) => {
  it('control: a normal response reads, with XML entities decoded once', async () => {
    hostile.mode = 'ok';
    const out = await readAll(config(mode));
    expect(out.error).toBeUndefined();
    expect(out.records.map((r) => r.raw.Reference)).toEqual(['C1', 'C2']);
    expect(out.records[1]!.raw.Notes).toBe('Fly-tipping & litter <cleared> £50');
  });

  it('entity expansion bomb (billion laughs): refused before parsing', async () => {
    hostile.mode = 'bomb';
    const out = await readAll(config(mode));
    expect(out.error).toMatchObject({ code: 'xml_dtd', retriable: false });
    expect(out.error!.message).toContain('refused XML with a DTD');
    expect(out.records).toHaveLength(0);
    expect(out.logs).not.toContain('lollollol');
  });

  it.each(['xxe', 'xxe-parameter'] as const)('external entity pointing at a local file (%s): refused, the file never read', async (m) => {
    hostile.mode = m;
    const out = await readAll(config(mode));
    expect(out.error).toMatchObject({ code: 'xml_dtd', retriable: false });
    expect(out.records).toHaveLength(0);
    expect(out.error!.message).not.toContain(SECRET);
    expect(out.logs).not.toContain(SECRET);
    expect(out.logs).toContain('refused XML with a DTD');
  });

  it.each(['proto', 'constructor'] as const)('elements named %s: refused, Object.prototype untouched', async (m) => {
    hostile.mode = m;
    const out = await readAll(config(mode));
    expect(out.error).toMatchObject({ code: 'xml_unsafe_name', retriable: false });
    expect(out.error!.message).toMatch(/__proto__|constructor/);
    expect(out.records).toHaveLength(0);
    expect(prototypeKeys()).toEqual(cleanPrototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a 50 MB response: cut off at maxResponseBytes with a clear error', async () => {
    hostile.mode = 'huge';
    const out = await readAll(config(mode, { maxResponseBytes: 4 * 1024 * 1024 }));
    expect(out.error).toMatchObject({ code: 'response_too_large', retriable: false });
    expect(out.error!.message).toContain('maxResponseBytes (4194304 bytes)');
    expect(out.records).toHaveLength(0);
    // The client stopped reading: the server could not push the whole 50 MB.
    expect(hostile.hugeBytesWritten).toBeLessThan(50 * 1024 * 1024);
  });

  it('a server that accepts the connection and never answers: timeout', async () => {
    hostile.mode = 'hang';
    const out = await readAll(config(mode, { timeout: '800ms' }));
    expect(out.error).toMatchObject({ code: 'timeout', retriable: true });
    expect(out.error!.message).toContain('no complete response within 800 ms');
  });

  it('a server that trickles a byte at a time forever: the whole-call deadline still ends it', async () => {
    hostile.mode = 'trickle';
    const out = await readAll(config(mode, { timeout: '800ms' }));
    expect(out.error).toMatchObject({ code: 'timeout', retriable: true });
  });

  it('a redirect to another host: refused, not followed', async () => {
    hostile.mode = 'redirect';
    const before = hostile.requests;
    const out = await readAll(config(mode));
    expect(out.error).toMatchObject({ code: 'redirect_refused', retriable: false });
    expect(out.error!.message).toContain('http://127.0.0.2:9/evil');
    expect(hostile.requests).toBe(before + 1);
  });
});

describe('WSDL loading is confined', () => {
  const probe = () => wsdlText('case-probe.wsdl', hostile.url);
  const withImport = (location: string) => probe().replace('<s:complexType name="Case">', `<s:import namespace="http://example.org/other/" schemaLocation="${location}"/><s:complexType name="Case">`);

  it('a local WSDL with a DTD is refused', async () => {
    hostile.mode = 'ok';
    const file = join(dir, 'dtd.wsdl');
    writeFileSync(file, probe().replace('<wsdl:definitions', `<!DOCTYPE d [<!ENTITY x SYSTEM "file://${hostile.secretFile}">]><wsdl:definitions`));
    const out = await readAll(config('wsdl', { wsdl: file, endpoint: hostile.url }));
    expect(out.error).toMatchObject({ code: 'xml_dtd' });
    expect(out.logs).not.toContain(SECRET);
  });

  it('an import from a host that is not the WSDL/endpoint host is refused without contacting it', async () => {
    let contacted = 0;
    const other = http.createServer((_q, r) => {
      contacted++;
      r.end('<s:schema xmlns:s="http://www.w3.org/2001/XMLSchema"/>');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    // Same machine, different port: a different host:port is a different host.
    const evil = `http://127.0.0.1:${(other.address() as AddressInfo).port}/types.xsd`;
    try {
      const file = join(dir, 'remote-import.wsdl');
      writeFileSync(file, withImport(evil));
      const out = await readAll(config('wsdl', { wsdl: file, endpoint: hostile.url }));
      expect(out.error).toMatchObject({ code: 'config' });
      expect(out.error!.message).toContain(`WSDL import from ${evil} refused`);
      expect(contacted).toBe(0);

      // Allow-listed, the same import is fetched and the service works.
      hostile.mode = 'ok';
      const ok = await readAll(config('wsdl', { wsdl: file, endpoint: hostile.url, allowHosts: [`127.0.0.1:${(other.address() as AddressInfo).port}`] }));
      expect(contacted).toBe(1);
      expect(ok.error).toBeUndefined();
      expect(ok.records).toHaveLength(2);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('a local import outside the WSDL folder is refused; one beside it is read', async () => {
    const sub = join(dir, 'wsdl');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(dir, 'outside.xsd'), '<s:schema xmlns:s="http://www.w3.org/2001/XMLSchema" targetNamespace="http://example.org/other/"/>');
    writeFileSync(join(sub, 'beside.xsd'), '<s:schema xmlns:s="http://www.w3.org/2001/XMLSchema" targetNamespace="http://example.org/other/"/>');
    writeFileSync(join(sub, 'escape.wsdl'), withImport('../outside.xsd'));
    writeFileSync(join(sub, 'fine.wsdl'), withImport('beside.xsd'));
    hostile.mode = 'ok';
    const bad = await readAll(config('wsdl', { wsdl: join(sub, 'escape.wsdl'), endpoint: hostile.url }));
    expect(bad.error).toMatchObject({ code: 'config' });
    expect(bad.error!.message).toContain('local imports must stay inside');
    const good = await readAll(config('wsdl', { wsdl: join(sub, 'fine.wsdl'), endpoint: hostile.url }));
    expect(good.error).toBeUndefined();
    expect(good.records).toHaveLength(2);
  });

  it('a downloaded WSDL that sends calls to another host is refused unless endpoint is set', async () => {
    const server = http.createServer((_q, r) => r.end(wsdlText('case-probe.wsdl', 'http://127.0.0.2:9/cases')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cases?wsdl`;
      const out = await readAll(config('wsdl', { wsdl: url }));
      expect(out.error).toMatchObject({ code: 'config' });
      expect(out.error!.message).toContain('sends calls to http://127.0.0.2:9/cases');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
