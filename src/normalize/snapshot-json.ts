/**
 * One serialisation of a case snapshot for both places that need it as text: the event's data
 * (the snapshot's keys, then `change` and `sequence`) and the case memory the state store keeps
 * (`{"snapshot": …, "updatedAt": …}`). Each was a JSON.stringify of the same ~1 KB per event.
 * The text is remembered per snapshot object (snapshots are never changed once built), and each
 * composed text is byte for byte what JSON.stringify of the whole would give
 * (tests/normalize/snapshot-json.test.ts).
 */
import type { CaseSnapshot } from '../event/case-event.js';
import type { CaseMemory } from './change.js';

const texts = new WeakMap<object, string>();

/** JSON.stringify(snapshot), made once per snapshot object. */
export function snapshotJson(snapshot: CaseSnapshot): string {
  let text = texts.get(snapshot);
  if (text === undefined) texts.set(snapshot, (text = JSON.stringify(snapshot)));
  return text;
}

/**
 * JSON.stringify({ ...snapshot, change, sequence }), from the snapshot's text; undefined when the
 * snapshot itself has a `change` or `sequence` key (the spread would keep its place, not append).
 */
export function eventDataJson(snapshot: CaseSnapshot, change: object, sequence: number): string | undefined {
  if ('change' in snapshot || 'sequence' in snapshot || !Number.isSafeInteger(sequence)) return undefined;
  const text = snapshotJson(snapshot);
  return `${text.slice(0, -1)},"change":${JSON.stringify(change)},"sequence":${sequence}}`;
}

/** JSON.stringify(memory), reusing its snapshot's text when the snapshot was serialised already. */
export function caseMemoryJson(memory: CaseMemory): string {
  const known = texts.get(memory.snapshot);
  if (known === undefined) return JSON.stringify(memory);
  let first: string | undefined;
  for (const k in memory) {
    first = k;
    break;
  }
  // JSON.stringify writes keys in their order: the text starts with the snapshot only if it is first.
  if (first !== 'snapshot') return JSON.stringify(memory);
  const { snapshot: _snapshot, ...rest } = memory;
  const tail = JSON.stringify(rest);
  return tail === '{}' ? `{"snapshot":${known}}` : `{"snapshot":${known},${tail.slice(1)}`;
}
