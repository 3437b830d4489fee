/**
 * A fleet of `casebridge run` processes with one config, PostgreSQL state and fleet leases, over 12
 * connectors that keep receiving changes while instances are killed and paused: 5 SQL tables on
 * the real PostgreSQL, 4 CSV drop folders and 3 REST suppliers (the housing-repairs simulator).
 * Used by tests/fleet/fleet-faults.test.ts and the failover measurement (faults/fleet-failover.ts).
 *
 * A test-only trigger on the checkpoint table records every committed position together with the
 * committing connection's application_name (each instance connects as itself) and the lease row
 * as the commit saw it, so "nobody committed without the lease" is checked from the database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { stringify } from 'yaml';
import { migrate } from '../src/runtime/state/postgres-migrations.js';
import { pgLeaseStore, type LeaseRow } from '../src/runtime/fleet/lease-store.js';
import { freePort, readTopic, uid } from '../tests/kafka/helpers.js';
import { PG_CONNECTION } from '../tests/sql/harness.js';
import { restConnector, ISLINGTON } from '../tests/rest/helpers.js';
import { startRepairsSimulator, type RepairsSimulator, type RepairStatus } from '../tests/simulators/rest/housing-repairs.js';

const REPO = resolve(import.meta.dirname, '..');
const CLI = join(REPO, 'dist/cli/main.js');
const PG_URL = `postgres://${PG_CONNECTION.user}@127.0.0.1:5432/test`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FleetInstance {
  id: string;
  port: number;
  child: ChildProcess;
  log(): string;
  exited: Promise<number | null>;
}

export interface FleetCheck {
  expected: number;
  seen: number;
  lost: string[];
  /** One change (source, case, sequence, status, time) published under two different ids. */
  idConflicts: string[];
  /**
   * Sequences published for two different changes: a change published but not yet committed when
   * its connector moved (or crashed), which the supplier superseded before the next read; the next
   * read publishes the newer change under the same sequence. At-least-once, not fleet-specific.
   */
  supersededReplays: number;
  /** Cases whose first appearances of each sequence are not in order, or that span partitions. */
  orderBroken: string[];
  /** Commits made by a connection that did not hold the lease (or with another token) at commit time. */
  unleasedCommits: number;
  /** Commits under an older lease after a newer lease had committed, or one lease used from two instances. */
  doubleCommits: number;
  /**
   * Positions committed again by the next holder after a failover (one after the other, each
   * under its own lease): e.g. a source whose first poll found nothing new re-commits the same
   * watermark. Reported, not a fault.
   */
  recommitted: string[];
  commits: number;
  duplicates: number;
}

export interface FleetRig {
  schema: string;
  topic: string;
  connectors: string[];
  /** The one config every instance runs, and the environment it needs (CB_STATE_URL). */
  configFile: string;
  env: NodeJS.ProcessEnv;
  instances: Map<string, FleetInstance>;
  start(id: string): Promise<FleetInstance>;
  leases(): Promise<{ now: Date; leases: LeaseRow[] }>;
  /** Wait (bounded) until every connector is held by a live instance, `perInstance` each when given. */
  settled(opts?: { boundMs?: number; even?: boolean; without?: string }): Promise<Map<string, string>>;
  metric(id: string, name: string): Promise<number>;
  /** When the first commit under this lease token was made (database clock), if one was. */
  firstCommit(connector: string, token: number): Promise<Date | undefined>;
  status(id: string): Promise<Record<string, unknown>>;
  /** Stop changing the suppliers, wait until every change is on the topic, and check the lot. */
  finish(boundMs?: number): Promise<FleetCheck>;
  stopAll(): Promise<void>;
  close(): Promise<void>;
}

interface Options {
  brokers: string[];
  leaseTtl?: string;
  renewEvery?: string;
  /** Pace of supplier changes (ms between rounds). */
  changeEveryMs?: number;
}

const SQL_TABLES = 5;
const FILE_FOLDERS = 4;
const REST_SUPPLIERS = 3;

export async function openFleetRig(o: Options): Promise<FleetRig> {
  const tag = uid().replace(/-/g, '');
  const schema = `fleet_${tag}`;
  const topic = `fleet-${tag}`;
  const work = mkdtempSync(join(tmpdir(), 'cb-fleet-'));
  const admin = new pg.Pool({ connectionString: PG_URL, max: 4 });
  const instances = new Map<string, FleetInstance>();
  const sims: RepairsSimulator[] = [];
  /** (connector → case reference → the status code of its newest change). */
  const finalStatus = new Map<string, Map<string, string>>();
  let clockSeconds = 0;
  const tick = () => ++clockSeconds;

  // State schema made up front so the audit trigger exists before the first commit.
  const client = await admin.connect();
  try {
    await migrate(client, schema);
  } finally {
    client.release();
  }
  await pgLeaseStore(admin, schema).ensureTables();
  await admin.query(`CREATE TABLE "${schema}".fleet_audit (id bigserial PRIMARY KEY, connector text NOT NULL, app text NOT NULL, holder text, token bigint, checkpoint text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  await admin.query(`CREATE FUNCTION "${schema}".fleet_audit_fn() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO "${schema}".fleet_audit (connector, app, holder, token, checkpoint)
      SELECT NEW.connector, current_setting('application_name'), l.holder, l.token, NEW.checkpoint
      FROM (SELECT 1) one LEFT JOIN "${schema}".casebridge_leases l ON l.connector = NEW.connector;
      RETURN NEW;
    END $$`);
  await admin.query(`CREATE TRIGGER fleet_audit AFTER INSERT OR UPDATE ON "${schema}".casebridge_checkpoints FOR EACH ROW EXECUTE FUNCTION "${schema}".fleet_audit_fn()`);

  const kafka = new Kafka({ clientId: 'cb-fleet-rig', brokers: o.brokers, logLevel: logLevel.NOTHING });
  const kadmin = kafka.admin();
  await kadmin.connect();
  await kadmin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }, { topic: `${topic}-dl`, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  await kadmin.disconnect();

  const connectors: Record<string, unknown>[] = [];
  const retry = { initial: '200ms', max: '2s' };
  // SQL tables
  const tables: string[] = [];
  for (let t = 0; t < SQL_TABLES; t++) {
    const table = `fleet_${tag}_sql${t}`;
    tables.push(table);
    await admin.query(`CREATE TABLE "${table}" (id bigint PRIMARY KEY, ref text NOT NULL, status text NOT NULL, updated_at timestamp(6) NOT NULL)`);
    const name = `sql-${t}`;
    const refs = new Map<string, string>();
    finalStatus.set(name, refs);
    const rows = 300;
    const values: string[] = [];
    for (let i = 1; i <= rows; i++) {
      values.push(`(${i}, 'S${t}-${i}', 'OPEN', timestamp '2025-03-01 08:00:00' + ${tick()} * interval '1 second')`);
      refs.set(`S${t}-${i}`, 'OPEN');
    }
    await admin.query(`INSERT INTO "${table}" (id, ref, status, updated_at) VALUES ${values.join(',')}`);
    connectors.push({
      name,
      type: 'sql',
      council: ISLINGTON.gss,
      system: { supplier: 'Test Repairs' },
      schedule: { every: '500ms' },
      batchSize: 20,
      retry,
      connection: PG_CONNECTION,
      read: { mode: 'incremental', table, updatedAt: 'updated_at', key: 'id' },
      mapping: {
        reference: 'ref',
        updatedAt: { path: 'updated_at', date: 'iso' },
        status: { code: 'status', lookup: 'st' },
        lookups: { st: { entries: { OPEN: { status: 'received' }, WIP: { status: 'in_progress' }, DONE: { status: 'resolved' } } } },
      },
    });
  }
  // CSV drop folders
  const folders: string[] = [];
  const fileSeq = new Map<number, number>();
  const dropFile = (f: number, rows: Array<{ ref: string; stage: string }>) => {
    const n = (fileSeq.get(f) ?? 0) + 1;
    fileSeq.set(f, n);
    const lines = ['CRNo,Stage,When'];
    for (const r of rows) {
      const s = tick();
      lines.push(`${r.ref},${r.stage},${new Date(Date.UTC(2025, 2, 1, 8) + s * 1000).toISOString()}`);
      finalStatus.get(`file-${f}`)!.set(r.ref, r.stage);
    }
    const tmp = join(folders[f]!, `.export-${n}.tmp`);
    writeFileSync(tmp, lines.join('\r\n') + '\r\n');
    renameSync(tmp, join(folders[f]!, `export-${String(n).padStart(4, '0')}.csv`));
  };
  for (let f = 0; f < FILE_FOLDERS; f++) {
    const dir = join(work, `drop-${f}`);
    mkdirSync(dir);
    folders.push(dir);
    finalStatus.set(`file-${f}`, new Map());
    connectors.push({
      name: `file-${f}`,
      type: 'file',
      council: ISLINGTON.gss,
      system: { supplier: 'Street services' },
      schedule: { every: '500ms' },
      path: dir,
      pattern: '*.csv',
      ready: { stableFor: '0s' },
      batchSize: 20,
      retry,
      format: { type: 'csv' },
      mapping: {
        reference: 'CRNo',
        status: { code: 'Stage', lookup: 'stages' },
        updatedAt: { path: 'When', date: 'iso' },
        lookups: { stages: { entries: { '1': { status: 'received' }, '2': { status: 'in_progress' }, '3': { status: 'resolved' } } } },
      },
    });
    dropFile(f, Array.from({ length: 200 }, (_, i) => ({ ref: `F${f}-${i}`, stage: '1' })));
  }
  // REST suppliers
  for (let r = 0; r < REST_SUPPLIERS; r++) {
    const sim = await startRepairsSimulator({ cases: 150 });
    sims.push(sim);
    const name = `rest-${r}`;
    finalStatus.set(name, new Map(sim.cases.map((c) => [c.repairReference, c.status])));
    connectors.push(restConnector(sim.url, { name, schedule: { every: '500ms' }, retry }));
  }

  const cfgFile = join(work, 'casebridge.yaml');
  writeFileSync(
    cfgFile,
    stringify({
      version: 1,
      councils: [ISLINGTON],
      state: { type: 'postgres', url: '${env:CB_STATE_URL}', schema, poolSize: 4 },
      publisher: { type: 'kafka', brokers: o.brokers, topic, deadLetterTopic: `${topic}-dl`, createTopics: false, partitions: 3, replicationFactor: 1 },
      http: { enabled: true, host: '127.0.0.1', port: 9464 },
      log: { level: 'info' },
      shutdownGrace: '5s',
      fleet: { leaseTtl: o.leaseTtl ?? '3s', renewEvery: o.renewEvery ?? '1s' },
      connectors,
    }),
  );

  // Changes keep coming while instances come and go.
  let changing = true;
  const statuses: RepairStatus[] = ['ASSIGNED', 'APPOINTED', 'INPROGRESS', 'COMPLETED'];
  const restBase = Date.parse('2025-11-20T09:00:00Z');
  let round = 0;
  const changer = (async () => {
    while (changing) {
      round++;
      for (let t = 0; t < SQL_TABLES; t++) {
        const refs = finalStatus.get(`sql-${t}`)!;
        const id = refs.size + 1;
        await admin.query(`INSERT INTO "${tables[t]}" (id, ref, status, updated_at) VALUES ($1, $2, 'OPEN', timestamp '2025-03-01 08:00:00' + $3 * interval '1 second')`, [id, `S${t}-${id}`, tick()]);
        refs.set(`S${t}-${id}`, 'OPEN');
        const victim = 1 + ((round * 7 + t * 13) % refs.size);
        const next = refs.get(`S${t}-${victim}`) === 'OPEN' ? 'WIP' : 'DONE';
        await admin.query(`UPDATE "${tables[t]}" SET status = $1, updated_at = timestamp '2025-03-01 08:00:00' + $2 * interval '1 second' WHERE id = $3`, [next, tick(), victim]);
        refs.set(`S${t}-${victim}`, next);
      }
      if (round % 3 === 0) {
        const f = round % FILE_FOLDERS;
        const known = [...finalStatus.get(`file-${f}`)!.entries()];
        const updates = known.filter(([, s]) => s !== '3').slice(0, 5).map(([ref, s]) => ({ ref, stage: String(Number(s) + 1) }));
        dropFile(f, [...updates, ...Array.from({ length: 10 }, (_, i) => ({ ref: `F${f}-r${round}-${i}`, stage: '1' }))]);
      }
      for (const [r, sim] of sims.entries()) {
        const c = sim.cases[(round * 11 + r) % sim.cases.length]!;
        const i = statuses.indexOf(c.status as RepairStatus);
        const next = statuses[Math.min(statuses.length - 1, i + 1)]!;
        if (next !== c.status) {
          sim.update(c.repairReference, { status: next }, new Date(restBase + tick() * 1000).toISOString());
          finalStatus.get(`rest-${r}`)!.set(c.repairReference, next);
        }
      }
      await sleep(o.changeEveryMs ?? 300);
    }
  })();

  const leaseStore = pgLeaseStore(admin, schema);
  const rig: FleetRig = {
    schema,
    topic,
    connectors: connectors.map((c) => String(c.name)),
    configFile: cfgFile,
    env: { CB_STATE_URL: PG_URL },
    instances,
    async start(id) {
      const port = await freePort();
      const child = spawn(process.execPath, [CLI, 'run', cfgFile, '--no-progress', '--port', String(port)], {
        env: { ...process.env, CB_STATE_URL: `${PG_URL}?application_name=${id}`, CASEBRIDGE_INSTANCE_ID: id },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const inst = { id, port, child, log: () => out, exited };
      instances.set(id, inst);
      return inst;
    },
    async leases() {
      const s = await leaseStore.snapshot();
      return { now: s.now, leases: s.leases };
    },
    async settled({ boundMs = 300_000, even = true, without } = {}) {
      const live = [...instances.values()].filter((i) => i.child.exitCode === null && i.child.signalCode === null && i.id !== without).map((i) => i.id);
      const share = Math.ceil(rig.connectors.length / live.length);
      for (const end = Date.now() + boundMs; Date.now() < end; ) {
        for (const id of live) {
          const i = instances.get(id)!;
          if (i.child.exitCode !== null) throw new Error(`${id} exited with ${i.child.exitCode}:\n${i.log().slice(-3000)}`);
        }
        const s = await leaseStore.snapshot();
        const held = new Map(s.leases.filter((l) => l.expiresAt > s.now).map((l) => [l.connector, l.holder]));
        const counts = new Map<string, number>();
        for (const h of held.values()) counts.set(h, (counts.get(h) ?? 0) + 1);
        const allHeld = rig.connectors.every((c) => live.includes(held.get(c) ?? ''));
        if (allHeld && (!even || live.every((i) => (counts.get(i) ?? 0) <= share && (counts.get(i) ?? 0) >= share - 1))) return held;
        await sleep(200);
      }
      throw new Error(`the fleet did not settle within ${boundMs / 1000}s: ${JSON.stringify((await leaseStore.snapshot()).leases)}`);
    },
    async metric(id, name) {
      const inst = instances.get(id)!;
      const text = await (await fetch(`http://127.0.0.1:${inst.port}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      return sum;
    },
    async firstCommit(connector, token) {
      const { rows } = await admin.query<{ at: Date }>(`SELECT min(at) AS at FROM "${schema}".fleet_audit WHERE connector = $1 AND token = $2`, [connector, token]);
      return rows[0]?.at ?? undefined;
    },
    async status(id) {
      const inst = instances.get(id)!;
      return (await (await fetch(`http://127.0.0.1:${inst.port}/status`)).json()) as Record<string, unknown>;
    },
    async finish(boundMs = 300_000) {
      changing = false;
      await changer;
      const expected = new Map<string, string>();
      for (const [connector, refs] of finalStatus) for (const [ref, status] of refs) expected.set(`${connector}|${ref}`, status);
      let check: FleetCheck | undefined;
      for (const end = Date.now() + boundMs; Date.now() < end; ) {
        check = await verify(expected);
        if (check.lost.length === 0) break;
        await sleep(3000);
      }
      return check!;
    },
    async stopAll() {
      for (const i of instances.values()) if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGTERM');
      await Promise.all([...instances.values()].map((i) => Promise.race([i.exited, sleep(60_000).then(() => i.child.kill('SIGKILL'))])));
    },
    async close() {
      changing = false;
      await changer.catch(() => undefined);
      for (const i of instances.values()) if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
      for (const s of sims) await s.close().catch(() => undefined);
      for (const t of tables) await admin.query(`DROP TABLE IF EXISTS "${t}"`).catch(() => undefined);
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await admin.end();
      const k = kafka.admin();
      await k.connect().then(() => k.deleteTopics({ topics: [topic, `${topic}-dl`] })).catch(() => undefined);
      await k.disconnect().catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
    },
  };

  async function verify(expected: Map<string, string>): Promise<FleetCheck> {
    const messages = await readTopic(topic, { at: o.brokers, timeoutMs: 120_000 });
    const connectorOf = (source: string) => source.slice(source.lastIndexOf('/') + 1);
    const present = new Set<string>();
    const ids = new Map<string, string>();
    const idConflicts: string[] = [];
    const sequenceChanges = new Map<string, Set<string>>();
    const perCase = new Map<string, { partition: number; offset: number; seq: number }[]>();
    const distinct = new Set<string>();
    for (const m of messages) {
      // Binary mode: the CloudEvents attributes are headers, the value is the data.
      const data = JSON.parse(m.value) as { case: { status: { code: string }; updatedAt?: string } };
      const ev = { id: m.headers.ce_id ?? '', source: m.headers.ce_source ?? '', subject: m.headers.ce_subject ?? '', casesequence: Number(m.headers.ce_casesequence), data };
      distinct.add(ev.id);
      const connector = connectorOf(ev.source);
      present.add(`${connector}|${ev.subject}|${ev.data.case.status.code}`);
      // One change (case, sequence, status, time) published again must carry the same id.
      const k = `${ev.source}|${ev.subject}|${ev.casesequence}|${data.case.status.code}|${data.case.updatedAt ?? ''}`;
      const had = ids.get(k);
      if (had === undefined) ids.set(k, ev.id);
      else if (had !== ev.id) idConflicts.push(`${k}: ${had} vs ${ev.id}`);
      const bySeq = `${ev.source}|${ev.subject}|${ev.casesequence}`;
      const changes = sequenceChanges.get(bySeq) ?? new Set<string>();
      changes.add(ev.id);
      sequenceChanges.set(bySeq, changes);
      const c = `${ev.source}|${ev.subject}`;
      const list = perCase.get(c) ?? [];
      list.push({ partition: m.partition, offset: m.offset, seq: ev.casesequence });
      perCase.set(c, list);
    }
    const lost = [...expected].filter(([k, status]) => !present.has(`${k}|${status}`)).map(([k, s]) => `${k} (${s})`);
    const orderBroken: string[] = [];
    for (const [c, list] of perCase) {
      if (new Set(list.map((l) => l.partition)).size > 1) {
        orderBroken.push(`${c}: on several partitions`);
        continue;
      }
      list.sort((a, b) => a.offset - b.offset);
      const firsts: number[] = [];
      const seen = new Set<number>();
      for (const l of list) if (!seen.has(l.seq)) (seen.add(l.seq), firsts.push(l.seq));
      if (firsts.some((s, i) => i > 0 && s <= firsts[i - 1]!)) orderBroken.push(`${c}: ${firsts.join(',')}`);
    }
    const audit = await admin.query<{ connector: string; app: string; holder: string | null; token: string | null; checkpoint: string }>(`SELECT * FROM "${schema}".fleet_audit ORDER BY id`);
    const unleased = audit.rows.filter((r) => r.holder !== r.app).length;
    // Two instances running one connector would show as commits under an older lease after a
    // newer one had committed, or as one lease token committed from two instances.
    const newest = new Map<string, number>();
    const tokenApps = new Map<string, Set<string>>();
    let doubleCommits = 0;
    const samePosition = new Map<string, Set<string>>();
    for (const r of audit.rows) {
      const token = Number(r.token);
      if (token < (newest.get(r.connector) ?? 0)) doubleCommits++;
      newest.set(r.connector, Math.max(token, newest.get(r.connector) ?? 0));
      const t = tokenApps.get(`${r.connector}|${token}`) ?? new Set<string>();
      t.add(r.app);
      tokenApps.set(`${r.connector}|${token}`, t);
      const k = `${r.connector}|${r.checkpoint}`;
      const apps = samePosition.get(k) ?? new Set<string>();
      apps.add(r.app);
      samePosition.set(k, apps);
    }
    doubleCommits += [...tokenApps.values()].filter((s) => s.size > 1).length;
    const recommitted = [...samePosition].filter(([, s]) => s.size > 1).map(([k, s]) => `${k.slice(0, 160)} by ${[...s].join(', ')}`);
    return {
      expected: expected.size,
      seen: distinct.size,
      lost,
      idConflicts,
      orderBroken,
      unleasedCommits: unleased,
      doubleCommits,
      recommitted,
      supersededReplays: [...sequenceChanges.values()].filter((s) => s.size > 1).length,
      commits: audit.rows.length,
      duplicates: messages.length - distinct.size,
    };
  }

  return rig;
}
