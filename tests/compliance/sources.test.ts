/**
 * The source half of docs/connector-spec.md, checked for every connector kind against its real
 * supplier (a folder, an SFTP server, PostgreSQL, MariaDB, a SOAP and a REST simulator, a webhook
 * sender). Each property is one test per kind; the kinds are listed in ./kinds/index.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CasebridgeError, ConfigError, describeError, isRetriable, SourceError } from '../../src/core/errors.js';
import { acknowledge, committedCheckpoint, createSource, idsByCase, openGateway, runOnce, startRead, workspace, type LoneSource, type Workspace } from './harness.js';
import { SOURCE_KINDS } from './kinds/index.js';
import type { ConnectorUnderTest, LiveSupplier } from './kinds/types.js';

const N = 5;
const BATCH = 2;

/**
 * The first error a source raises from being made, checked (`check: true`, the start-up check
 * where config mistakes surface) or read (where a supplier that went away surfaces).
 */
async function firstFailure(under: ConnectorUnderTest, ws: Workspace, opts: { check: boolean }): Promise<unknown> {
  let lone: LoneSource | undefined;
  const abort = new AbortController();
  try {
    lone = createSource(under, ws);
    const { source } = lone;
    if (opts.check) await source.check?.();
    // A push receiver fails in starting to listen; one that listens instead waits for a notification
    // that never comes, and the test times out saying so.
    const first = await startRead(source, abort.signal).next();
    return new Error(`read ${first.done ? 'to the end' : 'a batch'} instead of failing`);
  } catch (err) {
    return err;
  } finally {
    abort.abort();
    await lone?.source.close().catch(() => undefined);
    await lone?.dispose();
  }
}

describe.each(SOURCE_KINDS)('source compliance: $name', (kind) => {
  let supplier: LiveSupplier;
  let ws: Workspace;
  beforeEach(async () => {
    ws = workspace();
    supplier = await kind.start(N, BATCH);
  }, 120_000);
  afterEach(async () => {
    await supplier.teardown();
    ws.remove();
  }, 120_000);

  it('S1 at least once: a crash after publishing and before committing repeats the batch with the same event ids', async () => {
    const crashed = await openGateway(supplier, ws, { crashOnPublish: 2 });
    const first = await runOnce(kind, supplier, crashed);
    if (!kind.continuous) expect(first.status).toBe('failed');
    // The restarted process, with whatever was committed before the crash.
    const restarted = await openGateway(supplier, ws);
    const second = await runOnce(kind, supplier, restarted);
    expect(second.status).not.toBe('failed');

    const events = [...crashed.publisher.events, ...restarted.publisher.events];
    const ids = idsByCase(events);
    expect([...ids.keys()].sort()).toEqual([...supplier.refs].sort());
    for (const [ref, list] of ids) expect(new Set(list), `event ids of ${ref}`).toHaveProperty('size', 1);
    // The batch published before the crash was published again, not lost and not re-identified.
    expect(events.length).toBeGreaterThan(supplier.refs.length);
    // The source heard that the crashed batch failed (push: it answered an error), and nothing of it was committed.
    // (A kind that reads ahead may have pulled its next batch meanwhile: pulling is not acting.)
    const acted = crashed.journal.filter((e) => !e.startsWith('batch:'));
    const publishes = acted.flatMap((e, i) => (e.startsWith('publish:') ? [i] : []));
    expect(acted[publishes[1]! + 1], crashed.journal.join(' ')).toBe('ack:failed');
  }, 180_000);

  it('S2 publishes a batch, then commits it, then acknowledges it; never commits first', async () => {
    const g = await openGateway(supplier, ws);
    const summary = await runOnce(kind, supplier, g);
    expect(summary.status).not.toBe('failed');
    expect([...idsByCase(g.publisher.events).keys()].sort()).toEqual([...supplier.refs].sort());
    for (const e of g.publisher.events) {
      // Where each record came from, precise enough to find it again, and when it was read.
      expect(Object.keys(e.event.data.provenance.position).length, JSON.stringify(e.event.data.provenance)).toBeGreaterThan(0);
      expect(Date.parse(e.event.data.provenance.fetchedAt), e.event.data.provenance.fetchedAt).not.toBeNaN();
    }

    expect(g.journal.filter((e) => e.startsWith('batch:')).length).toBeGreaterThan(1);
    // Cut at each ack rather than at each batch pulled: a kind that reads ahead pulls batch N+1
    // while N is published, but whatever it does to N+1 must still come after N's ack. A batch
    // abandoned at shutdown (push: stopped while listening) adds no entry.
    const batches: string[][] = [[]];
    for (const entry of g.journal) {
      if (entry.startsWith('batch:')) continue;
      batches.at(-1)!.push(entry.startsWith('ack:') ? entry : entry.replace(/:.*/, ''));
      if (entry.startsWith('ack:')) batches.push([]);
    }
    expect(batches.pop(), g.journal.join(' ')).toEqual([]);
    for (const steps of batches) {
      expect(steps.filter((s) => s === 'commit'), g.journal.join(' ')).toHaveLength(1);
      expect(steps.at(-1), g.journal.join(' ')).toBe('ack:committed');
      expect(steps.at(-2), g.journal.join(' ')).toBe('commit');
      expect(steps.slice(0, -2).every((s) => s === 'publish' || s === 'deadLetter'), g.journal.join(' ')).toBe(true);
    }
    expect(g.journal.findIndex((e) => e.startsWith('publish:'))).toBeLessThan(g.journal.findIndex((e) => e.startsWith('commit:')));
  }, 180_000);

  it('S3 resumes from the committed checkpoint: nothing new is published again, new records are', async () => {
    const g1 = await openGateway(supplier, ws);
    await runOnce(kind, supplier, g1);
    const after1 = await committedCheckpoint(ws, g1.name);
    if (kind.checkpoint === 'position') expect(after1).toBeDefined();
    else expect(after1).toBeUndefined();

    const g2 = await openGateway(supplier, ws);
    const second = await runOnce(kind, supplier, g2);
    expect(second.status).not.toBe('failed');
    expect(g2.publisher.events).toEqual([]);
    if (kind.rereads === 'none') expect(second.read).toBe(0);

    const added = await supplier.add(2);
    const g3 = await openGateway(supplier, ws);
    const third = await runOnce(kind, supplier, g3);
    expect(third.status).not.toBe('failed');
    expect([...idsByCase(g3.publisher.events).keys()].sort()).toEqual([...added].sort());
  }, 180_000);

  it('S4 close() is safe to call twice, after reading and without reading', async () => {
    const unused = createSource(supplier, ws);
    await unused.source.close();
    await unused.source.close();
    await unused.dispose();

    const lone = createSource(supplier, ws);
    try {
      const used = lone.source;
      const abort = new AbortController();
      const it = startRead(used, abort.signal);
      const pending = it.next();
      // Never acknowledged here, so the sender keeps resending until teardown.
      if (kind.continuous) void supplier.deliver!().catch(() => undefined);
      const first = await pending;
      expect(first.done).toBe(false);
      abort.abort();
      await it.return?.();
      await used.close();
      await used.close();
    } finally {
      await lone.dispose();
    }
  }, 180_000);

  it('S8 ack() is idempotent: acknowledging a batch again does no harm', async () => {
    const lone = createSource(supplier, ws);
    const abort = new AbortController();
    try {
      const it = startRead(lone.source, abort.signal);
      const pending = it.next();
      if (kind.continuous) void supplier.deliver!().catch(() => undefined);
      const first = await pending;
      expect(first.done).toBe(false);
      await acknowledge(first.value!);
      // As after a crash between the commit and the acknowledgement: the effect already happened.
      await acknowledge(first.value!);
      abort.abort();
      await it.return?.();
    } finally {
      abort.abort();
      await lone.source.close();
      await lone.dispose();
    }
  }, 180_000);

  it('S5 abort mid-read: no further batch is yielded, and the runtime commits no half batch', async () => {
    // The source alone: after the signal aborts, the iterator ends (or throws an abort) instead of yielding.
    const lone = createSource(supplier, ws);
    try {
      const { source } = lone;
      const abort = new AbortController();
      const it = startRead(source, abort.signal);
      const pending = it.next();
      if (kind.continuous) void supplier.deliver!().catch(() => undefined);
      expect((await pending).done).toBe(false);
      abort.abort();
      const next = await it.next().then(
        (r) => r,
        (err: unknown) => ({ done: true as const, value: undefined, err }),
      );
      expect(next.done).toBe(true);
      if ('err' in next) expect(isAbortError(next.err), String(next.err)).toBe(true);
      await source.close();
    } finally {
      await lone.dispose();
    }

    // Through the runtime: stop as the second batch arrives; only the first is committed.
    const ws2 = workspace();
    try {
      let stop: (() => void) | undefined;
      const g = await openGateway(supplier, ws2, { hooks: { onBatch: (n) => n === 2 && stop?.() } });
      stop = () => void g.gw.stop();
      const run = g.gw.runOnce(g.name);
      if (kind.continuous) void supplier.deliver!().catch(() => undefined);
      const summary = await run;
      await g.gw.stop();
      expect(summary.status).toBe('aborted');
      const commits = g.journal.filter((e) => e.startsWith('commit:'));
      expect(commits, g.journal.join(' ')).toHaveLength(1);
      expect(g.journal.filter((e) => e.startsWith('batch:')), g.journal.join(' ')).toHaveLength(2);
      // Nothing of the second batch reached the publisher, the store or the supplier: what was
      // done is one batch's publish, commit and ack (a kind that reads ahead pulled the second
      // batch before the first was acked).
      const acted = g.journal.filter((e) => !e.startsWith('batch:')).map((e) => (e.startsWith('ack:') ? e : e.replace(/:.*/, '')));
      expect(acted.slice(-2), g.journal.join(' ')).toEqual(['commit', 'ack:committed']);
      expect(acted.slice(0, -2).every((e) => e === 'publish' || e === 'deadLetter'), g.journal.join(' ')).toBe(true);
      const committed = commits[0]!.slice('commit:'.length);
      expect(committed === '-' ? undefined : JSON.parse(committed)).toEqual(await committedCheckpoint(ws2, g.name));
    } finally {
      ws2.remove();
    }
  }, 180_000);

  it('S6 an unreachable supplier is a retriable SourceError', async () => {
    const under = await supplier.unreachable();
    const err = await firstFailure(under, ws, { check: false });
    expect(err, String(err)).toBeInstanceOf(SourceError);
    expect(isRetriable(err), String(err)).toBe(true);
    expectNoSecrets(err, under);
  }, 180_000);

  it('S7 a config or credential mistake is a non-retriable error', async () => {
    const under = supplier.misconfigured();
    const err = await firstFailure(under, ws, { check: true });
    expectNoSecrets(err, under);
    expect(err, String(err)).toBeInstanceOf(CasebridgeError);
    expect(err instanceof ConfigError || err instanceof SourceError, String(err)).toBe(true);
    expect(isRetriable(err), String(err)).toBe(false);
  }, 180_000);
});

/** The error's message and context carry none of the secrets the config referenced. */
function expectNoSecrets(err: unknown, under: ConnectorUnderTest): void {
  const text = `${describeError(err)} ${JSON.stringify(err instanceof CasebridgeError ? err.context : {})}`;
  for (const secret of Object.values(under.env ?? {})) expect(text, 'a secret in the error').not.toContain(secret);
}

function isAbortError(err: unknown): boolean {
  return (err as Error)?.name === 'AbortError' || (err instanceof CasebridgeError && err.code === 'aborted');
}
