// Package transport defines the narrow interface a deploy uses to reach one host: exec, put, get, and batches.
// Modelled on pyinfra's connectors/base.py; ssh.ts implements it over ssh2, memory.ts in memory for tests.
import { HaupError } from '../errors.js';

/** A shell command (run by POSIX `sh -c`) or an argv (each element quoted, no shell expansion). */
export type Command = string | readonly string[];

export interface ExecOptions {
  /** Bytes written to the command's stdin, then EOF. Without it stdin is empty. */
  stdin?: string | Buffer;
  /** Run as root through `sudo -n` when the login user is not root (default: the transport's `sudo` setting). */
  sudo?: boolean;
  /** Kill the command and throw HAUP_REMOTE_COMMAND after this long. */
  timeoutMs?: number;
  /**
   * haup's own `sh -c` / `bash -c` script, written to run under bash too and not to depend on $$ or $0: over SSH it
   * may run in a fork of the long-lived remote shell without a shell of its own (~5-8 ms of CPU less per script).
   * 'in-place': written to run in that shell itself, without the fork (see remote-shell.ts: it declares its variables
   * local when __haup_inplace is set, puts back what else it changes, and never exits).
   */
  ownScript?: boolean | 'in-place';
}

export interface ExecResult {
  /** Exit status; 128 + signal number when killed by a signal (as a shell reports it). */
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the command was killed by a signal, e.g. "SIGKILL". */
  signal?: string;
}

export interface FileToPut {
  /** Absolute path on the host. Missing parent directories are created (mode 0755). */
  path: string;
  content: Buffer | string;
  /** Permission bits, e.g. 0o600; set on the temp file before the rename. */
  mode: number;
  /** "user" or "user:group"; default: the (sudo) user the command runs as. */
  owner?: string;
}

export interface PutOptions {
  sudo?: boolean;
  /** If set, an existing file is first hard-linked to `path + backupSuffix` (the previous version, for rollback). */
  backupSuffix?: string;
}

export type FileType = 'file' | 'directory' | 'symlink' | 'other';

export type FileFact =
  | { path: string; exists: false }
  | {
      path: string;
      exists: true;
      type: FileType;
      /** Permission bits (mode & 0o7777). */
      mode: number;
      uid: number;
      gid: number;
      owner: string;
      group: string;
      size: number;
      /** Hex SHA-256 of the content, for regular files only. */
      sha256: string | null;
    };

export interface Transport {
  /** Display name used in messages, e.g. "h1 (root@10.0.0.5:22)". */
  readonly name: string;
  /** The login user; when it is not root, `sudo` options route through `sudo -n`. */
  readonly user: string;
  /** Number of remote round trips (commands) so far: what batching saves. */
  readonly roundTrips: number;

  /** Never throws on a non-zero exit; throws HaupError on connection problems, sudo problems or timeout. */
  exec(cmd: Command, opts?: ExecOptions): Promise<ExecResult>;
  /** Atomically replaces one file: temp file in the same directory, mode/owner, fsync, rename. */
  put(path: string, content: Buffer | string, opts: { mode: number; owner?: string } & PutOptions): Promise<void>;
  /** Atomically replaces many files in one round trip (all temp files are written before any rename). */
  putFiles(files: readonly FileToPut[], opts?: PutOptions): Promise<void>;
  /** The file's bytes, or null if it does not exist. */
  get(path: string, opts?: { sudo?: boolean }): Promise<Buffer | null>;
  /** Type, mode, owner, size and SHA-256 of many paths in one round trip; missing paths map to exists: false. */
  statFiles(paths: readonly string[], opts?: { sudo?: boolean }): Promise<Map<string, FileFact>>;
  close(): Promise<void>;
}

/** Checks shared by every implementation, so both fail the same way on caller bugs. */
export function assertValidFiles(files: readonly FileToPut[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    assertAbsolutePath(f.path);
    if (!Number.isInteger(f.mode) || f.mode < 0 || f.mode > 0o7777) throw new TypeError(`${f.path}: mode ${f.mode} is not within 0..0o7777`);
    if (f.owner !== undefined && !/^([a-z_][a-z0-9_.-]*\$?|\d+)(:([a-z_][a-z0-9_.-]*\$?|\d+))?$/i.test(f.owner)) {
      throw new TypeError(`${f.path}: owner "${f.owner}" is not "user" or "user:group"`);
    }
    if (seen.has(f.path)) throw new TypeError(`${f.path}: listed twice in one putFiles call`);
    seen.add(f.path);
  }
}

export function assertAbsolutePath(path: string): void {
  if (!path.startsWith('/') || path.endsWith('/') || path.includes('\0') || path.split('/').includes('..')) {
    throw new TypeError(`remote path must be absolute, without "..", NUL or a trailing slash: ${JSON.stringify(path)}`);
  }
}

/** Shown in errors and logs: argv elements joined with spaces, quoted only where needed. */
export function displayCommand(cmd: Command): string {
  if (typeof cmd === 'string') return cmd;
  return cmd.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * A failed remote command as a HaupError: host, command, exit code and the last <= 20 stderr lines
 * (the long form lives in `cause`). Pure, so deploy and verify print failures the same way.
 */
export function commandFailedError(host: string, cmd: Command, result: ExecResult, what?: string): HaupError {
  const text = displayCommand(cmd);
  const short = text.length > 120 ? `${text.slice(0, 117)}...` : text;
  const lines = (result.stderr.trim() || result.stdout.trim()).split('\n').filter((l) => l.trim() !== '');
  const shown = lines.slice(-20);
  const status = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
  const title = what ? `${what} failed (${result.signal ?? `exit code ${result.code}`})` : `"${short}" ${status}`;
  return new HaupError('HAUP_REMOTE_COMMAND', `${host}: ${title}`, {
    details: [...(lines.length > shown.length ? [`... ${lines.length - shown.length} earlier lines`] : []), ...shown],
    hint: what ? 'the lines above are the remote error; --verbose shows the full command' : `run it by hand on ${host} to see the whole output: ${short}`,
    cause: Object.assign(new Error(`command: ${text}`), { result }),
  });
}

/** exec that treats a non-zero exit as a failure. */
export async function execOk(t: Transport, cmd: Command, opts?: ExecOptions & { what?: string }): Promise<ExecResult> {
  const result = await t.exec(cmd, opts);
  if (result.code !== 0) throw commandFailedError(t.name, cmd, result, opts?.what);
  return result;
}

/** Ends a connection politely (its 'close' event), destroying it when it has not closed within `ms`. */
export function endWithin(conn: { end(): unknown; destroy(): unknown; once(event: 'close', fn: () => void): unknown }, ms = 1000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      conn.destroy();
      resolve();
    }, ms);
    conn.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    conn.end();
  });
}
