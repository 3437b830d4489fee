/**
 * One list page's items → records: directly (the list returns whole records), or through one
 * detail call per distinct reference (two-step suppliers), a few at a time. An item without a
 * reference, a detail call with no record, or a code listed in detail.skipCodes becomes a reject
 * for that item; any other failure fails the page.
 */
import pLimit from 'p-limit';
import type { Clock } from '../../core/clock.js';
import { SourceError, type ErrorContext } from '../../core/errors.js';
import type { SourceRecord, SourceReject } from '../../core/source.js';
import type { DetailCall, ListCall } from './config.js';
import { codeVariants } from './errors.js';
import { scalarText, selectAll, selectOne } from './path.js';
import { MissingTemplateValue } from './template.js';
import { renderTime } from './times.js';
import type { PreparedCall } from './calls.js';
import type { SoapSession } from './session.js';

export interface PageRecords {
  records: SourceRecord[];
  rejects: SourceReject[];
}

export interface DetailsOptions {
  list: ListCall;
  /** With a detail call configured. */
  detail?: { config: DetailCall; call: PreparedCall } | undefined;
  session: SoapSession;
  baseContext: ErrorContext;
  clock: Clock;
}

export type RecordsForPage = (items: unknown[], page: number | undefined, window: { since: Date; until: Date }, signal: AbortSignal) => Promise<PageRecords>;

export function createRecordsForPage(opts: DetailsOptions): RecordsForPage {
  const { list, detail, clock } = opts;
  const listOp = list.operation;
  const fetchedAt = () => clock.now().toISOString();
  const refOf = (item: unknown): string | undefined => itemReference(item, list.key);

  return async (items, page, window, signal) => {
    const records: SourceRecord[] = [];
    const rejects: SourceReject[] = [];
    const pagePart = page === undefined ? {} : { page };

    if (!detail) {
      for (const item of items) {
        const ref = refOf(item);
        const position = { operation: listOp, ...pagePart, ...(ref !== undefined ? { key: ref } : {}) };
        if (isObject(item)) records.push({ raw: item, position, fetchedAt: fetchedAt() });
        else rejects.push({ reason: `${listOp} returned a bare value where a record was expected (configure detail to fetch records by reference)`, original: item, position });
      }
      return { records, rejects };
    }

    const d = detail.config;
    const detailOp = d.operation;
    // The same reference twice on one page (several status rows) needs one detail call.
    const unique = new Map<string, unknown>();
    for (const item of items) {
      const ref = refOf(item);
      if (ref === undefined || ref.trim() === '') {
        rejects.push({ reason: `${listOp} item has no reference${list.key ? ` at ${list.key}` : ''}`, original: item, position: { operation: listOp, ...pagePart } });
        continue;
      }
      unique.set(ref, item);
    }
    const limit = pLimit(d.concurrency);
    const times = detail.call.times;
    const since = renderTime(window.since, times);
    const until = renderTime(window.until, times);
    let failed = false;
    const outcomes = await Promise.all(
      [...unique].map(([ref, item]) =>
        limit(async (): Promise<Partial<PageRecords> | undefined> => {
          if (failed || signal.aborted) return undefined;
          const position = { operation: detailOp, ...pagePart, key: ref };
          const ctx = { ...opts.baseContext, operation: detailOp, key: ref };
          try {
            const result = await opts.session.invoke(detail.call, { ref, item, since, until }, signal, ctx);
            const found = detailRecords(result, d);
            if (found.records.length === 0) {
              return { rejects: [{ reason: `${detailOp} returned no record at ${d.records} for ${ref}${found.bare ? ' (only bare values)' : ''}`, original: item, position }] };
            }
            return { records: found.records.map((r) => ({ raw: d.listAs ? { ...r, [d.listAs]: item } : r, position, fetchedAt: fetchedAt() })) };
          } catch (e) {
            if (e instanceof MissingTemplateValue) {
              return { rejects: [{ reason: `${detailOp} arguments: ${e.message} in this ${listOp} item`, original: item, position }] };
            }
            if (e instanceof SourceError && skippable(e, d.skipCodes)) {
              return { rejects: [{ reason: `${detailOp} for ${ref}: ${(e as Error).message}`, original: item, position }] };
            }
            failed = true;
            limit.clearQueue();
            throw e;
          }
        }),
      ),
    );
    for (const o of outcomes) {
      if (!o) continue;
      if (o.records) records.push(...o.records);
      if (o.rejects) rejects.push(...o.rejects);
    }
    return { records, rejects };
  };
}

/** A list item's reference: the text at list.key, or the item itself when it is a bare value. */
export function itemReference(item: unknown, key: string | undefined): string | undefined {
  return key ? scalarText(selectOne(item, key)) : scalarText(item);
}

/** The records of a detail answer, in orderBy order, only the latest with select: latest; `bare` when non-records were dropped. */
export function detailRecords(result: unknown, d: Pick<DetailCall, 'records' | 'orderBy' | 'select'>): { records: Record<string, unknown>[]; bare: boolean } {
  const all = selectAll(result, d.records);
  let found = all.filter(isObject);
  const bare = found.length < all.length;
  if (d.orderBy) {
    const path = d.orderBy;
    found = [...found].sort((a, b) => compareKeys(orderKey(a, path), orderKey(b, path)));
  }
  if (d.select === 'latest') found = found.slice(-1);
  return { records: found, bare };
}

function orderKey(rec: unknown, path: string): string | number | undefined {
  const v = scalarText(selectOne(rec, path));
  if (v === undefined) return undefined;
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

/** Missing first, numbers by value, anything else as text. */
export function compareKeys(a: string | number | undefined, b: string | number | undefined): number {
  if (a === undefined) return b === undefined ? 0 : -1;
  if (b === undefined) return 1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** An in-body code or fault code listed in detail.skipCodes (fault codes with or without prefix). */
export function skippable(e: SourceError, codes: string[]): boolean {
  const { supplierCode, faultCode, status } = e.context;
  // Refused credentials are never "this item has no details", whatever the fault code says.
  if (e.code === 'auth' || status === 401 || status === 403) return false;
  if (typeof supplierCode === 'string' && codes.includes(supplierCode)) return true;
  return typeof faultCode === 'string' && codeVariants(faultCode).some((c) => codes.includes(c));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
