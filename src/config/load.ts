/**
 * Load a gateway config: YAML → ${env:}/${file:} references → strict zod validation. Every problem
 * is reported with the file, line and column, the path inside the config (connectors[2].mapping.status)
 * and what was expected — council IT read these, not TypeScript developers.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { GatewayConfig } from './schema.js';
import { resolveRefs } from './secrets.js';
import { registerInlineSecrets } from '../core/mask.js';
import { knownKeysAt } from './schema-walk.js';
import { distance } from 'fastest-levenshtein';

export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  /** e.g. connectors[2].mapping.status */
  path: string;
  message: string;
}

export class ConfigInvalidError extends ConfigError {
  constructor(
    readonly problems: ConfigProblem[],
    /** Missing secrets allowed by allowMissingSecrets, reported next to the problems. */
    readonly warnings: ConfigProblem[] = [],
  ) {
    super(problems.map(formatProblem).join('\n'), { code: 'config_invalid' });
  }
}

export interface LoadedConfig {
  config: GatewayConfig;
  file: string;
  /** Relative paths in the config resolve against this folder. */
  baseDir: string;
  /**
   * Where a config path such as connectors[0].mapping.status.lookup sits in `file` (1-based; a path
   * the file does not spell out is placed at its nearest parent), so errors found after loading —
   * a record's reject reason — can point at the line too.
   */
  locate?: (path: string) => { line: number; column: number } | undefined;
  /** With allowMissingSecrets: the secrets that could not be resolved (a placeholder stood in). */
  warnings?: ConfigProblem[];
}

export interface ParseOptions {
  /** Check the shape of a config whose secrets do not exist yet; each missing one becomes a warning. */
  allowMissingSecrets?: boolean;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(String(p))) out += out ? `.${String(p)}` : String(p);
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || '(top level)';
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return `${where}  ${p.path}: ${p.message}`;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env, opts: ParseOptions = {}): LoadedConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigInvalidError([{ file, path: '(file)', message: `cannot read config: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  return parseConfigText(text, file, dirname(abs), env, opts);
}

export function parseConfigText(text: string, file: string, baseDir: string, env: NodeJS.ProcessEnv = process.env, opts: ParseOptions = {}): LoadedConfig {
  return parseYamlConfig(GatewayConfig, text, file, baseDir, env, opts);
}

/** Load any YAML config described by a zod schema (the tracker's, the gateway's) with the same file:line errors. */
export function loadYamlConfigFile<S extends z.ZodType>(schema: S, file: string, env: NodeJS.ProcessEnv = process.env): LoadedYaml<z.output<S>> {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigInvalidError([{ file, path: '(file)', message: `cannot read config: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  return parseYamlConfig(schema, text, file, dirname(abs), env);
}

export type LoadedYaml<T> = Omit<LoadedConfig, 'config'> & { config: T };

export function parseYamlConfig<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: ParseOptions = {},
): LoadedYaml<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const problems: ConfigProblem[] = [];
  for (const err of doc.errors) {
    const pos = err.linePos?.[0];
    problems.push({ file, line: pos?.line, column: pos?.col, path: '(yaml)', message: err.message.split('\n')[0] ?? err.message });
  }
  if (problems.length) throw new ConfigInvalidError(problems);

  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const locate = (path: readonly PropertyKey[], key?: string) => locateNode(doc, lineCounter, path, key);

  let { value, problems: refProblems } = resolveRefs(raw, { env, baseDir, ...(opts.allowMissingSecrets ? { placeholder: textPlaceholder } : {}) });
  let parsed = schema.safeParse(value);
  if (opts.allowMissingSecrets && !parsed.success) {
    // A field that wants a URL (an endpoint from ${env:SUPPLIER_URL}) gets a URL-shaped stand-in.
    const wantUrl = new Set(parsed.error.issues.map((i) => formatPath(i.path)));
    ({ value, problems: refProblems } = resolveRefs(raw, { env, baseDir, placeholder: (path, ref) => (wantUrl.has(formatPath(path)) ? urlPlaceholder(ref) : textPlaceholder(path, ref)) }));
    parsed = schema.safeParse(value);
  }
  const refFindings = refProblems.map((p) => ({ file, ...locate(p.path), path: formatPath(p.path), message: p.message }));
  const warnings = opts.allowMissingSecrets ? refFindings : [];
  if (!opts.allowMissingSecrets) problems.push(...refFindings);

  if (!parsed.success) {
    // A value whose secret reference is missing was resolved to "", so its own type error is noise
    // (with placeholders standing in, an error there is the field's own and is reported).
    const unresolved = new Set(opts.allowMissingSecrets ? [] : refProblems.map((p) => formatPath(p.path)));
    problems.push(...issuesToProblems(schema, parsed.error.issues, value, file, locate).filter((p) => !unresolved.has(p.path)));
  }
  if (problems.length) throw new ConfigInvalidError(byPosition(problems), warnings);
  const locatePath = (path: string) => {
    const segs = parsePath(path);
    const at = segs && locate(segs);
    return at?.line ? { line: at.line, column: at.column ?? 1 } : undefined;
  };
  // Secrets written inline (a password typed into the YAML) are masked like ${env:…} ones.
  registerInlineSecrets(parsed.data);
  return { config: parsed.data as z.output<S>, file, baseDir, locate: locatePath, ...(warnings.length ? { warnings } : {}) };
}

function textPlaceholder(_path: (string | number)[], ref: string): string {
  return `casebridge-placeholder-for-${ref.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

function urlPlaceholder(ref: string): string {
  return `https://placeholder.invalid/${encodeURIComponent(ref)}`;
}

/** In the order they appear in the file, as council IT read it; problems without a line keep their place at the end. */
function byPosition(problems: ConfigProblem[]): ConfigProblem[] {
  const key = (p: ConfigProblem) => (p.line ?? Infinity) * 1e6 + (p.column ?? 0);
  return problems.map((p, i) => ({ p, i })).sort((a, b) => key(a.p) - key(b.p) || a.i - b.i).map((x) => x.p);
}

/** The inverse of formatPath: `connectors[2].mapping["Stage Desc."]` → its keys; undefined if malformed. */
export function parsePath(path: string): PropertyKey[] | undefined {
  const out: PropertyKey[] = [];
  const step = /\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let i = 0;
  while (i < path.length) {
    step.lastIndex = i;
    const m = step.exec(path);
    if (!m || (m[1] !== undefined && (i === 0) === m[0].startsWith('.'))) return undefined;
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
    i = step.lastIndex;
  }
  return out.length ? out : undefined;
}

type Locate = (path: readonly PropertyKey[], key?: string) => { line?: number; column?: number };

function issuesToProblems(root: z.ZodType, issues: z.core.$ZodIssue[], data: unknown, file: string, locate: Locate): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(root, data, path);
      for (const key of issue.keys) {
        // A key spelt right but not allowed here (it belongs to another shape) gets no "did you mean" itself.
        const hint = closest(key, known.filter((k) => k !== key));
        const expected = known.length ? ` (expected one of: ${known.join(', ')})` : '';
        out.push({
          file,
          ...locate(path, key),
          path: formatPath([...path, key]),
          message: hint ? `unknown key "${key}" — did you mean "${hint}"?` : `unknown key "${key}"${expected}`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      // A discriminated union whose `type` matched nothing: say which types exist.
      const disc = (issue as { discriminator?: string }).discriminator;
      if (disc !== undefined) {
        const parent = path[path.length - 1] === disc ? path.slice(0, -1) : path;
        const opts = knownDiscriminators(root, data, parent);
        const actual = getAt(data, [...parent, disc]);
        const hint = typeof actual === 'string' ? closest(actual, opts) : undefined;
        out.push({
          file,
          ...locate([...parent, disc]),
          path: formatPath([...parent, disc]),
          message:
            actual === undefined
              ? `required key "${disc}" is missing; expected one of: ${opts.join(', ')}`
              : `unknown ${disc} ${JSON.stringify(actual)}${hint ? ` — did you mean "${hint}"?` : ''}; expected one of: ${opts.join(', ')}`,
        });
        continue;
      }
      // Plain union: report the branch the author most likely meant, so the message is actionable:
      // one that got inside the value (not "expected string" for an object), then the one with
      // the fewest problems (a status table with one bad status, not a service table missing its
      // names), then the one that got deepest.
      const branches = ((issue as { errors?: z.core.$ZodIssue[][] }).errors ?? []).map((b) => b.map((i) => ({ ...i, path: [...path, ...(i.path as PropertyKey[])] })));
      const rank = (b: z.core.$ZodIssue[]) => [
        b.some((i) => i.path.length > path.length) ? 0 : 1,
        b.reduce((n, i) => n + (i.code === 'unrecognized_keys' ? i.keys.length : 1), 0),
        -Math.max(...b.map((i) => i.path.length)),
      ];
      const best = branches
        .map((b) => ({ b, r: rank(b) }))
        .sort((x, y) => x.r[0]! - y.r[0]! || x.r[1]! - y.r[1]! || x.r[2]! - y.r[2]!)[0]?.b;
      if (best && best.length && best.some((i) => i.path.length > path.length)) {
        out.push(...issuesToProblems(root, best as z.core.$ZodIssue[], data, file, locate));
        continue;
      }
    }
    out.push({ file, ...locate(path), path: formatPath(path), message: describeIssue(issue, getAt(data, path)) });
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, actual: unknown): string {
  const got = actual === undefined ? 'nothing (the key is missing)' : `${JSON.stringify(actual)?.slice(0, 60)}`;
  switch (issue.code) {
    case 'invalid_type':
      return actual === undefined ? `required ${issue.expected} is missing` : `expected ${issue.expected}, got ${got}`;
    case 'invalid_value': {
      if (issue.values.length === 1 || actual === undefined) return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${got}`;
      const allowed = issue.values.map(String);
      const hint = typeof actual === 'string' ? closest(actual, allowed) : undefined;
      return `unknown value ${got}; expected one of: ${allowed.join(', ')}${hint ? ` — did you mean "${hint}"?` : ''}`;
    }
    default:
      return `${issue.message}${actual !== undefined && issue.code !== 'custom' ? ` (got ${got})` : ''}`;
  }
}

function getAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function knownDiscriminators(root: z.ZodType, data: unknown, path: readonly PropertyKey[]): string[] {
  const keys = knownKeysAt(root, data, [...path, '__discriminator__']);
  return keys;
}

function locateNode(doc: Document, lc: LineCounter, path: readonly PropertyKey[], key?: string): { line?: number; column?: number } {
  // Walk down as far as the document has nodes: a missing key is reported at its parent.
  for (let n = path.length; n >= 0; n--) {
    const parent = doc.getIn(path.slice(0, n) as unknown[], true);
    if (!parent) continue;
    let node: unknown = parent;
    if (key !== undefined && n === path.length && isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === key);
      if (pair) node = pair.key;
    }
    const range = (node as { range?: [number, number, number] }).range;
    if (range) {
      const { line, col } = lc.linePos(range[0]);
      return { line, column: col };
    }
  }
  return {};
}

/** The candidate within a small edit distance of `word`, for "did you mean" on config keys. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

