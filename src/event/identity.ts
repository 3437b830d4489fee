/**
 * Deterministic identities. A replayed batch (after a crash, a broker outage or a re-dropped
 * file) must produce byte-identical ids and keys so portals can dedupe, so nothing here may
 * depend on wall-clock time or iteration order of object keys.
 */
import { hash } from 'node:crypto';
import { isoString } from '../core/iso-time.js';
import type { CaseSnapshot, ChangeKind } from './case-event.js';

/**
 * JSON with object keys sorted at every depth, so equal values always serialise equally.
 *
 * A sorted deep copy handed to a plain JSON.stringify, rather than a sorting replacer: the
 * replacer is a call out of V8's serialiser for every value, primitives included, and costs
 * ~30% more per event; a property-list replacer (sorted union of all keys) was measured ~2x
 * slower still. The output is the same byte for byte (tests/event/identity.test.ts).
 */
export function canonicalJson(value: unknown): string {
  // A primitive has no keys to sort (the change detector asks for many numbers and times).
  return JSON.stringify(value === null || typeof value !== 'object' ? value : sortedCopy(value));
}

function sortedCopy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(sortedCopy);
  // JSON.stringify asks toJSON first (a Date becomes its string), and sorts what it returns.
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return sortedCopy((toJSON as () => unknown).call(v));
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of sortedKeys(o)) out[k] = sortedCopy(o[k]);
  return out;
}

/** Object.keys(o) sorted. */
function sortedKeys(o: object): readonly string[] {
  return sortInPlace(Object.keys(o));
}

/**
 * Sorts an array of distinct strings in place and returns it. The arrays sorted per event are small
 * (an object's keys: council, position, the case, 2–20; a case's changed fields), and Array#sort
 * copies its input into a work array on every call, which was 11% of all allocation in a CSV →
 * Kafka run. An insertion sort allocates nothing and is one pass over keys already in order; a
 * large array (a raw record with many columns) still takes Array#sort. `>` compares UTF-16 code
 * units, as the default sort does, and distinct strings have one sorted order, so the result is the same.
 */
export function sortInPlace(keys: string[]): string[] {
  if (keys.length > 32) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** The snapshot's sorted keys with updatedAtSource among them (it is read from the provenance). */
function snapshotKeys(source: Record<string, unknown>): readonly string[] {
  const keys = Object.keys(source);
  if (!('updatedAtSource' in source)) keys.push('updatedAtSource');
  return sortInPlace(keys);
}

/** One-shot hashing (node >= 20.12): no Hash object per call. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Fingerprint of one version of a supplier record: changes exactly when the record's content does. */
export function recordFingerprint(raw: unknown): string {
  return sha256Hex(canonicalJson(raw));
}

/**
 * Fingerprint of a normalised case: what the event says about the case, without what casebridge
 * stamped from its own clock or where it happened to read the record. Provenance (fetch time,
 * page, line) is left out, and so are times casebridge observed rather than read from the
 * supplier (`updatedAtSource: observed`; the `closedAt` of a case closed because a listing
 * stopped showing it), because a replay after a crash sees a different clock and may find the
 * record on another page.
 */
export function caseFingerprint(snapshot: CaseSnapshot): string {
  // Builds the sorted object canonicalJson would have made of
  //   { ...snapshot without provenance, case: <case with its times normalised>, updatedAtSource }
  // in one pass, without the intermediate spread copies (tests/event/identity.test.ts keeps the two equal).
  const source = snapshot as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of snapshotKeys(source)) {
    if (k === 'provenance') continue;
    else if (k === 'updatedAtSource') out[k] = snapshot.provenance.updatedAtSource;
    else if (k === 'case') out[k] = fingerprintCase(snapshot);
    else out[k] = sortedCopy(source[k]);
  }
  return sha256Hex(JSON.stringify(out));
}

function fingerprintCase(snapshot: CaseSnapshot): Record<string, unknown> {
  const c = snapshot.case as unknown as Record<string, unknown>;
  const observed = snapshot.provenance.updatedAtSource === 'observed';
  const noLongerListed = snapshot.case.closureReason?.code === 'no-longer-listed';
  const out: Record<string, unknown> = {};
  for (const k of sortedKeys(c)) {
    const v = c[k];
    switch (k) {
      case 'updatedAt':
        if (!observed) out[k] = typeof v === 'string' ? normaliseTime(v) : v;
        break;
      case 'closedAt':
        if (v !== undefined && !noLongerListed) out[k] = normaliseTime(v as string);
        break;
      case 'openedAt':
      case 'dueAt':
        out[k] = v ? normaliseTime(v as string) : v;
        break;
      default:
        out[k] = sortedCopy(v);
    }
  }
  return out;
}

/**
 * The same instant written with another offset is the same time. Not remembered: in a SQL load every
 * time differs, and a memo's lookup and insert cost more than the arithmetic (instantOf, isoString).
 */
function normaliseTime(t: string): string {
  const ms = instantOf(t);
  return Number.isNaN(ms) ? t : isoString(ms);
}

const D = (t: string, i: number) => t.charCodeAt(i) - 48;
const DD = (t: string, i: number) => D(t, i) * 10 + D(t, i + 1);

/**
 * Date.parse for the one shape casebridge writes, `2025-10-26T01:30:00(.sss)?(Z|±hh:mm)`, by
 * arithmetic (a case has several such times and every one is different in a SQL load, where
 * Date.parse was 3.5% of the run); anything else, or any digit out of range, goes to Date.parse.
 * tests/event/identity.test.ts compares the two over random times and odd shapes.
 */
export function instantOf(t: string): number {
  const n = t.length;
  // 20 (Z), 24 (.sssZ), 25 (±hh:mm), 29 (.sss±hh:mm); other fraction lengths go to Date.parse.
  if ((n !== 20 && n !== 24 && n !== 25 && n !== 29) || t[4] !== '-' || t[7] !== '-' || t[10] !== 'T' || t[13] !== ':' || t[16] !== ':') return Date.parse(t);
  let end = 19;
  let ms = 0;
  if (t[19] === '.') {
    ms = D(t, 20) * 100 + D(t, 21) * 10 + D(t, 22);
    if (!(ms >= 0 && ms <= 999) || !isDigits(t, 20, 23)) return Date.parse(t);
    end = 23;
  }
  let offset = 0;
  if (t[end] === 'Z' && n === end + 1) offset = 0;
  else if ((t[end] === '+' || t[end] === '-') && t[end + 3] === ':' && n === end + 6 && isDigits(t, end + 1, end + 3) && isDigits(t, end + 4, end + 6)) {
    const mins = DD(t, end + 1) * 60 + DD(t, end + 4);
    if (DD(t, end + 1) > 23 || DD(t, end + 4) > 59) return Date.parse(t);
    offset = t[end] === '+' ? mins : -mins;
  } else return Date.parse(t);
  if (!isDigits(t, 0, 4) || !isDigits(t, 5, 7) || !isDigits(t, 8, 10) || !isDigits(t, 11, 13) || !isDigits(t, 14, 16) || !isDigits(t, 17, 19)) return Date.parse(t);
  const year = D(t, 0) * 1000 + D(t, 1) * 100 + DD(t, 2);
  const month = DD(t, 5);
  const day = DD(t, 8);
  const hour = DD(t, 11);
  const minute = DD(t, 14);
  const second = DD(t, 17);
  // Out-of-range fields are Date.parse's to judge (it rejects them, or reads 24:00 as the next day);
  // and Date.UTC would read years 0–99 as 1900–1999.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return Date.parse(t);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset * 60_000;
}

function isDigits(t: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * CloudEvents id, scheme v2: a hash of council, connector, case reference, the case's sequence
 * number, the change kind and the case fingerprint. The sequence makes a case that returns to an
 * earlier state a new event; the fingerprint makes a corrected replay (a mapping fix) a new event;
 * everything in it is committed state or supplier data, so replaying the same change gives the
 * byte-identical id. The leading "v2" keeps these ids apart from the v1 scheme's.
 */
export function eventId(parts: { gss: string; connector: string; reference: string; sequence: number; kind: ChangeKind; fingerprint: string }): string {
  // Only strings and a number: plain JSON.stringify is already canonical here.
  return sha256Hex(JSON.stringify(['v2', parts.gss, parts.connector, parts.reference, parts.sequence, parts.kind, parts.fingerprint])).slice(0, 32);
}

/**
 * Partition key: council + source system + case reference, so every event of one case lands on
 * one partition and stays in order whichever connector (poll or push) read it.
 */
export function caseKey(parts: { gss: string; supplier: string; reference: string }): string {
  return `${parts.gss}/${systemSlug(parts.supplier)}/${parts.reference}`;
}

// A gateway has a handful of suppliers and connectors, and every event asks for them again.
const slugs = new Map<string, string>();
const sources = new Map<string, Map<string, string>>();
const MEMO_LIMIT = 1024;

function systemSlug(supplier: string): string {
  let slug = slugs.get(supplier);
  if (slug === undefined) {
    slug = supplier.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-');
    if (slugs.size >= MEMO_LIMIT) slugs.clear();
    slugs.set(supplier, slug);
  }
  return slug;
}

export function eventSource(gss: string, connector: string): string {
  let byConnector = sources.get(gss);
  if (byConnector === undefined) {
    if (sources.size >= MEMO_LIMIT) sources.clear();
    sources.set(gss, (byConnector = new Map()));
  }
  let source = byConnector.get(connector);
  if (source === undefined) {
    source = `/councils/${gss}/connectors/${connector}`;
    if (byConnector.size >= MEMO_LIMIT) byConnector.clear();
    byConnector.set(connector, source);
  }
  return source;
}
