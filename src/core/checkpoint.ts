/**
 * The runtime's side of typed checkpoints: a stored checkpoint is parsed with the source's schema
 * before the source sees it. A checkpoint that does not parse (written by an older version, edited
 * by hand, another connector kind under the same name) must not be guessed at: reading from a
 * wrong position either skips records or repeats the whole history.
 */
import { z } from 'zod';
import { StateError } from './errors.js';
import type { Checkpoint } from './state-store.js';

export function parseStoredCheckpoint<C extends Checkpoint>(schema: z.ZodType<C> | undefined, stored: Checkpoint | undefined, connector: string): C | undefined {
  if (stored === undefined || schema === undefined) return stored as C | undefined;
  const parsed = schema.safeParse(stored);
  if (parsed.success) return parsed.data;
  const shown = JSON.stringify(stored);
  throw new StateError(
    `connector ${connector}: the stored checkpoint is not a position this connector can resume from.\n` +
      `stored: ${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}\n` +
      `expected:\n${z.prettifyError(parsed.error)}\n` +
      `To start this connector again from its configured start, stop the gateway and reset its checkpoint: ` +
      `casebridge state reset <config> ${connector} (SQLite or PostgreSQL state; the ledger and case memory stay).`,
    { code: 'checkpoint_invalid', retriable: false, context: { connector, operation: 'restore checkpoint' } },
  );
}
