/**
 * Run the housing-repairs REST simulator on its own, for the README demo:
 *   npx tsx tests/simulators/rest/start.ts [--port 8081] [--token demo-token] [--churn 20s] [--cases 25] [--base-time ISO]
 * With --churn, one case changes status every interval so a running gateway has something to see.
 * --base-time fixes the generated data (default: 24 hours ago), so a restarted simulator serves the
 * same cases with the same times.
 */
import { parseArgs } from 'node:util';
import { startRepairsSimulator, type RepairStatus } from './housing-repairs.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8081' },
    token: { type: 'string' },
    churn: { type: 'string' },
    cases: { type: 'string', default: '25' },
    'base-time': { type: 'string' },
  },
});

const sim = await startRepairsSimulator({
  port: Number(values.port),
  cases: Number(values.cases),
  ...(values.token ? { token: values.token } : {}),
  baseTime: values['base-time'] ?? new Date(Math.floor((Date.now() - 24 * 3_600_000) / 60_000) * 60_000).toISOString(),
});
console.log(`housing-repairs simulator on ${sim.url}  (GET /api/v2/cases?updatedSince=…&limit=…&cursor=…)`);

const NEXT: Record<RepairStatus, RepairStatus> = {
  LOGGED: 'ASSIGNED',
  ASSIGNED: 'APPOINTED',
  APPOINTED: 'INPROGRESS',
  INPROGRESS: 'COMPLETED',
  ONHOLD: 'INPROGRESS',
  COMPLETED: 'COMPLETED',
  CANCELLED: 'CANCELLED',
};
if (values.churn) {
  const m = /^(\d+)(s|m)$/.exec(values.churn);
  if (!m) throw new Error('--churn takes a duration such as 20s or 2m');
  const every = Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
  let i = 0;
  setInterval(() => {
    const open = sim.cases.filter((c) => c.status !== 'COMPLETED' && c.status !== 'CANCELLED');
    const c = open[i++ % Math.max(1, open.length)];
    if (!c) return;
    sim.update(c.repairReference, { status: NEXT[c.status] }, new Date().toISOString());
    console.log(`${c.repairReference} → ${c.status}`);
  }, every).unref();
}

const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
