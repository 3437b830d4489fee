/** A file connector without `format` reads each file by its extension; when it cannot tell, the config says so. */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigInvalidError, parseConfigText } from '../../src/config/load.js';
import { formatTypeFromName } from '../../src/connectors/file/format-inference.js';
import { createFileSource } from '../../src/connectors/file/create.js';
import { deps, drain, fileConfig, openState, tempDir } from './harness.js';

const FIX = join(import.meta.dirname, '../fixtures/file');
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function problems(lines: string): string[] {
  const yaml = `version: 1
councils: [{ gss: E09000019, name: Islington }]
connectors:
  - name: street
    type: file
    council: E09000019
    system: { supplier: Street services }
    mapping: { reference: CRNo, status: { code: Stage, lookup: s }, lookups: { s: { entries: { "1": { status: received } } } } }
    path: ./in
${lines}`;
  try {
    parseConfigText(yaml, 'casebridge.yaml', '/tmp', {});
    return [];
  } catch (e) {
    if (!(e instanceof ConfigInvalidError)) throw e;
    return e.problems.map((p) => `${p.line ?? '?'} ${p.path}: ${p.message}`);
  }
}

describe('format inferred from the file extension', () => {
  it('maps .csv, .xml, .json, .jsonl and .ndjson (any case, brace alternatives) and nothing else', () => {
    expect(formatTypeFromName('*.csv')).toBe('csv');
    expect(formatTypeFromName('CRM_*.{csv,CSV}')).toBe('csv');
    expect(formatTypeFromName('export.XML')).toBe('xml');
    expect(formatTypeFromName('cases-*.json')).toBe('json');
    expect(formatTypeFromName('*.jsonl')).toBe('jsonl');
    expect(formatTypeFromName('feed.ndjson')).toBe('jsonl');
    expect(formatTypeFromName('export_*')).toBeUndefined();
    expect(formatTypeFromName('*.txt')).toBeUndefined();
    expect(formatTypeFromName('*.{csv,json}')).toBeUndefined();
  });

  it('accepts a config without format when the pattern names the kind of file, and refuses clearly when it cannot', () => {
    expect(problems('    pattern: "*.csv"')).toEqual([]);
    expect(problems('')).toEqual([]); // the default pattern is *.csv
    expect(problems('    pattern: ["CRM_*.csv", "CRM_*.jsonl"]')).toEqual([]);
    expect(problems('    pattern: "export_*.txt"')).toEqual([
      // No format key to point at: the line is the connector's.
      '4 connectors[0].format: format is missing and cannot be taken from pattern "export_*.txt", which does not end in .csv, .xml, .json, .jsonl or .ndjson: add format: { type: csv } (or xml, json, jsonl)',
    ]);
    expect(problems('    pattern: "*.xml"')[0]).toMatch(/connectors\[0\]\.format: pattern "\*\.xml" names XML files, which need the record element: add format: \{ type: xml, recordElement: … \}/);
    // A format given explicitly is used whatever the pattern.
    expect(problems('    pattern: "export_*.txt"\n    format: { type: csv }')).toEqual([]);
  });

  it('reads a .csv and a .jsonl export dropped into one folder, each by its own extension', async () => {
    const t = tempDir();
    const { store, state } = openState(t.dir);
    cleanups.push(() => {
      store.close();
      t.cleanup();
    });
    const drop = join(t.dir, 'drop');
    mkdirSync(drop, { recursive: true });
    copyFileSync(join(FIX, 'enforcement-cases-ansi.csv'), join(drop, 'enforcement-cases-ansi.csv'));
    copyFileSync(join(FIX, 'crm-updates.jsonl'), join(drop, 'crm-updates.jsonl'));
    const config = fileConfig({ path: 'drop', pattern: ['*.csv', '*.jsonl'], order: 'name', ready: { stableFor: '0s' } });
    expect(config.format).toBeUndefined();
    const source = createFileSource(config, deps(state, t.dir));
    const { records, rejects } = await drain(source, state);
    await source.close();
    // The JSON Lines fixture has one broken line on purpose: read as JSON Lines, it is that line's reject alone.
    expect(rejects.map((r) => r.position)).toEqual([{ file: 'crm-updates.jsonl', line: 3 }]);
    const files = new Set(records.map((r) => r.position.file));
    expect(files).toEqual(new Set(['enforcement-cases-ansi.csv', 'crm-updates.jsonl']));
    // JSON Lines records are objects from each line; CSV records are keyed by the header.
    const jsonl = records.filter((r) => r.position.file === 'crm-updates.jsonl');
    const csv = records.filter((r) => r.position.file === 'enforcement-cases-ansi.csv');
    expect(jsonl.length).toBeGreaterThan(0);
    expect(csv.length).toBeGreaterThan(0);
    expect(Object.keys(csv[0]!.raw).length).toBeGreaterThan(1);
  });
});
