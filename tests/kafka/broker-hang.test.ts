/**
 * Finding 4 of the fault audit with a real hung broker: `casebridge run` (daemon mode, health
 * endpoint on) publishing a CSV export to a private broker that is SIGSTOPped mid-run. /readyz must
 * turn 503 once a publish has been pending longer than the request timeout, and SIGTERM must end
 * the process within shutdownGrace (not wait for the hung send), naming what was still pending.
 * Uses a broker of its own on free ports; the shared broker is never touched.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';
import { brokers, freePort, privateBroker, topicSize, uid, type PrivateBroker } from './helpers.js';

let broker: PrivateBroker;
let stoppedPid: number | undefined;
// The broker is stopped once a tenth has landed; the other nine tenths must still be unpublished
// then, or no publish hangs. 3,000 rows left too little: a gateway at ~6,000 rows/s publishes
// 2,700 in the time one topic-size poll takes. 30,000 leaves 27,000 rows, seconds of work.
const ROWS = 30_000;

beforeAll(async () => {
  brokers(); // same precondition as every Kafka suite: run through `npm test`
  broker = await privateBroker();
  await broker.start();
}, 180_000);

afterAll(async () => {
  if (stoppedPid !== undefined) {
    try {
      process.kill(stoppedPid, 'SIGCONT');
    } catch {
      /* already gone */
    }
  }
  await broker?.stop();
}, 60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('broker hung (SIGSTOP) under `casebridge run`', () => {
  it('is not ready while a publish hangs past the request timeout; SIGTERM exits within shutdownGrace naming the pending publish', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cb-hang-'));
    const topic = `hang-${uid()}`;
    try {
      mkdirSync(join(work, 'drop'));
      const lines = ['CRNo,Stage,When'];
      for (let i = 0; i < ROWS; i++) lines.push(`${900000 + i},1,03/11/2025 ${String(8 + (Math.floor(i / 60) % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`);
      writeFileSync(join(work, 'drop', 'export.csv'), lines.join('\r\n') + '\r\n');
      // requestTimeout (what readiness is measured against) well below publishTimeout, so a
      // publish into the hung broker stays pending past it; shutdownGrace far below publishTimeout,
      // so only the grace can end the shutdown.
      writeFileSync(
        join(work, 'casebridge.yaml'),
        `version: 1
councils: [{ gss: E09000019, name: London Borough of Islington }]
state: { path: ./var/state.sqlite }
publisher: { type: kafka, brokers: ["${broker.address}"], topic: "${topic}", deadLetterTopic: "${topic}-dl", createTopics: true, partitions: 3, replicationFactor: 1, connectionTimeout: 1s, requestTimeout: 2s, publishTimeout: 120s }
http: { enabled: true }
shutdownGrace: 2s
connectors:
  - name: street
    type: file
    council: E09000019
    system: { supplier: Street services }
    path: ./drop
    ready: { stableFor: 0s }
    batchSize: 20
    format: { type: csv }
    mapping:
      reference: CRNo
      status: { code: Stage, lookup: stages }
      updatedAt: { path: When, date: dd/MM/yyyy HH:mm }
      lookups:
        stages: { entries: { "1": { status: received } } }
`,
      );
      const port = await freePort();
      const child = spawnCli(['run', join(work, 'casebridge.yaml'), '--port', String(port), '--log-level', 'warn']);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        await until('the first events to land', async () => (child.exitCode === null && (await topicSize(topic, [broker.address]).catch(() => 0)) >= ROWS / 10 ? true : undefined), 120_000);
        expect(child.exitCode, JSON.stringify(child.output())).toBeNull();
        const pid = await broker.pid();
        process.kill(pid, 'SIGSTOP');
        stoppedPid = pid;

        const notReady = await until(
          '/readyz to turn 503 with a pending publish',
          async () => {
            const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
            if (res?.status !== 503) return undefined;
            const body = (await res.json()) as { publisher?: { detail?: string } };
            return /publish pending for .*longer than the request timeout/.test(body.publisher?.detail ?? '') ? body : undefined;
          },
          60_000,
        );
        expect(notReady.publisher?.detail).toMatch(/street/);

        const termAt = Date.now();
        child.kill('SIGTERM');
        // Bounded wait far below publishTimeout (120 s): only shutdownGrace can have ended it.
        const code = await Promise.race([exited, sleep(60_000).then(() => 'still running' as const)]);
        const waited = Date.now() - termAt;
        expect(code, `SIGTERM did not end the process; output: ${JSON.stringify(child.output())}`).not.toBe('still running');
        const out = child.output();
        expect(out.stderr + out.stdout).toMatch(/abandoned \d+ publish\(es\) still pending after shutdownGrace 2s: street \(\d+ events/);
        expect(code).toBe(1);
        console.log(`[broker-hang] SIGTERM → exit ${code} after ${waited} ms (shutdownGrace 2s, publishTimeout 120s)`);
      } finally {
        if (child.exitCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
