/** Every complete config in the README (a yaml block starting with `version: 1`) must load. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText, parseYamlConfig } from '../../src/config/load.js';
import { TrackConfig } from '../../src/track/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /^version: 1$/m.test(b));

describe('README config examples', () => {
  it('there are some', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });
  it.each(blocks.map((b, i) => [i, b] as const))('block %i validates', (_i, block) => {
    const env = new Proxy({} as NodeJS.ProcessEnv, { get: (_t, k) => (typeof k === 'string' ? `test-${k.toLowerCase()}` : undefined) });
    // A tracker config (casebridge track) has a source instead of connectors.
    if (/^source:/m.test(block)) expect(() => parseYamlConfig(TrackConfig, block, 'README.md', '.', env)).not.toThrow();
    else expect(() => parseConfigText(block, 'README.md', '.', env)).not.toThrow();
  });
});
