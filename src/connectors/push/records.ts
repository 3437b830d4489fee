/** Turn the value found at a receiver's records path into source records (objects) and rejects (anything else). */
import type { SourcePosition } from '../../event/case-event.js';
import type { SourceRecord, SourceReject } from '../../core/source.js';

export function toRecords(value: unknown, path: string, position: SourcePosition, fetchedAt: string): { records: SourceRecord[]; rejects: SourceReject[] } {
  const records: SourceRecord[] = [];
  const rejects: SourceReject[] = [];
  if (value === undefined || value === null) {
    rejects.push({ reason: `nothing at "${path}" in the notification`, original: value ?? null, position });
    return { records, rejects };
  }
  const items = Array.isArray(value) ? value : [value];
  items.forEach((item, i) => {
    if (item && typeof item === 'object' && !Array.isArray(item)) records.push({ raw: item as Record<string, unknown>, position, fetchedAt });
    else rejects.push({ reason: `item ${i} at "${path}" is not an object`, original: item, position });
  });
  return { records, rejects };
}
