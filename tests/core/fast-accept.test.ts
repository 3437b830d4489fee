import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileQuickAccept } from '../../src/core/fast-accept.js';
import { CaseSnapshot } from '../../src/event/case-event.js';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

const full = (): Record<string, unknown> => ({
  council: { gss: 'E09000019', name: 'Islington' },
  system: { supplier: 'Yotta', product: 'Alloy', connector: 'street-services' },
  case: {
    reference: 'CR-2500001',
    supplierId: '77',
    service: { code: 'PH', name: 'Pothole', category: 'Highways', lgsl: 1 },
    status: { lifecycle: 'in_progress', code: '4', label: 'Repair booked', publicLabel: 'Booked' },
    description: 'Large pothole 😀 by the bus stop',
    openedAt: '2025-01-06T07:00:00Z',
    updatedAt: '2025-03-30T01:30:00+01:00',
    dueAt: '2025-01-11T00:00:00.123Z',
    closedAt: '2024-02-29T00:00:00Z',
    closureReason: { code: 'completed', supplierCode: 'FIX', label: 'Fixed' },
    publicNotes: [{ text: 'Booked', at: '2025-01-07T09:00:00Z' }, { text: 'Crew on site' }],
    media: [{ url: 'https://example.org/after.jpg', caption: 'After' }],
    relatedReferences: [{ system: 'fixmystreet', reference: '123' }],
  },
  location: { uprn: '100021234567', usrn: '12345678', address: '1 Upper St', postcode: 'N1 1XR', latitude: 51.5, longitude: -0.1, easting: 530000, northing: 180000 },
  provenance: {
    connector: 'street-services',
    position: { file: 'drop/a.csv', line: 12, table: 't', key: 'k', operation: 'upsert', page: 3, cursor: 'c', receivedAt: '2025-01-06T08:01:00Z' },
    fetchedAt: '2025-01-06T08:01:00.000Z',
    updatedAtSource: 'supplier',
    clockChange: [{ field: 'case.updatedAt', kind: 'ambiguous', resolution: 'earlier', local: '2025-10-26T01:30:00' }],
  },
  personal: { name: 'hmac-sha256:ab', phone: '[REDACTED]' },
});

/** Values a broken mapping or supplier could put anywhere. */
const ODD: unknown[] = [
  undefined, null, '', ' ', 'x', '😀', 0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, true, [], {}, [1], { a: 1 },
  '2025-13-01T00:00:00Z', '2025-02-30T00:00:00Z', '2024-02-29T00:00:00Z', '2025-01-06T07:00:00', '2025-01-06 07:00:00Z', '2025-01-06T24:00:00Z',
  'E0900001', 'E090000190', 'X09000019', 'received', 'reopened', 'completed', 'http://', 'https://x', 'ftp://x.org/a', 'javascript:alert(1)',
  '1234567890123', '123456789', 'abc', 91, -181, 0.5, -0.5,
];

function paths(v: unknown, at: string[] = [], out: string[][] = []): string[][] {
  if (v && typeof v === 'object') {
    for (const [k, child] of Object.entries(v)) {
      out.push([...at, k]);
      paths(child, [...at, k], out);
    }
  }
  return out;
}

function mutate(base: Record<string, unknown>, r: () => number): unknown {
  const value = structuredClone(base);
  const all = paths(value);
  for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
    const path = all[Math.floor(r() * all.length)]!;
    let parent = value as Record<string, unknown>;
    for (const k of path.slice(0, -1)) {
      const next = parent[k];
      if (!next || typeof next !== 'object') break;
      parent = next as Record<string, unknown>;
    }
    const key = path[path.length - 1]!;
    const roll = r();
    if (roll < 0.2) delete parent[key];
    else if (roll < 0.3) parent[`extra${Math.floor(r() * 3)}`] = 'x';
    else parent[key] = ODD[Math.floor(r() * ODD.length)];
  }
  return value;
}

describe('quick acceptance of a zod schema', () => {
  const accept = compileQuickAccept(CaseSnapshot)!;

  it('is available for the case snapshot and accepts a full one, which zod returns unchanged', () => {
    expect(accept).toBeTypeOf('function');
    const s = full();
    delete (s['case'] as Record<string, unknown>)['media'];
    expect(accept(s)).toBe(true);
    expect(JSON.stringify(CaseSnapshot.parse(s))).toBe(JSON.stringify(s));
  });

  it('leaves a URL to zod: it cannot tell a valid one by pattern', () => {
    expect(accept(full())).toBe(false);
    expect(CaseSnapshot.safeParse(full()).success).toBe(true);
  });

  it('never accepts what zod rejects, and accepts only what zod returns as it is (6,000 mutated snapshots)', () => {
    const r = prng(16);
    let accepted = 0;
    let rejectedByZod = 0;
    for (let i = 0; i < 6_000; i++) {
      const base = full();
      // Most real snapshots have no media (the one part the quick check leaves to zod).
      if (r() < 0.8) delete (base['case'] as Record<string, unknown>)['media'];
      const value = mutate(base, r);
      const zod = CaseSnapshot.safeParse(value);
      if (!zod.success) rejectedByZod++;
      if (!accept(value)) continue;
      accepted++;
      expect(zod.success, JSON.stringify(value)).toBe(true);
      expect(JSON.stringify(zod.data)).toBe(JSON.stringify(value));
    }
    // Both kinds occur, so the comparison means something.
    expect(accepted).toBeGreaterThan(500);
    expect(rejectedByZod).toBeGreaterThan(2_000);
  });

  it('measures string and array lengths as zod does, astral characters and lone surrogates included', () => {
    const strings = ['', 'a', 'ab', 'abc', '😀', '😀😀', 'a😀', '😀😀😀', '\ud83d', 'a\ud83d', '\ude00\ud83d', 'é', 'e\u0301', '𝔘𝔘'];
    for (const [name, schema] of Object.entries({ min: z.string().min(2), max: z.string().max(2), len: z.string().length(2) })) {
      const obj = z.object({ s: schema }).strict();
      const quick = compileQuickAccept(obj)!;
      for (const s of strings) expect(quick({ s }), `${name} ${JSON.stringify(s)}`).toBe(obj.safeParse({ s }).success);
    }
    const arr = z.object({ a: z.array(z.string()).min(1).max(2) }).strict();
    const quick = compileQuickAccept(arr)!;
    for (const a of [[], ['x'], ['x', 'y'], ['x', 'y', 'z']]) expect(quick({ a })).toBe(arr.safeParse({ a }).success);
  });

  it('sends refinements, flagged regexes and multiples to zod, and refuses schemas whose output differs', () => {
    const refined = compileQuickAccept(z.object({ a: z.string().refine((v) => v !== 'no').optional(), b: z.number() }).strict())!;
    expect(refined({ b: 1 })).toBe(true);
    expect(refined({ a: 'no', b: 1 })).toBe(false);
    expect(refined({ b: NaN })).toBe(false);
    expect(refined({ b: 1, c: 1 })).toBe(false);
    expect(compileQuickAccept(z.object({ a: z.string().regex(/^[^a]+$/i) }).strict())!({ a: 'A' })).toBe(false);
    expect(compileQuickAccept(z.object({ a: z.number().multipleOf(0.1) }).strict())!({ a: 0.3 })).toBe(false);
    expect(compileQuickAccept(z.object({ a: z.string() }))).toBeUndefined();
    expect(compileQuickAccept(z.object({ a: z.string().transform((v) => v.trim()) }).strict())).toBeUndefined();
    expect(compileQuickAccept(z.object({ a: z.string().default('x') }).strict())).toBeUndefined();
  });
});
