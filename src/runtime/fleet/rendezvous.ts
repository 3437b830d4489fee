/**
 * Rendezvous (highest-random-weight) hashing: every instance ranks every connector by a hash of
 * (instance, connector). An instance takes the free connectors it ranks highest and gives up the
 * ones it ranks lowest, so instances rarely contend for the same lease and a join or leave moves
 * few connectors.
 */
import { createHash } from 'node:crypto';

export function rendezvousScore(instanceId: string, connector: string): number {
  return createHash('sha256').update(instanceId).update('\0').update(connector).digest().readUInt32BE(0);
}

/** `connectors` ordered from the one this instance most wants to the one it least wants. */
export function byPreference(instanceId: string, connectors: Iterable<string>): string[] {
  return [...connectors].map((c) => ({ c, s: rendezvousScore(instanceId, c) })).sort((a, b) => b.s - a.s || (a.c < b.c ? -1 : 1)).map((x) => x.c);
}
