import { join } from 'node:path';
import { PRESETS_DIR } from '../../src/cli/presets.js';
import { afterAll, describe, expect, it } from 'vitest';
import { CaseEvent } from '../../src/event/case-event.js';
import { spawnCli } from '../helpers/cli.js';
import { readEventLog } from '../helpers/event-log.js';
import { freePort } from '../push/helpers.js';
import { EchoNotifier } from '../simulators/soap/echo.js';
import { fillIn, initPreset, validateAndTest } from './helpers.js';

const children: ReturnType<typeof spawnCli>[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('preset echo (Echo push notifications)', () => {
  it('init → validate → test → run, Echo notifying: contract-valid events, a resend published once', { timeout: 240_000 }, async () => {
    const { dir, config } = initPreset('echo', ['--council', 'E09000029', '--council-name', 'London Borough of Sutton']);
    const port = await freePort();
    fillIn(config, [['port: 8095', `port: ${port}`]]);
    const env = { ECHO_NOTIFY_PASSWORD: 'echo-notify-secret-3' };
    validateAndTest(config, env);

    // A push connector waits for the supplier: `run` (not --once), stopped with SIGTERM at the end.
    const gw = spawnCli(['run', config, '--no-http'], { env });
    children.push(gw);
    const url = `http://127.0.0.1:${port}/echo/notifications`;
    // Listening: the WSDL itself is behind authentication, so any HTTP answer will do.
    await until('the notification endpoint', async () => (await fetch(`${url}?wsdl`).catch(() => undefined)) !== undefined);
    const wsdl = join(PRESETS_DIR, 'echo/echo-notifications.wsdl');

    const echo = new EchoNotifier(url, { username: 'echo', password: 'echo-notify-secret-3' }, wsdl);
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    const a = echo.add({ type: 1063, at: hoursAgo(5), clientReference: 'SUT-100200' });
    const b = echo.add({ type: 2100, at: hoursAgo(4) });
    expect(await echo.notify(a.Guid)).toBe(true);
    expect(await echo.notify(b.Guid)).toBe(true);
    echo.setState(a.Guid, 2, hoursAgo(3));
    expect(await echo.notify(a.Guid)).toBe(true);
    expect(await echo.notify(a.Guid)).toBe(true); // Echo resends the same change
    echo.setState(a.Guid, 4, hoursAgo(1), 201);
    expect(await echo.notify(a.Guid)).toBe(true);

    // Wrong credentials are refused (and would be resent by Echo).
    const impostor = new EchoNotifier(url, { username: 'echo', password: 'not-the-password' }, wsdl);
    impostor.events.set(a.Guid, { ...a });
    expect(await impostor.notify(a.Guid, { attempts: 1 })).toBe(false);

    gw.kill('SIGTERM');
    await new Promise((r) => gw.once('exit', r));
    const { stdout, stderr } = gw.output();
    expect(stdout + stderr).not.toContain('echo-notify-secret-3');

    const events = readEventLog(join(dir, 'var/events')).map((e) => CaseEvent.parse(e));
    expect(events.map((e) => `${e.subject}:${e.data.case.status.code}`)).toEqual(['SUT-100200:1', `${b.Id}:1`, 'SUT-100200:2', 'SUT-100200:4']);
    const done = events.at(-1)!;
    expect(done.data.case.status.lifecycle).toBe('resolved');
    expect(JSON.stringify(events)).not.toContain('Mr B Example');
  });
});
