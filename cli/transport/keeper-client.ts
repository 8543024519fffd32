// Package keeper-client is the CLI side of the SSH keeper: it finds (or starts) the per-user keeper process and hands
// out KeeperTransports, which implement Transport by calls over the keeper's unix socket (keeper-protocol.ts).
import { spawn } from 'node:child_process';
import { lstat, readdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HaupError } from '../errors.js';
import { buildId, dirProblem, ensureKeeperDir, entryPoint, keeperDir, socketPath } from './keeper-paths.js';
import {
  BLOB_MIN_BYTES,
  blobId,
  decodeError,
  decodeResponse,
  DecodeError,
  encodeMessage,
  LineSplitter,
  type KeeperConnected,
  type KeeperHello,
  type KeeperRequest,
  type KeeperSshOptions,
  type KeeperTarget,
  type WireFileToPut,
} from './keeper-protocol.js';
import {
  assertAbsolutePath,
  assertValidFiles,
  endWithin,
  type Command,
  type ExecOptions,
  type ExecResult,
  type FileFact,
  type FileToPut,
  type PutOptions,
  type Transport,
} from './transport.js';

/** A request without its id (the client numbers them). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Call = WithoutId<KeeperRequest>;

export interface KeeperClientOptions {
  /** The keeper exits this long after its last client is gone. */
  idleSeconds: number;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for a keeper this process started (default 30 s: from source, tsx alone can take 10 s on a loaded machine). */
  startTimeoutMs?: number;
}

/** The socket this CLI build uses, after making sure its directory is private. */
export async function keeperSocketPath(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const uid = process.getuid?.() ?? 0;
  const dir = keeperDir(env, uid, tmpdir());
  await ensureKeeperDir(dir, uid);
  return socketPath(dir, await buildId(import.meta.url, process.env.HAUP_VERSION ?? 'dev', homedir()));
}

function tryConnect(path: string): Promise<net.Socket | null> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(null);
      else reject(new HaupError('HAUP_SSH_KEEPER', `cannot reach the SSH keeper at ${path}: ${err.code ?? err.message}`, { hint: 'set HAUP_SSH_PERSIST=0 to connect without the keeper', cause: err }));
    });
  });
}

/** Starts `haup __keeper` detached (its own session, no stdio), from the bundle or from source under tsx. */
function spawnKeeper(path: string, idleSeconds: number, env: NodeJS.ProcessEnv): { exited: () => number | null } {
  const { source, entry } = entryPoint(import.meta.url);
  const args = source ? ['--import', import.meta.resolve('tsx'), entry] : [entry];
  const childEnv: NodeJS.ProcessEnv = { ...env };
  delete childEnv.HAUP_SSH_PASSPHRASE; // sent per connect, never kept in the keeper's environment
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [...args, '__keeper', '--socket', path, '--idle', String(idleSeconds)], {
    detached: true,
    stdio: 'ignore',
    env: childEnv,
    cwd: source ? dirname(dirname(entry)) : '/',
  });
  let code: number | null = null;
  child.on('exit', (c, sig) => (code = c ?? (sig ? 128 : 1)));
  child.on('error', () => (code = 127));
  child.unref();
  return { exited: () => code };
}

/** The keeper closed the socket before answering hello. */
class KeeperGone extends Error {}

export class KeeperClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closed: HaupError | null = null;
  hello: KeeperHello = { pid: 0, protocol: 0, connections: 0, opened: 0 };

  private constructor(
    private readonly sock: net.Socket,
    readonly socketPath: string,
  ) {
    const lines = new LineSplitter();
    sock.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) this.receive(line);
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.closed ??= new HaupError('HAUP_SSH_KEEPER', 'the SSH keeper closed its connection (it was stopped, or it crashed)', {
        hint: `run again; its log is ${socketPath.replace(/\.sock$/, '.log')}; HAUP_SSH_PERSIST=0 connects without it`,
      });
      for (const p of this.pending.values()) p.reject(this.closed);
      this.pending.clear();
    });
    sock.unref();
  }

  /**
   * Connects to this build's keeper, starting one if none answers (two CLIs racing end with one keeper). A keeper
   * that goes away between accepting and answering (it was stopping, or was killed) is tried once more.
   */
  static async open(opts: KeeperClientOptions): Promise<KeeperClient> {
    try {
      return await KeeperClient.openOnce(opts);
    } catch (err) {
      if (!(err instanceof KeeperGone)) throw err;
      return KeeperClient.openOnce(opts);
    }
  }

  private static async openOnce(opts: KeeperClientOptions): Promise<KeeperClient> {
    const env = opts.env ?? process.env;
    const path = await keeperSocketPath(env);
    let sock = await tryConnect(path);
    if (!sock) {
      const child = spawnKeeper(path, opts.idleSeconds, env);
      const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
      for (let wait = 5; !sock; wait = Math.min(50, wait * 2)) {
        const code = child.exited();
        // Exit 0 is a keeper that found another one listening: keep trying to reach that one.
        if ((code !== null && code !== 0) || Date.now() > deadline) {
          throw new HaupError('HAUP_SSH_KEEPER', code !== null && code !== 0 ? `the SSH keeper exited with code ${code} while starting` : `the SSH keeper did not start within ${(opts.startTimeoutMs ?? 30_000) / 1000} s`, {
            hint: `see ${path.replace(/\.sock$/, '.log')}; HAUP_SSH_PERSIST=0 (or --ssh-persist 0) connects without the keeper`,
          });
        }
        await new Promise((r) => setTimeout(r, wait));
        sock = await tryConnect(path);
      }
    }
    const client = new KeeperClient(sock, path);
    try {
      client.hello = (await client.call({ op: 'hello', idleSeconds: opts.idleSeconds })) as KeeperHello;
    } catch (err) {
      if (client.closed) throw new KeeperGone();
      throw err;
    }
    return client;
  }

  private receive(line: string): void {
    const res = decodeResponse(line);
    if (res instanceof DecodeError) {
      this.sock.destroy(new Error(`SSH keeper sent a bad message: ${res.message}`));
      return;
    }
    const p = this.pending.get(res.id);
    if (!p) return;
    this.pending.delete(res.id);
    if (this.pending.size === 0) this.sock.unref();
    if (res.ok) p.resolve(res.value);
    else p.reject(decodeError(res.error));
  }

  call(req: Call): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.ref(); // a call in flight keeps the CLI alive; an idle socket does not
      this.sock.write(encodeMessage({ ...req, id } as KeeperRequest));
    });
  }

  /** Blobs sent in this session (or being sent), by SHA-256. */
  private readonly blobs = new Map<string, Promise<unknown>>();
  /** SHA-256 of contents already hashed: the same bundle string or Buffer goes to every host. */
  private readonly shaOfText = new Map<string, string>();
  private readonly shaOfBuffer = new WeakMap<Buffer, string>();

  /** The file as it goes on the wire: a large content as a blob, sent once per session. */
  async wireFile(f: FileToPut): Promise<WireFileToPut> {
    const size = typeof f.content === 'string' ? f.content.length : f.content.byteLength;
    if (size < BLOB_MIN_BYTES) return f;
    // The bytes of a string are made only when they are hashed or sent: not again for every host.
    const bytes = () => (typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content);
    let data: Buffer | undefined;
    let sha = typeof f.content === 'string' ? this.shaOfText.get(f.content) : this.shaOfBuffer.get(f.content);
    if (sha === undefined) {
      data = bytes();
      sha = blobId(data);
      if (typeof f.content === 'string') this.shaOfText.set(f.content, sha);
      else this.shaOfBuffer.set(f.content, sha);
    }
    let sent = this.blobs.get(sha);
    if (!sent) {
      sent = this.call({ op: 'blob', sha256: sha, data: data ?? bytes() });
      this.blobs.set(sha, sent);
      sent.catch(() => this.blobs.delete(sha)); // the next put sends it again
    }
    await sent;
    return { path: f.path, blob: sha, mode: f.mode, ...(f.owner === undefined ? {} : { owner: f.owner }) };
  }

  async connect(target: KeeperTarget, options: KeeperSshOptions): Promise<KeeperTransport> {
    const c = (await this.call({ op: 'connect', target, options })) as KeeperConnected;
    return new KeeperTransport(this, c);
  }

  /** Ends this run's session; the keeper keeps the SSH connections for the next run. */
  async close(): Promise<void> {
    if (this.sock.destroyed) return;
    this.sock.ref(); // an unref'd socket would let the process exit in the middle of this await
    await endWithin(this.sock);
  }
}

/** Transport over a kept connection: the same calls, answers and errors as SshTransport, one socket hop away. */
export class KeeperTransport implements Transport {
  readonly name: string;
  readonly user: string;
  readonly reused: boolean;
  roundTrips = 0;
  private closed = false;
  private readonly handle: number;

  constructor(
    private readonly keeper: KeeperClient,
    c: KeeperConnected,
  ) {
    this.name = c.name;
    this.user = c.user;
    this.reused = c.reused;
    this.handle = c.handle;
  }

  private check(): void {
    if (this.closed) throw new HaupError('HAUP_SSH', `${this.name}: transport is closed`);
  }

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    this.check();
    this.roundTrips += 1;
    return (await this.keeper.call({ op: 'exec', handle: this.handle, cmd, opts })) as ExecResult;
  }

  async put(path: string, content: Buffer | string, opts: { mode: number; owner?: string } & PutOptions): Promise<void> {
    const put: PutOptions = { ...(opts.sudo === undefined ? {} : { sudo: opts.sudo }), ...(opts.backupSuffix === undefined ? {} : { backupSuffix: opts.backupSuffix }) };
    await this.putFiles([{ path, content, mode: opts.mode, ...(opts.owner ? { owner: opts.owner } : {}) }], put);
  }

  async putFiles(files: readonly FileToPut[], opts: PutOptions = {}): Promise<void> {
    assertValidFiles(files);
    if (files.length === 0) return;
    this.check();
    this.roundTrips += 1;
    const wire = await Promise.all(files.map((f) => this.keeper.wireFile(f)));
    await this.keeper.call({ op: 'putFiles', handle: this.handle, files: wire, opts });
  }

  async get(path: string, opts: { sudo?: boolean } = {}): Promise<Buffer | null> {
    assertAbsolutePath(path);
    this.check();
    this.roundTrips += 1;
    return (await this.keeper.call({ op: 'get', handle: this.handle, path, opts })) as Buffer | null;
  }

  async statFiles(paths: readonly string[], opts: { sudo?: boolean } = {}): Promise<Map<string, FileFact>> {
    paths.forEach(assertAbsolutePath);
    const unique = [...new Set(paths)];
    if (unique.length === 0) return new Map();
    this.check();
    this.roundTrips += 1;
    return (await this.keeper.call({ op: 'statFiles', handle: this.handle, paths: unique, opts })) as Map<string, FileFact>;
  }

  /** Hands the connection back to the keeper (it stays open for the next run). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.keeper.call({ op: 'release', handle: this.handle }).catch(() => {});
  }
}

export interface Disconnected {
  socket: string;
  /** The keeper's pid, or null for a stale socket file that was removed. */
  pid: number | null;
  connections: number;
}

/** `haup disconnect`: stops every keeper of this user (like `ssh -O exit`), and waits until they let go. */
export async function disconnectKeepers(env: NodeJS.ProcessEnv = process.env): Promise<Disconnected[]> {
  const uid = process.getuid?.() ?? 0;
  const dir = keeperDir(env, uid, tmpdir());
  const st = await lstat(dir).catch(() => null);
  if (!st) return [];
  const problem = dirProblem(dir, { isDirectory: st.isDirectory(), isSymbolicLink: st.isSymbolicLink(), uid: st.uid, mode: st.mode }, uid);
  if (problem) throw new HaupError('HAUP_SSH_KEEPER', `refusing to use ${dir} for the SSH keeper socket: ${problem}`, { hint: 'remove it, or "chmod 700" it if it is yours' });
  const out: Disconnected[] = [];
  for (const name of (await readdir(dir)).filter((n) => /^keeper-[0-9a-f]+\.sock$/.test(n)).sort()) {
    const path = join(dir, name);
    const sock = await tryConnect(path);
    if (!sock) {
      await unlink(path).catch(() => {});
      out.push({ socket: path, pid: null, connections: 0 });
      continue;
    }
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    const lines = new LineSplitter();
    const answer = new Promise<{ pid: number; closed: number } | null>((resolve) => {
      sock.on('data', (chunk: Buffer) => {
        for (const line of lines.push(chunk)) {
          const r = decodeResponse(line);
          resolve(!(r instanceof DecodeError) && r.ok ? (r.value as { pid: number; closed: number }) : null);
        }
      });
      sock.once('close', () => resolve(null));
    });
    sock.on('error', () => {});
    sock.write(encodeMessage({ id: 1, op: 'shutdown' }));
    const a = await answer;
    await Promise.race([closed, new Promise((r) => setTimeout(r, 3000).unref())]);
    sock.destroy();
    out.push({ socket: path, pid: a?.pid ?? null, connections: a?.closed ?? 0 });
  }
  return out;
}
