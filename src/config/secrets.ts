/**
 * `${env:NAME}` and `${file:PATH}` references in config strings, resolved before validation so a
 * missing secret is reported like any other config error. Resolved values are registered for log
 * redaction and never echoed in messages.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { registerSecret } from '../core/logger.js';

const REF = /\$\{(env|file):([^}]+)\}/g;

export interface RefProblem {
  path: (string | number)[];
  message: string;
}

export interface ResolveOptions {
  env: NodeJS.ProcessEnv;
  baseDir: string;
  /**
   * `validate --allow-missing-secrets`: a reference that cannot be resolved becomes this stand-in
   * (still reported as a problem, which the caller turns into a warning) so the rest can be checked.
   */
  placeholder?: (path: (string | number)[], ref: string) => string;
}

export function resolveRefs(
  value: unknown,
  opts: ResolveOptions,
  path: (string | number)[] = [],
  problems: RefProblem[] = [],
): { value: unknown; problems: RefProblem[] } {
  if (typeof value === 'string') {
    if (!value.includes('${')) return { value, problems };
    const out = value.replace(REF, (_m, kind: string, name: string) => {
      const ref = name.trim();
      if (kind === 'env') {
        const v = opts.env[ref];
        if (v === undefined || v === '') {
          problems.push({ path, message: `environment variable ${ref} is not set (referenced as \${env:${ref}})` });
          return opts.placeholder?.(path, ref) ?? '';
        }
        registerSecret(v);
        return v;
      }
      const file = isAbsolute(ref) ? ref : resolve(opts.baseDir, ref);
      try {
        const v = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
        registerSecret(v);
        return v;
      } catch (e) {
        problems.push({ path, message: `cannot read secret file ${file} (referenced as \${file:${ref}}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
        return opts.placeholder?.(path, ref) ?? '';
      }
    });
    return { value: out, problems };
  }
  if (Array.isArray(value)) {
    return { value: value.map((v, i) => resolveRefs(v, opts, [...path, i], problems).value), problems };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveRefs(v, opts, [...path, k], problems).value;
    return { value: out, problems };
  }
  return { value, problems };
}
