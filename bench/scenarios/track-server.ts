/**
 * The tracker's HTTP API over a PostgreSQL projection, run as its own process for the lookup
 * bench, with one extra route: the bare baseline, a plain SELECT by primary key through the same
 * pool. Prints {"url": ...} once listening; stops on SIGTERM.
 *
 *   node --import tsx bench/scenarios/track-server.ts --url postgres://… --schema s
 */
import { parseArgs } from 'node:util';
import { createTrackMetrics } from '../../src/track/metrics.js';
import { buildTrackServer } from '../../src/track/http/server.js';
import { createPrivacy } from '../../src/track/privacy.js';
import { createResidentLookup } from '../../src/track/resident.js';
import { openPostgresProjection } from '../../src/track/store/postgres.js';
import { TrackConfig } from '../../src/track/config.js';

const { values } = parseArgs({ options: { url: { type: 'string' }, schema: { type: 'string' }, pool: { type: 'string' } } });
const config = TrackConfig.parse({
  version: 1,
  source: { type: 'local-log', dir: '.' },
  store: { kind: 'postgres', url: values.url, schema: values.schema },
  // The bench is one client address; the per-address limits would measure 429s.
  http: { host: '127.0.0.1', port: 0, lookupRateLimit: { max: 1_000_000_000, window: '1m' }, apiRateLimit: { max: 1_000_000_000, window: '1m' } },
  services: [{ code: 'FLY', privacy: 'public' }],
});
const store = openPostgresProjection({ url: values.url!, schema: values.schema!, poolSize: Number(values.pool ?? 10) });
const privacy = createPrivacy(config);
const app = await buildTrackServer({ store, privacy, config, metrics: createTrackMetrics(), lookup: createResidentLookup({ store, privacy, councils: [] }) });
app.get('/bare/:key', async (req, reply) => {
  const r = await store.pool.query(`SELECT state FROM "${values.schema}"."cases" WHERE case_key = $1`, [(req.params as { key: string }).key]);
  return r.rows.length ? r.rows[0].state : reply.code(404).send({ error: 'not found' });
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(JSON.stringify({ url }) + '\n');
process.once('SIGTERM', () => void app.close().then(() => store.close()).then(() => process.exit(0)));
