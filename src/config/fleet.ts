/**
 * `fleet:` several gateway instances with the same config share its connectors through leases in
 * the PostgreSQL state store. Each connector runs on one instance at a time; a lease not renewed
 * within `leaseTtl` is taken over by another instance, and the fencing token makes sure the old
 * holder can never commit again.
 */
import { z } from 'zod';
import { Duration, durationMs } from '../core/units.js';

export const FleetConfig = z
  .object({
    instanceId: z
      .string()
      .regex(/^[A-Za-z0-9._:@-]{1,100}$/, 'letters, digits and . _ : @ - (at most 100)')
      .optional()
      .describe('This instance\'s name in the lease table (default: the CASEBRIDGE_INSTANCE_ID environment variable, else hostname-pid); must differ between instances running at the same time'),
    leaseTtl: Duration.default('15s').describe('A lease not renewed for this long is free for another instance to take'),
    renewEvery: Duration.optional().describe('How often leases are renewed and the fleet rebalanced (default: a third of leaseTtl)'),
  })
  .strict()
  .superRefine((f, ctx) => {
    const ttl = durationMs(f.leaseTtl);
    if (ttl < 1000) ctx.addIssue({ code: 'custom', path: ['leaseTtl'], message: `leaseTtl ${f.leaseTtl} is too short: at least 1s` });
    if (f.renewEvery !== undefined && durationMs(f.renewEvery) * 2 > ttl) {
      ctx.addIssue({ code: 'custom', path: ['renewEvery'], message: `renewEvery ${f.renewEvery} must be at most half of leaseTtl ${f.leaseTtl}, so one missed renewal does not lose the lease` });
    }
  });
export type FleetConfig = z.infer<typeof FleetConfig>;

/** The renewal period in milliseconds: renewEvery, else a third of the TTL. */
export function renewEveryMs(f: FleetConfig): number {
  return f.renewEvery !== undefined ? durationMs(f.renewEvery) : Math.max(200, Math.floor(durationMs(f.leaseTtl) / 3));
}
