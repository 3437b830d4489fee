/**
 * The built-in mapping from GeoReport v2 fields to a case: an Open311 server already speaks a
 * standard, so a council writes no mapping (it may still give its own `mapping` to override).
 * Statuses: the standard's open/closed, plus the finer ones FixMyStreet-style servers send
 * (investigating, action_scheduled, fixed, ...), compared case-insensitively.
 */
import type { MappingInput } from '../../config/common.js';

export const OPEN311_STATUS_TABLE = 'open311-statuses';

export const OPEN311_MAPPING: MappingInput = {
  reference: 'service_request_id',
  service: { code: 'service_code', name: 'service_name', category: 'agency_responsible' },
  status: { code: { path: 'status', case: 'lower' }, label: 'status', lookup: OPEN311_STATUS_TABLE },
  openedAt: { path: 'requested_datetime', date: 'iso' },
  // Some servers leave updated_datetime out: the gateway then stamps the time it saw the change
  // and says so in provenance.updatedAtSource.
  updatedAt: { path: 'updated_datetime', date: 'iso' },
  dueAt: { path: 'expected_datetime', date: 'iso' },
  closedAt: { jsonata: "$lowercase(status) in ['closed', 'fixed', 'duplicate', 'not_councils_responsibility', 'no_further_action', 'unable_to_fix', 'internal_referral'] ? updated_datetime", date: 'iso' },
  closureReason: { code: { path: 'status', case: 'lower' }, lookup: 'open311-closures' },
  location: { address: 'address', postcode: 'zipcode', latitude: 'lat', longitude: 'long', onInvalid: 'omit' },
  // Already public on the Open311 server; the request's own description (the resident's words) is not published.
  publicNotes: [{ text: 'status_notes', at: { path: 'updated_datetime', date: 'iso' } }],
  media: [{ url: 'media_url' }],
  lookups: {
    [OPEN311_STATUS_TABLE]: {
      kind: 'status',
      caseInsensitive: true,
      entries: {
        open: { status: 'received', label: 'Open' },
        investigating: { status: 'in_progress', label: 'Investigating' },
        in_progress: { status: 'in_progress', label: 'In progress' },
        action_scheduled: { status: 'scheduled', label: 'Action scheduled' },
        fixed: { status: 'resolved', label: 'Fixed' },
        closed: { status: 'closed', label: 'Closed' },
        duplicate: { status: 'closed', label: 'Duplicate' },
        not_councils_responsibility: { status: 'closed', label: 'Not the council\'s responsibility' },
        no_further_action: { status: 'closed', label: 'No further action' },
        unable_to_fix: { status: 'closed', label: 'Unable to fix' },
        internal_referral: { status: 'closed', label: 'Passed to another team' },
      },
    },
    'open311-closures': {
      kind: 'closure',
      caseInsensitive: true,
      entries: {
        fixed: 'completed',
        closed: 'completed',
        duplicate: 'duplicate',
        not_councils_responsibility: 'not-council',
        internal_referral: 'not-council',
        no_further_action: 'no-action-needed',
      },
      default: 'other',
    },
  },
};
