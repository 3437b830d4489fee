/**
 * Field paths into supplier records: `A`, `A.B`, `Items[0].Code`, `["Stage Desc."]`,
 * `ServiceLocation.$attributes.Easting`, or its shorthand `ServiceLocation.@Easting`.
 *
 * XML turned into objects has quirks the paths smooth over, so a mapping does not care:
 * - one child element arrives as an object, several as an array: `Items[0]` on an object is the
 *   object itself, and a name step on an array steps into its first element;
 * - casebridge's XML reader (connectors/xml-safety) groups attributes under `$attributes` and keeps
 *   an element's text under `$value` when it also has attributes. `@Name` reads the attribute
 *   `Name` (from `$attributes`, or from a fast-xml-parser style `@_Name` / `@Name` key);
 * - reading an element as a value gives its text (`$value`, or `#text`); an element with only
 *   attributes and no text (`<DateClosed xsi:nil="true"/>`) is empty.
 */
export type PathSegment = string | number;

export class PathSyntaxError extends Error {}

/** Parse once at compile time; throws PathSyntaxError with the position. */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let i = 0;
  const n = path.length;
  let expectName = true;
  while (i < n) {
    const c = path[i]!;
    if (c === '[') {
      const close = (q: string): number => {
        let j = i + 2;
        let text = '';
        while (j < n && path[j] !== q) {
          if (path[j] === '\\' && j + 1 < n) j++;
          text += path[j];
          j++;
        }
        if (j >= n || path[j + 1] !== ']') throw new PathSyntaxError(`unclosed [${q} at position ${i + 1} in path ${JSON.stringify(path)}`);
        out.push(text);
        return j + 2;
      };
      const q = path[i + 1];
      if (q === '"' || q === "'") i = close(q);
      else {
        const m = /^\[(\d+)\]/.exec(path.slice(i));
        if (!m) throw new PathSyntaxError(`expected [number] or ["name"] at position ${i + 1} in path ${JSON.stringify(path)}`);
        out.push(Number(m[1]));
        i += m[0].length;
      }
      expectName = false;
    } else if (c === '.') {
      if (expectName) throw new PathSyntaxError(`empty name at position ${i + 1} in path ${JSON.stringify(path)}`);
      i++;
      expectName = true;
      if (i >= n) throw new PathSyntaxError(`path ${JSON.stringify(path)} ends with "."`);
    } else {
      if (!expectName) throw new PathSyntaxError(`expected "." or "[" at position ${i + 1} in path ${JSON.stringify(path)}`);
      let j = i;
      while (j < n && path[j] !== '.' && path[j] !== '[') j++;
      out.push(path.slice(i, j));
      i = j;
      expectName = false;
    }
  }
  if (out.length === 0) throw new PathSyntaxError('empty path');
  return out;
}

const ATTRS = '$attributes';

function attribute(obj: Record<string, unknown>, seg: string): unknown {
  const direct = obj[seg];
  if (direct !== undefined) return direct;
  const name = seg.startsWith('@_') ? seg.slice(2) : seg.slice(1);
  const group = obj[ATTRS];
  if (group && typeof group === 'object') {
    const v = (group as Record<string, unknown>)[name];
    if (v !== undefined) return v;
  }
  return seg.startsWith('@_') ? undefined : obj[`@_${name}`];
}

function step(cur: unknown, seg: PathSegment): unknown {
  if (cur === null || cur === undefined) return undefined;
  if (typeof seg === 'number') {
    if (Array.isArray(cur)) return cur[seg];
    return seg === 0 && typeof cur === 'object' ? cur : undefined;
  }
  if (Array.isArray(cur)) cur = cur[0];
  if (cur === null || typeof cur !== 'object') return undefined;
  if (seg.charCodeAt(0) === 64 /* @ */) return attribute(cur as Record<string, unknown>, seg);
  return (cur as Record<string, unknown>)[seg];
}

/** A leaf as a value: an XML element's text, a one-item list's item. */
export function leafValue(v: unknown): unknown {
  if (Array.isArray(v)) v = v[0];
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    const o = v as Record<string, unknown>;
    if ('$value' in o) return o.$value;
    if ('#text' in o) return o['#text'];
    const keys = Object.keys(o);
    if (keys.length === 0 || (keys.length === 1 && keys[0] === ATTRS)) return undefined;
  }
  return v;
}

export type PathGetter = (raw: Record<string, unknown>) => unknown;

/**
 * Compile a path. A key that literally equals the whole path ("A.B" as a column name) wins over
 * parsing it, and text that is not a valid path but has no brackets ("Stage Desc.") is a column name.
 */
export function compilePath(path: string): PathGetter {
  let segs: PathSegment[];
  try {
    segs = parsePath(path);
  } catch (e) {
    // "Stage Desc." is not a valid path but is plainly a CSV column name: read it as one.
    if (!path.includes('[')) return (raw) => leafValue(raw[path]);
    throw e;
  }
  if (segs.length === 1) {
    const k = segs[0]!;
    if (typeof k === 'string' && !k.startsWith('@')) return (raw) => leafValue(raw[k]);
  }
  const literal = path;
  return (raw) => {
    const direct = raw[literal];
    if (direct !== undefined) return leafValue(direct);
    let cur: unknown = raw;
    for (const s of segs) {
      cur = step(cur, s);
      if (cur === undefined) return undefined;
    }
    return leafValue(cur);
  };
}
