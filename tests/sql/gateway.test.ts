/**
 * The SQL connector inside the real runtime: changes to existing cases become status_changed /
 * updated events, a snapshot notices a deleted case, and a gateway killed with SIGKILL mid-poll
 * and started again loses nothing — on PostgreSQL and on MariaDB.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createGateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';
import { openHarness, uniqueName, type DbName, type Harness } from './harness.js';
import { readEventLog } from '../helpers/event-log.js';

function yaml(dir: string, connection: Record<string, unknown>, read: string, batchSize = 100): string {
  const conn = Object.entries(connection)
    .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  return `
version: 1
councils:
  - { gss: E09000019, name: London Borough of Islington }
state: { path: ${dir}/state.sqlite }
publisher: { type: local-log, dir: ${dir}/events }
http: { enabled: false }
connectors:
  - name: repairs-db
    type: sql
    council: E09000019
    system: { supplier: Test Repairs }
    batchSize: ${batchSize}
    connection:
${conn}
    read:
${read}
    mapping:
      reference: ref
      description: note
      updatedAt: { path: updated_at, date: iso }
      status: { code: status, lookup: st }
      lookups:
        st: { entries: { OPEN: { status: received }, WIP: { status: in_progress }, DONE: { status: closed } } }
`;
}

const readEvents = (dir: string) => readEventLog(dir);

for (const db of ['postgres', 'mariadb'] as DbName[]) {
  describe(`${db}: the sql connector in the gateway`, () => {
    let h: Harness;
    const tables: string[] = [];
    beforeAll(async () => {
      h = await openHarness(db);
    });
    afterAll(async () => {
      for (const t of tables) await h.exec(`DROP TABLE IF EXISTS ${h.q(t)}`);
      await h.close();
    });

    async function table(): Promise<string> {
      const t = uniqueName('cb_gw');
      tables.push(t);
      await h.exec(`CREATE TABLE ${h.q(t)} (id ${h.types.int} NOT NULL PRIMARY KEY, ref ${h.types.text} NOT NULL, status ${h.types.text} NOT NULL, note ${h.types.text}, updated_at ${h.types.tsLocal} NOT NULL)`);
      return t;
    }

    async function gateway(dir: string, read: string) {
      const publisher = memoryPublisher();
      const gw = await createGateway({ loaded: parseConfigText(yaml(dir, h.connection, read), 'gateway.yaml', dir, {}), logger: silentLogger(), publisher, http: false });
      return { gw, publisher };
    }

    it('updates to an existing case become status_changed and updated events for that case; untouched cases stay quiet', async () => {
      const t = await table();
      await h.exec(
        `INSERT INTO ${h.q(t)} (id, ref, status, note, updated_at) VALUES (1, 'HR-1', 'OPEN', 'Leaking tap', '2025-03-01 10:00:00'), (2, 'HR-2', 'OPEN', 'Broken window', '2025-03-01 10:05:00'), (3, 'HR-3', 'OPEN', 'Damp', '2025-03-01 10:10:00')`,
      );
      const dir = mkdtempSync(join(tmpdir(), 'cb-sqlgw-'));
      const read = `      mode: incremental\n      table: ${t}\n      updatedAt: updated_at\n      key: id`;
      const first = await gateway(dir, read);
      const [s1] = await first.gw.runAllOnce();
      expect(s1).toMatchObject({ status: 'ok', read: 3, published: 3 });
      expect(first.publisher.events.map((e) => [e.event.subject, e.event.data.change.kind])).toEqual([
        ['HR-1', 'created'],
        ['HR-2', 'created'],
        ['HR-3', 'created'],
      ]);
      await first.gw.stop();

      await h.exec(`UPDATE ${h.q(t)} SET status = 'WIP', updated_at = '2025-03-02 09:00:00' WHERE id = 1`);
      await h.exec(`UPDATE ${h.q(t)} SET note = 'Broken window, rear', updated_at = '2025-03-02 09:30:00' WHERE id = 2`);
      await h.exec(`UPDATE ${h.q(t)} SET status = 'DONE', updated_at = '2025-03-02 10:00:00' WHERE id = 3`);
      const second = await gateway(dir, read);
      const [s2] = await second.gw.runAllOnce();
      expect(s2).toMatchObject({ status: 'ok', read: 3, published: 3 });
      const byCase = Object.fromEntries(second.publisher.events.map((e) => [e.event.subject, e.event]));
      expect(byCase['HR-1']!.type).toBe('uk.casebridge.case.status_changed.v1');
      expect(byCase['HR-1']!.data.change).toMatchObject({ kind: 'status_changed', previousStatus: 'received', previousStatusCode: 'OPEN' });
      expect(byCase['HR-1']!.data.case.status).toMatchObject({ lifecycle: 'in_progress', code: 'WIP' });
      expect(byCase['HR-1']!.data.case.updatedAt).toBe('2025-03-02T09:00:00+00:00');
      expect(byCase['HR-2']!.data.change).toMatchObject({ kind: 'updated', fields: ['case.description'] });
      expect(byCase['HR-3']!.data.change).toMatchObject({ kind: 'closed', previousStatus: 'received' });
      expect(byCase['HR-1']!.data.provenance.position).toEqual({ table: expect.stringMatching(new RegExp(`${t}$`)), key: '1' });

      // Nothing changed since: the next run reads nothing and publishes nothing.
      const [s3] = await second.gw.runAllOnce();
      expect(s3).toMatchObject({ status: 'ok', read: 0, published: 0 });
      await second.gw.stop();
    });

    it('snapshot mode: an unchanged table publishes nothing, a change is an event, a deleted case is closed', async () => {
      const t = await table();
      await h.exec(
        `INSERT INTO ${h.q(t)} (id, ref, status, note, updated_at) VALUES (1, 'HR-1', 'OPEN', 'a', '2025-03-01 10:00:00'), (2, 'HR-2', 'OPEN', 'b', '2025-03-01 10:00:00'), (3, 'HR-3', 'OPEN', 'c', '2025-03-01 10:00:00')`,
      );
      const dir = mkdtempSync(join(tmpdir(), 'cb-sqlgw-'));
      const read = `      mode: snapshot\n      table: ${t}\n      key: id\n      onMissing: close`;
      const { gw, publisher } = await gateway(dir, read);
      await gw.runAllOnce();
      expect(publisher.events).toHaveLength(3);
      const [same] = await gw.runAllOnce();
      expect(same).toMatchObject({ read: 3, published: 0 });
      await h.exec(`UPDATE ${h.q(t)} SET status = 'WIP', updated_at = '2025-03-02 10:00:00' WHERE id = 2`);
      await h.exec(`DELETE FROM ${h.q(t)} WHERE id = 3`);
      const [changed] = await gw.runAllOnce();
      expect(changed).toMatchObject({ read: 2, published: 2 });
      expect(publisher.events.slice(3).map((e) => [e.event.subject, e.event.data.change.kind])).toEqual([
        ['HR-2', 'status_changed'],
        ['HR-3', 'closed'],
      ]);
      await gw.stop();
    });

    it('a gateway killed with SIGKILL mid-poll and restarted loses nothing; repeats carry identical ids', async () => {
      const t = await table();
      const rows = 6000;
      // Many rows share each timestamp so batch boundaries fall inside tie groups.
      const values = Array.from({ length: rows }, (_, i) => `(${i + 1}, 'HR-${i + 1}', 'OPEN', 'n', '2025-03-01 10:${String(Math.floor(i / 250)).padStart(2, '0')}:00')`);
      for (let i = 0; i < values.length; i += 1000) await h.exec(`INSERT INTO ${h.q(t)} (id, ref, status, note, updated_at) VALUES ${values.slice(i, i + 1000).join(', ')}`);
      const dir = mkdtempSync(join(tmpdir(), 'cb-sqlkill-'));
      const configFile = join(dir, 'casebridge.yaml');
      const batch = 25;
      writeFileSync(configFile, yaml(dir, h.connection, `      mode: incremental\n      table: ${t}\n      updatedAt: updated_at\n      key: id`, batch));

      const child = spawnCli(['run', configFile, '--once']);
      const eventsDir = join(dir, 'events');
      const deadline = Date.now() + 60_000;
      while (readEvents(eventsDir).length < rows / 4 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      expect(child.exitCode, `the run ended before it could be killed: ${child.output().stderr}`).toBeNull();
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const before = readEvents(eventsDir).length;
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(rows);

      const r = runCli(['run', configFile, '--once', '--json'], { timeoutMs: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const events = readEvents(eventsDir);
      const idsByCase = new Map<string, Set<string>>();
      for (const e of events) idsByCase.set(e.subject, (idsByCase.get(e.subject) ?? new Set()).add(e.id));
      expect(idsByCase.size).toBe(rows);
      for (const [ref, ids] of idsByCase) expect(ids.size, `case ${ref} has differing ids`).toBe(1);
      // Only what was in flight at the kill (published, not yet committed) may repeat.
      expect(events.length - rows).toBeLessThanOrEqual(batch * 2);
    });
  });
}
