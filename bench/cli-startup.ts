// Prints the CPU time (user + sys, median of N runs) the built `haup` CLI process spends per command: start-up
// (--version, --help), a render of an example inventory, and, given a lab inventory, no-op deploys with SSH
// connections kept by the SSH keeper (then also the keeper's own CPU per run). CPU, not wall time: the machine
// is shared, and every millisecond the CLI spends competes with the lab's hosts for the same cores.
// Run after `npm run build`:
//   node --import tsx bench/cli-startup.ts [--runs 7] [--cli dist/cli/haup.js]... [--deploy lab-inventory.yml]...
// Several --cli (e.g. a copy of the build before a change, and after) are run in turn, run by run, so a change in
// the machine's load touches both alike.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { keeperDir } from '../cli/transport/keeper-paths.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    cli: { type: 'string', multiple: true, default: [join(import.meta.dirname, '..', 'dist/cli/haup.js')] },
    deploy: { type: 'string', multiple: true, default: [] },
  },
});
const runs = Number(values.runs);
const clis = values.cli.map((c) => resolve(c));
const repo = join(import.meta.dirname, '..');
const TICK_MS = 10; // USER_HZ is 100 on Linux: /proc/*/stat times are in 10 ms ticks

/** CPU ms (user + sys) of this process's waited-for children so far: fields 16-17 of /proc/self/stat. */
function childrenCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(f[13]) + Number(f[14])) * TICK_MS;
}

/** CPU ms of the running SSH keepers (processes `haup __keeper --socket <keeper dir>/...`). */
function keeperCpuMs(): number {
  const dir = keeperDir(process.env, process.getuid?.() ?? 0, tmpdir());
  let sum = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!argv.includes('__keeper') || !argv.some((a) => a.startsWith(`${dir}/`))) continue;
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      sum += (Number(f[11]) + Number(f[12])) * TICK_MS;
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

interface Sample {
  cli: number;
  keeper: number;
}

function measure(args: string[], check?: (stdout: string) => string | null): Sample {
  const c0 = childrenCpuMs();
  const k0 = keeperCpuMs();
  const r = spawnSync(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const sample = { cli: childrenCpuMs() - c0, keeper: keeperCpuMs() - k0 };
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().trim().split('\n').slice(0, 10).join('\n')}`);
  const wrong = check?.(r.stdout.toString());
  if (wrong) throw new Error(`${args.join(' ')}: ${wrong}`);
  return sample;
}

/** A measured deploy must be a no-op: a changed agent bundle or a failing host would measure something else. */
function noop(stdout: string): string | null {
  const report = JSON.parse(stdout) as { ok: boolean; changedHosts: number };
  return report.ok && report.changedHosts === 0 ? null : `not a no-op deploy (ok ${report.ok}, ${report.changedHosts} hosts changed)`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const out = mkdtempSync(join(tmpdir(), 'haup-bench-render-'));
const scenarios: { label: string; args: (cli: string) => string[]; warm?: boolean }[] = [
  { label: 'node -e 0 (Node itself)', args: () => ['-e', '0'] },
  { label: 'haup --version', args: (cli) => [cli, '--version'] },
  { label: 'haup --help', args: (cli) => [cli, '--help'] },
  { label: 'haup deploy --help', args: (cli) => [cli, 'deploy', '--help'] },
  { label: 'haup render inventories/example.yml', args: (cli) => [cli, 'render', 'inventories/example.yml', '--out', out] },
  { label: 'haup render inventories/lab-3pairs.yml', args: (cli) => [cli, 'render', 'inventories/lab-3pairs.yml', '--out', out] },
  ...values.deploy.map((inv) => ({ label: `haup deploy ${inv} --json (no-op, kept SSH)`, args: (cli: string) => [cli, 'deploy', resolve(inv), '--json'], warm: true })),
];

console.log(`bench/cli-startup: median of ${runs} runs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
clis.forEach((c, i) => console.log(`  CLI ${i + 1}: ${c}`));
const cols = clis.map((_, i) => `CLI ${i + 1} CPU ms (min..max)${values.deploy.length ? ' / keeper ms' : ''}`);
console.log(`| command | ${cols.join(' | ')} |`);
console.log(`|---|${cols.map(() => '---|').join('')}`);
try {
  for (const s of scenarios) {
    // The first deploy starts the CLI's keeper and connects (each build has its own keeper); later runs reuse both.
    if (s.warm) for (const c of clis) measure(s.args(c));
    const samples: Sample[][] = clis.map(() => []);
    for (let r = 0; r < runs; r++) clis.forEach((c, i) => samples[i]?.push(measure(s.args(c), s.warm ? noop : undefined)));
    const cells = samples.map((xs) => {
      const cpu = xs.map((x) => x.cli);
      return `${median(cpu)} (${Math.min(...cpu)}..${Math.max(...cpu)})${s.warm ? ` / ${median(xs.map((x) => x.keeper))}` : ''}`;
    });
    console.log(`| ${s.label} | ${cells.join(' | ')} |`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
