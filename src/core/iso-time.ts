/**
 * casebridge's own ISO 8601 times read and written by arithmetic, each giving exactly what `Date`
 * gives and handing it anything else.
 */

/**
 * `new Date(ms).toISOString()` by arithmetic. A SQL load writes three or four timestamps a row, each
 * different, and V8's own formatting (through its date cache) cost ~0.8 µs a call, more than the
 * rest of normalising the time; this is ~0.3 µs and builds the same text
 * (tests/core/iso-time.test.ts compares the two). Instants outside years 1000–9999, or not whole
 * milliseconds, go to Date itself, so every answer (and every RangeError) is Date's.
 */
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const DAY_MS = 86_400_000;
/** 1000-01-01T00:00:00.000Z and 10000-01-01T00:00:00.000Z. */
const FIRST = -30_610_224_000_000;
const END = 253_402_300_800_000;

export function isoString(ms: number): string {
  if (!(ms >= FIRST && ms < END) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  // Days since 1970-01-01 → proleptic Gregorian date (H. Hinnant's civil_from_days).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${TWO[month]}-${TWO[day]}T${TWO[hour]}:${TWO[minute]}:${TWO[second]}.${THREE[milli]}Z`;
}

const D = (t: string, i: number) => t.charCodeAt(i) - 48;
const DD = (t: string, i: number) => D(t, i) * 10 + D(t, i + 1);

/**
 * Date.parse for the one shape casebridge writes, `2025-10-26T01:30:00(.sss)?(Z|±hh:mm)`, by
 * arithmetic (a case has several such times and every one is different in a SQL load, where
 * Date.parse was 3.5% of the run); anything else, or any digit out of range, goes to Date.parse.
 * tests/event/identity.test.ts compares the two over random times and odd shapes.
 */
export function instantOf(t: string): number {
  const n = t.length;
  // 20 (Z), 24 (.sssZ), 25 (±hh:mm), 29 (.sss±hh:mm); other fraction lengths go to Date.parse.
  if ((n !== 20 && n !== 24 && n !== 25 && n !== 29) || t[4] !== '-' || t[7] !== '-' || t[10] !== 'T' || t[13] !== ':' || t[16] !== ':') return Date.parse(t);
  let end = 19;
  let ms = 0;
  if (t[19] === '.') {
    ms = D(t, 20) * 100 + D(t, 21) * 10 + D(t, 22);
    if (!(ms >= 0 && ms <= 999) || !isDigits(t, 20, 23)) return Date.parse(t);
    end = 23;
  }
  let offset = 0;
  if (t[end] === 'Z' && n === end + 1) offset = 0;
  else if ((t[end] === '+' || t[end] === '-') && t[end + 3] === ':' && n === end + 6 && isDigits(t, end + 1, end + 3) && isDigits(t, end + 4, end + 6)) {
    const mins = DD(t, end + 1) * 60 + DD(t, end + 4);
    if (DD(t, end + 1) > 23 || DD(t, end + 4) > 59) return Date.parse(t);
    offset = t[end] === '+' ? mins : -mins;
  } else return Date.parse(t);
  if (!isDigits(t, 0, 4) || !isDigits(t, 5, 7) || !isDigits(t, 8, 10) || !isDigits(t, 11, 13) || !isDigits(t, 14, 16) || !isDigits(t, 17, 19)) return Date.parse(t);
  const year = D(t, 0) * 1000 + D(t, 1) * 100 + DD(t, 2);
  const month = DD(t, 5);
  const day = DD(t, 8);
  const hour = DD(t, 11);
  const minute = DD(t, 14);
  const second = DD(t, 17);
  // Out-of-range fields are Date.parse's to judge (it rejects them, or reads 24:00 as the next day);
  // and Date.UTC would read years 0–99 as 1900–1999.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return Date.parse(t);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset * 60_000;
}

function isDigits(t: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
