/**
 * The whole gateway (`casebridge run` as a subprocess: file connector → normalizer → Kafka
 * publisher → checkpoint) while its broker is SIGKILLed and started again. While the broker is
 * down the checkpoint must not move, the dropped file must stay where it is and /readyz must say
 * why; afterwards the run finishes by itself and every CSV row is in the topic at least once,
 * repeats carrying identical CloudEvents ids.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { brokers, freePort, privateBroker, readTopic, REPO, topicSize, type PrivateBroker } from './helpers.js';

let broker: PrivateBroker;
const ROWS = 3000;

beforeAll(async () => {
  brokers(); // same precondition as every Kafka suite: run through `npm test`
  broker = await privateBroker();
  await broker.start();
}, 180_000);

afterAll(async () => {
  await broker?.stop();
}, 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function writeExport(dir: string): string {
  const lines = ['"History Date/Time","Recorded Date","CRNo","Stage Desc.","Date Cleared","Inspection","LCA","Action Due","Event Type","Stage"'];
  for (let i = 0; i < ROWS; i++) {
    const minute = String(i % 60).padStart(2, '0');
    const hour = String(8 + (Math.floor(i / 60) % 10)).padStart(2, '0');
    lines.push(`"12/03/2019 ${hour}:${minute}","12/03/2019","${300000 + i}","Recorded","","Fly-tipping","Bunhill","19/03/2019","Created","1"`);
  }
  const file = join(dir, 'street-services-history-20190312-1800.csv');
  writeFileSync(file, lines.join('\r\n') + '\r\n');
  return file;
}

function gatewayConfig(): string {
  // The README demo's connector, publishing to our broker instead of the local log.
  const publisher = `publisher:
  type: kafka
  brokers: ["${broker.address}"]
  topic: "gw-kill.{council}.cases"
  deadLetterTopic: "gw-kill.{council}.dead-letters"
  createTopics: true
  partitions: 3
  replicationFactor: 1
  connectionTimeout: 1s
  requestTimeout: 3s
  publishTimeout: 5s
`;
  return readFileSync(join(REPO, 'config/demo/casebridge.yaml'), 'utf8')
    .replace(/publisher:\n  type: local-log\n  dir: \.\/var\/events\n/, publisher)
    .replace(/batchSize: \d+/, 'batchSize: 20\n    retry: { initial: 200ms, max: 1s }')
    .replace(/stableFor: \S+/, 'stableFor: 0s')
    .replace(/action: keep/, 'action: move')
    .replace(/http:\n  enabled: false/, 'http:\n  enabled: true');
}

interface Status {
  ready: boolean;
  publisher: { ok: boolean; detail?: string };
  connectors: { name: string; status: string; lastError?: string }[];
}

describe('broker killed during `casebridge run` (whole gateway)', () => {
  it('holds the checkpoint while the broker is down, resumes by itself, loses nothing', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cb-gwkill-'));
    mkdirSync(join(work, 'exports'));
    const dropped = writeExport(join(work, 'exports'));
    const config = gatewayConfig();
    expect(config).toContain('type: kafka');
    expect(config).toContain('enabled: true');
    writeFileSync(join(work, 'casebridge.yaml'), config);
    const port = await freePort();
    // The daemon mode (no --once): schedules, health endpoint, runs until told to stop.
    const child = spawnCli(['run', join(work, 'casebridge.yaml'), '--port', String(port), '--log-level', 'warn']);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const status = async (): Promise<Status | undefined> => {
      try {
        return (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as Status;
      } catch {
        return undefined;
      }
    };
    const checkpoint = (): string | undefined => {
      const db = new Database(join(work, 'var/state.sqlite'), { readonly: true, fileMustExist: true });
      try {
        return db.prepare<[], { checkpoint: string }>('SELECT checkpoint FROM checkpoints').get()?.checkpoint;
      } finally {
        db.close();
      }
    };

    try {
      // Let a fifth of the rows through, then kill the broker under the running gateway.
      const topic = 'gw-kill.E09000019.cases';
      const deadline = Date.now() + 90_000;
      for (;;) {
        expect(Date.now(), `the gateway published too slowly; output: ${JSON.stringify(child.output())}`).toBeLessThan(deadline);
        expect(child.exitCode, `the gateway exited: ${JSON.stringify(child.output())}`).toBeNull();
        const n = await topicSize(topic, [broker.address]).catch(() => 0);
        if (n >= ROWS / 5) break;
        await sleep(25);
      }
      await broker.kill();
      const killedAt = Date.now();

      // The gateway notices: publisher health and /readyz say why, the connector's last error too.
      let down: Status | undefined;
      for (let i = 0; i < 300; i++) {
        const s = await status();
        if (s && !s.publisher.ok && s.connectors[0]?.lastError) {
          down = s;
          break;
        }
        await sleep(100);
      }
      expect(down, `the outage never showed in /status; output: ${JSON.stringify(child.output())}`).toBeDefined();
      const noticedAfter = Date.now() - killedAt;
      expect(down!.ready).toBe(false);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
      expect(down!.publisher.detail).toMatch(/Kafka/);
      expect(down!.connectors[0]!.lastError).toMatch(/Kafka/);
      expect(['running', 'backing_off']).toContain(down!.connectors[0]!.status);

      // While the broker stays down the checkpoint does not move and the file is not moved away.
      const held = checkpoint();
      expect(held).toBeDefined();
      for (let i = 0; i < 20; i++) {
        await sleep(150);
        expect(checkpoint()).toBe(held);
        expect(existsSync(dropped)).toBe(true);
      }
      expect(child.exitCode).toBeNull();
      const heldRecords = (JSON.parse(held!) as { current?: { next: number } }).current?.next ?? 0;
      expect(heldRecords).toBeLessThan(ROWS);
      const downFor = Date.now() - killedAt;

      await broker.start();
      const backAt = Date.now();
      let advancedAt = 0;
      let doneAt = 0;
      while (Date.now() - backAt < 120_000) {
        expect(child.exitCode, `the gateway exited: ${JSON.stringify(child.output())}`).toBeNull();
        if (!advancedAt && checkpoint() !== held) advancedAt = Date.now();
        const s = await status();
        if (!existsSync(dropped) && s?.connectors[0]?.status === 'idle') {
          doneAt = Date.now();
          expect(s.publisher.ok).toBe(true);
          expect(s.ready).toBe(true);
          break;
        }
        await sleep(50);
      }
      expect(doneAt, `the gateway did not finish after the broker came back; output: ${JSON.stringify(child.output())}`).toBeGreaterThan(0);
      child.kill('SIGTERM');
      const code = await exited;
      const out = child.output();
      expect(code, out.stderr).toBe(0);
      expect(out.stdout).toMatch(new RegExp(`islington-street-services\\s+ok\\s+\\d+\\s+\\d+`));
      // No stack trace anywhere in what the gateway printed during the outage.
      expect(out.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);

      const read = await readTopic(topic, { at: [broker.address] });
      const idsBySubject = new Map<string, Set<string>>();
      for (const m of read) idsBySubject.set(m.headers.ce_subject!, (idsBySubject.get(m.headers.ce_subject!) ?? new Set()).add(m.headers.ce_id!));
      expect(idsBySubject.size).toBe(ROWS);
      for (let i = 0; i < ROWS; i++) expect(idsBySubject.get(String(300000 + i))?.size, `row CRNo ${300000 + i}`).toBe(1);
      console.log(
        `[gateway-kill] ${ROWS} rows; SIGKILL with ${heldRecords} rows committed; outage visible in /status ${noticedAfter} ms after SIGKILL; ` +
          `checkpoint held for ${downFor} ms of outage; broker restart took ${backAt - killedAt - downFor} ms; checkpoint advanced ${advancedAt - backAt} ms ` +
          `and the file was done ${doneAt - backAt} ms after the broker answered again; ${read.length - ROWS} duplicate(s)`,
      );
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
