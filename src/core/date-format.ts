/**
 * Checks a Luxon date format written in a config before any record is read. Luxon itself accepts
 * any string: an unknown token becomes literal text that no value matches (`DD/MM/YYYY` dead-letters
 * every row), and a real but wrong token parses the wrong field (`dd/mm/yyyy` reads minutes where
 * the month is, so 24/10/2025 becomes 24 January). Both are config mistakes council IT can only
 * fix if told at load time, with the token and what to write instead.
 */
import { z } from 'zod';

/** The parse tokens Luxon understands (luxon/src/impl/tokenParser.js), with what each reads. */
const TOKENS: Record<string, string> = {
  y: 'year',
  yy: 'two-digit year',
  yyyy: 'four-digit year',
  yyyyy: 'year',
  yyyyyy: 'year',
  G: 'era',
  GG: 'era',
  M: 'month',
  MM: 'two-digit month',
  MMM: 'month name (Oct)',
  MMMM: 'month name (October)',
  L: 'month',
  LL: 'two-digit month',
  LLL: 'month name',
  LLLL: 'month name',
  d: 'day of the month',
  dd: 'two-digit day of the month',
  o: 'day of the year',
  ooo: 'three-digit day of the year',
  H: 'hour (0–23)',
  HH: 'two-digit hour (00–23)',
  h: 'hour (1–12)',
  hh: 'two-digit hour (01–12)',
  m: 'minute',
  mm: 'two-digit minute',
  s: 'second',
  ss: 'two-digit second',
  S: 'millisecond',
  SSS: 'three-digit millisecond',
  u: 'fraction of a second',
  uu: 'fraction of a second',
  uuu: 'fraction of a second',
  a: 'AM/PM',
  q: 'quarter',
  qq: 'quarter',
  W: 'ISO week',
  WW: 'ISO week',
  kk: 'ISO week year',
  kkkk: 'ISO week year',
  E: 'weekday number',
  EEE: 'weekday (Mon)',
  EEEE: 'weekday (Monday)',
  c: 'weekday number',
  ccc: 'weekday (Mon)',
  cccc: 'weekday (Monday)',
  Z: 'offset (+1)',
  ZZ: 'offset (+01:00)',
  ZZZ: 'offset (+0100)',
  z: 'IANA zone',
};

/** Shown when a token is unknown: the ones UK supplier formats need. */
const COMMON = 'yyyy, yy, MM, M, MMM, MMMM, dd, d, HH, H, hh, h, a, mm, m, ss, s, SSS, EEE, ZZ, z';

type Unit = 'year' | 'month' | 'day' | 'ordinal' | 'week' | 'weekday' | 'hour' | 'minute' | 'second' | 'other';

function unitOf(token: string): Unit {
  const c = token[0]!;
  if (c === 'y' || c === 'k') return 'year';
  if (c === 'M' || c === 'L') return 'month';
  if (c === 'd') return 'day';
  if (c === 'o') return 'ordinal';
  if (c === 'W') return 'week';
  if (c === 'E' || c === 'c') return 'weekday';
  if (c === 'H' || c === 'h') return 'hour';
  if (c === 'm') return 'minute';
  if (c === 's') return 'second';
  return 'other';
}

interface Token {
  text: string;
  /** 1-based character position in the format, for messages. */
  at: number;
  literal: boolean;
}

/** Splits like Luxon's Formatter.parseFormat: runs of one letter; 'quoted' text and non-letters are literal. */
function tokenize(fmt: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i]!;
    if (c === "'") {
      const end = fmt.indexOf("'", i + 1);
      const stop = end === -1 ? fmt.length : end + 1;
      out.push({ text: fmt.slice(i, stop), at: i + 1, literal: true });
      i = stop;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (fmt[j] === c) j++;
      out.push({ text: fmt.slice(i, j), at: i + 1, literal: false });
      i = j;
    } else {
      let j = i;
      while (j < fmt.length && fmt[j] !== "'" && !/[A-Za-z]/.test(fmt[j]!)) j++;
      out.push({ text: fmt.slice(i, j), at: i + 1, literal: true });
      i = j;
    }
  }
  return out;
}

const swapCase = (s: string): string => (s === s.toUpperCase() ? s.toLowerCase() : s.toUpperCase());

function unknownToken(t: Token): string {
  const swapped = swapCase(t.text);
  const not = `"${t.text}" at character ${t.at} is not a date token`;
  if (TOKENS[swapped] && unitOf(swapped) !== 'other') return `${not} — write "${swapped}" (${TOKENS[swapped]})`;
  if (t.text === 'T') return `${not} — quote literal letters: 'T'`;
  return `${not}; understood tokens include ${COMMON}; quote literal text, e.g. 'T'`;
}

/**
 * The problems with a Luxon parse format, each naming the token, its position and the fix; empty
 * when the format is fine. Named formats (iso, epoch, …) are not passed here.
 */
export function checkDateFormat(fmt: string): string[] {
  const tokens = tokenize(fmt);
  const problems: string[] = [];
  if (tokens.some((t) => t.literal && t.text.startsWith("'") && (t.text.length === 1 || !t.text.endsWith("'")))) {
    problems.push(`a quote (') is not closed; quote literal text like 'T' and write a quote itself as ''`);
  }
  const fields = tokens.filter((t) => !t.literal);
  for (const t of fields) if (!TOKENS[t.text]) problems.push(unknownToken(t));
  if (problems.length) return problems;

  const units = fields.map((t) => unitOf(t.text));
  const has = (u: Unit) => units.includes(u);
  const prevUnit = (i: number): Unit | undefined => (i > 0 ? units[i - 1] : undefined);

  // A minute token where the month belongs: the format has day and year but no month, and this
  // minute token does not follow an hour.
  if (!has('month') && has('day')) {
    const asMonth = fields.findIndex((t, i) => unitOf(t.text) === 'minute' && prevUnit(i) !== 'hour');
    if (asMonth !== -1) {
      const t = fields[asMonth]!;
      problems.push(`"${t.text}" at character ${t.at} is minutes and the format has no month — write "${t.text.toUpperCase()}" for the month`);
      return problems;
    }
  }
  // A month token where the minutes belong: right after an hour, when the format has a month already.
  if (units.filter((u) => u === 'month').length > 1) {
    const asMinute = fields.findIndex((t, i) => unitOf(t.text) === 'month' && prevUnit(i) === 'hour');
    if (asMinute !== -1) {
      const t = fields[asMinute]!;
      problems.push(`"${t.text}" at character ${t.at} is the month and follows the hour — write "${t.text.toLowerCase()}" for minutes`);
      return problems;
    }
  }
  for (const u of ['year', 'month', 'day', 'ordinal', 'hour', 'minute', 'second'] as const) {
    const repeated = fields.filter((t) => unitOf(t.text) === u);
    if (repeated.length > 1) problems.push(`the ${u} appears twice ("${repeated[0]!.text}" at character ${repeated[0]!.at}, "${repeated[1]!.text}" at character ${repeated[1]!.at})`);
  }
  // Without a year, month or day Luxon fills them in from today, so the same value means a different date next year.
  const missing = [
    !has('year') && 'year (yyyy)',
    !has('month') && !has('ordinal') && !has('week') && 'month (MM)',
    !has('day') && !has('ordinal') && !(has('week') && has('weekday')) && 'day (dd)',
  ].filter((x): x is string => typeof x === 'string');
  if (missing.length) problems.push(`it has no ${missing.join(', ')} — Luxon would take the missing parts from today's date`);
  return problems;
}

const NAMED_DATE_FORMATS = ['iso', 'epoch', 'epoch-ms', 'excel'] as const;

export const DateFormat = z
  .union([
    z.enum(NAMED_DATE_FORMATS).describe('iso: ISO 8601 (zone from the value, else `zone`); epoch: Unix seconds; epoch-ms: Unix milliseconds; excel: Excel serial day number in `zone`'),
    z.string().min(1).describe('A Luxon format such as "dd/MM/yyyy HH:mm", read in `zone` (tokens: docs/mapping.md#dates)'),
  ])
  .superRefine((fmt, ctx) => {
    if ((NAMED_DATE_FORMATS as readonly string[]).includes(fmt)) return;
    const problems = checkDateFormat(fmt);
    if (problems.length) ctx.addIssue({ code: 'custom', message: `date format ${JSON.stringify(fmt)}: ${problems.join('; ')}` });
  });

