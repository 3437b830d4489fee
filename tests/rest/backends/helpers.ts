/** Shared by the REST back-end tests: read a source directly, and check events against the contract. */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { RestConnectorConfig } from '../../../src/connectors/rest/config.js';
import { createRestSource } from '../../../src/connectors/rest/create.js';
import type { Clock } from '../../../src/core/clock.js';
import { systemClock } from '../../../src/core/clock.js';
import { CasebridgeError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Checkpoint, Source, SourceBatch } from '../../../src/core/source.js';
import { CaseEvent } from '../../../src/event/case-event.js';
import { eventSchemas } from '../../../src/event/json-schema.js';
import { openSqliteStateStore } from '../../../src/runtime/sqlite-state-store.js';
import { committed } from '../../helpers/outcome.js';

export function directSource(connector: Record<string, unknown>, opts: { clock?: Clock } = {}): Source {
  const config = RestConnectorConfig.parse(connector);
  return createRestSource(config, {
    connector: String(connector.name),
    clock: opts.clock ?? systemClock,
    logger: silentLogger(),
    state: openSqliteStateStore(':memory:').forConnector(String(connector.name)),
    baseDir: '/',
  });
}

/** Read every batch, acking each; `between` runs after each batch (to change the world mid-run). */
export async function drain(s: Source, opts: { checkpoint?: Checkpoint; between?: (batchNo: number) => void } = {}): Promise<{ batches: SourceBatch[]; error?: CasebridgeError }> {
  const batches: SourceBatch[] = [];
  try {
    for await (const b of s.read({ checkpoint: opts.checkpoint, signal: new AbortController().signal })) {
      batches.push(b);
      await b.ack(committed(b));
      opts.between?.(batches.length);
    }
    return { batches };
  } catch (err) {
    if (!(err instanceof CasebridgeError)) throw err;
    return { batches, error: err };
  } finally {
    await s.close();
  }
}

let validator: ReturnType<Ajv2020['compile']> | undefined;

/** Each event passes the zod contract and the published JSON Schema. */
export function expectContractValid(events: unknown[]): void {
  if (!validator) {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    validator = ajv.compile(eventSchemas()[0]!.schema);
  }
  expect(events.length).toBeGreaterThan(0);
  for (const e of events) {
    expect(CaseEvent.safeParse(e).success, JSON.stringify(e).slice(0, 400)).toBe(true);
    expect(validator(e), JSON.stringify(validator.errors)).toBe(true);
  }
}
