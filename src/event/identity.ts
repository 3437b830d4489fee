/**
 * Deterministic identities. A replayed batch (after a crash, a broker outage or a re-dropped
 * file) must produce byte-identical ids and keys so portals can dedupe, so nothing here may
 * depend on wall-clock time or iteration order of object keys.
 */
import { hash } from 'node:crypto';
import { instantOf, isoString } from '../core/iso-time.js';
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
