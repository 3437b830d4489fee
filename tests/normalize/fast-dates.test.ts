import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { compileDate, fastNumericParser, luxonOnlyParser, wallTimeToInstant, zoneFor } from '../../src/normalize/uk/dates.js';

const zone = zoneFor('Europe/London');

function luxon(fmt: string, text: string): number | undefined {
  const dt = DateTime.fromFormat(text.trim(), fmt, { zone: 'utc', locale: 'en-GB' });
  return dt.isValid ? wallTimeToInstant(dt.toMillis(), zone) : undefined;
}

describe('fast numeric date formats', () => {
  it.each(['dd/MM/yyyy HH:mm', 'dd/MM/yyyy', 'd/M/yyyy H:mm:ss', 'yyyy-MM-dd HH:mm:ss.SSS'])('agree with Luxon through a whole year, clock changes included (%s)', (fmt) => {
    const fast = fastNumericParser(fmt, zone)!;
    expect(fast).toBeDefined();
    const start = Date.UTC(2025, 0, 1);
    let compared = 0;
    for (let t = start; t < start + 366 * 86_400_000; t += 97 * 60_000 + 7_000) {
      const text = DateTime.fromMillis(t, { zone: 'utc' }).toFormat(fmt);
      expect(fast(text), text).toBe(luxon(fmt, text));
      compared++;
    }
    // Both clock-change days, hour by hour.
    for (const day of ['2025-03-30', '2025-10-26']) {
      for (let h = 0; h < 4; h++) for (const m of [0, 30, 59]) {
        const text = DateTime.fromISO(`${day}T00:00:00`, { zone: 'utc' }).plus({ hours: h, minutes: m }).toFormat(fmt);
        expect(fast(text), text).toBe(luxon(fmt, text));
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it('leave impossible or unmatched values to Luxon, and decline formats with names or offsets', () => {
    const fast = fastNumericParser('dd/MM/yyyy HH:mm', zone)!;
    for (const v of ['31/02/2025 10:00', '29/02/2025 10:00', '03/11/2025 24:00', '3/11/2025 14:05', 'soon']) expect(fast(v)).toBeUndefined();
    expect(fastNumericParser('dd MMM yyyy', zone)).toBeUndefined();
    expect(fastNumericParser("yyyy-MM-dd'T'HH:mm", zone)).toBeUndefined();
    // compileDate still reads them through Luxon.
    expect(compileDate(['dd MMM yyyy'], 'Europe/London').parse('03 Nov 2025')).toBe('2025-11-03T00:00:00+00:00');
    expect(compileDate(['dd/MM/yyyy HH:mm'], 'Europe/London').parse('26/10/2025 01:30')).toBe('2025-10-26T01:30:00+01:00');
    expect(compileDate(['dd/MM/yyyy HH:mm'], 'Europe/London').parse('30/03/2025 01:30')).toBe('2025-03-30T02:30:00+01:00');
  });

  it("the Luxon path's regex pre-test gives Luxon's own answer for every value, matched or not", () => {
    const formats = ['dd/MM/yyyy HH:mm', 'dd/MM/yyyy', 'd MMM yyyy', 'dd MMMM yyyy h:mm a', "yyyy-MM-dd'T'HH:mm:ssZZ", 'EEE dd/MM/yy'];
    const values = ['03/11/2025 14:05', '03/11/2025', '3 Nov 2025', '03 NOVEMBER 2025 2:05 pm', '2025-11-03T14:05:00+01:00', 'Mon 03/11/25', '03/11/2025\u00a014:05', '31/02/2025 10:00', '', ' 03/11/2025 ', 'soon', '2025-11-03'];
    for (const fmt of formats) {
      // The pre-test reads the regex Luxon builds; a Luxon without it would quietly lose the shortcut.
      expect((DateTime.buildFormatParser(fmt, { locale: 'en-GB' }) as unknown as { regex?: unknown }).regex, fmt).toBeInstanceOf(RegExp);
      const parse = luxonOnlyParser(fmt, zone);
      for (const v of values) {
        const withOffset = /Z/.test(fmt);
        const dt = DateTime.fromFormat(v.trim(), fmt, withOffset ? { setZone: true, locale: 'en-GB' } : { zone: 'utc', locale: 'en-GB' });
        const expected = dt.isValid ? (withOffset ? dt.toMillis() : wallTimeToInstant(dt.toMillis(), zone)) : undefined;
        expect(parse(v), `${fmt} / ${JSON.stringify(v)}`).toBe(expected);
      }
    }
  });
});

describe('remembered date texts', () => {
  it('give the same answer and the same clock-change note on every repeat, past the memory bound', () => {
    const remembering = compileDate(['dd/MM/yyyy HH:mm', 'dd/MM/yyyy'], 'Europe/London', { ambiguous: 'later', nonexistent: 'reject' });
    const texts = ['26/10/2025 01:30', '30/03/2025 01:30', '01/07/2025 09:00', '01/07/2025', 'not a date', '31/02/2025 10:00'];
    // 3,000 distinct dates in between, so the memory is cleared at least once.
    for (let i = 0; i < 3_000; i++) texts.push(`${String(1 + (i % 28)).padStart(2, '0')}/${String(1 + (Math.floor(i / 28) % 12)).padStart(2, '0')}/${2000 + Math.floor(i / 336)} 12:00`);
    texts.push(...texts.slice(0, 6), ...texts.slice(0, 6).reverse());
    for (const text of texts) {
      // A new compiled date each time: nothing remembered.
      const fresh = compileDate(['dd/MM/yyyy HH:mm', 'dd/MM/yyyy'], 'Europe/London', { ambiguous: 'later', nonexistent: 'reject' });
      expect(remembering.parse(text), text).toBe(fresh.parse(text));
      expect(remembering.lastClockChange(), text).toEqual(fresh.lastClockChange());
    }
    // The ambiguous and the nonexistent times carry their notes on a repeat, and a plain one none.
    remembering.parse('26/10/2025 01:30');
    expect(remembering.lastClockChange()).toMatchObject({ kind: 'ambiguous', resolution: 'later' });
    expect(remembering.parse('30/03/2025 01:30')).toBeUndefined();
    expect(remembering.lastClockChange()).toMatchObject({ kind: 'nonexistent', resolution: 'reject' });
    remembering.parse('01/07/2025 09:00');
    expect(remembering.lastClockChange()).toBeUndefined();
  });
});
