/**
 * Timestamps as the database wrote them. Drivers are told NOT to turn timestamps into JS Dates
 * (a Date has milliseconds only and silently applies the process zone); we read text, keep every
 * fractional digit for the checkpoint (so a row is never skipped or read forever because of
 * rounding) and use luxon only to state the zone explicitly for events and for the upper bound.
 */
import { DateTime } from 'luxon';

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
 * A wall time that does not exist (the spring-forward gap) is moved forward the way luxon does.
 */
export function toIsoWithOffset(ts: DbTimestamp, zone: string): string {
  const dt = toDateTime(ts, zone);
  if (!dt.isValid) return ts.toString();
  const frac = ts.frac ? '.' + ts.frac : '';
  if (ts.offset !== undefined) return `${ts.date}T${ts.time}${frac}${ts.offset === '+00:00' ? 'Z' : ts.offset}`;
  const wall = dt.toFormat("yyyy-MM-dd'T'HH:mm:ss");
  return `${wall}${frac}${dt.toFormat('ZZ')}`;
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
