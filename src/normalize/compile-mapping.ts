/**
 * Compiles a connector's mapping once into a plain function: supplier record → case snapshot,
 * skip (filter) or reject (dead letter with a reason). No I/O, no eval.
 *
 * The fast path is synchronous. Only a mapping that uses JSONata (a `jsonata` value, or a filter beyond
 * the plain comparisons simple-filter.ts compiles) gets an async normalizer: its expressions are
 * evaluated first, then the same synchronous core runs.
 *
 * Reject reasons name the output field, the value and what was expected, plus where the rule sits in
 * the config (connectors[0].mapping.openedAt) — except for personal fields, whose values never appear
 * in a reason (reasons reach logs and dead letters). The normalizer's redactPersonal takes the fields
 * they read out of the record a dead letter keeps.
 */
import { createHmac } from 'node:crypto';
import jsonata from 'jsonata';
import { compileSimpleFilter, FALLBACK } from './simple-filter.js';
import { CaseSnapshot, TERMINAL_STATUSES, type CaseSnapshot as CaseSnapshotT, type ClockChangeApplied, type ClosureReason } from '../event/case-event.js';
import type { SourceRecord } from '../core/source.js';
import { ConfigError } from '../core/errors.js';
import { Mapping, type ClosureLookupEntry, type Lookup, type ServiceLookupEntry, type StatusLookupEntry, type ValueSpec } from './mapping-schema.js';
import type { CompileMapping, MappingContext, NormalizeResult, Normalizer } from './normalizer.js';
import { compilePath, leafValue, PathSyntaxError } from '../core/record-path.js';
import { compileDate, DEFAULT_CLOCK_CHANGE, formatInZone, zoneFor, type ClockChangeNote, type ClockChangePolicy, type CompiledDate } from './uk/dates.js';
import { bngToWgs84, isOnGrid } from './uk/bng.js';
import { checkUprn, checkUsrn, normalisePostcode } from './uk/identifiers.js';
import { compileRedactor, PERSONAL_DATA_REMOVED } from './redact.js';
import { compileQuickAccept, type QuickAccept } from '../core/fast-accept.js';

// Compiled on the first mapping, not at import: `casebridge --help` never needs it.
let quickAccept: QuickAccept | undefined | null = null;
const snapshotQuickAccept = (): QuickAccept | undefined => (quickAccept === null ? (quickAccept = compileQuickAccept(CaseSnapshot)) : quickAccept);

/** Per-record evaluation environment: the raw record and the results of its JSONata expressions. */
interface Env {
  raw: Record<string, unknown>;
  j: unknown[] | undefined;
  /** Times that fell in a clock change, for provenance.clockChange. */
  clock?: ClockChangeApplied[];
}
type Getter = (env: Env) => unknown;

/** Thrown inside the synchronous core, caught once at its top: never escapes the normalizer. */
class Rejection {
  constructor(
    readonly code: string,
    readonly field: string,
    readonly reason: string,
  ) {}
}

type Kind = 'text' | 'number' | 'date' | 'any';

interface FieldInfo {
  /** Output field, e.g. case.openedAt or personal.email. */
  field: string;
  /** Where the rule sits in the config, e.g. connectors[0].mapping.openedAt. */
  where: string;
  /** Personal data: its value must never appear in a message. */
  sensitive: boolean;
}

interface CompileState {
  zone: string;
  clockChange: ClockChangePolicy;
  /** Where the clock-change policy is set (or would be), for reject reasons. */
  clockChangeAt: string;
  jsonata: { expr: jsonata.Expression; text: string; field: string; where: string }[];
  /** A config path as reasons show it: with its file:line:column when the config file is known. */
  at: (where: string) => string;
  /** Plain paths read by personal fields, for taking them out of dead letters. */
  personalPaths: string[];
}

const MAX_SHOWN = 80;
function show(v: unknown, sensitive: boolean): string {
  if (sensitive) return '(value not shown: personal data)';
  let text: string;
  if (v instanceof Date) text = v.toISOString();
  else if (typeof v === 'string') text = JSON.stringify(v);
  else {
    try {
      text = JSON.stringify(v) ?? String(v);
    } catch {
      text = String(v);
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

const isEmpty = (v: unknown): boolean => v === undefined || v === null || v === '';

const titleCase = (s: string): string => s.toLowerCase().replace(/(^|[\s\-'(/])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase());

/** "1,234.5", " 42 " → number; undefined when it is not a number. */
function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = v.replace(/[,\s]/g, '');
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
    return Number(t);
  }
  return undefined;
}

function configError(where: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError(`${where}: ${message}`, { cause, context: { field: where } });
}

function compileJsonata(text: string, where: string): jsonata.Expression {
  try {
    return jsonata(text);
  } catch (e) {
    const err = e as { message?: string; position?: number };
    throw configError(where, `invalid JSONata expression ${JSON.stringify(text)}: ${err.message ?? String(e)}${err.position !== undefined ? ` (at character ${err.position})` : ''}`, e);
  }
}

function compileSource(spec: Exclude<ValueSpec, string>, info: FieldInfo, st: CompileState): Getter | undefined {
  const given = (['path', 'const', 'template', 'jsonata', 'first'] as const).filter((k) => spec[k] !== undefined);
  if (given.length > 1) throw configError(info.where, `give only one of path, const, template, jsonata or first (found ${given.join(', ')})`);
  const sink = info.sensitive ? st.personalPaths : undefined;
  if (spec.path !== undefined) return pathGetter(spec.path, info.where, sink);
  if (spec.const !== undefined) {
    const c = spec.const;
    return () => c;
  }
  if (spec.template !== undefined) return templateGetter(spec.template, info.where, sink);
  if (spec.jsonata !== undefined) {
    const idx = st.jsonata.length;
    st.jsonata.push({ expr: compileJsonata(spec.jsonata, `${info.where}.jsonata`), text: spec.jsonata, field: info.field, where: st.at(`${info.where}.jsonata`) });
    return (env) => leafValue(env.j?.[idx]);
  }
  if (spec.first !== undefined) {
    const subs = spec.first.map((s, i) => compileValue(s, { ...info, where: `${info.where}.first[${i}]` }, 'any', st));
    return (env) => {
      for (const g of subs) {
        const v = g(env);
        if (!isEmpty(v)) return v;
      }
      return undefined;
    };
  }
  return undefined;
}

function pathGetter(path: string, where: string, sink?: string[]): Getter {
  try {
    const g = compilePath(path);
    sink?.push(path);
    return (env) => g(env.raw);
  } catch (e) {
    if (e instanceof PathSyntaxError) throw configError(where, e.message, e);
    throw e;
  }
}

/** "{Street}, {Town}": placeholders are paths; `{{` and `}}` are literal braces. */
function templateGetter(template: string, where: string, sink?: string[]): Getter {
  const parts: (string | Getter)[] = [];
  const re = /\{\{|\}\}|\{([^{}]+)\}/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(template))) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    if (m[0] === '{{') parts.push('{');
    else if (m[0] === '}}') parts.push('}');
    else parts.push(pathGetter(m[1]!.trim(), `${where}.template`, sink));
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  if (!parts.some((p) => typeof p === 'function')) throw configError(where, `template ${JSON.stringify(template)} has no {placeholder}; use const for fixed text`);
  return (env) => {
    let out = '';
    let any = false;
    for (const p of parts) {
      if (typeof p === 'string') out += p;
      else {
        let v = p(env);
        if (typeof v === 'string') v = v.trim();
        if (!isEmpty(v)) {
          any = true;
          out += v instanceof Date ? v.toISOString() : String(v);
        }
      }
    }
    return any ? out : undefined;
  };
}

function compileValue(spec: ValueSpec, info: FieldInfo, kind: Kind, st: CompileState): Getter {
  const s: Exclude<ValueSpec, string> = typeof spec === 'string' ? { path: spec } : spec;
  const source = compileSource(s, info, st);
  if (!source && s.default === undefined) throw configError(info.where, 'needs one of path, const, template, jsonata or first (or at least a default)');
  const src: Getter = source ?? (() => undefined);
  const trim = s.trim !== false;
  const nullIf = s.nullIf?.length ? new Set(s.nullIf.map((x) => (trim ? x.trim() : x))) : undefined;
  const fold = s.case === 'upper' ? (x: string) => x.toUpperCase() : s.case === 'lower' ? (x: string) => x.toLowerCase() : s.case === 'title' ? titleCase : undefined;
  const dflt = s.default;
  const wantNumber = s.number === true || kind === 'number';
  let date: CompiledDate | undefined;
  if (s.date !== undefined || kind === 'date') {
    const spec = s.date ?? 'iso';
    const formats = typeof spec === 'string' ? [spec] : Array.isArray(spec.format) ? spec.format : [spec.format];
    const zone = typeof spec === 'string' ? st.zone : (spec.zone ?? st.zone);
    try {
      date = compileDate(formats, zone, st.clockChange);
    } catch (e) {
      throw configError(`${info.where}.date`, (e as Error).message, e);
    }
  }
  const textZone = zoneFor(st.zone);
  const { field, sensitive } = info;
  const where = st.at(info.where);

  return (env) => {
    let v = src(env);
    if (typeof v === 'string') {
      if (trim) v = v.trim();
      if (nullIf?.has(v as string)) v = undefined;
      else if (fold) v = fold(v as string);
    } else if (nullIf && (typeof v === 'number' || typeof v === 'boolean') && nullIf.has(String(v))) v = undefined;
    if (isEmpty(v)) {
      if (dflt === undefined) return undefined;
      v = dflt;
    }
    if (wantNumber) {
      const n = toNumber(v);
      if (n === undefined) throw new Rejection('bad_number', field, `${field}: ${show(v, sensitive)} is not a number (${where})`);
      v = n;
    }
    if (date) {
      const iso = date.parse(v);
      const cc = date.lastClockChange();
      if (iso === undefined) {
        if (cc?.resolution === 'reject') throw clockChangeRejection(cc, field, sensitive ? undefined : show(v, false), date, where, st.clockChangeAt);
        throw new Rejection('bad_date', field, `${field}: ${show(v, sensitive)} does not match date format ${date.describe} (${where})`);
      }
      if (cc) (env.clock ??= []).push({ field, kind: cc.kind, resolution: cc.resolution as ClockChangeApplied['resolution'], ...(!sensitive && { local: cc.local }) });
      v = iso;
    }
    if (kind === 'text') {
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
      if (v instanceof Date) return formatInZone(v.getTime(), textZone);
      throw new Rejection('not_a_value', field, `${field}: expected a single value but the path gives ${Array.isArray(v) ? 'a list' : 'an object'} ${show(v, sensitive)}; point the path at a field inside it (${where})`);
    }
    return v;
  };
}

/** The record paths a value reads, for comparing what personal and public rules touch. */
function pathsOf(spec: ValueSpec): string[] {
  if (typeof spec === 'string') return [spec];
  const out: string[] = [];
  if (spec.path !== undefined) out.push(spec.path);
  if (spec.template !== undefined) for (const m of spec.template.matchAll(/\{([^{}]+)\}/g)) out.push(m[1]!.trim());
  for (const f of spec.first ?? []) out.push(...pathsOf(f));
  return out;
}

/** A dead letter for a local time the mapping's clock-change policy refuses to guess. */
function clockChangeRejection(cc: ClockChangeNote, field: string, shown: string | undefined, date: CompiledDate, where: string, policyAt: string): Rejection {
  // A personal field's value never appears in a reason, not even as the instants it could be.
  const what = shown === undefined ? `${field}: the value (not shown: personal data) is a local time in ${date.zone.name}` : `${field}: ${shown} is ${cc.local.replace('T', ' ')} in ${date.zone.name}`;
  if (cc.kind === 'ambiguous') {
    const [a, b] = cc.candidates!;
    const which = shown === undefined ? '' : ` (${formatInZone(a, date.zone)} or ${formatInZone(b, date.zone)})`;
    return new Rejection('ambiguous_time', field, `${what}, which happens twice as the clocks go back${which}; clockChange.ambiguous is reject (${policyAt}; value from ${where})`);
  }
  return new Rejection('nonexistent_time', field, `${what}, which never happens: the clocks go forward over it; clockChange.nonexistent is reject (${policyAt}; value from ${where})`);
}

interface LookupTable<E> {
  name: string;
  get(code: string): E | undefined;
  fallback: E | undefined;
}

function lookupTable<E>(name: string, kind: Lookup['kind'], tables: Record<string, Lookup>, where: string): LookupTable<E> {
  const t = tables[name];
  if (!t) throw configError(where, `lookup table "${name}" is not defined under lookups or mapping.lookups (have: ${Object.keys(tables).join(', ') || 'none'})`);
  if (t.kind !== kind) throw configError(where, `lookup table "${name}" is a ${t.kind} table; expected a ${kind} table`);
  const ci = t.caseInsensitive === true;
  const map = new Map<string, E>();
  for (const [k, v] of Object.entries(t.entries)) map.set(ci ? k.trim().toUpperCase() : k.trim(), v as E);
  return { name, get: ci ? (c) => map.get(c.toUpperCase()) : (c) => map.get(c), fallback: t.default as E | undefined };
}

/** Sets only defined values, so snapshots compare and serialise without undefined keys. */
function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

const asText = (v: unknown): string | undefined => (v === undefined ? undefined : (v as string));
const asNumber = (v: unknown): number | undefined => (v === undefined ? undefined : (v as number));

export const compileMapping: CompileMapping = (input, ctx: MappingContext): Normalizer => {
  const base = ctx.configPath ?? 'mapping';
  const parsed = Mapping.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw configError(`${base}${i.path.length ? '.' + i.path.join('.') : ''}`, i.message);
  }
  const m = parsed.data;
  try {
    zoneFor(m.timezone);
  } catch (e) {
    throw configError(`${base}.timezone`, (e as Error).message, e);
  }
  const at = (where: string): string => {
    const pos = ctx.locate?.(where);
    return pos ? `${where} at ${ctx.configFile ?? 'the config'}:${pos.line}:${pos.column}` : where;
  };
  const clockChange: ClockChangePolicy = { ...DEFAULT_CLOCK_CHANGE, ...m.clockChange };
  const st: CompileState = { zone: m.timezone, clockChange, clockChangeAt: at(`${base}.clockChange`), jsonata: [], personalPaths: [], at };
  const val = (spec: ValueSpec | undefined, field: string, where: string, kind: Kind, sensitive = false): Getter | undefined =>
    spec === undefined ? undefined : compileValue(spec, { field, where: `${base}.${where}`, sensitive }, kind, st);
  const tables: Record<string, Lookup> = { ...(ctx.sharedLookups ?? {}), ...(m.lookups ?? {}) };

  const reference = val(m.reference, 'case.reference', 'reference', 'text')!;
  const supplierId = val(m.supplierId, 'case.supplierId', 'supplierId', 'text');
  const description = val(m.description, 'case.description', 'description', 'text');
  const statusCode = val(m.status.code, 'case.status.code', 'status.code', 'text')!;
  const statusLabel = val(m.status.label, 'case.status.label', 'status.label', 'text');
  const statusTable = lookupTable<StatusLookupEntry>(m.status.lookup, 'status', tables, `${base}.status.lookup`);
  const svc = m.service;
  const serviceCode = val(svc.code, 'case.service.code', 'service.code', 'text');
  const serviceName = val(svc.name, 'case.service.name', 'service.name', 'text');
  const serviceCategory = val(svc.category, 'case.service.category', 'service.category', 'text');
  const serviceLgsl = val(svc.lgsl, 'case.service.lgsl', 'service.lgsl', 'number');
  const serviceTable = svc.lookup === undefined ? undefined : lookupTable<ServiceLookupEntry>(svc.lookup, 'service', tables, `${base}.service.lookup`);
  if (serviceTable && !serviceCode) throw configError(`${base}.service.lookup`, 'a service lookup needs service.code to look up');
  const openedAt = val(m.openedAt, 'case.openedAt', 'openedAt', 'date');
  const updatedAt = val(m.updatedAt, 'case.updatedAt', 'updatedAt', 'date');
  const dueAt = val(m.dueAt, 'case.dueAt', 'dueAt', 'date');
  const closedAt = val(m.closedAt, 'case.closedAt', 'closedAt', 'date');
  const loc = m.location;
  const L = loc && {
    uprn: val(loc.uprn, 'location.uprn', 'location.uprn', 'text'),
    usrn: val(loc.usrn, 'location.usrn', 'location.usrn', 'text'),
    address: val(loc.address, 'location.address', 'location.address', 'text'),
    postcode: val(loc.postcode, 'location.postcode', 'location.postcode', 'text'),
    latitude: val(loc.latitude, 'location.latitude', 'location.latitude', 'number'),
    longitude: val(loc.longitude, 'location.longitude', 'location.longitude', 'number'),
    easting: val(loc.easting, 'location.easting', 'location.easting', 'number'),
    northing: val(loc.northing, 'location.northing', 'location.northing', 'number'),
  };
  if (loc && (loc.easting === undefined) !== (loc.northing === undefined)) {
    throw configError(`${base}.location`, 'give both easting and northing, or neither');
  }
  const dropInvalidLocation = loc?.onInvalid === 'omit';

  const names = new Set<string>();
  const personal: { name: string; get: Getter; mode: 'hash' | 'redact' | 'include' }[] = [];
  (m.personal ?? []).forEach((p, i) => {
    const where = `personal[${i}]`;
    if (names.has(p.name)) throw configError(`${base}.${where}.name`, `personal field "${p.name}" is listed twice`);
    names.add(p.name);
    // Compiled even when omitted, so a broken rule is found at start-up, but never evaluated.
    const get = val(p.value, `personal.${p.name}`, `${where}.value`, 'text', true)!;
    if (p.mode === 'omit') return;
    if (p.mode === 'hash' && !m.personalSalt) throw configError(`${base}.personalSalt`, `personal field "${p.name}" is hashed, which needs personalSalt (use a \${env:…} or \${file:…} reference)`);
    personal.push({ name: p.name, get, mode: p.mode });
  });
  const salt = m.personalSalt ?? '';

  const closureCode = m.closureReason && val(m.closureReason.code, 'case.closureReason.supplierCode', 'closureReason.code', 'text')!;
  const closureTable = m.closureReason && lookupTable<ClosureLookupEntry>(m.closureReason.lookup, 'closure', tables, `${base}.closureReason.lookup`);
  // Listing a field under publicNotes is what marks it public, so a field also mapped as personal
  // is a contradiction caught at start-up rather than a resident's details on a public page.
  const personalRead = new Set((m.personal ?? []).flatMap((p) => pathsOf(p.value)));
  (m.publicNotes ?? []).forEach((n, i) => {
    const clash = pathsOf(n.text).find((p) => personalRead.has(p));
    if (clash) throw configError(`${base}.publicNotes[${i}].text`, `field "${clash}" is mapped under personal, so it cannot also be a public note`);
  });
  const notes = (m.publicNotes ?? []).map((n, i) => ({
    text: val(n.text, `case.publicNotes[${i}].text`, `publicNotes[${i}].text`, 'text')!,
    at: val(n.at, `case.publicNotes[${i}].at`, `publicNotes[${i}].at`, 'date'),
  }));
  const media = (m.media ?? []).map((x, i) => ({
    url: val(x.url, `case.media[${i}].url`, `media[${i}].url`, 'text')!,
    caption: val(x.caption, `case.media[${i}].caption`, `media[${i}].caption`, 'text'),
  }));
  const related = (m.relatedReferences ?? []).map((r, i) => ({ system: r.system, reference: val(r.reference, `case.relatedReferences[${i}].reference`, `relatedReferences[${i}].reference`, 'text')! }));

  const system = { supplier: ctx.system.supplier, ...(ctx.system.product ? { product: ctx.system.product } : {}), connector: ctx.connector };
  // Reasons name where their rule is; worked out once, not per record.
  const shown = {
    reference: at(`${base}.reference`),
    statusCode: at(`${base}.status.code`),
    statusLookup: at(`${base}.status.lookup`),
    uprn: at(`${base}.location.uprn`),
    usrn: at(`${base}.location.usrn`),
    postcode: at(`${base}.location.postcode`),
    grid: at(`${base}.location.easting`),
    filter: at(`${base}.filter`),
    closureLookup: at(`${base}.closureReason.lookup`),
  };

  function buildClosure(env: Env, lifecycle: StatusLookupEntry['status']): ClosureReason | undefined {
    if (!closureCode || !closureTable || !TERMINAL_STATUSES.includes(lifecycle)) return undefined;
    const code = asText(closureCode(env));
    if (code === undefined) return undefined;
    const entry = closureTable.get(code) ?? closureTable.fallback;
    if (!entry) {
      throw new Rejection(
        'unknown_closure_reason',
        'case.closureReason.supplierCode',
        `unknown closure code ${JSON.stringify(code)} in lookup table "${closureTable.name}" (${shown.closureLookup}); add it to the table or give the table a default`,
      );
    }
    const e = typeof entry === 'string' ? { code: entry } : entry;
    return { code: e.code, supplierCode: code, ...(e.label !== undefined && { label: e.label }) };
  }

  function buildResidentParts(env: Env): Pick<CaseSnapshotT['case'], 'publicNotes' | 'media' | 'relatedReferences'> {
    const out: Pick<CaseSnapshotT['case'], 'publicNotes' | 'media' | 'relatedReferences'> = {};
    for (const n of notes) {
      const text = asText(n.text(env));
      if (text === undefined) continue;
      const at = asText(n.at?.(env));
      (out.publicNotes ??= []).push({ text, ...(at !== undefined && { at }) });
    }
    for (const x of media) {
      const url = asText(x.url(env));
      if (url === undefined) continue;
      const caption = asText(x.caption?.(env));
      (out.media ??= []).push({ url, ...(caption !== undefined && { caption }) });
    }
    for (const r of related) {
      const reference = asText(r.reference(env));
      if (reference !== undefined) (out.relatedReferences ??= []).push({ system: r.system, reference });
    }
    return out;
  }

  const locationReject = (code: string, field: string, reason: string): void => {
    if (!dropInvalidLocation) throw new Rejection(code, field, reason);
  };

  function buildLocation(env: Env): CaseSnapshotT['location'] {
    if (!L) return undefined;
    const out: NonNullable<CaseSnapshotT['location']> = {};
    const uprnRaw = L.uprn?.(env);
    if (uprnRaw !== undefined) {
      const c = checkUprn(uprnRaw);
      if (c.ok) put(out, 'uprn', c.value);
      else locationReject('bad_uprn', 'location.uprn', `location.uprn: ${show(uprnRaw, false)} is not ${c.expected} (${shown.uprn})`);
    }
    const usrnRaw = L.usrn?.(env);
    if (usrnRaw !== undefined) {
      const c = checkUsrn(usrnRaw);
      if (c.ok) put(out, 'usrn', c.value);
      else locationReject('bad_usrn', 'location.usrn', `location.usrn: ${show(usrnRaw, false)} is not ${c.expected} (${shown.usrn})`);
    }
    put(out, 'address', asText(L.address?.(env)));
    const pcRaw = asText(L.postcode?.(env));
    if (pcRaw !== undefined) {
      const pc = normalisePostcode(pcRaw);
      if (pc) out.postcode = pc;
      else locationReject('bad_postcode', 'location.postcode', `location.postcode: ${show(pcRaw, false)} is not a UK postcode such as "SW1A 1AA" (${shown.postcode})`);
    }
    const lat = asNumber(L.latitude?.(env));
    const lon = asNumber(L.longitude?.(env));
    put(out, 'latitude', lat);
    put(out, 'longitude', lon);
    const e = asNumber(L.easting?.(env));
    const n = asNumber(L.northing?.(env));
    // 0,0 is the usual "no coordinates" placeholder (it is in the sea off the Scilly Isles).
    if (e !== undefined && n !== undefined && !(e === 0 && n === 0)) {
      if (!isOnGrid(e, n)) {
        locationReject('bad_grid_reference', 'location.easting', `location.easting/northing: ${e}, ${n} is outside the British National Grid (easting 0–700000, northing 0–1300000) (${shown.grid})`);
      } else {
        out.easting = e;
        out.northing = n;
        if (lat === undefined && lon === undefined) Object.assign(out, bngToWgs84(e, n));
      }
    }
    return Object.keys(out).length ? out : undefined;
  }

  const accept = snapshotQuickAccept();
  function core(record: SourceRecord, j: unknown[] | undefined): NormalizeResult {
    const env: Env = { raw: record.raw, j };
    try {
      const ref = asText(reference(env));
      if (ref === undefined) throw new Rejection('missing_reference', 'case.reference', `case.reference: the record has no value for it (${shown.reference})`);
      const code = asText(statusCode(env));
      if (code === undefined) throw new Rejection('missing_status', 'case.status.code', `case.status.code: the record has no value for it (${shown.statusCode})`);
      const entry = statusTable.get(code) ?? statusTable.fallback;
      if (!entry) {
        throw new Rejection(
          'unknown_status',
          'case.status.code',
          `unknown status code ${JSON.stringify(code)} in lookup table "${statusTable.name}" (${shown.statusLookup}); add it to the table or give the table a default`,
        );
      }
      const status: CaseSnapshotT['case']['status'] = { lifecycle: entry.status, code };
      put(status, 'label', asText(statusLabel?.(env)));
      put(status, 'publicLabel', entry.label);

      const service: CaseSnapshotT['case']['service'] = {};
      const sCode = asText(serviceCode?.(env));
      put(service, 'code', sCode);
      const sEntry = serviceTable && sCode !== undefined ? serviceTable.get(sCode) : undefined;
      const sDefault = serviceTable?.fallback;
      put(service, 'name', sEntry?.name ?? asText(serviceName?.(env)) ?? sDefault?.name);
      put(service, 'category', sEntry?.category ?? asText(serviceCategory?.(env)) ?? sDefault?.category);
      put(service, 'lgsl', sEntry?.lgsl ?? asNumber(serviceLgsl?.(env)) ?? sDefault?.lgsl);

      const upd = asText(updatedAt?.(env));
      const sid = asText(supplierId?.(env));
      const desc = asText(description?.(env));
      const opened = asText(openedAt?.(env));
      const due = asText(dueAt?.(env));
      const closed = asText(closedAt?.(env));
      const location = buildLocation(env);
      const closureReason = buildClosure(env, entry.status);
      const residentParts = buildResidentParts(env);
      let personalOut: Record<string, string> | undefined;
      for (const p of personal) {
        const v = asText(p.get(env));
        // A dead letter replayed as it was kept: its personal fields are gone, not "[personal data removed]".
        if (v === undefined || v.toLowerCase().includes(PERSONAL_DATA_REMOVED)) continue;
        personalOut ??= {};
        personalOut[p.name] = p.mode === 'include' ? v : p.mode === 'redact' ? '[REDACTED]' : `hmac-sha256:${createHmac('sha256', salt).update(v).digest('hex')}`;
      }
      // Built in the schema's key order, without undefined keys, so serialised snapshots read
      // naturally and compare equal.
      const snapshot: CaseSnapshotT = {
        council: ctx.council,
        system,
        case: {
          reference: ref,
          ...(sid !== undefined && { supplierId: sid }),
          service,
          status,
          ...(desc !== undefined && { description: desc }),
          ...(opened !== undefined && { openedAt: opened }),
          updatedAt: upd ?? record.fetchedAt,
          ...(due !== undefined && { dueAt: due }),
          ...(closed !== undefined && { closedAt: closed }),
          ...(closureReason !== undefined && { closureReason }),
          ...residentParts,
        },
        ...(location !== undefined && { location }),
        provenance: {
          connector: ctx.connector,
          position: record.position,
          fetchedAt: record.fetchedAt,
          updatedAtSource: upd === undefined ? 'observed' : 'supplier',
          ...(env.clock !== undefined && { clockChange: env.clock }),
        },
        ...(personalOut !== undefined && { personal: personalOut }),
      };

      // The snapshot is built here, so a valid one needs no copy: zod parses only what the quick
      // check cannot vouch for, and words every rejection.
      if (accept?.(snapshot)) return { kind: 'case', snapshot };
      const checked = CaseSnapshot.safeParse(snapshot);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        const path = issue.path.map(String).join('.');
        let value: unknown = snapshot;
        for (const k of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey];
        const sensitive = issue.path[0] === 'personal';
        return { kind: 'reject', code: 'invalid_case', field: path, reason: `${path}: ${show(value, sensitive)} — ${issue.message}${checked.error.issues.length > 1 ? ` (and ${checked.error.issues.length - 1} more problem(s))` : ''}` };
      }
      return { kind: 'case', snapshot: checked.data };
    } catch (e) {
      if (e instanceof Rejection) return { kind: 'reject', code: e.code, field: e.field, reason: e.reason };
      throw e;
    }
  }

  const filter = m.filter === undefined ? undefined : compileJsonata(m.filter, `${base}.filter`);
  const exprs = st.jsonata;
  // Every personal field, whatever its mode: `include` is for events, not for the dead-letter topic.
  const redactPersonal = compileRedactor(st.personalPaths);
  if (!filter && exprs.length === 0) return Object.assign((record: SourceRecord) => core(record, undefined), { redactPersonal });

  const withJsonata = async (record: SourceRecord): Promise<NormalizeResult> => {
    if (filter) {
      let keep: unknown;
      try {
        keep = await filter.evaluate(record.raw);
      } catch (e) {
        return { kind: 'reject', code: 'jsonata_error', field: 'filter', reason: `filter: the JSONata expression failed: ${(e as Error).message} (${shown.filter})` };
      }
      if (keep !== true) return { kind: 'skip', reason: `filter ${JSON.stringify(m.filter)} is not true for this record` };
    }
    const j: unknown[] = [];
    for (const x of exprs) {
      try {
        j.push(await x.expr.evaluate(record.raw));
      } catch (e) {
        return { kind: 'reject', code: 'jsonata_error', field: x.field, reason: `${x.field}: the JSONata expression failed: ${(e as Error).message} (${x.where})` };
      }
    }
    return core(record, j);
  };
  // A filter of plain comparisons needs no JSONata per row, and so no promise per row either.
  const simple = filter && exprs.length === 0 ? compileSimpleFilter(filter) : undefined;
  if (simple) {
    const skip: NormalizeResult = { kind: 'skip', reason: `filter ${JSON.stringify(m.filter)} is not true for this record` };
    return Object.assign(
      (record: SourceRecord): NormalizeResult | Promise<NormalizeResult> => {
        const keep = simple(record.raw);
        if (keep === FALLBACK) return withJsonata(record);
        return keep === true ? core(record, undefined) : { ...skip };
      },
      { redactPersonal },
    );
  }
  return Object.assign(withJsonata, { redactPersonal });
};
