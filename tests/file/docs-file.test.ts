/**
 * docs/file.md is what council IT copy from, so it must stay true to the code:
 *  - every ```yaml block whose first line is `# file-example` loads as a whole gateway config
 *    (parseConfigText, with the ${env:} and ${file:} references it uses supplied here);
 *  - examples A (local delta, windows-1252, marker, watch) and B (nightly snapshot) run through the
 *    real gateway on the sample exports the page shows, and do what the page says;
 *  - every other yaml block made of file-connector keys is a valid part of a connector;
 *  - every field of the file connector's config is named in the page.
 */
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigInvalidError, parseConfigText, type LoadedConfig } from '../../src/config/load.js';
import { knownKeysAt } from '../../src/config/schema-walk.js';
import { FileConnectorConfig } from '../../src/connectors/file/config.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { memoryPublisher, type MemoryPublisher } from '../helpers/memory-publisher.js';
import { tempDir } from './harness.js';
import { until } from '../helpers/until.js';

const DOC = 'docs/file.md';
const MARKER = '# file-example';
const markdown = readFileSync(new URL('../../docs/file.md', import.meta.url), 'utf8');

interface Block {
  lang: string;
  /** 1-based line of the block's first line in the page. */
  line: number;
  text: string;
  /** `name` of a `<!-- file-sample: name … -->` comment just above the block. */
  sample?: string;
}

function codeBlocks(md: string): Block[] {
  const out: Block[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() !== '```') j++;
    if (j >= lines.length) throw new Error(`${DOC}:${i + 1}: unclosed code block`);
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    const sample = k >= 0 ? /^<!--\s*file-sample:\s*([\w-]+)/.exec(lines[k]!)?.[1] : undefined;
    out.push({ lang: open[1]!, line: i + 2, text: lines.slice(i + 1, j).join('\n'), ...(sample ? { sample } : {}) });
    i = j;
  }
  return out;
}

const blocks = codeBlocks(markdown);
const yamlBlocks = blocks.filter((b) => b.lang === 'yaml');
const examples = yamlBlocks.filter((b) => b.text.split('\n')[0]!.trim() === MARKER);
const fragments = yamlBlocks.filter((b) => !examples.includes(b));

function sample(name: string): string {
  const b = blocks.find((x) => x.sample === name);
  if (!b) throw new Error(`${DOC}: no sample block <!-- file-sample: ${name} -->`);
  return b.text;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function newDir(): string {
  const t = tempDir('cb-file-doc-');
  cleanups.push(() => t.cleanup());
  return t.dir;
}

/**
 * Load an example as `casebridge.yaml` in `dir`: each ${env:NAME} gets a test value and each
 * ${file:PATH} (which must be relative, so the test can supply it) a placeholder file.
 */
function loadExample(b: Block, dir: string): LoadedConfig {
  const env: Record<string, string> = {};
  for (const m of b.text.matchAll(/\$\{env:([^}]+)\}/g)) env[m[1]!.trim()] = m[1]!.trim() === 'KAFKA_BROKERS' ? '127.0.0.1:9092' : `test-value-of-${m[1]!.trim()}`;
  for (const m of b.text.matchAll(/\$\{file:([^}]+)\}/g)) {
    const ref = m[1]!.trim();
    expect(isAbsolute(ref), `${DOC}:${b.line}: \${file:${ref}} must be relative to the config so this test can supply it`).toBe(false);
    mkdirSync(dirname(join(dir, ref)), { recursive: true });
    writeFileSync(join(dir, ref), `placeholder secret for ${ref}\n`);
  }
  try {
    return parseConfigText(b.text, join(dir, 'casebridge.yaml'), dir, env);
  } catch (e) {
    // Point at the page, not at the temp copy: the block starts at b.line.
    if (!(e instanceof ConfigInvalidError)) throw e;
    throw new Error(e.problems.map((p) => `${DOC}:${b.line + (p.line ?? 1) - 1}  ${p.path}: ${p.message}`).join('\n'));
  }
}

function fileConnectors(loaded: LoadedConfig): FileConnectorConfig[] {
  return loaded.config.connectors.filter((c): c is FileConnectorConfig => c.type === 'file');
}

function exampleWhere(pred: (c: FileConnectorConfig) => boolean): Block {
  const found = examples.filter((b) => fileConnectors(loadExample(b, newDir())).some(pred));
  expect(found, 'exactly one example of this kind').toHaveLength(1);
  return found[0]!;
}

async function gatewayFor(loaded: LoadedConfig): Promise<{ gateway: Gateway; publisher: MemoryPublisher }> {
  const publisher = memoryPublisher();
  const gateway = await createGateway({ loaded, publisher, http: false, logger: silentLogger() });
  cleanups.push(() => gateway.stop());
  return { gateway, publisher };
}

describe(`${DOC} examples`, () => {
  it('has the three complete examples the page promises', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    exampleWhere((c) => !c.sftp && c.watch && c.mode === 'delta' && c.format?.encoding === 'windows-1252' && c.ready.marker === '{name}.done');
    exampleWhere((c) => c.mode === 'snapshot' && c.snapshot.onMissing === 'close');
    const sftp = fileConnectors(loadExample(exampleWhere((c) => c.sftp !== undefined), newDir()))[0]!.sftp!;
    expect(Array.isArray(sftp.hostKey) ? sftp.hostKey.length : 1).toBeGreaterThanOrEqual(1);
    expect(sftp.privateKey ?? sftp.password).toMatch(/^placeholder secret for|^test-value-of-/);
  });

  for (const b of examples) {
    it(`the example at line ${b.line} loads as a gateway config of file connectors`, () => {
      const loaded = loadExample(b, newDir());
      expect(loaded.config.connectors.length).toBeGreaterThan(0);
      expect(loaded.config.connectors.every((c) => c.type === 'file'), `${DOC}:${b.line}`).toBe(true);
    });
  }

  it('every other yaml block is valid YAML, and those made of connector keys are valid parts of a file connector', () => {
    const keys = new Set(Object.keys(FileConnectorConfig.shape));
    const base = {
      name: 'doc-fragment',
      type: 'file',
      council: 'E09000019',
      system: { supplier: 'Doc' },
      path: '.',
      format: { type: 'csv' },
      mapping: { reference: 'Ref', status: { code: 'Stage', lookup: 's' } },
    };
    let checked = 0;
    for (const b of fragments) {
      let doc: unknown;
      expect(() => (doc = parse(b.text)), `${DOC}:${b.line}`).not.toThrow();
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) continue;
      if (!Object.keys(doc).every((k) => keys.has(k))) continue;
      const r = FileConnectorConfig.safeParse({ ...base, ...(doc as object) });
      expect(r.success, `${DOC}:${b.line}: ${r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it('names every field of the file connector config', () => {
    const missing: string[] = [];
    const names: string[] = [];
    const need = (name: string) => {
      names.push(name);
      if (!markdown.includes(`\`${name}\``) && !missing.includes(name)) missing.push(name);
    };
    // Groups (ready, format, sftp.reconnect …) are named through their fields; the fields every
    // connector kind shares are documented elsewhere and named here only at the top.
    const shared = new Set(['name', 'council', 'system', 'enabled', 'schedule', 'batchSize', 'retry', 'mapping']);
    const walk = (data: unknown, path: string[]) => {
      for (const k of knownKeysAt(FileConnectorConfig, data, path)) {
        const at = [...path, k];
        if (path.length === 0 && shared.has(k)) need(k);
        else if (knownKeysAt(FileConnectorConfig, data, at).length) walk(data, at);
        else need(at.join('.'));
      }
    };
    for (const type of ['csv', 'xml', 'json', 'jsonl']) walk({ format: { type } }, []);
    expect(missing).toEqual([]);
    expect(new Set(names).size).toBeGreaterThan(40); // the walk reached the nested groups
  });
});

describe(`${DOC} examples, run`, () => {
  it('A: waits for the marker, decodes windows-1252, publishes the history and moves file and marker', async () => {
    const dir = newDir();
    const loaded = loadExample(
      exampleWhere((c) => c.watch && c.ready.marker !== undefined),
      dir,
    );
    const c = fileConnectors(loaded)[0]!;
    const drop = join(dir, c.path);
    mkdirSync(drop, { recursive: true });
    const name = 'CRM_History_20251103_1430.csv';
    const csv = sample('street-history').replace(/\n/g, '\r\n') + '\r\n';
    const bytes = iconv.encode(csv, 'windows-1252');
    expect(bytes.includes(0x93) && bytes.includes(0xa3)).toBe(true); // “ and £ as Windows writes them
    writeFileSync(join(drop, name), bytes);

    // An earlier export that is complete (its marker is there) but has no rows: once the watcher
    // has moved it, it has looked at the folder with our file in it — the signal that it skipped it.
    const earlier = 'CRM_History_20251103_1400.csv';
    writeFileSync(join(drop, earlier), iconv.encode(csv.split('\r\n')[0] + '\r\n', 'windows-1252'));
    writeFileSync(join(drop, `${earlier}.done`), '');

    const { gateway, publisher } = await gatewayFor(loaded);
    await gateway.start();
    await until(() => existsSync(join(drop, 'processed', earlier)), 'the complete earlier export to be moved');
    expect(existsSync(join(drop, 'processed', earlier))).toBe(true);
    // No marker yet: the file is not complete, whatever its age.
    expect(publisher.events).toEqual([]);
    expect(existsSync(join(drop, name))).toBe(true);

    writeFileSync(join(drop, `${name}.done`), '');
    // The file and its marker are moved one after the other: wait for both, not the first.
    await until(() => existsSync(join(drop, 'processed', name)) && existsSync(join(drop, 'processed', `${name}.done`)), 'the file and its marker to be moved once the marker appeared');
    expect(existsSync(join(drop, 'processed', name))).toBe(true);
    expect(existsSync(join(drop, 'processed', `${name}.done`))).toBe(true);
    expect(existsSync(join(drop, name))).toBe(false);

    expect(publisher.events.map((e) => [e.event.subject, e.event.data.change.kind, e.event.time, e.event.data.provenance.position])).toEqual([
      ['2511020', 'created', '2025-10-26T00:40:00+01:00', { file: name, line: 2 }],
      ['2511020', 'status_changed', '2025-10-26T01:30:00+01:00', { file: name, line: 3 }],
      ['2511034', 'closed', '2025-11-03T14:05:00+00:00', { file: name, line: 4 }], // already cleared when first seen
    ]);
    expect(publisher.events[0]!.event.data.case.status.label).toBe('Reported – “bags by the bins”');
    expect(publisher.events[2]!.event.data.case.status.label).toBe('Cleared – £120 recharge to owner');
    expect(publisher.deadLetters).toEqual([]);
    expect(gateway.status().connectors[0]!.totals.skippedBy).toMatchObject({ filtered: 1 });
  });

  it('B: waits for minAge, then creates every open job; the next night closes the job that left the export', async () => {
    const dir = newDir();
    const loaded = loadExample(
      exampleWhere((c) => c.mode === 'snapshot'),
      dir,
    );
    const c = fileConnectors(loaded)[0]!;
    const drop = join(dir, c.path);
    mkdirSync(drop, { recursive: true });
    const text = sample('repairs-open-jobs');
    const bom = '\uFEFF';
    const write = (file: string, body: string, ageMs: number) => {
      writeFileSync(join(drop, file), bom + body.replace(/\n/g, '\r\n') + '\r\n', 'utf8');
      const t = new Date(Date.now() - ageMs);
      utimesSync(join(drop, file), t, t);
    };
    const { gateway, publisher } = await gatewayFor(loaded);

    write('OpenJobs_20251103.csv', text, 0);
    const [fresh] = await gateway.runAllOnce();
    expect(fresh).toMatchObject({ status: 'ok', read: 0 }); // younger than minAge
    write('OpenJobs_20251103.csv', text, 10 * 60_000);
    const [first] = await gateway.runAllOnce();
    expect(first).toMatchObject({ status: 'ok', read: 3, published: 3, deadLettered: 0 });
    expect(publisher.events.map((e) => `${e.event.subject}:${e.event.data.change.kind}:${e.event.data.case.status.lifecycle}`)).toEqual([
      'R000981:created:in_progress',
      'R000982:created:on_hold',
      'R000984:created:scheduled',
    ]);
    expect(publisher.events[0]!.event.data.provenance.updatedAtSource).toBe('observed');

    // The next night R000982 has been finished, so it is no longer in the export.
    const nextNight = text.replace('03/11/2025 02:00', '04/11/2025 02:00').split('\n').filter((l) => !l.startsWith('R000982;')).join('\n');
    write('OpenJobs_20251104.csv', nextNight, 10 * 60_000);
    const before = publisher.events.length;
    const [second] = await gateway.runAllOnce();
    expect(second!.status).toBe('ok');
    const closed = publisher.events.slice(before);
    expect(closed.map((e) => `${e.event.subject}:${e.event.data.change.kind}`)).toEqual(['R000982:closed']);
    expect(closed[0]!.event.data.change.previousStatus).toBe('on_hold');
    expect(existsSync(join(drop, 'processed', 'OpenJobs_20251103.csv'))).toBe(true);
    expect(existsSync(join(drop, 'processed', 'OpenJobs_20251104.csv'))).toBe(true);
  });
});
