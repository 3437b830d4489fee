/** Units every config uses: durations, byte sizes, secrets. */
import { z } from 'zod';

export const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration such as 500ms, 30s, 5m, 1h or 1d')
  .describe('Duration: number + unit (ms, s, m, h, d)');

export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

/** A byte count: a number, or text such as 512KB, 10MB, 1GB (powers of 1024). */
export const ByteSize = z
  .union([
    z.number().int().positive(),
    z.string().regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB)$/i, 'a size such as 512KB, 10MB or 1GB'),
  ])
  .describe('Bytes: a number, or text such as 512KB, 10MB (powers of 1024)');
export type ByteSize = z.infer<typeof ByteSize>;

export function byteSize(value: ByteSize): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)$/i.exec(value);
  if (!m) throw new Error(`not a size: ${value}`);
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2]!.toUpperCase() as 'B' | 'KB' | 'MB' | 'GB'];
  return Math.round(Number(m[1]) * unit);
}

/** A secret after ${env:…}/${file:…} resolution; never logged. */
export const Secret = z.string().min(1);
