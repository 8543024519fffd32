// Test support: two network namespaces joined by a veth pair, and worker processes inside them.
//
// Node cannot setns() itself, so code that must run inside a namespace runs in a worker child
// (`ip netns exec NS node --import tsx test/support/netns.ts --haup-net-worker`) driven by JSON
// lines over stdio: requests {id, op, ...} -> replies {id, result} | {id, error}, plus unsolicited
// events ({event: 'packet' | 'link', ...}). Every name starts with the prefix "ht3" and everything
// created is removed by recorded name / pid.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const THIS_FILE = fileURLToPath(import.meta.url);
export const REPO_ROOT = join(THIS_FILE, '..', '..', '..');

// ------------------------------------------------------------------------------------------------
// Preconditions

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function findBinary(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  for (const d of dirs) {
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why an integration test cannot run here, or undefined when it can. */
export function skipReason(binaries: readonly string[] = ['ip']): string | undefined {
  if (!isRoot()) return 'needs root: creates network namespaces and raw sockets (CI runs as root)';
  const missing = binaries.filter((b) => !findBinary(b));
  if (missing.length) return `needs ${missing.join(', ')} (apt-get install -y iproute2 keepalived tshark)`;
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// Commands

export function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: opts.timeoutMs ?? 10_000, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve({ stdout, stderr });
    });
  });
}

export function nsRun(ns: string, cmd: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args]);
}

/** Polls check() every intervalMs until it returns a value other than undefined/false. */
export async function waitUntil<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until pid is gone; a zombie (state Z, PID 1 reaps slowly) counts as gone. */
export async function waitPidGone(pid: number, timeoutMs = 5000): Promise<void> {
  await waitUntil(`pid ${pid} to exit`, () => {
    const r = spawnSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' });
    if (r.status !== 0) return true;
    const state = r.stdout.slice(r.stdout.lastIndexOf(')') + 2, r.stdout.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  }, timeoutMs);
}

// ------------------------------------------------------------------------------------------------
// Namespaces

export interface Host {
  ns: string;
  ifname: string;
  mac: string;
  ipv4: string;
  /** Link-local, added with nodad (usable at once). */
  ipv6ll: string;
  ipv6: string;
}

export interface Lab {
  a: Host;
  b: Host;
  /** Subnet prefix length of ipv4 / ipv6. */
  prefix4: number;
  prefix6: number;
  down(): Promise<void>;
}

/** Names for a lab with tag (<= 8 lowercase letters/digits): netns ht3-TAG-a/b, veth ht3TAGa/b. */
export function labNames(tag: string): { nsA: string; nsB: string; ifA: string; ifB: string } {
  if (!/^[a-z0-9]{1,8}$/.test(tag)) throw new Error(`lab tag must be 1..8 of [a-z0-9]: ${tag}`);
  return { nsA: `ht3-${tag}-a`, nsB: `ht3-${tag}-b`, ifA: `ht3${tag}a`, ifB: `ht3${tag}b` };
}

async function listNetns(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
}

/** Deletes this tag's namespaces (the veth pair dies with them) — left over from a crashed run. */
export async function removeLab(tag: string): Promise<void> {
  const { nsA, nsB } = labNames(tag);
  const existing = await listNetns();
  for (const ns of [nsA, nsB]) if (existing.includes(ns)) await run('ip', ['netns', 'del', ns]);
}

/**
 * Two namespaces A and B joined by a veth pair, each end with a fixed MAC, 10.203.0.1|2/24,
 * fe80::a|b/64 and fd03::a|b/64 (DAD off, no autogenerated link-local), waited until carrier is up.
 */
export async function createLab(tag: string): Promise<Lab> {
  const { nsA, nsB, ifA, ifB } = labNames(tag);
  await removeLab(tag);
  const a: Host = { ns: nsA, ifname: ifA, mac: '02:00:00:03:00:0a', ipv4: '10.203.0.1', ipv6ll: 'fe80::a', ipv6: 'fd03::a' };
  const b: Host = { ns: nsB, ifname: ifB, mac: '02:00:00:03:00:0b', ipv4: '10.203.0.2', ipv6ll: 'fe80::b', ipv6: 'fd03::b' };
  const lab: Lab = { a, b, prefix4: 24, prefix6: 64, down: () => removeLab(tag) };
  try {
    await run('ip', ['netns', 'add', nsA]);
    await run('ip', ['netns', 'add', nsB]);
    await run('ip', ['link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    for (const h of [a, b]) {
      // `ip -n NS` talks netlink inside NS without the mount-namespace set-up of `ip netns exec`.
      const keys = ['all', 'default', h.ifname].map((k) => `net.ipv6.conf.${k}.accept_dad=0`);
      await nsRun(h.ns, 'sysctl', ['-qw', ...keys]);
      await run('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', h.ns, 'link', 'set', h.ifname, 'address', h.mac, 'addrgenmode', 'none']);
      await run('ip', ['-n', h.ns, 'addr', 'add', `${h.ipv4}/24`, 'dev', h.ifname]);
      await run('ip', ['-n', h.ns, '-6', 'addr', 'add', `${h.ipv6ll}/64`, 'dev', h.ifname, 'nodad']);
      await run('ip', ['-n', h.ns, '-6', 'addr', 'add', `${h.ipv6}/64`, 'dev', h.ifname, 'nodad']);
      await run('ip', ['-n', h.ns, 'link', 'set', h.ifname, 'up']);
    }
    for (const h of [a, b]) {
      await waitUntil(`carrier on ${h.ifname}`, async () => {
        const { stdout } = await run('ip', ['-n', h.ns, '-j', 'link', 'show', 'dev', h.ifname]);
        return (JSON.parse(stdout) as { flags: string[] }[])[0]?.flags.includes('LOWER_UP');
      });
    }
    return lab;
  } catch (err) {
    await removeLab(tag).catch(() => undefined);
    throw err;
  }
}

// ------------------------------------------------------------------------------------------------
// Processes inside a namespace

export interface NsProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  output(): string;
  /** Sends a signal to the recorded pid and waits until it is gone (SIGKILL after timeoutMs). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

/** Starts cmd inside ns (ip netns exec execs in place, so the pid is the command's own). */
export function spawnInNs(ns: string, cmd: string, args: readonly string[]): NsProcess {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${cmd} in ${ns}`);
  return {
    pid,
    child,
    output: () => out,
    async stop(signal = 'SIGTERM', timeoutMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(pid, signal);
        await waitPidGone(pid, timeoutMs);
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await waitPidGone(pid, 5000);
      }
    },
  };
}

export interface WorkerEvent {
  event: string;
  [key: string]: unknown;
}

/** A node process inside a namespace running the worker loop at the end of this file. */
export class NsWorker {
  readonly events: WorkerEvent[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderr = '';
  private constructor(
    readonly ns: string,
    private readonly proc: ChildProcess,
    readonly pid: number,
  ) {}

  static async start(ns: string): Promise<NsWorker> {
    const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', THIS_FILE, '--haup-net-worker'], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (proc.pid === undefined) throw new Error(`could not start a worker in ${ns}`);
    const w = new NsWorker(ns, proc, proc.pid);
    proc.stderr?.on('data', (d: Buffer) => {
      w.stderr = (w.stderr + d.toString()).slice(-8192);
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => w.onLine(line));
    proc.on('exit', (code, signal) => {
      for (const p of w.pending.values()) p.reject(new Error(`worker in ${ns} exited (${signal ?? code}): ${w.stderr}`));
      w.pending.clear();
    });
    await w.request('ping', {});
    return w;
  }

  private onLine(line: string): void {
    let msg: { id?: number; result?: unknown; error?: { message: string; code?: string }; event?: string };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return; // not ours (stray output)
    }
    if (msg.event) {
      this.events.push(msg as WorkerEvent);
      return;
    }
    const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
    if (!p || msg.id === undefined) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
    else p.resolve(msg.result);
  }

  request<T = unknown>(op: string, params: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${this.ns}: ${op} got no answer in ${timeoutMs} ms; stderr: ${this.stderr}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.stdin!.write(`${JSON.stringify({ id, op, ...params })}\n`);
    });
  }

  /** Resolves with the first event (already received or coming) that matches. */
  waitForEvent(what: string, match: (e: WorkerEvent) => boolean, timeoutMs = 10_000): Promise<WorkerEvent> {
    return waitUntil(what, () => this.events.find(match), timeoutMs, 10);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.stdin!.end(); // the worker exits when its stdin closes
    try {
      await waitPidGone(this.pid, 5000);
    } catch {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await waitPidGone(this.pid, 5000);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// The worker side (runs inside the namespace)

async function runWorker(): Promise<void> {
  const socketMod = await import('../../agent/net/socket.js');
  const vips = await import('../../agent/net/vips.js');
  const garp = await import('../../agent/net/garp.js');
  const linkWatch = await import('../../agent/net/link-watch.js');
  const sockets = new Map<number, import('../../agent/net/socket.js').VrrpSocket>();
  const watchers: { stop(): void }[] = [];
  let nextHandle = 1;
  const emit = (msg: unknown) => process.stdout.write(`${JSON.stringify(msg)}\n`);
  const callable: Record<string, (...args: never[]) => unknown> = {
    addVip: vips.addVip,
    removeVip: vips.removeVip,
    showInterface: vips.showInterface,
    ipv6Forwarding: garp.ipv6Forwarding,
    ifIndex: socketMod.ifIndex,
  };
  const sock = (h: unknown) => {
    const s = sockets.get(Number(h));
    if (!s) throw new Error(`no socket ${String(h)}`);
    return s;
  };

  async function handle(req: Record<string, unknown>): Promise<unknown> {
    switch (req.op) {
      case 'ping':
        return { pid: process.pid };
      case 'open': {
        const s = socketMod.openVrrpSocket(req.opts as import('../../agent/net/socket.js').VrrpSocketOptions);
        const handleId = nextHandle++;
        sockets.set(handleId, s);
        return { handle: handleId, fd: s.fd, ifindex: s.ifindex };
      }
      case 'start': {
        const handleId = Number(req.handle);
        sock(handleId).start(
          (p) => emit({ event: 'packet', handle: handleId, hex: p.data.toString('hex'), src: p.src, dst: p.dst, ttl: p.ttl, ifindex: p.ifindex, truncated: p.truncated }),
          (err) => emit({ event: 'socket-error', handle: handleId, message: err.message, code: err.code }),
        );
        return true;
      }
      case 'send':
        return sock(req.handle).send(Buffer.from(String(req.hex), 'hex'), String(req.dst));
      case 'close':
        sock(req.handle).close();
        return true;
      case 'sendFrame':
        return socketMod.sendFrame(String(req.ifname), Buffer.from(String(req.hex), 'hex'));
      case 'sendGratuitous':
        return garp.sendGratuitous(String(req.ifname), Buffer.from(String(req.mac).split(':').map((x) => parseInt(x, 16))), String(req.vip), {
          router: req.router === true,
        });
      case 'watchLink': {
        const w = linkWatch.watchLink(String(req.ifname), (state) => emit({ event: 'link', state }), {
          onError: (err) => emit({ event: 'link-error', message: err.message }),
        });
        watchers.push(w);
        return true;
      }
      case 'call': {
        const fn = callable[String(req.fn)];
        if (!fn) throw new Error(`not callable: ${String(req.fn)}`);
        return await (fn as (...a: unknown[]) => unknown)(...((req.args as unknown[]) ?? []));
      }
      default:
        throw new Error(`unknown op ${String(req.op)}`);
    }
  }

  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    handle(req).then(
      (result) => emit({ id: req.id, result: result ?? null }),
      (err: NodeJS.ErrnoException) => emit({ id: req.id, error: { message: err.message, code: err.code } }),
    );
  });
  rl.on('close', () => {
    for (const s of sockets.values()) s.close();
    for (const w of watchers) w.stop();
    process.exit(0);
  });
}

if (process.argv.includes('--haup-net-worker')) {
  runWorker().catch((err: unknown) => {
    process.stderr.write(`haup net worker failed: ${String(err)}\n`);
    process.exit(1);
  });
}
