/** Config of the `stdout` publisher: nothing to set. */
import { z } from 'zod';

export const StdoutPublisherConfig = z.object({ type: z.literal('stdout') }).strict();
export type StdoutPublisherConfig = z.infer<typeof StdoutPublisherConfig>;
