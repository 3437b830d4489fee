/**
 * How window bounds are written into requests. Many council systems ignore any offset in the
 * datetimes they receive and read them as their own local time, so by default we send UK local
 * wall-clock time with no offset — exactly what their own screens show.
 */
import { DateTime } from 'luxon';

export interface TimeRendering {
  zone: string;
  /** `iso` (with offset), `epoch`, `epoch-ms`, or a Luxon pattern such as yyyy-MM-dd'T'HH:mm:ss. */
  format: string;
}

export function renderTime(at: Date, spec: TimeRendering): string | number {
  const dt = DateTime.fromJSDate(at, { zone: spec.zone });
  switch (spec.format) {
    case 'iso':
      return dt.toISO({ suppressMilliseconds: true }) as string;
    case 'epoch':
      return Math.floor(at.getTime() / 1000);
    case 'epoch-ms':
      return at.getTime();
    default:
      return dt.toFormat(spec.format);
  }
}

export function isValidZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}

/**
 * When a window crosses the autumn clock change, local wall-clock times repeat: 01:30 happens
 * twice. A server reading zone-less local times may take "since" as the later 01:30. Moving
 * "since" back by the offset difference makes the rendered window cover the repeated hour.
 */
export function widenForClockChange(since: Date, until: Date, zone: string): Date {
  const a = DateTime.fromJSDate(since, { zone }).offset;
  const b = DateTime.fromJSDate(until, { zone }).offset;
  return a > b ? new Date(since.getTime() - (a - b) * 60_000) : since;
}
