/** Prints events instead of publishing them: for previews and piping into jq. Nothing is durable. */
import type { Writable } from 'node:stream';
import type { DeadLetter } from '../../core/dead-letter.js';
import type { OutgoingEvent, Publisher } from '../../core/publisher.js';

export function createStdoutPublisher(out: Writable = process.stdout, opts: { pretty?: boolean } = {}): Publisher {
  const write = (v: unknown) =>
    new Promise<void>((resolve, reject) => out.write(JSON.stringify(v, null, opts.pretty ? 2 : undefined) + '\n', (e) => (e ? reject(e) : resolve())));
  return {
    async start() {},
    async publish(events: OutgoingEvent[]) {
      for (const e of events) await write(e.event);
    },
    async deadLetter(letters: DeadLetter[]) {
      for (const d of letters) await write({ deadLetter: d });
    },
    health: () => ({ ok: true }),
    async close() {},
  };
}
