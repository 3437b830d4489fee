/**
 * docs/mapping.md is what council IT copy from, so its YAML must stay true to the mapping language:
 * every ```yaml block parses, blocks whose first line is `# mapping-example` compile as whole
 * mappings (`mapping:` plus optional shared `lookups:`), and the other blocks that hold mapping keys
 * are valid fragments of a mapping.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileMapping } from '../../src/normalize/compile-mapping.js';
import { Lookups, Mapping } from '../../src/normalize/mapping-schema.js';
import { ctx, rec } from './helpers.js';

const DOC = 'docs/mapping.md';
const MARKER = '# mapping-example';

interface Block {
  line: number;
  text: string;
}

function yamlBlocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```yaml') continue;
    const start = i + 1;
    let j = start;
    while (j < lines.length && lines[j]!.trim() !== '```') j++;
    if (j >= lines.length) throw new Error(`${DOC}:${i + 1}: unclosed yaml block`);
    out.push({ line: start + 1, text: lines.slice(start, j).join('\n') });
    i = j;
  }
  return out;
}

const blocks = yamlBlocks(readFileSync(DOC, 'utf8'));
const examples = blocks.filter((b) => b.text.split('\n')[0]!.trim() === MARKER);
const fragments = blocks.filter((b) => !examples.includes(b));

function compileExample(b: Block) {
  const doc = parse(b.text) as { mapping?: unknown; lookups?: unknown };
  expect(Object.keys(doc).filter((k) => k !== 'mapping' && k !== 'lookups'), `${DOC}:${b.line}: only mapping and lookups at the top`).toEqual([]);
  const shared = doc.lookups === undefined ? undefined : Lookups.parse(doc.lookups);
  return compileMapping(doc.mapping as Mapping, { ...ctx, ...(shared ? { sharedLookups: shared } : {}) });
}

describe(`${DOC}`, () => {
  it('has whole-mapping examples for the test to compile', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it('every yaml block is valid YAML', () => {
    for (const b of blocks) expect(() => parse(b.text), `${DOC}:${b.line}`).not.toThrow();
  });

  for (const b of examples) {
    it(`the example at line ${b.line} compiles`, () => {
      expect(typeof compileExample(b)).toBe('function');
    });
  }

  it('the other blocks with mapping keys are valid parts of a mapping', () => {
    const keys = new Set(Object.keys(Mapping.shape));
    let checked = 0;
    for (const b of fragments) {
      const doc = parse(b.text) as unknown;
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) continue;
      if (!Object.keys(doc).every((k) => keys.has(k))) continue;
      const r = Mapping.partial().safeParse(doc);
      expect(r.success, `${DOC}:${b.line}: ${r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('the first example maps a street-services row as the page describes', async () => {
    const normalize = compileExample(examples[0]!);
    const r = await normalize(rec({ CRNo: '1001', Stage: '4', 'Stage Desc.': 'Works ordered', Inspection: 'ph', 'History Date/Time': '26/10/2025 01:30', 'Event Type': 'New' }));
    expect(r.kind).toBe('case');
    if (r.kind !== 'case') return;
    expect(r.snapshot.case.status).toEqual({ lifecycle: 'scheduled', code: '4', label: 'Works ordered', publicLabel: 'Repair booked' });
    expect(r.snapshot.case.service).toEqual({ code: 'ph', name: 'Pothole', category: 'Roads and pavements' });
    // The autumn hour that happens twice is read as the first (BST), as the page says.
    expect(r.snapshot.case.updatedAt).toBe('2025-10-26T01:30:00+01:00');
    expect(await normalize(rec({ CRNo: '1001', Stage: '4', 'Event Type': 'Ignored' }))).toMatchObject({ kind: 'skip' });
    expect(await normalize(rec({ CRNo: '1001', Stage: '12', 'Event Type': 'New' }))).toMatchObject({ kind: 'reject', code: 'unknown_status' });
  });
});
