import { describe, expect, it } from 'vitest';
import type { CaseSnapshot } from '../../src/event/case-event.js';
import { buildEvent } from '../../src/normalize/build-event.js';
import { caseMemoryWrites } from '../../src/normalize/case-changes.js';
import type { CaseMemory } from '../../src/normalize/change.js';
import { caseMemoryJson, eventDataJson, snapshotJson } from '../../src/normalize/snapshot-json.js';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

function snapshot(r: () => number, i: number): CaseSnapshot {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const text = () => pick(['Pothole', 'Missed bin "green"', 'Lamp\nout', 'Café – ü', '😀 emoji', 'back\\slash', '\u2028 sep']);
  return {
    council: { gss: 'E09000019', name: 'Islington' },
    system: { supplier: 'Yotta', connector: 'street', ...(r() < 0.5 && { product: 'Alloy' }) },
    case: {
      reference: `CR-${i}`,
      service: { code: 'PH', ...(r() < 0.7 && { name: text() }) },
      status: { lifecycle: pick(['received', 'in_progress', 'closed'] as const), code: String(i % 9) },
      ...(r() < 0.6 && { description: text() }),
      updatedAt: '2025-01-06T08:00:00Z',
      ...(r() < 0.3 && { publicNotes: [{ text: text() }] }),
    },
    ...(r() < 0.5 && { location: { easting: 530000 + i, northing: 180000.5, ...(r() < 0.5 && { postcode: 'N1 1XR' }) } }),
    provenance: { connector: 'street', position: { file: 'a.csv', line: i }, fetchedAt: '2025-01-06T08:01:00.000Z', updatedAtSource: 'supplier' },
    ...(r() < 0.2 && { personal: { name: 'hmac-sha256:ab' } }),
  };
}

describe('one serialisation of a snapshot for the event and the case memory', () => {
  it('makes the event data text JSON.stringify would, for 500 varied snapshots and changes', () => {
    const r = prng(9);
    for (let i = 0; i < 500; i++) {
      const s = snapshot(r, i);
      const kind = (['created', 'updated', 'status_changed', 'closed'] as const)[i % 4]!;
      const out = buildEvent(s, { kind, fields: i % 4 ? ['case.status.lifecycle'] : [], ...(i % 3 === 0 && { previousStatus: 'received' as const, previousStatusCode: '1' }) }, 1 + (i % 7));
      expect(out.dataJson, `snapshot ${i}`).toBe(JSON.stringify(out.event.data));
      expect(snapshotJson(s)).toBe(JSON.stringify(s));
    }
  });

  it('makes the case memory text JSON.stringify would, with or without the snapshot known, in any key order', () => {
    const r = prng(4);
    const known = snapshot(r, 1);
    snapshotJson(known);
    const unknown = JSON.parse(JSON.stringify(snapshot(r, 2))) as CaseSnapshot;
    const memories: CaseMemory[] = [
      { snapshot: known, updatedAt: '2025-01-06T08:00:00Z', lastEventId: 'a'.repeat(32), sequence: 3 },
      { snapshot: known, updatedAt: '2025-01-06T08:00:00Z', lastEventId: 'b'.repeat(32), sequence: 4, snapshotId: 'listing-7' },
      { snapshot: known, updatedAt: '2025-01-06T08:00:00Z', lastEventId: 'c'.repeat(32) },
      { updatedAt: 'x', snapshot: known, lastEventId: 'd'.repeat(32), visible: { 'case.status.lifecycle': 'closed' } } as CaseMemory,
      { snapshot: unknown, updatedAt: '2025-01-06T08:00:00Z', lastEventId: 'e'.repeat(32), sequence: 1 },
    ];
    for (const m of memories) expect(caseMemoryJson(m)).toBe(JSON.stringify(m));
    const writes = caseMemoryWrites(new Map(memories.map((m, i) => [`R${i}`, m])));
    expect(writes.map((w) => w.json)).toEqual(memories.map((m) => JSON.stringify(m)));
  });

  it('declines to compose when the snapshot carries a change or sequence of its own', () => {
    const s = { ...snapshot(prng(1), 1), sequence: 9 } as unknown as CaseSnapshot;
    expect(eventDataJson(s, { kind: 'updated', fields: [] }, 2)).toBeUndefined();
    const out = buildEvent(s, { kind: 'updated', fields: [] }, 2);
    expect(out.dataJson).toBeUndefined();
  });
});
