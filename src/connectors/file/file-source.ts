/**
 * The file-drop source: finds complete files, reads each one as a stream of records, and hands
 * them to the runtime in batches. It never moves a file itself before the runtime says the
 * file's events are durable: a file is moved (or deleted) only in the ack() of its LAST batch,
 * which the runtime calls after that batch — and so every batch before it — was published and
 * committed.
 *
 * Restart rules, all driven by what is committed in the state store:
 *  - checkpoint.current says how many items of which file (by content hash) are committed; a
 *    crash mid-file re-reads that file and skips them (a few rows may repeat; event ids are
 *    deterministic, so a repeat is a duplicate portals can drop);
 *  - the ledger (namespace "file-ledger", keyed by SHA-256 of the content) is written with a
 *    file's last batch: a file in the ledger is never emitted again. When its name, size and
 *    mtime match, it is the same file left behind by a crash between commit and ack, and its
 *    after-action is simply completed; otherwise it is an identical re-drop and is moved aside.
 *    Snapshot mode keeps that only for a copy of the LAST snapshot: a copy of an older one is the
 *    supplier's current state again (a case back at an earlier status) and is read like a new file.
 */
import { randomUUID } from 'node:crypto';
import picomatch from 'picomatch';
import { ackOnce, type Checkpoint, type ReadContext, type Source, type SourceBatch, type SourceDeps, type SourceRecord, type SourceReject, type StateWrite } from '../../core/source.js';
import { describeError, isRetriable } from '../../core/errors.js';
import { durationMs } from '../../core/units.js';
import { sha256Hex } from '../../event/identity.js';
import type { FileConnectorConfig } from './config.js';
import { chooseEncoding, EncodingProblem, inspectFile, openText, type FileInspection } from './inspect.js';
import { parseCsv } from './parse-csv.js';
import { parseJson, parseJsonLines } from './parse-json.js';
import { parseXml } from './parse-xml.js';
import { UnreadableFileError, type ParsedItem } from './parsed.js';
import { formatForFile } from './file-format.js';
import type { DroppedFile, FileStore } from './store.js';
import { ReadinessTracker } from './readiness.js';

export const LEDGER_NAMESPACE = 'file-ledger';

export interface LedgerEntry {
  name: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  outcome: 'processed' | 'rejected';
  records: number;
  rejects: number;
  reason?: string;
  finishedAt: string;
}

/** What the checkpoint remembers; the rest of the checkpoint is informational. */
export interface FileCheckpoint {
  /** The file being read and how far its committed batches reach. */
  current?: { name: string; sha256: string; next: number; records: number; rejects: number; deadLettered: number; published: number; snapshotId?: string };
  last?: { name: string; sha256: string; outcome: 'processed' | 'rejected'; at: string };
}

/** Rejected rows kept in memory for the reason file. */
const REASON_SAMPLES = 20;

export function createFileSourceWithStore(config: FileConnectorConfig, deps: SourceDeps, store: FileStore): Source {
  const { logger, clock, state, connector } = deps;
  // The runner's logger already names the connector; a second binding would print the key twice.
  const log = logger.child('connector' in logger.bindings() ? { kind: 'file' } : { connector, kind: 'file' });
  const patterns = Array.isArray(config.pattern) ? config.pattern : [config.pattern];
  const isWanted = picomatch(patterns, { dot: false, nocase: false });
  const isIgnored = picomatch(config.ignore.length ? config.ignore : ['\0'], { dot: true });
  const readiness = new ReadinessTracker(config.ready, clock);
  /** name|size|mtime → sha256, so an unchanged kept file is not hashed on every scan. */
  const knownHashes = new Map<string, string>();
  /** Files whose after-action failed recently: retried on a later scan, not in a tight loop. */
  const failedActions = new Map<string, number>();
  let closed = false;
  /** Names already reported, so a watcher scanning every second says it once. */
  const reportedNotRegular = new Set<string>();
  const reportNotRegular = (name: string, kind: 'symlink' | 'special') => {
    if (reportedNotRegular.has(name)) return;
    if (reportedNotRegular.size > 10_000) reportedNotRegular.clear();
    reportedNotRegular.add(name);
    deps.observe?.skippedEntry(kind);
    const what = kind === 'symlink' ? 'a symlink (it could point anywhere)' : 'a special file (FIFO, socket or device; reading it could block)';
    log.warn({ file: name, kind }, `skipped ${name} in the drop folder: ${what}; only regular files are read`);
  };

  const markerFor = (name: string): string | undefined => {
    const t = config.ready.marker;
    if (!t) return undefined;
    const dot = name.lastIndexOf('.');
    return t.replaceAll('{name}', name).replaceAll('{stem}', dot > 0 ? name.slice(0, dot) : name);
  };

  /** Candidate files in reading order, with the markers present among them. */
  async function scan(): Promise<{ files: DroppedFile[]; names: Set<string> }> {
    const listed = await store.list();
    const all = listed.filter((f) => !f.notRegular);
    for (const f of listed) if (f.notRegular && isWanted(f.name) && !isIgnored(f.name)) reportNotRegular(f.name, f.notRegular);
    const names = new Set(all.map((f) => f.name));
    const markers = new Set<string>();
    for (const f of all) {
      const m = markerFor(f.name);
      if (m) markers.add(m);
    }
    const files = all.filter((f) => isWanted(f.name) && !isIgnored(f.name) && !markers.has(f.name));
    // Forget files that left the folder, so a long-running watcher's memory stays flat.
    const present = new Set(files.map((f) => `${f.name}|${f.size}|${f.mtimeMs}`));
    for (const k of knownHashes.keys()) if (!present.has(k)) knownHashes.delete(k);
    for (const k of failedActions.keys()) if (!names.has(k.slice(0, k.lastIndexOf('|')))) failedActions.delete(k);
    files.sort((a, b) => (config.order === 'mtime' ? a.mtimeMs - b.mtimeMs : 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { files, names };
  }

  async function afterAction(file: DroppedFile, outcome: 'processed' | 'rejected' | 'duplicate', sha256: string, reasonText?: string): Promise<void> {
    const marker = markerFor(file.name);
    const folder = outcome === 'processed' ? config.after.processed : outcome === 'rejected' ? config.after.rejected : config.after.duplicates;
    const suffix = sha256.slice(0, 8);
    if (config.after.action === 'keep') {
      // The input folder is left as it is; a reason for a rejected file still lands in the rejected folder.
      if (reasonText) await store.writeText(folder, `${file.name}.reason.txt`, reasonText);
      return;
    }
    if (config.after.action === 'delete' && outcome === 'processed') {
      await store.remove(file.name);
      if (marker) await store.remove(marker);
      return;
    }
    // Rejected and duplicate files are always kept for a person to look at, even with action: delete.
    let moved: string;
    try {
      moved = await store.moveTo(file.name, folder, { suffix });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // already moved: ack is idempotent
      throw e;
    }
    if (reasonText) await store.writeText(folder, `${moved.split(/[\\/]/).pop()}.reason.txt`, reasonText);
    if (marker) {
      if (config.after.action === 'delete') await store.remove(marker);
      else await store.moveTo(marker, folder, { suffix }).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
    }
    log.info({ file: file.name, outcome, to: moved }, `file ${outcome}: moved to ${folder}`);
  }

  function reasonFile(file: DroppedFile, sha256: string, reason: string, stats: Partial<FileStats>, samples: string[]): string {
    const lines = [
      `casebridge rejected this file.`,
      ``,
      `file:       ${store.where(file.name)}`,
      `size:       ${file.size} bytes, modified ${new Date(file.mtimeMs).toISOString()}`,
      `sha256:     ${sha256}`,
      `connector:  ${connector}`,
      `rejected:   ${clock.now().toISOString()}`,
      ``,
      `reason:     ${reason}`,
      ``,
    ];
    if (stats.items !== undefined) {
      lines.push(
        `rows read:                 ${stats.items}${stats.stoppedAtLine ? ` (reading stopped after line ${stats.stoppedAtLine}; later rows were not read)` : ''}`,
        `rows unreadable (parser):  ${stats.rejects ?? 0}`,
        `records passed on:         ${stats.records ?? 0}`,
        `events already published:  ${stats.published ?? 0} (these stay published; their ids are stable if the file is corrected and dropped again)`,
        `dead letters written:      ${stats.deadLettered ?? 0} (rejected rows and records the mapping refused; see the dead-letter log)`,
        ``,
      );
    }
    if (samples.length) lines.push(`first rejected rows:`, ...samples.map((s) => `  ${s}`), ``);
    lines.push(`To process it again, fix the cause and drop a corrected file; an identical file is recognised and set aside.`);
    return lines.join('\n') + '\n';
  }

  interface FileStats {
    items: number;
    records: number;
    rejects: number;
    deadLettered: number;
    published: number;
    stoppedAtLine?: number;
  }

  function ledgerWrite(file: DroppedFile, sha256: string, outcome: 'processed' | 'rejected', stats: Partial<FileStats>, reason?: string): StateWrite {
    const entry: LedgerEntry = {
      name: file.name,
      size: file.size,
      mtimeMs: file.mtimeMs,
      sha256,
      outcome,
      records: stats.records ?? 0,
      rejects: stats.rejects ?? 0,
      ...(reason ? { reason } : {}),
      finishedAt: clock.now().toISOString(),
    };
    return { op: 'put', namespace: LEDGER_NAMESPACE, key: sha256, value: entry };
  }

  /** One batch that rejects a file whole, before or instead of reading its records. */
  function rejectWholeBatch(file: DroppedFile, sha256: string, reason: string, cp: FileCheckpoint, stats: Partial<FileStats> = {}, samples: string[] = [], unreadable = false): SourceBatch {
    const text = reasonFile(file, sha256, reason, stats, samples);
    const reject: SourceReject = { reason: `file ${file.name} rejected: ${reason}`, original: { file: file.name, size: file.size, sha256 }, position: { file: file.name } };
    return {
      records: [],
      // A file refused whole (never read, or unreadable part-way such as a DTD) is a dead letter of
      // its own; a file stopped by its reject threshold already dead-lettered the rows behind it.
      rejects: stats.items === undefined || unreadable ? [reject] : [],
      rejectedFile: { file: file.name, reason },
      checkpoint: { ...cp, current: undefined, last: { name: file.name, sha256, outcome: 'rejected', at: clock.now().toISOString() } } as Checkpoint,
      stateWrites: [ledgerWrite(file, sha256, 'rejected', stats, reason)],
      ack: ackOnce(async (outcome) => {
        if (outcome.status !== 'committed') return;
        await afterAction(file, 'rejected', sha256, text);
        log.warn({ file: file.name, reason }, `file rejected: ${reason}`);
      }),
    };
  }

  function openItems(path: string, name: string, insp: FileInspection): AsyncGenerator<ParsedItem[]> {
    const format = formatForFile(config.format, name);
    const encoding = chooseEncoding(format.encoding, insp, { xml: format.type === 'xml' });
    switch (format.type) {
      case 'csv':
        return parseCsv(openText(path, encoding), format);
      case 'xml':
        return parseXml(openText(path, encoding), format);
      case 'json':
        return parseJson(openText(path, encoding), format, insp.size);
      case 'jsonl':
        return parseJsonLines(openText(path, encoding), format);
    }
  }

  async function* processFile(file: DroppedFile, ctx: ReadContext, cp: FileCheckpoint): AsyncGenerator<SourceBatch> {
    const key = `${file.name}|${file.size}|${file.mtimeMs}`;
    const knownHash = knownHashes.get(key);
    if (knownHash !== undefined) {
      // Seen unchanged in an earlier scan of this process: no need to fetch and hash it again.
      const seen = await state.get<LedgerEntry>(LEDGER_NAMESPACE, knownHash);
      if (seen && !readAgain(file, seen, cp)) {
        yield* handleSeen(file, seen, cp.last?.sha256);
        return;
      }
    }
    let fetched;
    try {
      fetched = await store.fetch(file, ctx.signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // gone since the listing
      throw e;
    }
    try {
      let insp: FileInspection;
      try {
        insp = await inspectFile(fetched.path, ctx.signal);
      } catch (e) {
        if (ctx.signal.aborted) return;
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        // Unreadable bytes (permissions, I/O error): no hash to key the ledger with. Reject by name,
        // once: if it could not even be moved aside, later scans only retry the move.
        const unreadableKey = sha256Hex(`unreadable ${key}`);
        const seen = await state.get<LedgerEntry>(LEDGER_NAMESPACE, unreadableKey);
        if (seen) yield* handleSeen(file, seen, undefined);
        else yield rejectWholeBatch(file, unreadableKey, `the file cannot be read: ${(e as Error).message}`, cp);
        return;
      }
      // Every empty file has the same hash; an empty export is identified by name and time instead.
      const sha256 = insp.size === 0 ? sha256Hex(`empty file ${file.name} ${file.mtimeMs}`) : insp.sha256;
      knownHashes.set(key, sha256);
      if (insp.size !== file.size) {
        log.debug({ file: file.name }, 'file changed while being read; leaving it for the next scan');
        return;
      }

      const seen = await state.get<LedgerEntry>(LEDGER_NAMESPACE, sha256);
      if (seen && !readAgain(file, seen, cp)) {
        yield* handleSeen(file, seen, cp.last?.sha256);
        return;
      }
      if (seen) log.info({ file: file.name, sameAs: seen.name }, 'snapshot identical to an earlier (not the last) one: reading it as the current state');

      if (config.mode === 'snapshot' && insp.size === 0 && !config.snapshot.allowEmpty) {
        yield rejectWholeBatch(file, sha256, 'the snapshot file is empty (0 bytes); an empty snapshot would close every open case (set snapshot.allowEmpty to accept it)', cp);
        return;
      }

      let items: AsyncGenerator<ParsedItem[]>;
      try {
        items = openItems(fetched.path, file.name, insp);
      } catch (e) {
        if (e instanceof EncodingProblem || e instanceof UnreadableFileError) {
          yield rejectWholeBatch(file, sha256, e.message, cp);
          return;
        }
        throw e;
      }
      yield* readBatches(file, sha256, items, ctx, cp);
    } finally {
      await fetched.release();
    }
  }

  /**
   * A full export identical to an older one (not the last) is the supplier's current state, e.g. a
   * case back at an earlier status: it is diffed like any other. Identical to the last one, it has
   * nothing new (handleSeen).
   */
  function readAgain(file: DroppedFile, seen: LedgerEntry, cp: FileCheckpoint): boolean {
    const sameFile = seen.name === file.name && seen.size === file.size && seen.mtimeMs === file.mtimeMs;
    return config.mode === 'snapshot' && !sameFile && seen.outcome === 'processed' && cp.last?.sha256 !== seen.sha256;
  }

  async function* handleSeen(file: DroppedFile, seen: LedgerEntry, lastSha256: string | undefined): AsyncGenerator<SourceBatch> {
    const sameFile = seen.name === file.name && seen.size === file.size && seen.mtimeMs === file.mtimeMs;
    if (config.after.action === 'keep' && sameFile) return; // kept on purpose, already read
    const failKey = `${file.name}|${file.mtimeMs}`;
    const lastFail = failedActions.get(failKey);
    if (lastFail !== undefined && clock.now().getTime() - lastFail < 60_000) return;
    try {
      if (sameFile) {
        // Committed before a crash or a failed move: finish what the last ack would have done.
        log.info({ file: file.name, outcome: seen.outcome }, 'file already read (committed); completing its after-action');
        await afterAction(file, seen.outcome, seen.sha256, seen.outcome === 'rejected' ? reasonFile(file, seen.sha256, seen.reason ?? 'rejected earlier', {}, []) : undefined);
      } else if (config.mode === 'snapshot' && lastSha256 === seen.sha256) {
        // Tomorrow's full export can equal today's: nothing changed, nothing to emit, nothing odd.
        log.info({ file: file.name, sameAs: seen.name }, 'snapshot identical to the previous one: no changes');
        await afterAction(file, 'processed', seen.sha256);
      } else {
        // A re-drop of a delta file (or of a rejected snapshot): its changes are already published.
        log.warn({ file: file.name, sha256: seen.sha256, original: seen.name, firstReadAt: seen.finishedAt }, `identical content was already read as ${seen.name}; not emitting it again`);
        await afterAction(file, 'duplicate', seen.sha256);
      }
      failedActions.delete(failKey);
    } catch (e) {
      failedActions.set(failKey, clock.now().getTime());
      log.error({ file: file.name, err: describeError(e) }, 'cannot move a file that was already read; will retry');
    }
  }

  async function* readBatches(file: DroppedFile, sha256: string, items: AsyncGenerator<ParsedItem[]>, ctx: ReadContext, cp: FileCheckpoint): AsyncGenerator<SourceBatch> {
    const resume = cp.current && cp.current.sha256 === sha256 ? cp.current : undefined;
    const skipUntil = resume?.next ?? 0;
    if (resume) log.info({ file: file.name, skip: skipUntil }, 'resuming a file after a restart: skipping items already committed');
    const stats: FileStats = {
      items: resume?.next ?? 0,
      records: resume?.records ?? 0,
      rejects: resume?.rejects ?? 0,
      deadLettered: resume?.deadLettered ?? 0,
      published: resume?.published ?? 0,
    };
    const samples: string[] = [];
    // Unique per reading (the same content may be read again as a later snapshot), and kept in the
    // checkpoint so a reading resumed after a restart stays the same snapshot.
    const snapshotId = resume ? (resume.snapshotId ?? `${file.name}@${sha256.slice(0, 16)}`) : `${file.name}@${sha256.slice(0, 16)}@${clock.now().toISOString()}#${randomUUID().slice(0, 8)}`;
    const listing = { id: snapshotId, onMissing: config.snapshot.onMissing, maxCloseShare: config.snapshot.maxCloseShare };
    const rules = config.rejects;
    let ordinal = 0;
    let records: SourceRecord[] = [];
    let rejects: SourceReject[] = [];
    let lastLine = 0;
    let stopReason: string | undefined;
    let unreadable: string | undefined;

    /** Rows rejected so far: dead letters reported by the runtime, plus parser rejects not yet published. */
    const rejectedRows = () => stats.deadLettered + rejects.length;
    const overThreshold = (final: boolean): string | undefined => {
      const bad = rejectedRows();
      if (rules.maxCount !== undefined && bad > rules.maxCount) return `${bad} rows rejected, more than rejects.maxCount ${rules.maxCount}`;
      const rows = stats.items;
      if (rows > 0 && (final || rows >= rules.minRows) && bad / rows > rules.maxRatio) {
        return `${bad} of ${rows} rows rejected (${Math.round((100 * bad) / rows)}%), more than rejects.maxRatio ${rules.maxRatio}`;
      }
      return undefined;
    };

    const dataBatch = (): SourceBatch => {
      const batch: SourceBatch = {
        records,
        rejects,
        checkpoint: {
          ...cp,
          current: {
            name: file.name,
            sha256,
            next: ordinal,
            records: stats.records,
            rejects: stats.rejects,
            deadLettered: stats.deadLettered,
            published: stats.published,
            ...(config.mode === 'snapshot' ? { snapshotId } : {}),
          },
        } as Checkpoint,
        ...(config.mode === 'snapshot' ? { snapshot: { ...listing, final: false } } : {}),
        // Counted before the file's next batch is read: the reject threshold looks at them.
        ack: ackOnce(async (outcome) => {
          if (outcome.status === 'failed') return;
          stats.deadLettered += outcome.deadLettered;
          stats.published += outcome.published;
        }),
      };
      records = [];
      rejects = [];
      return batch;
    };

    try {
      const fetchedAt = () => clock.now().toISOString();
      let at = fetchedAt();
      outer: for await (const chunk of items) {
        if (ctx.signal.aborted) return;
        for (const item of chunk) {
          ordinal++;
          if (ordinal <= skipUntil) continue;
          stats.items++;
          if (item.line !== undefined) lastLine = item.line;
          const position: SourceRecord['position'] = { file: file.name };
          if (item.line !== undefined) position.line = item.line;
          if (item.cursor !== undefined) position.cursor = item.cursor;
          if (item.kind === 'record') {
            stats.records++;
            records.push({ raw: item.raw, position, fetchedAt: at });
          } else {
            stats.rejects++;
            if (samples.length < REASON_SAMPLES) samples.push(item.reason);
            rejects.push({ reason: `${file.name} ${item.reason}`, original: item.original, position });
            // Only a reject (or a batch's dead letters, below) can push the file over its threshold.
            stopReason = overThreshold(false);
            if (stopReason) break outer;
          }
          if (records.length + rejects.length >= config.batchSize) {
            yield dataBatch();
            if (ctx.signal.aborted) return;
            at = fetchedAt();
            stopReason = overThreshold(false);
            if (stopReason) break outer;
          }
        }
      }
    } catch (e) {
      if (ctx.signal.aborted) return;
      if (!(e instanceof UnreadableFileError)) throw e;
      unreadable = e.message;
    } finally {
      await items.return(undefined);
    }
    if (ctx.signal.aborted) return;
    if (records.length || rejects.length) yield dataBatch();

    if (!stopReason && !unreadable) stopReason = overThreshold(true);
    if (!stopReason && !unreadable && config.mode === 'snapshot' && stats.records === 0 && !config.snapshot.allowEmpty) {
      stopReason = 'the snapshot holds no records; an empty snapshot would close every open case (set snapshot.allowEmpty to accept it)';
    }
    if (unreadable || stopReason) {
      const reason = unreadable ?? stopReason!;
      yield rejectWholeBatch(file, sha256, reason, cp, { ...stats, ...(stopReason && !unreadable ? { stoppedAtLine: lastLine || undefined } : {}) }, samples, unreadable !== undefined);
      return;
    }

    // The file's last batch: no records, just "this file is done". Every earlier batch is
    // published and its outcome known when the runtime pulls this one.
    yield {
      records: [],
      checkpoint: { ...cp, current: undefined, last: { name: file.name, sha256, outcome: 'processed', at: clock.now().toISOString() } } as Checkpoint,
      stateWrites: [ledgerWrite(file, sha256, 'processed', stats)],
      ...(config.mode === 'snapshot' ? { snapshot: { ...listing, final: true } } : {}),
      ack: ackOnce(async (outcome) => {
        if (outcome.status !== 'committed') return;
        await afterAction(file, 'processed', sha256);
        log.info({ file: file.name, records: stats.records, rejects: stats.rejects, published: stats.published }, 'file read');
      }),
    };
  }

  function sleep(ms: number, signal: AbortSignal, wake?: { promise: Promise<void> }): Promise<void> {
    return new Promise((res) => {
      if (signal.aborted) return res();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        res();
      }
      signal.addEventListener('abort', done, { once: true });
      void wake?.promise.then(done);
    });
  }

  async function* read(ctx: ReadContext): AsyncGenerator<SourceBatch> {
    let cp: FileCheckpoint = (ctx.checkpoint as FileCheckpoint | undefined) ?? {};
    let wake: { promise: Promise<void>; resolve: () => void } | undefined;
    const newWake = () => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      wake = { promise, resolve };
    };
    newWake();
    const stopWatching = config.watch && store.watch ? store.watch(() => wake?.resolve()) : undefined;
    try {
      for (let pass = 0; !ctx.signal.aborted && !closed; pass++) {
        let listing;
        try {
          listing = await scan();
        } catch (e) {
          if (!config.watch || !isRetriable(e)) throw e;
          log.warn({ err: describeError(e) }, 'cannot list the folder; retrying');
          await sleep(durationMs(config.pollInterval), ctx.signal);
          continue;
        }
        let { ready, waitMs } = readiness.observe(listing.files, listing.names, markerFor);
        if (!config.watch && waitMs !== undefined && waitMs <= readiness.stabilityMs) {
          // One-shot run: give files seen for the first time one stability interval (too young
          // for minAge, or still growing afterwards: the next run picks them up).
          await sleep(waitMs + 20, ctx.signal);
          if (ctx.signal.aborted) return;
          listing = await scan();
          ({ ready } = readiness.observe(listing.files, listing.names, markerFor));
        }
        for (const file of ready) {
          if (ctx.signal.aborted || closed) return;
          for await (const batch of processFile(file, ctx, cp)) {
            if (batch.checkpoint) cp = batch.checkpoint as FileCheckpoint;
            yield batch;
            if (ctx.signal.aborted) return;
          }
        }
        if (!config.watch) return;
        const poll = durationMs(config.pollInterval);
        const next = readiness.nextCheckIn();
        newWake();
        await sleep(next === undefined ? poll : Math.min(poll, Math.max(next, 50)), ctx.signal, wake);
      }
    } finally {
      stopWatching?.();
    }
  }

  return {
    continuous: config.watch,
    async check() {
      await store.check();
    },
    read,
    async close() {
      if (closed) return;
      closed = true;
      await store.close();
    },
  };
}
