// Package keeper-server is the SSH keeper process (`haup __keeper`): it listens on a private unix socket, serves the
// Transport calls of CLI runs over kept connections (keeper-pool.ts), and exits after its idle time with no client.
// Like OpenSSH's ControlMaster with ControlPersist; it writes nothing to a terminal and never logs secrets.
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { HaupError } from '../errors.js';
import { ensureKeeperDir } from './keeper-paths.js';
import { KeptConnections, type Kept } from './keeper-pool.js';
import type { FileToPut } from './transport.js';
import {
  blobId,
  decodeRequest,
  DecodeError,
  encodeError,
  encodeMessage,
  KEEPER_PROTOCOL_VERSION,
  LineSplitter,
  type KeeperConnected,
  type KeeperHello,
  type KeeperRequest,
} from './keeper-protocol.js';

export interface KeeperOptions {
  socketPath: string;
  idleSeconds: number;
}

type Log = (line: string) => void;

/** One CLI run's socket: its handles are released when it goes, whatever state it left them in. */
interface Session {
  sock: net.Socket;
  handles: Map<number, Kept>;
  /** File contents sent once as blobs (op 'blob'), by SHA-256; gone with the session. */
  blobs: Map<string, Buffer>;
}

export class KeeperServer {
  private readonly pool: KeptConnections;
  private readonly sessions = new Set<Session>();
  private readonly server: net.Server;
  private idleMs: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextHandle = 1;
  private stopping: Promise<void> | undefined;

  constructor(
    idleSeconds: number,
    private readonly log: Log,
    private readonly onStopped: () => void,
  ) {
    this.idleMs = idleSeconds * 1000;
    this.pool = new KeptConnections((event, what, detail) => log(`${event} ${what}${detail ? ` ${detail}` : ''}`));
    this.server = net.createServer((sock) => this.accept(sock));
  }

  get netServer(): net.Server {
    return this.server;
  }

  /** Starts the idle countdown; call once listening. */
  started(): void {
    this.armIdle();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.sessions.size > 0) return;
    this.idleTimer = setTimeout(() => void this.stop('idle'), this.idleMs);
  }

  private accept(sock: net.Socket): void {
    const session: Session = { sock, handles: new Map(), blobs: new Map() };
    this.sessions.add(session);
    clearTimeout(this.idleTimer);
    const lines = new LineSplitter();
    sock.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) this.handle(session, line);
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      for (const k of session.handles.values()) this.pool.release(k);
      session.handles.clear();
      this.sessions.delete(session);
      this.armIdle();
    });
  }

  private handle(session: Session, line: string): void {
    const req = decodeRequest(line);
    if (req instanceof DecodeError) {
      this.log(`bad-request ${req.message}`);
      session.sock.destroy();
      return;
    }
    this.dispatch(session, req).then(
      (value) => this.reply(session, encodeMessage({ id: req.id, ok: true, value })),
      (err: unknown) => this.reply(session, encodeMessage({ id: req.id, ok: false, error: encodeError(err) })),
    );
  }

  private reply(session: Session, text: string): void {
    if (!session.sock.destroyed) session.sock.write(text);
  }

  private kept(session: Session, handle: number): Kept {
    const k = session.handles.get(handle);
    if (!k) throw new HaupError('HAUP_SSH', `transport handle ${handle} is closed`);
    return k;
  }

  private async dispatch(session: Session, req: KeeperRequest): Promise<unknown> {
    switch (req.op) {
      case 'hello': {
        if (Number.isSafeInteger(req.idleSeconds) && req.idleSeconds > 0) this.idleMs = req.idleSeconds * 1000;
        const hello: KeeperHello = { pid: process.pid, protocol: KEEPER_PROTOCOL_VERSION, connections: this.pool.size, opened: this.pool.opened };
        return hello;
      }
      case 'connect': {
        const { kept, reused } = await this.pool.acquire(req.target, req.options);
        if (session.sock.destroyed) {
          this.pool.release(kept);
          throw new HaupError('HAUP_SSH', 'the CLI went away');
        }
        const handle = this.nextHandle++;
        session.handles.set(handle, kept);
        const connected: KeeperConnected = { handle, name: kept.transport.name, user: kept.transport.user, reused };
        return connected;
      }
      case 'exec':
        return this.kept(session, req.handle).transport.exec(req.cmd, req.opts);
      case 'blob': {
        // Stored before any await: a putFiles sent after it on this socket finds it.
        if (!Buffer.isBuffer(req.data) || blobId(req.data) !== req.sha256) {
          throw new HaupError('HAUP_SSH_KEEPER', `the SSH keeper got a blob whose content does not match its SHA-256 ${String(req.sha256)}`);
        }
        session.blobs.set(req.sha256, req.data);
        return null;
      }
      case 'putFiles': {
        const files = req.files.map((f): FileToPut => {
          if (f.blob === undefined) return f as FileToPut;
          const content = session.blobs.get(f.blob);
          if (!content) throw new HaupError('HAUP_SSH_KEEPER', `${f.path}: the SSH keeper has no blob ${f.blob} in this session`);
          return { path: f.path, content, mode: f.mode, ...(f.owner === undefined ? {} : { owner: f.owner }) };
        });
        return this.kept(session, req.handle).transport.putFiles(files, req.opts);
      }
      case 'get':
        return this.kept(session, req.handle).transport.get(req.path, req.opts);
      case 'statFiles':
        return this.kept(session, req.handle).transport.statFiles(req.paths, req.opts);
      case 'release': {
        const k = session.handles.get(req.handle);
        session.handles.delete(req.handle);
        if (k) this.pool.release(k);
        return null;
      }
      case 'shutdown': {
        const closed = this.pool.size;
        setImmediate(() => void this.stop('shutdown'));
        return { closed, pid: process.pid };
      }
      default: {
        const never: never = req;
        throw new Error(`unknown op ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Closes the listener (libuv removes the socket file with it), every SSH connection, and only then the clients:
   * `haup disconnect` returns when its socket closes, and by then the connections are gone.
   */
  stop(why: string): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.idleTimer);
      this.log(`stop ${why}`);
      this.server.close();
      await this.pool.closeAll();
      for (const s of this.sessions) s.sock.destroy();
      this.onStopped();
    })();
    return this.stopping;
  }
}

function listenOn(server: net.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** True when a keeper answers on the socket; false when nobody listens (a stale socket file, or none). */
export function probeSocket(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(true); // accepted but slow: someone is there
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(true);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(err);
    });
  });
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  return false;
}

async function zombie(pid: number): Promise<boolean> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** A lock file held for the few microseconds of "stale socket? unlink, listen"; a dead holder's lock is taken over. */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T | 'busy'> {
  try {
    const fh = await open(path, 'wx', 0o600);
    await fh.writeFile(String(process.pid));
    await fh.close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(holder) && holder > 0 && !processGone(holder) && !(await zombie(holder))) return 'busy';
    const again = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (again === holder) await unlink(path).catch(() => {});
    return 'busy';
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => {});
  }
}

/**
 * Listens on the socket unless another keeper already does. Two keepers started at once end as one: the loser sees
 * EADDRINUSE and a live listener and returns false; a stale socket (no listener) is removed under a lock and retried.
 */
export async function listenExclusive(server: net.Server, path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await listenOn(server, path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
    if (await probeSocket(path)) return false;
    const r = await withLock(`${path}.lock`, async () => {
      if (await probeSocket(path)) return false;
      await unlink(path).catch(() => {});
      try {
        await listenOn(server, path);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        return 'retry' as const;
      }
    });
    if (r === true || r === false) return r;
    await new Promise((res) => setTimeout(res, 5 + attempt * 5));
  }
  return probeSocket(path);
}

/** Logs of keepers that are gone (other builds' sockets removed) would pile up in /run otherwise. */
async function removeOrphanLogs(dir: string): Promise<void> {
  const names = new Set(await readdir(dir).catch(() => []));
  for (const n of names) {
    const m = /^(keeper-[0-9a-f]+)\.log$/.exec(n);
    if (m && !names.has(`${m[1]}.sock`)) await unlink(join(dir, n)).catch(() => {});
  }
}

/** The keeper process: never returns while serving; exits 0 after idle, shutdown or SIGTERM. */
export async function runKeeper(opts: KeeperOptions): Promise<void> {
  process.umask(0o077); // the socket and log are the user's alone
  const dir = dirname(opts.socketPath);
  await ensureKeeperDir(dir, process.getuid?.() ?? 0);
  let logStream: WriteStream | null = null;
  const log: Log = (line) => logStream?.write(`${new Date().toISOString()} [${process.pid}] ${line}\n`);
  // The socket file goes with the listener (libuv unlinks it on close); removing it here could remove a newer
  // keeper's socket that got the same inode number.
  const server = new KeeperServer(opts.idleSeconds, log, () => (logStream ? logStream.end(() => process.exit(0)) : process.exit(0)));
  if (!(await listenExclusive(server.netServer, opts.socketPath))) return; // another keeper serves this socket
  await chmod(opts.socketPath, 0o600);
  await removeOrphanLogs(dir);
  const logPath = opts.socketPath.replace(/\.sock$/, '.log');
  // Appended, so a crashed keeper's last lines survive the next one; cut when it grows past 1 MB.
  const size = (await stat(logPath).catch(() => null))?.size ?? 0;
  logStream = createWriteStream(logPath, { flags: size > 1_000_000 ? 'w' : 'a', mode: 0o600 });
  log(`start pid ${process.pid} idle ${opts.idleSeconds}s`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void server.stop(sig));
  process.on('SIGHUP', () => {});
  process.on('uncaughtException', (err) => {
    log(`crash ${err.stack ?? err.message}`);
    process.exit(1);
  });
  server.started();
}
