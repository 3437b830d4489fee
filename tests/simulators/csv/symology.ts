/**
 * Simulated Symology Insight history exports: the CSV files Symology writes for a council every
 * 30 minutes onto an SFTP server, each covering the last 90 minutes of case history. Quirks kept
 * on purpose: the same history row is in up to three files; some rows are `Event Type` Ignored;
 * dates are UK local time as dd/MM/yyyy HH:mm (Recorded Date and Action Due sometimes without the
 * time); Windows line endings and, optionally, Windows-1252 text with a pound sign in it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { DateTime } from 'luxon';

export const SYMOLOGY_HEADER = ['History Date/Time', 'Recorded Date', 'CRNo', 'Stage Desc.', 'Date Cleared', 'Inspection', 'LCA', 'Action Due', 'Event Type', 'Stage'];

export interface SymologyEvent {
  at: Date;
  crNo: string;
  stage: number;
  stageDesc: string;
  inspection: string;
  lca: string;
  recorded: Date;
  actionDue?: Date;
  cleared?: Date;
  eventType: string;
}

const STAGES: Record<number, string> = { 1: 'Recorded', 3: 'Inspected', 4: 'Works Ordered', 5: 'Works In Progress', 8: 'Cancelled', 9: 'Cleared' };
const uk = (d: Date, fmt: string) => DateTime.fromJSDate(d).setZone('Europe/London').toFormat(fmt);
const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

export class SymologyExports {
  readonly events: SymologyEvent[] = [];
  private next = 200_100;

  constructor(private readonly opts: { encoding?: 'utf8' | 'win1252' } = {}) {}

  /** A new case (stage 1). */
  report(at: Date, inspection = 'PH', lca = 'Central'): string {
    const crNo = String(this.next++);
    this.events.push({ at, crNo, stage: 1, stageDesc: STAGES[1]!, inspection, lca, recorded: at, actionDue: new Date(at.getTime() + 7 * 86_400_000), eventType: 'New' });
    return crNo;
  }

  stage(crNo: string, stage: number, at: Date, eventType = 'Stage Change'): void {
    const first = this.events.find((e) => e.crNo === crNo);
    if (!first) throw new Error(`no case ${crNo}`);
    this.events.push({ ...first, at, stage, stageDesc: STAGES[stage] ?? `Stage ${stage}`, eventType, ...(stage === 9 ? { cleared: at } : {}) });
  }

  /** A history row Symology marks as noise (a note, a print). */
  noise(crNo: string, at: Date): void {
    const last = [...this.events].reverse().find((e) => e.crNo === crNo);
    if (!last) throw new Error(`no case ${crNo}`);
    this.events.push({ ...last, at, eventType: 'Ignored' });
  }

  /** The export written at `at`: every row of the 90 minutes before it. */
  exportAt(at: Date): { name: string; content: Buffer } {
    const from = at.getTime() - 90 * 60_000;
    const rows = this.events.filter((e) => e.at.getTime() > from && e.at.getTime() <= at.getTime()).sort((a, b) => a.at.getTime() - b.at.getTime());
    const lines = [SYMOLOGY_HEADER.map(q).join(',')];
    for (const e of rows) {
      lines.push(
        [
          uk(e.at, 'dd/MM/yyyy HH:mm'),
          uk(e.recorded, 'dd/MM/yyyy HH:mm'),
          e.crNo,
          e.stageDesc,
          e.cleared ? uk(e.cleared, 'dd/MM/yyyy HH:mm') : '',
          e.inspection,
          this.opts.encoding === 'win1252' ? `${e.lca} (£)` : e.lca,
          e.actionDue ? uk(e.actionDue, 'dd/MM/yyyy') : '',
          e.eventType,
          String(e.stage),
        ]
          .map(q)
          .join(','),
      );
    }
    const text = lines.join('\r\n') + '\r\n';
    return { name: `Symology_History_${uk(at, 'yyyyMMdd_HHmm')}.csv`, content: this.opts.encoding === 'win1252' ? iconv.encode(text, 'win1252') : Buffer.from(text, 'utf8') };
  }

  /** Every export from `from` to `to`, one per 30 minutes, written into `dir` (as the SFTP mirror would). */
  writeExports(dir: string, from: Date, to: Date): string[] {
    mkdirSync(dir, { recursive: true });
    const names: string[] = [];
    for (let t = Math.ceil(from.getTime() / 1_800_000) * 1_800_000; t <= to.getTime(); t += 1_800_000) {
      const { name, content } = this.exportAt(new Date(t));
      writeFileSync(join(dir, name), content);
      names.push(name);
    }
    return names;
  }
}
