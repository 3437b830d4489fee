/**
 * The records of one REST page: objects become records, anything else a reject naming the item,
 * and items repeated from the previous page are dropped (a common paging bug that would otherwise
 * publish them twice). With a watermark it also tracks the newest update time seen.
 */
import type { SourcePosition } from '../../core/position.js';
import type { SourceRecord, SourceReject } from '../../core/source.js';
import type { RestSince } from './config.js';
import { describeShape, getAtPath } from '../shared/json-path.js';
import { readRecordTime } from './since.js';

export interface PageItemsInput {
  /** The configured records path, for reject reasons. */
  recordsPath: string;
  position: SourcePosition;
  fetchedAt: string;
  /** Fingerprints of the previous page's items. */
  previousPage: ReadonlySet<string>;
  watermark?: NonNullable<RestSince['watermark']> | undefined;
  /** Newest update time seen before this page, epoch ms. */
  high?: number | undefined;
}

export interface PageItems {
  records: SourceRecord[];
  rejects: SourceReject[];
  /** Fingerprints of this page's items, to compare the next page with. */
  thisPage: Set<string>;
  /** Items dropped as repeats of the previous page. */
  repeats: number;
  /** Newest update time seen so far (this page included), epoch ms. */
  high?: number;
}

export function readPageItems(items: unknown[], input: PageItemsInput): PageItems {
  const { position, fetchedAt, previousPage, watermark } = input;
  const records: SourceRecord[] = [];
  const rejects: SourceReject[] = [];
  const thisPage = new Set<string>();
  let repeats = 0;
  let high = input.high;
  items.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      rejects.push({ reason: `item ${i} at "${input.recordsPath}" is ${describeShape(item)}, not a JSON object`, original: item, position });
      return;
    }
    const fp = JSON.stringify(item);
    thisPage.add(fp);
    if (previousPage.has(fp)) {
      repeats++;
      return;
    }
    if (watermark) {
      const t = readRecordTime(getAtPath(item, watermark.field), watermark);
      if (t !== undefined && (high === undefined || t > high)) high = t;
    }
    records.push({ raw: item as Record<string, unknown>, position, fetchedAt });
  });
  return { records, rejects, thisPage, repeats, ...(high !== undefined ? { high } : {}) };
}
