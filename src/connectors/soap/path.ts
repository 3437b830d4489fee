/**
 * Paths into a parsed SOAP response: `A.B.C`, `Items[0]`, `*` for "any one child" (the result
 * element's name differs per operation: `*.Errors.Result`), and `$attributes.RecordCount` for XML
 * attributes. An array met on the way is walked element by element and the results flattened, so
 * one element and a list of elements give the same answer — suppliers send either.
 */
export type PathSegment = { key: string } | { index: number } | { any: true };

const SEGMENT = /^([^[\]]+)?((?:\[\d+\])*)$/;

export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  if (path.trim() === '' || path === '.') return out;
  for (const part of path.split('.')) {
    const m = SEGMENT.exec(part);
    if (!m || (!m[1] && !m[2])) throw new Error(`bad path segment "${part}" in "${path}" (expected Name, Name[0] or *)`);
    if (m[1] === '*') out.push({ any: true });
    else if (m[1]) out.push({ key: m[1] });
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push({ index: Number(idx[1]) });
  }
  return out;
}

function step(value: unknown, seg: PathSegment): unknown[] {
  if (value === null || value === undefined) return [];
  if ('index' in seg) {
    const arr = Array.isArray(value) ? value : [value];
    return seg.index < arr.length ? [arr[seg.index]] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v) => step(v, seg));
  if (typeof value !== 'object') return [];
  const obj = value as Record<string, unknown>;
  if ('any' in seg) {
    return Object.keys(obj)
      .filter((k) => k !== '$attributes')
      .map((k) => obj[k]);
  }
  return Object.hasOwn(obj, seg.key) ? [obj[seg.key]] : [];
}

/** Every value at the path, arrays flattened; an empty list when nothing is there. */
export function selectAll(value: unknown, path: PathSegment[] | string): unknown[] {
  const segs = typeof path === 'string' ? parsePath(path) : path;
  let current: unknown[] = [value];
  for (const seg of segs) current = current.flatMap((v) => step(v, seg));
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined && v !== null);
}

/** The first value at the path, or undefined. */
export function selectOne(value: unknown, path: PathSegment[] | string): unknown {
  return selectAll(value, path)[0];
}

/** A scalar as text (an element with attributes keeps its text under `$value`). */
export function scalarText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, '$value')) return scalarText((value as Record<string, unknown>).$value);
  return undefined;
}
