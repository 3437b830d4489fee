/**
 * A real SFTP server for tests: ssh2's Server speaking the SFTP subsystem over TCP on 127.0.0.1,
 * serving a temp folder, with a freshly generated host key. Password and public-key logins.
 * `dropAfterBytes` makes it cut the TCP connection once, halfway through a download, the way a
 * flaky supplier link does.
 */
import { timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync, existsSync, type Stats } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, posix } from 'node:path';
import { Server, utils, type Connection, type SFTPWrapper } from 'ssh2';
import { generateSshKeyPair, parseSshKey } from '../helpers/ssh-keys.js';
import { sshFingerprint } from '../../src/connectors/file/sftp-store.js';

const { OPEN_MODE, STATUS_CODE } = utils.sftp;

export interface TestSftpServer {
  port: number;
  /** The server's host key fingerprint, SHA256:… as ssh-keygen prints it. */
  fingerprint: string;
  /** Cut the connection once, after this many bytes of file data were sent. */
  dropAfterBytes(n: number): void;
  /** How many times a connection was cut on purpose. */
  readonly drops: number;
  /** Successful logins so far. */
  readonly logins: number;
  close(): Promise<void>;
}

function attrsOf(s: Stats) {
  return { mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000) };
}

function longname(name: string, s: Stats): string {
  return `${s.isDirectory() ? 'd' : '-'}rw-r--r-- 1 test test ${s.size} Jan 1 00:00 ${name}`;
}

export async function startSftpServer(opts: { root: string; username: string; password?: string; publicKey?: string }): Promise<TestSftpServer> {
  const hostKey = generateSshKeyPair('test SFTP server host key');
  const fingerprint = sshFingerprint(hostKey.parsed.getPublicSSH());
  const allowedKey = opts.publicKey ? parseSshKey(opts.publicKey, 'allowed client key') : undefined;
  let dropAfter: number | undefined;
  let drops = 0;
  let logins = 0;
  const clients = new Set<Connection>();

  const local = (p: string) => {
    const rel = posix.resolve('/', p);
    return join(opts.root, rel);
  };

  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      const userOk = ctx.username === opts.username;
      if (ctx.method === 'password' && userOk && opts.password !== undefined) {
        const a = Buffer.from(ctx.password);
        const b = Buffer.from(opts.password);
        if (a.length === b.length && timingSafeEqual(a, b)) return ctx.accept();
      }
      if (ctx.method === 'publickey' && userOk && allowedKey) {
        const same = ctx.key.algo === allowedKey.type && ctx.key.data.equals(allowedKey.getPublicSSH());
        if (same && (!ctx.signature || (ctx.blob && allowedKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true))) return ctx.accept();
      }
      ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      logins++;
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => serve(acceptSftp(), client));
      });
    });
  });

  function serve(sftp: SFTPWrapper, client: Connection) {
    const handles = new Map<number, { fd?: number; dir?: string; listed?: boolean; sent: number }>();
    let next = 1;
    const newHandle = (h: { fd?: number; dir?: string }) => {
      const id = next++;
      handles.set(id, { ...h, sent: 0 });
      const b = Buffer.alloc(4);
      b.writeUInt32BE(id);
      return b;
    };
    const get = (b: Buffer) => handles.get(b.readUInt32BE(0));
    const fail = (reqid: number, e: unknown) => sftp.status(reqid, (e as NodeJS.ErrnoException).code === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : STATUS_CODE.FAILURE, (e as Error).message);

    sftp.on('REALPATH', (reqid, p) => {
      const abs = posix.resolve('/', p);
      sftp.name(reqid, [{ filename: abs, longname: abs, attrs: {} as never }]);
    });
    const stat = (reqid: number, p: string) => {
      try {
        sftp.attrs(reqid, attrsOf(statSync(local(p))));
      } catch (e) {
        fail(reqid, e);
      }
    };
    sftp.on('STAT', stat);
    sftp.on('LSTAT', stat);
    sftp.on('OPENDIR', (reqid, p) => {
      try {
        if (!statSync(local(p)).isDirectory()) throw new Error('not a directory');
        sftp.handle(reqid, newHandle({ dir: local(p) }));
      } catch (e) {
        fail(reqid, e);
      }
    });
    sftp.on('READDIR', (reqid, handle) => {
      const h = get(handle);
      if (!h?.dir) return sftp.status(reqid, STATUS_CODE.FAILURE);
      if (h.listed) return sftp.status(reqid, STATUS_CODE.EOF);
      h.listed = true;
      const names = readdirSync(h.dir).map((n) => {
        const s = statSync(join(h.dir!, n));
        return { filename: n, longname: longname(n, s), attrs: attrsOf(s) };
      });
      sftp.name(reqid, names as never);
    });
    sftp.on('OPEN', (reqid, filename, flags) => {
      try {
        const mode = utils.sftp.flagsToString(flags) ?? 'r';
        if (flags & OPEN_MODE.WRITE) mkdirSync(posix.dirname(local(filename)), { recursive: true });
        sftp.handle(reqid, newHandle({ fd: openSync(local(filename), mode) }));
      } catch (e) {
        fail(reqid, e);
      }
    });
    sftp.on('READ', (reqid, handle, offset, length) => {
      const h = get(handle);
      if (h?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      const buf = Buffer.alloc(Math.min(length, 32 * 1024));
      const n = readSync(h.fd, buf, 0, buf.length, offset);
      if (n === 0) return sftp.status(reqid, STATUS_CODE.EOF);
      h.sent += n;
      if (dropAfter !== undefined && h.sent > dropAfter) {
        // A flaky link: the TCP connection dies mid-transfer, once.
        dropAfter = undefined;
        drops++;
        (client as unknown as { _sock: { destroy(): void } })._sock.destroy();
        return;
      }
      sftp.data(reqid, buf.subarray(0, n));
    });
    sftp.on('WRITE', (reqid, handle, offset, data) => {
      const h = get(handle);
      if (h?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      writeSync(h.fd, data, 0, data.length, offset);
      sftp.status(reqid, STATUS_CODE.OK);
    });
    sftp.on('FSTAT', (reqid, handle) => {
      const h = get(handle);
      if (h?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
      sftp.attrs(reqid, attrsOf(fstatSync(h.fd)));
    });
    sftp.on('CLOSE', (reqid, handle) => {
      const h = get(handle);
      if (h?.fd !== undefined) closeSync(h.fd);
      handles.delete(handle.readUInt32BE(0));
      sftp.status(reqid, STATUS_CODE.OK);
    });
    sftp.on('RENAME', (reqid, from, to) => {
      try {
        if (existsSync(local(to))) throw new Error('target exists'); // SFTP v3 rename does not overwrite
        renameSync(local(from), local(to));
        sftp.status(reqid, STATUS_CODE.OK);
      } catch (e) {
        fail(reqid, e);
      }
    });
    sftp.on('REMOVE', (reqid, p) => {
      try {
        unlinkSync(local(p));
        sftp.status(reqid, STATUS_CODE.OK);
      } catch (e) {
        fail(reqid, e);
      }
    });
    sftp.on('MKDIR', (reqid, p) => {
      try {
        mkdirSync(local(p));
        sftp.status(reqid, STATUS_CODE.OK);
      } catch (e) {
        fail(reqid, e);
      }
    });
    sftp.on('RMDIR', (reqid, p) => {
      try {
        rmdirSync(local(p));
        sftp.status(reqid, STATUS_CODE.OK);
      } catch (e) {
        fail(reqid, e);
      }
    });
    sftp.on('SETSTAT', (reqid) => sftp.status(reqid, STATUS_CODE.OK));
    sftp.on('FSETSTAT', (reqid) => sftp.status(reqid, STATUS_CODE.OK));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    fingerprint,
    dropAfterBytes: (n) => {
      dropAfter = n;
    },
    get drops() {
      return drops;
    },
    get logins() {
      return logins;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.end();
        server.close(() => resolve());
      }),
  };
}
