/**
 * Where dropped files live: a local folder or an SFTP folder. The source logic (completeness,
 * ledger, batches, after-actions) is the same for both and only talks to this interface.
 */
import { posix } from 'node:path';
import type { SftpConfig } from './config.js';

export interface DroppedFile {
  /** Name inside the watched folder (no folders). */
  name: string;
  size: number;
  /** Modification time in ms (SFTP: whole seconds). */
  mtimeMs: number;
  /** Set for entries that are not regular files: never read, but reported (a link may point anywhere, a FIFO blocks). */
  notRegular?: 'symlink' | 'special';
}

export interface FetchedFile {
  /** A local path holding the file's bytes: the file itself, or a download of it. */
  path: string;
  release(): Promise<void>;
}

export interface FileStore {
  /** Human-readable location for logs and reason files, e.g. /data/in/x.csv or sftp://host/in/x.csv. */
  where(name?: string): string;
  /** Fail early with a ConfigError when the folder cannot be used (missing, host key mismatch). */
  check(): Promise<void>;
  /** Entries directly in the folder except sub-folders: regular files, and links / FIFOs / sockets / devices marked `notRegular`. */
  list(): Promise<DroppedFile[]>;
  fetch(file: DroppedFile, signal?: AbortSignal): Promise<FetchedFile>;
  /** Move into a sub-folder of the watched folder, never overwriting; returns where it went. */
  moveTo(name: string, folder: string, opts?: { suffix?: string }): Promise<string>;
  remove(name: string): Promise<void>;
  writeText(folder: string, name: string, text: string): Promise<void>;
  /** Calls back on any change in the folder (best effort); returns a stop function. Local only. */
  watch?(onChange: () => void): () => void;
  close(): Promise<void>;
}

/** Where an SFTP folder or file is, for logs and reason files: sftp://user@host:port/folder/name. */
export function sftpWhere(cfg: Pick<SftpConfig, 'username' | 'host' | 'port'>, remoteDir: string, name?: string): string {
  return `sftp://${cfg.username}@${cfg.host}:${cfg.port}/${posix.join(remoteDir, name ?? '')}`;
}

/** `export.csv` → `export~1a2b3c4d.csv`: a free name for a file whose name is already taken. */
export function withSuffix(name: string, suffix: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}~${suffix}${name.slice(dot)}` : `${name}~${suffix}`;
}
