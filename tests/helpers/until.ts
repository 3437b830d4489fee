/**
 * Wait for a condition instead of sleeping a fixed time. The bound is only how long to wait before
 * giving up with `what` in the message — generous, because the box is shared and slow; a test
 * never asserts on how quickly the condition came true.
 */
export async function until(cond: () => boolean, what: string, boundMs = 120_000): Promise<void> {
  const end = Date.now() + boundMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up after ${boundMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
