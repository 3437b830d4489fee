/** Config of the `push` connector kind. PLACEHOLDER: owned by the push connector work. */
import { z } from 'zod';
import { connectorBase } from '../../config/common.js';

export const PushConnectorConfig = connectorBase
  .extend({
    type: z.literal('push'),
  })
  .strict();
export type PushConnectorConfig = z.infer<typeof PushConnectorConfig>;
