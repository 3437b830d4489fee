/**
 * The heap growth casebridge sets at start-up (src/cli/heap-growth.ts): what it reads from the
 * environment, and that V8 really collects sooner with it (a child process promoting garbage
 * steadily, as a long file does, peaks at a smaller heap).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyHeapGrowth, DEFAULT_HEAP_GROWTH_PERCENT, heapGrowthFlag, HEAP_GROWTH_ENV } from '../../src/cli/heap-growth.js';
import { CLI } from '../helpers/cli.js';
import { EXIT } from '../../src/cli/exit-codes.js';

describe('heapGrowthFlag', () => {
  it('sets the default growth unless told otherwise', () => {
    expect(heapGrowthFlag({}, [])).toBe(`--heap-growing-percent=${DEFAULT_HEAP_GROWTH_PERCENT}`);
    expect(heapGrowthFlag({ [HEAP_GROWTH_ENV]: '' }, [])).toBe(`--heap-growing-percent=${DEFAULT_HEAP_GROWTH_PERCENT}`);
  });

  it('takes a percentage from the environment, and 0 leaves V8 its own choice', () => {
    expect(heapGrowthFlag({ [HEAP_GROWTH_ENV]: '30' }, [])).toBe('--heap-growing-percent=30');
    expect(heapGrowthFlag({ [HEAP_GROWTH_ENV]: ' 100% ' }, [])).toBe('--heap-growing-percent=100');
    expect(heapGrowthFlag({ [HEAP_GROWTH_ENV]: '0' }, [])).toBeUndefined();
  });

  it('leaves a growth given to node itself alone', () => {
    expect(heapGrowthFlag({ [HEAP_GROWTH_ENV]: '30' }, ['--heap-growing-percent=80'])).toBeUndefined();
    expect(heapGrowthFlag({}, ['--heap_growing_percent=80'])).toBeUndefined();
    expect(heapGrowthFlag({}, ['--max-old-space-size=512'])).toBe(`--heap-growing-percent=${DEFAULT_HEAP_GROWTH_PERCENT}`);
  });

  it('refuses anything but a whole percentage, naming the variable and what it expects', () => {
    for (const bad of ['abc', '1.5', '-10', '20MB', '99999']) {
      expect(() => heapGrowthFlag({ [HEAP_GROWTH_ENV]: bad }, []), bad).toThrow(new RegExp(`${HEAP_GROWTH_ENV}="${bad.replace('.', '\\.')}": expected a whole percentage`));
    }
  });

  it('hands the flag to V8', () => {
    const set: string[] = [];
    applyHeapGrowth({ [HEAP_GROWTH_ENV]: '40' }, [], (f) => set.push(f));
    applyHeapGrowth({ [HEAP_GROWTH_ENV]: '0' }, [], (f) => set.push(f));
    expect(set).toEqual(['--heap-growing-percent=40']);
  });
});

describe('the CLI', () => {
  it('stops with the config exit code and a clear message on a bad value', () => {
    const r = spawnSync(process.execPath, [CLI, '--version'], { env: { ...process.env, [HEAP_GROWTH_ENV]: 'lots' }, encoding: 'utf8' });
    expect(r.status).toBe(EXIT.configInvalid);
    expect(r.stderr).toContain(`casebridge: ${HEAP_GROWTH_ENV}="lots": expected a whole percentage`);
  });
});

/**
 * A steady stream of objects that live just long enough to be promoted, over a 24 MB live set:
 * the largest heap V8 committed. The ceiling is fixed (4 GiB) so V8's own growth factor is the
 * same on every machine; the loop is bounded by allocations, not time.
 */
const CHURN = `
const { getHeapStatistics } = await import('node:v8');
const { applyHeapGrowth } = await import(${JSON.stringify(resolve(import.meta.dirname, '../../dist/cli/heap-growth.js'))});
applyHeapGrowth();
const live = Array.from({ length: 30000 }, (_, i) => new Array(100).fill(i));
const ring = new Array(30000);
let peak = 0;
for (let i = 0; i < 600000; i++) {
  ring[i % ring.length] = new Array(100).fill(i);
  if (i % 1000 === 0) peak = Math.max(peak, getHeapStatistics().total_heap_size);
}
process.stdout.write(JSON.stringify({ peak, live: live.length }));
`;

function peakHeap(env: Record<string, string>): number {
  const r = spawnSync(process.execPath, ['--max-old-space-size=4096', '--input-type=module', '-e', CHURN], { env: { ...process.env, ...env }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { peak: number }).peak;
}

describe('in a running process', () => {
  it('keeps the heap of a process promoting garbage smaller than V8 alone would', () => {
    const own = peakHeap({ [HEAP_GROWTH_ENV]: '0' });
    const ours = peakHeap({});
    expect(ours).toBeLessThan(own * 0.8);
  });
});
