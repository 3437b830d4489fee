/**
 * Is a dropped file complete? Writers give no signal we can trust in general, so a file is read
 * only when every configured rule says so:
 *  - it is at least `minAge` old (by its modification time);
 *  - its size and modification time did not change across two looks `stableFor` apart;
 *  - with `marker`, the marker file (export.csv.done) exists — then the stability look is skipped,
 *    the marker being the writer's own statement that the file is complete.
 * Temp names of a write-then-rename upload never get here: `ignore` filters them out first.
 */
import { durationMs } from '../../core/units.js';
import type { Clock } from '../../core/clock.js';
import type { ReadyRules } from './config.js';
import type { DroppedFile } from './store.js';

interface Seen {
  size: number;
  mtimeMs: number;
  stableSince: number;
}

export class ReadinessTracker {
  private seen = new Map<string, Seen>();
  private nextWait: number | undefined;
  private readonly minAge: number;
  private readonly stableFor: number;

  constructor(
    readonly rules: ReadyRules,
    private readonly clock: Clock,
  ) {
    this.minAge = durationMs(rules.minAge);
    this.stableFor = durationMs(rules.stableFor);
  }

  /**
   * Record one look at the folder. Returns the files complete now and, when some are not yet,
   * how long until the earliest of them could be.
   */
  observe(files: DroppedFile[], names: ReadonlySet<string>, markerFor: (name: string) => string | undefined): { ready: DroppedFile[]; waitMs?: number } {
    const now = this.clock.now().getTime();
    const next = new Map<string, Seen>();
    const ready: DroppedFile[] = [];
    let wait: number | undefined;
    for (const f of files) {
      const prev = this.seen.get(f.name);
      const stableSince = prev && prev.size === f.size && prev.mtimeMs === f.mtimeMs ? prev.stableSince : now;
      next.set(f.name, { size: f.size, mtimeMs: f.mtimeMs, stableSince });
      const marker = markerFor(f.name);
      if (marker && !names.has(marker)) continue; // waits for its writer, not for time
      const needAge = this.minAge > 0 ? this.minAge - (now - f.mtimeMs) : 0;
      const needStable = marker || this.stableFor === 0 ? 0 : this.stableFor - (now - stableSince);
      if (needAge <= 0 && needStable <= 0) ready.push(f);
      else {
        const w = Math.max(needAge, needStable);
        wait = wait === undefined ? w : Math.min(wait, w);
      }
    }
    this.seen = next;
    this.nextWait = wait;
    return { ready, ...(wait !== undefined ? { waitMs: wait } : {}) };
  }

  /** Milliseconds until a file seen last time could be complete, if any is waiting on time. */
  nextCheckIn(): number | undefined {
    return this.nextWait;
  }

  /** The stability interval, the longest a one-shot run waits for a file first seen in it. */
  get stabilityMs(): number {
    return this.stableFor;
  }
}
