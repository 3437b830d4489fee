import { describe, expect, it } from 'vitest';
import { isoString } from '../../src/core/iso-time.js';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

const dates = (ms: number) => {
  try {
    return new Date(ms).toISOString();
  } catch (e) {
    return (e as Error).name;
  }
};
const ours = (ms: number) => {
  try {
    return isoString(ms);
  } catch (e) {
    return (e as Error).name;
  }
};

describe('isoString', () => {
  it('writes what Date#toISOString writes, over random instants from year 1000 to 9999', () => {
    const r = prng(11);
    const first = Date.UTC(1000, 0, 1);
    const end = Date.UTC(10_000, 0, 1);
    for (let i = 0; i < 100_000; i++) {
      const ms = first + Math.floor(r() * (end - first));
      if (ours(ms) !== dates(ms)) expect(ours(ms), String(ms)).toBe(dates(ms));
    }
    // And densely over the years a council's records come from (every minute boundary shape).
    for (let i = 0; i < 50_000; i++) {
      const ms = Date.UTC(1990, 0, 1) + Math.floor(r() * 60 * 365.25 * 86_400) * 1000 + (i % 3 === 0 ? Math.floor(r() * 1000) : 0);
      if (ours(ms) !== dates(ms)) expect(ours(ms), String(ms)).toBe(dates(ms));
    }
  });

  it('agrees at the edges: leap days, century years, the ends of the range, and what Date refuses', () => {
    const edges = [
      0, -1, 1, Date.UTC(2024, 1, 29), Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(1900, 1, 28), Date.UTC(1900, 2, 1), Date.UTC(2100, 2, 1) - 1,
      Date.UTC(1000, 0, 1), Date.UTC(1000, 0, 1) - 1, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10_000, 0, 1), Date.UTC(-5, 0, 1),
      8.64e15, 8.64e15 + 1, -8.64e15, 1.5, -0.5, 1_764_633_600_123.7, Number.NaN, Infinity, -Infinity,
    ];
    for (const ms of edges) expect(ours(ms), String(ms)).toBe(dates(ms));
    expect(isoString(Date.UTC(2025, 9, 26, 1, 30))).toBe('2025-10-26T01:30:00.000Z');
  });
});
