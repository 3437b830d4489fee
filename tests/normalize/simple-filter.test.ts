import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { compileSimpleFilter, FALLBACK } from '../../src/normalize/simple-filter.js';
import { compileMapping } from '../../src/normalize/compile-mapping.js';
import { Mapping } from '../../src/normalize/mapping-schema.js';
import { ctx, rec, stages } from './helpers.js';

const base = { reference: 'CRNo', status: { code: 'Stage', lookup: 'stages' }, lookups: stages };

const SIMPLE = [
  "`Event Type` != 'Ignored'",
  '`Event Type` = "Stage Change"',
  'Stage = 1',
  'Stage > 2',
  'Stage <= "5"',
  "Name >= 'M' and (Stage < 3 or Flag = true)",
  'Flag',
  'Missing = null',
  'Missing != 1',
  'Nothing = null or Nothing != null',
  "true and 'x'",
  '0 or ""',
];
const NOT_SIMPLE = ['$contains(Name, "a")', 'Stage in [1, 2]', 'Name & "x" = "ax"', 'Items[0] = 1', 'a.b = 1', 'Stage + 1 = 2', 'Name ~> $uppercase() = "A"'];

const RECORDS: Record<string, unknown>[] = [
  { 'Event Type': 'Ignored', Stage: 1, Name: 'Alice', Flag: true, Nothing: null },
  { 'Event Type': 'Stage Change', Stage: 3, Name: 'Zed', Flag: false },
  { 'Event Type': 'Stage Change', Stage: '3', Name: 'M', Flag: 'yes' },
  { 'Event Type': '', Stage: 0, Name: '', Flag: 0 },
  { Stage: 2.5, Name: 'm', Flag: null },
  { Stage: null, Name: 5, Flag: '' },
  { Stage: [1, 2], Name: { first: 'A' }, Flag: [true] },
  { Stage: new Date(0), Name: 'N', Flag: 1 },
  {},
];

async function viaJsonata(expr: jsonata.Expression, raw: Record<string, unknown>): Promise<{ value: unknown } | { error: string }> {
  try {
    return { value: await expr.evaluate(raw) };
  } catch (e) {
    return { error: String((e as { code?: string }).code ?? e) };
  }
}

describe('simple filters compiled to synchronous functions', () => {
  it('agree with JSONata on every record, or hand the record back to JSONata', async () => {
    let fastPath = 0;
    for (const text of SIMPLE) {
      const expr = jsonata(text);
      const simple = compileSimpleFilter(expr);
      expect(simple, text).toBeDefined();
      for (const raw of RECORDS) {
        const mine = simple!(raw);
        const theirs = await viaJsonata(expr, raw);
        if (mine === FALLBACK) continue;
        fastPath++;
        // The filter keeps a record only when the result is exactly true; compare that and the value.
        expect({ text, raw, value: mine }).toEqual({ text, raw, value: 'value' in theirs ? theirs.value : `error ${theirs.error}` });
      }
    }
    // Most records take the fast path; the rest (arrays, objects, dates, type errors) fall back.
    expect(fastPath).toBeGreaterThan(SIMPLE.length * 5);
  });

  it('falls back for a comparison JSONata rejects, so the error stays JSONata\'s', async () => {
    const expr = jsonata('Stage > 2');
    expect(compileSimpleFilter(expr)!({ Stage: 'three' })).toBe(FALLBACK);
    expect(await viaJsonata(expr, { Stage: 'three' })).toEqual({ error: 'T2009' });
  });

  it('leaves every other expression to JSONata', () => {
    for (const text of NOT_SIMPLE) expect(compileSimpleFilter(jsonata(text)), text).toBeUndefined();
  });

  it('makes a mapping with only a simple filter synchronous, with the same outcomes', () => {
    const normalize = compileMapping(Mapping.parse({ ...base, filter: "`Event Type` != 'Ignored'" }), ctx);
    const kept = normalize(rec({ 'Event Type': 'Stage Change', CRNo: '1', Stage: '1' }));
    const skipped = normalize(rec({ 'Event Type': 'Ignored', CRNo: '2', Stage: '1' }));
    expect(kept).not.toBeInstanceOf(Promise);
    expect((kept as { kind: string }).kind).toBe('case');
    expect(skipped).toEqual({ kind: 'skip', reason: `filter "\`Event Type\` != 'Ignored'" is not true for this record` });
    // A record JSONata must see (an array value) still gets JSONata's answer.
    const odd = normalize(rec({ 'Event Type': ['Ignored'], CRNo: '3', Stage: '1' }));
    expect(odd).toBeInstanceOf(Promise);
  });
});
