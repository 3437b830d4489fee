import { describe, expect, it } from 'vitest';
import { stagesFor } from '../../src/track/page/progress.js';
import { ukDate, ukDateTime } from '../../src/track/page/format.js';
import type { LifecycleStatus } from '../../src/event/case-event.js';
import type { ResidentCase } from '../../src/track/resident-lookup.js';

const caseWith = (status: LifecycleStatus, history: LifecycleStatus[], extra: Partial<ResidentCase> = {}): ResidentCase => ({
  council: { gss: 'E09000019', name: 'Islington' },
  reference: 'R1',
  status,
  updatedAt: '2025-11-10T10:00:00Z',
  publicNotes: [],
  media: [],
  timeline: history.map((s, i) => ({ at: `2025-11-0${i + 1}T10:00:00Z`, status: s })),
  ...extra,
});

const states = (c: ResidentCase) => stagesFor(c).map((s) => `${s.title}:${s.state}`);

describe('parcel-style progress', () => {
  it('a new report is at the first stage', () => {
    expect(states(caseWith('received', ['received']))).toEqual(['Reported:current', 'Being looked at:upcoming', 'Work booked:upcoming', 'Done:upcoming']);
  });

  it('never moves back while open: work under way after work booked stays at the booked stage', () => {
    const c = caseWith('in_progress', ['received', 'in_progress', 'scheduled', 'in_progress']);
    expect(states(c)).toEqual(['Reported:complete', 'Being looked at:complete', 'Work booked:current', 'Done:upcoming']);
    expect(stagesFor(c)[1]!.at).toBe('2025-11-02T10:00:00Z');
  });

  it('on hold sits at the looked-at stage; done and cancelled complete every stage, dated by closedAt', () => {
    expect(states(caseWith('on_hold', ['received', 'on_hold']))[1]).toBe('Being looked at:current');
    const done = caseWith('closed', ['received', 'closed'], { closedAt: '2025-11-05T16:00:00Z' });
    expect(states(done)).toEqual(['Reported:complete', 'Being looked at:complete', 'Work booked:complete', 'Done:complete']);
    expect(stagesFor(done)[3]!.at).toBe('2025-11-05T16:00:00Z');
    expect(states(caseWith('cancelled', ['received', 'cancelled']))[3]).toBe('Closed:complete');
  });

  it('a reopened case steps back from done', () => {
    expect(states(caseWith('in_progress', ['received', 'resolved', 'in_progress']))).toEqual(['Reported:complete', 'Being looked at:current', 'Work booked:upcoming', 'Done:upcoming']);
  });

  it('upcoming stages carry no date', () => {
    expect(stagesFor(caseWith('received', ['received', 'scheduled', 'received'])).filter((s) => s.state === 'upcoming').map((s) => s.at)).toEqual([undefined]);
  });
});

describe('UK dates', () => {
  it('shows UK wall-clock time across the clock changes, GOV.UK style', () => {
    expect(ukDateTime('2025-03-30T00:59:00Z')).toBe('30 March 2025 at 12:59am');
    expect(ukDateTime('2025-03-30T01:00:00Z')).toBe('30 March 2025 at 2:00am');
    expect(ukDateTime('2025-10-26T00:30:00Z')).toBe('26 October 2025 at 1:30am');
    expect(ukDateTime('2025-10-26T01:30:00Z')).toBe('26 October 2025 at 1:30am');
    expect(ukDateTime('2025-07-01T11:00:00Z')).toBe('1 July 2025 at midday');
    expect(ukDateTime('2025-12-31T00:00:00+00:00')).toBe('31 December 2025 at midnight');
    expect(ukDate('2025-06-30T23:30:00Z')).toBe('1 July 2025');
  });
});
