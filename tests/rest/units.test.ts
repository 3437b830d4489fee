/** Small pure pieces of the rest connector. */
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/connectors/rest/http-client.js';
import { getAtPath } from '../../src/connectors/shared/json-path.js';
import { formatSince, initialSince, readRecordTime } from '../../src/connectors/rest/since.js';
import { nextFromLinkHeader } from '../../src/connectors/rest/source.js';

describe('rest helpers', () => {
  it('reads the rel="next" URL from a Link header among others', () => {
    expect(nextFromLinkHeader('<https://api.example/cases?page=1>; rel="first", <https://api.example/cases?page=3>; rel="next"')).toBe('https://api.example/cases?page=3');
    expect(nextFromLinkHeader('</cases?after=20>; rel=next')).toBe('/cases?after=20');
    expect(nextFromLinkHeader('</cases?page=9>; rel="last"')).toBeUndefined();
    expect(nextFromLinkHeader(undefined)).toBeUndefined();
  });

  it('writes the since value in each format, across the clock change', () => {
    const t = '2025-07-01T08:30:00.000Z';
    expect(formatSince(t, 'iso-utc', 'Europe/London')).toBe('2025-07-01T08:30:00Z');
    expect(formatSince(t, 'iso', 'Europe/London')).toBe('2025-07-01T09:30:00+01:00');
    expect(formatSince(t, 'iso-local', 'Europe/London')).toBe('2025-07-01T09:30:00');
    expect(formatSince(t, 'epoch', 'UTC')).toBe('1751358600');
    expect(formatSince(t, 'epoch-ms', 'UTC')).toBe('1751358600000');
    expect(formatSince(t, 'dd/MM/yyyy HH:mm', 'Europe/London')).toBe('01/07/2025 09:30');
  });

  it('reads the first run start and record times; refuses an initial time without an offset', () => {
    expect(initialSince('2025-01-01T00:00:00+01:00', new Date())).toBe('2024-12-31T23:00:00.000Z');
    expect(initialSince('1d', new Date('2025-11-03T12:00:00Z'))).toBe('2025-11-02T12:00:00.000Z');
    expect(() => initialSince('2025-01-01T00:00:00', new Date())).toThrow(/neither an ISO date-time with an offset/);
    const wm = { field: 'lastModified', format: 'iso', zone: 'Europe/London' };
    expect(readRecordTime('2025-07-01T09:30:00', wm)).toBe(Date.parse('2025-07-01T08:30:00Z'));
    expect(readRecordTime('2025-07-01T09:30:00Z', wm)).toBe(Date.parse('2025-07-01T09:30:00Z'));
    expect(readRecordTime('', wm)).toBeUndefined();
    expect(readRecordTime('not a date', wm)).toBeUndefined();
  });

  it('follows own properties only', () => {
    const v = JSON.parse('{"a":{"b":[{"c":1}]}}');
    expect(getAtPath(v, 'a.b[0].c')).toBe(1);
    expect(getAtPath(v, '$')).toBe(v);
    expect(getAtPath(v, 'constructor')).toBeUndefined();
    expect(getAtPath(v, 'a.toString')).toBeUndefined();
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter('Mon, 03 Nov 2025 14:06:00 GMT', Date.parse('2025-11-03T14:05:00Z'))).toBe(60_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
