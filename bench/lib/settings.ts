/**
 * Sizes and knobs of `npm run bench`, all from environment variables so a slower or faster
 * machine can scale the run without editing code. Defaults keep the whole suite near ten minutes
 * on a 2-core machine.
 */
import os from 'node:os';
import { resolve } from 'node:path';
import { defaultBaseRef } from './base-build.js';

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw}: expected a non-negative number`);
  return Math.round(n);
}

function text(name: string, fallback: string): string {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

export const ALL_SCENARIOS = ['startup', 'publish', 'csv', 'sql', 'memory', 'latency', 'track'] as const;
export type ScenarioId = (typeof ALL_SCENARIOS)[number];

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface Settings {
  brokers: string[];
  repeats: number;
  scenarios: ScenarioId[];
  partitions: number;
  publishEvents: number;
  /** Events per publish() call: the connectors' default batchSize, as the runtime sends them. */
  publishBatch: number;
  csvRows: number;
  sqlRows: number;
  memorySmallMb: number;
  memoryLargeMb: number;
  /** A middle size (0: none), to show whether peak RSS levels off. */
  memoryMidMb: number;
  /** Characters of the unmapped Notes column in the memory scenario's rows. */
  memoryNotes: number;
  latencySeconds: number;
  latencyRate: number;
  pollInterval: string;
  sqlLag: string;
  pgUrl: string;
  /** Tracker ingest bench: events on the topic (5 per case). */
  trackEvents: number;
  /** Tracker lookup bench: cases in the projection (the goal is stated for 1,000,000). */
  trackCases: number;
  trackSeconds: number;
  tmp: string;
  /** The git ref built beside the working tree and run interleaved with it ('none': skip). */
  baseRef: string;
  /** Run the bare Node baseline and Kafka Connect in the CSV scenario (0: skip them). */
  csvPeers: boolean;
  /** Start-up scenario: runs of each command. */
  startupRuns: number;
  connectClasspath: string;
  connectProblem: string | undefined;
  connectTimeoutSeconds: number;
  kafkaClasspath: string;
  kafkaVersion: string;
  kcatProblem: string | undefined;
}

export function loadSettings(): Settings {
  const brokers = text('KAFKA_BROKERS', '127.0.0.1:19092').split(',').map((s) => s.trim()).filter(Boolean);
  const wanted = text('BENCH_SCENARIOS', ALL_SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const w of wanted) if (!(ALL_SCENARIOS as readonly string[]).includes(w)) throw new Error(`BENCH_SCENARIOS: unknown scenario "${w}" (have ${ALL_SCENARIOS.join(', ')})`);
  return {
    brokers,
    repeats: Math.max(1, int('BENCH_REPEATS', 3)),
    scenarios: wanted as ScenarioId[],
    partitions: Math.max(1, int('BENCH_PARTITIONS', 6)),
    publishEvents: Math.max(1000, int('BENCH_PUBLISH_EVENTS', 100_000)),
    publishBatch: Math.max(1, int('BENCH_PUBLISH_BATCH', 500)),
    csvRows: Math.max(1000, int('BENCH_CSV_ROWS', 100_000)),
    sqlRows: Math.max(1000, int('BENCH_SQL_ROWS', 200_000)),
    memorySmallMb: Math.max(1, int('BENCH_MEMORY_SMALL_MB', 10)),
    memoryLargeMb: Math.max(1, int('BENCH_MEMORY_LARGE_MB', 1024)),
    memoryMidMb: int('BENCH_MEMORY_MID_MB', 100),
    memoryNotes: int('BENCH_MEMORY_NOTES', 4000),
    latencySeconds: Math.max(5, int('BENCH_LATENCY_SECONDS', 20)),
    latencyRate: Math.max(1, int('BENCH_LATENCY_RATE', 10)),
    pollInterval: text('BENCH_POLL_INTERVAL', '1s'),
    sqlLag: text('BENCH_SQL_LAG', '0s'),
    pgUrl: text('BENCH_PG_URL', 'postgres://postgres@127.0.0.1:5432/test'),
    trackEvents: Math.max(1000, int('BENCH_TRACK_EVENTS', 100_000)),
    trackCases: Math.max(1000, int('BENCH_TRACK_CASES', 100_000)),
    trackSeconds: Math.max(2, int('BENCH_TRACK_SECONDS', 10)),
    tmp: text('BENCH_TMP', os.tmpdir()),
    baseRef: text('BENCH_BASE_REF', defaultBaseRef()),
    csvPeers: int('BENCH_CSV_PEERS', 1) !== 0,
    startupRuns: Math.max(1, int('BENCH_STARTUP_RUNS', 10)),
    connectClasspath: text('BENCH_CONNECT_CLASSPATH', ''),
    connectProblem: process.env.BENCH_CONNECT_PROBLEM || undefined,
    connectTimeoutSeconds: Math.max(10, int('BENCH_CONNECT_TIMEOUT', 180)),
    kafkaClasspath: text('BENCH_KAFKA_CLASSPATH', ''),
    kafkaVersion: text('BENCH_KAFKA_VERSION', 'unknown'),
    kcatProblem: process.env.BENCH_KCAT_PROBLEM || undefined,
  };
}
