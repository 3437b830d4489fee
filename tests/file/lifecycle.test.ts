/**
 * What happens to a file around its records: moved only after its last batch is committed and
 * acked, resumed without loss after a crash, recognised when dropped again, rejected whole past a
 * threshold with a reason file that accounts for what was already published.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileSource } from '../../src/connectors/file/create.js';
import { LEDGER_NAMESPACE, type LedgerEntry } from '../../src/connectors/file/file-source.js';
import { until } from '../helpers/until.js';
import { deps, drain, drainAhead, fileConfig, openState, tempDir } from './harness.js';
import { collect } from '../helpers/collect.js';
import { committed } from '../helpers/outcome.js';

const HEADER = '"History Date/Time","Recorded Date","CRNo","Stage Desc.","Date Cleared","Inspection","LCA","Action Due","Event Type","Stage"';
function historyRow(i: number, stage = 1): string {
  const cr = String(2511000 + i);
  return `"03/11/2025 14:${String(i % 60).padStart(2, '0')}","03/11/2025 09:12","${cr}","Stage ${stage}","","Fly Tipping","LCA03","08/11/2025","Stage Change","${stage}"`;
}
function historyCsv(rows: number, opts: { bad?: number[]; stage?: number } = {}): string {
  const lines = [HEADER];
  for (let i = 1; i <= rows; i++) lines.push(opts.bad?.includes(i) ? `"03/11/2025 14:00","${2511000 + i}"` : historyRow(i, opts.stage));
  return lines.join('\r\n') + '\r\n';
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function setup(extra: Record<string, unknown> = {}) {
  const t = tempDir();
  const { store, state } = openState(t.dir);
  cleanups.push(() => {
    store.close();
    t.cleanup();
  });
  const make = (more: Record<string, unknown> = {}) =>
    createFileSource(fileConfig({ path: '.', ready: { stableFor: '0s' }, format: { type: 'csv' }, ...extra, ...more }), deps(state, t.dir));
  return { dir: t.dir, state, make };
}

describe('after publishing', () => {
  it('moves a file only in the ack of its last batch, after every batch before it was committed', async () => {
    const { dir, state, make } = setup({ batchSize: 2 });
    writeFileSync(join(dir, 'h.csv'), historyCsv(5));
    const source = make();
    const seen: { records: number; final: boolean; presentBeforeAck: boolean; presentAfterAck: boolean }[] = [];
    for await (const b of source.read({ checkpoint: await state.checkpoint(), signal: new AbortController().signal })) {
      const presentBeforeAck = existsSync(join(dir, 'h.csv'));
      await state.commit({ checkpoint: b.checkpoint, writes: b.stateWrites ?? [] });
      await b.ack(committed(b));
      seen.push({ records: b.records.length, final: !!b.stateWrites?.length, presentBeforeAck, presentAfterAck: existsSync(join(dir, 'h.csv')) });
    }
    expect(seen).toEqual([
      { records: 2, final: false, presentBeforeAck: true, presentAfterAck: true },
      { records: 2, final: false, presentBeforeAck: true, presentAfterAck: true },
      { records: 1, final: false, presentBeforeAck: true, presentAfterAck: true },
      { records: 0, final: true, presentBeforeAck: true, presentAfterAck: false },
    ]);
    expect(existsSync(join(dir, 'processed', 'h.csv'))).toBe(true);
    const ledger = (await collect(state.entries<LedgerEntry>(LEDGER_NAMESPACE))).map(([, v]) => v);
    expect(ledger).toMatchObject([{ name: 'h.csv', outcome: 'processed', records: 5, rejects: 0 }]);
    expect(ledger[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('resumes a file after a crash mid-file without losing a row', async () => {
    const { dir, state, make } = setup({ batchSize: 3 });
    writeFileSync(join(dir, 'h.csv'), historyCsv(10));
    // First process: two batches (6 rows) committed, then it dies holding the third.
    const first = await drain(make(), state, { stopAfter: 2 });
    expect(first.records).toHaveLength(6);
    expect(existsSync(join(dir, 'h.csv'))).toBe(true);
    // A new process starts from the committed checkpoint.
    const second = await drain(make(), state);
    const lines = [...first.records, ...second.records].map((r) => r.position.line);
    expect(lines).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(second.records[0]!.raw.CRNo).toBe('2511007');
    expect(existsSync(join(dir, 'processed', 'h.csv'))).toBe(true);
  });

  it('completes the move of a file committed just before a crash, without emitting it again', async () => {
    const { dir, state, make } = setup();
    writeFileSync(join(dir, 'h.csv'), historyCsv(3));
    const first = await drain(make(), state, { ackFails: true }); // committed, never acked
    expect(first.records).toHaveLength(3);
    expect(existsSync(join(dir, 'h.csv'))).toBe(true);
    const second = await drain(make(), state);
    expect(second.records).toEqual([]);
    expect(existsSync(join(dir, 'processed', 'h.csv'))).toBe(true);
    expect(existsSync(join(dir, 'duplicates'))).toBe(false);
  });

  it('recognises the same file dropped twice and sets it aside; a changed file with the same name is read as new', async () => {
    const { dir, state, make } = setup();
    const content = historyCsv(3);
    writeFileSync(join(dir, 'h.csv'), content);
    expect((await drain(make(), state)).records).toHaveLength(3);

    writeFileSync(join(dir, 'h.csv'), content); // dropped again, same bytes
    utimesSync(join(dir, 'h.csv'), new Date(), new Date(Date.now() + 5000));
    writeFileSync(join(dir, 'copy-of-h.csv'), content);
    const again = await drain(make(), state);
    expect(again.records).toEqual([]);
    expect(readdirSync(join(dir, 'duplicates')).sort()).toEqual(['copy-of-h.csv', 'h.csv']);

    writeFileSync(join(dir, 'h.csv'), historyCsv(4, { stage: 2 })); // same name, new content
    const changed = await drain(make(), state);
    expect(changed.records.map((r) => r.raw.Stage)).toEqual(['2', '2', '2', '2']);
    const processed = readdirSync(join(dir, 'processed')).sort();
    expect(processed).toHaveLength(2);
    expect(processed[0]).toBe('h.csv');
    expect(processed[1]).toMatch(/^h~[0-9a-f]{8}\.csv$/);
  });

  it('deletes instead of moving when configured, marker included', async () => {
    const { dir, state, make } = setup({ after: { action: 'delete' }, ready: { stableFor: '0s', marker: '{name}.done' } });
    writeFileSync(join(dir, 'h.csv'), historyCsv(2));
    writeFileSync(join(dir, 'h.csv.done'), '');
    expect((await drain(make(), state)).records).toHaveLength(2);
    expect(readdirSync(dir).filter((n) => n.startsWith('h.csv'))).toEqual([]);
    expect(existsSync(join(dir, 'processed'))).toBe(false);
  });

  it('keeps files in place with action keep, and the ledger stops a second read', async () => {
    const { dir, state, make } = setup({ after: { action: 'keep' } });
    writeFileSync(join(dir, 'h.csv'), historyCsv(2));
    expect((await drain(make(), state)).records).toHaveLength(2);
    expect((await drain(make(), state)).records).toEqual([]);
    expect(existsSync(join(dir, 'h.csv'))).toBe(true);
    expect(existsSync(join(dir, 'duplicates'))).toBe(false);
  });
});

describe('batch size', () => {
  it('ends a batch once its rows hold batchBytes of text, however few they are, and loses none', async () => {
    const { dir, state, make } = setup({ batchSize: 500, batchBytes: '4KB' });
    // Ten rows with a 1,500-character note each, then ten narrow ones: the wide rows go three to a
    // batch (the third passes 4 KB), the narrow ones together.
    const note = 'x'.repeat(1500);
    const lines = [`${HEADER},"Notes"`];
    for (let i = 1; i <= 20; i++) lines.push(`${historyRow(i)},"${i <= 10 ? note : ''}"`);
    writeFileSync(join(dir, 'h.csv'), lines.join('\r\n') + '\r\n');
    const sizes: number[] = [];
    const rows: unknown[] = [];
    for await (const b of make().read({ checkpoint: await state.checkpoint(), signal: new AbortController().signal })) {
      await state.commit({ checkpoint: b.checkpoint, writes: b.stateWrites ?? [] });
      await b.ack(committed(b));
      if (b.records.length) sizes.push(b.records.length);
      rows.push(...b.records.map((r) => r.raw.CRNo));
    }
    expect(sizes).toEqual([3, 3, 3, 11]);
    expect(rows).toEqual(Array.from({ length: 20 }, (_, i) => String(2511001 + i)));
  });

  it('takes byte sizes as text or numbers and refuses anything else, naming the field', () => {
    expect(fileConfig({ path: '.', batchBytes: '512KB' }).batchBytes).toBe('512KB');
    expect(fileConfig({ path: '.', batchBytes: 65536 }).batchBytes).toBe(65536);
    expect(fileConfig({ path: '.' }).batchBytes).toBe('1MB');
    expect(() => fileConfig({ path: '.', batchBytes: 'lots' })).toThrow(/batchBytes[\s\S]*a size such as 512KB/);
  });
});

describe('a runtime reading ahead', () => {
  it('stops a file at the same row when the unanswered batch could tip the threshold, and counts every batch in the verdict', async () => {
    const { dir, state, make } = setup({ batchSize: 10, rejects: { maxRatio: 0.5, minRows: 20 } });
    writeFileSync(join(dir, 'h.csv'), historyCsv(40));
    // The "mapping" refuses every record: after 20 rows the ratio is 100%, as in the test below.
    const out = await drainAhead(make(), state, { deadLetter: (b) => b.records.length });
    expect(out.records).toHaveLength(20);
    const reason = readFileSync(join(dir, 'rejected', 'h.csv.reason.txt'), 'utf8');
    expect(reason).toMatch(/20 of 20 rows rejected \(100%\), more than rejects.maxRatio 0.5/);
  });

  it('commits checkpoints that count every batch acked before them, and moves the file after its last ack', async () => {
    const { dir, state, make } = setup({ batchSize: 2 });
    writeFileSync(join(dir, 'h.csv'), historyCsv(5));
    const out = await drainAhead(make(), state);
    expect(out.records).toHaveLength(5);
    // Each data batch's checkpoint, committed after the batch before it was acked, counts that batch.
    const published = out.committed.flatMap((cp) => {
      const current = (cp as { current?: { published: number } } | null)?.current;
      return current ? [current.published] : [];
    });
    expect(published).toEqual([0, 2, 4]);
    const ledger = (await collect(state.entries<LedgerEntry>(LEDGER_NAMESPACE))).map(([, v]) => v);
    expect(ledger).toMatchObject([{ name: 'h.csv', outcome: 'processed', records: 5, rejects: 0 }]);
    expect(existsSync(join(dir, 'processed', 'h.csv'))).toBe(true);
  });
});

describe('reject thresholds', () => {
  it('rejects a file whole once its parser rejects pass maxCount, stops reading, and accounts for what was published', async () => {
    const { dir, state, make } = setup({ batchSize: 5, rejects: { maxCount: 2 } });
    writeFileSync(join(dir, 'bad.csv'), historyCsv(40, { bad: [3, 12, 14, 15, 30] }));
    const out = await drain(make(), state);
    // Rows 1..14 were read: 11 records and 3 rejects; the third reject passed maxCount.
    expect(out.records).toHaveLength(11);
    expect(out.rejects.map((r) => r.position.line)).toEqual([4, 13, 15]);
    expect(existsSync(join(dir, 'rejected', 'bad.csv'))).toBe(true);
    const reason = readFileSync(join(dir, 'rejected', 'bad.csv.reason.txt'), 'utf8');
    expect(reason).toMatch(/reason: +3 rows rejected, more than rejects.maxCount 2/);
    expect(reason).toMatch(/rows read: +14 \(reading stopped after line 15; later rows were not read\)/);
    expect(reason).toMatch(/events already published: +11/);
    expect(reason).toMatch(/line 4: expected 10 fields/);
    const ledger = await state.get<LedgerEntry>(LEDGER_NAMESPACE, (await collect(state.entries(LEDGER_NAMESPACE)))[0]![0]);
    expect(ledger?.outcome).toBe('rejected');
  });

  it('counts records the mapping dead-letters towards the ratio', async () => {
    const { dir, state, make } = setup({ batchSize: 10, rejects: { maxRatio: 0.5, minRows: 20 } });
    writeFileSync(join(dir, 'h.csv'), historyCsv(30));
    // The "mapping" refuses every record: after 20 rows the ratio is 100%.
    const out = await drain(make(), state, { deadLetter: (b) => b.records.length });
    expect(out.records).toHaveLength(20);
    const reason = readFileSync(join(dir, 'rejected', 'h.csv.reason.txt'), 'utf8');
    expect(reason).toMatch(/20 of 20 rows rejected \(100%\), more than rejects.maxRatio 0.5/);
    expect(reason).toMatch(/events already published: +0/);
  });
});

describe('complete-file detection', () => {
  it('does not read a file that is still growing, and reads all of it once it is stable', async () => {
    const { dir, state, make } = setup({ ready: { stableFor: '400ms' } });
    const path = join(dir, 'growing.csv');
    writeFileSync(path, HEADER + '\r\n');
    // Not a race: the writer's 100 ms timer is always due before the reader's second look 400 ms
    // after its first (same process, same timer queue), so the file changes between the two looks.
    let written = 0;
    const writer = setInterval(() => {
      written++;
      writeFileSync(path, historyRow(written) + '\r\n', { flag: 'a' });
    }, 100);
    try {
      const during = await drain(make(), state);
      expect(during.records).toEqual([]);
      expect(existsSync(path)).toBe(true);
    } finally {
      clearInterval(writer);
    }
    const after = await drain(make(), state);
    expect(after.records).toHaveLength(written);
    expect(after.rejects).toEqual([]);
  });

  it('waits for a marker file, ignores temp names of a write-then-rename upload, and honours minAge', async () => {
    const { dir, state, make } = setup({ ready: { stableFor: '0s', marker: '{stem}.ok', minAge: '1h' } });
    writeFileSync(join(dir, 'a.csv'), historyCsv(1));
    writeFileSync(join(dir, 'b.csv.part'), historyCsv(2));
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(join(dir, 'a.csv'), old, old);
    expect((await drain(make(), state)).records).toEqual([]); // no marker yet

    writeFileSync(join(dir, 'a.ok'), '');
    copyFileSync(join(dir, 'b.csv.part'), join(dir, 'b.csv')); // renamed into place, but too young
    writeFileSync(join(dir, 'b.ok'), '');
    const r = await drain(make(), state);
    expect(r.records.map((x) => x.position.file)).toEqual(['a.csv']);
    expect(readdirSync(join(dir, 'processed')).sort()).toEqual(['a.csv', 'a.ok']);

    utimesSync(join(dir, 'b.csv'), old, old);
    const r2 = await drain(make(), state);
    expect(r2.records.map((x) => x.position.file)).toEqual(['b.csv', 'b.csv']);
    expect(existsSync(join(dir, 'b.csv.part'))).toBe(true); // never read
  });
});

describe('watch mode', () => {
  it('picks up each file once it is complete and keeps running until aborted', async () => {
    const { dir, state, make } = setup({ watch: true, pollInterval: '1s', ready: { stableFor: '300ms' } });
    const source = make();
    expect(source.continuous).toBe(true);
    const ac = new AbortController();
    const got: { file: string }[] = [];
    const run = (async () => {
      for await (const b of source.read({ checkpoint: await state.checkpoint(), signal: ac.signal })) {
        await state.commit({ checkpoint: b.checkpoint, writes: b.stateWrites ?? [] });
        await b.ack(committed(b));
        for (const r of b.records) got.push({ file: r.position.file! });
      }
    })();
    // Written before or after the watcher is up, a file is found (the first scan or the watch).
    writeFileSync(join(dir, 'w1.csv'), historyCsv(2));
    await until(() => got.length >= 2, 'w1.csv to be read');
    expect(got.map((g) => g.file)).toEqual(['w1.csv', 'w1.csv']);
    writeFileSync(join(dir, 'w2.csv'), historyCsv(1));
    await until(() => got.length >= 3, 'w2.csv to be read while still watching');
    expect(got.map((g) => g.file)).toEqual(['w1.csv', 'w1.csv', 'w2.csv']);
    ac.abort();
    await run;
    await source.close();
    await source.close(); // twice is fine
  });
});
