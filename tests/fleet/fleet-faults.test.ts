/**
 * Three `casebridge run` processes with one config (PostgreSQL state, fleet leases with a 3 s TTL,
 * a real Kafka broker) over 12 connectors — 5 SQL tables, 4 CSV drop folders, 3 REST suppliers —
 * whose suppliers keep changing throughout:
 *   - SIGKILL one: its connectors are taken over by the others (new holder, next token);
 *   - SIGSTOP one past its TTL, then SIGCONT: it loses its leases, and nothing it commits after that
 *     gets through (fencing rejection counted on its /metrics and logged);
 * and afterwards every change is on the topic at least once, repeats carry identical ids, per-case
 * order holds, and the commit audit shows no commit made without the lease and no position
 * committed by two instances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFleetRig, type FleetRig } from '../../faults/fleet.js';
import { brokers } from '../kafka/helpers.js';
import { spawnCli } from '../helpers/cli.js';

let rig: FleetRig;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, boundMs = 300_000): Promise<T> {
  for (const end = Date.now() + boundMs; Date.now() < end; ) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    await sleep(200);
  }
  throw new Error(`timed out after ${boundMs / 1000}s waiting for ${what}`);
}

beforeAll(async () => {
  rig = await openFleetRig({ brokers: brokers() });
}, 180_000);

afterAll(async () => {
  await rig?.close();
}, 180_000);

describe('fleet of three gateways (real PostgreSQL, Kafka, suppliers)', () => {
  it('survives SIGKILL and SIGSTOP of instances without losing a change or committing without the lease', async ({ onTestFailed }) => {
    // A failed run says why from the instances' side: the end of each one's log.
    onTestFailed(() => {
      for (const [id, inst] of rig.instances) process.stderr.write(`--- ${id} (last 6000 characters of its log) ---\n${inst.log().slice(-6000)}\n`);
    });
    for (const id of ['gw-a', 'gw-b', 'gw-c']) await rig.start(id);
    const spread = await rig.settled();
    expect(new Set(spread.values())).toEqual(new Set(['gw-a', 'gw-b', 'gw-c']));

    // /status on any instance shows the whole fleet.
    const status = (await until('a fleet view on gw-c', async () => {
      const s = await rig.status('gw-c');
      const f = s.fleet as { connectors: { connector: string; holder: string | null }[] } | undefined;
      return f && f.connectors.every((c) => c.holder) ? f : undefined;
    })) as { connectors: { connector: string; holder: string | null; leaseAgeSeconds?: number }[] };
    expect(status.connectors.map((c) => c.connector).sort()).toEqual([...rig.connectors].sort());
    expect(status.connectors.every((c) => typeof c.leaseAgeSeconds === 'number')).toBe(true);
    // So does `casebridge fleet CONFIG`, from the tables, and each instance's holder gauge.
    // Not spawnSync: the REST suppliers live in this process and must keep answering.
    const fleetCli = async (...args: string[]) => {
      const child = spawnCli(['fleet', rig.configFile, ...args], { env: rig.env });
      const status = await new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      return { status, ...child.output() };
    };
    const cli = await fleetCli();
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/3 live instance\(s\), 12 of 12 connector\(s\) held/);
    for (const c of rig.connectors) expect(cli.stdout).toMatch(new RegExp(`^${c}\\s+gw-[abc]\\s+\\d+\\s+[\\d.]+s`, 'm'));
    const json = JSON.parse((await fleetCli('--json')).stdout) as { connectors: { connector: string; holder: string }[] };
    expect(json.connectors).toHaveLength(12);
    expect(await rig.metric('gw-a', 'casebridge_lease_holder')).toBe(12);

    // SIGKILL gw-a: its connectors move to gw-b and gw-c, each with the next token.
    const before = await rig.leases();
    const victims = before.leases.filter((l) => l.holder === 'gw-a' && l.expiresAt > before.now);
    expect(victims.length).toBeGreaterThan(0);
    rig.instances.get('gw-a')!.child.kill('SIGKILL');
    await rig.instances.get('gw-a')!.exited;
    await rig.settled({ even: false, without: 'gw-a' });
    const after = await rig.leases();
    for (const v of victims) {
      const now = after.leases.find((l) => l.connector === v.connector)!;
      expect(['gw-b', 'gw-c']).toContain(now.holder);
      expect(now.token).toBeGreaterThan(v.token);
    }

    // A new instance joins and takes a share back.
    await rig.start('gw-d');
    await rig.settled({ without: 'gw-a' });

    // SIGSTOP an instance past its TTL, then SIGCONT it. A pause mid-batch makes its commit meet
    // the fence; a pause between batches need not (the instance then sees the lost lease before it
    // reads), so pause again (bounded) to try for one. Which of the two happens is chance, so the
    // test requires what holds either way — the paused instance notices every lost lease and no
    // position is ever committed without the lease (the audit below) — and checks the refusal's
    // log line whenever one happened. The fence itself is proved deterministically in
    // tests/runtime/postgres-state-store.test.ts (a commit under a superseded token is refused).
    let fenced = 0;
    for (let attempt = 0; attempt < 6 && fenced === 0; attempt++) {
      const paused = attempt % 2 === 0 ? 'gw-b' : 'gw-c';
      const inst = rig.instances.get(paused)!;
      const held = (await rig.leases()).leases.filter((l) => l.holder === paused).map((l) => l.connector);
      inst.child.kill('SIGSTOP');
      // Others take its connectors once the lease runs out.
      await until(`${paused}'s connectors taken over`, async () => {
        const s = await rig.leases();
        return held.every((c) => {
          const l = s.leases.find((x) => x.connector === c);
          return l && l.holder !== paused && l.expiresAt > s.now;
        });
      });
      inst.child.kill('SIGCONT');
      // It notices: its lease losses show on its /metrics.
      await until(`${paused} noticing its lost leases`, async () => (await rig.metric(paused, 'casebridge_lease_losses_total')) > 0 || undefined);
      fenced = await until(`${paused} answering /metrics`, async () => ({ n: await rig.metric(paused, 'casebridge_fencing_rejections_total') })).then((r) => r.n);
      await rig.settled({ without: 'gw-a' });
    }
    const logs = [...rig.instances.values()].map((i) => i.log()).join('\n');
    if (fenced > 0) expect(logs).toMatch(/commit refused/);
    process.stderr.write(`fleet faults: fencing rejections seen after SIGCONT: ${fenced}\n`);

    const check = await rig.finish();
    process.stderr.write(`fleet faults: ${JSON.stringify({ ...check, lost: check.lost.length, idConflicts: check.idConflicts, orderBroken: check.orderBroken.length })}\n`);
    expect(check.lost).toEqual([]);
    expect(check.idConflicts).toEqual([]);
    expect(check.orderBroken).toEqual([]);
    expect(check.commits).toBeGreaterThan(0);
    expect(check.unleasedCommits).toBe(0);
    expect(check.doubleCommits).toBe(0);

    await rig.stopAll();
    for (const id of ['gw-b', 'gw-c', 'gw-d']) expect(await rig.instances.get(id)!.exited).not.toBeNull();
    // A clean stop hands every lease back.
    const end = await rig.leases();
    expect(end.leases.filter((l) => l.expiresAt > end.now)).toEqual([]);
  }, 900_000);
});
