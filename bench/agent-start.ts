// CPU and wall time from exec to the first status file of the built haup agent (what `haup deploy` waits for before
// it moves on), next to a bare node script that only writes a file: the floor any Node program pays here.
//
// Run as root after `npm run build`: node --import tsx bench/agent-start.ts [--rounds 20] [--compare BUNDLE] [--json]
// One network namespace pair (ht3-astart-a/b, removed at the end); each start runs in A under `nsenter --net` with an
// empty environment (as an sshd with `UsePAM no` starts it), so nothing of this shell, such as NODE_EXTRA_CA_CERTS,
// weighs on it. Variants, interleaved per round so all see the same machine load:
//   bare          node running a one-line script that writes the status file
//   agent         the agent with one VRRP instance (v2, advert_int 1), as bench/deploy's pairs
//   agent+check   the same with a vrrp_script tracked by the instance, as lab.yml's pairs (nginx check)
// --compare BUNDLE adds both agent variants run from another haup-agent.cjs (with its haup_raw.node next to it),
// e.g. a copy of dist/agent from before a change.
// CPU = the process's threads' run time (/proc/PID/task/*/schedstat) when the status file appears.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_NODE, agentBundle } from '../test/support/agent.js';
import { createLab, isRoot } from '../test/support/netns.js';
import { median } from './support/report.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' }, compare: { type: 'string' }, json: { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);

if (!isRoot()) {
  console.error('bench/agent-start: needs root (network namespaces)');
  process.exit(5);
}

/** Run time in ms of all live threads of pid (schedstat's first field is nanoseconds on the CPU). */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

function config(ifname: string, script: string | null): string {
  return [
    'global_defs {',
    '  router_id bench',
    ...(script ? ['  enable_script_security', '  script_user root'] : []),
    '}',
    ...(script ? [`vrrp_script chk {`, `  script "${script}"`, '  interval 3', '  timeout 10', '  weight 0', '  rise 1', '  fall 1', '}'] : []),
    'vrrp_instance VI_1 {',
    '  state MASTER',
    `  interface ${ifname}`,
    '  virtual_router_id 51',
    '  priority 100',
    '  advert_int 1',
    '  authentication {',
    '    auth_type PASS',
    '    auth_pass bench',
    '  }',
    '  virtual_ipaddress {',
    '    10.203.0.100/24',
    '  }',
    ...(script ? ['  track_script {', '    chk', '  }'] : []),
    '}',
    '',
  ].join('\n');
}

interface Sample {
  cpuMs: number;
  wallMs: number;
}

interface Variant {
  name: string;
  argv: string[];
  /** An agent: its first status must name its instance, so the bench times a real start, not a failed one. */
  agent: boolean;
}

/** Starts the variant in the namespace, waits for stateFile, samples, kills, waits for the exit. */
async function startOnce(ns: string, { argv, agent }: Variant, stateFile: string): Promise<Sample> {
  rmSync(stateFile, { force: true });
  const t0 = performance.now();
  const child = spawn('nsenter', [`--net=/run/netns/${ns}`, '--', 'env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', ...argv], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const pid = child.pid as number;
  try {
    for (;;) {
      if (existsSync(stateFile)) break;
      if (child.exitCode !== null) throw new Error(`${argv.join(' ')} exited with ${child.exitCode} before writing ${stateFile}`);
      if (performance.now() - t0 > 10_000) throw new Error(`${argv.join(' ')} wrote no ${stateFile} within 10 s`);
      await sleep(1);
    }
    const sample = { cpuMs: cpuMs(pid), wallMs: performance.now() - t0 };
    const text = agent ? readFileSync(stateFile, 'utf8') : '';
    if (agent && !text.includes('"VI_1"')) throw new Error(`${argv.join(' ')}: the first status does not name VI_1:\n${text}`);
    return sample;
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

const lab = await createLab('astart');
const dir = mkdtempSync(join(tmpdir(), 'haup-bench-start-'));
try {
  const { js } = await agentBundle();
  const stateFile = join(dir, 'agent-state.json');
  const check = join(dir, 'check.sh');
  writeFileSync(check, '#!/bin/sh\nexit 0\n');
  chmodSync(check, 0o755);
  writeFileSync(join(dir, 'plain.conf'), config(lab.a.ifname, null));
  writeFileSync(join(dir, 'check.conf'), config(lab.a.ifname, check));
  writeFileSync(join(dir, 'bare.cjs'), `require('fs').writeFileSync(${JSON.stringify(stateFile)}, 'x'); setTimeout(() => {}, 60000);\n`);
  const agentRun = (name: string, bundle: string, conf: string): Variant => ({
    name,
    argv: [AGENT_NODE, bundle, 'run', '-f', join(dir, conf), '--state-file', stateFile, '--pid-file', join(dir, 'agent.pid')],
    agent: true,
  });
  const variants: Variant[] = [
    { name: 'bare', argv: [AGENT_NODE, join(dir, 'bare.cjs')], agent: false },
    agentRun('agent', js, 'plain.conf'),
    agentRun('agent+check', js, 'check.conf'),
    ...(values.compare ? [agentRun('agent (compare)', values.compare, 'plain.conf'), agentRun('agent+check (compare)', values.compare, 'check.conf')] : []),
  ];
  const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
  await startOnce(lab.a.ns, variants[1]!, stateFile); // warm the page cache
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      samples.get(v.name)!.push(await startOnce(lab.a.ns, v, stateFile));
      await sleep(20);
    }
  }
  const rows = variants.map(({ name }) => {
    const s = samples.get(name)!;
    return { variant: name, cpuMs: median(s.map((x) => x.cpuMs)), wallMs: median(s.map((x) => x.wallMs)) };
  });
  if (values.json) console.log(JSON.stringify({ node: AGENT_NODE, rounds, rows }));
  else {
    console.log(`bench/agent-start: ${rounds} starts each, interleaved; node ${AGENT_NODE}; median to the first status file`);
    const bare = rows[0]!;
    for (const r of rows) console.log(`  ${r.variant.padEnd(22)} CPU ${r.cpuMs.toFixed(1).padStart(6)} ms  wall ${r.wallMs.toFixed(1).padStart(6)} ms${r === bare ? '' : `  (+${(r.cpuMs - bare.cpuMs).toFixed(1)} ms CPU over bare)`}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await lab.down();
}
