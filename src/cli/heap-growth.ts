/**
 * How far V8 lets the old generation grow past what survived its last full collection.
 *
 * With Node's default heap ceiling (a quarter of RAM, so 2 GiB or more on a server) V8 lets the old
 * generation grow to 4× that before collecting it, and only 1.3–2× below that. A gateway's live heap
 * is small and flat (~40 MB) but it promotes garbage steadily, so on a long file its RSS climbed to
 * twice that of a short one without holding anything more. 50% growth took a 1 GiB export from
 * 308–316 to 194–199 MiB at the same speed; 20–25% saved little more and cost a fifth to a third
 * more CPU (docs/performance.md, "Heap growth"). Unlike a ceiling (--max-old-space-size) it never
 * makes a gateway with a bigger live heap run out of memory.
 *
 * The flag is read at every collection, so setting it after start-up takes effect.
 */
import { setFlagsFromString } from 'node:v8';
import { ConfigError } from '../core/errors.js';

export const HEAP_GROWTH_ENV = 'CASEBRIDGE_HEAP_GROWTH';
export const DEFAULT_HEAP_GROWTH_PERCENT = 50;
const V8_FLAG = '--heap-growing-percent';

/**
 * The V8 flag to set, or undefined to leave V8's own: `CASEBRIDGE_HEAP_GROWTH` (a percentage, 0
 * for V8's own choice) or the default; a flag given to node itself wins.
 */
export function heapGrowthFlag(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string | undefined {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return undefined;
  const text = env[HEAP_GROWTH_ENV]?.trim();
  let percent = DEFAULT_HEAP_GROWTH_PERCENT;
  if (text !== undefined && text !== '') {
    const m = /^(\d{1,4})%?$/.exec(text);
    if (!m) throw new ConfigError(`${HEAP_GROWTH_ENV}=${JSON.stringify(text)}: expected a whole percentage such as 50 (the old generation grows by at most 50% between full collections), or 0 to leave it to V8`);
    percent = Number(m[1]);
  }
  return percent === 0 ? undefined : `${V8_FLAG}=${percent}`;
}

export function applyHeapGrowth(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv, setFlags: (flag: string) => void = setFlagsFromString): void {
  const flag = heapGrowthFlag(env, execArgv);
  if (flag) setFlags(flag);
}
