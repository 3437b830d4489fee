/** The open311 kind: the GeoReport v2 simulator (tests/simulators/open311), built-in mapping, an api_key. */
import { freePort } from '../../push/helpers.js';
import { Open311Simulator } from '../../simulators/open311/server.js';
import { COUNCIL, newRefs, type LiveSupplier, type SourceKind } from './types.js';

const KEY = 'compliance-open311-key';

export const open311: SourceKind = {
  name: 'open311',
  // Each run starts `window.overlap` before the last window end: recent requests are read again, then skipped as unchanged.
  rereads: 'overlap',
  checkpoint: 'position',
  async start(n, batchSize): Promise<LiveSupplier> {
    const sim = new Open311Simulator({ apiKey: KEY });
    const url = await sim.start();
    const seed = (k: number) => newRefs('o311', k).map((id, i) => sim.add({ service_request_id: id, at: new Date(Date.now() - 3_600_000 + i * 1000) }).service_request_id);
    const refs = seed(n);
    const connector = (endpoint: string) => ({
      name: 'compliance-open311',
      type: 'open311',
      council: COUNCIL.gss,
      system: { supplier: 'FixMyStreet', product: 'Open311' },
      retry: { initial: '10ms', max: '50ms' },
      batchSize,
      endpoint,
      apiKey: '${env:OPEN311_KEY}',
      timeout: '10s',
      window: { start: '2d', lag: '0s', overlap: '2h' },
    });
    const env = { OPEN311_KEY: KEY };
    return {
      connector: connector(url),
      env,
      refs,
      async add(k) {
        return seed(k);
      },
      async unreachable() {
        return { connector: connector(`http://127.0.0.1:${await freePort()}/open311/v2`), env };
      },
      misconfigured() {
        return { connector: connector(url), env: { OPEN311_KEY: 'a-key-that-was-revoked' } };
      },
      teardown: () => sim.stop(),
    };
  },
};
