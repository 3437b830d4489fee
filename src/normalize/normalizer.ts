/**
 * The normalizer contract: compiled once from a connector's mapping, then a pure function
 * record → case snapshot, skip, or rejection. No I/O. Change detection (created / updated /
 * status changed / closed) happens after it, against the case memory (normalize/change.ts).
 */
import type { CaseSnapshot, Council } from '../event/case-event.js';
import type { SourceRecord } from '../core/source.js';
import type { Lookups, Mapping } from './mapping-schema.js';

export type NormalizeResult =
  | { kind: 'case'; snapshot: CaseSnapshot }
  /** The mapping's filter excluded the record (e.g. Event Type = Ignored): counted, not dead-lettered. */
  | { kind: 'skip'; reason: string }
  /** The record cannot become a case: dead letter with a reason naming field, value and expectation. */
  | { kind: 'reject'; reason: string; code: string; field?: string };

/** Sync when the mapping uses no JSONata (the fast path); a Promise otherwise. */
export type Normalizer = ((record: SourceRecord) => NormalizeResult | Promise<NormalizeResult>) & {
  /**
   * A copy of a raw record with the fields the mapping marks as personal replaced by
   * "[personal data removed]", for the dead letter of a rejected record. Covers personal fields read
   * through plain paths (path, template, first); fields read only by JSONata are not known.
   */
  redactPersonal?: (raw: Record<string, unknown>) => Record<string, unknown>;
};

export interface MappingContext {
  connector: string;
  council: Council;
  system: { supplier: string; product?: string };
  /** Top-level lookup tables from the gateway config (mapping.lookups override by name). */
  sharedLookups?: Lookups;
  /** Where the mapping sits in the config file, for error messages, e.g. "connectors[2].mapping". */
  configPath?: string;
  /** The config file, for reasons such as "(connectors[0].mapping.status.lookup at council.yaml:42:9)". */
  configFile?: string;
  /** Line and column of a config path in configFile (LoadedConfig.locate). */
  locate?: ConfigLocate;
}

export type ConfigLocate = (configPath: string) => { line: number; column: number } | undefined;

export type CompileMapping = (mapping: Mapping, ctx: MappingContext) => Normalizer;
