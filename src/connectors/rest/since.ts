/**
 * The time window of a REST poll: where the first run starts, how the lower bound is written in
 * the query string (suppliers disagree on formats and zones), and reading record update times to
 * advance the position.
 */
import { DateTime } from 'luxon';
import { durationMs } from '../../core/units.js';
import type { RestSince } from './config.js';

/** `initial` is an ISO date-time with an offset, or a duration before now (7d). */
export function initialSince(initial: string, now: Date): string {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(initial)) return new Date(now.getTime() - durationMs(initial)).toISOString();
  const dt = DateTime.fromISO(initial, { setZone: true });
  if (!dt.isValid || !/(Z|[+-]\d\d:?\d\d)$/i.test(initial)) {
    throw new Error(`since.initial "${initial}" is neither an ISO date-time with an offset (2025-01-01T00:00:00Z) nor a duration (7d)`);
  }
  return dt.toUTC().toISO()!;
}

export function formatSince(isoUtc: string, format: RestSince['format'], zone: string): string {
  const dt = DateTime.fromISO(isoUtc, { zone: 'utc' });
  switch (format) {
    case 'iso-utc':
      return dt.toISO({ suppressMilliseconds: true })!;
    case 'iso':
      return dt.setZone(zone).toISO({ suppressMilliseconds: true })!;
    case 'iso-local':
      return dt.setZone(zone).toISO({ suppressMilliseconds: true, includeOffset: false })!;
    case 'epoch':
      return String(Math.floor(dt.toSeconds()));
    case 'epoch-ms':
      return String(dt.toMillis());
    default:
      return dt.setZone(zone).toFormat(format);
  }
}

export function checkZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}

/** A record's update time in epoch ms, or undefined when missing or unreadable. */
export function readRecordTime(value: unknown, spec: NonNullable<RestSince['watermark']>): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const formats = [spec.format];
  for (const f of formats) {
    const dt = parseOne(value, f, spec.zone);
    if (dt?.isValid) return dt.toMillis();
  }
  return undefined;
}

function parseOne(value: unknown, format: string, zone: string): DateTime | undefined {
  const text = String(value).trim();
  switch (format) {
    case 'iso':
      return DateTime.fromISO(text, { zone, setZone: true });
    case 'epoch':
      return Number.isFinite(Number(text)) ? DateTime.fromSeconds(Number(text)) : undefined;
    case 'epoch-ms':
      return Number.isFinite(Number(text)) ? DateTime.fromMillis(Number(text)) : undefined;
    case 'excel': {
      const serial = Number(text);
      if (!Number.isFinite(serial)) return undefined;
      const days = Math.floor(serial);
      const ms = Math.round((serial - days) * 86_400_000);
      return DateTime.fromObject({ year: 1899, month: 12, day: 30 }, { zone }).plus({ days, milliseconds: ms });
    }
    default:
      return DateTime.fromFormat(text, format, { zone });
  }
}
