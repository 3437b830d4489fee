/**
 * Starts a worker thread whose entry sits next to the calling module: the compiled `.js` under
 * dist/, or, run from source (tsx, vitest), the `.ts` file, after registering tsx in the worker,
 * which inherits no loader from a test runner.
 */
import { Worker } from 'node:worker_threads';

export function startWorkerBeside(moduleUrl: string, entryName: string, workerData: unknown): Worker {
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL(`./${entryName}.js`, moduleUrl), { workerData });
  const entry = new URL(`./${entryName}.ts`, moduleUrl).href;
  // Resolved here: an eval'd worker resolves bare specifiers from the working directory.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
