/**
 * Timestamps as the database wrote them. Drivers are told NOT to turn timestamps into JS Dates
 * (a Date has milliseconds only and silently applies the process zone); we read text, keep every
 * fractional digit for the checkpoint (so a row is never skipped or read forever because of
 * rounding) and use luxon only to state the zone explicitly for events and for the upper bound.
 */
import { DateTime, IANAZone } from 'luxon';

/** A column's timestamp flavour: `local` has no zone (read in the configured one), `zoned` is an instant. */
export type TimestampKind = 'local' | 'zoned';

export class DbTimestamp {
  constructor(
    /** yyyy-MM-dd */
    readonly date: string,
    /** HH:mm:ss */
    readonly time: string,
    /** Fractional-second digits exactly as read ('' when none). */
    readonly frac: string,
    /** ±HH:MM for instants; undefined for wall-clock values. */
    readonly offset?: string,
  ) {}

  /** Wall-clock text with every digit, e.g. 2025-03-30 00:59:59.123456 (plus offset when zoned). */
  toString(): string {
    return `${this.date} ${this.time}${this.frac ? '.' + this.frac : ''}${this.offset ?? ''}`;
  }
}

const TS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/;

/** Parse database timestamp text (pg, MySQL/MariaDB, ISO). Undefined for anything else (infinity …). */
export function parseDbTimestamp(text: string): DbTimestamp | undefined {
  const m = TS.exec(text.trim());
  if (!m) return undefined;
  return new DbTimestamp(m[1]!, m[2]!, m[3] ?? '', m[4] === undefined ? undefined : normalizeOffset(m[4]));
}

function normalizeOffset(o: string): string {
  if (o === 'Z') return '+00:00';
  const digits = o.slice(1).replace(/:/g, '');
  const hh = digits.slice(0, 2);
  const mm = digits.slice(2, 4) || '00';
  const ss = digits.slice(4, 6);
  // Offsets with seconds only occur for historic local mean time; keep them rather than lie.
  return `${o[0]}${hh}:${mm}${ss && ss !== '00' ? ':' + ss : ''}`;
}

/**
 * A tedious (SQL Server) Date: built with useUTC, so its UTC fields are the stored wall clock for
 * datetime/datetime2 and the instant for datetimeoffset; digits below the millisecond arrive in the
 * non-enumerable `nanosecondsDelta` (seconds).
 */
export function fromTediousDate(d: Date & { nanosecondsDelta?: number }, kind: TimestampKind, scale: number): DbTimestamp {
  const iso = d.toISOString(); // yyyy-MM-ddTHH:mm:ss.sssZ
  let frac = iso.slice(20, 23);
  if (scale > 3) {
    const below = Math.round((d.nanosecondsDelta ?? 0) * 1e7);
    frac += String(below).padStart(4, '0');
  }
  frac = frac.slice(0, Math.max(0, Math.min(scale, 7)));
  return new DbTimestamp(iso.slice(0, 10), iso.slice(11, 19), frac, kind === 'zoned' ? '+00:00' : undefined);
}

/** The instant a timestamp stands for; wall-clock values are read in `zone`. Millisecond precision. */
export function toDateTime(ts: DbTimestamp, zone: string): DateTime {
  const ms = ts.frac.padEnd(3, '0').slice(0, 3);
  const text = `${ts.date}T${ts.time}.${ms}`;
  if (ts.offset !== undefined) return DateTime.fromISO(text + ts.offset.slice(0, 6), { setZone: true });
  return DateTime.fromISO(text, { zone });
}

/**
 * ISO 8601 with an explicit offset and every fractional digit, for events:
 * 2025-07-01 09:30:00.123456 read in Europe/London → 2025-07-01T09:30:00.123456+01:00.
 *
 * Deterministic, because event ids hash the record: a wall time the clock change makes ambiguous
 * (the repeated hour in autumn) is read as its first occurrence; one that does not exist (the
 * skipped hour in spring) is moved forward by the gap, e.g. 01:30 → 02:30+01:00 in London.
 * Fast, because tables are large: the offset is worked out once per zone and hour.
 */
export function toIsoWithOffset(ts: DbTimestamp, zone: string): string {
  const frac = ts.frac ? '.' + ts.frac : '';
  if (ts.offset !== undefined) return `${ts.date}T${ts.time}${frac}${ts.offset === '+00:00' ? 'Z' : ts.offset}`;
  const wallMs = wallToUtcMs(ts);
  if (wallMs === undefined) return ts.toString();
  const hourKey = `${zone}|${ts.date}|${ts.time.slice(0, 2)}`;
  let fixed = hourOffsets.get(hourKey);
  if (fixed === undefined) {
    fixed = steadyOffset(zone, wallMs - (wallMs % 3_600_000));
    if (hourOffsets.size > 20_000) hourOffsets.clear();
    hourOffsets.set(hourKey, fixed);
  }
  if (fixed !== null) return `${ts.date}T${ts.time}${frac}${formatOffset(fixed)}`;
  // An hour near a clock change: resolve this value on its own.
  const { instantMs, offset } = resolveWall(zone, wallMs);
  const wall = new Date(instantMs + offset * 60_000).toISOString().slice(0, 19);
  return `${wall}${frac}${formatOffset(offset)}`;
}

/** Offset (minutes) per zone and wall-clock hour; null when a clock change is within a day of it. */
const hourOffsets = new Map<string, number | null>();

function zoneOf(name: string): IANAZone {
  let z = zones.get(name);
  if (!z) {
    z = IANAZone.create(name);
    zones.set(name, z);
  }
  return z;
}
const zones = new Map<string, IANAZone>();

function wallToUtcMs(ts: DbTimestamp): number | undefined {
  const ms = Date.parse(`${ts.date}T${ts.time}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

function steadyOffset(zone: string, wallHourMs: number): number | null {
  const z = zoneOf(zone);
  const a = z.offset(wallHourMs - 86_400_000);
  const b = z.offset(wallHourMs + 86_400_000);
  return a === b && z.offset(wallHourMs - a * 60_000) === a ? a : null;
}

/** The instant a wall time stands for in `zone`: first occurrence when repeated, shifted forward when skipped. */
function resolveWall(zone: string, wallMs: number): { instantMs: number; offset: number } {
  const z = zoneOf(zone);
  const before = z.offset(wallMs - 86_400_000);
  const after = z.offset(wallMs + 86_400_000);
  const fits = [before, after].filter((o) => z.offset(wallMs - o * 60_000) === o).sort((x, y) => y - x);
  if (fits.length) return { instantMs: wallMs - fits[0]! * 60_000, offset: fits[0]! };
  const instantMs = wallMs - before * 60_000;
  return { instantMs, offset: z.offset(instantMs) };
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** Render an instant in a column's own terms: wall clock in `zone` for local columns, UTC for zoned ones. */
export function fromDateTime(dt: DateTime, kind: TimestampKind, zone: string): DbTimestamp {
  if (kind === 'zoned') {
    const u = dt.toUTC();
    return new DbTimestamp(u.toFormat('yyyy-MM-dd'), u.toFormat('HH:mm:ss'), u.toFormat('SSS'), '+00:00');
  }
  const l = dt.setZone(zone);
  return new DbTimestamp(l.toFormat('yyyy-MM-dd'), l.toFormat('HH:mm:ss'), l.toFormat('SSS'));
}

/**
 * Where the clocks go back, a zone-less column's wall times repeat (01:00–01:59 twice in London):
 * a row written in the second pass is stamped earlier than one written at the end of the first.
 * While the upper bound falls anywhere in that repeated stretch, hold it just before the stretch
 * begins; once the second pass is over, read both passes together. Events from that hour wait at
 * most two hours, once a year, and none is lost.
 */
export function holdBeforeRepeatedHour(upper: DateTime, zone: string): DateTime {
  const z = zoneOf(zone);
  const u = upper.toMillis();
  const span = 3 * 3_600_000;
  const before = z.offset(u - span);
  const after = z.offset(u + span);
  if (before <= after) return upper;
  let lo = u - span;
  let hi = u + span;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (z.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  const repeat = (before - after) * 60_000;
  // [hi - repeat, hi + repeat) is the real time during which the repeated wall times are written.
  return u >= hi - repeat && u < hi + repeat ? DateTime.fromMillis(hi - repeat - 1, { zone: 'UTC' }) : upper;
}
