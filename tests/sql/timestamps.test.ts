import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { compareTimestamps } from '../../src/connectors/sql/source.js';
import { DbTimestamp, fromDateTime, fromTediousDate, holdBeforeRepeatedHour, parseDbTimestamp, toIsoWithOffset } from '../../src/connectors/sql/timestamps.js';
import { SWEEP_ZONES, compareWithLuxon, minutesAroundTransitions, sampledMinutes } from './timestamp-agreement.js';

describe('database timestamps', () => {
  it('parses pg, MySQL and ISO text and keeps every fractional digit', () => {
    expect(parseDbTimestamp('2025-01-02 03:04:05.123456')).toEqual(new DbTimestamp('2025-01-02', '03:04:05', '123456'));
    expect(parseDbTimestamp('2025-01-01 21:34:05.1234+00')).toEqual(new DbTimestamp('2025-01-01', '21:34:05', '1234', '+00:00'));
    expect(parseDbTimestamp('2025-01-01T21:34:05+05:30')).toEqual(new DbTimestamp('2025-01-01', '21:34:05', '', '+05:30'));
    expect(parseDbTimestamp('infinity')).toBeUndefined();
  });

  it('states the zone of wall-clock values explicitly: Europe/London in summer and winter', () => {
    expect(toIsoWithOffset(parseDbTimestamp('2025-07-01 09:30:00.123456')!, 'Europe/London')).toBe('2025-07-01T09:30:00.123456+01:00');
    expect(toIsoWithOffset(parseDbTimestamp('2025-01-15 09:30:00')!, 'Europe/London')).toBe('2025-01-15T09:30:00+00:00');
    expect(toIsoWithOffset(parseDbTimestamp('2025-01-15 09:30:00.5+00')!, 'Europe/London')).toBe('2025-01-15T09:30:00.5Z');
  });

  it('moves a wall time inside the spring-forward gap forward rather than inventing an offset', () => {
    // 2025-03-30 01:30 does not exist in London; the instant luxon chooses is 02:30+01:00.
    expect(toIsoWithOffset(parseDbTimestamp('2025-03-30 01:30:00')!, 'Europe/London')).toBe('2025-03-30T02:30:00+01:00');
  });

  it('reads the repeated autumn hour as its first occurrence, the same way every time', () => {
    expect(toIsoWithOffset(parseDbTimestamp('2025-10-26 01:30:00')!, 'Europe/London')).toBe('2025-10-26T01:30:00+01:00');
    expect(toIsoWithOffset(parseDbTimestamp('2025-10-26 02:30:00')!, 'Europe/London')).toBe('2025-10-26T02:30:00+00:00');
  });

  // A sample sized to run in well under a second on a busy machine: every 7th minute within three
  // hours of each offset change, and 300 fixed pseudo-random minutes a zone. The full sweep (every
  // 37th minute of the year) is `npx tsx bench/sweeps/sql-timestamps.ts`.
  it.each(SWEEP_ZONES)('agrees with luxon on unambiguous wall times around clock changes and across the year (%s)', (zone) => {
    const minutes = [...minutesAroundTransitions(zone, 180, 7), ...sampledMinutes(300, 20251026)];
    expect(minutes.length).toBeGreaterThanOrEqual(300);
    const disagreements = minutes.map((m) => compareWithLuxon(zone, m)).filter((d) => d !== undefined);
    expect(disagreements).toEqual([]);
  });

  it('holds a zone-less upper bound before the repeated autumn hour until both passes are over', () => {
    const at = (iso: string) => holdBeforeRepeatedHour(DateTime.fromISO(iso, { setZone: true }), 'Europe/London');
    const wall = (d: DateTime) => fromDateTime(d, 'local', 'Europe/London').toString();
    // London 2025-10-26: 01:59:59 BST (00:59:59Z) is followed by 01:00:00 GMT (01:00:00Z).
    expect(wall(at('2025-10-26T00:30:00Z'))).toBe('2025-10-26 00:59:59.999'); // first pass: held
    expect(wall(at('2025-10-26T01:30:00Z'))).toBe('2025-10-26 00:59:59.999'); // second pass: still held
    expect(wall(at('2025-10-26T02:00:00Z'))).toBe('2025-10-26 02:00:00.000'); // both passes over
    expect(wall(at('2025-10-25T23:59:00Z'))).toBe('2025-10-26 00:59:00.000'); // before the repeated hour
    expect(wall(at('2025-03-30T00:30:00Z'))).toBe('2025-03-30 00:30:00.000'); // spring: nothing repeats
    expect(wall(at('2025-07-01T12:00:00Z'))).toBe('2025-07-01 13:00:00.000');
  });

  it('renders the upper bound in the column’s own terms', () => {
    const dt = DateTime.fromISO('2025-07-01T08:00:00.250Z');
    expect(fromDateTime(dt, 'local', 'Europe/London').toString()).toBe('2025-07-01 09:00:00.250');
    expect(fromDateTime(dt, 'zoned', 'Europe/London').toString()).toBe('2025-07-01 08:00:00.250+00:00');
  });

  it('rebuilds SQL Server 100ns precision from a tedious Date and its nanosecondsDelta', () => {
    const d = new Date(Date.UTC(2025, 6, 1, 9, 30, 0, 123)) as Date & { nanosecondsDelta?: number };
    Object.defineProperty(d, 'nanosecondsDelta', { value: 4567 / 1e7 } /* tedious: (100ns units % 10000) / 1e7 seconds */);
    expect(fromTediousDate(d, 'local', 7).toString()).toBe('2025-07-01 09:30:00.1234567');
    expect(fromTediousDate(d, 'zoned', 7).toString()).toBe('2025-07-01 09:30:00.1234567+00:00');
    expect(fromTediousDate(d, 'local', 3).toString()).toBe('2025-07-01 09:30:00.123');
  });

  it('orders timestamps by value, not by how many digits were printed', () => {
    const a = parseDbTimestamp('2025-01-01 00:00:00.5')!;
    const b = parseDbTimestamp('2025-01-01 00:00:00.25')!;
    const c = parseDbTimestamp('2025-01-01 00:00:00')!;
    expect(compareTimestamps(b, a)).toBe(-1);
    expect(compareTimestamps(c, b)).toBe(-1);
    expect(compareTimestamps(a, parseDbTimestamp('2025-01-01 00:00:00.500000')!)).toBe(0);
  });
});
