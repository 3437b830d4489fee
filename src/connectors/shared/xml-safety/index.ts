/**
 * Safe XML handling for every connector that reads XML from a supplier (SOAP polling, raw SOAP,
 * push receivers, XML file drops). Suppliers are not attackers, but a compromised or misconfigured
 * one must not be able to make us read local files (external entities), exhaust memory (entity
 * expansion, huge bodies) or pollute Object.prototype (elements named `__proto__`).
 *
 * Policy, the same whichever parser runs afterwards:
 *  - a document with a DTD (`<!DOCTYPE`, `<!ENTITY`) is refused before parsing: SOAP 1.1/1.2 forbid
 *    DTDs in messages, so a legitimate response never has one, and refusing it removes every entity
 *    attack at once whatever the parser would have done;
 *  - an element or attribute named `__proto__`, `constructor` or `prototype` is refused;
 *  - fast-xml-parser runs with entity processing off; only the five predefined XML entities and
 *    numeric character references are decoded, in one pass by us (nothing can expand recursively);
 *  - the parsed tree is copied into fresh plain objects holding own properties only, with a depth
 *    limit, so nothing a parser left on a prototype chain reaches the mapping.
 * Size limits belong to the transport (axios maxContentLength) and are enforced before any of this.
 */
import { XMLParser } from 'fast-xml-parser';
import { SourceError, type ErrorContext } from '../../../core/errors.js';

export const UNSAFE_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** Key under which XML attributes of an element are grouped, in both SOAP modes. */
export const ATTRIBUTES_KEY = '$attributes';
/** Key holding an element's text when it also has attributes. */
export const VALUE_KEY = '$value';

const DTD = /<!\s*(DOCTYPE|ENTITY)/i;
const UNSAFE_ELEMENT = /<\/?\s*(?:[A-Za-z_][\w.-]*:)?(__proto__|constructor|prototype)(?=[\s/>])/;
const UNSAFE_ATTRIBUTE = /\s(?:[A-Za-z_][\w.-]*:)?(__proto__|constructor|prototype)\s*=/;

export class UnsafeXmlError extends SourceError {
  constructor(message: string, code: string, context: ErrorContext = {}) {
    super(message, { code, retriable: false, context });
  }
}

/**
 * Refuse a document that carries a DTD or an element/attribute name that could pollute prototypes.
 * Cheap (three regex scans) and run on the raw text before any parser sees it.
 */
export function assertSafeXml(text: string, context: ErrorContext = {}): void {
  // NULs would hide "<!DOCTYPE" from the scan in a UTF-16 body read as UTF-8.
  const probe = text.includes('\u0000') ? text.replace(/\u0000/g, '') : text;
  if (DTD.test(probe)) {
    throw new UnsafeXmlError(
      'refused XML with a DTD (<!DOCTYPE or <!ENTITY): SOAP messages must not carry one, and it is how entity-expansion and external-entity attacks work; nothing was parsed',
      'xml_dtd',
      context,
    );
  }
  const el = UNSAFE_ELEMENT.exec(probe) ?? UNSAFE_ATTRIBUTE.exec(probe);
  if (el) {
    throw new UnsafeXmlError(`refused XML with an element or attribute named "${el[1]}" (prototype pollution guard); nothing was parsed`, 'xml_unsafe_name', context);
  }
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decode the five predefined entities and numeric references in one pass; anything else stays as written. */
export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (m, name: string) => {
    if (name[0] !== '#') return PREDEFINED[name] ?? m;
    const cp = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

export function escapeXmlText(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

export interface SanitizeOptions {
  /** Element names that always become arrays, even when one element came back. */
  alwaysArray?: ReadonlySet<string>;
  /** Deeper trees are refused (the parsers are iterative; our copy is not). Default 256. */
  maxDepth?: number;
}

/**
 * Copy a parsed XML tree into fresh plain objects: own enumerable properties only, unsafe names
 * dropped, functions dropped, Dates turned into ISO text, `alwaysArray` names wrapped.
 */
export function sanitizeXmlObject(value: unknown, opts: SanitizeOptions = {}, context: ErrorContext = {}): unknown {
  const maxDepth = opts.maxDepth ?? 256;
  const always = opts.alwaysArray;
  const copy = (v: unknown, depth: number): unknown => {
    if (depth > maxDepth) {
      throw new UnsafeXmlError(`refused XML nested deeper than ${maxDepth} levels`, 'xml_too_deep', context);
    }
    if (v === null || typeof v !== 'object') return typeof v === 'function' ? undefined : v;
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    if (Array.isArray(v)) return v.map((x) => copy(x, depth + 1)).filter((x) => x !== undefined);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      if (UNSAFE_NAMES.includes(key)) continue;
      let item = copy((v as Record<string, unknown>)[key], depth + 1);
      if (item === undefined) continue;
      if (always?.has(key) && !Array.isArray(item)) item = item === null ? [] : [item];
      out[key] = item;
    }
    return out;
  };
  return copy(value, 0);
}

export interface ParseXmlOptions extends SanitizeOptions {
  /** Strip namespace prefixes from element and attribute names (default true). */
  removeNamespacePrefixes?: boolean;
}

/**
 * Parse untrusted XML text into plain objects: attributes under `$attributes`, mixed text under
 * `$value`, all values as strings (no number guessing: "0001" and UPRNs stay intact).
 */
export function parseXmlSafely(text: string, opts: ParseXmlOptions = {}, context: ErrorContext = {}): Record<string, unknown> {
  assertSafeXml(text, context);
  const always = opts.alwaysArray;
  const parser = new XMLParser({
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    ignoreAttributes: false,
    attributesGroupName: ATTRIBUTES_KEY,
    attributeNamePrefix: '',
    textNodeName: VALUE_KEY,
    removeNSPrefix: opts.removeNamespacePrefixes ?? true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    tagValueProcessor: (_name, val) => decodeXmlText(val),
    attributeValueProcessor: (_name, val) => decodeXmlText(val),
    isArray: (name) => always?.has(name) ?? false,
  });
  let parsed: unknown;
  try {
    parsed = parser.parse(text, true);
  } catch (e) {
    throw new SourceError(`response is not well-formed XML: ${(e as Error).message}`, { code: 'xml_invalid', retriable: false, cause: e, context });
  }
  return sanitizeXmlObject(parsed, opts, context) as Record<string, unknown>;
}
