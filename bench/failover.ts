// Failover timing of the haup agent against keepalived in one lab: hard kill and graceful stop, timed on the wire.
//
// Run as root: node --import tsx bench/failover.ts [--trials 20] [--engine haup,keepalived]
//   [--version 2|3] [--advert-int 1] [--configs 2:1,3:0.1] [--idle-window 20] [--lab t2bench] [--json]
// Each engine gets its own pair of lab hosts (priority 150 master, 100 backup); dumpcap on the lab's
// bridge timestamps every advert, so both engines are measured the same way. See bench/README.md.
import { cpus } from 'node:os';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostPath, labVip } from '../test/support/agent.js';
import { labSkipReason, startLab, type TestLab, type TestLabHost } from '../test/support/lab.js';
import { findBinary } from '../test/support/netns.js';
import { bridgeName } from '../cli/lab/names.js';
import { AdvertCapture } from './support/capture.js';
import { ENGINES, HAUP_RECORD, haupEngine, keepalivedEngine, type EngineName, type EngineStarter } from './support/engines.js';
import { BACKUP_PRIORITY, BenchPair } from './support/pair.js';
import { takeoverBreakdown } from './support/record.js';
import { clockTicks, cpuPercent, sampleProcess } from './support/proc-stats.js';
import { checkTargets, configLabel, formatReport, median, summarize, type BenchConfig, type BreakdownRow, type IdleSample, type Mode, type Report, type Trial } from './support/report.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    engine: { type: 'string', default: ENGINES.join(',') },
    version: { type: 'string' },
    'advert-int': { type: 'string' },
    configs: { type: 'string', default: '2:1,3:0.1' },
    'idle-window': { type: 'string', default: '20' },
    modes: { type: 'string', default: 'kill,stop' },
    lab: { type: 'string', default: 't2bench' },
    json: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
  },
});

function usage(msg: string): never {
  console.error(`bench/failover: ${msg}`);
  process.exit(2);
}

function parseConfig(version: string, advertInt: string): BenchConfig {
  const v = Number(version);
  const a = Number(advertInt);
  if (v !== 2 && v !== 3) usage(`version ${version} must be 2 or 3`);
  if (!(a > 0 && a <= (v === 2 ? 255 : 40.95))) usage(`advert_int ${advertInt} is out of range for VRRPv${v}`);
  if (v === 2 && !Number.isInteger(a)) usage(`VRRPv2 carries whole seconds: advert_int ${advertInt} needs --version 3`);
  if (v === 3 && Math.abs(a * 100 - Math.round(a * 100)) > 1e-9) usage(`VRRPv3 carries centiseconds: advert_int ${advertInt} has more than two decimals`);
  return { version: v, advertInt: a };
}

const trials = Number(values.trials);
if (!Number.isInteger(trials) || trials < 0) usage(`--trials ${values.trials} must be a whole number (0: idle cost only)`);
const idleWindowS = Number(values['idle-window']);
if (!(idleWindowS >= 0)) usage(`--idle-window ${values['idle-window']} must be seconds >= 0`);
const engineNames = values.engine.split(',').map((e) => e.trim()) as EngineName[];
for (const e of engineNames) if (!ENGINES.includes(e)) usage(`unknown engine ${e} (choose from ${ENGINES.join(', ')})`);
const modes = values.modes.split(',').map((m) => m.trim()) as Mode[];
for (const m of modes) if (m !== 'kill' && m !== 'stop') usage(`unknown mode ${m} (kill, stop)`);
const configs: BenchConfig[] =
  values.version !== undefined || values['advert-int'] !== undefined
    ? [parseConfig(values.version ?? '2', values['advert-int'] ?? '1')]
    : values.configs.split(',').map((c) => {
        const [v, a] = c.split(':');
        return parseConfig(v ?? '', a ?? '');
      });

const dumpcap = findBinary('dumpcap');
const keepalived = findBinary('keepalived');
const cannot =
  labSkipReason() ??
  (dumpcap ? undefined : 'needs dumpcap to timestamp adverts: apt-get install -y tshark') ??
  (engineNames.includes('keepalived') && !keepalived ? 'needs keepalived: apt-get install -y keepalived' : undefined);
if (cannot) {
  console.error(`bench/failover cannot run: ${cannot}`);
  process.exit(5);
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const progress = (msg: string) => console.error(`# ${msg}`);

const starters: EngineStarter[] = engineNames.map((e) => (e === 'haup' ? haupEngine({ record: values.record }) : keepalivedEngine(keepalived as string)));
const report: Report = {
  startedAt: new Date().toISOString(),
  host: { cpus: cpus().length, loadBefore: loadavg(), loadAfter: '' },
  trials,
  configs,
  engines: engineNames,
  rows: [],
  idle: [],
  targets: [],
  raw: [],
};

let lab: TestLab | undefined;
let capture: AdvertCapture | undefined;
let pairs: BenchPair[] = [];
let interrupted = false;

async function cleanup(): Promise<void> {
  for (const p of pairs) await p.stop().catch(() => undefined);
  await capture?.stop();
  await lab?.down();
}

process.once('SIGINT', () => {
  interrupted = true;
  progress('interrupted: cleaning up');
});

/** CPU and RSS of every daemon of every pair over one window, all measured at once. */
async function measureIdle(cfg: BenchConfig): Promise<IdleSample[]> {
  const who = pairs.flatMap((p) => [
    { pair: p, role: 'master' as const, pids: p.master?.pids() ?? [] },
    { pair: p, role: 'backup' as const, pids: p.backup?.pids() ?? [] },
  ]);
  const before = who.map((w) => w.pids.map(sampleProcess));
  const t0 = performance.now();
  await sleep(idleWindowS * 1000);
  const windowMs = performance.now() - t0;
  return who.map((w, i) => {
    const after = w.pids.map(sampleProcess);
    const ticks = after.reduce((s, x, j) => s + x.cpuTicks - (before[i]?.[j]?.cpuTicks ?? x.cpuTicks), 0);
    return {
      engine: w.pair.engine.name,
      config: configLabel(cfg),
      role: w.role,
      processes: w.pids.length,
      rssMb: after.reduce((s, x) => s + x.rssKb, 0) / 1024,
      peakRssMb: after.reduce((s, x) => s + x.hwmKb, 0) / 1024,
      cpuPercent: cpuPercent(ticks, windowMs, clockTicks()),
      windowS: Math.round(windowMs / 100) / 10,
    };
  });
}

/** A fresh --record file for each start of a haup pair (the agent's clock restarts with it). */
function clearRecords(p: BenchPair): void {
  if (p.engine.name !== 'haup') return;
  for (const h of [p.masterHost, p.backupHost]) rmSync(hostPath(p.lab, h, HAUP_RECORD), { force: true });
}

/** The haup backup's takeovers split into receive, timer and send (read before the lab, and its /var/log, goes away). */
function breakdown(cfg: BenchConfig): BreakdownRow[] {
  const pair = pairs.find((p) => p.engine.name === 'haup');
  if (!pair || !lab || !capture) return [];
  const file = hostPath(lab, pair.backupHost, HAUP_RECORD);
  const wire = capture.adverts.filter((a) => a.vrid === pair.vrid && a.tsUs > pair.startedUs);
  const b = takeoverBreakdown(existsSync(file) ? readFileSync(file, 'utf8') : '', wire, {
    master: pair.masterHost.address,
    backup: pair.backupHost.address,
    version: cfg.version,
    priority: BACKUP_PRIORITY,
  });
  const mm = (xs: number[]): [number, number] => [median(xs), xs.length ? Math.max(...xs) : NaN];
  return modes.map((mode) => {
    const ts = b.takeovers.filter((t) => t.kind === mode);
    return {
      config: configLabel(cfg),
      mode,
      n: ts.length,
      receive: mm(ts.map((t) => t.receiveMs)),
      timer: mm(ts.map((t) => t.timerMs)),
      send: mm(ts.map((t) => t.sendMs)),
      ...(b.problem ? { problem: b.problem } : {}),
    };
  });
}

try {
  lab = await startLab({ name: values.lab, hosts: 2 * starters.length });
  capture = await AdvertCapture.start(dumpcap as string, bridgeName(lab.name));
  progress(`lab ${lab.name} up (${lab.hosts.length} hosts); capturing on ${bridgeName(lab.name)}; load ${loadavg()}`);
  for (const cfg of configs) {
    pairs = starters.map((engine, i) => {
      const [m, b] = [lab?.hosts[2 * i], lab?.hosts[2 * i + 1]] as [TestLabHost, TestLabHost];
      return new BenchPair(lab as TestLab, engine, cfg, m, b, 71 + i, labVip(lab as TestLab, 71 + i), capture as AdvertCapture);
    });
    for (const p of pairs) clearRecords(p);
    for (const p of pairs) await p.start();
    progress(`${configLabel(cfg)}: ${pairs.map((p) => `${p.engine.name} on ${p.masterHost.name}/${p.backupHost.name}`).join(', ')} converged`);
    if (idleWindowS > 0) {
      report.idle.push(...(await measureIdle(cfg)));
      progress(`${configLabel(cfg)}: idle window of ${idleWindowS} s measured`);
    }
    for (const mode of modes) {
      for (let n = 1; n <= trials && !interrupted; n++) {
        // Engines take turns, so both see the same machine load over the run.
        for (const p of pairs) {
          let t: Trial;
          try {
            t = await p.trial(mode, n);
          } catch (err) {
            t = { engine: p.engine.name, config: configLabel(cfg), mode, trial: n, expectedMs: p.expectedMs(mode), error: (err as Error).message };
            progress(`${p.engine.name} ${mode} #${n} failed: ${t.error}; restarting the pair\n${p.logTail()}`);
            await p.reset(() => clearRecords(p));
          }
          report.raw.push(t);
          progress(`${configLabel(cfg)} ${p.engine.name} ${mode} #${n}: ${t.lateMs === undefined ? 'failed' : `takeover ${t.takeoverMs?.toFixed(2)} ms, late ${t.lateMs.toFixed(2)} ms`}`);
        }
      }
    }
    if (values.record) report.breakdown = [...(report.breakdown ?? []), ...breakdown(cfg)];
    for (const p of pairs) await p.stop();
    pairs = [];
    if (interrupted) break;
  }
} finally {
  await cleanup();
}

report.host.loadAfter = loadavg();
report.rows = summarize(report.raw);
report.targets = checkTargets(report.rows, report.idle, configs);
console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
if (interrupted) process.exitCode = 130;
