// Package sftp-files writes and reads files over one reused SFTP session: no remote process per file, which on a
// busy 2-core host is ~10x cheaper than a shell script (measured: 5 puts 90 ms vs 560 ms). Used when no sudo is
// needed; atomic like the exec path: temp file (O_EXCL, 0600), fchmod/fchown, fsync@openssh, posix-rename@openssh.
import { randomBytes } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7). */
const NO_SUCH_FILE = 2;
const CHUNK = 32 * 1024;

export interface SftpFile {
  path: string;
  data: Buffer;
  mode: number;
  uid?: number;
  gid?: number;
}

/** Owner "root", "0", "root:root", "0:0" or numeric ids map to ids without a remote lookup; names do not. */
export function numericOwner(owner: string | undefined): { uid?: number; gid?: number } | null {
  if (owner === undefined) return {};
  const [u = '', g = u] = owner.split(':');
  const id = (s: string) => (s === 'root' ? 0 : /^\d+$/.test(s) ? Number(s) : null);
  const uid = id(u);
  const gid = id(g);
  return uid === null || gid === null ? null : { uid, gid };
}

function dirOf(path: string): string {
  const d = path.slice(0, path.lastIndexOf('/'));
  return d === '' ? '/' : d;
}

/** Waits for every operation (so cleanup never races a write still in flight), then throws the first failure. */
async function settleAll(ps: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(ps)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export class SftpFiles {
  private readonly dirs = new Map<string, Promise<void>>();

  constructor(private readonly sftp: SFTPWrapper) {}

  private call<T = void>(fn: (cb: (err: Error | undefined | null, value?: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
  }

  /** mkdir -p, once per directory per session. */
  private ensureDir(dir: string): Promise<void> {
    let p = this.dirs.get(dir);
    if (!p) {
      p = (async () => {
        try {
          await this.call<unknown>((cb) => this.sftp.stat(dir, cb));
        } catch (err) {
          if ((err as { code?: number }).code !== NO_SUCH_FILE || dir === '/') throw err;
          await this.ensureDir(dirOf(dir));
          await this.call((cb) => this.sftp.mkdir(dir, { mode: 0o755 }, cb)).catch(async (e: unknown) => {
            await this.call<unknown>((cb) => this.sftp.stat(dir, cb)).catch(() => Promise.reject(e)); // lost a race: fine if it exists now
          });
        }
      })();
      p.catch(() => this.dirs.delete(dir));
      this.dirs.set(dir, p);
    }
    return p;
  }

  /**
   * Writes the temp file. After the open, everything goes in one pipeline: sftp-server handles a session's requests
   * in order, so the writes, fchmod, fchown, fsync and close cost one round trip instead of five. The close is always
   * sent, last; a failure before it leaves a temp file that putFiles removes.
   */
  private async writeTemp(f: SftpFile, tmp: string): Promise<void> {
    const handle = await this.openNew(tmp);
    const ops: Promise<unknown>[] = [];
    for (let off = 0; off < f.data.length; off += CHUNK) {
      const len = Math.min(CHUNK, f.data.length - off);
      ops.push(this.call((cb) => this.sftp.write(handle, f.data, off, len, off, cb)));
    }
    ops.push(this.call((cb) => this.sftp.fchmod(handle, f.mode, cb)));
    if (f.uid !== undefined) ops.push(this.call((cb) => this.sftp.fchown(handle, f.uid!, f.gid ?? f.uid!, cb)));
    ops.push(this.call((cb) => this.sftp.ext_openssh_fsync(handle, cb)).catch(() => undefined)); // not every server has it
    ops.push(this.call((cb) => this.sftp.close(handle, cb)));
    await settleAll(ops);
  }

  /**
   * open(tmp, O_CREAT|O_EXCL, 0600). The session (kept by the SSH keeper across runs) remembers which directories
   * exist: when one was removed since, the open fails with "no such file", and the directory is made again.
   */
  private async openNew(tmp: string): Promise<Buffer> {
    const open = () => this.call<Buffer>((cb) => this.sftp.open(tmp, 'wx', { mode: 0o600 }, cb));
    try {
      return await open();
    } catch (err) {
      if ((err as { code?: number }).code !== NO_SUCH_FILE) throw err;
      const dir = dirOf(tmp);
      for (const known of this.dirs.keys()) if (dir === known || dir.startsWith(`${known}/`)) this.dirs.delete(known);
      await this.ensureDir(dir);
      return open();
    }
  }

  /** Writes every temp file, then (optionally hard-links the old file to path+suffix and) renames each into place. */
  async putFiles(files: readonly SftpFile[], backupSuffix?: string): Promise<void> {
    const nonce = randomBytes(4).toString('hex');
    const temps = files.map((f, i) => `${dirOf(f.path)}/.haup-new.${nonce}.${i}`);
    try {
      await settleAll(files.map((f) => this.ensureDir(dirOf(f.path))));
      await settleAll(files.map((f, i) => this.writeTemp(f, temps[i]!)));
      await settleAll(
        files.map(async (f, i) => {
          if (backupSuffix) await this.linkBackup(f.path, f.path + backupSuffix);
          await this.call((cb) => this.sftp.ext_openssh_rename(temps[i]!, f.path, cb));
        }),
      );
    } catch (err) {
      await Promise.all(temps.map((t) => this.call((cb) => this.sftp.unlink(t, cb)).catch(() => undefined)));
      throw err;
    }
  }

  /**
   * Hard-links the file at path (what is there: a regular file, or a symlink itself) to backup, replacing an older
   * backup; nothing when path does not exist. The unlink and the link go in one round trip; the rename that
   * replaces path waits for the link, so a file is never replaced without its backup.
   */
  private async linkBackup(path: string, backup: string): Promise<void> {
    const unlinked = this.call((cb) => this.sftp.unlink(backup, cb)).catch(() => undefined);
    const linked = this.call((cb) => this.sftp.ext_openssh_hardlink(path, backup, cb));
    await unlinked;
    try {
      await linked;
    } catch (err) {
      if ((err as { code?: number }).code !== NO_SUCH_FILE) throw err;
    }
  }

  /** The file's bytes, or null when it does not exist. */
  async get(path: string): Promise<Buffer | null> {
    try {
      return await this.call<Buffer>((cb) => this.sftp.readFile(path, cb));
    } catch (err) {
      if ((err as { code?: number }).code === NO_SUCH_FILE) return null;
      throw err;
    }
  }
}
