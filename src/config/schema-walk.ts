/**
 * Finds which keys a strict object accepts at a given config path, by walking the zod schema
 * alongside the data (choosing discriminated-union branches by the data's `type`). Used for
 * "did you mean" hints and for listing valid connector types.
 */
import type { z } from 'zod';

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(s);
    if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)) s = def.innerType as z.ZodType;
    else if (def.type === 'pipe') s = def.in as z.ZodType;
    else if (def.type === 'lazy') s = (def.getter as () => z.ZodType)();
    else return s;
  }
  return s;
}

function objectOptions(schema: z.ZodType, data: unknown): z.ZodType[] {
  const s = unwrap(schema);
  const def = defOf(s);
  if (def.type === 'union') {
    const options = def.options as z.ZodType[];
    const disc = def.discriminator as string | undefined;
    if (disc && data && typeof data === 'object') {
      const v = (data as Record<string, unknown>)[disc];
      const match = options.filter((o) => {
        const d = defOf(unwrap(o));
        const lit = d.type === 'object' ? (d.shape as Record<string, z.ZodType>)[disc] : undefined;
        return lit && (defOf(unwrap(lit)).values as unknown[] | undefined)?.includes(v);
      });
      if (match.length) return match.flatMap((m) => objectOptions(m, data));
    }
    return options.flatMap((o) => objectOptions(o, data));
  }
  return [s];
}

function discriminatorValues(schema: z.ZodType): string[] {
  const def = defOf(unwrap(schema));
  if (def.type !== 'union' || !def.discriminator) return [];
  const disc = def.discriminator as string;
  return (def.options as z.ZodType[]).flatMap((o) => {
    const d = defOf(unwrap(o));
    const lit = d.type === 'object' ? (d.shape as Record<string, z.ZodType>)[disc] : undefined;
    return lit ? ((defOf(unwrap(lit)).values as unknown[]) ?? []).map(String) : [];
  });
}

export function knownKeysAt(root: z.ZodType, data: unknown, path: readonly PropertyKey[]): string[] {
  let schemas: z.ZodType[] = [root];
  let cur: unknown = data;
  for (const seg of path) {
    if (seg === '__discriminator__') return [...new Set(schemas.flatMap(discriminatorValues))];
    const next: z.ZodType[] = [];
    for (const s of schemas) {
      for (const o of objectOptions(s, cur)) {
        const def = defOf(o);
        if (def.type === 'object') {
          const child = (def.shape as Record<string, z.ZodType>)[String(seg)];
          if (child) next.push(child);
        } else if (def.type === 'array' && typeof seg === 'number') next.push(def.element as z.ZodType);
        else if (def.type === 'record') next.push(def.valueType as z.ZodType);
      }
    }
    schemas = next;
    cur = cur && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[seg] : undefined;
  }
  const keys = new Set<string>();
  for (const s of schemas) for (const o of objectOptions(s, cur)) {
    const def = defOf(o);
    if (def.type === 'object') for (const k of Object.keys(def.shape as object)) keys.add(k);
  }
  return [...keys];
}
