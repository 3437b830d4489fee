/**
 * The clock-change policy: an ambiguous (2025-10-26 01:30) and a nonexistent (2025-03-30 01:30)
 * Europe/London time under every policy, through every parser that turns wall time into an instant
 * (fast numeric, Luxon-only, fast ISO, ISO via Luxon, Excel serial) and through a compiled mapping.
 */
import { describe, expect, it } from 'vitest';
import {
  commonIso,
  compileDate,
  fastNumericParser,
  isoViaLuxon,
  luxonOnlyParser,
  resolveWallTime,
  zoneFor,
  type ClockChangeNote,
  type ClockChangePolicy,
} from '../../src/normalize/uk/dates.js';
import { run, stages } from './helpers.js';

const zone = zoneFor('Europe/London');
const AMBIGUOUS = { text: '26/10/2025 01:30', iso: '2025-10-26T01:30', excel: 45956 + 1.5 / 24, local: '2025-10-26T01:30:00' };
const NONEXISTENT = { text: '30/03/2025 01:30', iso: '2025-03-30T01:30', excel: 45746 + 1.5 / 24, local: '2025-03-30T01:30:00' };
const FIRST_0130 = Date.parse('2025-10-26T00:30:00Z'); // 01:30 BST
const SECOND_0130 = Date.parse('2025-10-26T01:30:00Z'); // 01:30 GMT
const SHIFTED = Date.parse('2025-03-30T01:30:00Z'); // 02:30 BST

type Parse = (wall: (w: number) => number, which: typeof AMBIGUOUS) => number | undefined | null;
/** Every way a wall time reaches the resolver. */
const paths: Record<string, Parse> = {
  'fast numeric (dd/MM/yyyy HH:mm)': (wall, v) => fastNumericParser('dd/MM/yyyy HH:mm', zone, wall)!(v.text),
  'Luxon format parser (dd/MM/yyyy HH:mm)': (wall, v) => luxonOnlyParser('dd/MM/yyyy HH:mm', zone, wall)(v.text),
  'fast ISO': (wall, v) => commonIso(v.iso, zone, wall),
  'ISO via Luxon': (wall, v) => isoViaLuxon(v.iso, zone, wall),
};

const policies: { policy: ClockChangePolicy; ambiguous: number; nonexistent: number }[] = [
  { policy: { ambiguous: 'earlier', nonexistent: 'shift' }, ambiguous: FIRST_0130, nonexistent: SHIFTED },
  { policy: { ambiguous: 'later', nonexistent: 'shift' }, ambiguous: SECOND_0130, nonexistent: SHIFTED },
  { policy: { ambiguous: 'reject', nonexistent: 'reject' }, ambiguous: Number.NaN, nonexistent: Number.NaN },
];

describe('clock-change policy: every parsing path applies it identically', () => {
  for (const [name, parse] of Object.entries(paths)) {
    it.each(policies)(`${name}: %j`, ({ policy, ambiguous, nonexistent }) => {
      const notes: ClockChangeNote[] = [];
      const wall = (w: number) => resolveWallTime(w, zone, policy, (n) => notes.push(n));
      expect(parse(wall, AMBIGUOUS)).toBe(ambiguous);
      expect(parse(wall, NONEXISTENT)).toBe(nonexistent);
      expect(notes).toEqual([
        { kind: 'ambiguous', resolution: policy.ambiguous, local: AMBIGUOUS.local, candidates: [FIRST_0130, SECOND_0130] },
        { kind: 'nonexistent', resolution: policy.nonexistent, local: NONEXISTENT.local },
      ]);
      // An ordinary time on the same days is no clock change.
      notes.length = 0;
      expect(parse(wall, { ...AMBIGUOUS, text: '26/10/2025 03:30', iso: '2025-10-26T03:30' })).toBe(Date.parse('2025-10-26T03:30:00Z'));
      expect(notes).toEqual([]);
    });
  }

  it.each(policies)('compileDate, named and Luxon formats and Excel serials alike: %j', ({ policy }) => {
    const cases: [string, unknown, typeof AMBIGUOUS][] = [
      ['dd/MM/yyyy HH:mm', AMBIGUOUS.text, AMBIGUOUS],
      ['d MMM yyyy HH:mm', '26 Oct 2025 01:30', AMBIGUOUS],
      ['iso', AMBIGUOUS.iso, AMBIGUOUS],
      ['excel', AMBIGUOUS.excel, AMBIGUOUS],
      ['dd/MM/yyyy HH:mm', NONEXISTENT.text, NONEXISTENT],
      ['d MMM yyyy HH:mm', '30 Mar 2025 01:30', NONEXISTENT],
      ['iso', NONEXISTENT.iso, NONEXISTENT],
      ['excel', NONEXISTENT.excel, NONEXISTENT],
    ];
    for (const [fmt, value, which] of cases) {
      const d = compileDate([fmt], 'Europe/London', policy);
      const iso = d.parse(value);
      const kind = which === AMBIGUOUS ? 'ambiguous' : 'nonexistent';
      const resolution = policy[kind];
      expect(d.lastClockChange(), `${fmt} ${String(value)}`).toMatchObject({ kind, resolution, local: which.local });
      const expected = { earlier: '2025-10-26T01:30:00+01:00', later: '2025-10-26T01:30:00+00:00', shift: '2025-03-30T02:30:00+01:00', reject: undefined }[resolution];
      expect(iso, `${fmt} ${String(value)}`).toBe(expected);
    }
  });

  it('a rejected time is not passed on to the next format, and a value with an offset needs no policy', () => {
    const d = compileDate(['dd/MM/yyyy HH:mm', 'dd/MM/yyyy'], 'Europe/London', { ambiguous: 'reject', nonexistent: 'reject' });
    expect(d.parse(AMBIGUOUS.text)).toBeUndefined();
    expect(d.lastClockChange()?.resolution).toBe('reject');
    expect(d.parse('2025-10-26T01:30:00+00:00')).toBeUndefined(); // not a format of this date at all
    expect(d.lastClockChange()).toBeUndefined();
    const iso = compileDate(['iso'], 'Europe/London', { ambiguous: 'reject', nonexistent: 'reject' });
    expect(iso.parse('2025-10-26T01:30:00+00:00')).toBe('2025-10-26T01:30:00+00:00');
    expect(iso.lastClockChange()).toBeUndefined();
    expect(iso.parse(new Date(SECOND_0130))).toBe('2025-10-26T01:30:00+00:00');
  });
});

describe('clock-change policy through a mapping', () => {
  const mapping = (clockChange?: object) => ({
    reference: 'Ref',
    status: { code: 'Stage', lookup: 'stages' },
    openedAt: { path: 'Opened', date: 'dd/MM/yyyy HH:mm' },
    updatedAt: { path: 'Updated', date: 'iso' },
    lookups: stages,
    ...(clockChange && { clockChange }),
  });
  const record = { Ref: 'C1', Stage: '1', Opened: AMBIGUOUS.text, Updated: NONEXISTENT.iso };

  it('defaults (earlier, shift) are today\'s behaviour, now recorded in provenance.clockChange', async () => {
    const r = await run(mapping(), record);
    if (r.kind !== 'case') throw new Error(JSON.stringify(r));
    expect(r.snapshot.case.openedAt).toBe('2025-10-26T01:30:00+01:00');
    expect(r.snapshot.case.updatedAt).toBe('2025-03-30T02:30:00+01:00');
    expect(r.snapshot.provenance.clockChange).toEqual([
      { field: 'case.updatedAt', kind: 'nonexistent', resolution: 'shift', local: '2025-03-30T01:30:00' },
      { field: 'case.openedAt', kind: 'ambiguous', resolution: 'earlier', local: '2025-10-26T01:30:00' },
    ]);
  });

  it('later takes the second 01:30; an ordinary time leaves no clockChange at all', async () => {
    const r = await run(mapping({ ambiguous: 'later' }), record);
    if (r.kind !== 'case') throw new Error(JSON.stringify(r));
    expect(r.snapshot.case.openedAt).toBe('2025-10-26T01:30:00+00:00');
    expect(r.snapshot.provenance.clockChange?.find((c) => c.field === 'case.openedAt')).toEqual({ field: 'case.openedAt', kind: 'ambiguous', resolution: 'later', local: '2025-10-26T01:30:00' });
    const plain = await run(mapping({ ambiguous: 'later' }), { ...record, Opened: '26/10/2025 03:30', Updated: '2025-03-30T03:30' });
    if (plain.kind !== 'case') throw new Error(JSON.stringify(plain));
    expect(plain.snapshot.provenance).not.toHaveProperty('clockChange');
  });

  it('reject dead-letters the record with a reason naming the field, value, the two instants and the policy', async () => {
    const amb = await run(mapping({ ambiguous: 'reject' }), record);
    expect(amb).toEqual({
      kind: 'reject',
      code: 'ambiguous_time',
      field: 'case.openedAt',
      reason:
        'case.openedAt: "26/10/2025 01:30" is 2025-10-26 01:30:00 in Europe/London, which happens twice as the clocks go back (2025-10-26T01:30:00+01:00 or 2025-10-26T01:30:00+00:00); clockChange.ambiguous is reject (connectors[0].mapping.clockChange; value from connectors[0].mapping.openedAt)',
    });
    const gap = await run(mapping({ nonexistent: 'reject' }), record);
    expect(gap).toEqual({
      kind: 'reject',
      code: 'nonexistent_time',
      field: 'case.updatedAt',
      reason:
        'case.updatedAt: "2025-03-30T01:30" is 2025-03-30 01:30:00 in Europe/London, which never happens: the clocks go forward over it; clockChange.nonexistent is reject (connectors[0].mapping.clockChange; value from connectors[0].mapping.updatedAt)',
    });
  });

  it('a personal date field never shows its value, in provenance or in a reason', async () => {
    const withPersonal = (clockChange?: object) => ({ ...mapping(clockChange), personalSalt: 's', personal: [{ name: 'seen', value: { path: 'Seen', date: 'dd/MM/yyyy HH:mm' }, mode: 'hash' }] });
    const ok = await run(withPersonal(), { ...record, Opened: '01/01/2025 10:00', Updated: '2025-01-01T10:00', Seen: AMBIGUOUS.text });
    if (ok.kind !== 'case') throw new Error(JSON.stringify(ok));
    expect(ok.snapshot.provenance.clockChange).toEqual([{ field: 'personal.seen', kind: 'ambiguous', resolution: 'earlier' }]);
    const bad = await run(withPersonal({ ambiguous: 'reject' }), { ...record, Opened: '01/01/2025 10:00', Seen: AMBIGUOUS.text });
    expect(bad.kind).toBe('reject');
    if (bad.kind === 'reject') {
      expect(bad.reason).not.toContain('26/10/2025');
      expect(bad.reason).not.toContain('2025-10-26');
      expect(bad.reason).toContain('personal.seen: the value (not shown: personal data) is a local time in Europe/London, which happens twice');
    }
  });
});
