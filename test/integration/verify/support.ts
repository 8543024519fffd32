// Test support for `haup status` / `haup verify` in a lab: inventories with chosen VRRP settings per pair,
// a real `haup deploy`, the CLI as a child process, and quick looks at the hosts (nsenter, no SSH).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { labPaths } from '../../../cli/lab/paths.js';
import { runDeploy } from '../../../cli/deploy/run.js';
import type { AgentStatus } from '../../../agent/status.js';
import type { StatusReport } from '../../../cli/status/report.js';
import type { VerifyReport } from '../../../cli/verify/report.js';
import { hostExec, type TestLab } from '../../support/lab.js';
import { REPO_ROOT } from '../../support/netns.js';

export interface PairSpec {
  name: string;
  /** 1-based lab host indexes of the master and the backup. */
  master: number;
  backup: number;
  vrid: number;
  version: 2 | 3;
  advertInt: number;
  preempt: boolean;
  /** Seconds between check runs (the nginx check of inventories/lab.yml). */
  checkInterval?: number;
  engine?: 'haup' | 'keepalived';
}

/** The VIP of a pair: .150 + its VRID (distinct per pair, never a host address). */
export function vipOf(lab: TestLab, p: PairSpec): string {
  return `${lab.subnet.split('.').slice(0, 3).join('.')}.${150 + p.vrid}`;
}

export function inventoryText(lab: TestLab, pairs: readonly PairSpec[]): string {
  const paths = labPaths(lab.name);
  const node = (i: number, prio: number) => {
    const h = lab.hosts[i - 1];
    if (!h) throw new Error(`lab ${lab.name} has no host ${i}`);
    return `{ name: ${h.name}, host: ${h.address}, priority: ${prio}, check: { start: [/usr/sbin/nginx, -c, ${paths.host(h.index).nginxConfig}, -e, /var/log/nginx/error.log] } }`;
  };
  const lines = [
    `# Generated for lab ${lab.name} by test/integration/verify/support.ts`,
    'defaults:',
    '  engine: haup',
    '  interface: eth0',
    '  ssh:',
    '    user: root',
    `    key: ${lab.keyPath}`,
    `    known_hosts: ${lab.knownHostsPath}`,
    'pairs:',
  ];
  for (const p of pairs) {
    lines.push(
      `  - name: ${p.name}`,
      `    vrid: ${p.vrid}`,
      ...(p.engine ? [`    engine: ${p.engine}`] : []),
      `    vrrp_version: ${p.version}`,
      `    advert_int: ${p.advertInt}`,
      `    preempt: ${p.preempt}`,
      p.version === 2 ? '    auth: { type: PASS, pass: haup-t5 }' : '    auth: none',
      `    check: { template: nginx, interval: ${p.checkInterval ?? 3}, weight: 0, rise: 1, fall: 1, service: nginx }`,
      `    vips: [{ address: ${vipOf(lab, p)}/24, dev: eth0 }]`,
      '    probe: { type: http, port: 80, path: / }',
      `    master: ${node(p.master, 100)}`,
      `    backup: ${node(p.backup, 99)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the inventory in the lab's state dir (removed with the lab). */
export function writeInventory(lab: TestLab, file: string, pairs: readonly PairSpec[]): string {
  const dir = join(lab.stateDir, 'inventories');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, inventoryText(lab, pairs));
  return path;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return { stream: new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c.toString()), cb()) }), text: () => chunks.join('') };
}

/** `haup deploy` in-process; throws with its output when it fails. */
export async function deploy(inventory: string, limit?: string[]): Promise<void> {
  const out = sink();
  const err = sink();
  try {
    await runDeploy({ inventory, ...(limit ? { limit } : {}) }, { out: out.stream, err: err.stream, progress: 'plain', color: false });
  } catch (e) {
    throw new Error(`deploy failed: ${(e as Error).message}\n${out.text()}\n${err.text()}`);
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The haup CLI from source, as a user runs it. */
export function haupArgv(args: readonly string[]): string[] {
  return [process.execPath, '--import', 'tsx', join(REPO_ROOT, 'cli/main.ts'), ...args];
}

export function haupSpawn(args: readonly string[]): { child: ChildProcess; done: Promise<CliRun>; stderrText: () => string } {
  const [file, ...rest] = haupArgv(args);
  const child = spawn(file as string, rest, { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
  return { child, done, stderrText: () => stderr };
}

export function haup(args: readonly string[]): Promise<CliRun> {
  return haupSpawn(args).done;
}

/** A host's agent status file, pidfile pid, addresses on eth0 and whether nginx runs (nsenter, one process). */
export interface HostLook {
  pid: number | null;
  running: boolean;
  status: AgentStatus | null;
  addresses: string[];
  nginx: boolean;
}

export async function look(lab: TestLab, host: string, pidfile = '/run/haup/haup-agent.pid'): Promise<HostLook> {
  const script = [
    `p=$(cat ${pidfile} 2>/dev/null); echo "pid=$p"`,
    'if [ -n "$p" ] && [ -e "/proc/$p" ] && ! grep -q "^State:.*Z" "/proc/$p/status"; then echo running=1; else echo running=0; fi',
    'n=$(cat /run/nginx.pid 2>/dev/null); if [ -n "$n" ] && [ "$(cat /proc/$n/comm 2>/dev/null)" = nginx ]; then echo nginx=1; else echo nginx=0; fi',
    'echo "addr=$(ip -o -4 addr show dev eth0 | awk \'{print $4}\' | tr \'\\n\' \' \')"',
    'echo state-begin; cat /run/haup/agent-state.json 2>/dev/null; echo state-end',
  ].join('\n');
  const r = await hostExec(lab, host, ['sh', '-c', script]);
  const get = (k: string) => /^(.*)$/m.exec(r.stdout.split('\n').find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1) ?? '')?.[1] ?? '';
  const state = r.stdout.split('state-begin\n')[1]?.split('state-end')[0]?.trim() ?? '';
  let status: AgentStatus | null = null;
  try {
    status = state ? (JSON.parse(state) as AgentStatus) : null;
  } catch {
    status = null;
  }
  return {
    pid: /^\d+$/.test(get('pid')) ? Number(get('pid')) : null,
    running: get('running') === '1',
    status,
    addresses: get('addr').trim().split(/\s+/).filter(Boolean).map((a) => a.split('/')[0] as string),
    nginx: get('nginx') === '1',
  };
}

/** The veth (bridge port, root side) of a lab host, from the lab's state file. */
export function bridgePort(lab: TestLab, host: string): string {
  const state = JSON.parse(readFileSync(join(lab.stateDir, 'state.json'), 'utf8')) as { hosts: { name: string; veth: string }[] };
  const h = state.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`lab ${lab.name} has no host ${host}`);
  return h.veth;
}

/** `haup verify --json` in-process: the parsed report and the error it ended with (null when it passed). */
export async function verifyJson(args: { inventory: string; limit?: string; mode?: 'stop' | 'kill' | 'check' | 'all'; margin?: number }): Promise<{ report: VerifyJson; error: Error | null; log: string }> {
  const { runVerify } = await import('../../../cli/verify/run.js');
  const out = sink();
  const err = sink();
  let error: Error | null = null;
  try {
    await runVerify({ ...args, json: true }, { out: out.stream, err: err.stream });
  } catch (e) {
    error = e as Error;
  }
  return { report: JSON.parse(out.text()) as VerifyJson, error, log: err.text() };
}

export type VerifyJson = VerifyReport & { interrupted: boolean };

/** `haup status --json` in-process. */
export async function statusJson(inventory: string, limit?: string): Promise<{ report: StatusReport; error: Error | null }> {
  const { runStatus } = await import('../../../cli/status/status.js');
  const out = sink();
  const err = sink();
  let error: Error | null = null;
  try {
    await runStatus({ inventory, json: true, ...(limit ? { limit } : {}) }, { out: out.stream, err: err.stream });
  } catch (e) {
    error = e as Error;
  }
  return { report: JSON.parse(out.text()) as StatusReport, error };
}
