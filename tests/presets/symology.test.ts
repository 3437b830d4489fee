import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SymologyExports } from '../simulators/csv/symology.js';
import { initPreset, runOnce, validateAndTest } from './helpers.js';

describe('preset symology (Symology Insight CSV exports)', () => {
  it('init → validate → test → run --once over overlapping Windows-1252 exports: contract-valid events, each change once', { timeout: 240_000 }, async () => {
    const { dir, config } = initPreset('symology', ['--council', 'E09000007', '--council-name', 'London Borough of Camden']);
    validateAndTest(config, {});

    const sim = new SymologyExports({ encoding: 'win1252' });
    const t0 = new Date('2025-03-29T23:10:00Z'); // across the spring clock change
    const a = sim.report(t0, 'PH');
    const b = sim.report(new Date(t0.getTime() + 20 * 60_000), 'FT');
    sim.stage(a, 4, new Date(t0.getTime() + 40 * 60_000));
    sim.noise(a, new Date(t0.getTime() + 45 * 60_000));
    sim.stage(b, 9, new Date(t0.getTime() + 100 * 60_000));
    sim.stage(a, 9, new Date(t0.getTime() + 130 * 60_000));
    const files = sim.writeExports(join(dir, 'exports'), t0, new Date(t0.getTime() + 4 * 3_600_000));
    expect(files.length).toBeGreaterThan(5);

    const { events } = await runOnce(dir, config, {});
    // Every change once, though most rows were in three files; the Ignored row publishes nothing.
    expect(events.map((e) => `${e.subject}:${e.data.case.status.code}`).sort()).toEqual([`${a}:1`, `${a}:4`, `${a}:9`, `${b}:1`, `${b}:9`].sort());
    expect(events.find((e) => e.subject === a && e.data.case.status.code === '9')?.data.case.closedAt).toBeDefined();
    // The exports were moved aside once published.
    expect(readdirSync(join(dir, 'exports')).filter((f) => f.endsWith('.csv'))).toEqual([]);
    expect(existsSync(join(dir, 'exports/processed'))).toBe(true);
  });
});
