/** The rest kind: the housing-repairs simulator (tests/simulators/rest), cursor pages, a lastModified watermark. */
import { freePort } from '../../push/helpers.js';
import { restConnector } from '../../rest/helpers.js';
import { generateCases, startRepairsSimulator } from '../../simulators/rest/housing-repairs.js';
import type { LiveSupplier, SourceKind } from './types.js';

const BASE = '2025-11-03T09:00:00Z';
const TOKEN = 'compliance-token';

export const rest: SourceKind = {
  name: 'rest',
  // The `updatedSince` filter is inclusive, so the newest record seen is listed again (then skipped as unchanged).
  rereads: 'overlap',
  checkpoint: 'position',
  async start(n, batchSize): Promise<LiveSupplier> {
    const sim = await startRepairsSimulator({ cases: n, baseTime: BASE, token: TOKEN });
    let total = n;
    const connector = (baseUrl: string) =>
      restConnector(baseUrl, {
        name: 'compliance-rest',
        batchSize,
        pagination: { style: 'cursor', param: 'cursor', path: 'meta.nextCursor', sizeParam: 'limit', size: batchSize },
        auth: { type: 'bearer', token: '${env:REPAIRS_TOKEN}' },
      });
    const env = { REPAIRS_TOKEN: TOKEN };
    return {
      connector: connector(sim.url),
      env,
      refs: sim.cases.map((c) => c.repairReference),
      async add(k) {
        const more = generateCases(total + k, BASE).slice(total);
        total += k;
        for (const c of more) sim.add(c);
        return more.map((c) => c.repairReference);
      },
      async unreachable() {
        return { connector: connector(`http://127.0.0.1:${await freePort()}`), env };
      },
      misconfigured() {
        return { connector: connector(sim.url), env: { REPAIRS_TOKEN: 'a-token-that-was-revoked' } };
      },
      teardown: () => sim.close(),
    };
  },
};
