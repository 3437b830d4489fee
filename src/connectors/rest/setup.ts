/**
 * What a REST connector checks before its first request: a time window it can write (zones,
 * initial position) and the CA file it was pointed at. Mistakes here are config errors that name
 * the field, raised when the source is created rather than on the first poll.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import type { RestConnectorConfig } from './config.js';
import { checkZone, initialSince } from './since.js';

export function checkWindow(config: RestConnectorConfig, connector: string, now: Date): void {
  const since = config.since;
  if (!since && !config.snapshot) throw new ConfigError('a changes-since listing needs `since`, or `snapshot` for a full listing', { context: { connector, field: 'since' } });
  if (since && !checkZone(since.zone)) throw new ConfigError(`since.zone "${since.zone}" is not an IANA time zone`, { context: { connector, field: 'since.zone' } });
  if (since?.watermark && !checkZone(since.watermark.zone)) {
    throw new ConfigError(`since.watermark.zone "${since.watermark.zone}" is not an IANA time zone`, { context: { connector, field: 'since.watermark.zone' } });
  }
  try {
    if (since) initialSince(since.initial, now);
  } catch (err) {
    throw new ConfigError((err as Error).message, { context: { connector, field: 'since.initial' } });
  }
}

/** The extra CA certificates to trust, read from `caFile` (relative to the config's folder). */
export function readCaFile(caFile: string | undefined, baseDir: string, connector: string): string | undefined {
  if (!caFile) return undefined;
  const file = isAbsolute(caFile) ? caFile : resolve(baseDir, caFile);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read caFile ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { context: { connector, field: 'caFile' } });
  }
}
