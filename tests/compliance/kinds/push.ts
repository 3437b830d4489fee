/**
 * The push kind: a webhook receiver with HMAC signatures, and a supplier that sends each case
 * notification (the repairs simulator's JSON) and resends it until it is acknowledged, as
 * RepairsHub's integration engine does (tests/simulators/push/send.ts sends one the same way).
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { freePort, signedHeaders, webhookConnector, webhookSecret } from '../../push/helpers.js';
import { generateCases, renderCase, type RepairCase } from '../../simulators/rest/housing-repairs.js';
import type { LiveSupplier, SourceKind } from './types.js';

const BASE = '2025-11-03T09:00:00Z';
const PATH = '/hooks/repairshub';

export const push: SourceKind = {
  name: 'push (webhook)',
  continuous: true,
  rereads: 'none',
  checkpoint: 'none',
  async start(n, batchSize): Promise<LiveSupplier> {
    const port = await freePort();
    let total = n;
    const pending: RepairCase[] = generateCases(n, BASE);
    let stopped = false;
    const holders: net.Server[] = [];
    const env = { REPAIRS_WEBHOOK_SECRET: webhookSecret };
    const connector = (listen: Record<string, unknown>) => webhookConnector({ name: 'compliance-push', batchSize, listen: { host: '127.0.0.1', port, path: PATH, ...listen } });

    /** One notification, sent until a 2xx comes back (or the test ends). */
    async function send(c: RepairCase): Promise<void> {
      const body = JSON.stringify({ eventType: 'case.updated', eventId: randomUUID(), occurredAt: new Date().toISOString(), case: renderCase(c) });
      const deadline = Date.now() + 120_000;
      while (!stopped) {
        if (Date.now() > deadline) throw new Error(`${c.repairReference} was never acknowledged`);
        try {
          const res = await fetch(`http://127.0.0.1:${port}${PATH}`, { method: 'POST', body, headers: signedHeaders(body), signal: AbortSignal.timeout(15_000) });
          await res.arrayBuffer();
          if (res.ok) return;
        } catch {
          // Not listening yet, or gone: a supplier tries again.
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    return {
      connector: connector({}),
      env,
      refs: pending.map((c) => c.repairReference),
      async add(k) {
        const more = generateCases(total + k, BASE).slice(total);
        total += k;
        pending.push(...more);
        return more.map((c) => c.repairReference);
      },
      async deliver() {
        while (pending.length && !stopped) {
          await send(pending[0]!);
          pending.shift();
        }
      },
      async unreachable() {
        // Another process still holds the port (an old instance letting go): listening may work later.
        const holder = net.createServer();
        const held = await freePort();
        await new Promise<void>((r) => holder.listen(held, '127.0.0.1', r));
        holders.push(holder);
        return { connector: connector({ port: held }), env };
      },
      misconfigured() {
        // An address this machine does not have (TEST-NET-1): binding fails the same way every time.
        return { connector: connector({ host: '192.0.2.1' }), env };
      },
      async teardown() {
        stopped = true;
        for (const h of holders) await new Promise((r) => h.close(r));
      },
    };
  },
};
