/**
 * `npm run faults:fleet`: failover time of a fleet of three `casebridge run` processes (12
 * connectors, lease TTL 3 s, renewEvery 1 s), SIGKILLing one instance FLEET_KILLS times (default 6)
 * and starting a replacement after each. For every kill: how long until every connector of the
 * killed instance was leased by a survivor (takeover) and until the survivor's first commit under
 * the new lease (resume, as the commit audit shows it). Then: changes lost, double commits.
 * Needs KAFKA_BROKERS and PostgreSQL on 127.0.0.1:5432, like npm test.
 */
import { openFleetRig } from './fleet.js';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (!brokers.length) {
  process.stderr.write('KAFKA_BROKERS is not set: start a broker with `npm run kafka start` and export KAFKA_BROKERS=127.0.0.1:19092\n');
  process.exit(64);
}
const kills = Number(process.env.FLEET_KILLS ?? 6);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rig = await openFleetRig({ brokers, leaseTtl: '3s', renewEvery: '1s' });
const rows: Array<{ kill: number; victim: string; moved: number; takeoverS: number; resumeS: number | undefined }> = [];
let exit = 1;
try {
  let next = 0;
  const live: string[] = [];
  for (let i = 0; i < 3; i++) live.push((await rig.start(`gw-${next++}`)).id);
  await rig.settled();
  for (let k = 1; k <= kills; k++) {
    await sleep(2000 + Math.random() * 2000); // let work get going on every connector
    const victim = live.shift()!;
    const before = await rig.leases();
    const victims = before.leases.filter((l) => l.holder === victim && l.expiresAt > before.now);
    const t0 = before.now.getTime();
    rig.instances.get(victim)!.child.kill('SIGKILL');
    await rig.instances.get(victim)!.exited;
    let takeover: number | undefined;
    const tokens = new Map<string, number>();
    for (const end = Date.now() + 120_000; Date.now() < end && takeover === undefined; ) {
      const s = await rig.leases();
      const moved = victims.map((v) => s.leases.find((l) => l.connector === v.connector)!).filter((l) => l.holder !== victim && l.token > victims.find((v) => v.connector === l.connector)!.token);
      if (moved.length === victims.length) {
        takeover = Math.max(...moved.map((l) => l.acquiredAt.getTime())) - t0;
        for (const l of moved) tokens.set(l.connector, l.token);
      } else await sleep(50);
    }
    if (takeover === undefined) throw new Error(`kill ${k}: ${victim}'s connectors were not taken over within 120 s`);
    let resume: number | undefined;
    for (const end = Date.now() + 30_000; Date.now() < end; ) {
      const firsts = await Promise.all([...tokens].map(([c, t]) => rig.firstCommit(c, t)));
      if (firsts.every((d) => d)) {
        resume = Math.max(...firsts.map((d) => d!.getTime())) - t0;
        break;
      }
      await sleep(200);
    }
    rows.push({ kill: k, victim, moved: victims.length, takeoverS: takeover / 1000, resumeS: resume === undefined ? undefined : resume / 1000 });
    process.stderr.write(`kill ${k}: ${JSON.stringify(rows.at(-1))}\n`);
    live.push((await rig.start(`gw-${next++}`)).id);
    await rig.settled();
  }
  const check = await rig.finish();
  await rig.stopAll();
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { min: s[0]!, median: s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2, max: s.at(-1)! };
  };
  const take = stats(rows.map((r) => r.takeoverS));
  const res = stats(rows.flatMap((r) => (r.resumeS === undefined ? [] : [r.resumeS])));
  const f = (n: number) => n.toFixed(2);
  process.stdout.write(
    [
      `fleet failover, ${new Date().toISOString()}: 3 instances, ${rig.connectors.length} connectors, lease TTL 3 s, renewEvery 1 s, ${kills} SIGKILLs`,
      '',
      '| kill | connectors moved | takeover (s) | first commit by the new holder (s) |',
      '|---|---|---|---|',
      ...rows.map((r) => `| ${r.kill} | ${r.moved} | ${f(r.takeoverS)} | ${r.resumeS === undefined ? 'no commit within 30 s' : f(r.resumeS)} |`),
      '',
      `takeover min/median/max: ${f(take.min)} / ${f(take.median)} / ${f(take.max)} s; first commit min/median/max: ${f(res.min)} / ${f(res.median)} / ${f(res.max)} s`,
      `changes expected ${check.expected}, lost ${check.lost.length}, double commits ${check.doubleCommits}, commits without the lease ${check.unleasedCommits}, one change under two ids ${check.idConflicts.length}, per-case order broken ${check.orderBroken.length}, duplicates ${check.duplicates}, superseded replays ${check.supersededReplays}`,
      '',
    ].join('\n'),
  );
  exit = check.lost.length === 0 && check.doubleCommits === 0 && check.unleasedCommits === 0 && check.idConflicts.length === 0 ? 0 : 1;
} finally {
  await rig.close();
}
process.exit(exit);
