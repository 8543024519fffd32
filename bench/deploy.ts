// Times `haup deploy` (the built CLI, one process per run, as a user runs it) in a lab: cold (no agent on any node;
// done = every VIP on its master), no-op (nothing changed) and a second no-op for 1, 5 and 20 pairs, median of 3, each with fresh SSH
// connections (HAUP_SSH_PERSIST=0) and with connections kept open by the SSH keeper, and prints a table. Where the
// machine has cgroup v1 cpuacct it also prints the CPU the lab hosts and the CLI (with its keeper) used.
// Run as root after `npm run build`:
//   node --import tsx bench/deploy.ts [--pairs 1,5,20] [--rounds 3] [--name t4bench] [--keep] [--check-script]
// Without --check-script the pairs have no vrrp_script: in the lab, 40 "servers" share 2 CPUs, and 40 nginx checks
// every 3 s (each a few forks) load the one machine in a way separate servers would not.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DeployReport } from '../cli/deploy/report.js';
import { hostExec, labSkipReason, startLab, type TestLab } from '../test/support/lab.js';
import { writeLabInventory, type InventoryOptions } from '../test/integration/deploy/lab-inventory.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '1,5,20' },
    rounds: { type: 'string', default: '3' },
    name: { type: 'string', default: 't4bench' },
    keep: { type: 'boolean', default: false },
    'check-script': { type: 'boolean', default: false },
  },
});
const sizes = values.pairs.split(',').map(Number);
const rounds = Number(values.rounds);
const repo = join(import.meta.dirname, '..');
const cli = join(repo, 'dist/cli/haup.js');

const why = labSkipReason() ?? (existsSync(cli) && existsSync(join(repo, 'dist/agent/haup-agent.cjs')) ? undefined : 'needs the build: npm run build');
if (why) {
  console.error(`bench/deploy: ${why}`);
  process.exit(5);
}

interface Run {
  wallMs: number;
  report: DeployReport;
  /** CPU seconds of the lab hosts (their sshd and everything started from it: scripts, agents) during the run. */
  labCpuS: number | null;
  /** CPU seconds of `haup deploy` itself (and of the SSH keeper it talks to, which runs in the same group). */
  cliCpuS: number | null;
}

/**
 * CPU accounting with cgroup v1 cpuacct when the machine has it: the lab's sshd listeners go into one group (so
 * every session, script and agent they start counts there) and each `haup deploy` into another. On 2 shared cores
 * the 40 lab "servers" compete with the CLI, so wall time alone does not say whose work it is.
 */
const CPUACCT = '/sys/fs/cgroup/cpuacct';
const groups = existsSync(join(CPUACCT, 'cgroup.procs')) ? { lab: join(CPUACCT, `haup-bench-${values.name}-lab`), cli: join(CPUACCT, `haup-bench-${values.name}-cli`) } : null;
const usage = (g: string | undefined) => (g ? Number(readFileSync(join(g, 'cpuacct.usage'), 'utf8')) / 1e9 : NaN);

type Mode = 'fresh' | 'kept';

/**
 * One `haup deploy --json` process; wall time from spawn to exit. fresh: HAUP_SSH_PERSIST=0, every run opens its own
 * SSH connections; kept: the default, connections kept open by the SSH keeper from the run before.
 */
function deployOnce(inventory: string, mode: Mode): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const env = { ...process.env, HAUP_SSH_PERSIST: mode === 'fresh' ? '0' : '60' };
    const argv = [cli, 'deploy', inventory, '--json', '--concurrency', '20'];
    const lab0 = usage(groups?.lab);
    const cli0 = usage(groups?.cli);
    // In the CLI's group from its first instruction: sh joins it, then execs node.
    const child = groups
      ? spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', groups.cli, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env })
      : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`deploy exited ${code}: ${err.trim().split('\n').slice(0, 30).join('\n')}`));
      const cpu = (now: number, before: number) => (Number.isFinite(now - before) ? now - before : null);
      resolve({ wallMs, report: JSON.parse(out) as DeployReport, labCpuS: cpu(usage(groups?.lab), lab0), cliCpuS: cpu(usage(groups?.cli), cli0) });
    });
  });
}

/** Back to cold: stop each host's agent (SIGTERM via its pidfile) and remove what deploy pushed. */
async function reset(lab: TestLab, hosts: number): Promise<void> {
  const script = 'p=$(cat /run/haup/haup-agent.pid 2>/dev/null); [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; ' +
    'n=0; while [ -n "$p" ] && [ -d /proc/$p ] && ! grep -q "^State:.*Z" /proc/$p/status && [ $n -lt 250 ]; do sleep 0.02; n=$((n+1)); done; ' +
    'rm -rf /etc/haup/* /opt/haup/* /run/haup';
  await Promise.all(lab.hosts.slice(0, hosts).map(async (h) => {
    const r = await hostExec(lab, h, ['sh', '-c', script]);
    if (r.code !== 0) throw new Error(`reset ${h.name}: ${r.stderr}`);
  }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const variants: { label: string; opts: Partial<InventoryOptions> }[] = [
  { label: 'v2 advert_int 1 (lab.yml)', opts: {} },
  { label: 'v3 advert_int 0.2', opts: { vrrpVersion: 3, advertInt: 0.2 } },
];

/** `haup disconnect`: no kept connection survives into the next measurement. */
function disconnect(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'disconnect'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve());
  });
}

const maxHosts = 2 * Math.max(...sizes);
console.log(`bench/deploy: lab ${values.name} with ${maxHosts} hosts, ${rounds} rounds, ${values['check-script'] ? 'with' : 'without'} the nginx check script, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const lab = await startLab({ name: values.name, hosts: maxHosts });
if (groups) {
  for (const g of Object.values(groups)) mkdirSync(g, { recursive: true });
  for (const h of lab.hosts) writeFileSync(join(groups.lab, 'cgroup.procs'), String(h.sshdPid));
}
const rows: string[][] = [];
try {
  for (const pairs of sizes) {
    for (const v of variants) {
      const inv = writeLabInventory(lab, `bench-${pairs}-${v.opts.advertInt ?? 1}.yml`, { pairs, check: values['check-script'], ...v.opts });
      for (const mode of ['fresh', 'kept'] as const) {
        const cold: Run[] = [];
        const noop: Run[] = [];
        const again: Run[] = [];
        await disconnect();
        // kept: a first no-op run opens the connections the measured runs reuse (the keeper outlives each run).
        if (mode === 'kept') await deployOnce(inv, mode);
        for (let r = 0; r < rounds; r++) {
          await reset(lab, 2 * pairs);
          const c = await deployOnce(inv, mode);
          if (!c.report.pairs.every((p) => p.converged)) throw new Error(`cold deploy of ${pairs} pairs did not converge`);
          cold.push(c);
          const n = await deployOnce(inv, mode);
          if (n.report.changedHosts !== 0) throw new Error(`no-op deploy of ${pairs} pairs changed ${n.report.changedHosts} hosts`);
          noop.push(n);
          // A second no-op, as a pipeline that deploys again and again sees it (the facts' hash cache is warm).
          const a = await deployOnce(inv, mode);
          if (a.report.changedHosts !== 0) throw new Error(`second no-op deploy of ${pairs} pairs changed ${a.report.changedHosts} hosts`);
          again.push(a);
        }
        const converge = median(cold.map((c) => Math.max(...c.report.pairs.map((p) => p.timings.convergeMs ?? 0))));
        const cpu = (runs: Run[]) => {
          const lab = median(runs.map((r) => r.labCpuS ?? NaN));
          const cl = median(runs.map((r) => r.cliCpuS ?? NaN));
          return Number.isFinite(lab) ? `${lab.toFixed(1)} + ${cl.toFixed(1)} s` : 'n/a';
        };
        rows.push([
          String(pairs), String(2 * pairs), v.label, mode,
          s(median(cold.map((c) => c.wallMs))), s(median(cold.map((c) => c.report.durationMs))), s(converge), cpu(cold),
          s(median(noop.map((c) => c.wallMs))), s(median(noop.map((c) => c.report.durationMs))), cpu(noop),
          s(median(again.map((c) => c.wallMs))), cpu(again),
        ]);
        console.log(`  ${pairs} pairs, ${v.label}, ${mode} SSH: cold ${cold.map((c) => s(c.wallMs)).join(' / ')}, no-op ${noop.map((c) => s(c.wallMs)).join(' / ')}, again ${again.map((c) => s(c.wallMs)).join(' / ')}`);
      }
    }
  }
} finally {
  await disconnect();
  if (!values.keep) await lab.down();
  // A group can go once its processes have: the keeper and the lab are gone now (with --keep the lab group stays).
  if (groups) {
    for (const g of Object.values(groups)) {
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(g);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  }
}

const head = ['pairs', 'hosts', 'VRRP', 'SSH', 'cold (process)', 'cold (in run)', 'of it: converge', 'cold CPU lab + CLI', 'no-op (process)', 'no-op (in run)', 'no-op CPU lab + CLI', 'no-op again (process)', 'again CPU lab + CLI'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
console.log(`\nmedian of ${rounds} (cold = every VIP on its master; no-op = the run right after it; again = one more no-op, with the facts' hash cache warm; process = spawn to exit of \`haup deploy\`; SSH fresh = HAUP_SSH_PERSIST=0, kept = connections kept by the SSH keeper from the run before):`);
console.log(line(head));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?'} CPUs`);
