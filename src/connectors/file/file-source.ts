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
import { ackOnce, type ReadContext, type Source, type SourceBatch, type SourceDeps, type SourceReject } from '../../core/source.js';
import { byteSize, durationMs } from '../../core/units.js';
import type { FileConnectorConfig } from './config.js';
import { EncodingProblem, inspectFile, type FileInspection } from './inspect.js';
import { UnreadableFileError, type ParsedItem } from './parsed.js';
import type { DroppedFile, FileStore } from './store.js';
import { ReadinessTracker } from './readiness.js';
import { createInputFilter, createNotRegularReporter, selectInputs } from './inputs.js';
import { SeenFiles } from './seen-files.js';
import { contentKey, LEDGER_NAMESPACE, ledgerWrite, readAgain, unreadableKey, type LedgerEntry } from './ledger.js';
import { createSeenContentHandler } from './seen-content.js';
import { FileReading, resumeFrom, type FileStats } from './progress.js';
import { reasonFileText } from './reason-file.js';
import { createAfterAction } from './after-action.js';
import { openItems } from './open-items.js';
import { createWake, sleep, type Wake } from './wait.js';
import { FileCheckpoint } from './checkpoint.js';

export { LEDGER_NAMESPACE, type LedgerEntry };

export function createFileSourceWithStore(config: FileConnectorConfig, deps: SourceDeps, store: FileStore): Source<FileCheckpoint> {
  const { logger, clock, state, connector } = deps;
  // The runner's logger already names the connector; a second binding would print the key twice.
  const log = logger.child('connector' in logger.bindings() ? { kind: 'file' } : { connector, kind: 'file' });
  const batchText = byteSize(config.batchBytes);
  const filter = createInputFilter(config);
  const markerFor = filter.markerFor;
  const readiness = new ReadinessTracker(config.ready, clock);
  const seenFiles = new SeenFiles();
  const reportNotRegular = createNotRegularReporter(log, deps.observe);
  const afterAction = createAfterAction(config.after, store, log, markerFor);
  let closed = false;

  /** Candidate files in reading order, with the markers present among them. */
  async function scan(): Promise<{ files: DroppedFile[]; names: Set<string> }> {
    const { files, names, notRegular } = selectInputs(await store.list(), filter);
    for (const n of notRegular) reportNotRegular(n.name, n.kind);
    seenFiles.forgetGone(files, names);
    return { files, names };
  }

  const reasonFile = (file: DroppedFile, sha256: string, reason: string, stats: Partial<FileStats>, samples: string[]): string =>
    reasonFileText({ file, where: store.where(file.name), sha256, connector, at: clock.now().toISOString(), reason, stats, samples });
  const handleSeen = createSeenContentHandler({ config, seenFiles, afterAction, reasonFile: (file, sha256, reason) => reasonFile(file, sha256, reason, {}, []), clock, log });
  const ledgerWriteNow = (file: DroppedFile, sha256: string, outcome: LedgerEntry['outcome'], stats: Partial<FileStats>, reason?: string) =>
    ledgerWrite(file, sha256, outcome, stats, clock.now().toISOString(), reason);

  /** One batch that rejects a file whole, before or instead of reading its records. */
  function rejectWholeBatch(file: DroppedFile, sha256: string, reason: string, cp: FileCheckpoint, stats: Partial<FileStats> = {}, samples: string[] = [], unreadable = false): SourceBatch<FileCheckpoint> {
    const text = reasonFile(file, sha256, reason, stats, samples);
    const reject: SourceReject = { reason: `file ${file.name} rejected: ${reason}`, original: { file: file.name, size: file.size, sha256 }, position: { file: file.name } };
    return {
      records: [],
      // A file refused whole (never read, or unreadable part-way such as a DTD) is a dead letter of
      // its own; a file stopped by its reject threshold already dead-lettered the rows behind it.
      rejects: stats.items === undefined || unreadable ? [reject] : [],
      rejectedFile: { file: file.name, reason },
      checkpoint: { ...cp, current: undefined, last: { name: file.name, sha256, outcome: 'rejected', at: clock.now().toISOString() } },
      stateWrites: [ledgerWriteNow(file, sha256, 'rejected', stats, reason)],
      ack: ackOnce(async (outcome) => {
        if (outcome.status !== 'committed') return;
        await afterAction(file, 'rejected', sha256, text);
        log.warn({ file: file.name, reason }, `file rejected: ${reason}`);
      }),
    };
  }

  async function* processFile(file: DroppedFile, ctx: ReadContext<FileCheckpoint>, cp: FileCheckpoint): AsyncGenerator<SourceBatch<FileCheckpoint>> {
    const knownHash = seenFiles.hashOf(file);
    if (knownHash !== undefined) {
      // Seen unchanged in an earlier scan of this process: no need to fetch and hash it again.
      const seen = await state.get<LedgerEntry>(LEDGER_NAMESPACE, knownHash);
      if (seen && !readAgain(config.mode, file, seen, cp.last?.sha256)) {
        await handleSeen(file, seen, cp.last?.sha256);
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
        // Unreadable bytes (permissions, I/O error): reject by name, once: if it could not even be
        // moved aside, later scans only retry the move.
        const key = unreadableKey(file);
        const seen = await state.get<LedgerEntry>(LEDGER_NAMESPACE, key);
        if (seen) await handleSeen(file, seen, undefined);
        else yield rejectWholeBatch(file, key, `the file cannot be read: ${(e as Error).message}`, cp);
        return;
      }
      const sha256 = contentKey(file, insp.size, insp.sha256);
      seenFiles.rememberHash(file, sha256);
      if (insp.size !== file.size) {
        log.debug({ file: file.name }, 'file changed while being read; leaving it for the next scan');
        return;
      }

      const seen = await state.get<LedgerEntry>(LEDGER_NAMESPACE, sha256);
      if (seen && !readAgain(config.mode, file, seen, cp.last?.sha256)) {
        await handleSeen(file, seen, cp.last?.sha256);
        return;
      }
      if (seen) log.info({ file: file.name, sameAs: seen.name }, 'snapshot identical to an earlier (not the last) one: reading it as the current state');

      if (config.mode === 'snapshot' && insp.size === 0 && !config.snapshot.allowEmpty) {
        yield rejectWholeBatch(file, sha256, 'the snapshot file is empty (0 bytes); an empty snapshot would close every open case (set snapshot.allowEmpty to accept it)', cp);
        return;
      }

      let items: AsyncGenerator<ParsedItem[]>;
      try {
        items = openItems(config.format, fetched.path, file.name, insp);
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

  async function* readBatches(file: DroppedFile, sha256: string, items: AsyncGenerator<ParsedItem[]>, ctx: ReadContext<FileCheckpoint>, cp: FileCheckpoint): AsyncGenerator<SourceBatch<FileCheckpoint>> {
    const { from: resume, skipUntil, stats } = resumeFrom(cp.current, sha256);
    if (resume) log.info({ file: file.name, skip: skipUntil }, 'resuming a file after a restart: skipping items already committed');
    // Unique per reading (the same content may be read again as a later snapshot), and kept in the
    // checkpoint so a reading resumed after a restart stays the same snapshot.
    const snapshotId = resume ? (resume.snapshotId ?? `${file.name}@${sha256.slice(0, 16)}`) : `${file.name}@${sha256.slice(0, 16)}@${clock.now().toISOString()}#${randomUUID().slice(0, 8)}`;
    const listing = { id: snapshotId, onMissing: config.snapshot.onMissing, maxCloseShare: config.snapshot.maxCloseShare };
    const reading = new FileReading(file.name, skipUntil, stats, config.rejects);
    let stopReason: string | undefined;
    let unreadable: string | undefined;

    // The runtime may ask for the next batch before it has answered the last one (it reads one
    // ahead, Source.readAhead): until then that batch's dead letters are not counted. The
    // threshold waits for the answer only when they could tip it; the file's end always waits.
    let answered: Promise<void> = Promise.resolve();
    let unanswered = 0;
    const dataBatch = (): SourceBatch<FileCheckpoint> => {
      const next = reading.ordinal;
      const { records, rejects } = reading.take();
      let answer!: () => void;
      const mine = new Promise<void>((r) => (answer = r));
      answered = mine;
      unanswered = records.length + rejects.length;
      const current = {
        name: file.name,
        sha256,
        next,
        records: stats.records,
        rejects: stats.rejects,
        ...(config.mode === 'snapshot' ? { snapshotId } : {}),
      };
      return {
        records,
        rejects,
        checkpoint: { ...cp, current: withAnsweredCounts(current, stats) },
        ...(config.mode === 'snapshot' ? { snapshot: { ...listing, final: false } } : {}),
        // Counted before the file's next batch is judged: the reject threshold looks at them.
        ack: ackOnce(async (outcome) => {
          try {
            if (outcome.status === 'failed') return;
            stats.deadLettered += outcome.deadLettered;
            stats.published += outcome.published;
          } finally {
            // Acks come in batch order, so once the latest batch is answered every one is.
            if (answered === mine) unanswered = 0;
            answer();
          }
        }),
      };
    };
    /** Why the file stops here, counting the last batch's dead letters once they are known. */
    const judge = async (): Promise<string | undefined> => {
      if (unanswered && reading.overThreshold(false, unanswered)) await answered;
      return reading.overThreshold(false);
    };

    try {
      const fetchedAt = () => clock.now().toISOString();
      let at = fetchedAt();
      outer: for await (const chunk of items) {
        if (ctx.signal.aborted) return;
        for (const item of chunk) {
          stopReason = reading.add(item, at);
          if (!stopReason && item.kind !== 'record' && unanswered) stopReason = await judge();
          if (stopReason) break outer;
          if (reading.pending >= config.batchSize || reading.pendingText >= batchText) {
            yield dataBatch();
            if (ctx.signal.aborted) return;
            at = fetchedAt();
            stopReason = await judge();
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
    if (reading.pending) yield dataBatch();
    // The file's verdict and its ledger entry count every batch's dead letters and events.
    await answered;

    if (!stopReason && !unreadable) stopReason = reading.overThreshold(true);
    if (!stopReason && !unreadable && config.mode === 'snapshot' && stats.records === 0 && !config.snapshot.allowEmpty) {
      stopReason = 'the snapshot holds no records; an empty snapshot would close every open case (set snapshot.allowEmpty to accept it)';
    }
    if (unreadable || stopReason) {
      const reason = unreadable ?? stopReason!;
      yield rejectWholeBatch(file, sha256, reason, cp, { ...stats, ...(stopReason && !unreadable ? { stoppedAtLine: reading.lastLine || undefined } : {}) }, reading.samples, unreadable !== undefined);
      return;
    }

    // The file's last batch: no records, just "this file is done". Every earlier batch is
    // published and its outcome known when the runtime pulls this one.
    yield {
      records: [],
      checkpoint: { ...cp, current: undefined, last: { name: file.name, sha256, outcome: 'processed', at: clock.now().toISOString() } },
      stateWrites: [ledgerWriteNow(file, sha256, 'processed', stats)],
      ...(config.mode === 'snapshot' ? { snapshot: { ...listing, final: true } } : {}),
      ack: ackOnce(async (outcome) => {
        if (outcome.status !== 'committed') return;
        await afterAction(file, 'processed', sha256);
        log.info({ file: file.name, records: stats.records, rejects: stats.rejects, published: stats.published }, 'file read');
      }),
    };
  }

  async function* read(ctx: ReadContext<FileCheckpoint>): AsyncGenerator<SourceBatch<FileCheckpoint>> {
    let cp: FileCheckpoint = ctx.checkpoint ?? {};
    let wake: Wake = createWake();
    const stopWatching = config.watch && store.watch ? store.watch(() => wake.resolve()) : undefined;
    try {
      let answered: Promise<void> = Promise.resolve();
      for (let pass = 0; !ctx.signal.aborted && !closed; pass++) {
        await answered;
        // A folder that cannot be listed (share unmounted, SFTP down) ends the read with its error,
        // watching or not: the runtime then backs off, shows the connector as backing off in /status,
        // turns /readyz red and re-reads when the folder is back. Retrying quietly in here kept the
        // connector "running" and ready while nothing could be read.
        let listing = await scan();
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
          // This file may be a copy of the last one, or the last one again in a new scan: look it
          // up only once the last one's ledger entry is committed (a runtime reading ahead asks
          // for more before it has answered the last batch).
          await answered;
          if (ctx.signal.aborted || closed) return;
          for await (const taken of processFile(file, ctx, cp)) {
            if (taken.checkpoint) cp = taken.checkpoint;
            const { batch, acked } = noticeAck(taken);
            answered = acked;
            yield batch;
            if (ctx.signal.aborted) return;
          }
        }
        if (!config.watch) return;
        const poll = durationMs(config.pollInterval);
        const next = readiness.nextCheckIn();
        wake = createWake();
        await sleep(next === undefined ? poll : Math.min(poll, Math.max(next, 50)), ctx.signal, wake);
      }
    } finally {
      stopWatching?.();
    }
  }

  return {
    checkpointSchema: FileCheckpoint,
    continuous: config.watch,
    // What depends on an ack (reject threshold, file ledger, the next file) waits for it: see readBatches.
    readAhead: true,
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

/**
 * The counts the runtime reports in acks, read when the checkpoint is committed rather than when
 * the batch is made: a runtime reading ahead makes batch N+1 before N's ack has counted N's, and
 * commits N+1 only after that ack (and before N+1's own), which is what they counted before.
 */
function withAnsweredCounts<T extends object>(current: T, stats: FileStats): T & { deadLettered: number; published: number } {
  return Object.defineProperties(current, {
    deadLettered: { get: () => stats.deadLettered, enumerable: true },
    published: { get: () => stats.published, enumerable: true },
  }) as T & { deadLettered: number; published: number };
}

/** The batch, and a promise settled once it is answered (any outcome). */
function noticeAck<B extends SourceBatch<FileCheckpoint>>(batch: B): { batch: B; acked: Promise<void> } {
  let settle!: () => void;
  const acked = new Promise<void>((r) => (settle = r));
  const ack = batch.ack.bind(batch);
  return {
    batch: { ...batch, ack: (outcome) => ack(outcome).finally(settle) },
    acked,
  };
}
