/** The shape of bench/results/latest.json and its Markdown rendering. */
import type { MachineInfo } from './machine.js';
import { round } from './stats.js';

export interface Side {
  label: string;
  unit: string;
  /** One figure per run, in run order. */
  runs: number[];
  median: number;
  /** Extra per-run figures worth keeping (peak RSS, wall clock, counts). */
  detail?: Record<string, unknown>[];
  /** Why this side could not run; then runs is empty. */
  error?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  casebridge: Side;
  peer: Side;
  /** casebridge / peer for throughput; as defined by `goal.text` otherwise. */
  ratio: number | undefined;
  goal: { text: string; met: boolean | undefined };
  notes: string[];
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  settings: Record<string, unknown>;
  scenarios: ScenarioResult[];
}

function fmt(x: number, unit: string): string {
  if (!Number.isFinite(x)) return 'n/a';
  const digits = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return `${round(x, digits).toLocaleString('en-GB')} ${unit}`;
}

function side(s: Side): string {
  if (s.error) return `${s.label}: **could not run** — ${s.error}`;
  return `${s.label}: ${fmt(s.median, s.unit)}`;
}

export function renderMarkdown(r: BenchReport): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push('# casebridge benchmarks', '');
  lines.push(`Run ${r.startedAt} (${Math.round(r.durationSeconds)} s) with \`npm run bench\`. Medians of ${r.settings.repeats} runs unless a row says otherwise.`, '');
  lines.push('| # | Scenario | casebridge | Peer / baseline | Ratio | Goal | Met |');
  lines.push('|---|---|---|---|---|---|---|');
  r.scenarios.forEach((s, i) => {
    const ratio = s.ratio === undefined || !Number.isFinite(s.ratio) ? 'n/a' : round(s.ratio, 2).toString();
    const met = s.goal.met === undefined ? 'n/a' : s.goal.met ? 'yes' : '**no**';
    lines.push(`| ${i + 1} | ${s.title} | ${side(s.casebridge)} | ${side(s.peer)} | ${ratio} | ${s.goal.text} | ${met} |`);
  });
  lines.push('', '## Machine', '');
  lines.push(`- ${m.nproc} CPU(s): ${m.cpu}; ${m.memoryGiB} GiB memory; ${m.os}`);
  lines.push(`- Node ${m.node}; ${m.java}; Apache Kafka ${m.kafka} (single local broker, KRaft); ${m.kcat.startsWith('Version') ? 'kcat ' + m.kcat : 'kcat: ' + m.kcat}; ${m.postgres}`);
  lines.push(`- Load average (1/5/15 min) at start ${m.loadAverageAtStart.join(' / ')}${m.loadAverageAtEnd ? `, at end ${m.loadAverageAtEnd.join(' / ')}` : ''}`);
  lines.push('', '## Settings', '');
  for (const [k, v] of Object.entries(r.settings)) lines.push(`- ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  lines.push('', '## Per scenario', '');
  for (const s of r.scenarios) {
    lines.push(`### ${s.title}`, '');
    for (const x of [s.casebridge, s.peer]) {
      if (x.error) lines.push(`- ${x.label}: could not run — ${x.error}`);
      else lines.push(`- ${x.label}: runs ${x.runs.map((v) => fmt(v, x.unit)).join(', ')}; median ${fmt(x.median, x.unit)}`);
      for (const d of x.detail ?? []) lines.push(`  - ${Object.entries(d).map(([k, v]) => `${k} ${typeof v === 'number' ? round(v, 2) : String(v)}`).join(', ')}`);
    }
    for (const n of s.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  return lines.join('\n');
}
