/** Config of the `rest` connector kind. PLACEHOLDER: owned by the rest connector work. */
import { z } from 'zod';
import { connectorBase } from '../../config/common.js';

export const RestConnectorConfig = connectorBase
  .extend({
    type: z.literal('rest'),
  })
  .strict();
export type RestConnectorConfig = z.infer<typeof RestConnectorConfig>;
