/**
 * Privacy by service: which services are public (listed, location rounded) or private (never
 * listed, shown only to someone who gives the reference and the postcode), and the one function
 * that turns a stored case into what the API may show. Nothing personal is stored to begin
 * with (data.personal is dropped at ingest); this removes what is public only for some services.
 */
import { z } from 'zod';
import { CaseService, CaseStatus, ClosureReason, Council, MediaItem, PublicNote, RelatedReference, Timestamp } from '../event/case-event.js';
import type { TrackConfig, TrackService } from './config.js';
import { normalisePostcode, TimelineEntry } from './projection.js';
import { serviceIdOf, type CaseRecord, type ServiceSeen } from './store/store.js';

export const PublicCase = z
  .object({
    council: Council,
    reference: z.string(),
    service: CaseService,
    status: CaseStatus,
    description: z.string().optional(),
    openedAt: Timestamp.optional(),
    updatedAt: Timestamp,
    dueAt: Timestamp.optional(),
    closedAt: Timestamp.optional(),
    closureReason: ClosureReason.optional(),
    publicNotes: z.array(PublicNote).optional(),
    media: z.array(MediaItem).optional(),
    relatedReferences: z.array(RelatedReference).optional(),
    location: z
      .object({
        latitude: z.number().optional(),
        longitude: z.number().optional(),
        address: z.string().optional(),
        usrn: z.string().optional(),
      })
      .strict()
      .optional()
      .describe('Public services only: rounded to privacy.locationDecimals; the address only where the service allows it'),
    sequence: z.number().int().optional(),
    timeline: z.array(TimelineEntry).optional().describe('Every change, oldest first'),
  })
  .strict();
export type PublicCase = z.infer<typeof PublicCase>;

export interface ServicePolicy extends Omit<TrackService, 'code' | 'council'> {
  code: string;
}

export interface Privacy {
  policy(council: string, serviceKey: string): ServicePolicy;
  isPublic(council: string, serviceKey: string): boolean;
  /** `council/serviceKey` ids of the public services among those seen. */
  publicServiceIds(seen: readonly ServiceSeen[], council?: string): string[];
  /** May this caller see this case? Private services need the right postcode; a wrong postcode never matches. */
  mayShow(rec: CaseRecord, postcode: string | undefined): boolean;
  show(rec: CaseRecord, opts?: { timeline?: boolean }): PublicCase;
}

const round = (n: number, decimals: number): number => Math.round(n * 10 ** decimals) / 10 ** decimals;

export function createPrivacy(config: Pick<TrackConfig, 'services' | 'privacy'>): Privacy {
  const policy = (council: string, serviceKey: string): ServicePolicy => {
    const s = config.services.find((x) => x.code === serviceKey && x.council === council) ?? config.services.find((x) => x.code === serviceKey && x.council === undefined);
    if (s) {
      const { council: _c, ...rest } = s;
      return rest;
    }
    return { code: serviceKey, privacy: config.privacy.defaultService, showAddress: false };
  };
  const isPublic = (council: string, serviceKey: string) => policy(council, serviceKey).privacy === 'public';
  return {
    policy,
    isPublic,
    publicServiceIds(seen, council) {
      return seen.filter((s) => (council === undefined || s.council === council) && isPublic(s.council, s.serviceKey)).map((s) => serviceIdOf(s.council, s.serviceKey));
    },
    mayShow(rec, postcode) {
      const given = postcode !== undefined && postcode.trim() !== '' ? normalisePostcode(postcode) : undefined;
      if (given !== undefined && rec.postcode !== null && given !== rec.postcode) return false;
      if (isPublic(rec.state.council.gss, rec.serviceKey)) return true;
      return given !== undefined && rec.postcode !== null && given === rec.postcode;
    },
    show(rec, opts = {}) {
      const c = rec.state.case;
      const p = policy(rec.state.council.gss, rec.serviceKey);
      const loc = rec.state.location;
      let location: PublicCase['location'];
      if (p.privacy === 'public' && loc) {
        const d = config.privacy.locationDecimals;
        location = {
          ...(loc.latitude !== undefined ? { latitude: round(loc.latitude, d) } : {}),
          ...(loc.longitude !== undefined ? { longitude: round(loc.longitude, d) } : {}),
          ...(p.showAddress && loc.address ? { address: loc.address } : {}),
          ...(p.showAddress && loc.usrn ? { usrn: loc.usrn } : {}),
        };
        if (!Object.keys(location).length) location = undefined;
      }
      return {
        council: rec.state.council,
        reference: c.reference,
        service: { ...c.service, ...(p.name ? { name: p.name } : {}) },
        status: c.status,
        ...(c.description !== undefined && p.privacy === 'public' ? { description: c.description } : {}),
        ...(c.openedAt ? { openedAt: c.openedAt } : {}),
        updatedAt: c.updatedAt,
        ...(c.dueAt ? { dueAt: c.dueAt } : {}),
        ...(c.closedAt ? { closedAt: c.closedAt } : {}),
        ...(c.closureReason ? { closureReason: c.closureReason } : {}),
        ...(c.publicNotes ? { publicNotes: c.publicNotes } : {}),
        ...(c.media ? { media: c.media } : {}),
        ...(c.relatedReferences ? { relatedReferences: c.relatedReferences } : {}),
        ...(location ? { location } : {}),
        ...(rec.seq !== null ? { sequence: rec.seq } : {}),
        ...(opts.timeline && rec.timeline ? { timeline: rec.timeline } : {}),
      };
    },
  };
}
