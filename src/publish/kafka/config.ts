/** Config of the Kafka publisher. PLACEHOLDER: owned by the Kafka publisher work. */
import { z } from 'zod';

export const KafkaPublisherConfig = z
  .object({
    type: z.literal('kafka'),
    brokers: z.array(z.string().min(1)).min(1),
  })
  .strict();
export type KafkaPublisherConfig = z.infer<typeof KafkaPublisherConfig>;
