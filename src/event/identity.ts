/**
 * Deterministic identities. A replayed batch (after a crash, a broker outage or a re-dropped
 * file) must produce byte-identical ids and keys so portals can dedupe, so nothing here may
 * depend on wall-clock time or iteration order of object keys.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so equal values always serialise equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v as Record<string, unknown>).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Fingerprint of one version of a supplier record: changes exactly when the record's content does. */
export function recordFingerprint(raw: unknown): string {
  return sha256Hex(canonicalJson(raw));
}

/** CloudEvents id: same council, connector, case and record version → same id. */
export function eventId(parts: { gss: string; connector: string; reference: string; fingerprint: string; kind?: string }): string {
  return sha256Hex(canonicalJson([parts.gss, parts.connector, parts.reference, parts.fingerprint, parts.kind ?? ''])).slice(0, 32);
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
