/**
 * Dates as GOV.UK writes them ("3 November 2025 at 2:05pm"), always in UK time whatever the
 * server's zone, so a resident sees the same clock time the council's letters show.
 */
import { DateTime } from 'luxon';

export const UK_ZONE = 'Europe/London';

function uk(iso: string): DateTime {
  return DateTime.fromISO(iso, { setZone: true }).setZone(UK_ZONE).setLocale('en-GB');
}

function clock(t: DateTime): string {
  if (t.hour === 12 && t.minute === 0) return 'midday';
  if (t.hour === 0 && t.minute === 0) return 'midnight';
  const hour = t.hour % 12 === 0 ? 12 : t.hour % 12;
  return `${hour}:${String(t.minute).padStart(2, '0')}${t.hour < 12 ? 'am' : 'pm'}`;
}

/** "3 November 2025" */
export function ukDate(iso: string): string {
  return uk(iso).toFormat('d MMMM yyyy');
}

/** "3 November 2025 at 2:05pm" */
export function ukDateTime(iso: string): string {
  const t = uk(iso);
  return `${t.toFormat('d MMMM yyyy')} at ${clock(t)}`;
}
