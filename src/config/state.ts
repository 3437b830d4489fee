/**
 * Where the gateway keeps checkpoints and per-source memory: one SQLite file (the embedded
 * default, one process) or PostgreSQL (shared by several gateways, with connector leases).
 */
import { z } from 'zod';
import { ByteSize, Secret } from '../core/units.js';

/** Shared by both stores: the case memory each connector run keeps in memory in front of the store. */
export const DEFAULT_CASE_CACHE = '4MB';
const caseCache = ByteSize.default(DEFAULT_CASE_CACHE).describe(
  'Case memory each connector run keeps in memory as JSON text (about 1 KB a case), so a case seen again is not read back from the store: more helps inputs that revisit many cases, less lowers peak memory (docs/performance.md)',
);

/** SQLite's page cache for the state file (better-sqlite3's build default is 16 MB). */
export const DEFAULT_PAGE_CACHE = '4MB';

export const SqliteStateConfig = z
  .object({
    type: z.literal('sqlite').default('sqlite'),
    path: z.string().min(1).default('./var/state.sqlite').describe('Relative to the config file'),
    caseCache,
    pageCache: ByteSize.default(DEFAULT_PAGE_CACHE).describe(
      "SQLite's page cache for the state file. It fills as the file grows past it; the case cache already answers the cases a run revisits, so 4 MB ran as fast as 16 MB (docs/performance.md)",
    ),
  })
  .strict();
export type SqliteStateConfig = z.infer<typeof SqliteStateConfig>;

export const PostgresStateConfig = z
  .object({
    type: z.literal('postgres'),
    // The scheme is checked when the store opens: `validate` without the secret sets a placeholder here.
    url: Secret.describe(
      'Connection URL, e.g. ${env:CASEBRIDGE_STATE_URL} (holds the password: keep it out of the file)',
    ),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case PostgreSQL identifier (letters, digits, _)')
      .default('casebridge')
      .describe('Schema holding the casebridge tables; created and migrated at start'),
    poolSize: z.number().int().min(1).max(100).default(10).describe('Connections the store may open'),
    caseCache,
  })
  .strict();
export type PostgresStateConfig = z.infer<typeof PostgresStateConfig>;

export const StateConfig = z.discriminatedUnion('type', [SqliteStateConfig, PostgresStateConfig]);
export type StateConfig = z.infer<typeof StateConfig>;
