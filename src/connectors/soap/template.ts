/**
 * Argument templates: `{ LastUpdated: "{{since}}", PageNumber: "{{page}}" }` or an XML envelope
 * file with the same placeholders. A string that is exactly one placeholder keeps the value's type
 * (a page number stays a number); placeholders inside longer text are rendered as text. In XML
 * envelopes every value is escaped, except `{{security}}` which is the WS-Security header we built.
 */
import { escapeXmlText } from '../shared/xml-safety/index.js';
import { scalarText, selectOne } from './path.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z][\w]*(?:\.[^{}\s]+)?)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z][\w]*(?:\.[^{}\s]+)?)\s*\}\}$/;

export type TemplateVars = Record<string, unknown>;

export class MissingTemplateValue extends Error {
  constructor(readonly placeholder: string) {
    super(`no value for {{${placeholder}}}`);
  }
}

/** Every placeholder used anywhere in a template (object or text). */
export function placeholdersIn(template: unknown, out = new Set<string>()): Set<string> {
  if (typeof template === 'string') for (const m of template.matchAll(PLACEHOLDER)) out.add(m[1] as string);
  else if (Array.isArray(template)) for (const t of template) placeholdersIn(t, out);
  else if (template && typeof template === 'object') for (const v of Object.values(template)) placeholdersIn(v, out);
  return out;
}

/** `item.Foo.Bar` looks inside the current list item; anything else is a plain variable. */
function lookup(name: string, vars: TemplateVars): unknown {
  const dot = name.indexOf('.');
  if (dot < 0) return vars[name];
  const root = vars[name.slice(0, dot)];
  return selectOne(root, name.slice(dot + 1));
}

function asText(name: string, vars: TemplateVars): string {
  const v = lookup(name, vars);
  const text = scalarText(v);
  if (text === undefined) throw new MissingTemplateValue(name);
  return text;
}

export function renderArgs(template: unknown, vars: TemplateVars): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) {
      const v = lookup(whole[1] as string, vars);
      if (v === undefined || v === null) throw new MissingTemplateValue(whole[1] as string);
      return typeof v === 'object' ? asText(whole[1] as string, vars) : v;
    }
    return template.replace(PLACEHOLDER, (_m, name: string) => asText(name, vars));
  }
  if (Array.isArray(template)) return template.map((t) => renderArgs(t, vars));
  if (template && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) out[k] = renderArgs(v, vars);
    return out;
  }
  return template;
}

export function renderXml(template: string, vars: TemplateVars): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => {
    if (name === 'security') return typeof vars.security === 'string' ? vars.security : '';
    return escapeXmlText(asText(name, vars));
  });
}
