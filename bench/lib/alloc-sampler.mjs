// Preloaded with `node --import` by bench/alloc.ts: samples every allocation of the process,
// objects already collected included (V8's sampling heap profiler), and at exit writes the sum by
// allocating function to the JSON file named in CASEBRIDGE_ALLOC_OUT. Plain JS so it needs no loader.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const out = process.env.CASEBRIDGE_ALLOC_OUT;
if (out) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', { samplingInterval: 32_768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  process.on('exit', () => {
    session.post('HeapProfiler.stopSampling', (err, res) => {
      if (err) return;
      const sites = new Map();
      let total = 0;
      const walk = (node, parent) => {
        const f = node.callFrame;
        // Builtins (sort, keys, JSON) have no URL: name them by their caller, which is what can change.
        const where = (c) => `${c.functionName || '(anonymous)'} ${c.url.replace(/^.*node_modules\//, 'npm:').replace(/^.*\/dist\//, 'dist/')}:${c.lineNumber + 1}`;
        const key = f.url === '' && parent ? `${f.functionName || '(anonymous)'} <- ${where(parent.callFrame)}` : where(f);
        sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
        total += node.selfSize;
        for (const c of node.children) walk(c, node);
      };
      walk(res.profile.head, undefined);
      writeFileSync(out, JSON.stringify({ total, sites: [...sites].sort((a, b) => b[1] - a[1]) }));
    });
  });
}
