/**
 * Soak run 3 (docs/testing.md): a topic created a moment earlier was answered with
 * UNKNOWN_TOPIC_OR_PARTITION by the broker's metadata, and kafkajs' waitForLeaders gave up on it.
 * waitForTopics waits that out, bounded.
 */
import { describe, expect, it } from 'vitest';
import { waitForTopics, TopicsNotVisibleError, type TopicMetadataSource } from '../../src/core/topic-wait.js';

class ProtocolError extends Error {
  constructor(readonly type: string) {
    super(type === 'UNKNOWN_TOPIC_OR_PARTITION' ? 'This server does not host this topic-partition' : type);
  }
}

/** Metadata that answers with the given steps in turn, then with every topic led. */
function metadata(steps: Array<'unknown' | 'no-leader' | 'denied'>): TopicMetadataSource & { calls: number } {
  const m = {
    calls: 0,
    async fetchTopicMetadata({ topics }: { topics: string[] }) {
      const step = steps[m.calls++];
      if (step === 'unknown') throw new ProtocolError('UNKNOWN_TOPIC_OR_PARTITION');
      if (step === 'denied') throw new ProtocolError('TOPIC_AUTHORIZATION_FAILED');
      return { topics: topics.map((name) => ({ name, partitions: [{ leader: step === 'no-leader' ? -1 : 1 }, { leader: 1 }] })) };
    },
  };
  return m;
}

const virtualTime = () => {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
};

describe('waitForTopics', () => {
  it('waits while the metadata does not know the new topic yet, then returns', async () => {
    const m = metadata(['unknown', 'unknown', 'no-leader']);
    await waitForTopics(m, ['a.cases', 'a.dead'], { timeoutMs: 10_000, ...virtualTime() });
    expect(m.calls).toBe(4);
  });

  it('gives up after its bound with a message naming the topics and the last answer', async () => {
    const m = metadata(Array(100).fill('unknown'));
    await expect(waitForTopics(m, ['a.cases'], { timeoutMs: 2_000, ...virtualTime() })).rejects.toThrow(TopicsNotVisibleError);
    await expect(waitForTopics(metadata(Array(100).fill('unknown')), ['a.cases'], { timeoutMs: 2_000, ...virtualTime() })).rejects.toThrow(/a\.cases.*2000 ms.*UNKNOWN_TOPIC_OR_PARTITION/);
  });

  it('does not wait out other errors', async () => {
    const m = metadata(['denied']);
    await expect(waitForTopics(m, ['a.cases'], { timeoutMs: 10_000, ...virtualTime() })).rejects.toThrow(/TOPIC_AUTHORIZATION_FAILED/);
    expect(m.calls).toBe(1);
  });
});
