/**
 * Personal data out of dead letters: a rejected record is kept for replay, but the fields a mapping
 * marks as personal must not travel with it to the dead-letter topic.
 *
 * Built from the plain paths the personal value specs read (path, template placeholders, the
 * sources of `first`). It errs on the side of removing: where a path read takes the first element of
 * a list, every element's field is removed; where it reads an XML element's text, that text goes
 * (its attributes stay); where it reads an attribute, every spelling of it goes. Fields read only
 * through JSONata cannot be known and stay.
 */
import { parsePath, type PathSegment } from '../core/record-path.js';

export const PERSONAL_DATA_REMOVED = '[personal data removed]';

export type Redactor = (raw: Record<string, unknown>) => Record<string, unknown>;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !ArrayBuffer.isView(v);
const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** The value a path ends on, with what it stands for removed; `undefined` when nothing changes. */
function redactLeaf(v: unknown): unknown {
  if (!present(v)) return undefined;
  if (Array.isArray(v)) return redactEach(v, redactLeaf);
  if (isObj(v)) {
    // An XML element: its text is the value; its attributes (a grid reference) are not.
    for (const text of ['$value', '#text']) {
      if (text in v) return present(v[text]) ? { ...v, [text]: PERSONAL_DATA_REMOVED } : undefined;
    }
  }
  return PERSONAL_DATA_REMOVED;
}

function redactEach(list: unknown[], f: (item: unknown) => unknown): unknown[] | undefined {
  let out: unknown[] | undefined;
  list.forEach((item, i) => {
    const r = f(item);
    if (r === undefined) return;
    out ??= [...list];
    out[i] = r;
  });
  return out;
}

function withKey(o: Obj, key: string, f: (v: unknown) => unknown): Obj | undefined {
  if (!(key in o)) return undefined;
  const r = f(o[key]);
  return r === undefined ? undefined : { ...o, [key]: r };
}

/** Copy-on-write: returns a changed copy of `node`, or undefined when the path removes nothing. */
function redactAt(node: unknown, segs: readonly PathSegment[], i: number): unknown {
  if (i === segs.length) return redactLeaf(node);
  const seg = segs[i]!;
  const next = (v: unknown) => redactAt(v, segs, i + 1);
  if (typeof seg === 'number') {
    if (Array.isArray(node)) {
      const r = next(node[seg]);
      if (r === undefined) return undefined;
      const out = [...node];
      out[seg] = r;
      return out;
    }
    return seg === 0 && isObj(node) ? next(node) : undefined;
  }
  if (Array.isArray(node)) return redactEach(node, (item) => redactAt(item, segs, i));
  if (!isObj(node)) return undefined;
  if (!seg.startsWith('@')) return withKey(node, seg, next);
  // An attribute: as written, under $attributes, and fast-xml-parser's @_Name.
  const name = seg.startsWith('@_') ? seg.slice(2) : seg.slice(1);
  let out: Obj = node;
  for (const key of new Set([seg, `@_${name}`, `@${name}`])) out = withKey(out, key, next) ?? out;
  const attrs = out.$attributes;
  if (isObj(attrs)) {
    const r = withKey(attrs, name, next);
    if (r) out = { ...out, $attributes: r };
  }
  return out === node ? undefined : out;
}

/**
 * One function removing every given path from a copy of a record (the record itself is never
 * changed; untouched parts are shared, not copied). Paths read the way compilePath reads them:
 * a key equal to the whole path, else the parsed path; a name that is no valid path is a column name.
 */
export function compileRedactor(paths: Iterable<string>): Redactor {
  const rules: { literal: string; segs: PathSegment[] | undefined }[] = [];
  for (const path of new Set(paths)) {
    let segs: PathSegment[] | undefined;
    try {
      segs = parsePath(path);
    } catch {
      segs = undefined; // "Stage Desc.": a column name
    }
    rules.push({ literal: path, segs });
  }
  if (rules.length === 0) return (raw) => raw;
  return (raw) => {
    let out: Obj = raw;
    for (const { literal, segs } of rules) {
      // Both readings: the literal key, and the nested path it would be if that key were absent.
      out = withKey(out, literal, redactLeaf) ?? out;
      if (segs && !(segs.length === 1 && segs[0] === literal)) out = (redactAt(out, segs, 0) as Obj | undefined) ?? out;
    }
    return out;
  };
}
