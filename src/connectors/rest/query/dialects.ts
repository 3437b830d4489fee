/**
 * Values written into query-language expressions as literals of that language, so that no value —
 * a since-time, a council's parameter such as `O'Brien & Sons` — can end a string early and become
 * part of the query. The expression text itself comes from the config; only values are rendered.
 * URL encoding happens afterwards, once, when the expression is put in the query string.
 */
import type { FilterDialect } from './config.js';

/** A value for a {{placeholder}}: a date-time (the since and until bounds), or a plain value. */
export type TemplateValue = { dateTime: string } | string | number | boolean | null;
export type TemplateValues = Record<string, TemplateValue | undefined>;

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
/** ISO 8601 date-time with an offset: the shape both OData and SOQL take unquoted. */
const ISO_OFFSET = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class TemplateError extends Error {}

/** OData v4 (ABNF: primitiveLiteral): strings in single quotes with ' doubled; DateTimeOffset bare. */
export function odataLiteral(v: TemplateValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return numberLiteral(v);
  if (typeof v === 'object') {
    const m = ISO_OFFSET.exec(v.dateTime);
    if (m) return `${m[1]}T${m[2]}${m[3] ?? ':00'}${m[4] ?? ''}${m[5]}`;
    return odataLiteral(v.dateTime);
  }
  return `'${v.replace(/'/g, "''")}'`;
}

/**
 * SOQL: strings in single quotes with backslash escapes (\' \" \\ \n \r \t \b \f); dateTime bare as
 * YYYY-MM-DDThh:mm:ss(Z|±hh:mm) — no fractional seconds, so they are cut (the bound moves back
 * under a second, which can only repeat a record, never miss one).
 */
export function soqlLiteral(v: TemplateValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return numberLiteral(v);
  if (typeof v === 'object') {
    const m = ISO_OFFSET.exec(v.dateTime);
    if (m) return `${m[1]}T${m[2]}${m[3] ?? ':00'}${m[5]}`;
    return soqlLiteral(v.dateTime);
  }
  const escaped = v.replace(/[\\'"\n\r\t\b\f]/g, (c) => SOQL_ESCAPES[c]!);
  return `'${escaped}'`;
}
const SOQL_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function numberLiteral(n: number): string {
  if (!Number.isFinite(n)) throw new TemplateError(`${n} cannot be written in a query`);
  return String(n);
}

export function literal(dialect: FilterDialect, v: TemplateValue): string {
  return dialect === 'odata' ? odataLiteral(v) : soqlLiteral(v);
}

/** The expression with every {{name}} replaced by the literal of its value. */
export function renderExpression(expression: string, dialect: FilterDialect, values: TemplateValues): string {
  return expression.replace(PLACEHOLDER, (_m, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(values, name)) throw new TemplateError(`unknown placeholder {{${name}}}`);
    return literal(dialect, values[name] ?? null);
  });
}

/**
 * A JSON template rendered as JSON: a string that is exactly "{{name}}" becomes the value itself
 * (a number stays a number); a placeholder inside a longer string is put into that string. The
 * result is a value that is serialised afterwards, so quotes in values can never close anything.
 */
export function renderJson(template: unknown, values: TemplateValues): unknown {
  if (typeof template === 'string') {
    const whole = /^\{\{\s*([^}]*?)\s*\}\}$/.exec(template);
    if (whole) return plain(lookup(values, whole[1]!));
    return template.replace(PLACEHOLDER, (_m, name: string) => {
      const v = plain(lookup(values, name));
      return v === null ? '' : String(v);
    });
  }
  if (Array.isArray(template)) return template.map((t) => renderJson(t, values));
  if (template && typeof template === 'object') {
    // fromEntries defines own properties: a "__proto__" key in a config stays a plain key.
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderJson(v, values)]));
  }
  return template;
}

function lookup(values: TemplateValues, name: string): TemplateValue {
  if (!Object.prototype.hasOwnProperty.call(values, name)) throw new TemplateError(`unknown placeholder {{${name}}}`);
  return values[name] ?? null;
}

function plain(v: TemplateValue): string | number | boolean | null {
  return v !== null && typeof v === 'object' ? v.dateTime : v;
}

/**
 * Put an expression (or any value) in a URL's query string. URLSearchParams writes a space as "+",
 * which OData and SOQL servers do not all read as a space; %20 is read as one by every server.
 */
export function setQueryParam(url: URL, name: string, value: string): void {
  url.searchParams.set(name, value);
  // After URLSearchParams, a literal "+" is %2B, so every "+" left is a space.
  url.search = url.search.replace(/\+/g, '%20');
}
