/**
 * Tails the gateway's local event log (events-000001.jsonl, …): complete lines only (a line the
 * gateway is still writing waits for its newline), read in chunks, never whole files. The
 * position (file + byte offset) commits in the same transaction as the events, so a restart
 * resumes exactly where the last durable write ended.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import type { TrackMetrics } from '../metrics.js';
import type { ProjectionStore } from '../store/store.js';
import { decodeJsonText } from '../tracked-event.js';
import type { Applier, Incoming } from './applier.js';

export const LOCAL_LOG_SOURCE = 'local-log';
const FILE = /^events-(\d{6})\.jsonl$/;
const CHUNK = 1024 * 1024;

interface Position {
  file: string;
  offset: number;
  /** Line number of the next line, for dead letters that say where. */
  line: number;
}

export interface LocalLogIngest {
  /** Apply everything complete now; resolves with the number of lines read. */
  catchUp(): Promise<number>;
  /** Keep tailing until the signal aborts. */
  run(signal: AbortSignal): Promise<void>;
}

async function logFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => FILE.test(f)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

export function createLocalLogIngest(deps: { dir: string; batchSize: number; pollMs: number; store: ProjectionStore; applier: Applier; metrics: TrackMetrics; logger: Logger }): LocalLogIngest {
  const loadPosition = async (): Promise<Position | undefined> => {
    const v = await deps.store.position(LOCAL_LOG_SOURCE);
    return v ? (JSON.parse(v) as Position) : undefined;
  };

  /** Read complete lines of one file from `pos`, applying them in batches; returns lines read. */
  const drainFile = async (pos: Position): Promise<number> => {
    const handle = await open(join(deps.dir, pos.file), 'r');
    let read = 0;
    try {
      let carry = Buffer.alloc(0);
      let offset = pos.offset;
      let line = pos.line;
      let batch: Incoming[] = [];
      let batchEnd = { offset, line };
      const flush = async () => {
        if (!batch.length && batchEnd.offset === pos.offset) return;
        await deps.applier.apply(batch, { source: LOCAL_LOG_SOURCE, value: JSON.stringify({ file: pos.file, offset: batchEnd.offset, line: batchEnd.line }) });
        pos.offset = batchEnd.offset;
        pos.line = batchEnd.line;
        batch = [];
      };
      const buf = Buffer.alloc(CHUNK);
      for (;;) {
        const { bytesRead } = await handle.read(buf, 0, CHUNK, offset + carry.length);
        if (bytesRead === 0) break;
        let data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
        let start = 0;
        for (let nl = data.indexOf(0x0a, start); nl >= 0; nl = data.indexOf(0x0a, start)) {
          const text = data.subarray(start, nl).toString('utf8').trim();
          start = nl + 1;
          if (text) {
            batch.push({ decoded: decodeJsonText(text), from: `${pos.file}:${line}` });
            read++;
          }
          line++;
          batchEnd = { offset: offset + start, line };
          if (batch.length >= deps.batchSize) await flush();
        }
        // Keep the unfinished tail (a line still being written) for the next read.
        carry = Buffer.from(data.subarray(start));
        offset += start;
        data = Buffer.alloc(0);
      }
      await flush();
    } finally {
      await handle.close();
    }
    return read;
  };

  const catchUp = async (): Promise<number> => {
    const files = await logFiles(deps.dir);
    if (!files.length) return 0;
    const pos: Position = (await loadPosition()) ?? { file: files[0]!, offset: 0, line: 1 };
    let total = 0;
    for (const f of files) {
      if (f < pos.file) continue;
      if (f > pos.file) Object.assign(pos, { file: f, offset: 0, line: 1 });
      total += await drainFile(pos);
    }
    let lag = 0;
    for (const f of files) {
      if (f < pos.file) continue;
      const size = (await stat(join(deps.dir, f))).size;
      lag += f === pos.file ? Math.max(0, size - pos.offset) : size;
    }
    deps.metrics.logLagBytes.set(lag);
    return total;
  };

  return {
    catchUp,
    async run(signal) {
      while (!signal.aborted) {
        try {
          await catchUp();
        } catch (err) {
          deps.metrics.ingestErrors.inc();
          deps.logger.error({ err: (err as Error).message }, 'local log ingest failed; retrying');
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, deps.pollMs);
          signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
      }
    },
  };
}
