/**
 * Structured JSON logs (pino) with secrets redacted. Every secret resolved from an env/file
 * reference is registered here, and any string containing one is masked wherever it appears —
 * not only under known key names — because suppliers echo credentials in error messages.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { hasSecrets, maskSecrets, registerSecret as register, REDACTED } from './mask.js';

export type Logger = PinoLogger;

/** Register a secret value for masking everywhere (see mask.ts). */
export function registerSecret(value: string): void {
  register(value);
}

/** The same masking the logs use (mask.ts), for callers that imported it from here. */
export function redactSecrets(text: string): string {
  return maskSecrets(text);
}

const SECRET_KEYS = ['password', 'passphrase', 'secret', 'token', 'apiKey', 'privateKey', 'authorization', 'sasl'];

export function createLogger(opts: { level?: string; destination?: DestinationStream; base?: Record<string, unknown> } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.CASEBRIDGE_LOG_LEVEL ?? 'info',
      base: opts.base ?? { service: 'casebridge' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`)],
        censor: REDACTED,
      },
      hooks: {
        // The serialised line: a secret with `"` or `\` in it is matched in its JSON-escaped form too.
        streamWrite: (s: string) => (hasSecrets() ? maskSecrets(s) : s),
      },
      formatters: { level: (label: string) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that writes nowhere, for unit tests and previews. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
