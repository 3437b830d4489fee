import { describe, expect, it } from 'vitest';
import { Mapping } from '../../src/normalize/mapping-schema.js';
import { checkDateFormat } from '../../src/core/date-format.js';

describe('date format tokens', () => {
  it.each([
    'dd/MM/yyyy HH:mm',
    'dd/MM/yyyy',
    'd/M/yyyy H:mm:ss',
    "yyyy-MM-dd'T'HH:mm:ss.SSS",
    'yyyy-MM-dd HH:mm:ssZZ',
    'd MMM yyyy h:mm a',
    'EEEE d MMMM yyyy',
    'yyyyMMddHHmmss',
    'dd.MM.yy',
    'yyyy-ooo',
    "dd/MM/yyyy 'at' HH:mm",
  ])('accepts %s', (fmt) => {
    expect(checkDateFormat(fmt)).toEqual([]);
  });

  it.each([
    ['dd/mm/yyyy HH:mm', '"mm" at character 4 is minutes and the format has no month — write "MM" for the month'],
    ['yyyy-mm-dd', '"mm" at character 6 is minutes and the format has no month — write "MM" for the month'],
    ['HH:mm dd/mm/yyyy', '"mm" at character 10 is minutes and the format has no month — write "MM" for the month'],
    ['dd/MM/yyyy HH:MM', '"MM" at character 15 is the month and follows the hour — write "mm" for minutes'],
    ['DD/MM/yyyy', '"DD" at character 1 is not a date token — write "dd" (two-digit day of the month)'],
    ['dd/MM/YYYY', '"YYYY" at character 7 is not a date token — write "yyyy" (four-digit year)'],
    ['yyyy-MM-ddTHH:mm', `"T" at character 11 is not a date token — quote literal letters: 'T'`],
    ['dd/MM/yyyy Q', `"Q" at character 12 is not a date token; understood tokens include yyyy, yy, MM, M, MMM, MMMM, dd, d, HH, H, hh, h, a, mm, m, ss, s, SSS, EEE, ZZ, z; quote literal text, e.g. 'T'`],
    ["dd/MM/yyyy 'at HH:mm", "a quote (') is not closed; quote literal text like 'T' and write a quote itself as ''"],
    ['HH:mm', "it has no year (yyyy), month (MM), day (dd) — Luxon would take the missing parts from today's date"],
    ['dd/MM HH:mm', "it has no year (yyyy) — Luxon would take the missing parts from today's date"],
    ['dd/MM/yyyy dd', 'the day appears twice ("dd" at character 1, "dd" at character 12)'],
  ])('rejects %s', (fmt, message) => {
    expect(checkDateFormat(fmt)).toEqual([message]);
  });

  it('names both problems of DD/MM/YYYY; the schema puts them on the format in the config', () => {
    expect(checkDateFormat('DD/MM/YYYY')).toHaveLength(2);
    const r = Mapping.safeParse({ reference: 'R', status: { code: 'S', lookup: 't' }, updatedAt: { path: 'U', date: { format: ['iso', 'DD/MM/YYYY'] } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toEqual([
      expect.objectContaining({
        path: ['updatedAt', 'date', 'format', 1],
        message:
          'date format "DD/MM/YYYY": "DD" at character 1 is not a date token — write "dd" (two-digit day of the month); "YYYY" at character 7 is not a date token — write "yyyy" (four-digit year)',
      }),
    ]);
    // Named formats are not token strings.
    expect(Mapping.safeParse({ reference: 'R', status: { code: 'S', lookup: 't' }, updatedAt: { path: 'U', date: 'epoch-ms' } }).success).toBe(true);
  });
});
