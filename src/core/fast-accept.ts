/**
 * A zod schema's quick yes: the schema's own JSON Schema (z.toJSONSchema), compiled by Ajv, says
 * whether a value is certainly valid, without building zod's copy of it. Parsing a case snapshot
 * with zod cost about 2.7 µs and a copy of every object in it, the largest single share of what a
 * CSV → Kafka run allocates (issue #16); Ajv answers in about 0.35 µs and allocates nothing.
 *
 * zod stays the judge. The quick path may only say "valid, and zod's output would equal the
 * input", so it is built only when every part of the schema is one whose JSON Schema means exactly
 * what zod checks and whose zod output is its input: strict objects, strings, numbers, booleans,
 * enums, literals, arrays, records, unions, optional and nullable. A check it cannot render exactly
 * (a URL, a refinement, a regex with flags, multipleOf) becomes `not: {}`, so a value that reaches
 * it goes to zod; a part that changes its output (a transform, a default, a stripping object) means
 * no quick path at all. Anything the quick path refuses, zod parses, so errors read as before.
 * tests/core/fast-accept.test.ts compares the two on thousands of mutated snapshots.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';

/** zod 4's definition of a schema node, as far as this module reads it. */
interface ZodDef {
  type: string;
  format?: string;
  pattern?: RegExp;
  checks?: { _zod: { def: ZodDef & { check: string } } }[];
  catchall?: { _zod: { def: ZodDef } };
}

/** Types whose zod output is the input itself when the input is valid. */
const SAME_OUTPUT = new Set(['object', 'string', 'number', 'boolean', 'enum', 'literal', 'array', 'record', 'union', 'optional', 'nullable', 'null']);
/** String formats that zod checks with nothing but the regex it writes into the JSON Schema. */
const REGEX_FORMATS = new Set(['datetime', 'date']);
/** Lengths: both count a string's code points (an emoji is one), and an array's items. */
const EXACT_CHECKS = new Set(['greater_than', 'less_than', 'min_length', 'max_length', 'length_equals']);

function exactCheck(def: ZodDef & { check?: string }): boolean {
  if (def.check === undefined) return true;
  if (EXACT_CHECKS.has(def.check)) return true;
  if (def.check === 'number_format') return def.format === 'safeint';
  if (def.check === 'string_format') {
    if (def.format === 'regex') return def.pattern !== undefined && def.pattern.flags === '';
    return def.format !== undefined && REGEX_FORMATS.has(def.format);
  }
  return false;
}

export type QuickAccept = (value: unknown) => boolean;

/**
 * A function that returns true only for values zod would accept and return unchanged; false means
 * "ask zod". undefined when the schema has a part whose output differs from its input.
 */
export function compileQuickAccept(schema: z.ZodType): QuickAccept | undefined {
  let usable = true;
  const json = z.toJSONSchema(schema, {
    target: 'draft-7',
    unrepresentable: 'any',
    override(ctx) {
      const def = (ctx.zodSchema as unknown as { _zod: { def: ZodDef } })._zod.def;
      if (!SAME_OUTPUT.has(def.type)) usable = false;
      // zod's default object strips unknown keys (its output differs); only strict ones qualify.
      if (def.type === 'object' && def.catchall?._zod.def.type !== 'never') usable = false;
      const exact = exactCheck(def) && (def.checks ?? []).every((c) => exactCheck(c._zod.def));
      if (!exact) {
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
        (ctx.jsonSchema as Record<string, unknown>)['not'] = {};
      }
    },
  });
  if (!usable) return undefined;
  const ajv = new Ajv({
    strict: false,
    // zod's numbers are finite, and its regexes have no `u` flag.
    strictNumbers: true,
    unicodeRegExp: false,
    // Formats are checked by the pattern zod writes beside them.
    validateFormats: false,
    allErrors: false,
  });
  const validate: ValidateFunction = ajv.compile(json);
  return (value) => validate(value) === true;
}
