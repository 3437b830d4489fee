/**
 * The README promises that a new SOAP supplier is added by config only. This runs the complete
 * example from the doc, unchanged except for the simulator's address, against the waste simulator.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createGateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { BartecSimulator } from '../simulators/soap/bartec.js';
import { WSDL_DIR } from '../simulators/soap/serve.js';
import { tempDir } from './harness.js';

const doc = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const marker = doc.indexOf('<!-- soap-doc-example');
const block = /```yaml\n([\s\S]*?)```/.exec(doc.slice(marker))![1]!;

let sim: BartecSimulator;
beforeAll(async () => {
  sim = new BartecSimulator();
  for (let i = 0; i < 3; i++) sim.addRequest({ at: new Date(Date.now() - (3 - i) * 3_600_000) });
  sim.setStatus(51_688, 'CLOSED', new Date(Date.now() - 30 * 60_000));
  await sim.start();
});
afterAll(async () => {
  await sim.stop();
});

describe('README SOAP example', () => {
  it('validates and reads the supplier into case events', async () => {
    expect(block).toContain('name: islington-waste');
    const dir = tempDir('cb-soap-doc-');
    mkdirSync(join(dir, 'wsdl'));
    copyFileSync(join(WSDL_DIR, 'bartec-collective.wsdl'), join(dir, 'wsdl', 'bartec-collective.wsdl'));
    const text = block.replace('http://127.0.0.1:8081/WasteServices/Service.asmx', sim.served!.url);
    expect(text).not.toBe(block);
    const loaded = parseConfigText(text, join(dir, 'casebridge.yaml'), dir, { WASTE_PASSWORD: 'waste-secret' });
    const gw = await createGateway({ loaded, logger: silentLogger(), http: false });
    try {
      const [summary] = await gw.runAllOnce({ retry: false });
      expect(summary).toMatchObject({ status: 'ok', published: 3 });
    } finally {
      await gw.stop();
    }
    const events = readFileSync(join(dir, 'var', 'events', 'events-000001.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const closed = events.find((e) => e.subject === 'SR00051688');
    expect(closed).toMatchObject({ type: 'uk.casebridge.case.closed.v1', data: { case: { status: { lifecycle: 'closed', code: 'CLOSED' } } } });
    expect(events.map((e) => e.data.location.uprn)).toEqual(['5300012345', '5300012345', '5300012345']);
  });
});
