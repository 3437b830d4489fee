/** Config of the `soap` connector kind. PLACEHOLDER: owned by the soap connector work. */
import { z } from 'zod';
import { connectorBase } from '../../config/common.js';

export const SoapConnectorConfig = connectorBase
  .extend({
    type: z.literal('soap'),
  })
  .strict();
export type SoapConnectorConfig = z.infer<typeof SoapConnectorConfig>;
