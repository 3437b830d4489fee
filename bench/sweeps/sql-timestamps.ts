/**
 * The full sweep behind tests/sql/timestamps.test.ts: every 37th minute of 2025 in five zones
 * (about 71,000 wall times) against Luxon. Its run time grows with the machine's load, so it is
 * a script, not a test:  npx tsx bench/sweeps/sql-timestamps.ts
 */
import { SWEEP_ZONES, compareWithLuxon, type Disagreement } from '../../tests/sql/timestamp-agreement.js';

const started = performance.now();
let compared = 0;
const bad: Disagreement[] = [];
for (const zone of SWEEP_ZONES) {
  for (let m = 0; m < 366 * 24 * 60; m += 37) {
    compared++;
    const d = compareWithLuxon(zone, m);
    if (d) bad.push(d);
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
for (const d of bad.slice(0, 20)) console.log(`${d.zone} ${d.wall}: casebridge ${d.mine}, luxon ${d.luxon}`);
console.log(`${compared} wall times in ${SWEEP_ZONES.length} zones compared in ${seconds} s: ${bad.length} disagreement(s)`);
process.exitCode = bad.length ? 1 : 0;
