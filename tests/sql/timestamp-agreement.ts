/**
 * Does the SQL connector's zone arithmetic agree with Luxon for a wall time? Shared by the
 * sampled test (tests/sql/timestamps.test.ts, seconds) and the full sweep
 * (bench/sweeps/sql-timestamps.ts, every 37th minute of a year in five zones).
 */
import { DateTime } from 'luxon';
import { parseDbTimestamp, toIsoWithOffset } from '../../src/connectors/sql/timestamps.js';

export const SWEEP_ZONES = ['Europe/London', 'America/New_York', 'Asia/Kolkata', 'America/St_Johns', 'Australia/Lord_Howe'] as const;
export const YEAR_START = Date.UTC(2025, 0, 1);

export interface Disagreement {
  zone: string;
  wall: string;
  mine: string;
  luxon: string;
}

/** undefined when they agree or the wall time is ambiguous (repeated hour: tested on its own). */
export function compareWithLuxon(zone: string, minuteOfYear: number): Disagreement | undefined {
  const wall = DateTime.fromMillis(YEAR_START + minuteOfYear * 60_000, { zone: 'UTC' }).toFormat('yyyy-MM-dd HH:mm:ss');
  const mine = toIsoWithOffset(parseDbTimestamp(wall)!, zone);
  const lux = DateTime.fromSQL(wall, { zone });
  const earlier = lux.minus({ hours: 1 });
  const ambiguous =
    lux.offset !== earlier.offset &&
    DateTime.fromSQL(wall, { zone: `UTC${earlier.toFormat('ZZ')}` }).setZone(zone).toFormat('yyyy-MM-dd HH:mm:ss') === wall;
  if (ambiguous) return undefined;
  if (Date.parse(mine) === lux.toMillis() && mine.slice(-6) === lux.toFormat('ZZ')) return undefined;
  return { zone, wall, mine, luxon: lux.toISO() ?? 'invalid' };
}

/** Minutes of the year around each of the zone's offset changes, where mistakes happen. */
export function minutesAroundTransitions(zone: string, spanMinutes: number, step: number): number[] {
  const out: number[] = [];
  const yearMinutes = 365 * 24 * 60;
  let before = DateTime.fromMillis(YEAR_START, { zone }).offset;
  for (let m = 60; m <= yearMinutes; m += 60) {
    const offset = DateTime.fromMillis(YEAR_START + m * 60_000, { zone }).offset;
    if (offset === before) continue;
    before = offset;
    for (let d = -spanMinutes; d <= spanMinutes; d += step) if (m + d >= 0) out.push(m + d);
  }
  return out;
}

/** A fixed pseudo-random sample (same minutes every run), so a failure reproduces. */
export function sampledMinutes(count: number, seed: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(s % (366 * 24 * 60));
  }
  return out;
}
