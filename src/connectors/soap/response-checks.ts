/**
 * A list call that yields no records is normally "nothing changed". Two config mistakes look the
 * same from outside, and both used to end in a silent "ok, read 0":
 * - `records` points at nothing while the response does carry content (a misspelt element, or a
 *   result wrapper the supplier renamed);
 * - the supplier reported an error in the body (Errors.Result = -1, "Invalid token") and
 *   `errors.code` is not configured, so nothing recognised it as an error.
 * Both become warnings the runtime logs, counts and puts in the run summary.
 */
import type { SourceWarning } from '../../core/source.js';
import type { ErrorRules } from './config.js';
import { parsePath, scalarText, selectAll, type PathSegment } from './path.js';

const ERROR_ELEMENT = /^(errors?|errorcode|error_code|errormessage|error_message|exception|fault)$/i;
const MAX_DEPTH = 4;
const MAX_SHOWN = 160;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Any non-empty text below `v`, outside attributes and the nodes in `skip`. */
function hasContent(v: unknown, skip: Set<unknown>): boolean {
  if (skip.has(v)) return false;
  if (Array.isArray(v)) return v.some((x) => hasContent(x, skip));
  if (isObject(v)) return Object.entries(v).some(([k, x]) => k !== '$attributes' && hasContent(x, skip));
  const text = scalarText(v);
  return text !== undefined && text.trim() !== '';
}

/** The first element that looks like an in-body error report, with content, and where it is. */
function findErrorElement(v: unknown, path: string[] = []): { path: string; node: unknown } | undefined {
  if (path.length > MAX_DEPTH) return undefined;
  for (const x of Array.isArray(v) ? v : [v]) {
    if (!isObject(x)) continue;
    for (const [k, child] of Object.entries(x)) {
      if (k === '$attributes') continue;
      if (ERROR_ELEMENT.test(k) && hasContent(child, new Set())) return { path: [...path, k].join('.'), node: child };
      const deeper = findErrorElement(child, [...path, k]);
      if (deeper) return deeper;
    }
  }
  return undefined;
}

function brief(node: unknown): string {
  const parts: string[] = [];
  const walk = (v: unknown, name: string) => {
    if (isObject(v)) for (const [k, x] of Object.entries(v)) walk(x, k === '$value' ? name : k);
    else if (Array.isArray(v)) v.forEach((x) => walk(x, name));
    else {
      const t = scalarText(v);
      if (t !== undefined && t.trim() !== '') parts.push(`${name}: ${JSON.stringify(t.trim())}`);
    }
  };
  walk(node, 'value');
  const text = parts.join(', ');
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

const formatSegs = (segs: PathSegment[]): string => segs.map((s) => ('key' in s ? s.key : 'any' in s ? '*' : `[${s.index}]`)).join('.').replace(/\.\[/g, '[');

/** A warning when a list response that gave no records is not what an empty listing looks like. */
export function emptyListWarning(result: unknown, recordsPath: string, rules: ErrorRules, operation: string): SourceWarning | undefined {
  if (!rules.code) {
    const err = findErrorElement(result);
    if (err) {
      return {
        code: 'soap_unconfigured_error',
        message: `the ${operation} response has what looks like an error report at ${err.path} (${brief(err.node)}) and no records, but errors.code is not configured, so it counts as "0 records"; set errors.code (and errors.message) to the supplier's error element`,
      };
    }
  }
  // The configured error element is always there; it is not content.
  const skip = new Set<unknown>();
  for (const p of [rules.code, rules.message]) {
    if (p === undefined) continue;
    const segs = parsePath(p);
    for (const node of selectAll(result, segs.slice(0, -1))) skip.add(node);
  }
  const segs = parsePath(recordsPath);
  // Where the path stops matching: the deepest prefix that still finds something.
  for (let k = segs.length - 1; k >= 0; k--) {
    const found = selectAll(result, segs.slice(0, k));
    if (found.length === 0) continue;
    if (!found.some((v) => hasContent(v, skip))) return undefined; // an empty container: a genuinely empty listing
    const has = [...new Set(found.filter(isObject).flatMap((v) => Object.keys(v).filter((key) => key !== '$attributes' && !skip.has(v[key]))))];
    const where = k === 0 ? 'the response' : `${formatSegs(segs.slice(0, k))} in the response`;
    return {
      code: 'soap_records_path_empty',
      message: `list.records "${recordsPath}" matched nothing in a non-empty ${operation} response: ${formatSegs(segs.slice(0, k + 1))} is not there (${where} has: ${has.join(', ') || 'text only'}); check the path`,
    };
  }
  return undefined;
}
