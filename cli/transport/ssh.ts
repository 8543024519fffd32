// Package ssh implements Transport over ssh2: one connection per host, reused; commands on channels; files and
// stats batched into one `sh -c` script per call (file bytes on stdin), so a deploy costs few round trips.
import { constants as osConstants } from 'node:os';
import type { ClientChannel } from 'ssh2';
import { HaupError } from '../errors.js';
import { commandLine, getCommand, GET_MISSING_EXIT, parseStatOutput, putScript, statCommand, sudoProblem } from './remote-script.js';
import {
  defaultKnownHostsFiles,
  defaultLookup,
  KnownHostsStore,
  loadIdentities,
  openClient,
  type Identity,
  type LookupFn,
  type SshClient,
} from './ssh-connect.js';
import { sudoError, type Endpoint } from './ssh-errors.js';
import {
  assertAbsolutePath,
  assertValidFiles,
  commandFailedError,
  displayCommand,
  type Command,
  type ExecOptions,
  type ExecResult,
  type FileFact,
  type FileToPut,
  type PutOptions,
  type Transport,
} from './transport.js';

export interface SshOptions {
  /** Private key files tried in order (default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist). */
  identityFiles?: readonly string[];
  /** Passphrase for encrypted keys (default: $HAUP_SSH_PASSPHRASE). Never logged. */
  passphrase?: string;
  /** ssh-agent socket tried after the key files (default: $SSH_AUTH_SOCK); null disables the agent. */
  agentSocket?: string | null;
  /** known_hosts files (default ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts); new hosts are recorded in the first. */
  knownHostsFiles?: readonly string[];
  /** Trust-on-first-use: accept and record an unknown host key. A changed key is still refused. */
  trustNewHosts?: boolean;
  /** DNS + TCP + handshake + authentication budget per connection (default 10 000). */
  connectTimeoutMs?: number;
  lookup?: LookupFn;
  /** Route commands and file operations through `sudo -n` when the user is not root (default true). */
  sudo?: boolean;
  /** Concurrent channels per connection (default 8; OpenSSH's MaxSessions is 10). */
  maxChannels?: number;
  keepaliveIntervalMs?: number;
}

export interface SshHop {
  host: string;
  port?: number;
  /** Login user (default root). */
  user?: string;
}

export interface SshTarget extends SshHop {
  /** Display name, e.g. the inventory host name. */
  name?: string;
  /** Connect through this host first, like OpenSSH ProxyJump; both host keys are checked. */
  jump?: SshHop;
}

/** A counting semaphore: channels beyond MaxSessions would be refused by sshd. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) {
    this.free = n;
  }
  async take(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

interface RawResult {
  code: number;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
}

function signalNumber(signal: string): number {
  return (osConstants.signals as Record<string, number | undefined>)[signal] ?? 0;
}

export class SshTransport implements Transport {
  readonly name: string;
  readonly user: string;
  roundTrips = 0;
  private closed: HaupError | null = null;
  private readonly slots: Slots;
  private readonly afterClose: Array<() => Promise<void>> = [];

  constructor(
    private readonly client: SshClient,
    private readonly endpoint: Endpoint,
    private readonly opts: { sudo: boolean; maxChannels: number; name?: string },
  ) {
    this.user = endpoint.user;
    const addr = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
    this.name = opts.name ? `${opts.name} (${addr})` : addr;
    this.slots = new Slots(opts.maxChannels);
    client.on('error', (err: Error) => {
      this.closed ??= new HaupError('HAUP_SSH', `${this.name}: connection lost: ${err.message}`, { cause: err });
    });
    client.on('close', () => {
      this.closed ??= new HaupError('HAUP_SSH', `${this.name}: connection closed`, { hint: 'the host went away or sshd was restarted; run again' });
    });
  }

  private useSudo(sudo: boolean | undefined): boolean {
    return (sudo ?? this.opts.sudo) && this.user !== 'root';
  }

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    const raw = await this.run(cmd, this.useSudo(opts.sudo), opts.stdin, opts.timeoutMs);
    return { code: raw.code, stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8'), ...(raw.signal ? { signal: raw.signal } : {}) };
  }

  async put(path: string, content: Buffer | string, opts: { mode: number; owner?: string } & PutOptions): Promise<void> {
    await this.putFiles([{ path, content, mode: opts.mode, ...(opts.owner ? { owner: opts.owner } : {}) }], opts);
  }

  async putFiles(files: readonly FileToPut[], opts: PutOptions = {}): Promise<void> {
    assertValidFiles(files);
    if (files.length === 0) return;
    const data = files.map((f) => Buffer.from(f.content));
    const plan = files.map((f, i) => ({ path: f.path, size: data[i]!.length, mode: f.mode, ...(f.owner ? { owner: f.owner } : {}) }));
    const cmd = ['sh', '-c', putScript(plan, opts)];
    const raw = await this.run(cmd, this.useSudo(opts.sudo), Buffer.concat(data));
    if (raw.code !== 0) throw commandFailedError(this.name, cmd, this.text(raw), `writing ${files.length === 1 ? files[0]!.path : `${files.length} files`}`);
  }

  async get(path: string, opts: { sudo?: boolean } = {}): Promise<Buffer | null> {
    assertAbsolutePath(path);
    const cmd = getCommand(path);
    const raw = await this.run(cmd, this.useSudo(opts.sudo));
    if (raw.code === GET_MISSING_EXIT) return null;
    if (raw.code !== 0) throw commandFailedError(this.name, cmd, this.text(raw), `reading ${path}`);
    return raw.stdout;
  }

  async statFiles(paths: readonly string[], opts: { sudo?: boolean } = {}): Promise<Map<string, FileFact>> {
    paths.forEach(assertAbsolutePath);
    const unique = [...new Set(paths)];
    if (unique.length === 0) return new Map();
    const cmd = statCommand(unique);
    const raw = await this.run(cmd, this.useSudo(opts.sudo));
    const { facts, problems } = parseStatOutput(unique, raw.stdout.toString('utf8'), raw.stderr.toString('utf8'));
    if (raw.code !== 0 || problems.length > 0) {
      throw commandFailedError(this.name, cmd, { ...this.text(raw), stderr: problems.join('\n') || raw.stderr.toString('utf8') }, `inspecting ${unique.length} paths`);
    }
    return facts;
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = new HaupError('HAUP_SSH', `${this.name}: transport is closed`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.client.destroy();
          resolve();
        }, 1000);
        this.client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        this.client.end();
      });
    }
    for (const hook of this.afterClose.splice(0)) await hook();
  }

  /** Runs once after close(), e.g. to end the jump host connection of a standalone transport. */
  onClosed(hook: () => Promise<void>): void {
    this.afterClose.push(hook);
  }

  private text(raw: RawResult): ExecResult {
    return { code: raw.code, stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8'), ...(raw.signal ? { signal: raw.signal } : {}) };
  }

  /**
   * Opens a session channel and starts the command; `attach` runs synchronously in ssh2's callback, because output,
   * exit-status and close may arrive in the same TCP chunk as the exec reply and 'exit' is a plain event.
   * sshd frees a closed session a little after it acknowledges the close, so a new channel can briefly exceed
   * MaxSessions ("open failed"): retry with backoff before giving up.
   */
  private async startChannel(line: string, attach: (ch: ClientChannel) => void): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw this.closed;
      try {
        return await new Promise<void>((resolve, reject) => {
          this.client.exec(line, (err, ch) => {
            if (err) return reject(err);
            attach(ch);
            resolve();
          });
        });
      } catch (err) {
        if (this.closed) throw this.closed;
        if (attempt >= 6 || !/Channel open failure/.test((err as Error).message)) {
          throw new HaupError('HAUP_SSH', `${this.name}: cannot start a command: ${(err as Error).message}`, {
            hint: 'sshd refused a new session; check MaxSessions in its sshd_config',
            cause: err,
          });
        }
        await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
      }
    }
  }

  /** One command on one channel: the only place that talks to ssh2 after connecting. */
  private async run(cmd: Command, sudo: boolean, stdin?: string | Buffer, timeoutMs?: number): Promise<RawResult> {
    if (this.closed) throw this.closed;
    const line = commandLine(cmd, sudo);
    await this.slots.take();
    this.roundTrips += 1;
    let raw: RawResult;
    try {
      raw = await new Promise<RawResult>((resolve, reject) => {
        const attach = (ch: ClientChannel) => {
          const out: Buffer[] = [];
          const errOut: Buffer[] = [];
          let exit: { code: number; signal?: string } | undefined;
          let timer: NodeJS.Timeout | undefined;
          if (timeoutMs !== undefined) {
            timer = setTimeout(() => {
              ch.signal('KILL');
              ch.close();
              reject(new HaupError('HAUP_REMOTE_COMMAND', `${this.name}: "${displayCommand(cmd)}" did not finish within ${timeoutMs} ms`, {
                hint: 'the command was sent SIGKILL; check whether it hangs when run by hand',
              }));
            }, timeoutMs);
          }
          ch.on('data', (d: Buffer) => out.push(d));
          ch.stderr.on('data', (d: Buffer) => errOut.push(d));
          ch.on('exit', (code: number | null, signal?: string) => {
            exit = code === null ? { code: 128 + signalNumber(signal ?? ''), ...(signal ? { signal } : {}) } : { code };
          });
          ch.on('close', () => {
            clearTimeout(timer);
            if (exit) return resolve({ ...exit, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut) });
            reject(this.closed ?? new HaupError('HAUP_SSH', `${this.name}: connection lost while running: ${displayCommand(cmd)}`));
          });
          ch.end(stdin ?? '');
        };
        this.startChannel(line, attach).catch(reject);
      });
    } finally {
      this.slots.give();
    }
    if (sudo) {
      const problem = sudoProblem({ code: raw.code, stderr: raw.stderr.toString('utf8') });
      if (problem) throw sudoError(problem, this.endpoint, displayCommand(cmd));
    }
    return raw;
  }
}

interface Shared {
  knownHosts: KnownHostsStore;
  identities: Identity[];
  identityNotes: string[];
}

/** One connection per host (and per jump host), shared by everything that asks for it during a run. */
export class SshPool {
  private readonly transports = new Map<string, Promise<SshTransport>>();
  private readonly jumps = new Map<string, Promise<SshClient>>();
  private shared: Promise<Shared> | undefined;

  constructor(private readonly opts: SshOptions = {}) {}

  private load(): Promise<Shared> {
    this.shared ??= (async () => {
      const knownHosts = await KnownHostsStore.load(this.opts.knownHostsFiles ?? defaultKnownHostsFiles());
      const { identities, notes } = await loadIdentities(this.opts.identityFiles, this.opts.passphrase ?? process.env.HAUP_SSH_PASSPHRASE);
      return { knownHosts, identities, identityNotes: notes };
    })();
    return this.shared;
  }

  private async open(hop: SshHop, via?: { client: SshClient; label: string }): Promise<{ client: SshClient; endpoint: Endpoint }> {
    const shared = await this.load();
    const port = hop.port ?? 22;
    const user = hop.user ?? 'root';
    const agent = this.opts.agentSocket === null ? undefined : (this.opts.agentSocket ?? process.env.SSH_AUTH_SOCK);
    const client = await openClient({
      host: hop.host,
      port,
      user,
      ...shared,
      agentSocket: agent || undefined,
      trustNewHosts: this.opts.trustNewHosts ?? false,
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 10_000,
      lookup: this.opts.lookup ?? defaultLookup,
      keepaliveIntervalMs: this.opts.keepaliveIntervalMs ?? 15_000,
      ...(via ? { via } : {}),
    });
    return { client, endpoint: { host: hop.host, port, user, ...(via ? { via: via.label } : {}) } };
  }

  private jump(hop: SshHop): Promise<SshClient> {
    const key = `${hop.user ?? 'root'}@${hop.host}:${hop.port ?? 22}`;
    let p = this.jumps.get(key);
    if (!p) {
      p = this.open(hop).then(
        ({ client }) => {
          client.on('error', () => {}); // failures surface on the tunnelled connections
          client.on('close', () => this.jumps.delete(key));
          return client;
        },
        (err: unknown) => {
          this.jumps.delete(key);
          if (!(err instanceof HaupError)) throw err;
          throw new HaupError(err.code, `jump host: ${err.message}`, { hint: err.hint, details: err.details, cause: err.cause });
        },
      );
      this.jumps.set(key, p);
    }
    return p;
  }

  /** The transport for a host; concurrent callers share one connection attempt. */
  connect(target: SshTarget): Promise<SshTransport> {
    const key = `${target.user ?? 'root'}@${target.host}:${target.port ?? 22}${target.jump ? ` via ${target.jump.host}:${target.jump.port ?? 22}` : ''}`;
    let p = this.transports.get(key);
    if (!p) {
      p = (async () => {
        const via = target.jump ? { client: await this.jump(target.jump), label: `jump host ${target.jump.host}:${target.jump.port ?? 22}` } : undefined;
        const { client, endpoint } = await this.open(target, via);
        const t = new SshTransport(client, endpoint, {
          sudo: this.opts.sudo ?? true,
          maxChannels: this.opts.maxChannels ?? 8,
          ...(target.name ? { name: target.name } : {}),
        });
        client.on('close', () => this.transports.delete(key));
        return t;
      })();
      p.catch(() => this.transports.delete(key));
      this.transports.set(key, p);
    }
    return p;
  }

  async closeAll(): Promise<void> {
    const ts = await Promise.allSettled([...this.transports.values()]);
    await Promise.all(ts.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    const js = await Promise.allSettled([...this.jumps.values()]);
    for (const r of js) if (r.status === 'fulfilled') r.value.end();
    this.transports.clear();
    this.jumps.clear();
  }
}

/** One host, one connection; close() also closes its jump host connection. */
export async function connectSsh(target: SshTarget, opts: SshOptions = {}): Promise<SshTransport> {
  const pool = new SshPool(opts);
  try {
    const t = await pool.connect(target);
    t.onClosed(() => pool.closeAll());
    return t;
  } catch (err) {
    await pool.closeAll();
    throw err;
  }
}
