/**
 * A topic the controller has just created is not in every broker's metadata at once (KRaft
 * propagates it asynchronously): a metadata request in that moment answers
 * UNKNOWN_TOPIC_OR_PARTITION, and kafkajs' own `waitForLeaders` gives up on that answer instead of
 * waiting. So after creating topics the publisher waits here, bounded, until each one is listed
 * with a leader for every partition. Shared by the gateway's publisher and the tracker's
 * case-state topic; structural types, so core stays free of the Kafka client.
 */

export interface TopicMetadataSource {
  fetchTopicMetadata(opts: { topics: string[] }): Promise<{ topics: Array<{ name: string; partitions: Array<{ leader: number }> }> }>;
}

const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

export class TopicsNotVisibleError extends Error {}

export async function waitForTopics(
  admin: TopicMetadataSource,
  topics: string[],
  opts: { timeoutMs: number; now?: () => number; sleep?: (ms: number) => Promise<void> },
): Promise<void> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + opts.timeoutMs;
  let delay = 25;
  let last = 'not listed yet';
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const ready = new Set(found.filter((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)).map((t) => t.name));
      const waiting = topics.filter((t) => !ready.has(t));
      if (waiting.length === 0) return;
      last = `no leader yet for ${waiting.join(', ')}`;
    } catch (e) {
      const type = protocolType(e);
      if (!type || !NOT_YET.has(type)) throw e;
      last = type;
    }
    if (now() + delay > deadline) {
      throw new TopicsNotVisibleError(`topics ${topics.join(', ')} were created but the cluster's metadata did not show them with leaders within ${opts.timeoutMs} ms (last answer: ${last})`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 1000);
  }
}

/** The Kafka protocol error type on an error or its causes (kafkajs sets `type`). */
function protocolType(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 10; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
