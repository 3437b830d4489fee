/**
 * Structured JSON logs (pino) with secrets redacted. Every secret resolved from an env/file
 * reference is registered here, and any string containing one is masked wherever it appears —
 * not only under known key names — because suppliers echo credentials in error messages.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

const REDACTED = '[REDACTED]';
const secretValues = new Set<string>();

/** Register a secret value (>= 4 chars; shorter would mask ordinary words) for masking in logs. */
export function registerSecret(value: string): void {
  if (value.length >= 4) secretValues.add(value);
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const s of secretValues) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
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
        streamWrite: (s: string) => (secretValues.size ? redactSecrets(s) : s),
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
