/** Config of the `sql` connector kind. PLACEHOLDER: owned by the sql connector work. */
import { z } from 'zod';
import { connectorBase } from '../../config/common.js';

export const SqlConnectorConfig = connectorBase
  .extend({
    type: z.literal('sql'),
  })
  .strict();
export type SqlConnectorConfig = z.infer<typeof SqlConnectorConfig>;
