/** How the simulated council systems write and read times: UK local wall-clock, no zone. */
import { DateTime } from 'luxon';

export const UK = 'Europe/London';
/** The "no value" date .NET-era systems write instead of nil. */
export const NO_DATE = '0001-01-01T00:00:00';

/** 2024-07-01T10:15:02.347 (UK local, milliseconds, no zone). */
export function ukLocalMillis(at: Date): string {
  return DateTime.fromJSDate(at, { zone: UK }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS");
}

/** 2024-07-01T10:15:02 (UK local, no zone). */
export function ukLocal(at: Date): string {
  return DateTime.fromJSDate(at, { zone: UK }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

export function ukDate(at: Date): string {
  return DateTime.fromJSDate(at, { zone: UK }).toFormat('yyyy-MM-dd');
}

/**
 * Read a time the way these servers do: the wall-clock part only, as UK local time. Any `Z` or
 * offset the client sent is ignored — the quirk the connector's `times.zone` setting exists for.
 */
export function readAsServerLocal(text: unknown): Date | undefined {
  if (typeof text !== 'string' && !(text instanceof Date)) return undefined;
  const raw = text instanceof Date ? text.toISOString() : text.trim();
  const wall = raw.replace(/(Z|[+-]\d\d:?\d\d)$/i, '');
  const dt = DateTime.fromISO(wall, { zone: UK });
  return dt.isValid ? dt.toJSDate() : undefined;
}

/** Parse one of our own stored local strings back to an instant. */
export function fromUkLocal(text: string): Date {
  return DateTime.fromISO(text, { zone: UK }).toJSDate();
}
