/**
 * An SFTP folder as a FileStore (ssh2, pure JS).
 *
 * - The server's host key must match a fingerprint pinned in the config (SHA256, as OpenSSH
 *   prints it). There is no trust on first use: a mismatch is a ConfigError naming both keys.
 * - A file is read by streaming it into a local spool file while the connection is up (memory
 *   stays flat; the parse pass then reads the local copy). A connection that drops mid-download
 *   is re-established with backoff and the download starts again; nothing is emitted from a
 *   partial copy because records are read only from a complete download.
 * - Moves and deletes happen on the server, in the ack, as for a local folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client, type ConnectConfig, type FileEntryWithStats, type SFTPWrapper, type Stats } from 'ssh2';
import { durationMs } from '../../core/units.js';
import { ConfigError, SourceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { SftpConfig } from './config.js';
import { sftpWhere, withSuffix, type DroppedFile, type FetchedFile, type FileStore } from './store.js';

/** `SHA256:<base64 without padding>` of a raw public host key, exactly as `ssh-keygen -lf` prints it. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

const normalizeFp = (fp: string) => fp.trim().replace(/=+$/, '');

/** SFTP status codes (numbers) are answers from a working server; other failures mean the link is gone. */
function isLinkError(e: unknown): boolean {
  if (e instanceof ConfigError) return false;
  const code = (e as { code?: unknown }).code;
  return typeof code !== 'number' && code !== 'ENOENT';
}

function sftpCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown }).code;
  return typeof c === 'number' ? c : undefined;
}

const NO_SUCH_FILE = 2;

interface Link {
  client: Client;
  sftp: SFTPWrapper;
}

export interface SftpStoreDeps {
  connector: string;
  logger: Logger;
  /** Injected for tests; default real timers. */
  sleep?: (ms: number) => Promise<void>;
}

export function createSftpStore(cfg: SftpConfig, remoteDir: string, deps: SftpStoreDeps): FileStore {
  const { connector, logger } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pins = (Array.isArray(cfg.hostKey) ? cfg.hostKey : [cfg.hostKey]).map(normalizeFp);
  const where = (name?: string) => sftpWhere(cfg, remoteDir, name);
  const remote = (...parts: string[]) => posix.join(remoteDir, ...parts);
  const folder = (sub: string) => (posix.isAbsolute(sub) ? sub : remote(sub));
  let link: Link | undefined;
  let connecting: Promise<Link> | undefined;
  let spool: string | undefined;
  let closed = false;

  function connectOnce(): Promise<Link> {
    return new Promise<Link>((resolve, reject) => {
      const client = new Client();
      let offered: string | undefined;
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(e);
      };
      client.on('ready', () => {
        client.sftp((err, sftp) => {
          if (err) return fail(err);
          settled = true;
          resolve({ client, sftp });
        });
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (offered && !pins.includes(offered)) {
          fail(
            new ConfigError(
              `SFTP host key of ${cfg.host}:${cfg.port} is ${offered}, which is not the pinned sftp.hostKey (${pins.join(', ')}); refusing to connect. If the server's key really changed, confirm the new fingerprint with its administrator and update the config.`,
              { code: 'sftp_host_key', context: { connector, operation: 'connect' } },
            ),
          );
        } else if (err.level === 'client-authentication') {
          fail(new ConfigError(`SFTP login to ${cfg.host}:${cfg.port} as ${cfg.username} was refused (check sftp.password / sftp.privateKey)`, { code: 'sftp_auth', context: { connector, operation: 'connect' } }));
        } else fail(err);
        if (link?.client === client) link = undefined;
      });
      client.on('close', () => {
        if (link?.client === client) link = undefined;
        fail(new Error('connection closed during the SSH handshake'));
      });
      const options: ConnectConfig = {
        host: cfg.host,
        port: cfg.port,
        username: cfg.username,
        readyTimeout: durationMs(cfg.connectTimeout),
        keepaliveInterval: 5000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          offered = sshFingerprint(key);
          return pins.includes(offered);
        },
        ...(cfg.password ? { password: cfg.password } : {}),
        ...(cfg.privateKey ? { privateKey: cfg.privateKey } : {}),
        ...(cfg.passphrase ? { passphrase: cfg.passphrase } : {}),
      };
      try {
        client.connect(options);
      } catch (e) {
        // A private key that cannot be parsed is thrown synchronously.
        fail(new ConfigError(`sftp: ${(e as Error).message}`, { cause: e, code: 'sftp_key', context: { connector } }));
      }
    });
  }

  /** The current connection, or a new one after backoff; ConfigErrors are not retried. */
  async function connection(): Promise<Link> {
    if (link) return link;
    if (connecting) return connecting;
    connecting = (async () => {
      const { attempts } = cfg.reconnect;
      let delay = durationMs(cfg.reconnect.initial);
      let last: unknown;
      for (let attempt = 1; attempt <= attempts && !closed; attempt++) {
        try {
          link = await connectOnce();
          if (attempt > 1) logger.info({ connector, host: cfg.host, attempt }, 'SFTP connection re-established');
          return link;
        } catch (e) {
          if (e instanceof ConfigError) throw e;
          last = e;
          logger.warn({ connector, host: cfg.host, attempt, err: (e as Error).message }, 'SFTP connection failed');
          if (attempt < attempts) {
            await sleep(delay * (0.75 + Math.random() * 0.5));
            delay = Math.min(delay * 2, durationMs(cfg.reconnect.max));
          }
        }
      }
      throw new SourceError(`cannot connect to ${where()} after ${attempts} attempts: ${(last as Error)?.message ?? 'closed'}`, {
        cause: last,
        code: 'sftp_connect',
        retriable: true,
        context: { connector, operation: 'connect' },
      });
    })();
    try {
      return await connecting;
    } finally {
      connecting = undefined;
    }
  }

  function drop(l: Link): void {
    if (link === l) link = undefined;
    l.client.end();
  }

  /** Run one SFTP operation; if the link fails under it, reconnect (with backoff) and run it again. */
  async function withSftp<T>(operation: string, op: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const { attempts } = cfg.reconnect;
    let delay = durationMs(cfg.reconnect.initial);
    for (let attempt = 1; ; attempt++) {
      const l = await connection();
      try {
        return await op(l.sftp);
      } catch (e) {
        if (!isLinkError(e) || attempt >= attempts || closed) {
          if (isLinkError(e)) {
            drop(l);
            throw new SourceError(`SFTP ${operation} failed: ${(e as Error).message}`, { cause: e, code: 'sftp_io', retriable: true, context: { connector, operation } });
          }
          throw e;
        }
        logger.warn({ connector, operation, attempt, err: (e as Error).message }, 'SFTP connection lost; reconnecting');
        drop(l);
        await sleep(delay * (0.75 + Math.random() * 0.5));
        delay = Math.min(delay * 2, durationMs(cfg.reconnect.max));
      }
    }
  }

  const call = <T>(fn: (cb: (err: Error | null | undefined, v: T) => void) => void) =>
    new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

  async function statOrUndefined(sftp: SFTPWrapper, path: string): Promise<Stats | undefined> {
    try {
      return await call<Stats>((cb) => sftp.stat(path, cb));
    } catch (e) {
      if (sftpCode(e) === NO_SUCH_FILE) return undefined;
      throw e;
    }
  }

  async function ensureDir(sftp: SFTPWrapper, dir: string): Promise<void> {
    const s = await statOrUndefined(sftp, dir);
    if (s?.isDirectory()) return;
    const parent = posix.dirname(dir);
    if (parent !== dir && parent !== '.' && parent !== '/') await ensureDir(sftp, parent);
    try {
      await call<void>((cb) => sftp.mkdir(dir, (err) => cb(err, undefined)));
    } catch (e) {
      if (!(await statOrUndefined(sftp, dir))?.isDirectory()) throw e;
    }
  }

  return {
    where,

    async check() {
      await withSftp('check', async (sftp) => {
        const s = await statOrUndefined(sftp, remote());
        if (!s?.isDirectory()) {
          throw new ConfigError(`${where()} is not a folder on the server (path is relative to the login folder)`, { code: 'sftp_path', context: { connector } });
        }
      });
    },

    async list() {
      return withSftp('list', async (sftp) => {
        const entries = await call<FileEntryWithStats[]>((cb) => sftp.readdir(remote(), cb));
        const out: DroppedFile[] = [];
        for (const e of entries) {
          if (e.attrs.isDirectory()) continue;
          if (!e.attrs.isFile()) {
            out.push({ name: e.filename, size: 0, mtimeMs: 0, notRegular: e.attrs.isSymbolicLink() ? 'symlink' : 'special' });
            continue;
          }
          out.push({ name: e.filename, size: e.attrs.size, mtimeMs: e.attrs.mtime * 1000 });
        }
        return out;
      });
    },

    async fetch(file, signal): Promise<FetchedFile> {
      spool ??= await mkdtemp(join(tmpdir(), 'casebridge-sftp-'));
      const local = join(spool, `${randomBytes(6).toString('hex')}-${file.name.replace(/[^\w.-]/g, '_')}`);
      await withSftp('download', async (sftp) => {
        const from = sftp.createReadStream(remote(file.name), { highWaterMark: 256 * 1024 });
        try {
          await pipeline(from, createWriteStream(local), ...(signal ? [{ signal }] : []));
        } catch (e) {
          // The stream's own errors carry no SFTP code when the channel died: a link error.
          const code = sftpCode(e);
          if (code === NO_SUCH_FILE) throw Object.assign(new Error(`${file.name} vanished`), { code: 'ENOENT' });
          if (code !== undefined) throw e;
          throw Object.assign(new Error(`download of ${file.name} interrupted: ${(e as Error).message}`), { code: 'ECONNRESET' });
        }
      });
      return { path: local, release: () => unlink(local).catch(() => undefined) };
    },

    async moveTo(name, sub, opts = {}) {
      return withSftp('move', async (sftp) => {
        const dir = folder(sub);
        await ensureDir(sftp, dir);
        if (!(await statOrUndefined(sftp, remote(name)))) throw Object.assign(new Error(`${name} is gone`), { code: 'ENOENT' });
        const suffix = opts.suffix ?? String(Date.now());
        let target = posix.join(dir, name);
        for (let n = 1; await statOrUndefined(sftp, target); n++) target = posix.join(dir, withSuffix(name, n === 1 ? suffix : `${suffix}-${n}`));
        await call<void>((cb) => sftp.rename(remote(name), target, (err) => cb(err, undefined)));
        return target;
      });
    },

    async remove(name) {
      await withSftp('delete', async (sftp) => {
        try {
          await call<void>((cb) => sftp.unlink(remote(name), (err) => cb(err, undefined)));
        } catch (e) {
          if (sftpCode(e) !== NO_SUCH_FILE) throw e;
        }
      });
    },

    async writeText(sub, name, text) {
      await withSftp('write', async (sftp) => {
        const dir = folder(sub);
        await ensureDir(sftp, dir);
        await call<void>((cb) => sftp.writeFile(posix.join(dir, name), text, (err) => cb(err, undefined)));
      });
    },

    async close() {
      closed = true;
      if (link) drop(link);
      if (spool) await rm(spool, { recursive: true, force: true });
      spool = undefined;
    },
  };
}
