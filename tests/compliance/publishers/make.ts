/** A publisher from a `publisher:` config section, loaded and built exactly as the gateway does it. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfigText } from '../../../src/config/load.js';
import { fixedClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Publisher } from '../../../src/core/publisher.js';
import { createPublisher } from '../../../src/publish/create-publisher.js';
import { COUNCIL, SIMPLE_MAPPING } from '../kinds/types.js';

/** A config needs a connector; this one is never run. */
const PLACEHOLDER = { name: 'unused', type: 'file', council: COUNCIL.gss, system: { supplier: 'None' }, path: '.', mapping: SIMPLE_MAPPING };

export async function publisherFrom(section: Record<string, unknown>, dir = mkdtempSync(join(tmpdir(), 'cb-compliance-pub-'))): Promise<Publisher> {
  const text = stringify({ version: 1, councils: [COUNCIL], publisher: section, connectors: [PLACEHOLDER] });
  const loaded = parseConfigText(text, join(dir, 'casebridge.yaml'), dir, {});
  return createPublisher(loaded.config.publisher, { baseDir: dir, logger: silentLogger(), clock: fixedClock('2025-11-03T15:00:00Z'), councils: loaded.config.councils });
}
