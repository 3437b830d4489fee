import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { instantOf } from '../../src/core/iso-time.js';
import { canonicalJson, caseFingerprint, eventId, recordFingerprint, sortInPlace } from '../../src/event/identity.js';
import type { CaseSnapshot } from '../../src/event/case-event.js';

/** The serialiser ids were first defined with: JSON.stringify and a replacer sorting every object's keys. */
function replacerCanonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v as Record<string, unknown>).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** caseFingerprint as first written: spread copies, then the sorting replacer. */
function referenceFingerprint(snapshot: CaseSnapshot): string {
  const normaliseTime = (t: string) => {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? t : new Date(ms).toISOString();
  };
  const { provenance, ...rest } = snapshot;
  const observed = provenance.updatedAtSource === 'observed';
  const noLongerListed = snapshot.case.closureReason?.code === 'no-longer-listed';
  const { updatedAt, closedAt, ...caseRest } = snapshot.case;
  const c = { ...caseRest, ...(observed ? {} : { updatedAt }), ...(closedAt !== undefined && !noLongerListed ? { closedAt: normaliseTime(closedAt) } : {}) };
  if (c.openedAt) c.openedAt = normaliseTime(c.openedAt);
  if (c.dueAt) c.dueAt = normaliseTime(c.dueAt);
  if ('updatedAt' in c && typeof c.updatedAt === 'string') c.updatedAt = normaliseTime(c.updatedAt);
  return createHash('sha256').update(replacerCanonical({ ...rest, case: c, updatedAtSource: provenance.updatedAtSource })).digest('hex');
}

const snapshot = {
  council: { gss: 'E09000019', name: 'London Borough of Islington' },
  system: { supplier: 'Street Services', connector: 'street-services' },
  case: {
    reference: '101234',
    service: { code: 'FLY', name: 'Fly-tipping', lgsl: 1124 },
    status: { lifecycle: 'in_progress' as const, code: '3', label: 'Inspection', publicLabel: 'We are looking into it' },
    openedAt: '2025-03-12T07:31:00Z',
    updatedAt: '2025-03-13T08:31:00+01:00',
    dueAt: '2025-03-20T00:00:00+00:00',
    closedAt: '2025-03-14T07:31:00Z',
    publicNotes: [{ at: '2025-03-13T07:31:00Z', text: 'Crew sent' }],
  },
  location: { uprn: '5300049124', postcode: 'N1 1XR', latitude: 51.5362, longitude: -0.1033 },
  provenance: { connector: 'street-services', position: { file: 'history.csv', line: 7 }, fetchedAt: '2025-03-13T08:00:00Z', updatedAtSource: 'supplier' as const },
} as unknown as CaseSnapshot;

describe('instantOf', () => {
  it('reads every time Date.parse reads, the same, and leaves every other shape to it', () => {
    let seed = 21;
    const r = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 0x100000000);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const texts: string[] = ['2024-02-29T00:00:00Z', '2025-02-29T00:00:00Z', '2025-04-31T10:00:00+01:00', '2025-10-26T24:00:00Z', '0050-01-01T00:00:00Z', '1999-12-31T23:59:59.999-12:59', '2025-01-06T07:00:00', '2025-01-06 07:00:00Z', '2025-01-06T07:00:00.1Z', '2025-01-06T07:00:00.1234Z', '2025-01-06T07:00:00+0100', '2025-01-06T07:00:00+24:00', '2025-13-01T00:00:00Z', '2025-1a-01T00:00:00Z', '2025-01-06T07:60:00Z', '2025-01-06T07:00:60Z', '+02025-01-06T07:00:00Z', '2025-01-06T07:00:00z'];
    for (let i = 0; i < 20_000; i++) {
      const y = 1900 + Math.floor(r() * 250);
      const fraction = r() < 0.5 ? '' : `.${pad(Math.floor(r() * 1000), 3)}`;
      const zone = r() < 0.3 ? 'Z' : `${r() < 0.5 ? '+' : '-'}${pad(Math.floor(r() * 15))}:${pad(Math.floor(r() * 4) * 15)}`;
      let t = `${pad(y, 4)}-${pad(1 + Math.floor(r() * 12))}-${pad(1 + Math.floor(r() * 31))}T${pad(Math.floor(r() * 25))}:${pad(Math.floor(r() * 60))}:${pad(Math.floor(r() * 60))}${fraction}${zone}`;
      // Now and then one character replaced by anything.
      if (r() < 0.1) {
        const at = Math.floor(r() * t.length);
        t = t.slice(0, at) + String.fromCharCode(32 + Math.floor(r() * 90)) + t.slice(at + 1);
      }
      texts.push(t);
    }
    for (const t of texts) expect(instantOf(t), t).toBe(Date.parse(t));
  });
});

describe('identities stay byte-identical', () => {
  it('canonicalJson writes what the sorting replacer wrote, for every kind of value', () => {
    class WithToJson {
      toJSON() {
        return { z: 1, a: [{ y: 2, b: 3 }] };
      }
    }
    const values: unknown[] = [
      null,
      7,
      -0,
      'text',
      true,
      [],
      {},
      [3, 'a', null, undefined, () => 1, [{ b: 1, a: 2 }]],
      { b: 1, a: { d: [1, { f: 1, e: 2 }], c: undefined }, '10': 'ten', '9': 'nine', '': 'empty', é: 1, Z: 2, z: 3 },
      { when: new Date(Date.UTC(2025, 2, 30, 1)), fn: () => 1, nested: { when: new Date(0) } },
      { custom: new WithToJson(), map: new Map([['a', 1]]) },
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3],
      snapshot,
    ];
    for (const v of values) expect(canonicalJson(v)).toBe(replacerCanonical(v));
  });

  it('sortInPlace orders distinct strings as Array#sort does, below and above its 32-key switch', () => {
    // A seeded generator: the same arrays every run, so a failure can be replayed.
    let seed = 20261201;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'Z', '_', '0', '9', 'é', 'É', '\u00ff', '\u{1F600}', '\uD83D', ' ', '.', 'case.', 'location.'];
    for (let round = 0; round < 400; round++) {
      const keys = new Set<string>();
      const size = rand(41);
      while (keys.size < size) {
        let k = '';
        for (let i = rand(4); i >= 0; i--) k += alphabet[rand(alphabet.length)];
        keys.add(k);
      }
      const input = [...keys];
      const expected = [...input].sort();
      const copy = [...input];
      expect(sortInPlace(copy)).toBe(copy);
      expect(copy).toEqual(expected);
    }
  });

  it('caseFingerprint hashes what the spread-and-replacer version hashed, whatever the times and provenance', () => {
    const c = snapshot.case;
    const variants: CaseSnapshot[] = [
      snapshot,
      { ...snapshot, provenance: { ...snapshot.provenance, updatedAtSource: 'observed' } },
      { ...snapshot, case: { ...c, closureReason: { code: 'no-longer-listed' } } },
      { ...snapshot, case: { ...c, closedAt: undefined, openedAt: undefined, dueAt: '' } } as unknown as CaseSnapshot,
      { ...snapshot, case: { ...c, updatedAt: 'not a time', dueAt: '2025-02-30T00:00:00Z', openedAt: '2025-03-30T01:30:00+01:00' } },
      { ...snapshot, location: undefined } as unknown as CaseSnapshot,
      { ...snapshot, case: { ...c, relatedReferences: [{ system: 'b', reference: '2' }], media: [{ url: 'https://x/1', kind: 'photo' }] } } as unknown as CaseSnapshot,
    ];
    // Twice: the second pass answers the times from caseFingerprint's memory of them.
    for (let pass = 0; pass < 2; pass++) for (const v of variants) expect(caseFingerprint(v)).toBe(referenceFingerprint(v));
  });

  it('gives the ids and fingerprints the previous implementation gave (pinned)', () => {
    const fingerprint = caseFingerprint(snapshot);
    expect(fingerprint).toBe('deb1be941906bfbf1ae6a8489de868a35834add733a72a635374c469825c8f5a');
    expect(eventId({ gss: 'E09000019', connector: 'street', reference: '1', sequence: 7, kind: 'updated', fingerprint })).toBe('d1758b9459a4d5857df8eadeceb5788e');
    expect(recordFingerprint({ b: [1, { d: 1, c: null }], a: 'x', '10': 1, '9': 2, u: undefined, t: new Date(0) })).toBe(
      '46ef877df07cce6ce79e3d9d89e709437d15aa302eb35c10b73c23bf0c49d45d',
    );
  });
});
