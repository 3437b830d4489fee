/** Terminal output: a live progress line on stderr, and plain-text summary tables. */
import type { RunSummary } from '../runtime/connector-runner.js';

export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function summaryTable(summaries: RunSummary[]): string {
  return formatTable(
    ['connector', 'status', 'read', 'published', 'dead letters', 'skipped', 'batches', 'seconds'],
    summaries.map((s) => [s.connector, s.status, s.read, s.published, s.deadLettered, s.skipped, s.batches, Number((s.durationMs / 1000).toFixed(2))]),
  ) + skipNotes(summaries) + listingNotes(summaries) + clockChangeNotes(summaries) + warningNotes(summaries);
}

/** A source's warnings, one line each: "ok, read 0" is not the whole story. */
function warningNotes(summaries: RunSummary[]): string {
  const lines = summaries.flatMap((s) => Object.values(s.warnings ?? {}).map((w) => `${s.connector}: warning: ${w.message}${w.count > 1 ? ` (${w.count} times)` : ''}`));
  return lines.length ? `\n${lines.join('\n')}` : '';
}

/** A listing that closed nothing must be visible: the missing cases stay open for residents. */
function listingNotes(summaries: RunSummary[]): string {
  const lines = summaries.flatMap((s) => (s.listingNotes ?? []).map((n) => `${s.connector}: ${n}`));
  return lines.length ? `\n${lines.join('\n')}` : '';
}

/** Times read by the clock-change policy are not silent: how many, and what was done with them. */
function clockChangeNotes(summaries: RunSummary[]): string {
  const said: Record<string, string> = {
    'ambiguous:earlier': 'ambiguous (hour repeated) read as the earlier',
    'ambiguous:later': 'ambiguous (hour repeated) read as the later',
    'ambiguous:reject': 'ambiguous (hour repeated) rejected to dead letters',
    'nonexistent:shift': 'nonexistent (hour skipped) shifted forward',
    'nonexistent:reject': 'nonexistent (hour skipped) rejected to dead letters',
  };
  const lines = summaries
    .filter((s) => s.clockChanges && Object.keys(s.clockChanges).length)
    .map((s) => {
      const entries = Object.entries(s.clockChanges!).sort(([a], [b]) => a.localeCompare(b));
      const total = entries.reduce((a, [, n]) => a + n, 0);
      return `${s.connector}: ${total} local time(s) in a clock change: ${entries.map(([k, n]) => `${n} ${said[k] ?? k}`).join(', ')}`;
    });
  return lines.length ? `\n${lines.join('\n')}` : '';
}

/** Skipped is not lost: say why, so "640 read, 252 published" is not a mystery. */
function skipNotes(summaries: RunSummary[]): string {
  const labels: Record<string, string> = {
    filtered: 'excluded by the mapping filter',
    unchanged: 'repeats of a version already published',
    older: 'older than the version already published',
  };
  const lines = summaries
    .filter((s) => s.skipped > 0)
    .map((s) => `${s.connector}: skipped ${Object.entries(s.skippedBy).map(([r, n]) => `${n} ${labels[r] ?? r}`).join(', ')}`);
  return lines.length ? `\n${lines.join('\n')}` : '';
}

/** Rewrites one stderr line at most 10 times a second; silent when stderr is not a terminal. */
export function createProgress(enabled: boolean) {
  let last = 0;
  let shown = false;
  return {
    update(text: string) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      process.stderr.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}
