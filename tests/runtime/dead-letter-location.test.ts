/**
 * A dead letter from a running gateway points at the config line of the rule that rejected it, the
 * way `casebridge test` does, and carries no personal data. Real parts: a config file on disk, the
 * file connector reading a CSV drop, the local-log publisher writing dead letters to disk.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile, parsePath } from '../../src/config/load.js';
import { DeadLetter } from '../../src/core/dead-letter.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';

const CONFIG = `version: 1
councils:
  - { gss: E09000019, name: Islington }
state: { path: state.sqlite }
http: { enabled: false }
publisher: { type: local-log, dir: out }
connectors:
  - name: repairs
    type: file
    council: E09000019
    system: { supplier: Repairs }
    path: drop
    ready: { stableFor: 0s }
    format: { type: csv }
    mapping:
      reference: Job
      status:
        code: Status
        lookup: repair-statuses
      openedAt: { path: Raised, date: dd/MM/yyyy HH:mm }
      personal:
        - name: email
          value: Email
      lookups:
        repair-statuses:
          entries:
            RAISED: { status: received }
`;

let gw: Gateway | undefined;
let dir: string | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** 1-based line and column of the value after `key:` on the first line holding it. */
function where(text: string, key: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trimStart().startsWith(`${key}:`));
  const col = lines[i]!.indexOf(':', lines[i]!.indexOf(key)) + 2;
  return `${i + 1}:${col + 1}`;
}

describe('dead letters from a gateway run', () => {
  it('name the config file, line and column of the rule, and keep no personal value', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cb-dl-where-'));
    const file = join(dir, 'council.yaml');
    writeFileSync(file, CONFIG);
    mkdirSync(join(dir, 'drop'));
    writeFileSync(
      join(dir, 'drop', 'jobs.csv'),
      ['Job,Status,Raised,Email', 'J1,RAISED,01/07/2025 09:00,one@example.org', 'J2,WAITING,01/07/2025 09:05,two@example.org', 'J3,RAISED,yesterday,three@example.org', ''].join('\r\n'),
    );

    gw = await createGateway({ loaded: loadConfigFile(file, {}), logger: silentLogger(), http: false });
    const [summary] = await gw.runAllOnce({ retry: false });
    expect(summary).toMatchObject({ status: 'ok', read: 3, published: 1, deadLettered: 2 });
    await gw.stop();

    const files = readdirSync(join(dir, 'out')).filter((f) => f.startsWith('dead-letters'));
    const letters = files.flatMap((f) => readFileSync(join(dir!, 'out', f), 'utf8').trim().split('\n')).map((l) => DeadLetter.parse(JSON.parse(l)));
    expect(letters.map((l) => l.code).sort()).toEqual(['bad_date', 'unknown_status']);

    const unknown = letters.find((l) => l.code === 'unknown_status')!;
    expect(unknown.reason).toBe(
      `unknown status code "WAITING" in lookup table "repair-statuses" (connectors[0].mapping.status.lookup at ${file}:${where(CONFIG, 'lookup')}); add it to the table or give the table a default`,
    );
    const badDate = letters.find((l) => l.code === 'bad_date')!;
    expect(badDate.reason).toContain(`(connectors[0].mapping.openedAt at ${file}:${where(CONFIG, 'openedAt')})`);

    for (const l of letters) expect(JSON.stringify(l)).not.toMatch(/@example\.org/);
    expect(unknown.record).toMatchObject({ Job: 'J2', Status: 'WAITING', Email: '[personal data removed]' });
  });
});

describe('LoadedConfig.locate', () => {
  it('reads config paths as formatPath writes them, and places a path the file leaves out at its parent', () => {
    expect(parsePath('connectors[2].mapping["Stage Desc."].x')).toEqual(['connectors', 2, 'mapping', 'Stage Desc.', 'x']);
    expect(parsePath('lookups.street-stages')).toEqual(['lookups', 'street-stages']);
    expect(parsePath('connectors..mapping')).toBeUndefined();
    expect(parsePath('.connectors')).toBeUndefined();

    dir = mkdtempSync(join(tmpdir(), 'cb-dl-where-'));
    const file = join(dir, 'council.yaml');
    writeFileSync(file, CONFIG);
    const loaded = loadConfigFile(file, {});
    const lines = CONFIG.split('\n');
    const lineOf = (s: string) => lines.findIndex((l) => l.includes(s)) + 1;
    expect(loaded.locate?.('connectors[0].mapping.status.lookup')).toEqual({ line: lineOf('lookup: repair-statuses'), column: 17 });
    // No location key in this mapping: its parent, the mapping, is where one would go.
    expect(loaded.locate?.('connectors[0].mapping.location.uprn')?.line).toBe(lineOf('reference: Job'));
    expect(loaded.locate?.('not a path [')).toBeUndefined();
  });
});
