/**
 * One batch through the data path, in exactly this order:
 *   normalize → detect changes → publish events + dead letters → commit checkpoint and state → ack
 * A crash anywhere before the commit repeats the batch with the same event ids; nothing after the
 * commit can lose a record because the events are already durable.
 */
import type { Council } from '../event/case-event.js';
import type { DeadLetter } from '../core/dead-letter.js';
import { canonicalJson, sha256Hex } from '../event/identity.js';
import type { SourceBatch, SourceRecord, SourceWarning, StateWrite } from '../core/source.js';
import { buildEvent, nextSequence } from '../normalize/build-event.js';
import { decideChange, visibleFields, type CaseMemory } from '../normalize/change.js';
import { judgeListing, noLongerListed, type WithheldReason } from '../normalize/snapshot-diff.js';
import type { NormalizeResult, Normalizer } from '../normalize/normalizer.js';
import type { Publisher } from '../core/publisher.js';
import type { OutgoingCaseEvent } from '../normalize/build-event.js';
import type { Clock } from '../core/clock.js';
import { CasebridgeError, FencedError } from '../core/errors.js';
import { maskDeep, maskSecrets } from '../core/mask.js';
import type { ConnectorState } from '../core/state-store.js';

export const CASE_NAMESPACE = 'case';
const SNAPSHOT_NAMESPACE = 'snapshot';

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
  const events: OutgoingCaseEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  // Cases touched in this batch: later records of one case must see earlier ones.
  const memory = new Map<string, CaseMemory | null>();
  const result: BatchResult = { read: batch.records.length, published: 0, deadLettered: 0, skipped: 0, skippedBy: {}, publishedByType: {}, ...(batch.warnings?.length ? { warnings: batch.warnings } : {}) };
  const skip = (reason: string) => {
    result.skipped++;
    result.skippedBy[reason] = (result.skippedBy[reason] ?? 0) + 1;
  };
  // Committed case memory, read once per batch for every case the batch touches.
  let stored = new Map<string, CaseMemory>();
  const recall = (ref: string): CaseMemory | undefined => {
    if (memory.has(ref)) return memory.get(ref) ?? undefined;
    const m = stored.get(ref);
    memory.set(ref, m ?? null);
    return m;
  };

  for (const reject of batch.rejects ?? []) {
    const record = rejectedOriginal(reject.original, deps.rawText ?? 'omit', normalize);
    deadLetters.push(deadLetter({ council: council.gss, connector, stage: 'source', code: 'source_reject', reason: reject.reason, position: reject.position, record, at: now }));
  }

  const outcomes: NormalizeResult[] = [];
  for (const record of batch.records) {
    try {
      const r = normalize(record);
      outcomes.push(r instanceof Promise ? await r : r);
    } catch (err) {
      outcomes.push({ kind: 'reject', code: 'mapping_error', reason: `mapping failed: ${(err as Error).message}` });
    }
  }
  const refs = new Set<string>();
  for (const o of outcomes) if (o.kind === 'case') refs.add(o.snapshot.case.reference);
  if (refs.size) stored = await state.getMany<CaseMemory>(CASE_NAMESPACE, [...refs]);

  for (const [i, record] of batch.records.entries()) {
    const outcome = outcomes[i]!;
    if (outcome.kind === 'skip') {
      skip('filtered');
      continue;
    }
    if (outcome.kind === 'reject') {
      if (outcome.code === 'ambiguous_time' || outcome.code === 'nonexistent_time') countClockChange(result, `${outcome.code.replace('_time', '')}:reject`);
      deadLetters.push(
        deadLetter({ council: council.gss, connector, stage: 'mapping', code: outcome.code, reason: outcome.reason, field: outcome.field, position: record.position, record: normalize.redactPersonal?.(record.raw) ?? record.raw, at: now }),
      );
      continue;
    }
    const snapshot = outcome.snapshot;
    for (const c of snapshot.provenance.clockChange ?? []) countClockChange(result, `${c.kind}:${c.resolution}`);
    const ref = snapshot.case.reference;
    const prev = recall(ref);
    const visible = visibleFields(snapshot);
    const decision = decideChange(snapshot, visible, prev);
    if (!decision.emit) {
      skip(decision.reason);
      if (prev && batch.snapshot && prev.snapshotId !== batch.snapshot.id) memory.set(ref, { ...prev, snapshotId: batch.snapshot.id });
      continue;
    }
    const sequence = nextSequence(prev);
    const out = buildEvent(snapshot, decision, sequence);
    events.push(out);
    memory.set(ref, { snapshot, updatedAt: snapshot.case.updatedAt, lastEventId: out.event.id, sequence, ...(batch.snapshot ? { snapshotId: batch.snapshot.id } : {}) });
  }

  const writes: StateWrite[] = [...(batch.stateWrites ?? [])];
  if (batch.snapshot) {
    // A record that was dead-lettered was still in the listing: its case has not disappeared. We
    // cannot always tell which case it was, so a listing with rejects closes nothing.
    const listing = batch.snapshot;
    const rejectsKey = `rejects:${listing.id}`;
    const rejectsSoFar = ((await state.get<number>(SNAPSHOT_NAMESPACE, rejectsKey)) ?? 0) + deadLetters.length;
    if (listing.final) {
      const verdict = await judgeListing(
        { snapshotId: listing.id, onMissing: listing.onMissing, rejected: rejectsSoFar, incomplete: listing.incomplete, maxCloseShare: listing.maxCloseShare },
        state.entries<CaseMemory>(CASE_NAMESPACE),
        (ref) => memory.get(ref) ?? undefined,
      );
      if (verdict.action === 'withheld') result.closeWithheld = { reason: verdict.reason, message: verdict.message };
      if (verdict.action === 'close') {
        const unread = verdict.refs.filter((ref) => !memory.has(ref) && !stored.has(ref));
        if (unread.length) for (const [ref, m] of await state.getMany<CaseMemory>(CASE_NAMESPACE, unread)) stored.set(ref, m);
        events.push(...closeNoLongerListed(verdict.refs, listing.id, recall, memory, now));
      }
      if (rejectsSoFar > deadLetters.length) writes.push({ op: 'delete', namespace: SNAPSHOT_NAMESPACE, key: rejectsKey });
    } else if (deadLetters.length) {
      writes.push({ op: 'put', namespace: SNAPSHOT_NAMESPACE, key: rejectsKey, value: rejectsSoFar });
    }
  }

  for (const [ref, m] of memory) if (m) writes.push({ op: 'put', namespace: CASE_NAMESPACE, key: ref, value: m });

  for (const e of events) result.publishedByType[e.event.data.change.kind] = (result.publishedByType[e.event.data.change.kind] ?? 0) + 1;
  result.published = events.length;
  result.deadLettered = deadLetters.length;
  if (events.length) result.newestChangeAt = Math.max(...events.map((e) => Date.parse(e.event.time)));
  return { events, deadLetters, writes, result };
}

/**
 * A complete listing no longer shows these open cases: the supplier finished or purged them. Each
 * gets one `closed` event (closure reason `no-longer-listed`) from the last version published,
 * stamped with the time we noticed, and is remembered as closed so the next listing leaves it be.
 */
function closeNoLongerListed(
  refs: string[],
  snapshotId: string,
  recall: (ref: string) => CaseMemory | undefined,
  memory: Map<string, CaseMemory | null>,
  now: string,
): OutgoingCaseEvent[] {
  const out: OutgoingCaseEvent[] = [];
  for (const ref of refs) {
    const m = recall(ref);
    if (!m) continue;
    const status = m.snapshot.case.status;
    const snapshot = noLongerListed(m.snapshot, now);
    const sequence = nextSequence(m);
    const ev = buildEvent(
      snapshot,
      { kind: 'closed', fields: ['case.closedAt', 'case.closureReason', 'case.status.lifecycle'], previousStatus: status.lifecycle, previousStatusCode: status.code },
      sequence,
    );
    out.push(ev);
    // updatedAt stays the supplier's last time: a case listed again with that same time is a
    // reopening to publish, not an "older" record to skip.
    memory.set(ref, { snapshot, updatedAt: m.updatedAt, lastEventId: ev.event.id, sequence, snapshotId });
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
  const prepared = await prepareBatch(batch, deps);
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
  await deps.state.commit({ ...(batch.checkpoint !== undefined ? { checkpoint: batch.checkpoint } : {}), writes: prepared.writes });
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
