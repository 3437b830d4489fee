/**
 * How far the reading of one file has got: counts carried in the checkpoint (so a file resumed
 * after a restart skips the items already committed and keeps its counts), the reject threshold
 * that sets a whole file aside, and where each item sits in the file.
 */
import type { SourcePosition } from '../../core/position.js';
import type { SourceRecord, SourceReject } from '../../core/source.js';
import type { RejectRules } from './config.js';
import type { ParsedItem } from './parsed.js';
import { textSize } from './text-size.js';

export interface FileStats {
  items: number;
  records: number;
  rejects: number;
  deadLettered: number;
  published: number;
  stoppedAtLine?: number;
}

/** The checkpoint's record of a file part-way through. */
export interface FileInProgress {
  sha256: string;
  next: number;
  records: number;
  rejects: number;
  deadLettered: number;
  published: number;
  snapshotId?: string;
}

export interface Resume {
  /** Set when this reading continues a committed one of the same content. */
  from?: FileInProgress;
  /** Items (ordinals) already committed, to skip. */
  skipUntil: number;
  stats: FileStats;
}

export function resumeFrom(current: FileInProgress | undefined, sha256: string): Resume {
  const from = current && current.sha256 === sha256 ? current : undefined;
  return {
    ...(from ? { from } : {}),
    skipUntil: from?.next ?? 0,
    stats: { items: from?.next ?? 0, records: from?.records ?? 0, rejects: from?.rejects ?? 0, deadLettered: from?.deadLettered ?? 0, published: from?.published ?? 0 },
  };
}

/**
 * Why the file must be set aside, or undefined. `bad` counts rejected rows so far (dead letters
 * reported by the runtime plus parser rejects not yet published); the ratio is judged once
 * `minRows` rows were read, and always at the end (`final`).
 */
export function overThreshold(rules: RejectRules, bad: number, rows: number, final: boolean): string | undefined {
  if (rules.maxCount !== undefined && bad > rules.maxCount) return `${bad} rows rejected, more than rejects.maxCount ${rules.maxCount}`;
  if (rows > 0 && (final || rows >= rules.minRows) && bad / rows > rules.maxRatio) {
    return `${bad} of ${rows} rows rejected (${Math.round((100 * bad) / rows)}%), more than rejects.maxRatio ${rules.maxRatio}`;
  }
  return undefined;
}

export function positionOf(fileName: string, item: ParsedItem): SourcePosition {
  const position: SourcePosition = { file: fileName };
  if (item.line !== undefined) position.line = item.line;
  if (item.cursor !== undefined) position.cursor = item.cursor;
  return position;
}

/** Rejected rows kept in memory for the reason file. */
export const REASON_SAMPLES = 20;

/**
 * The rows of one file gathered into the next batch, item by item in file order: records and
 * parser rejects with their positions, the running counts, and whether the reject threshold says
 * to stop reading.
 */
export class FileReading {
  /** Ordinal of the last item taken (items up to `skipUntil` are already committed). */
  ordinal = 0;
  lastLine = 0;
  records: SourceRecord[] = [];
  rejects: SourceReject[] = [];
  /** About how much text the rows waiting for the next batch hold (textSize). */
  pendingText = 0;
  readonly samples: string[] = [];

  constructor(
    private readonly fileName: string,
    private readonly skipUntil: number,
    readonly stats: FileStats,
    private readonly rules: RejectRules,
  ) {}

  /** Take one item; returns why the file must stop here, if a reject pushed it over the threshold. */
  add(item: ParsedItem, fetchedAt: string): string | undefined {
    this.ordinal++;
    if (this.ordinal <= this.skipUntil) return undefined;
    this.stats.items++;
    if (item.line !== undefined) this.lastLine = item.line;
    const position = positionOf(this.fileName, item);
    if (item.kind === 'record') {
      this.stats.records++;
      this.pendingText += textSize(item.raw);
      this.records.push({ raw: item.raw, position, fetchedAt });
      return undefined;
    }
    this.stats.rejects++;
    this.pendingText += textSize(item.original);
    if (this.samples.length < REASON_SAMPLES) this.samples.push(item.reason);
    this.rejects.push({ reason: `${this.fileName} ${item.reason}`, original: item.original, position });
    // Only a reject (or a batch's dead letters) can push the file over its threshold.
    return this.overThreshold(false);
  }

  /** Rows waiting for the next batch. */
  get pending(): number {
    return this.records.length + this.rejects.length;
  }

  /** Hand over the rows gathered so far. */
  take(): { records: SourceRecord[]; rejects: SourceReject[] } {
    const out = { records: this.records, rejects: this.rejects };
    this.records = [];
    this.rejects = [];
    this.pendingText = 0;
    return out;
  }

  /**
   * Rows rejected so far: dead letters reported by the runtime, plus parser rejects not yet
   * published, plus `unanswered` rows whose fate the runtime has not reported yet (as if rejected).
   */
  overThreshold(final: boolean, unanswered = 0): string | undefined {
    return overThreshold(this.rules, this.stats.deadLettered + this.rejects.length + unanswered, this.stats.items, final);
  }
}
