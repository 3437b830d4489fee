/** `validate --allow-missing-secrets`: check a config's shape before its secrets exist; each missing one is a named warning. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const SECRETS = ['REPAIRS_DB_USER', 'REPAIRS_DB_PASSWORD', 'STREET_SFTP_KEY', 'WASTE_API_PASSWORD', 'WASTE_PERSONAL_SALT'];
/** Empty counts as not set, so the test does not depend on the caller's environment. */
const unset = Object.fromEntries(SECRETS.map((s) => [s, '']));
const work = mkdtempSync(join(tmpdir(), 'cb-validate-secrets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const examples = readdirSync('config/examples').map((d) => join('config/examples', d, 'casebridge.yaml'));

describe('validate --allow-missing-secrets', () => {
  it('passes every shipped example config with its secrets unset, naming each missing one as a warning', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    const r = runCli(['validate', '--allow-missing-secrets', ...examples], { env: unset });
    expect(r.status, r.stderr).toBe(0);
    for (const f of examples) expect(r.stdout).toMatch(new RegExp(`^ok  ${f.replace(/[.]/g, '\\.')}: .*secret\\(s\\) still to set`, 'm'));
    for (const s of SECRETS) expect(r.stderr).toMatch(new RegExp(`^warning  config/examples/\\S+:\\d+:\\d+  \\S+: environment variable ${s} is not set`, 'm'));
    // Without the flag the same configs are invalid, as before: a gateway must not start without its secrets.
    const strict = runCli(['validate', ...examples], { env: unset });
    expect(strict.status).toBe(2);
    expect(strict.stderr).toContain('environment variable REPAIRS_DB_PASSWORD is not set');
  });

  it('still fails on a real problem, and reports the missing secrets next to it; --json carries both', () => {
    const file = join(work, 'broken.yaml');
    writeFileSync(
      file,
      `version: 1
councils: [{ gss: E09000019, name: Islington }]
connectors:
  - name: repairs
    type: rest
    council: E09000019
    system: { supplier: Repairs }
    baseUrl: \${env:CB_TEST_MISSING_URL}
    path: /api/cases
    records: data
    auth: { type: bearer, token: "\${env:CB_TEST_MISSING_TOKEN}" }
    since: { param: updatedSince, initial: 7d }
    batchSize: lots
    mapping: { reference: ref, status: { code: s, lookup: t }, lookups: { t: { entries: { a: { status: received } } } } }
`,
    );
    const env = { CB_TEST_MISSING_URL: '', CB_TEST_MISSING_TOKEN: '' };
    const r = runCli(['validate', '--allow-missing-secrets', file], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/connectors\[0\]\.batchSize: expected number/);
    expect(r.stderr).toMatch(/warning .*connectors\[0\]\.baseUrl: environment variable CB_TEST_MISSING_URL is not set/);
    expect(r.stderr).toMatch(/warning .*connectors\[0\]\.auth\.token: environment variable CB_TEST_MISSING_TOKEN is not set/);

    const json = runCli(['validate', '--allow-missing-secrets', '--json', file], { env });
    const [result] = JSON.parse(json.stdout) as { valid: boolean; problems: { path: string }[]; warnings: { path: string; line: number }[] }[];
    expect(result!.valid).toBe(false);
    // The URL-typed field was checked with a URL-shaped stand-in, so it is not itself a problem.
    expect(result!.problems.map((p) => p.path)).toEqual(['connectors[0].batchSize']);
    expect(result!.warnings.map((w) => [w.path, w.line])).toEqual([
      ['connectors[0].baseUrl', 8],
      ['connectors[0].auth.token', 11],
    ]);
  });

  it('refuses --live with it: a live check needs the real secrets', () => {
    const r = runCli(['validate', '--live', '--allow-missing-secrets', examples[0]!], { env: unset });
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('--live connects to the suppliers and needs the real secrets');
  });
});
