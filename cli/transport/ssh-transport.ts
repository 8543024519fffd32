// Package ssh-transport is the Transport over one authenticated ssh2 connection: commands on session channels
// (bounded below sshd's MaxSessions), files over one SFTP session when no sudo is needed, else batched sh scripts
// with the bytes on stdin; stats and checksums in one command per batch.
import { constants as osConstants } from 'node:os';
import type { ClientChannel } from 'ssh2';
import { HaupError } from '../errors.js';
import { commandLine, getCommand, GET_MISSING_EXIT, parseStatOutput, putScript, statCommand, sudoProblem } from './remote-script.js';
import type { SshClient } from './ssh-connect.js';
import { RemoteShell, shellScript } from './remote-shell.js';
import { numericOwner, SftpFiles } from './sftp-files.js';
import { sudoError, type Endpoint } from './ssh-errors.js';
import {
  assertAbsolutePath,
  assertValidFiles,
  commandFailedError,
  displayCommand,
  endWithin,
  type Command,
  type ExecOptions,
  type ExecResult,
  type FileFact,
  type FileToPut,
  type PutOptions,
  type Transport,
} from './transport.js';

export interface SshTransportOptions {
  sudo: boolean;
  maxChannels: number;
  fileTransfer: 'auto' | 'exec';
  name?: string;
  /** Run `sh -c` / `bash -c` scripts through one long-lived shell (remote-shell.ts); default: unless HAUP_SSH_SHELL=off. */
  shell?: boolean;
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
  private sftpSession: Promise<SftpFiles | null> | undefined;
  /** The long-lived bash that runs `sh -c` / `bash -c` scripts (remote-shell.ts); off with HAUP_SSH_SHELL=off. */
  private shell: RemoteShell | null = null;
  private shellOff: boolean;
  private scriptsSeen = 0;

  constructor(
    private readonly client: SshClient,
    private readonly endpoint: Endpoint,
    private readonly opts: SshTransportOptions,
  ) {
    this.user = endpoint.user;
    const addr = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
    this.name = opts.name ? `${opts.name} (${addr})` : addr;
    this.slots = new Slots(opts.maxChannels);
    this.shellOff = !(opts.shell ?? process.env['HAUP_SSH_SHELL'] !== 'off');
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
    const raw = await this.run(cmd, this.useSudo(opts.sudo), opts.stdin, opts.timeoutMs, opts.ownScript);
    return { code: raw.code, stdout: raw.stdout.toString('utf8'), stderr: raw.stderr.toString('utf8'), ...(raw.signal ? { signal: raw.signal } : {}) };
  }

  async put(path: string, content: Buffer | string, opts: { mode: number; owner?: string } & PutOptions): Promise<void> {
    await this.putFiles([{ path, content, mode: opts.mode, ...(opts.owner ? { owner: opts.owner } : {}) }], opts);
  }

  async putFiles(files: readonly FileToPut[], opts: PutOptions = {}): Promise<void> {
    assertValidFiles(files);
    if (files.length === 0) return;
    const data = files.map((f) => Buffer.from(f.content));
    const owners = files.map((f) => numericOwner(f.owner));
    const sftp = owners.every((o) => o !== null) ? await this.sftp(opts.sudo) : null;
    if (sftp) {
      const what = `writing ${files.length === 1 ? files[0]!.path : `${files.length} files`}`;
      return this.viaSftp(what, () => sftp.putFiles(files.map((f, i) => ({ path: f.path, data: data[i]!, mode: f.mode, ...owners[i] })), opts.backupSuffix));
    }
    const plan = files.map((f, i) => ({ path: f.path, size: data[i]!.length, mode: f.mode, ...(f.owner ? { owner: f.owner } : {}) }));
    const cmd = ['sh', '-c', putScript(plan, opts)];
    const raw = await this.run(cmd, this.useSudo(opts.sudo), Buffer.concat(data));
    if (raw.code !== 0) throw commandFailedError(this.name, cmd, this.text(raw), `writing ${files.length === 1 ? files[0]!.path : `${files.length} files`}`);
  }

  async get(path: string, opts: { sudo?: boolean } = {}): Promise<Buffer | null> {
    assertAbsolutePath(path);
    const sftp = await this.sftp(opts.sudo);
    if (sftp) return this.viaSftp(`reading ${path}`, () => sftp.get(path));
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
      this.shell?.close();
      await endWithin(this.client);
    }
    for (const hook of this.afterClose.splice(0)) await hook();
  }

  /** Runs once after close(), e.g. to end the jump host connection of a standalone transport. */
  onClosed(hook: () => Promise<void>): void {
    this.afterClose.push(hook);
  }

  /** The shared SFTP session, or null when files must go through the shell (sudo, 'exec' mode, no subsystem). */
  private async sftp(sudo: boolean | undefined): Promise<SftpFiles | null> {
    if (this.useSudo(sudo) || this.opts.fileTransfer === 'exec') return null;
    if (this.closed) throw this.closed;
    this.sftpSession ??= new Promise((resolve) => {
      try {
        this.client.sftp((err, s) => resolve(err ? null : new SftpFiles(s)));
      } catch {
        resolve(null);
      }
    });
    return this.sftpSession;
  }

  private async viaSftp<T>(what: string, op: () => Promise<T>): Promise<T> {
    this.roundTrips += 1;
    try {
      return await op();
    } catch (err) {
      if (this.closed) throw this.closed;
      throw new HaupError('HAUP_REMOTE_COMMAND', `${this.name}: ${what} failed`, {
        details: [`sftp: ${(err as Error).message}`],
        hint: 'check the path, its parent directories and free space on the host',
        cause: err,
      });
    }
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

  /** The script through the long-lived shell, or null when it must take a channel of its own. */
  private async viaShell(cmd: Command, sudo: boolean, stdin: string | Buffer | undefined, timeoutMs: number | undefined, own: boolean | 'in-place'): Promise<RawResult | null> {
    if (this.shellOff || sudo || (stdin !== undefined && stdin.length > 0)) return null;
    const s = shellScript(cmd, own);
    if (!s) return null;
    // The first script takes a channel of its own: starting the shell costs the host as much as that, and a run
    // that sends one script (a no-op deploy without kept connections) would gain nothing from it.
    if (!this.shell && this.scriptsSeen++ === 0) return null;
    if (!this.shell || this.shell.state === 'gone') this.shell = new RemoteShell((line, attach) => this.startChannel(line, attach));
    const shell = this.shell;
    const wasStarting = shell.state === 'starting';
    const ok = await shell.available();
    // No bash there, or the shell did not even start: plain channels from now on.
    if (!ok && (shell.unsupported || (wasStarting && shell.state === 'gone'))) this.shellOff = true;
    // Busy with another script (checked after the await, so two callers cannot both take it): a channel this time.
    if (shell.state !== 'idle') return null;
    this.roundTrips += 1;
    try {
      return await shell.run(s.shell, s.script, timeoutMs, () =>
        new HaupError('HAUP_REMOTE_COMMAND', `${this.name}: "${displayCommand(cmd)}" did not finish within ${timeoutMs} ms`, {
          hint: 'haup closed the shell it ran in; check whether it hangs when run by hand',
        }),
      );
    } catch (err) {
      if (err instanceof HaupError) throw err;
      throw this.closed ?? new HaupError('HAUP_SSH', `${this.name}: connection lost while running: ${displayCommand(cmd)}`, { cause: err });
    }
  }

  /** One command: through the long-lived shell when it can, else on a channel of its own. */
  private async run(cmd: Command, sudo: boolean, stdin?: string | Buffer, timeoutMs?: number, own: boolean | 'in-place' = false): Promise<RawResult> {
    if (this.closed) throw this.closed;
    const viaShell = await this.viaShell(cmd, sudo, stdin, timeoutMs, own);
    if (viaShell) return viaShell;
    return this.runOnChannel(cmd, sudo, stdin, timeoutMs);
  }

  /**
   * One command on one channel (with RemoteShell, the only places that talk to ssh2 after connecting). The shell's
   * own channel is outside `slots`: 8 commands + SFTP + the shell stay within sshd's default MaxSessions of 10.
   */
  private async runOnChannel(cmd: Command, sudo: boolean, stdin?: string | Buffer, timeoutMs?: number): Promise<RawResult> {
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
