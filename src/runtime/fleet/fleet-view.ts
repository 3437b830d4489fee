/**
 * Who holds what: the operator's view of the fleet, built from the lease and instance tables.
 * The same view is served by /status on every instance and printed by `casebridge fleet`.
 */
import type { FleetSnapshot } from './lease-store.js';

export interface FleetConnectorView {
  connector: string;
  /** Instance holding an unexpired lease, or null when nobody does (waiting for an instance to take it). */
  holder: string | null;
  token?: number;
  leaseAgeSeconds?: number;
  expiresInSeconds?: number;
  /** As the holder last reported it at its heartbeat. */
  status?: string;
  lagSeconds?: number;
  lastSuccessAt?: string;
  lastError?: string;
}

export interface FleetView {
  /** The instance answering (absent from the command line). */
  instanceId?: string;
  readAt: string;
  leaseTtlSeconds: number;
  instances: Array<{ instanceId: string; live: boolean; lastSeenSecondsAgo: number; httpUrl?: string; holds: number }>;
  connectors: FleetConnectorView[];
}

const secs = (ms: number) => Math.round(ms / 100) / 10;

export function fleetView(snapshot: FleetSnapshot, connectors: readonly string[], ttlMs: number, instanceId?: string): FleetView {
  const now = snapshot.now.getTime();
  const leases = new Map(snapshot.leases.map((l) => [l.connector, l]));
  const reports = new Map(snapshot.instances.map((i) => [i.instanceId, i.connectors]));
  const rows = connectors.map((c): FleetConnectorView => {
    const l = leases.get(c);
    if (!l || l.expiresAt.getTime() <= now) return { connector: c, holder: null, ...(l ? { token: l.token } : {}) };
    const r = reports.get(l.holder)?.[c];
    return {
      connector: c,
      holder: l.holder,
      token: l.token,
      leaseAgeSeconds: secs(now - l.acquiredAt.getTime()),
      expiresInSeconds: secs(l.expiresAt.getTime() - now),
      ...(r?.status !== undefined ? { status: r.status } : {}),
      ...(r?.lagSeconds !== undefined ? { lagSeconds: r.lagSeconds } : {}),
      ...(r?.lastSuccessAt !== undefined ? { lastSuccessAt: r.lastSuccessAt } : {}),
      ...(r?.lastError !== undefined ? { lastError: r.lastError } : {}),
    };
  });
  const holds = new Map<string, number>();
  for (const r of rows) if (r.holder) holds.set(r.holder, (holds.get(r.holder) ?? 0) + 1);
  return {
    ...(instanceId ? { instanceId } : {}),
    readAt: snapshot.now.toISOString(),
    leaseTtlSeconds: secs(ttlMs),
    instances: snapshot.instances.map((i) => ({
      instanceId: i.instanceId,
      live: now - i.seenAt.getTime() < ttlMs,
      lastSeenSecondsAgo: secs(now - i.seenAt.getTime()),
      ...(i.httpUrl ? { httpUrl: i.httpUrl } : {}),
      holds: holds.get(i.instanceId) ?? 0,
    })),
    connectors: rows,
  };
}

/** Plain-text tables for the terminal. */
export function formatFleetView(v: FleetView): string {
  const table = (head: string[], body: string[][]) => {
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
    return [head, ...body].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
  };
  const instances = table(
    ['INSTANCE', 'LIVE', 'LAST SEEN', 'HOLDS', 'HTTP'],
    v.instances.map((i) => [i.instanceId, i.live ? 'yes' : 'no', `${i.lastSeenSecondsAgo}s ago`, String(i.holds), i.httpUrl ?? '-']),
  );
  const connectors = table(
    ['CONNECTOR', 'HOLDER', 'TOKEN', 'LEASE AGE', 'EXPIRES IN', 'STATUS', 'LAG'],
    v.connectors.map((c) => [
      c.connector,
      c.holder ?? '(none)',
      c.token !== undefined ? String(c.token) : '-',
      c.leaseAgeSeconds !== undefined ? `${c.leaseAgeSeconds}s` : '-',
      c.expiresInSeconds !== undefined ? `${c.expiresInSeconds}s` : '-',
      c.status ?? '-',
      c.lagSeconds !== undefined ? `${c.lagSeconds.toFixed(1)}s` : '-',
    ]),
  );
  const unheld = v.connectors.filter((c) => !c.holder).length;
  return `fleet at ${v.readAt} (lease TTL ${v.leaseTtlSeconds}s): ${v.instances.filter((i) => i.live).length} live instance(s), ${v.connectors.length - unheld} of ${v.connectors.length} connector(s) held\n\n${instances}\n\n${connectors}\n`;
}
