/**
 * ResidentLookup on top of the projection store: what the /track page shows. Unknown reference,
 * wrong postcode and a private service asked without a postcode all give `undefined`.
 */
import type { TrackConfig } from './config.js';
import type { Privacy } from './privacy.js';
import type { ResidentCase, ResidentLookup } from './resident-lookup.js';
import type { ProjectionStore } from './store/store.js';

export function createResidentLookup(deps: { store: ProjectionStore; privacy: Privacy; councils: TrackConfig['councils'] }): ResidentLookup {
  return {
    async findCase({ reference, postcode, council }) {
      const ref = reference.trim();
      if (!ref) return undefined;
      const found = (await deps.store.findCases(ref, council)).filter((r) => deps.privacy.mayShow(r, postcode));
      // Two councils (or suppliers) may share a reference; show one only when it is unambiguous.
      if (found.length !== 1) return undefined;
      const pub = deps.privacy.show(found[0]!, { timeline: true });
      const out: ResidentCase = {
        council: pub.council,
        reference: pub.reference,
        ...(pub.service.name ? { service: pub.service.name } : {}),
        status: pub.status.lifecycle,
        ...(pub.status.publicLabel ?? pub.status.label ? { statusLabel: (pub.status.publicLabel ?? pub.status.label)! } : {}),
        ...(pub.openedAt ? { openedAt: pub.openedAt } : {}),
        updatedAt: pub.updatedAt,
        ...(pub.dueAt ? { dueAt: pub.dueAt } : {}),
        ...(pub.closedAt ? { closedAt: pub.closedAt } : {}),
        ...(pub.closureReason ? { closureReason: { code: pub.closureReason.code, ...(pub.closureReason.label ? { label: pub.closureReason.label } : {}) } } : {}),
        publicNotes: pub.publicNotes ?? [],
        media: pub.media ?? [],
        ...(pub.relatedReferences ? { relatedReferences: pub.relatedReferences } : {}),
        timeline: (pub.timeline ?? []).map((t) => ({
          at: t.at,
          status: t.status,
          ...(t.publicLabel ?? t.label ? { label: (t.publicLabel ?? t.label)! } : {}),
        })),
      };
      return out;
    },
    async councils() {
      if (deps.councils.length) return deps.councils.map((c) => ({ gss: c.gss, name: c.name }));
      const seen = new Map<string, string>();
      for (const s of await deps.store.services()) seen.set(s.council, s.council);
      return [...seen.keys()].map((gss) => ({ gss, name: gss }));
    },
  };
}
