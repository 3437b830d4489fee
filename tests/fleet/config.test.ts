/** The `fleet` block: validated like the rest, with messages that say where and what is expected. */
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, parseConfigText } from '../../src/config/load.js';
import { defaultInstanceId } from '../../src/runtime/fleet/fleet.js';
import { renewEveryMs } from '../../src/config/fleet.js';
import { ConfigError } from '../../src/core/errors.js';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createGateway } from '../../src/runtime/gateway.js';
import { silentLogger } from '../../src/core/logger.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';

const config = (top: string) => `version: 1
councils: [{ gss: E09000019, name: Islington }]
${top}
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
const PG = 'state: { type: postgres, url: "postgres://postgres@127.0.0.1:5432/test" }';
const parse = (top: string) => parseConfigText(config(top), 'casebridge.yaml', '/srv/cb', {}).config;

function problems(top: string): string {
  try {
    parse(top);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigInvalidError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('fleet config', () => {
  it('takes defaults: a 15 s lease renewed every third of it', () => {
    const c = parse(`${PG}\nfleet: {}`);
    expect(c.fleet).toEqual({ leaseTtl: '15s' });
    expect(renewEveryMs(c.fleet!)).toBe(5000);
    expect(parse(`${PG}\nfleet: { instanceId: gw-1.council, leaseTtl: 3s, renewEvery: 1s }`).fleet).toEqual({ instanceId: 'gw-1.council', leaseTtl: '3s', renewEvery: '1s' });
  });

  it('needs PostgreSQL state', () => {
    expect(problems('fleet: { leaseTtl: 10s }')).toMatch(/casebridge\.yaml:\d+:\d+\s+fleet: fleet needs state\.type: postgres.*state\.type is sqlite/);
  });

  it('refuses a renewal slower than half the TTL, a TTL under 1 s, and odd instance ids, naming the line', () => {
    expect(problems(`${PG}\nfleet: { leaseTtl: 4s, renewEvery: 3s }`)).toMatch(/:\d+:\d+\s+fleet\.renewEvery: renewEvery 3s must be at most half of leaseTtl 4s/);
    expect(problems(`${PG}\nfleet: { leaseTtl: 500ms }`)).toMatch(/fleet\.leaseTtl: leaseTtl 500ms is too short: at least 1s/);
    expect(problems(`${PG}\nfleet: { instanceId: "gw 1" }`)).toMatch(/fleet\.instanceId: letters, digits and/);
    expect(problems(`${PG}\nfleet: { leaseTTL: 3s }`)).toMatch(/fleet\.leaseTTL: unknown key/);
  });

  it('names the instance from CASEBRIDGE_INSTANCE_ID, else hostname-pid', () => {
    expect(defaultInstanceId({ CASEBRIDGE_INSTANCE_ID: 'gw-a' })).toBe('gw-a');
    expect(defaultInstanceId({})).toMatch(new RegExp(`-${process.pid}$`));
    expect(() => defaultInstanceId({ CASEBRIDGE_INSTANCE_ID: 'gw a' })).toThrow(ConfigError);
  });

  it('refuses run --once in a fleet (it would run connectors other instances hold)', async () => {
    const schema = `fleet_once_${randomBytes(4).toString('hex')}`;
    const loaded = parseConfigText(config(`state: { type: postgres, url: "postgres://postgres@127.0.0.1:5432/test", schema: ${schema} }\nfleet: {}`), 'casebridge.yaml', '/srv/cb', {});
    const gw = await createGateway({ loaded, publisher: memoryPublisher(), logger: silentLogger(), http: false });
    try {
      await expect(gw.runAllOnce()).rejects.toThrow(/run --once cannot take part in a fleet/);
    } finally {
      await gw.stop();
      const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'test' });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });
});
