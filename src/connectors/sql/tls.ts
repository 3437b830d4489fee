/** TLS settings shared by the three drivers: PEM text or a file path relative to the config. */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import type { SqlTls } from './config.js';

export interface TlsMaterial {
  rejectUnauthorized: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
}

function pem(value: string | undefined, field: string, baseDir: string, connector: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN')) return value;
  const file = isAbsolute(value) ? value : resolve(baseDir, value);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`connection.tls.${field}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      cause: e,
      context: { connector, field: `connection.tls.${field}` },
    });
  }
}

/** Undefined when TLS is disabled. */
export function tlsMaterial(tls: SqlTls, baseDir: string, connector: string): TlsMaterial | undefined {
  if (tls.mode === 'disable') return undefined;
  return {
    rejectUnauthorized: tls.mode === 'verify-full',
    ca: pem(tls.ca, 'ca', baseDir, connector),
    cert: pem(tls.cert, 'cert', baseDir, connector),
    key: pem(tls.key, 'key', baseDir, connector),
    servername: tls.servername,
  };
}
