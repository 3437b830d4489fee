/**
 * The words a resident reads for each lifecycle status and closure reason, and the colour of
 * the status tag. Kept apart from the markup so councils' wording reviews touch one file.
 */
import type { ClosureReasonCode, LifecycleStatus } from '../../event/case-event.js';

export const STATUS_WORDS: Record<LifecycleStatus, string> = {
  received: 'Reported',
  in_progress: 'Being looked at',
  scheduled: 'Booked',
  on_hold: 'On hold',
  resolved: 'Work done',
  closed: 'Closed',
  cancelled: 'Closed',
};

/** govuk-tag colour modifiers; every pairing meets WCAG AA contrast in govuk-frontend. */
export const STATUS_TAG: Record<LifecycleStatus, string> = {
  received: '', // the default tag is blue
  in_progress: 'govuk-tag--teal',
  scheduled: 'govuk-tag--purple',
  on_hold: 'govuk-tag--yellow',
  resolved: 'govuk-tag--green',
  closed: 'govuk-tag--green',
  cancelled: 'govuk-tag--grey',
};

export const CLOSURE_WORDS: Record<ClosureReasonCode, string> = {
  completed: 'The work is done.',
  duplicate: 'Someone had already reported this. We dealt with it under their report.',
  'not-council': 'This is not something the council looks after.',
  withdrawn: 'The report was withdrawn.',
  'no-action-needed': 'We checked and nothing needed doing.',
  'no-longer-listed': 'This case is no longer open in the council’s system.',
  other: 'The case is closed.',
};
