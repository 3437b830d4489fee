/**
 * Finding 2 of the fault audit: error texts were served unmasked on /status and /readyz (a REST
 * bearer token appeared there), secrets written inline in YAML were never masked, and a secret
 * holding `"` or `\` escaped masking in the JSON logs. One masking function now serves logs,
 * /status, /readyz, dead letters and CLI output; /status and /metrics can require a bearer token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/runtime/gateway.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { maskSecrets, registerSecret } from '../../src/core/mask.js';
import { SourceError } from '../../src/core/errors.js';
import { fakeNormalize, type FakeRow } from '../helpers/fake-source.js';
import { memoryPublisher } from '../helpers/memory-publisher.js';

/** Every form a secret takes on the way out: as is, inside JSON, inside a URL. */
const forms = (s: string) => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)];

const HOSTILE = ['quote"and\\backslash-s3cret', 'regex.*meta(chars)[x]$^+?{2}|', 'pässwörd-✓-🔑-ünïcode', 'tab\tand\nnewline-secret'];

let gw: Gateway | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

describe('one masking function', () => {
  it('masks secrets with any characters, raw, JSON-escaped and URL-encoded', () => {
    for (const s of HOSTILE) registerSecret(s);
    for (const s of HOSTILE) {
      for (const form of forms(s)) {
        const masked = maskSecrets(`before ${form} after`);
        expect(masked, `form ${JSON.stringify(form)}`).toBe('before [REDACTED] after');
      }
    }
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } });
    for (const s of HOSTILE) log.warn({ detail: `supplier said ${s}` }, `login failed with ${s}`);
    const text = lines.join('');
    for (const s of HOSTILE) for (const form of forms(s)) expect(text).not.toContain(form);
    expect(text.match(/\[REDACTED\]/g)?.length).toBe(HOSTILE.length * 2);
  });

  it('masks secrets written inline in the YAML (no ${env:…}), by the keys that hold secrets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-mask-'));
    dirs.push(dir);
    parseConfigText(
      `version: 1
councils: [{ gss: E09000019, name: Islington }]
connectors:
  - name: drops
    type: file
    council: E09000019
    system: { supplier: X }
    path: ./in
    format: { type: csv }
    sftp: { host: 127.0.0.1, username: u, password: 'inline-bearer-"t0ken\\', hostKey: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8' }
    mapping:
      reference: ref
      status: { code: s, lookup: t }
      lookups: { t: { entries: { a: { status: received } } } }
`,
      join(dir, 'c.yaml'),
      dir,
      {},
    );
    expect(maskSecrets('Authorization: Bearer inline-bearer-"t0ken\\ refused')).toBe('Authorization: Bearer [REDACTED] refused');
  });

  it('/status and /readyz serve masked error texts, dead letters are masked, and /status and /metrics need the bearer token when set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-mask-'));
    dirs.push(dir);
    const token = 'status-token-with-"quote"-and-\\';
    const supplierSecret = 'supplier-bearer-Zx9"\\q';
    const loaded = parseConfigText(
      `version: 1
councils: [{ gss: E09000019, name: Islington }]
http: { token: "\${env:CB_MASK_HTTP_TOKEN}" }
connectors:
  - name: fake
    type: file
    council: E09000019
    system: { supplier: Fake }
    path: ./in
    format: { type: csv }
    retry: { initial: 10s, max: 10s }
    mapping:
      reference: ref
      status: { code: status, lookup: st }
      lookups:
        st: { entries: { received: { status: received } } }
`,
      join(dir, 'c.yaml'),
      dir,
      { CB_MASK_HTTP_TOKEN: token, CB_SUPPLIER: supplierSecret },
    );
    registerSecret(supplierSecret);
    const publisher = memoryPublisher();
    const rows: FakeRow[] = [{ ref: 'R1', status: 'received', updatedAt: '2025-11-03T09:00:00Z', bad: true, code: `X ${supplierSecret}` }];
    gw = await createGateway({
      loaded,
      logger: silentLogger(),
      publisher,
      http: { host: '127.0.0.1', port: 0 },
      compileMapping: () => fakeNormalize,
      sourceFactories: {
        file: () => ({
          async *read() {
            yield { records: rows.map((r, i) => ({ raw: { ...r }, position: { file: 'f.csv', line: i + 2 }, fetchedAt: '2025-11-03T09:00:00Z' })), checkpoint: { n: 1 }, ack: async () => {} };
            throw new SourceError(`GET https://supplier.example/cases?access_token=${encodeURIComponent(supplierSecret)} failed: 401 for token ${supplierSecret}`, { retriable: true });
          },
          close: async () => {},
        }),
      },
    });
    await gw.start();
    const url = gw.httpUrl!;
    const auth = { headers: { authorization: `Bearer ${token}` } };
    let ready: Response | undefined;
    for (let i = 0; i < 100; i++) {
      ready = await fetch(`${url}/readyz`);
      if (ready.status === 503 && gw.runners.get('fake')!.lastError) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ready!.status).toBe(503);
    const readyText = await ready!.text();
    expect(readyText).toContain('[REDACTED]');
    for (const form of forms(supplierSecret)) expect(readyText).not.toContain(form);

    expect((await fetch(`${url}/status`)).status).toBe(401);
    expect((await fetch(`${url}/status`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const status = await fetch(`${url}/status`, auth);
    expect(status.status).toBe(200);
    const statusText = await status.text();
    expect(statusText).toContain('[REDACTED]');
    for (const form of [...forms(supplierSecret), ...forms(token)]) expect(statusText).not.toContain(form);
    expect((await fetch(`${url}/metrics`, auth)).status).toBe(200);

    expect(publisher.deadLetters).toHaveLength(1);
    const letter = JSON.stringify(publisher.deadLetters[0]);
    expect(letter).toContain('[REDACTED]');
    for (const form of forms(supplierSecret)) expect(letter).not.toContain(form);
  });
});
