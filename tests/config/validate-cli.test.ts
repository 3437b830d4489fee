import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const fixture = (name: string) => `tests/fixtures/config/${name}.yaml`;
const env = { CB_TEST_SALT: 'a-test-salt' };

describe('casebridge validate', () => {
  it('accepts a valid config with several councils and connectors (exit 0)', () => {
    const r = runCli(['validate', fixture('valid')], { env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2 connector(s): islington-street (file), oxford-street (file)');
  });

  it('names file, line, path and a suggestion for a misspelt key', () => {
    const r = runCli(['validate', fixture('misspelt-key')], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('tests/fixtures/config/misspelt-key.yaml:20:7  connectors[0].mapping.staus: unknown key "staus" — did you mean "status"?');
  });

  it('names the expected type for a wrong type', () => {
    const r = runCli(['validate', fixture('wrong-type')], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('wrong-type.yaml:17:37  connectors[0].format.skipLines: expected number, got "lots"');
  });

  it('lists the known connector types for an unknown one', () => {
    const r = runCli(['validate', fixture('unknown-type')], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown-type\.yaml:22:11 {2}connectors\[1\]\.type: unknown type "ftp"; expected one of: file, sql, soap, rest, push/);
  });

  it('reports a missing environment secret without printing any secret', () => {
    const r = runCli(['validate', fixture('missing-secret')], { env: { CB_TEST_SALT: '' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('missing-secret.yaml:29:21  connectors[1].mapping.personalSalt: environment variable CB_TEST_SALT is not set');
  });

  it('compiles every mapping, so a JSONata expression that does not parse is caught before going live', () => {
    const r = runCli(['validate', fixture('bad-jsonata')], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad-jsonata\.yaml:20:15 {2}connectors\[0\]\.mapping\.filter: invalid JSONata expression/);
  });

  it('names the bad value and the allowed values of an enum, with no "did you mean" for keys spelt right', () => {
    const r = runCli(['validate', fixture('bad-status-value')], { env });
    expect(r.status).toBe(2);
    const allowed = 'received, in_progress, scheduled, on_hold, resolved, closed, cancelled';
    expect(r.stderr).toBe(
      [
        'invalid  tests/fixtures/config/bad-status-value.yaml: 3 problem(s)',
        `  tests/fixtures/config/bad-status-value.yaml:9:22  lookups.stages.entries["5"].status: unknown value "in-progress"; expected one of: ${allowed} — did you mean "in_progress"?`,
        `  tests/fixtures/config/bad-status-value.yaml:10:22  lookups.stages.entries["9"].status: unknown value "resloved"; expected one of: ${allowed} — did you mean "resolved"?`,
        '  tests/fixtures/config/bad-status-value.yaml:21:33  connectors[0].mapping.clockChange.ambiguous: unknown value "guess"; expected one of: earlier, later, reject',
        '',
      ].join('\n'),
    );
  });

  it('checks date format tokens at load: file:line:col, the token and what to write instead', () => {
    const r = runCli(['validate', fixture('bad-date-format')], { env });
    expect(r.status).toBe(2);
    const at = 'tests/fixtures/config/bad-date-format.yaml';
    expect(r.stderr).toBe(
      [
        `invalid  ${at}: 4 problem(s)`,
        `  ${at}:17:51  connectors[0].mapping.updatedAt.date: date format "dd/mm/yyyy HH:mm": "mm" at character 4 is minutes and the format has no month — write "MM" for the month`,
        `  ${at}:18:57  connectors[0].mapping.openedAt.date.format[0]: date format "DD/MM/YYYY": "DD" at character 1 is not a date token — write "dd" (two-digit day of the month); "YYYY" at character 7 is not a date token — write "yyyy" (four-digit year)`,
        `  ${at}:19:40  connectors[0].mapping.dueAt.date: date format "yyyy-MM-ddTHH:mm": "T" at character 11 is not a date token — quote literal letters: 'T'`,
        `  ${at}:20:45  connectors[0].mapping.closedAt.date: date format "dd/MM/yyyy HH:MM": "MM" at character 15 is the month and follows the hour — write "mm" for minutes`,
        '',
      ].join('\n'),
    );
  });

  it('reports every file in machine-readable form with --json', () => {
    const r = runCli(['validate', '--json', fixture('valid'), fixture('wrong-type')], { env });
    expect(r.status).toBe(2);
    const out = JSON.parse(r.stdout) as { file: string; valid: boolean; problems: { line?: number; path: string }[] }[];
    expect(out.map((o) => o.valid)).toEqual([true, false]);
    expect(out[1]!.problems[0]).toMatchObject({ line: 17, path: 'connectors[0].format.skipLines' });
  });

  it('explains a missing file and bad YAML', () => {
    const missing = runCli(['validate', 'tests/fixtures/config/nope.yaml']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read config: ENOENT');
    expect(runCli(['--help']).status).toBe(0);
    expect(runCli(['frobnicate']).status).toBe(64);
  });
});
