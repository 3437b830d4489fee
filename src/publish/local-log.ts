/**
 * The embedded default publisher: JSON Lines files, one CloudEvent per line in structured mode
 * (events-000001.jsonl, …), rotated past a size, written and fsync'd before publish() resolves so
 * the checkpoint that follows never runs ahead of the log. Dead letters go to dead-letters-*.jsonl.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeadLetter } from '../core/dead-letter.js';
import { ConfigError, PublishError } from '../core/errors.js';
import type { OutgoingEvent, Publisher, PublisherHealth } from '../core/publisher.js';

export interface LocalLogOptions {
  dir: string;
  rotateBytes: number;
  fsync: boolean;
  /** Opens a log file (default fs/promises open); tests inject short writes and ENOSPC here. */
  openFile?: (path: string, flags: string) => Promise<FileHandle>;
}

/**
 * A process killed mid-write leaves a partial last line. Its events were never acknowledged (publish
 * had not resolved, so no checkpoint moved) and will be published again, so the torn bytes are cut
 * off rather than glued to the next event.
 */
async function dropTornTail(handle: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) {
      const keep = start + nl + 1;
      if (keep !== size) await handle.truncate(keep);
      return keep;
    }
    end = start;
  }
  await handle.truncate(0);
  return 0;
}

class RotatingLog {
  private handle: FileHandle | undefined;
  private size = 0;
  private index = 0;
  /** A failed write could not be cut back: the next write must cut back first, or fail too. */
  private untrimmed = false;
  /** Serialises appends: concurrent connectors must not interleave half-written lines. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private readonly opts: LocalLogOptions,
  ) {}

  append(lines: string): Promise<void> {
    const run = this.tail.then(() => this.write(lines));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * All of `text` reaches the file, or none of it stays: a full disk accepts part of a write, and
   * a publish that resolved over a short write would let the checkpoint commit events that are not
   * in the log (finding 1 of the fault audit, docs/reliability.md).
   */
  private async write(text: string): Promise<void> {
    const buf = Buffer.from(text, 'utf8');
    if (!this.handle) await this.rotate();
    // Also right after resuming a file from an earlier run, which may already be nearly full.
    if (this.size > 0 && this.size + buf.length > this.opts.rotateBytes) await this.rotate();
    const h = this.handle!;
    if (this.untrimmed) {
      await h.truncate(this.size);
      this.untrimmed = false;
    }
    try {
      for (let done = 0; done < buf.length; ) {
        const { bytesWritten } = await h.write(buf, done, buf.length - done);
        if (bytesWritten <= 0) throw new Error(`short write: ${done} of ${buf.length} bytes written, then none`);
        done += bytesWritten;
      }
      if (this.opts.fsync) await h.sync();
    } catch (err) {
      await this.cutBack(h);
      throw err;
    }
    this.size += buf.length;
  }

  /** Back to the last good length, so a retry appends whole lines after whole lines. */
  private async cutBack(h: FileHandle): Promise<void> {
    try {
      await h.truncate(this.size);
      if (this.opts.fsync) await h.sync();
    } catch {
      this.untrimmed = true;
    }
  }

  private async rotate(): Promise<void> {
    if (this.handle) {
      await this.handle.close();
      this.handle = undefined;
      this.index++;
    } else {
      // Continue the newest existing file after a restart instead of starting a new one each run.
      const existing = readdirSync(this.dir)
        .map((f) => new RegExp(`^${this.prefix}-(\\d{6})\\.jsonl$`).exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]));
      this.index = existing.length ? Math.max(...existing) : 1;
    }
    const path = join(this.dir, `${this.prefix}-${String(this.index).padStart(6, '0')}.jsonl`);
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      size = 0;
    }
    if (size >= this.opts.rotateBytes) {
      this.index++;
      return this.rotate();
    }
    this.handle = await (this.opts.openFile ?? open)(path, 'a+');
    this.size = size > 0 ? await dropTornTail(this.handle, size) : 0;
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle?.close();
    this.handle = undefined;
  }
}

export function createLocalLogPublisher(opts: LocalLogOptions): Publisher & { readonly dir: string } {
  let events: RotatingLog | undefined;
  let letters: RotatingLog | undefined;
  let lastError: string | undefined;

  const guard = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
      lastError = undefined;
    } catch (cause) {
      lastError = (cause as Error).message;
      // Disk full or a vanished folder may clear up; let the connector back off and retry.
      throw new PublishError(`cannot write ${what} to ${opts.dir}: ${(cause as Error).message}`, { cause, retriable: true, code: 'local_log_write' });
    }
  };

  return {
    dir: opts.dir,
    async start() {
      try {
        mkdirSync(opts.dir, { recursive: true });
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        // A file in the way or a folder we may not write stays wrong until a person changes it.
        if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
          throw new ConfigError(`publisher.dir ${opts.dir} cannot be used as the event log folder: ${code}`, { cause, context: { field: 'publisher.dir', file: opts.dir } });
        }
        throw new PublishError(`cannot create the event log folder ${opts.dir}: ${(cause as Error).message}`, { cause, retriable: true, code: 'local_log_write' });
      }
      events = new RotatingLog(opts.dir, 'events', opts);
      letters = new RotatingLog(opts.dir, 'dead-letters', opts);
    },
    async publish(batch: OutgoingEvent[]) {
      if (!events) throw new PublishError('local log publisher not started', { code: 'not_started' });
      const text = batch.map((e) => JSON.stringify(e.event)).join('\n') + '\n';
      await guard('events', () => events!.append(text));
    },
    async deadLetter(batch: DeadLetter[]) {
      if (!letters) throw new PublishError('local log publisher not started', { code: 'not_started' });
      const text = batch.map((d) => JSON.stringify(d)).join('\n') + '\n';
      await guard('dead letters', () => letters!.append(text));
    },
    health(): PublisherHealth {
      return lastError ? { ok: false, detail: lastError } : { ok: true };
    },
    async close() {
      await events?.close();
      await letters?.close();
    },
  };
}
