import { describe, expect, it } from 'vitest';
import { ackOnce, type BatchOutcome } from '../../src/core/source.js';

const committed: BatchOutcome = { status: 'committed', published: 1, deadLettered: 0, skipped: 0 };

describe('ackOnce', () => {
  it('acts once however often it is called, including concurrently', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ack = ackOnce(async (o) => {
      seen.push(o.status);
      await gate;
    });
    const first = ack(committed);
    const second = ack(committed);
    release();
    await Promise.all([first, second]);
    await ack({ status: 'failed', error: new Error('late') });
    expect(seen).toEqual(['committed']);
  });

  it('tries again after the action failed (a file move that failed)', async () => {
    let calls = 0;
    const ack = ackOnce(async () => {
      calls++;
      if (calls === 1) throw new Error('EBUSY');
    });
    await expect(ack(committed)).rejects.toThrow('EBUSY');
    await ack(committed);
    await ack(committed);
    expect(calls).toBe(2);
  });
});
