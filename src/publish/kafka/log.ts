/**
 * kafkajs logs through our logger. kafkajs logs every failed request and every retry at ERROR,
 * but each failure that matters reaches us as a rejected promise that the publisher turns into a
 * PublishError, which the runtime logs once in plain words. So kafkajs ERROR and INFO become our
 * debug (one clear line per failure for the operator, the detail one level down), kafkajs WARN
 * (misconfiguration hints) stays warn, and a line repeated within a window is logged once with a count.
 */
// First: kafkajs must find its replaced modules when it loads (see the module).
import './kafkajs-preload.js';
import { logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../../core/logger.js';

const REPEAT_WINDOW_MS = 30_000;

/**
 * Known and accepted: we bound kafkajs' retries inside a publish and replace the producer after a
 * failure (see publisher.ts), so its warning about limited retries says nothing new.
 */
const IGNORED = [/^Limiting retries for the idempotent producer/];

export function kafkaLogLevelFor(logger: Logger): KafkaLogLevel {
  if (logger.isLevelEnabled('trace')) return KafkaLogLevel.DEBUG;
  if (logger.isLevelEnabled('debug')) return KafkaLogLevel.INFO;
  return KafkaLogLevel.WARN;
}

export function kafkaLogCreator(logger: Logger, now: () => number = Date.now): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  const seen = new Map<string, { at: number; suppressed: number }>();
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _t, logger: _l, stack: _s, ...extra } = entry as { message: string; [k: string]: unknown };
      if (IGNORED.some((re) => re.test(message))) return;
      const key = `${level}|${namespace}|${message}`;
      const t = now();
      const prev = seen.get(key);
      if (prev && t - prev.at < REPEAT_WINDOW_MS) {
        prev.suppressed++;
        return;
      }
      const repeated = prev?.suppressed ? { repeated: prev.suppressed } : {};
      seen.set(key, { at: t, suppressed: 0 });
      if (seen.size > 500) seen.clear();
      const fields = { namespace, ...extra, ...repeated };
      if (level === KafkaLogLevel.WARN) log.warn(fields, message);
      else if (level <= KafkaLogLevel.INFO) log.debug(fields, message);
      else log.trace(fields, message);
    };
}
