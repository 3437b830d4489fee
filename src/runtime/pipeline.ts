/**
 * One batch through the data path, in exactly this order:
 *   normalize → detect changes → publish events + dead letters → commit checkpoint and state → ack
 * A crash anywhere before the commit repeats the batch with the same event ids; nothing after the
 * commit can lose a record because the events are already durable.
 */
import type { Council } from '../event/case-event.js';
import type { DeadLetter } from '../core/dead-letter.js';
import { instantOf } from '../core/iso-time.js';
import { canonicalJson, sha256Hex } from '../event/identity.js';
import type { SourceBatch, SourceRecord, SourceWarning, StateWrite } from '../core/source.js';
import type { CaseMemory } from '../normalize/change.js';
import { judgeListing, type WithheldReason } from '../normalize/snapshot-diff.js';
import { CASE_NAMESPACE, SNAPSHOT_NAMESPACE, caseMemoryWrites, closeNoLongerListed, countListingRejects, detectChanges, listingRejectsKey } from '../normalize/case-changes.js';
import type { NormalizeResult, Normalizer } from '../normalize/normalizer.js';
import type { Publisher } from '../core/publisher.js';
import type { OutgoingCaseEvent } from '../normalize/build-event.js';
import type { Clock } from '../core/clock.js';
import { CasebridgeError, FencedError } from '../core/errors.js';
import { maskDeep, maskSecrets } from '../core/mask.js';
import type { ConnectorState } from '../core/state-store.js';

export { CASE_NAMESPACE };

export interface BatchResult {
  read: number;
  published: number;
  deadLettered: number;
  /** Dead letters by stage (source, mapping, publish …), for the metrics. */
  deadLetteredBy?: Record<string, number>;
  skipped: number;
  /** Skips by reason: filtered, unchanged, older. */
  skippedBy: Record<string, number>;
  publishedByType: Record<string, number>;
  /** Age in seconds of the newest change published, for the lag gauge. */
  newestChangeAt?: number;
  /** Snapshot final batch: cases missing from the listing were not closed, and why. */
  closeWithheld?: { reason: WithheldReason; message: string };
  /** Supplier local times that fell in a clock change, by "kind:resolution" (ambiguous:earlier, nonexistent:reject …). */
  clockChanges?: Record<string, number>;
  /** What the source warned about while reading this batch. */
  warnings?: SourceWarning[];
  /** The source set a whole input aside (a rejected file). */
  rejectedFile?: { file: string; reason: string };
}

export interface PipelineDeps {
  connector: string;
  council: Council;
  normalize: Normalizer;
  publisher: Publisher;
  state: ConnectorState;
  clock: Clock;
  /** Shutdown: a batch not yet being published is abandoned uncommitted. */
  signal?: AbortSignal;
  /** Raw text of unparseable rows in dead letters: omitted (default) or kept (config `deadLetters.rawText`). */
  rawText?: 'omit' | 'keep';
  /**
   * Under a fleet lease: whether the lease is still held. Checked before publishing, so an
   * instance that lost its lease (e.g. paused while reading) does not publish a batch the new
   * holder publishes too; the commit's fence is what guarantees nothing is committed.
   */
  leaseHeld?: () => boolean;
}

/** The part of a batch that needs no I/O: decide what to publish and what to remember. */
export interface PreparedBatch {
  events: OutgoingCaseEvent[];
  deadLetters: DeadLetter[];
  writes: StateWrite[];
  result: BatchResult;
}

export async function prepareBatch(batch: SourceBatch, deps: Omit<PipelineDeps, 'publisher'>): Promise<PreparedBatch> {
  const { connector, council, normalize, state, clock } = deps;
  const now = clock.now().toISOString();
  const deadLetters: DeadLetter[] = [];
  const result: BatchResult = { read: batch.records.length, published: 0, deadLettered: 0, skipped: 0, skippedBy: {}, publishedByType: {}, ...(batch.warnings?.length ? { warnings: batch.warnings } : {}) };
  const skip = (reason: string) => {
    result.skipped++;
    result.skippedBy[reason] = (result.skippedBy[reason] ?? 0) + 1;
  };

  for (const reject of batch.rejects ?? []) {
    const record = rejectedOriginal(reject.original, deps.rawText ?? 'omit', normalize);
    deadLetters.push(deadLetter({ council: council.gss, connector, stage: 'source', code: 'source_reject', reason: reject.reason, position: reject.position, record, at: now }));
  }

  const outcomes = await normalizeAll(batch.records, normalize);
  const snapshots = outcomes.flatMap((o) => (o.kind === 'case' ? [o.snapshot] : []));
  // Committed case memory, read once per batch for every case the batch touches.
  const refs = [...new Set(snapshots.map((s) => s.case.reference))];
  const remembered: ReadonlyMap<string, CaseMemory> = refs.length ? await state.getMany<CaseMemory>(CASE_NAMESPACE, refs) : new Map();
  const detected = detectChanges(snapshots, remembered, batch.snapshot?.id);
  const { memory } = detected;
  const events = detected.events;

  let nth = 0;
  outcomes.forEach((outcome, i) => {
    if (outcome.kind === 'skip') return skip('filtered');
    if (outcome.kind === 'reject') {
      if (outcome.code === 'ambiguous_time' || outcome.code === 'nonexistent_time') countClockChange(result, `${outcome.code.replace('_time', '')}:reject`);
      const record = batch.records[i]!;
      deadLetters.push(
        deadLetter({ council: council.gss, connector, stage: 'mapping', code: outcome.code, reason: outcome.reason, field: outcome.field, position: record.position, record: normalize.redactPersonal?.(record.raw) ?? record.raw, at: now }),
      );
      return;
    }
    for (const c of outcome.snapshot.provenance.clockChange ?? []) countClockChange(result, `${c.kind}:${c.resolution}`);
    const decision = detected.decisions[nth++]!;
    if (!decision.emit) skip(decision.reason);
  });

  const writes: StateWrite[] = [...(batch.stateWrites ?? [])];
  if (batch.snapshot) {
    const listing = batch.snapshot;
    const rejects = countListingRejects(listing.id, listing.final, await state.get<number>(SNAPSHOT_NAMESPACE, listingRejectsKey(listing.id)), deadLetters.length);
    if (listing.final) {
      const verdict = await judgeListing(
        { snapshotId: listing.id, onMissing: listing.onMissing, rejected: rejects.soFar, incomplete: listing.incomplete, maxCloseShare: listing.maxCloseShare },
        state.entries<CaseMemory>(CASE_NAMESPACE),
        (ref) => memory.get(ref) ?? undefined,
      );
      if (verdict.action === 'withheld') result.closeWithheld = { reason: verdict.reason, message: verdict.message };
      if (verdict.action === 'close') {
        const unread = verdict.refs.filter((ref) => !memory.has(ref));
        const last = new Map<string, CaseMemory | undefined>(unread.length ? await state.getMany<CaseMemory>(CASE_NAMESPACE, unread) : []);
        for (const ref of verdict.refs) if (memory.has(ref)) last.set(ref, memory.get(ref) ?? undefined);
        events.push(...closeNoLongerListed(verdict.refs, last, listing.id, memory, now));
      }
    }
    writes.push(...rejects.writes);
  }

  writes.push(...caseMemoryWrites(memory, remembered));

  for (const e of events) result.publishedByType[e.event.data.change.kind] = (result.publishedByType[e.event.data.change.kind] ?? 0) + 1;
  result.published = events.length;
  result.deadLettered = deadLetters.length;
  if (events.length) {
    let newest = -Infinity;
    for (const e of events) newest = Math.max(newest, instantOf(e.event.time));
    result.newestChangeAt = newest;
  }
  return { events, deadLetters, writes, result };
}

/** Map every record, in order; a mapping that throws is a rejection, not a failed batch. */
async function normalizeAll(records: SourceRecord[], normalize: Normalizer): Promise<NormalizeResult[]> {
  const out: NormalizeResult[] = [];
  for (const record of records) {
    try {
      const r = normalize(record);
      out.push(r instanceof Promise ? await r : r);
    } catch (err) {
      out.push({ kind: 'reject', code: 'mapping_error', reason: `mapping failed: ${(err as Error).message}` });
    }
  }
  return out;
}

function countClockChange(result: BatchResult, key: string): void {
  result.clockChanges ??= {};
  result.clockChanges[key] = (result.clockChanges[key] ?? 0) + 1;
}

/**
 * What a dead letter keeps of input the source could not read. Its text can hold anything a
 * resident typed (finding 3, docs/reliability.md), so by default only its size and hash are kept:
 * enough to find the row again (the position gives file and line) and to tell two apart.
 */
function rejectedOriginal(original: unknown, rawText: 'omit' | 'keep', normalize: Normalizer): unknown {
  if (typeof original === 'string') {
    if (rawText === 'keep') return original;
    return { rawText: 'omitted', bytes: Buffer.byteLength(original, 'utf8'), sha256: sha256Hex(original) };
  }
  if (original && typeof original === 'object' && !Array.isArray(original) && rawText === 'omit') {
    // A parsed item that was not a usable record: the mapping's personal fields still come out.
    return normalize.redactPersonal?.(original as Record<string, unknown>) ?? original;
  }
  return original;
}

function deadLetter(raw: Omit<DeadLetter, 'id'>): DeadLetter {
  // Dead letters carry supplier text (reasons, records) that can echo a credential.
  const d = { ...raw, reason: maskSecrets(raw.reason), record: maskDeep(raw.record) };
  const id = sha256Hex(canonicalJson([d.connector, d.stage, d.code, d.position, d.record])).slice(0, 32);
  const letter: DeadLetter = { id, ...d };
  if (letter.field === undefined) delete letter.field;
  return letter;
}

/**
 * Publish, then commit, then ack. Throws (without committing) when publishing fails; the caller
 * backs off and re-reads from the last committed checkpoint.
 */
export async function processBatch(batch: SourceBatch, deps: PipelineDeps): Promise<BatchResult> {
  return finishBatch(batch, await prepareBatch(batch, deps), deps);
}

/** The I/O half of processBatch for a batch already prepared: publish, commit, ack. */
export async function finishBatch(batch: SourceBatch, prepared: PreparedBatch, deps: PipelineDeps): Promise<BatchResult> {
  if (deps.signal?.aborted) {
    await batch.ack({ status: 'failed', error: new Error('gateway shutting down') }).catch(() => undefined);
    throw new CasebridgeError('shutting down before publishing; batch left uncommitted', { code: 'aborted' });
  }
  if (deps.leaseHeld && !deps.leaseHeld()) {
    await batch.ack({ status: 'failed', error: new Error('lease lost') }).catch(() => undefined);
    throw new FencedError(`${deps.connector}: the lease was lost before publishing; batch left for the instance holding it now`, { context: { connector: deps.connector } });
  }
  try {
    if (prepared.events.length) await publishOrIsolate(prepared, deps);
    if (prepared.deadLetters.length) await deps.publisher.deadLetter(prepared.deadLetters);
  } catch (err) {
    await batch.ack({ status: 'failed', error: err as Error }).catch(() => undefined);
    throw err;
  }
  try {
    await deps.state.commit({ ...(batch.checkpoint !== undefined ? { checkpoint: batch.checkpoint } : {}), writes: prepared.writes });
  } catch (err) {
    // Published but not committed (store down, lease fenced): the source must not act as if it
    // were committed, and a push sender waiting on this batch gets its answer (retry) now.
    await batch.ack({ status: 'failed', error: err as Error }).catch(() => undefined);
    throw err;
  }
  await batch.ack({ status: 'committed', published: prepared.result.published, deadLettered: prepared.result.deadLettered, skipped: prepared.result.skipped });
  const by: Record<string, number> = {};
  for (const d of prepared.deadLetters) by[d.stage] = (by[d.stage] ?? 0) + 1;
  return { ...prepared.result, deadLetteredBy: by, ...(batch.rejectedFile ? { rejectedFile: batch.rejectedFile } : {}) };
}

/**
 * The publisher refused the batch because of particular events (e.g. one larger than the broker
 * accepts), not because the broker is unwell: such an event must not block the ones after it.
 */
export function isEventRejection(err: unknown): boolean {
  return err instanceof CasebridgeError && !err.retriable && (err.context.eventRejected === true || err.code === 'kafka_message_too_large');
}

async function publishOrIsolate(prepared: PreparedBatch, deps: PipelineDeps): Promise<void> {
  try {
    await deps.publisher.publish(prepared.events);
    return;
  } catch (err) {
    if (!isEventRejection(err)) throw err;
  }
  // One by one, in order: events of the refused request that did land are published again with
  // the same ids (at least once), and each refused one becomes a dead letter.
  const refusedCases = new Set<string>();
  const published: OutgoingCaseEvent[] = [];
  for (const e of prepared.events) {
    try {
      await deps.publisher.publish([e]);
      published.push(e);
    } catch (err) {
      if (!isEventRejection(err)) throw err;
      refusedCases.add(e.event.subject);
      const { data } = e.event;
      prepared.deadLetters.push(
        deadLetter({
          council: data.council.gss,
          connector: deps.connector,
          stage: 'publish',
          code: (err as CasebridgeError).code,
          reason: `the publisher refused this event: ${(err as Error).message}`,
          position: data.provenance.position,
          record: e.event,
          at: deps.clock.now().toISOString(),
        }),
      );
    }
  }
  // A refused case keeps the version last published, so the record is not skipped as a repeat later.
  prepared.writes = prepared.writes.filter((w) => !(w.namespace === CASE_NAMESPACE && refusedCases.has(w.key)));
  prepared.events = published;
  prepared.result.published = published.length;
  prepared.result.deadLettered = prepared.deadLetters.length;
  prepared.result.publishedByType = {};
  for (const e of published) prepared.result.publishedByType[e.event.data.change.kind] = (prepared.result.publishedByType[e.event.data.change.kind] ?? 0) + 1;
}

export type { SourceRecord };
