import type { SourceRecord } from '../../src/core/source.js';
import { compileMapping } from '../../src/normalize/compile-mapping.js';
import { Mapping } from '../../src/normalize/mapping-schema.js';
import type { MappingContext, NormalizeResult } from '../../src/normalize/normalizer.js';

export const ctx: MappingContext = {
  connector: 'test-conn',
  council: { gss: 'E09000019', name: 'Islington' },
  system: { supplier: 'Acme', product: 'Streets' },
  configPath: 'connectors[0].mapping',
};

export function rec(raw: Record<string, unknown>, fetchedAt = '2025-06-01T12:00:00Z'): SourceRecord {
  return { raw, position: { file: 'x.csv', line: 2 }, fetchedAt };
}

/** Compile from YAML-like input (defaults applied by the schema) and run one record. */
export async function run(mapping: unknown, raw: Record<string, unknown>, c: MappingContext = ctx): Promise<NormalizeResult> {
  const n = compileMapping(Mapping.parse(mapping), c);
  return n(rec(raw));
}

export const stages = {
  stages: {
    kind: 'status' as const,
    entries: {
      '1': { status: 'received' as const, label: 'Reported' },
      '5': { status: 'in_progress' as const, label: 'Being fixed' },
      '9': { status: 'resolved' as const, label: 'Fixed' },
    },
  },
};
