/**
 * Drives a file source the way the runtime does — take a batch, "publish" it, commit its
 * checkpoint and state writes, report the outcome, then ack — without needing the gateway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Source, SourceBatch, SourceRecord, SourceReject } from '../../src/core/source.js';
import { openSqliteStateStore } from '../../src/runtime/sqlite-state-store.js';
import type { ConnectorState, StateStore } from '../../src/core/state-store.js';
import { FileConnectorConfig } from '../../src/connectors/file/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';
import type { SourceDeps } from '../../src/core/source.js';

export function tempDir(prefix = 'cb-file-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const baseConnector = {
  name: 'test-files',
  type: 'file',
  council: 'E09000019',
  system: { supplier: 'Street services' },
  mapping: { reference: 'CRNo', status: { code: 'Stage', lookup: 'stage' } },
};

export function fileConfig(extra: Record<string, unknown>): FileConnectorConfig {
  return FileConnectorConfig.parse({ ...baseConnector, ...extra });
}

export function openState(dir: string): { store: StateStore; state: ConnectorState } {
  const store = openSqliteStateStore(join(dir, 'state.sqlite'));
  return { store, state: store.forConnector('test-files') };
}

export function deps(state: ConnectorState, baseDir: string, extra: Partial<SourceDeps> = {}): SourceDeps {
  return { connector: 'test-files', clock: systemClock, logger: silentLogger(), state, baseDir, ...extra };
}

export interface Drained {
  batches: SourceBatch[];
  records: SourceRecord[];
  rejects: SourceReject[];
}

/**
 * Run one read() to the end. `stopAfter`: simulate a crash after that many batches were
 * committed — the next batch is taken but neither committed nor acked.
 * `deadLetter`: how many of a batch's records the "mapping" refuses (for reject thresholds).
 */
export async function drain(
  source: Source,
  state: ConnectorState,
  opts: { stopAfter?: number; signal?: AbortSignal; deadLetter?: (b: SourceBatch) => number; ackFails?: boolean } = {},
): Promise<Drained> {
  const out: Drained = { batches: [], records: [], rejects: [] };
  const signal = opts.signal ?? new AbortController().signal;
  let n = 0;
  for await (const b of source.read({ checkpoint: await state.checkpoint(), signal })) {
    if (opts.stopAfter !== undefined && n >= opts.stopAfter) break;
    out.batches.push(b);
    out.records.push(...b.records);
    out.rejects.push(...(b.rejects ?? []));
    await state.commit({ ...(b.checkpoint ? { checkpoint: b.checkpoint } : {}), writes: b.stateWrites ?? [] });
    const dl = (b.rejects?.length ?? 0) + (opts.deadLetter?.(b) ?? 0);
    // ackFails: a crash between the commit of the file's last batch and its ack (the batches
    // before it were answered: a runtime answers each batch before it reads past the file's end).
    if (!opts.ackFails || !b.stateWrites?.length) await b.ack({ status: 'committed', published: b.records.length - (opts.deadLetter?.(b) ?? 0), deadLettered: dl, skipped: 0 });
    n++;
  }
  return out;
}

/**
 * Like drain, as a runtime reading one batch ahead (Source.readAhead) does it: batch N+1 is asked
 * for before batch N is committed and acked; N+1 is committed only after N's ack.
 */
export async function drainAhead(source: Source, state: ConnectorState, opts: { deadLetter?: (b: SourceBatch) => number } = {}): Promise<Drained & { committed: unknown[] }> {
  const out: Drained & { committed: unknown[] } = { batches: [], records: [], rejects: [], committed: [] };
  const it = source.read({ checkpoint: await state.checkpoint(), signal: new AbortController().signal })[Symbol.asyncIterator]();
  let next = await it.next();
  while (!next.done) {
    const b = next.value;
    const pulled = it.next();
    out.batches.push(b);
    out.records.push(...b.records);
    out.rejects.push(...(b.rejects ?? []));
    await state.commit({ ...(b.checkpoint ? { checkpoint: b.checkpoint } : {}), writes: b.stateWrites ?? [] });
    out.committed.push(JSON.parse(JSON.stringify(b.checkpoint ?? null)));
    const refused = opts.deadLetter?.(b) ?? 0;
    await b.ack({ status: 'committed', published: b.records.length - refused, deadLettered: (b.rejects?.length ?? 0) + refused, skipped: 0 });
    next = await pulled;
  }
  return out;
}
