/** Config of the `file` connector kind. PLACEHOLDER: owned by the file connector work. */
import { z } from 'zod';
import { connectorBase } from '../../config/common.js';

export const FileConnectorConfig = connectorBase
  .extend({
    type: z.literal('file'),
  })
  .strict();
export type FileConnectorConfig = z.infer<typeof FileConnectorConfig>;
