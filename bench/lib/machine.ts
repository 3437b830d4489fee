/** What the bench ran on, so a table is never read without its machine. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpu: string;
  memoryGiB: number;
  os: string;
  node: string;
  java: string;
  kafka: string;
  kcat: string;
  postgres: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

function firstLine(cmd: string, args: string[]): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    return out.split('\n')[0]?.trim() || 'unknown';
  } catch (e) {
    const err = e as { stderr?: string; code?: string };
    // `java -version` prints on stderr.
    if (err.stderr) return err.stderr.split('\n')[0]?.trim() || 'unknown';
    return err.code === 'ENOENT' ? 'not installed' : 'unknown';
  }
}

export function machineInfo(opts: { kafkaVersion: string; postgres: string }): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    /* not Linux: os.cpus() is fine */
  }
  let osName = `${os.type()} ${os.release()}`;
  try {
    const m = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) osName = `${m[1]} (${os.type()} ${os.release()})`;
  } catch {
    /* keep uname */
  }
  // java -version writes to stderr.
  const java = firstLine('sh', ['-c', 'command -v java >/dev/null && java -version 2>&1 || echo not installed']);
  const kcatLine = firstLine('sh', ['-c', "command -v kcat >/dev/null && kcat -V 2>&1 | grep -m1 '^Version' | sed 's/ builtin.features.*/)/' || echo not installed"]);
  return {
    nproc: os.availableParallelism(),
    cpu,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: osName,
    node: process.version,
    java,
    kafka: opts.kafkaVersion,
    kcat: kcatLine === '' ? 'not installed' : kcatLine,
    postgres: opts.postgres,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
