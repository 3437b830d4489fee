/** Waiting between scans: until a timeout, shutdown, or a folder change wakes the watcher early. */

export interface Wake {
  promise: Promise<void>;
  resolve(): void;
}

export function createWake(): Wake {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function sleep(ms: number, signal: AbortSignal, wake?: { promise: Promise<void> }): Promise<void> {
  return new Promise((res) => {
    if (signal.aborted) return res();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      res();
    }
    signal.addEventListener('abort', done, { once: true });
    void wake?.promise.then(done);
  });
}
