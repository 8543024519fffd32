// Package keeper-paths decides where the SSH keeper's socket lives (a private per-user directory, like OpenSSH's
// ControlPath) and names it after the CLI build, so an upgraded CLI never talks to an old keeper.
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HaupError } from '../errors.js';
import { KEEPER_PROTOCOL_VERSION } from './keeper-protocol.js';

/** Linux sockaddr_un.sun_path is 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/** `$XDG_RUNTIME_DIR/haup`, else /run/haup-keeper-<uid> for root, else <tmpdir>/haup-keeper-<uid>. */
export function keeperDir(env: NodeJS.ProcessEnv, uid: number, tmp: string): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'haup');
  return uid === 0 ? `/run/haup-keeper-${uid}` : join(tmp, `haup-keeper-${uid}`);
}

export interface DirFacts {
  isDirectory: boolean;
  isSymbolicLink: boolean;
  uid: number;
  mode: number;
}

/** Why a directory may not hold the socket (null: fine): it must be a real directory, ours, closed to others. */
export function dirProblem(dir: string, st: DirFacts, uid: number): string | null {
  if (st.isSymbolicLink) return `${dir} is a symbolic link`;
  if (!st.isDirectory) return `${dir} is not a directory`;
  if (st.uid !== uid) return `${dir} is owned by uid ${st.uid}, not by you (uid ${uid})`;
  if ((st.mode & 0o077) !== 0) return `${dir} has mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}; group and others must have no access`;
  return null;
}

/** Creates the directory (0700) if missing, then refuses it unless it is ours and private. */
export async function ensureKeeperDir(dir: string, uid: number): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new HaupError('HAUP_SSH_KEEPER', `cannot create the SSH keeper directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        hint: 'set XDG_RUNTIME_DIR to a private directory, or HAUP_SSH_PERSIST=0 (or --ssh-persist 0) to connect without the keeper',
        cause: err,
      });
    }
  }
  const st = await lstat(dir);
  const problem = dirProblem(dir, { isDirectory: st.isDirectory(), isSymbolicLink: st.isSymbolicLink(), uid: st.uid, mode: st.mode }, uid);
  if (problem) {
    throw new HaupError('HAUP_SSH_KEEPER', `refusing to use ${dir} for the SSH keeper socket: ${problem}`, {
      hint: `another user could reach your SSH connections through it; remove it or "chmod 700" it if it is yours, or set HAUP_SSH_PERSIST=0 to connect without the keeper`,
    });
  }
}

/**
 * How to start this CLI again: cli/main.ts under tsx when running from source (this module is
 * cli/transport/*.ts), else the bundle's haup.js, which build.mjs puts beside its chunks (this module is in one).
 */
export function entryPoint(moduleUrl: string): { source: boolean; entry: string } {
  const file = fileURLToPath(moduleUrl);
  if (file.endsWith('.ts')) return { source: true, entry: join(dirname(file), '..', 'main.ts') };
  return { source: false, entry: join(dirname(file), 'haup.js') };
}

/**
 * A hash of what the keeper runs: version, protocol, HOME (default keys live there), and the size and mtime of the
 * entry file and the files beside the calling module (the bundle, or cli/transport/*.ts from source).
 */
export async function buildId(moduleUrl: string, version: string, home: string): Promise<string> {
  const { entry } = entryPoint(moduleUrl);
  const dir = dirname(fileURLToPath(moduleUrl));
  const files = [entry, ...(await readdir(dir)).sort().map((f) => join(dir, f))];
  const h = createHash('sha256').update(JSON.stringify([version, KEEPER_PROTOCOL_VERSION, home]));
  for (const f of files) {
    try {
      const st = await stat(f);
      h.update(`${f}\0${st.size}\0${st.mtimeMs}\0`);
    } catch {
      h.update(`${f}\0-\0`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

export function socketPath(dir: string, id: string): string {
  const path = join(dir, `keeper-${id}.sock`);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new HaupError('HAUP_SSH_KEEPER', `the SSH keeper socket path is too long for a unix socket (${Buffer.byteLength(path)} > ${MAX_SOCKET_PATH} bytes): ${path}`, {
      hint: 'set XDG_RUNTIME_DIR (or TMPDIR) to a shorter directory, or HAUP_SSH_PERSIST=0 to connect without the keeper',
    });
  }
  return path;
}

/** HAUP_SSH_PERSIST: idle seconds before the keeper exits; 0 turns keeping off; default 60. */
export function persistSeconds(env: NodeJS.ProcessEnv): number {
  const text = env.HAUP_SSH_PERSIST;
  if (text === undefined || text.trim() === '') return 60;
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
    throw new HaupError('HAUP_USAGE', `HAUP_SSH_PERSIST=${JSON.stringify(text)} is not a whole number of seconds`, {
      hint: 'e.g. HAUP_SSH_PERSIST=60 keeps SSH connections 60 s after the last use; 0 turns keeping off',
    });
  }
  return n;
}
