/** The file connector's config as council IT meet it: strict, located errors that say what was expected. */
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, parseConfigText } from '../../src/config/load.js';

function problems(connector: string): string[] {
  const yaml = `version: 1
councils: [{ gss: E09000019, name: Islington }]
connectors:
  - name: street
    type: file
    council: E09000019
    system: { supplier: Street services }
    mapping: { reference: CRNo, status: { code: Stage, lookup: s }, lookups: { s: { entries: { "1": { status: received } } } } }
${connector}`;
  try {
    parseConfigText(yaml, 'casebridge.yaml', '/tmp', { SFTP_PASSWORD: 'pw-123456' });
    return [];
  } catch (e) {
    if (!(e instanceof ConfigInvalidError)) throw e;
    return e.problems.map((p) => `${p.line ?? '?'} ${p.path}: ${p.message}`);
  }
}

describe('file connector config', () => {
  it('accepts a minimal local config and fills sensible defaults', () => {
    const yaml = `version: 1
councils: [{ gss: E09000019, name: Islington }]
connectors:
  - { name: street, type: file, council: E09000019, system: { supplier: S }, path: ./in, format: { type: csv }, mapping: { reference: CRNo, status: { code: Stage, lookup: s }, lookups: { s: { entries: { "1": { status: received } } } } } }
`;
    const c = parseConfigText(yaml, 'casebridge.yaml', '/tmp', {}).config.connectors[0]!;
    expect(c).toMatchObject({
      type: 'file',
      pattern: '*.csv',
      mode: 'delta',
      after: { action: 'move', processed: 'processed', rejected: 'rejected' },
      ready: { stableFor: '2s' },
      format: { type: 'csv', encoding: 'auto', delimiter: ',', header: true },
    });
  });

  it('names the key, the line and the expectation for misspelt and wrong values', () => {
    expect(problems(`    path: ./in\n    patern: "*.csv"\n    format: { type: csv }`)).toEqual(['10 connectors[0].patern: unknown key "patern" — did you mean "pattern"?']);
    expect(problems(`    path: ./in\n    format: { type: tsv }`)[0]).toMatch(/connectors\[0\]\.format\.type: unknown type "tsv".*expected one of: csv, xml, json, jsonl/);
    expect(problems(`    path: ./in\n    format: { type: csv, header: false }`)).toEqual([
      '10 connectors[0].format.columns: a file without a header row (header: false) needs `columns` to name its fields',
    ]);
    expect(problems(`    path: ./in\n    format: { type: xml }`)[0]).toMatch(/connectors\[0\]\.format\.recordElement: required string is missing/);
    expect(problems(`    path: ./in\n    format: { type: csv }\n    after: { action: archive }`)[0]).toMatch(/after\.action: unknown value "archive"; expected one of: move, delete, keep/);
  });

  it('insists on a pinned SHA256 host key and a credential for SFTP', () => {
    const base = `    path: outbox\n    format: { type: csv }\n    sftp:\n      host: sftp.example.org\n      username: council\n`;
    expect(problems(base + `      password: \${env:SFTP_PASSWORD}\n      hostKey: "ssh-ed25519 AAAAC3Nza"`)[0]).toMatch(
      /connectors\[0\]\.sftp\.hostKey: expected a SHA256 fingerprint like "SHA256:/,
    );
    expect(problems(base + `      hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"`)[0]).toMatch(/sftp\.password: give a password or a privateKey/);
    expect(problems(base + `      password: \${env:SFTP_PASSWORD}\n      hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"`)).toEqual([]);
    expect(problems(base + `      password: \${env:SFTP_PASSWORD}\n      hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"\n    watch: true`)[0]).toMatch(/watch: watch is for local folders/);
  });
});
