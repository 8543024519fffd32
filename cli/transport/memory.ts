// Package memory implements Transport on a fake filesystem with scripted commands, for unit and contract tests.
import { createHash } from 'node:crypto';
import { HaupError } from '../errors.js';
import {
  assertAbsolutePath,
  assertValidFiles,
  displayCommand,
  type Command,
  type ExecOptions,
  type ExecResult,
  type FileFact,
  type FileToPut,
  type PutOptions,
  type Transport,
} from './transport.js';

export interface MemoryFile {
  content: Buffer;
  mode: number;
  owner: string;
  group: string;
}

export interface MemoryFileSpec {
  content: string | Buffer;
  mode?: number;
  owner?: string;
  group?: string;
}

export interface ExecCall {
  /** The command as displayed (argv quoted and joined). */
  command: string;
  stdin: Buffer;
  sudo: boolean;
}

/** Answers a command, or returns undefined to let the next script try. */
export type CommandScript = (call: ExecCall, t: MemoryTransport) => ExecResult | undefined;

export interface MemoryOptions {
  name?: string;
  user?: string;
  /** Initial files: content, or content with mode/owner. */
  files?: Record<string, string | Buffer | MemoryFileSpec>;
  scripts?: CommandScript[];
  /** Users (and same-named groups) that exist; with ids. Default root=0. */
  users?: Record<string, number>;
  /** The transport's default for `sudo`, as in SshOptions. */
  sudo?: boolean;
}

/** Script helper: answer one exact command (as displayed) or commands matching a RegExp. */
export function reply(match: string | RegExp, result: Partial<ExecResult> | ((call: ExecCall) => Partial<ExecResult>)): CommandScript {
  return (call) => {
    const hit = typeof match === 'string' ? call.command === match : match.test(call.command);
    if (!hit) return undefined;
    const r = typeof result === 'function' ? result(call) : result;
    return { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.signal ? { signal: r.signal } : {}) };
  };
}

export class MemoryTransport implements Transport {
  readonly name: string;
  readonly user: string;
  readonly files = new Map<string, MemoryFile>();
  readonly calls: ExecCall[] = [];
  readonly scripts: CommandScript[];
  readonly users: Record<string, number>;
  roundTrips = 0;
  private broken: HaupError | null = null;
  private readonly defaultSudo: boolean;

  constructor(opts: MemoryOptions = {}) {
    this.name = opts.name ?? 'memory';
    this.user = opts.user ?? 'root';
    this.scripts = [...(opts.scripts ?? [])];
    this.users = { root: 0, ...(opts.users ?? {}) };
    this.defaultSudo = opts.sudo ?? true;
    for (const [path, f] of Object.entries(opts.files ?? {})) {
      const spec: MemoryFileSpec = typeof f === 'string' || Buffer.isBuffer(f) ? { content: f } : f;
      this.files.set(path, {
        content: Buffer.from(spec.content),
        mode: spec.mode ?? 0o644,
        owner: spec.owner ?? 'root',
        group: spec.group ?? spec.owner ?? 'root',
      });
    }
  }

  /** Every later call throws this (simulates a dropped connection or an unreachable host). */
  breakConnection(err?: HaupError): void {
    this.broken = err ?? new HaupError('HAUP_SSH', `${this.name}: connection lost`);
  }

  private roundTrip(): void {
    if (this.broken) throw this.broken;
    this.roundTrips += 1;
  }

  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    this.roundTrip();
    const call: ExecCall = {
      command: displayCommand(cmd),
      stdin: Buffer.from(opts.stdin ?? ''),
      sudo: (opts.sudo ?? this.defaultSudo) && this.user !== 'root',
    };
    this.calls.push(call);
    for (const script of this.scripts) {
      const r = script(call, this);
      if (r) return r;
    }
    return { code: 127, stdout: '', stderr: `sh: memory transport has no script for: ${call.command}\n` };
  }

  async put(path: string, content: Buffer | string, opts: { mode: number; owner?: string } & PutOptions): Promise<void> {
    await this.putFiles([{ path, content, mode: opts.mode, ...(opts.owner ? { owner: opts.owner } : {}) }], opts);
  }

  async putFiles(files: readonly FileToPut[], opts: PutOptions = {}): Promise<void> {
    assertValidFiles(files);
    if (files.length === 0) return;
    this.roundTrip();
    // Validate everything first: like the real transports, a failure replaces nothing.
    const failed = (detail: string) =>
      new HaupError('HAUP_REMOTE_COMMAND', `${this.name}: writing ${files.length === 1 ? files[0]!.path : `${files.length} files`} failed`, { details: [detail] });
    const next = files.map((f) => {
      const [owner = this.user, group = owner] = (f.owner ?? '').split(':').filter(Boolean);
      for (const who of [owner, group]) {
        if (!(who in this.users) && !/^\d+$/.test(who)) {
          throw failed(`chown: invalid user: '${f.owner}'`);
        }
      }
      const parentIsFile = ancestors(f.path).find((d) => this.files.has(d));
      if (parentIsFile) throw failed(`mkdir: ${parentIsFile}: Not a directory`);
      if (this.isDirectory(f.path)) throw failed(`mv: cannot overwrite directory '${f.path}'`);
      return { path: f.path, file: { content: Buffer.from(f.content), mode: f.mode, owner, group } };
    });
    for (const { path, file } of next) {
      const old = this.files.get(path);
      if (old && opts.backupSuffix) this.files.set(path + opts.backupSuffix, old);
      this.files.set(path, file);
    }
  }

  async get(path: string, _opts: { sudo?: boolean } = {}): Promise<Buffer | null> {
    assertAbsolutePath(path);
    this.roundTrip();
    const f = this.files.get(path);
    if (f) return Buffer.from(f.content);
    if (this.isDirectory(path)) throw new HaupError('HAUP_REMOTE_COMMAND', `${this.name}: reading ${path} failed`, { details: [`cat: ${path}: Is a directory`] });
    return null;
  }

  async statFiles(paths: readonly string[], _opts: { sudo?: boolean } = {}): Promise<Map<string, FileFact>> {
    paths.forEach(assertAbsolutePath);
    const facts = new Map<string, FileFact>();
    if (paths.length === 0) return facts;
    this.roundTrip();
    for (const path of paths) {
      const f = this.files.get(path);
      if (f) {
        facts.set(path, {
          path, exists: true, type: 'file', mode: f.mode, owner: f.owner, group: f.group,
          uid: this.idOf(f.owner), gid: this.idOf(f.group), size: f.content.length,
          sha256: createHash('sha256').update(f.content).digest('hex'),
        });
      } else if (this.isDirectory(path)) {
        facts.set(path, { path, exists: true, type: 'directory', mode: 0o755, owner: 'root', group: 'root', uid: 0, gid: 0, size: 4096, sha256: null });
      } else {
        facts.set(path, { path, exists: false });
      }
    }
    return facts;
  }

  async close(): Promise<void> {
    this.broken ??= new HaupError('HAUP_SSH', `${this.name}: transport is closed`);
  }

  /** Directories exist implicitly: "/" and every ancestor of a file. */
  isDirectory(path: string): boolean {
    if (path === '/') return true;
    const prefix = `${path}/`;
    for (const p of this.files.keys()) if (p.startsWith(prefix)) return true;
    return false;
  }

  private idOf(name: string): number {
    return /^\d+$/.test(name) ? Number(name) : (this.users[name] ?? 65534);
  }
}

function ancestors(path: string): string[] {
  const parts = path.split('/').slice(1, -1);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}
