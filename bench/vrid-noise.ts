// CPU of one idle haup agent on a busy VRRP segment, with and without its VRID filters (other routers' adverts).
//
// Run as root: node --import tsx bench/vrid-noise.ts [--others 19] [--advert-int 0.2] [--window 20] [--rounds 2]
//   [--modes filtered,unfiltered] [--addon PATH] [--json]
// Two network namespaces joined by a veth pair (hb-noise-a / hb-noise-b, removed at the end). In B a raw socket
// sends VRRPv3 adverts for VRID 1 (priority 200, so the agent in A is its BACKUP, as half of a pair) and for
// --others further VRIDs, each every --advert-int seconds, spread evenly. The agent in A serves VRID 1 only.
// For each mode it waits until the agent is BACKUP with the sender as master, then reads utime+stime from
// /proc/PID/stat over --window seconds, and the per-socket packet counts from the status file.
//   filtered    the agent as shipped: only VRID 1 wakes it, the others are drained once a second
//   unfiltered  HAUP_VRID_FILTER=off: every advert wakes it (the agent before VRID filters)
//   addon       (with --addon PATH) an addon built before VRID filters, e.g. from an older release
// Modes alternate per round so both see the same machine load.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { openVrrpSocket } from '../agent/net/socket.js';
import type { AgentStatusWithSockets } from '../agent/runtime/status-view.js';
import { encodeAdvert } from '../agent/vrrp/packet.js';
import { AGENT_NODE, agentBundle } from '../test/support/agent.js';
import { isRoot, REPO_ROOT, run, spawnInNs, waitPidGone, waitUntil, type NsProcess } from '../test/support/netns.js';
import { clockTicks, sampleProcess } from './support/proc-stats.js';

const NS = { a: 'hb-noise-a', b: 'hb-noise-b' } as const;
const IF = { a: 'haupBna', b: 'haupBnb' } as const;
const ADDR = { a: '10.209.1.1', b: '10.209.1.2' } as const;
const GROUP = '224.0.0.18';
const OWN_VRID = 1;
const OWN_VIP = '10.209.1.200';

// ------------------------------------------------------------------------------------------------
// Sender mode (runs inside namespace B): node --import tsx bench/vrid-noise.ts --sender IF SRC VRIDS INTERVAL_S

async function runSender(ifname: string, src: string, vrids: number, intervalS: number): Promise<void> {
  const sock = openVrrpSocket({ family: 4, ifname, srcAddr: src, multicast: true });
  const adverts = Array.from({ length: vrids }, (_, i) =>
    encodeAdvert(
      { version: 3, vrid: i + 1, priority: i + 1 === OWN_VRID ? 200 : 100, intervalCs: Math.round(intervalS * 100), addresses: [i + 1 === OWN_VRID ? OWN_VIP : `10.209.1.${100 + i}`], authType: 0, authData: new Uint8Array(0) },
      { family: 4, src, dst: GROUP },
    ),
  );
  // One advert every interval / vrids, round robin; the schedule is kept against drift.
  const stepMs = (intervalS * 1000) / vrids;
  const start = performance.now();
  let sent = 0;
  const tick = () => {
    const due = Math.floor((performance.now() - start) / stepMs) + 1;
    for (; sent < due; sent++) sock.send(adverts[sent % vrids] as Uint8Array, GROUP);
    setTimeout(tick, Math.max(1, start + sent * stepMs - performance.now()));
  };
  tick();
  process.stdout.write('sending\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    sock.close();
    process.exit(0);
  });
}

// ------------------------------------------------------------------------------------------------
// Bench mode

type Mode = 'filtered' | 'unfiltered' | 'addon';

interface Row {
  mode: Mode;
  round: number;
  windowS: number;
  cpuMs: number;
  /** Packets read on a wakeup, drained in batches, and other-VRID drops counted, per second. */
  readPerS: number;
  drainedPerS: number;
  vridPerS: number;
  wakeVrids: number[] | null;
}

async function setUp(): Promise<void> {
  await tearDown();
  await run('ip', ['netns', 'add', NS.a]);
  await run('ip', ['netns', 'add', NS.b]);
  await run('ip', ['link', 'add', IF.a, 'netns', NS.a, 'type', 'veth', 'peer', 'name', IF.b, 'netns', NS.b]);
  for (const h of ['a', 'b'] as const) {
    await run('ip', ['-n', NS[h], 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', NS[h], 'addr', 'add', `${ADDR[h]}/24`, 'dev', IF[h]]);
    await run('ip', ['-n', NS[h], 'link', 'set', IF[h], 'up']);
  }
  for (const h of ['a', 'b'] as const) {
    await waitUntil(`carrier on ${IF[h]}`, async () => (await run('ip', ['-n', NS[h], 'link', 'show', 'dev', IF[h]])).stdout.includes('LOWER_UP'));
  }
}

async function tearDown(): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list']);
  const existing = stdout.split('\n').map((l) => l.split(' ')[0]);
  for (const ns of [NS.a, NS.b]) if (existing.includes(ns)) await run('ip', ['netns', 'del', ns]);
}

function agentConf(advertInt: number): string {
  return [
    'global_defs {\n  router_id hb-noise\n}',
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${IF.a}\n  virtual_router_id ${OWN_VRID}\n  version 3\n  priority 100\n  advert_int ${advertInt}`,
    `  virtual_ipaddress {\n    ${OWN_VIP}/24\n  }\n}\n`,
  ].join('\n');
}

function readStatus(file: string): AgentStatusWithSockets | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AgentStatusWithSockets;
  } catch {
    return undefined;
  }
}

async function measure(mode: Mode, round: number, dir: string, opts: { windowS: number; addon: string | undefined }): Promise<Row> {
  const { js } = await agentBundle();
  const stateFile = join(dir, `state-${mode}-${round}.json`);
  const env = mode === 'unfiltered' ? ['HAUP_VRID_FILTER=off'] : mode === 'addon' ? [`HAUP_ADDON=${opts.addon}`] : [];
  const agent: NsProcess = spawnInNs(NS.a, 'env', [...env, AGENT_NODE, js, 'run', '-f', join(dir, 'keepalived.conf'), '--state-file', stateFile, '--pid-file', join(dir, 'agent.pid')]);
  const cpuTicks = () => {
    try {
      return sampleProcess(agent.pid).cpuTicks;
    } catch (err) {
      throw new Error(`the ${mode} agent is gone (${(err as Error).message})\n--- agent output:\n${agent.output()}`);
    }
  };
  try {
    const ready = await waitUntil(`the ${mode} agent as BACKUP of ${ADDR.b}`, () => {
      const s = readStatus(stateFile);
      return s?.instances[0]?.state === 'BACKUP' && s.instances[0].masterSeen === ADDR.b && s;
    }, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- agent output:\n${agent.output()}`);
    });
    await sleep(2000); // start-up work (compilation, the first status writes) is not idle cost
    const before = cpuTicks();
    const b = readStatus(stateFile) ?? ready;
    const t0 = performance.now();
    await sleep(opts.windowS * 1000);
    const used = cpuTicks() - before;
    const windowS = (performance.now() - t0) / 1000;
    process.kill(agent.pid, 'SIGHUP'); // the reload writes the status file now (no need to wait up to 5 s for it)
    const a = await waitUntil('a status file written after the window', () => {
      const s = readStatus(stateFile);
      return s && s.updatedAt > new Date(Date.now() - 500).toISOString() && s;
    }, 10_000);
    const sock = (s: AgentStatusWithSockets) => s.sockets[0];
    // Counts are compared over the status files' own interval, which covers the CPU window.
    const span = (Date.parse(a.updatedAt) - Date.parse(b.updatedAt)) / 1000;
    return {
      mode,
      round,
      windowS,
      cpuMs: (used / clockTicks()) * 1000,
      readPerS: ((sock(a)?.read ?? 0) - (sock(b)?.read ?? 0)) / span,
      drainedPerS: ((sock(a)?.drained ?? 0) - (sock(b)?.drained ?? 0)) / span,
      vridPerS: ((a.instances[0]?.counters.vrid ?? 0) - (b.instances[0]?.counters.vrid ?? 0)) / span,
      wakeVrids: sock(a)?.wakeVrids ?? null,
    };
  } finally {
    await agent.stop('SIGTERM', 10_000);
  }
}

function format(rows: Row[], others: number, advertInt: number): string {
  const head = `one idle haup agent (BACKUP of VRID ${OWN_VRID}) hearing ${others} other VRIDs at advert_int ${advertInt} (${Math.round((others + 1) / advertInt)} adverts/s on the segment)`;
  const lines = [['mode', 'round', 'window s', 'CPU ms', 'CPU %', 'wakeup reads/s', 'drained/s', 'vrid drops/s', 'wake VRIDs']];
  for (const r of rows) {
    lines.push([r.mode, String(r.round), r.windowS.toFixed(1), r.cpuMs.toFixed(0), ((r.cpuMs / r.windowS) / 10).toFixed(2), r.readPerS.toFixed(1), r.drainedPerS.toFixed(1), r.vridPerS.toFixed(1), r.wakeVrids?.join(',') ?? 'all']);
  }
  const modes = [...new Set(rows.map((r) => r.mode))];
  const summary = modes.map((m) => {
    const own = rows.filter((r) => r.mode === m);
    const pct = own.reduce((s, r) => s + r.cpuMs / r.windowS / 10, 0) / own.length;
    return `${m}: mean CPU ${pct.toFixed(2)} % of a core`;
  });
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length))) ?? [];
  return [head, ...lines.map((l) => l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()), ...summary].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      others: { type: 'string', default: '19' },
      'advert-int': { type: 'string', default: '0.2' },
      window: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '2' },
      modes: { type: 'string', default: 'filtered,unfiltered' },
      addon: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const usage = (msg: string): never => {
    console.error(`bench/vrid-noise: ${msg}`);
    process.exit(2);
  };
  const others = Number(values.others);
  const advertInt = Number(values['advert-int']);
  const windowS = Number(values.window);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(others) || others < 0 || others > 254) usage(`--others ${values.others} must be 0..254`);
  if (!(advertInt >= 0.01 && advertInt <= 40.95)) usage(`--advert-int ${values['advert-int']} must be 0.01..40.95 (VRRPv3)`);
  if (!(windowS > 0) || !Number.isInteger(rounds) || rounds < 1) usage('--window must be > 0 and --rounds >= 1');
  const modes = values.modes.split(',').map((m) => m.trim()) as Mode[];
  for (const m of modes) if (!['filtered', 'unfiltered', 'addon'].includes(m)) usage(`unknown mode ${m} (filtered, unfiltered, addon)`);
  if (values.addon && !modes.includes('addon')) modes.push('addon');
  if (modes.includes('addon') && !values.addon) usage('mode addon needs --addon PATH (an addon built before VRID filters)');
  if (!isRoot()) usage('needs root: creates network namespaces and raw sockets');

  const dir = mkdtempSync(join(tmpdir(), 'haup-vrid-noise-'));
  writeFileSync(join(dir, 'keepalived.conf'), agentConf(advertInt), { mode: 0o600 });
  let sender: ReturnType<typeof spawn> | undefined;
  const rows: Row[] = [];
  try {
    await setUp();
    sender = spawn('ip', ['netns', 'exec', NS.b, process.execPath, '--import', 'tsx', resolve(import.meta.dirname, 'vrid-noise.ts'), '--sender', IF.b, ADDR.b, String(others + 1), String(advertInt)], {
      cwd: REPO_ROOT, // where tsx resolves
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise<void>((ok, fail) => {
      sender?.stdout?.once('data', () => ok());
      sender?.once('exit', (code) => fail(new Error(`the sender exited (${code})`)));
    });
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? modes : [...modes].reverse();
      for (const mode of order) rows.push(await measure(mode, round, dir, { windowS, addon: values.addon ? resolve(values.addon) : undefined }));
    }
  } finally {
    if (sender?.pid !== undefined && sender.exitCode === null) {
      sender.stdin?.end();
      await waitPidGone(sender.pid, 5000).catch(() => sender?.kill('SIGKILL'));
    }
    await tearDown();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(values.json ? JSON.stringify({ others, advertInt, rows }, null, 2) : format(rows, others, advertInt));
}

if (process.argv[2] === '--sender') {
  const [, , , ifname, src, vrids, interval] = process.argv;
  void runSender(String(ifname), String(src), Number(vrids), Number(interval));
} else {
  main().catch((err: unknown) => {
    console.error(`bench/vrid-noise: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  });
}
