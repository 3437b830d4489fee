/**
 * The snapshot (full listing) diff, shared by every source that can list all of a connector's open
 * cases at once: file exports, SQL tables, SOAP and REST listings. Pure: it judges a listing against
 * what the state store remembers and says which cases to close, or why none may be closed.
 *
 * A listing may close a remembered open case only when casebridge can trust that the case is really
 * gone. It closes nothing when:
 *   - the listing did not finish (a page failed, paging stopped short of the announced total), so
 *     the missing cases may simply be on the pages never read;
 *   - any record of it was rejected (dead-lettered): the rejected row may be a "missing" case;
 *   - it would close more than `maxCloseShare` of the open cases at once: a supplier that suddenly
 *     lists far fewer cases is far more often broken than finished with them.
 */
import { TERMINAL_STATUSES, type CaseSnapshot } from '../event/case-event.js';
import type { CaseMemory } from './change.js';

export const DEFAULT_MAX_CLOSE_SHARE = 0.5;

export type WithheldReason = 'incomplete' | 'rejects' | 'too-many';

export type ListingVerdict =
  | { action: 'close'; refs: string[]; open: number }
  | { action: 'none' }
  | { action: 'withheld'; reason: WithheldReason; message: string; wouldClose?: number; open?: number };

export interface ListingFacts {
  /** The listing's id; every case it contained remembers it as CaseMemory.snapshotId. */
  snapshotId: string;
  onMissing: 'close' | 'ignore';
  /** Records of this listing that were rejected (dead letters), over all its batches. */
  rejected: number;
  /** Set by the source when the listing stopped part-way; says why. */
  incomplete?: string | undefined;
  maxCloseShare?: number | undefined;
}

/**
 * `known` streams every remembered case of the connector (state order); `latest` gives the newest
 * version of a case touched while reading this listing, which overrides the stored one.
 */
export async function judgeListing(facts: ListingFacts, known: AsyncIterable<[string, CaseMemory]> | Iterable<[string, CaseMemory]>, latest: (ref: string) => CaseMemory | undefined): Promise<ListingVerdict> {
  if (facts.onMissing !== 'close') return { action: 'none' };
  if (facts.incomplete) return { action: 'withheld', reason: 'incomplete', message: `the listing was incomplete (${facts.incomplete}); cases missing from it were NOT closed` };
  if (facts.rejected > 0) {
    return {
      action: 'withheld',
      reason: 'rejects',
      message: `the listing had ${facts.rejected} rejected record(s) (see dead letters); cases missing from it were NOT closed, because a rejected record may be one of them`,
    };
  }
  let open = 0;
  const refs: string[] = [];
  for await (const [ref, stored] of known) {
    const m = latest(ref) ?? stored;
    if (isClosed(m.snapshot)) continue;
    open++;
    if (m.snapshotId !== facts.snapshotId) refs.push(ref);
  }
  if (refs.length === 0) return { action: 'none' };
  const share = facts.maxCloseShare ?? DEFAULT_MAX_CLOSE_SHARE;
  if (refs.length > share * open) {
    return {
      action: 'withheld',
      reason: 'too-many',
      wouldClose: refs.length,
      open,
      message: `the listing would close ${refs.length} of ${open} open case(s) (${percent(refs.length / open)}), more than snapshot.maxCloseShare ${percent(share)}; closed nothing (a supplier listing that suddenly drops that many is more likely broken — raise maxCloseShare if the cases really were finished)`,
    };
  }
  return { action: 'close', refs, open };
}

/**
 * The version of a case published when a complete listing stops showing it: closed, as noticed
 * now, with the reason `no-longer-listed`; everything else as last published.
 */
export function noLongerListed(last: CaseSnapshot, now: string): CaseSnapshot {
  return {
    ...last,
    case: { ...last.case, status: { ...last.case.status, lifecycle: 'closed' }, updatedAt: now, closedAt: now, closureReason: { code: 'no-longer-listed' } },
    provenance: { ...last.provenance, fetchedAt: now, updatedAtSource: 'observed' },
  };
}

function isClosed(s: CaseSnapshot): boolean {
  return TERMINAL_STATUSES.includes(s.case.status.lifecycle);
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}
