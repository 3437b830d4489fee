/**
 * Deterministic identities. A replayed batch (after a crash, a broker outage or a re-dropped
 * file) must produce byte-identical ids and keys so portals can dedupe, so nothing here may
 * depend on wall-clock time or iteration order of object keys.
 */
import { hash } from 'node:crypto';
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
  return JSON.stringify(sortedCopy(value));
}

function sortedCopy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(sortedCopy);
  // JSON.stringify asks toJSON first (a Date becomes its string), and sorts what it returns.
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return sortedCopy((toJSON as () => unknown).call(v));
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = sortedCopy(o[k]);
  return out;
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
  const { provenance, ...rest } = snapshot;
  const observed = provenance.updatedAtSource === 'observed';
  const noLongerListed = snapshot.case.closureReason?.code === 'no-longer-listed';
  const { updatedAt, closedAt, ...caseRest } = snapshot.case;
  const c = { ...caseRest, ...(observed ? {} : { updatedAt }), ...(closedAt !== undefined && !noLongerListed ? { closedAt: normaliseTime(closedAt) } : {}) };
  if (c.openedAt) c.openedAt = normaliseTime(c.openedAt);
  if (c.dueAt) c.dueAt = normaliseTime(c.dueAt);
  if ('updatedAt' in c && typeof c.updatedAt === 'string') c.updatedAt = normaliseTime(c.updatedAt);
  return sha256Hex(canonicalJson({ ...rest, case: c, updatedAtSource: provenance.updatedAtSource }));
}

/** The same instant written with another offset is the same time. */
function normaliseTime(t: string): string {
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : new Date(ms).toISOString();
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
  const system = parts.supplier.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return `${parts.gss}/${system}/${parts.reference}`;
}

export function eventSource(gss: string, connector: string): string {
  return `/councils/${gss}/connectors/${connector}`;
}
