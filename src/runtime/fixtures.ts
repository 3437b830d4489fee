/**
 * Config tests (`casebridge test <config>`): fixture files next to a config give supplier records
 * and what each must become, and run through the real mapping and change detection
 * (runtime/pipeline prepareBatch) with an in-memory state store — no supplier, no broker.
 *
 * Layout: <config folder>/tests/<connector name>/*.yaml, one scenario per file:
 *
 *   description: A pothole is recorded, then cleared
 *   steps:
 *     - name: recorded
 *       input: { CRNo: "1001", Stage: "1", ... }     # the record as the connector reads it
 *       expect:                                       # the event; only the keys written are checked
 *         type: created                               # short for uk.casebridge.case.created.v1
 *         data: { case: { status: { lifecycle: received } } }
 *     - input: { ... same record again ... }
 *       skip: unchanged                               # or: filtered, older
 *     - input: { CRNo: "1001", Stage: "ZZ" }
 *       reject: unknown status code "ZZ"              # text the reason must contain, or {code, field, reason}
 *
 * Steps of one file run in order against one memory, so later steps see earlier ones (change kinds,
 * "older record never overwrites newer"). Each file starts with an empty memory.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { isSeq, LineCounter, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { eventTypeFor, ChangeKind, SourcePosition, Timestamp, type CaseEvent, type Council } from '../event/case-event.js';
import type { DeadLetter } from '../core/dead-letter.js';
import type { GatewayConfig } from '../config/schema.js';
import { prepareBatch } from './pipeline.js';
import { fixedClock } from '../core/clock.js';
import { ignoreOutcome } from '../core/source.js';
import { openSqliteStateStore } from './sqlite-state-store.js';
import { compileMapping } from '../normalize/compile-mapping.js';
import type { ConfigLocate } from '../normalize/normalizer.js';

export const ExpectedReject = z.union([
  z.string().min(1).describe('Text the dead-letter reason must contain'),
  z
    .object({
      code: z.string().optional().describe('Reject code, e.g. unknown_status, bad_date'),
      field: z.string().optional().describe('Event field the reason is about, e.g. case.openedAt'),
      reason: z.string().optional().describe('Text the reason must contain'),
    })
    .strict(),
]);

export const FixtureStep = z
  .object({
    name: z.string().optional(),
    input: z.record(z.string(), z.unknown()).describe('The supplier record as the connector reads it'),
    fetchedAt: Timestamp.optional().describe('When casebridge read it; default: the file fetchedAt plus one minute per step'),
    position: SourcePosition.optional().describe('Default: the fixture file and the step line'),
    expect: z.record(z.string(), z.unknown()).optional().describe('The event: only the keys written are compared; null means "absent"'),
    reject: ExpectedReject.optional(),
    skip: z.enum(['filtered', 'unchanged', 'older']).optional().describe('No event: the filter excluded it, nothing visible changed, or it is older than what was published'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const n = [s.expect, s.reject, s.skip].filter((x) => x !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: 'custom', path: [], message: `each step needs exactly one of expect, reject or skip (found ${n})` });
  });
export type FixtureStep = z.infer<typeof FixtureStep>;

export const FixtureFile = z
  .object({
    description: z.string().optional(),
    fetchedAt: Timestamp.default('2025-01-01T12:00:00Z').describe('Base read time; step N is read N minutes later unless it gives its own'),
    steps: z.array(FixtureStep).min(1),
  })
  .strict();
export type FixtureFile = z.infer<typeof FixtureFile>;

export interface StepResult {
  index: number;
  name?: string;
  line?: number;
  ok: boolean;
  /** Human-readable differences; empty when ok. */
  problems: string[];
  /** What actually came out, for --show and for failures. */
  actual: { event?: CaseEvent; reject?: Pick<DeadLetter, 'code' | 'field' | 'reason'>; skip?: string };
}

export interface FileResult {
  file: string;
  connector: string;
  description?: string;
  /** A file that could not be read or is not a valid fixture. */
  error?: string;
  steps: StepResult[];
}

export interface SuiteResult {
  files: FileResult[];
  passed: number;
  failed: number;
  /** Problems with the layout itself (unknown connector folder, no fixtures). */
  errors: string[];
}

function listFixtureFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

function stepLines(text: string): number[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const steps = doc.get('steps', true);
  if (!isSeq(steps)) return [];
  return steps.items.map((it) => {
    const r = (it as { range?: [number, number, number] }).range;
    return r ? lc.linePos(r[0]).line : 0;
  });
}

export interface RunOptions {
  /** Folder with one sub-folder per connector; default <config dir>/tests. */
  dir: string;
  /** Only this connector. */
  connector?: string;
  /** The config file and where its paths sit (LoadedConfig.locate): reasons then give file:line:column, as in the gateway. */
  configFile?: string;
  locate?: ConfigLocate;
}

export async function runConfigTests(config: GatewayConfig, opts: RunOptions): Promise<SuiteResult> {
  const suite: SuiteResult = { files: [], passed: 0, failed: 0, errors: [] };
  let folders: string[];
  try {
    folders = readdirSync(opts.dir).filter((d) => statSync(join(opts.dir, d)).isDirectory()).sort();
  } catch {
    suite.errors.push(`no fixtures: ${opts.dir} does not exist (put them in ${join(opts.dir, '<connector>', '<scenario>.yaml')})`);
    return suite;
  }
  const names = config.connectors.map((c) => c.name);
  for (const d of folders) if (!names.includes(d)) suite.errors.push(`${join(opts.dir, d)}: no connector named "${d}" in this config (have: ${names.join(', ')})`);
  if (opts.connector && !names.includes(opts.connector)) suite.errors.push(`no connector named "${opts.connector}" in this config (have: ${names.join(', ')})`);

  for (const [index, connector] of config.connectors.entries()) {
    if (opts.connector && connector.name !== opts.connector) continue;
    if (!folders.includes(connector.name)) continue;
    const council = config.councils.find((c) => c.gss === connector.council)!;
    const normalize = compileMapping(connector.mapping, {
      connector: connector.name,
      council: { gss: council.gss, name: council.name },
      system: connector.system,
      ...(config.lookups ? { sharedLookups: config.lookups } : {}),
      configPath: `connectors[${index}].mapping`,
      ...(opts.configFile ? { configFile: opts.configFile } : {}),
      ...(opts.locate ? { locate: opts.locate } : {}),
    });
    for (const file of listFixtureFiles(join(opts.dir, connector.name))) {
      const result = await runFixtureFile(file, connector.name, council, normalize, opts);
      suite.files.push(result);
      for (const s of result.steps) s.ok ? suite.passed++ : suite.failed++;
      if (result.error) suite.failed++;
    }
  }
  if (suite.files.length === 0 && suite.errors.length === 0) suite.errors.push(`no fixtures found under ${opts.dir}/<connector>/*.yaml`);
  return suite;
}

async function runFixtureFile(
  file: string,
  connector: string,
  council: Council,
  normalize: ReturnType<typeof compileMapping>,
  opts: RunOptions,
): Promise<FileResult> {
  const result: FileResult = { file, connector, steps: [] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    result.error = `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    return result;
  }
  // merge: fixtures reuse a record with `<<: *anchor` and change a field or two.
  const doc = parseDocument(text, { uniqueKeys: true, merge: true });
  if (doc.errors.length) {
    result.error = `not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`;
    return result;
  }
  const parsed = FixtureFile.safeParse(doc.toJS());
  if (!parsed.success) {
    const lines = stepLines(text);
    result.error = parsed.error.issues
      .map((i) => {
        const p = i.path.map((x) => (typeof x === 'number' ? `[${x}]` : `.${String(x)}`)).join('').replace(/^\./, '');
        const line = i.path[0] === 'steps' && typeof i.path[1] === 'number' ? lines[i.path[1]] : undefined;
        return `${line ? `line ${line}, ` : ''}${p || '(top level)'}: ${i.message}`;
      })
      .join('; ');
    return result;
  }
  const fixture = parsed.data;
  if (fixture.description) result.description = fixture.description;
  const lines = stepLines(text);
  const store = openSqliteStateStore(':memory:');
  try {
    const state = store.forConnector(connector);
    const base = Date.parse(fixture.fetchedAt);
    for (const [i, step] of fixture.steps.entries()) {
      const fetchedAt = step.fetchedAt ?? new Date(base + i * 60_000).toISOString();
      const position = step.position ?? { file: basename(file), line: lines[i] ?? i + 1 };
      const prepared = await prepareBatch(
        { records: [{ raw: step.input, position, fetchedAt }], ack: ignoreOutcome },
        { connector, council, normalize, state, clock: fixedClock(fetchedAt) },
      );
      state.commit({ writes: prepared.writes });
      const actual: StepResult['actual'] = {};
      const event = prepared.events[0]?.event;
      const dead = prepared.deadLetters[0];
      if (event) actual.event = event;
      else if (dead) actual.reject = { code: dead.code, reason: dead.reason, ...(dead.field ? { field: dead.field } : {}) };
      else actual.skip = Object.keys(prepared.result.skippedBy)[0] ?? 'nothing';
      const problems = judge(step, actual);
      result.steps.push({ index: i + 1, ...(step.name ? { name: step.name } : {}), ...(lines[i] ? { line: lines[i] } : {}), ok: problems.length === 0, problems, actual });
    }
  } finally {
    store.close();
  }
  return result;
}

function describeActual(a: StepResult['actual']): string {
  if (a.event) return `an event (${a.event.data.change.kind})`;
  if (a.reject) return `a reject: ${a.reject.reason}`;
  return `no event (skipped: ${a.skip})`;
}

function judge(step: FixtureStep, actual: StepResult['actual']): string[] {
  if (step.expect !== undefined) {
    if (!actual.event) return [(`expected an event, got ${describeActual(actual)}`)];
    const want = { ...step.expect };
    const shortType = ChangeKind.safeParse(want.type);
    if (shortType.success) want.type = eventTypeFor(shortType.data);
    const diffs: string[] = [];
    compare(want, actual.event, '', diffs);
    return diffs;
  }
  if (step.reject !== undefined) {
    if (!actual.reject) return [(`expected a reject, got ${describeActual(actual)}`)];
    const r = typeof step.reject === 'string' ? { reason: step.reject } : step.reject;
    const out: string[] = [];
    if (r.code !== undefined && r.code !== actual.reject.code) out.push(`reject code\n  - expected: ${r.code}\n  + actual:   ${actual.reject.code}`);
    if (r.field !== undefined && r.field !== actual.reject.field) out.push(`reject field\n  - expected: ${r.field}\n  + actual:   ${actual.reject.field ?? '(none)'}`);
    if (r.reason !== undefined && !actual.reject.reason.includes(r.reason)) out.push(`reject reason\n  - expected to contain: ${r.reason}\n  + actual:              ${actual.reject.reason}`);
    return out;
  }
  if (actual.skip === step.skip) return [];
  return [(actual.skip ? `expected no event (skip: ${step.skip}), got no event (skipped: ${actual.skip})` : `expected no event (skip: ${step.skip}), got ${describeActual(actual)}`)];
}

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v !== null && typeof v === 'object') return stringify(v, { lineWidth: 0 }).trimEnd().replace(/\n/g, '\n      ');
  return String(v);
}

const ISO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Partial comparison: every key the fixture writes must match; arrays match element by element. */
function compare(want: unknown, got: unknown, path: string, out: string[]): void {
  const here = path || '(event)';
  if (want === null) {
    if (got !== undefined && got !== null) out.push(`${here}\n  - expected: (absent)\n  + actual:   ${show(got)}`);
    return;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) {
      out.push(`${here}\n  - expected: ${show(want)}\n  + actual:   ${show(got)}`);
      return;
    }
    want.forEach((w, i) => compare(w, got[i], `${path}[${i}]`, out));
    return;
  }
  if (typeof want === 'object') {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) {
      out.push(`${here}\n  - expected: ${show(want)}\n  + actual:   ${show(got)}`);
      return;
    }
    for (const [k, w] of Object.entries(want as Record<string, unknown>)) compare(w, (got as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (want === got) return;
  // The same instant written with another offset (Z vs +00:00) is the same time.
  if (typeof want === 'string' && typeof got === 'string' && ISO_OFFSET.test(want) && ISO_OFFSET.test(got) && Date.parse(want) === Date.parse(got)) return;
  let hint = '';
  if (typeof want !== typeof got && String(want) === String(got)) hint = `  (the fixture has a ${typeof want}, the event a ${typeof got}: quote it in YAML${typeof got === 'string' ? '' : ' or drop the quotes'})`;
  out.push(`${here}\n  - expected: ${show(want)}\n  + actual:   ${show(got)}${hint}`);
}

/** The readable report, and whether everything passed. */
export function formatSuite(suite: SuiteResult, opts: { cwd: string; show?: boolean }): string {
  const lines: string[] = [];
  const rel = (f: string) => relative(opts.cwd, f) || f;
  for (const f of suite.files) {
    const bad = f.error !== undefined || f.steps.some((s) => !s.ok);
    lines.push(`${bad ? 'FAIL' : 'ok  '} ${rel(f.file)}${f.description ? ` — ${f.description}` : ''}`);
    if (f.error) lines.push(`       ${f.error}`);
    for (const s of f.steps) {
      const label = `step ${s.index}${s.name ? ` "${s.name}"` : ''}${s.line ? ` (line ${s.line})` : ''}`;
      if (s.ok && !opts.show) continue;
      lines.push(`     ${s.ok ? 'ok  ' : 'FAIL'} ${label}`);
      for (const p of s.problems) lines.push(...p.split('\n').map((l) => `         ${l}`));
      if (!s.ok || opts.show) {
        const a = s.actual;
        const shown = a.event ? { event: a.event } : a.reject ? { reject: a.reject } : { skip: a.skip };
        if (opts.show || (a.event && s.problems.length > 3)) lines.push(...stringify(shown, { lineWidth: 0 }).trimEnd().split('\n').map((l) => `         | ${l}`));
      }
    }
  }
  for (const e of suite.errors) lines.push(`ERROR ${e}`);
  const steps = suite.passed + suite.failed;
  lines.push(`${suite.files.length} file(s), ${steps} step(s): ${suite.passed} passed, ${suite.failed} failed${suite.errors.length ? `, ${suite.errors.length} error(s)` : ''}`);
  return lines.join('\n') + '\n';
}

