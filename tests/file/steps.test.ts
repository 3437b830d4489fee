/** The file source's steps alone: input selection, seen-file memory, ledger decisions, reading progress, reason file, after-actions. */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { fixedClock } from '../../src/core/clock.js';
import { createSeenContentHandler } from '../../src/connectors/file/seen-content.js';
import { AfterRules, RejectRules } from '../../src/connectors/file/config.js';
import { createInputFilter, markerName, selectInputs, createNotRegularReporter } from '../../src/connectors/file/inputs.js';
import { ACTION_RETRY_MS, SeenFiles } from '../../src/connectors/file/seen-files.js';
import { contentKey, ledgerWrite, readAgain, seenAction, unreadableKey, LEDGER_NAMESPACE, type LedgerEntry } from '../../src/connectors/file/ledger.js';
import { FileReading, overThreshold, REASON_SAMPLES, resumeFrom } from '../../src/connectors/file/progress.js';
import { reasonFileText } from '../../src/connectors/file/reason-file.js';
import { createAfterAction } from '../../src/connectors/file/after-action.js';
import type { DroppedFile, FileStore } from '../../src/connectors/file/store.js';

const f = (name: string, extra: Partial<DroppedFile> = {}): DroppedFile => ({ name, size: 10, mtimeMs: 1000, ...extra });

describe('file inputs', () => {
  it('names markers from {name} and {stem}', () => {
    expect(markerName('{name}.done', 'a.csv')).toBe('a.csv.done');
    expect(markerName('{stem}.ok', 'a.csv')).toBe('a.ok');
    expect(markerName(undefined, 'a.csv')).toBeUndefined();
  });

  it('keeps wanted regular files that are not ignored or markers, in name or mtime order', () => {
    const config = { pattern: '*.csv', ignore: ['*.tmp.csv'], ready: { marker: '{name}.csv' }, order: 'name' } as never;
    const listed = [f('b.csv', { mtimeMs: 1 }), f('a.csv', { mtimeMs: 2 }), f('a.csv.csv'), f('x.tmp.csv'), f('notes.txt'), f('link.csv', { notRegular: 'symlink' }), f('skip.txt', { notRegular: 'special' })];
    const out = selectInputs(listed, createInputFilter(config));
    expect(out.files.map((x) => x.name)).toEqual(['a.csv', 'b.csv']);
    expect(out.names.has('a.csv.csv')).toBe(true);
    expect(out.notRegular).toEqual([{ name: 'link.csv', kind: 'symlink' }]);
    const byTime = selectInputs(listed, createInputFilter({ ...(config as object), order: 'mtime' } as never));
    expect(byTime.files.map((x) => x.name)).toEqual(['b.csv', 'a.csv']);
  });

  it('reports an entry that is not a regular file once', () => {
    const counted: string[] = [];
    const report = createNotRegularReporter(silentLogger(), { skippedEntry: (k) => counted.push(k) });
    report('l.csv', 'symlink');
    report('l.csv', 'symlink');
    report('p.csv', 'special');
    expect(counted).toEqual(['symlink', 'special']);
  });
});

describe('seen files', () => {
  it('remembers hashes of unchanged files and forgets files that left the folder', () => {
    const seen = new SeenFiles();
    seen.rememberHash(f('a.csv'), 'h1');
    seen.rememberHash(f('b.csv'), 'h2');
    expect(seen.hashOf(f('a.csv'))).toBe('h1');
    expect(seen.hashOf(f('a.csv', { size: 11 }))).toBeUndefined();
    seen.forgetGone([f('a.csv')], new Set(['a.csv']));
    expect(seen.hashOf(f('b.csv'))).toBeUndefined();
    expect(seen.hashOf(f('a.csv'))).toBe('h1');
  });

  it('waits out the retry interval after a failed after-action, and forgets it when the file is gone', () => {
    const seen = new SeenFiles();
    seen.actionFailed(f('a.csv'), 0);
    expect(seen.actionDue(f('a.csv'), ACTION_RETRY_MS - 1)).toBe(false);
    expect(seen.actionDue(f('a.csv'), ACTION_RETRY_MS)).toBe(true);
    seen.forgetGone([], new Set());
    expect(seen.actionDue(f('a.csv'), 1)).toBe(true);
    seen.actionFailed(f('b.csv'), 0);
    seen.actionDone(f('b.csv'));
    expect(seen.actionDue(f('b.csv'), 1)).toBe(true);
  });
});

describe('file ledger', () => {
  const entry = (extra: Partial<LedgerEntry> = {}): LedgerEntry => ({ name: 'a.csv', size: 10, mtimeMs: 1000, sha256: 'h', outcome: 'processed', records: 1, rejects: 0, finishedAt: 't', ...extra });
  const keep = { action: 'keep' } as AfterRules;
  const move = AfterRules.parse({});

  it('keys empty files by name and time, unreadable files by name, size and time', () => {
    expect(contentKey(f('a.csv'), 10, 'h')).toBe('h');
    expect(contentKey(f('a.csv'), 0, 'h')).not.toBe(contentKey(f('b.csv'), 0, 'h'));
    expect(unreadableKey(f('a.csv'))).not.toBe(unreadableKey(f('a.csv', { mtimeMs: 2 })));
    expect(ledgerWrite(f('a.csv'), 'h', 'rejected', { records: 2 }, 't', 'bad')).toEqual({ op: 'put', namespace: LEDGER_NAMESPACE, key: 'h', value: { ...entry({ outcome: 'rejected', records: 2, reason: 'bad' }) } });
  });

  it('reads a snapshot again only when it equals an older processed one, not the last', () => {
    const other = f('b.csv');
    expect(readAgain('snapshot', other, entry(), 'older')).toBe(true);
    expect(readAgain('snapshot', other, entry(), 'h')).toBe(false);
    expect(readAgain('snapshot', f('a.csv'), entry(), 'older')).toBe(false);
    expect(readAgain('snapshot', other, entry({ outcome: 'rejected' }), 'older')).toBe(false);
    expect(readAgain('delta', other, entry(), 'older')).toBe(false);
  });

  it('decides what to do with content already in the ledger', () => {
    expect(seenAction({ mode: 'delta', after: keep }, f('a.csv'), entry(), undefined)).toBe('leave');
    expect(seenAction({ mode: 'delta', after: move }, f('a.csv'), entry(), undefined)).toBe('complete');
    expect(seenAction({ mode: 'snapshot', after: move }, f('b.csv'), entry(), 'h')).toBe('unchanged');
    expect(seenAction({ mode: 'delta', after: move }, f('b.csv'), entry(), 'h')).toBe('duplicate');
  });
});

describe('file reading progress', () => {
  const rules = RejectRules.parse({ maxRatio: 0.5, minRows: 4 });

  it('resumes counts and skips only for the same content', () => {
    const current = { sha256: 'h', next: 7, records: 6, rejects: 1, deadLettered: 1, published: 5, snapshotId: 's' };
    expect(resumeFrom(current, 'h')).toEqual({ from: current, skipUntil: 7, stats: { items: 7, records: 6, rejects: 1, deadLettered: 1, published: 5 } });
    expect(resumeFrom(current, 'other')).toEqual({ skipUntil: 0, stats: { items: 0, records: 0, rejects: 0, deadLettered: 0, published: 0 } });
  });

  it('judges the ratio only after minRows rows, or at the end; a count limit at once', () => {
    expect(overThreshold(rules, 2, 3, false)).toBeUndefined();
    expect(overThreshold(rules, 2, 3, true)).toBe('2 of 3 rows rejected (67%), more than rejects.maxRatio 0.5');
    expect(overThreshold(RejectRules.parse({ maxCount: 1 }), 2, 100, false)).toBe('2 rows rejected, more than rejects.maxCount 1');
  });

  it('gathers records and rejects with positions, skips committed items, and stops on the threshold', () => {
    const r = new FileReading('a.csv', 1, resumeFrom(undefined, 'h').stats, rules);
    expect(r.add({ kind: 'record', raw: { n: 0 }, line: 2 }, 't')).toBeUndefined(); // committed before: skipped
    expect(r.add({ kind: 'record', raw: { n: 1 }, line: 3 }, 't')).toBeUndefined();
    expect(r.add({ kind: 'reject', reason: 'line 4: bad quote', original: 'x"', line: 4 }, 't')).toBeUndefined();
    expect(r.pending).toBe(2);
    const taken = r.take();
    expect(taken.records).toEqual([{ raw: { n: 1 }, position: { file: 'a.csv', line: 3 }, fetchedAt: 't' }]);
    expect(taken.rejects).toEqual([{ reason: 'a.csv line 4: bad quote', original: 'x"', position: { file: 'a.csv', line: 4 } }]);
    expect(r.pending).toBe(0);
    // The taken reject counts again only once the runtime reports it as a dead letter.
    expect(r.add({ kind: 'reject', reason: 'r5', original: '', line: 5 }, 't')).toBeUndefined();
    // 4 rows read, 2 rejects pending: not more than half yet.
    expect(r.add({ kind: 'reject', reason: 'r6', original: '', line: 6 }, 't')).toBeUndefined();
    r.stats.deadLettered = 1;
    expect(r.add({ kind: 'reject', reason: 'r7', original: '', line: 7 }, 't')).toBe('4 of 5 rows rejected (80%), more than rejects.maxRatio 0.5');
    expect(r).toMatchObject({ ordinal: 6, lastLine: 7, stats: { items: 5, records: 1, rejects: 4 } });
    expect(r.samples).toEqual(['line 4: bad quote', 'r5', 'r6', 'r7']);
    expect(REASON_SAMPLES).toBeGreaterThan(3);
  });
});

describe('file reason file and after-actions', () => {
  it('writes what a person needs to fix the file', () => {
    const text = reasonFileText({ file: f('a.csv'), where: '/in/a.csv', sha256: 'h', connector: 'c', at: 'T', reason: 'too many rejects', stats: { items: 9, rejects: 5, stoppedAtLine: 10 }, samples: ['line 3: bad'] });
    expect(text).toContain('file:       /in/a.csv');
    expect(text).toContain('reason:     too many rejects');
    expect(text).toContain('rows read:                 9 (reading stopped after line 10; later rows were not read)');
    expect(text).toContain('first rejected rows:\n  line 3: bad\n');
    expect(reasonFileText({ file: f('a.csv'), where: 'w', sha256: 'h', connector: 'c', at: 'T', reason: 'r', stats: {}, samples: [] })).not.toContain('rows read');
  });

  function fakeStore(missing = new Set<string>()) {
    const calls: string[] = [];
    const store = {
      async moveTo(name: string, folder: string, opts?: { suffix?: string }) {
        calls.push(`move ${name} ${folder} ${opts?.suffix}`);
        if (missing.has(name)) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
        return `${folder}/${name}`;
      },
      async remove(name: string) {
        calls.push(`remove ${name}`);
      },
      async writeText(folder: string, name: string) {
        calls.push(`write ${folder}/${name}`);
      },
    } as unknown as FileStore;
    return { store, calls };
  }

  it('moves with its marker, deletes only processed files, keeps the folder as it is with keep', async () => {
    const marker = (n: string) => `${n}.done`;
    const move = fakeStore();
    await createAfterAction(AfterRules.parse({}), move.store, silentLogger(), marker)(f('a.csv'), 'rejected', 'abcdef0123', 'why');
    expect(move.calls).toEqual(['move a.csv rejected abcdef01', 'write rejected/a.csv.reason.txt', 'move a.csv.done rejected abcdef01']);
    const del = fakeStore();
    const deleting = createAfterAction(AfterRules.parse({ action: 'delete' }), del.store, silentLogger(), marker);
    await deleting(f('a.csv'), 'processed', 'h');
    await deleting(f('b.csv'), 'duplicate', 'h');
    expect(del.calls).toEqual(['remove a.csv', 'remove a.csv.done', 'move b.csv duplicates h', 'remove b.csv.done']);
    const keep = fakeStore();
    await createAfterAction(AfterRules.parse({ action: 'keep' }), keep.store, silentLogger(), marker)(f('a.csv'), 'rejected', 'h', 'why');
    expect(keep.calls).toEqual(['write rejected/a.csv.reason.txt']);
  });

  it('treats a file already moved as done (ack is idempotent)', async () => {
    const gone = fakeStore(new Set(['a.csv']));
    await createAfterAction(AfterRules.parse({}), gone.store, silentLogger(), () => undefined)(f('a.csv'), 'processed', 'h');
    expect(gone.calls).toEqual(['move a.csv processed h']);
  });
});

describe('file content already read', () => {
  const entry = (extra: Partial<LedgerEntry> = {}): LedgerEntry => ({ name: 'a.csv', size: 10, mtimeMs: 1000, sha256: 'h', outcome: 'processed', records: 1, rejects: 0, finishedAt: 't', ...extra });
  function handler(fail = false) {
    const acted: string[] = [];
    const clock = fixedClock('2025-01-01T00:00:00Z');
    const seenFiles = new SeenFiles();
    const handle = createSeenContentHandler({
      config: { mode: 'delta', after: AfterRules.parse({}) },
      seenFiles,
      afterAction: async (file, outcome, sha, reason) => {
        acted.push(`${file.name} ${outcome} ${sha}${reason ? ` reason:${reason.trim()}` : ''}`);
        if (fail) throw new Error('disk full');
      },
      reasonFile: (_f, _s, reason) => `${reason}\n`,
      clock,
      log: silentLogger(),
    });
    return { handle, acted, clock };
  }

  it('completes the after-action of the same file, with its reason when it was rejected, and sets a copy aside as a duplicate', async () => {
    const { handle, acted } = handler();
    await handle(f('a.csv'), entry({ outcome: 'rejected', reason: 'too many rejects' }), undefined);
    await handle(f('copy.csv'), entry(), undefined);
    expect(acted).toEqual(['a.csv rejected h reason:too many rejects', 'copy.csv duplicate h']);
  });

  it('retries a failed move only after the retry interval', async () => {
    const { handle, acted, clock } = handler(true);
    await handle(f('a.csv'), entry(), undefined);
    await handle(f('a.csv'), entry(), undefined);
    expect(acted).toHaveLength(1);
    clock.advance(ACTION_RETRY_MS);
    await handle(f('a.csv'), entry(), undefined);
    expect(acted).toHaveLength(2);
  });
});
