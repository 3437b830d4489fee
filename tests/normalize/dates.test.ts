import { describe, expect, it } from 'vitest';
import { commonIso, compileDate, isoViaLuxon, wallTimeToInstant, zoneFor } from '../../src/normalize/uk/dates.js';

const london = (fmt: string | string[]) => compileDate(Array.isArray(fmt) ? fmt : [fmt], 'Europe/London');

describe('dates: explicit formats in Europe/London', () => {
  it('reads UK day-first formats with the right offset in winter and summer', () => {
    const d = london('dd/MM/yyyy HH:mm');
    expect(d.parse('13/03/2019 07:31')).toBe('2019-03-13T07:31:00+00:00');
    expect(d.parse('13/07/2019 07:31')).toBe('2019-07-13T07:31:00+01:00');
    expect(d.parse(' 13/07/2019 07:31 ')).toBe('2019-07-13T07:31:00+01:00');
  });

  it('refuses values that do not match exactly, and impossible dates', () => {
    const d = london('dd/MM/yyyy HH:mm');
    expect(d.parse('13/03/2019')).toBeUndefined();
    expect(d.parse('2019-03-13T07:31')).toBeUndefined();
    expect(d.parse('31/02/2019 07:31')).toBeUndefined();
    expect(d.parse(42)).toBeUndefined();
    expect(d.describe).toBe('"dd/MM/yyyy HH:mm" (zone Europe/London)');
  });

  it('tries several formats in order', () => {
    const d = london(['dd/MM/yyyy HH:mm', 'dd/MM/yyyy']);
    expect(d.parse('12/03/2019')).toBe('2019-03-12T00:00:00+00:00');
    expect(d.parse('12/03/2019 23:59')).toBe('2019-03-12T23:59:00+00:00');
  });

  it('honours an offset written in the value when the format has one', () => {
    const d = london('dd/MM/yyyy HH:mm ZZ');
    expect(d.parse('01/07/2025 09:30 +00:00')).toBe('2025-07-01T10:30:00+01:00');
  });

  it('reads a value in another zone when asked', () => {
    expect(compileDate(['yyyy-MM-dd HH:mm'], 'America/New_York').parse('2025-07-01 09:30')).toBe('2025-07-01T09:30:00-04:00');
  });
});

describe('dates: the clock-change hours', () => {
  // 2025: BST starts Sunday 30 March at 01:00 GMT (clocks go 01:00 → 02:00);
  // BST ends Sunday 26 October at 01:00 GMT (clocks go 02:00 BST → 01:00 GMT).
  const d = london('dd/MM/yyyy HH:mm');

  it('autumn: the ambiguous hour is the earlier instant (still BST, +01:00)', () => {
    expect(d.parse('26/10/2025 01:30')).toBe('2025-10-26T01:30:00+01:00');
    expect(new Date(d.parse('26/10/2025 01:30')!).toISOString()).toBe('2025-10-26T00:30:00.000Z');
    // Either side of the repeated hour there is only one reading.
    expect(d.parse('26/10/2025 00:59')).toBe('2025-10-26T00:59:00+01:00');
    expect(d.parse('26/10/2025 02:00')).toBe('2025-10-26T02:00:00+00:00');
  });

  it('spring: the missing hour is shifted forward by the gap (01:30 → 02:30 BST)', () => {
    expect(d.parse('30/03/2025 01:30')).toBe('2025-03-30T02:30:00+01:00');
    expect(new Date(d.parse('30/03/2025 01:30')!).toISOString()).toBe('2025-03-30T01:30:00.000Z');
    expect(d.parse('30/03/2025 00:59')).toBe('2025-03-30T00:59:00+00:00');
    expect(d.parse('30/03/2025 02:00')).toBe('2025-03-30T02:00:00+01:00');
  });

  it('applies the same rule to ISO values without an offset and to Excel serials', () => {
    expect(london('iso').parse('2025-10-26T01:30:00')).toBe('2025-10-26T01:30:00+01:00');
    expect(london('iso').parse('2025-03-30T01:30:00.250')).toBe('2025-03-30T02:30:00.250+01:00');
    // 45956 = 2025-10-26; + 1.5/24 = 01:30
    expect(london('excel').parse(45956 + 1.5 / 24)).toBe('2025-10-26T01:30:00+01:00');
  });

  it('wallTimeToInstant is monotonic through both changes', () => {
    const z = zoneFor('Europe/London');
    const steps = [Date.UTC(2025, 2, 30, 0, 30), Date.UTC(2025, 2, 30, 1, 30), Date.UTC(2025, 2, 30, 2, 30), Date.UTC(2025, 9, 26, 0, 30), Date.UTC(2025, 9, 26, 1, 30), Date.UTC(2025, 9, 26, 2, 30)];
    const instants = steps.map((w) => wallTimeToInstant(w, z));
    for (let i = 1; i < instants.length; i++) expect(instants[i]!).toBeGreaterThanOrEqual(instants[i - 1]!);
  });
});

describe('dates: ISO, epoch and Excel', () => {
  it('ISO with an offset keeps the instant and is shown in the zone', () => {
    const d = london('iso');
    expect(d.parse('2025-01-10T09:30:00Z')).toBe('2025-01-10T09:30:00+00:00');
    expect(d.parse('2025-07-01T09:30:00+02:00')).toBe('2025-07-01T08:30:00+01:00');
    expect(d.parse('2025-07-01T09:30:00+0200')).toBe('2025-07-01T08:30:00+01:00');
  });

  it('ISO without an offset is local time; supplier milliseconds are kept', () => {
    const d = london('iso');
    expect(d.parse('2019-03-13T07:31:00.123')).toBe('2019-03-13T07:31:00.123+00:00');
    expect(d.parse('2019-07-13T07:31:00')).toBe('2019-07-13T07:31:00+01:00');
    expect(d.parse('2019-07-13')).toBe('2019-07-13T00:00:00+01:00');
    expect(d.parse('2019-07-13 07:31:00')).toBe('2019-07-13T07:31:00+01:00');
    expect(d.parse('13/07/2019')).toBeUndefined();
  });

  it('epoch seconds and milliseconds, as numbers or text', () => {
    expect(london('epoch').parse(1736501400)).toBe('2025-01-10T09:30:00+00:00');
    expect(london('epoch').parse('1751358600')).toBe('2025-07-01T09:30:00+01:00');
    expect(london('epoch-ms').parse(1736501400000)).toBe('2025-01-10T09:30:00+00:00');
    expect(london('epoch').parse('soon')).toBeUndefined();
  });

  it('Excel serial day numbers, rounding float noise to the second', () => {
    expect(london('excel').parse(43537)).toBe('2019-03-13T00:00:00+00:00');
    expect(london('excel').parse(43537.313194444)).toBe('2019-03-13T07:31:00+00:00');
    expect(london('excel').parse('45839.395833333')).toBe('2025-07-01T09:30:00+01:00');
  });

  it('Date objects are instants whatever the formats', () => {
    expect(london('dd/MM/yyyy').parse(new Date('2025-07-01T08:30:00Z'))).toBe('2025-07-01T09:30:00+01:00');
    expect(london('iso').parse(new Date('nope'))).toBeUndefined();
  });

  it('refuses an unknown zone', () => {
    expect(() => compileDate(['iso'], 'Europe/Atlantis')).toThrow('unknown time zone "Europe/Atlantis"');
  });
});

describe('dates: the common-ISO fast path agrees with Luxon', () => {
  const zone = zoneFor('Europe/London');
  const values = [
    '2025-04-02T11:25:00.123+01:00',
    '2025-04-02T11:25:00+01:00',
    '2025-04-02T11:25:00-05:30',
    '2025-04-02T11:25:00Z',
    '2025-04-02T11:25:00.5Z',
    '2025-04-02T11:25:00.12',
    '2025-07-01T09:30:00.123456+01:00',
    '2025-07-01T09:30:00.570999999Z',
    '2025-04-02T11:25',
    '2025-04-02 11:25:00',
    '2025-04-02',
    '2024-02-29T12:00:00',
    '2000-02-29',
    '2025-10-26T01:30:00',
    '2025-10-26T01:30:00.999',
    '2025-03-30T01:30:00',
    '2025-03-30T00:59:59',
    '1999-12-31T23:59:59.999Z',
    '2025-01-01T00:00:00+14:00',
  ];
  it.each(values)('%s', (v) => {
    const fast = commonIso(v, zone);
    expect(fast).not.toBeNull();
    expect(fast).toBe(isoViaLuxon(v, zone));
  });

  it('leaves anything else (and anything invalid) to Luxon', () => {
    for (const v of ['2025-02-29', '2025-02-31T00:00:00', '2025-13-01', '2025-04-02T24:00:00', '2025-W14-3', '2025-092', '2025-04-02T11:25:00.1234567891', '2025-04-02T11:25:00+0100', '0001-01-01T00:00:00', '20250402']) {
      expect(commonIso(v, zone)).toBeNull();
    }
    const d = compileDate(['iso'], 'Europe/London');
    expect(d.parse('2025-02-29')).toBeUndefined();
    expect(d.parse('2025-02-31T00:00:00')).toBeUndefined();
    expect(d.parse('2025-W14-3')).toBe('2025-04-02T00:00:00+01:00');
    expect(d.parse('2025-04-02T11:25:00+0100')).toBe('2025-04-02T11:25:00+01:00');
  });
});
