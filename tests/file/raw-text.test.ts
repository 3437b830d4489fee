/**
 * Finding 3 of the fault audit: rows the parser could not read were dead-lettered as raw text,
 * residents' names and phone numbers included. A dead letter now carries the line, the byte length,
 * a SHA-256 and the parser's reason instead — unless the connector opts in with
 * `deadLetters: { rawText: keep }`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createGateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

const BROKEN_ROW = '"2","1","Alice Smith, 07700 900123';
const BROKEN_JSON = '{"CRNo": "3", "Stage": "1", "Name": Alice Smith 07700 900123}';

async function run(extra: string, format: string, file: string, text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cb-raw-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'drop'));
  writeFileSync(join(dir, 'drop', file), text);
  const loaded = parseConfigText(
    `version: 1
councils: [{ gss: E09000019, name: London Borough of Islington }]
http: { enabled: false }
connectors:
  - name: street
    type: file
    council: E09000019
    system: { supplier: Street services }
    path: ./drop
    pattern: "*.*"
    ready: { stableFor: 0s }
    format: ${format}
    rejects: { maxRatio: 1 }
${extra}    mapping:
      reference: CRNo
      status: { code: Stage, lookup: stages }
      lookups:
        stages: { entries: { "1": { status: received } } }
`,
    join(dir, 'casebridge.yaml'),
    dir,
    {},
  );
  const publisher = memoryPublisher();
  const gw = await createGateway({ loaded, publisher, logger: silentLogger(), http: false });
  try {
    const [summary] = await gw.runAllOnce();
    expect(summary).toMatchObject({ status: 'ok', published: 1, deadLettered: 1 });
  } finally {
    await gw.stop();
  }
  return publisher.deadLetters;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('dead letters of unreadable rows', () => {
  it('carry line, byte length, hash and the reason, not the raw text (CSV)', async () => {
    const [letter] = await run('', '{ type: csv }', 'a.csv', `CRNo,Stage,Name\r\n1,1,ok\r\n${BROKEN_ROW}\r\n`);
    expect(letter!.position).toMatchObject({ file: 'a.csv', line: 3 });
    expect(letter!.reason).toMatch(/line 3: a quoted field.*never closed/);
    expect(JSON.stringify(letter)).not.toMatch(/Alice|07700/);
    // The same file with rawText: keep: size and hash are those of the text it would have kept.
    const [kept] = await run('    deadLetters: { rawText: keep }\n', '{ type: csv }', 'a.csv', `CRNo,Stage,Name\r\n1,1,ok\r\n${BROKEN_ROW}\r\n`);
    expect(kept!.record as string).toContain(BROKEN_ROW);
    expect(letter!.record).toEqual({ rawText: 'omitted', bytes: Buffer.byteLength(kept!.record as string), sha256: sha256(kept!.record as string) });
  });

  it('keep the parser reason free of the text too (JSON Lines); the raw text only when the config opts in', async () => {
    const [letter] = await run('', '{ type: jsonl }', 'a.jsonl', `{"CRNo": "1", "Stage": "1"}\n${BROKEN_JSON}\n`);
    expect(letter!.reason).toMatch(/line 2: not valid JSON/);
    expect(JSON.stringify(letter)).not.toMatch(/Alice|07700/);
    expect(letter!.record).toEqual({ rawText: 'omitted', bytes: Buffer.byteLength(BROKEN_JSON), sha256: sha256(BROKEN_JSON) });
    const [kept] = await run('    deadLetters: { rawText: keep }\n', '{ type: jsonl }', 'a.jsonl', `{"CRNo": "1", "Stage": "1"}\n${BROKEN_JSON}\n`);
    expect(kept!.record).toBe(BROKEN_JSON);
  });
});
