/**
 * A connector's prepare thread (config `prepare.thread`): maps, validates, detects changes and
 * builds the events of the batches the main thread hands over, while the main thread reads,
 * publishes and commits. It does no I/O: the main thread reads the case memory it asks for.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SourceRecord } from '../../core/source.js';
import { serializeError } from '../../core/thread-errors.js';
import type { CaseMemory } from '../../normalize/change.js';
import { caseMemoryWrites, CASE_NAMESPACE } from '../../normalize/case-changes.js';
import { compileMapping } from '../../normalize/compile-mapping.js';
import type { NormalizeResult } from '../../normalize/normalizer.js';
import { caseRefs, countPublished, decideOutcomes, normalizeAll } from '../pipeline.js';
import type { Decision, PrepareReply, PrepareRequest, PrepareWorkerInit } from './protocol.js';
import { toWire } from './wire.js';

const port = parentPort;
if (!port) throw new Error('prepare-thread/worker.ts runs only as a worker thread');
const init = workerData as PrepareWorkerInit;
const normalize = compileMapping(init.mapping, init.context);
/** Batches mapped and not yet decided, by request id. */
const mapped = new Map<number, { records: SourceRecord[]; outcomes: NormalizeResult[] }>();
const post = (m: PrepareReply) => port.postMessage(m);

port.on('message', (req: PrepareRequest) => {
  handle(req).then(post, (err: unknown) => {
    mapped.delete(req.id);
    post({ id: req.id, error: serializeError(err) });
  });
});

async function handle(req: PrepareRequest): Promise<PrepareReply> {
  if (req.op === 'drop') {
    mapped.delete(req.id);
    return { id: req.id, refs: [] };
  }
  if (req.op === 'map') {
    const outcomes = await normalizeAll(req.records, normalize);
    mapped.set(req.id, { records: req.records, outcomes });
    return { id: req.id, refs: caseRefs(outcomes) };
  }
  const batch = mapped.get(req.id);
  if (!batch) throw new Error(`internal: batch ${req.id} was not mapped on the prepare thread`);
  mapped.delete(req.id);
  const remembered = new Map<string, CaseMemory>(req.texts.map(([ref, text]) => [ref, JSON.parse(text) as CaseMemory]));
  const counts: Decision['counts'] = { skipped: 0, skippedBy: {}, published: 0, publishedByType: {} };
  const decided = decideOutcomes(batch.records, batch.outcomes, remembered, counts, {
    connector: init.context.connector,
    gss: init.context.council.gss,
    now: req.now,
    ...(normalize.redactPersonal ? { redactPersonal: normalize.redactPersonal } : {}),
  });
  countPublished(counts, decided.events);
  const writes = caseMemoryWrites(decided.memory, remembered).map((w) => ({ namespace: CASE_NAMESPACE, key: w.key, json: JSON.stringify(w.value) }));
  return { id: req.id, decision: { events: decided.events.map(toWire), deadLetters: decided.deadLetters, writes, counts } };
}
