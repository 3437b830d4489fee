/**
 * Supplier times → ISO 8601 with an explicit offset, in a named zone (default Europe/London).
 *
 * Most UK supplier systems write local wall-clock time with no offset, so twice a year a local
 * time is either ambiguous or impossible. A mapping's `clockChange` policy decides (documented in
 * docs/mapping.md); the defaults are:
 * - ambiguous (autumn, 01:00–01:59 happens twice): `earlier`, the instant with the offset in force
 *   before the change (BST, +01:00). `later` takes the second 01:30 (GMT); `reject` dead-letters.
 * - non-existent (spring, 01:00–01:59 never happens): `shift` FORWARD by the gap, i.e. read with
 *   the offset in force before the change (GMT): 01:30 becomes 02:30+01:00 (= 01:30Z). This is what
 *   java.time and most databases do, so a supplier's own reports agree with ours. `reject` dead-letters.
 * Every parser here (the fast numeric and ISO paths, Luxon, Excel serials) turns wall time into an
 * instant through one WallResolver, so the policy applies the same way whichever path read the value.
 * Output is always in the zone, with its offset: 2025-07-01T09:30:00+01:00, 2025-01-10T09:30:00+00:00.
 */
import { DateTime, IANAZone } from 'luxon';
import { isoString } from '../../core/iso-time.js';

export type DateFormatName = 'iso' | 'epoch' | 'epoch-ms' | 'excel';
/** A named format or a Luxon format string such as "dd/MM/yyyy HH:mm". */
export type DateFormatSpec = DateFormatName | (string & {});

const DAY_MS = 86_400_000;
/** Excel serial day 0 is 1899-12-30 (which absorbs Excel's fictional 29 February 1900). */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const LOCALE = 'en-GB';

export interface TimeZoneLike {
  name: string;
  /** Offset in minutes at the instant `ms`. */
  offset(ms: number): number;
}

const zoneCache = new Map<string, TimeZoneLike>();

const DAY_BUCKET_MS = 86_400_000;
const SHORT_BUCKET_MS = 15 * 60_000;
const MAX_BUCKETS = 20_000;

/**
 * Luxon asks Intl for every offset (formatToParts: microseconds each), and one date needs up to
 * four. Offsets only change at transitions, which are months apart (and never closer than 15
 * minutes), so offsets are cached per UTC day — when the day's first and last millisecond agree,
 * i.e. no transition falls inside it — and per 15-minute slot on the two days a year that have
 * one. Bounded in size.
 */
function cachedOffsets(exact: (ms: number) => number): (ms: number) => number {
  const days = new Map<number, number>();
  const slots = new Map<number, number>();
  const lookup = (cache: Map<number, number>, size: number, ms: number): number | undefined => {
    const b = Math.floor(ms / size);
    const hit = cache.get(b);
    if (hit !== undefined) return hit;
    const first = exact(b * size);
    if (first !== exact(b * size + size - 1)) return undefined;
    if (cache.size >= MAX_BUCKETS) cache.clear();
    cache.set(b, first);
    return first;
  };
  return (ms) => lookup(days, DAY_BUCKET_MS, ms) ?? lookup(slots, SHORT_BUCKET_MS, ms) ?? exact(ms);
}

/** An IANA zone, or a clear error naming it. */
export function zoneFor(name: string): TimeZoneLike {
  let z = zoneCache.get(name);
  if (!z) {
    if (name === 'UTC' || name === 'utc' || name === 'Etc/UTC') z = { name: 'UTC', offset: () => 0 };
    else {
      const iana = IANAZone.create(name);
      if (!iana.isValid) throw new Error(`unknown time zone "${name}" (expected an IANA zone such as Europe/London)`);
      z = { name, offset: cachedOffsets((ms: number) => iana.offset(ms)) };
    }
    zoneCache.set(name, z);
  }
  return z;
}

export interface ClockChangePolicy {
  ambiguous: 'earlier' | 'later' | 'reject';
  nonexistent: 'shift' | 'reject';
}
export const DEFAULT_CLOCK_CHANGE: ClockChangePolicy = { ambiguous: 'earlier', nonexistent: 'shift' };

/** A wall time that fell in a clock change, and what the policy did with it. */
export interface ClockChangeNote {
  kind: 'ambiguous' | 'nonexistent';
  resolution: 'earlier' | 'later' | 'shift' | 'reject';
  /** The supplier's wall time, ISO without offset: 2025-10-26T01:30:00. */
  local: string;
  /** For an ambiguous time, the two instants it could be (ms). */
  candidates?: [number, number];
}

/** Local wall-clock time (its fields encoded as if they were UTC) → the instant; NaN when the policy rejects it. */
export type WallResolver = (wallMs: number) => number;

const wallText = (wallMs: number): string => new Date(wallMs).toISOString().slice(0, 19);

/**
 * Wall time → instant under `policy`, telling `note` when a clock change applied. The common case
 * (no transition within a day either side) costs two cached offset look-ups.
 */
export function resolveWallTime(wallMs: number, zone: TimeZoneLike, policy: ClockChangePolicy = DEFAULT_CLOCK_CHANGE, note?: (n: ClockChangeNote) => void): number {
  const before = zone.offset(wallMs - DAY_MS);
  const after = zone.offset(wallMs + DAY_MS);
  if (before === after) return wallMs - before * 60_000;
  const candidates: number[] = [];
  for (const o of [before, after]) {
    const t = wallMs - o * 60_000;
    if (zone.offset(t) === o && !candidates.includes(t)) candidates.push(t);
  }
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 2) {
    const earlier = Math.min(candidates[0]!, candidates[1]!);
    const later = Math.max(candidates[0]!, candidates[1]!);
    note?.({ kind: 'ambiguous', resolution: policy.ambiguous, local: wallText(wallMs), candidates: [earlier, later] });
    return policy.ambiguous === 'reject' ? Number.NaN : policy.ambiguous === 'later' ? later : earlier;
  }
  note?.({ kind: 'nonexistent', resolution: policy.nonexistent, local: wallText(wallMs) });
  return policy.nonexistent === 'reject' ? Number.NaN : wallMs - before * 60_000; // shift forward by the gap
}

/** Wall time → instant under the default policy (ambiguous: earlier; nonexistent: shift). */
export function wallTimeToInstant(wallMs: number, zone: TimeZoneLike): number {
  return resolveWallTime(wallMs, zone);
}

const defaultResolver = (zone: TimeZoneLike): WallResolver => (w) => resolveWallTime(w, zone);

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** ISO 8601 in the zone with its offset; milliseconds only when non-zero. */
export function formatInZone(ms: number, zone: TimeZoneLike): string {
  const off = zone.offset(ms);
  const local = isoString(ms + off * 60_000); // 2025-10-26T00:30:00.000Z
  const body = local.endsWith('.000Z') ? local.slice(0, 19) : local.slice(0, 23);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${body}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** A string that ends in an offset after a time part: Z, +01:00, +0100, -05. */
const ISO_WITH_OFFSET = /[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const NUMERIC = /^[+-]?\d+(?:\.\d+)?$/;

/** Format strings mention an offset or zone token outside quoted literals. */
function formatHasOffset(fmt: string): boolean {
  return /[Zz]/.test(fmt.replace(/'[^']*'/g, ''));
}

function numericValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && NUMERIC.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** Returns the instant in ms, or undefined when the value does not match. */
type InstantParser = (value: unknown) => number | undefined;

/**
 * The shape nearly every ISO value has (2025-04-02T11:25:00.123+01:00, 2019-03-13T07:31:00, SQL's
 * space form, a bare date), read without Luxon: it is the hot path of most mappings. Anything
 * else — week dates, ordinal dates, +0100, odd values — goes to Luxon.
 * tests/normalize/dates.test.ts checks both agree.
 */
const COMMON_ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:\d{2})?$/i;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The instant, or null when the text is not in the common shape (then Luxon reads it). */
export function commonIso(text: string, zone: TimeZoneLike, wall: WallResolver = defaultResolver(zone)): number | null {
  const m = COMMON_ISO.exec(text);
  if (!m) return null; // not this shape: let Luxon decide
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  // Sub-millisecond digits (SQL's microseconds) are cut, as Luxon does.
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1];
  if (dim === undefined || d < 1 || d > dim || h > 23 || mi > 59 || s > 59) return null; // Luxon has the last word on odd values
  if (y < 100) return null; // Date.UTC maps years 0–99 to the 1900s; leave those oddities to Luxon
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const off = m[8];
  if (off === undefined) return wall(local);
  if (off === 'Z' || off === 'z') return local;
  const sign = off[0] === '-' ? -1 : 1;
  const offMin = sign * (Number(off.slice(1, 3)) * 60 + Number(off.slice(4, 6)));
  return local - offMin * 60_000;
}

/** ISO 8601 by Luxon: an offset in the value wins, otherwise the value is wall time in `zone`. */
export function isoViaLuxon(text: string, zone: TimeZoneLike, wall: WallResolver = defaultResolver(zone)): number | undefined {
  if (ISO_WITH_OFFSET.test(text)) {
    let dt = DateTime.fromISO(text, { setZone: true });
    if (!dt.isValid) dt = DateTime.fromSQL(text, { setZone: true });
    return dt.isValid ? dt.toMillis() : undefined;
  }
  let dt = DateTime.fromISO(text, { zone: 'utc' });
  if (!dt.isValid) dt = DateTime.fromSQL(text, { zone: 'utc' });
  return dt.isValid ? wall(dt.toMillis()) : undefined;
}

function isoParser(zone: TimeZoneLike, wall: WallResolver): InstantParser {
  return (v) => {
    if (typeof v !== 'string') return undefined;
    const text = v.trim();
    return commonIso(text, zone, wall) ?? isoViaLuxon(text, zone, wall);
  };
}

/**
 * Numeric day-month-year formats (dd/MM/yyyy HH:mm and friends) are what UK exports use, and Luxon's
 * general parser costs ~10 µs a value. Such formats compile to one regular expression; a value it
 * matches with in-range fields is read directly, anything else still goes to Luxon, so the results
 * can only differ where Luxon would have said the same (tests/normalize/dates.test.ts compares).
 */
const FAST_TOKENS: Record<string, { field: 'y' | 'M' | 'd' | 'H' | 'm' | 's' | 'S'; re: string }> = {
  yyyy: { field: 'y', re: '(\\d{4})' },
  MM: { field: 'M', re: '(\\d{2})' },
  M: { field: 'M', re: '(\\d{1,2})' },
  dd: { field: 'd', re: '(\\d{2})' },
  d: { field: 'd', re: '(\\d{1,2})' },
  HH: { field: 'H', re: '(\\d{2})' },
  H: { field: 'H', re: '(\\d{1,2})' },
  mm: { field: 'm', re: '(\\d{2})' },
  ss: { field: 's', re: '(\\d{2})' },
  SSS: { field: 'S', re: '(\\d{3})' },
};

export function fastNumericParser(fmt: string, zone: TimeZoneLike, wall: WallResolver = defaultResolver(zone)): InstantParser | undefined {
  const parts = fmt.match(/yyyy|MM|M|dd|d|HH|H|mm|ss|SSS|[^A-Za-z']+|./g) ?? [];
  const fields: ('y' | 'M' | 'd' | 'H' | 'm' | 's' | 'S')[] = [];
  let re = '^';
  for (const p of parts) {
    const tok = FAST_TOKENS[p];
    if (tok) {
      if (fields.includes(tok.field)) return undefined;
      fields.push(tok.field);
      re += tok.re;
    } else if (/^[^A-Za-z']+$/.test(p)) {
      re += p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else {
      return undefined; // a letter token we do not handle (MMM, a, yy, quoted text): Luxon only
    }
  }
  if (!fields.includes('y') || !fields.includes('M') || !fields.includes('d')) return undefined;
  const pattern = new RegExp(`${re}$`);
  return (v) => {
    if (typeof v !== 'string') return undefined;
    const m = pattern.exec(v.trim());
    if (!m) return undefined;
    const f = { y: 0, M: 1, d: 1, H: 0, m: 0, s: 0, S: 0 };
    fields.forEach((name, i) => (f[name] = Number(m[i + 1])));
    const leap = (f.y % 4 === 0 && f.y % 100 !== 0) || f.y % 400 === 0;
    const dim = f.M === 2 && leap ? 29 : DAYS_IN_MONTH[f.M - 1];
    if (dim === undefined || f.y < 100 || f.d < 1 || f.d > dim || f.H > 23 || f.m > 59 || f.s > 59) return undefined;
    return wall(Date.UTC(f.y, f.M - 1, f.d, f.H, f.m, f.s, f.S));
  };
}

function luxonParser(fmt: string, zone: TimeZoneLike, wall: WallResolver): InstantParser {
  const fast = formatHasOffset(fmt) ? undefined : fastNumericParser(fmt, zone, wall);
  const slow = luxonOnlyParser(fmt, zone, wall);
  return fast ? (v) => fast(v) ?? slow(v) : slow;
}

/** Exported for tests comparing it with the fast path; compileDate is the way in. */
export function luxonOnlyParser(fmt: string, zone: TimeZoneLike, wall: WallResolver = defaultResolver(zone)): InstantParser {
  const parser = DateTime.buildFormatParser(fmt, { locale: LOCALE });
  // Luxon matches the text with this regex before anything else and gives up when it does not match.
  // Tested here first, a value that fits an earlier format's fast path but not this one (a date
  // without a time, under ['dd/MM/yyyy HH:mm', 'dd/MM/yyyy']) skips Luxon's matching objects and
  // invalid DateTime: 4% of all allocation in a CSV run. Absent in another Luxon version: no pre-test.
  const luxonRegex = (parser as unknown as { regex?: unknown }).regex;
  const cannotMatch = luxonRegex instanceof RegExp && !luxonRegex.global && !luxonRegex.sticky ? (text: string) => !luxonRegex.test(text) : () => false;
  const withOffset = formatHasOffset(fmt);
  return (v) => {
    if (typeof v !== 'string') return undefined;
    const text = v.trim();
    if (cannotMatch(text)) return undefined;
    if (withOffset) {
      const dt = DateTime.fromFormatParser(text, parser, { setZone: true, locale: LOCALE });
      return dt.isValid ? dt.toMillis() : undefined;
    }
    const dt = DateTime.fromFormatParser(text, parser, { zone: 'utc', locale: LOCALE });
    return dt.isValid ? wall(dt.toMillis()) : undefined;
  };
}

function instantParser(fmt: DateFormatSpec, zone: TimeZoneLike, wall: WallResolver): InstantParser {
  switch (fmt) {
    case 'iso':
      return isoParser(zone, wall);
    case 'epoch':
      return (v) => {
        const n = numericValue(v);
        return n === undefined ? undefined : Math.round(n * 1000);
      };
    case 'epoch-ms':
      return (v) => {
        const n = numericValue(v);
        return n === undefined ? undefined : Math.round(n);
      };
    case 'excel':
      return (v) => {
        const n = numericValue(v);
        if (n === undefined || n < 0) return undefined;
        // Round to the second: Excel stores 07:31 as 0.313194444… and float noise would show as ms.
        return wall(EXCEL_EPOCH_MS + Math.round(n * 86_400) * 1000);
      };
    default:
      return luxonParser(fmt, zone, wall);
  }
}

export interface CompiledDate {
  /** ISO with offset, or undefined when the value matches none of the formats or the clock-change policy rejects it. */
  parse(value: unknown): string | undefined;
  /** The clock change the last parse() met, if any (a rejection when parse gave undefined because of it). */
  lastClockChange(): ClockChangeNote | undefined;
  /** For messages: `"dd/MM/yyyy HH:mm" or "iso" (zone Europe/London)`. */
  describe: string;
  zone: TimeZoneLike;
}

/** Texts remembered per compiled date; cleared when full, so memory stays flat whatever the input. */
const DATE_MEMO_SIZE = 2048;

/**
 * Compile once: several formats are tried in order. Date objects (from SQL drivers) are instants
 * already and are accepted whatever the formats (no clock-change policy applies to them).
 */
export function compileDate(formats: readonly DateFormatSpec[], zoneName: string, policy: ClockChangePolicy = DEFAULT_CLOCK_CHANGE): CompiledDate {
  const zone = zoneFor(zoneName);
  let last: ClockChangeNote | undefined;
  const remember = (n: ClockChangeNote) => (last = n);
  const rejected = () => last?.resolution === 'reject';
  const wall: WallResolver = (w) => resolveWallTime(w, zone, policy, remember);
  const parsers = formats.map((f) => instantParser(f, zone, wall));
  const memo = new Map<string, { iso: string | undefined; note: ClockChangeNote | undefined }>();
  return {
    describe: `${formats.map((f) => JSON.stringify(f)).join(' or ')} (zone ${zone.name})`,
    zone,
    lastClockChange: () => last,
    parse(value) {
      if (typeof value !== 'string') return parseAny(value);
      // The answer for a text depends on nothing else (formats, zone and policy are fixed here),
      // and the same dates recur across a file's rows: a batch's timestamp, a day's due date.
      const known = memo.get(value);
      if (known !== undefined) {
        last = known.note;
        return known.iso;
      }
      const iso = parseAny(value);
      if (memo.size >= DATE_MEMO_SIZE) memo.clear();
      memo.set(value, { iso, note: last });
      return iso;
    },
  };

  function parseAny(value: unknown): string | undefined {
    last = undefined;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : formatInZone(value.getTime(), zone);
    for (const p of parsers) {
      last = undefined;
      const ms = p(value);
      if (ms === undefined) continue;
      // NaN: the value matched this format but its wall time is one the policy rejects.
      if (Number.isNaN(ms) && rejected()) return undefined;
      if (Number.isFinite(ms) && Math.abs(ms) < 8.64e15) return formatInZone(ms, zone);
    }
    last = undefined;
    return undefined;
  }
}
