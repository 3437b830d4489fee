/**
 * Supplier times → ISO 8601 with an explicit offset, in a named zone (default Europe/London).
 *
 * Most UK supplier systems write local wall-clock time with no offset, so twice a year a local
 * time is either ambiguous or impossible. The rule here (documented in docs/lifecycle.md):
 * - ambiguous (autumn, 01:00–01:59 happens twice): the EARLIER instant, i.e. the offset in force
 *   before the change (BST, +01:00). A record stamped 01:30 on that night is taken as the first 01:30.
 * - non-existent (spring, 01:00–01:59 never happens): shifted FORWARD by the gap, i.e. read with
 *   the offset in force before the change (GMT): 01:30 becomes 02:30+01:00 (= 01:30Z). This is what
 *   java.time and most databases do, so a supplier's own reports agree with ours.
 * Output is always in the zone, with its offset: 2025-07-01T09:30:00+01:00, 2025-01-10T09:30:00+00:00.
 */
import { DateTime, IANAZone } from 'luxon';

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

/** An IANA zone, or a clear error naming it. */
export function zoneFor(name: string): TimeZoneLike {
  let z = zoneCache.get(name);
  if (!z) {
    if (name === 'UTC' || name === 'utc' || name === 'Etc/UTC') z = { name: 'UTC', offset: () => 0 };
    else {
      const iana = IANAZone.create(name);
      if (!iana.isValid) throw new Error(`unknown time zone "${name}" (expected an IANA zone such as Europe/London)`);
      z = { name, offset: (ms: number) => iana.offset(ms) };
    }
    zoneCache.set(name, z);
  }
  return z;
}

/**
 * Local wall-clock time (its fields encoded as if they were UTC) → the instant, by the clock-change
 * rule above.
 */
export function wallTimeToInstant(wallMs: number, zone: TimeZoneLike): number {
  const before = zone.offset(wallMs - DAY_MS);
  const after = zone.offset(wallMs + DAY_MS);
  if (before === after) {
    // No change within a day either side: the common case, one offset.
    const t = wallMs - before * 60_000;
    return t;
  }
  const candidates: number[] = [];
  for (const o of [before, after]) {
    const t = wallMs - o * 60_000;
    if (zone.offset(t) === o) candidates.push(t);
  }
  if (candidates.length) return Math.min(...candidates); // ambiguous → earlier instant
  return wallMs - before * 60_000; // gap → shift forward by the gap
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** ISO 8601 in the zone with its offset; milliseconds only when non-zero. */
export function formatInZone(ms: number, zone: TimeZoneLike): string {
  const off = zone.offset(ms);
  const local = new Date(ms + off * 60_000).toISOString(); // 2025-10-26T00:30:00.000Z
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

function isoParser(zone: TimeZoneLike): InstantParser {
  return (v) => {
    if (typeof v !== 'string') return undefined;
    const text = v.trim();
    if (ISO_WITH_OFFSET.test(text)) {
      let dt = DateTime.fromISO(text, { setZone: true });
      if (!dt.isValid) dt = DateTime.fromSQL(text, { setZone: true });
      return dt.isValid ? dt.toMillis() : undefined;
    }
    let dt = DateTime.fromISO(text, { zone: 'utc' });
    if (!dt.isValid) dt = DateTime.fromSQL(text, { zone: 'utc' });
    return dt.isValid ? wallTimeToInstant(dt.toMillis(), zone) : undefined;
  };
}

function luxonParser(fmt: string, zone: TimeZoneLike): InstantParser {
  const parser = DateTime.buildFormatParser(fmt, { locale: LOCALE });
  const withOffset = formatHasOffset(fmt);
  return (v) => {
    if (typeof v !== 'string') return undefined;
    const text = v.trim();
    if (withOffset) {
      const dt = DateTime.fromFormatParser(text, parser, { setZone: true, locale: LOCALE });
      return dt.isValid ? dt.toMillis() : undefined;
    }
    const dt = DateTime.fromFormatParser(text, parser, { zone: 'utc', locale: LOCALE });
    return dt.isValid ? wallTimeToInstant(dt.toMillis(), zone) : undefined;
  };
}

function instantParser(fmt: DateFormatSpec, zone: TimeZoneLike): InstantParser {
  switch (fmt) {
    case 'iso':
      return isoParser(zone);
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
        const wall = EXCEL_EPOCH_MS + Math.round(n * 86_400) * 1000;
        return wallTimeToInstant(wall, zone);
      };
    default:
      return luxonParser(fmt, zone);
  }
}

export interface CompiledDate {
  /** ISO with offset, or undefined when the value matches none of the formats. */
  parse(value: unknown): string | undefined;
  /** For messages: `"dd/MM/yyyy HH:mm" or "iso" (zone Europe/London)`. */
  describe: string;
}

/**
 * Compile once: several formats are tried in order. Date objects (from SQL drivers) are instants
 * already and are accepted whatever the formats.
 */
export function compileDate(formats: readonly DateFormatSpec[], zoneName: string): CompiledDate {
  const zone = zoneFor(zoneName);
  const parsers = formats.map((f) => instantParser(f, zone));
  return {
    describe: `${formats.map((f) => JSON.stringify(f)).join(' or ')} (zone ${zone.name})`,
    parse(value) {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : formatInZone(value.getTime(), zone);
      for (const p of parsers) {
        const ms = p(value);
        if (ms !== undefined && Number.isFinite(ms) && Math.abs(ms) < 8.64e15) return formatInZone(ms, zone);
      }
      return undefined;
    },
  };
}
