/** The `state` block: SQLite by default (old configs keep working), PostgreSQL when asked, checked like the rest. */
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, parseConfigText } from '../../src/config/load.js';
import { maskSecrets } from '../../src/core/mask.js';
import { openStateStore } from '../../src/runtime/state/open-state-store.js';
import { ConfigError } from '../../src/core/errors.js';

const config = (state: string) => `version: 1
councils: [{ gss: E09000019, name: Islington }]
${state}
connectors:
  - name: street
    type: file
    council: E09000019
    system: { supplier: Street services }
    path: ./drop
    mapping:
      reference: CRNo
      status: { code: Stage, lookup: stages }
      updatedAt: { path: When }
      lookups:
        stages: { entries: { "1": { status: received } } }
`;

const parse = (state: string, env: NodeJS.ProcessEnv = {}) => parseConfigText(config(state), 'casebridge.yaml', '/srv/cb', env).config.state;

function problems(state: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parse(state, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigInvalidError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('state config', () => {
  it('defaults to the SQLite file, with or without type', () => {
    expect(parse('')).toEqual({ type: 'sqlite', path: './var/state.sqlite', caseCache: '4MB', pageCache: '4MB' });
    expect(parse('state: { path: ./data/s.sqlite }')).toEqual({ type: 'sqlite', path: './data/s.sqlite', caseCache: '4MB', pageCache: '4MB' });
    expect(parse('state: { type: sqlite }')).toEqual({ type: 'sqlite', path: './var/state.sqlite', caseCache: '4MB', pageCache: '4MB' });
  });

  it('takes the case cache size in bytes or with a unit, and refuses anything else', () => {
    expect(parse('state: { caseCache: 64MB }')).toMatchObject({ caseCache: '64MB' });
    expect(parse('state: { type: postgres, url: postgres://x@h/db, caseCache: 1048576 }')).toMatchObject({ caseCache: 1048576 });
    expect(problems('state:\n  caseCache: lots')).toContain('state.caseCache');
    expect(problems('state:\n  caseCache: -5')).toContain('state.caseCache');
  });

  it('takes the SQLite page cache size, for SQLite only', () => {
    expect(parse('state: { pageCache: 16MB }')).toMatchObject({ pageCache: '16MB' });
    expect(problems('state:\n  pageCache: big')).toContain('state.pageCache');
    expect(problems('state:\n  type: postgres\n  url: postgres://x@h/db\n  pageCache: 4MB')).toMatch(/state.*pageCache/);
  });

  it('takes PostgreSQL with its URL from the environment, and masks it', () => {
    const url = 'postgres://casebridge:Sup3r-s3cret@db.internal:5432/casebridge';
    expect(parse('state: { type: postgres, url: "${env:CB_STATE_URL}" }', { CB_STATE_URL: url })).toEqual({ type: 'postgres', url, schema: 'casebridge', poolSize: 10, caseCache: '4MB' });
    expect(maskSecrets(`cannot connect to ${url}`)).toBe('cannot connect to [REDACTED]');
    expect(parse('state: { type: postgres, url: "${env:CB_STATE_URL}", schema: council_a, poolSize: 4 }', { CB_STATE_URL: url })).toMatchObject({ schema: 'council_a', poolSize: 4 });
  });

  it('says which field is wrong and what it expected', () => {
    expect(problems('state:\n  type: postgres')).toMatch(/casebridge\.yaml:4:\d+ {2}state\.url: /);
    expect(problems('state:\n  type: postgres\n  url: postgres://x@h/db\n  path: ./s.sqlite')).toMatch(/state.*path/);
    expect(problems('state:\n  type: postgres\n  url: postgres://x@h/db\n  schema: Council-A')).toContain('state.schema: a lower-case PostgreSQL identifier');
    expect(problems('state:\n  type: mysql')).toContain('state.type: unknown type "mysql"; expected one of: sqlite, postgres');
  });

  it('refuses a URL that is not PostgreSQL when the store opens', async () => {
    const state = parse('state: { type: postgres, url: "https://placeholder.invalid/x" }');
    await expect(openStateStore(state, { baseDir: '/srv/cb' })).rejects.toThrow(ConfigError);
    await expect(openStateStore(state, { baseDir: '/srv/cb' })).rejects.toThrow('state.url must be a postgres:// or postgresql:// URL');
  });
});
