// Pure summaries of failover trials and idle samples: medians, the printed tables, and the targets.
import type { EngineName } from './engines.js';

export type Mode = 'kill' | 'stop';

export interface BenchConfig {
  version: 2 | 3;
  /** advert_int in seconds (v3 allows hundredths). */
  advertInt: number;
}

export interface Trial {
  engine: EngineName;
  config: string;
  mode: Mode;
  trial: number;
  /** Protocol time the takeover should take: Master_Down_Interval (kill) or Skew_Time (stop), ms. */
  expectedMs: number;
  /** Wire time from the old master's last advert (kill) or priority-0 advert (stop) to the new master's first, ms. */
  takeoverMs?: number;
  /** takeoverMs - expectedMs. */
  lateMs?: number;
  error?: string;
}

export interface IdleSample {
  engine: EngineName;
  config: string;
  role: 'master' | 'backup';
  processes: number;
  rssMb: number;
  peakRssMb: number;
  cpuPercent: number;
  windowS: number;
}

export interface Row {
  engine: EngineName;
  config: string;
  mode: Mode;
  expectedMs: number;
  ok: number;
  failed: number;
  medianTakeoverMs: number;
  minLateMs: number;
  medianLateMs: number;
  p90LateMs: number;
  maxLateMs: number;
}

export interface BreakdownRow {
  config: string;
  mode: Mode;
  n: number;
  /** Median and max of each part, ms. */
  receive: [number, number];
  timer: [number, number];
  send: [number, number];
  problem?: string;
}

export interface Target {
  what: string;
  pass: boolean;
  detail: string;
}

export const TARGETS = { medianLateMs: 5, maxLateMs: 20, rssMb: 50, idleCpuPercent: 0.5 } as const;

export function configLabel(c: BenchConfig): string {
  return `v${c.version} advert_int ${c.advertInt}`;
}

/** Median (mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..100); NaN for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

/** One row per (config, engine, mode), in first-seen order. */
export function summarize(trials: readonly Trial[]): Row[] {
  const groups = new Map<string, Trial[]>();
  for (const t of trials) {
    const key = `${t.config}\0${t.engine}\0${t.mode}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups.values()].map((ts) => {
    const first = ts[0] as Trial;
    const late = ts.flatMap((t) => (t.lateMs === undefined ? [] : [t.lateMs]));
    const took = ts.flatMap((t) => (t.takeoverMs === undefined ? [] : [t.takeoverMs]));
    return {
      engine: first.engine,
      config: first.config,
      mode: first.mode,
      expectedMs: first.expectedMs,
      ok: late.length,
      failed: ts.length - late.length,
      medianTakeoverMs: median(took),
      minLateMs: late.length ? Math.min(...late) : NaN,
      medianLateMs: median(late),
      p90LateMs: percentile(late, 90),
      maxLateMs: late.length ? Math.max(...late) : NaN,
    };
  });
}

/** The targets, checked for every haup row against the limits and keepalived's row of the same run. */
export function checkTargets(rows: readonly Row[], idle: readonly IdleSample[], configs: readonly BenchConfig[]): Target[] {
  const out: Target[] = [];
  for (const r of rows.filter((x) => x.engine === 'haup')) {
    const name = `${r.config} ${r.mode}`;
    if (r.failed > 0 || r.ok === 0) out.push({ what: `${name}: every trial took over`, pass: false, detail: `${r.failed} of ${r.ok + r.failed} failed` });
    out.push({ what: `${name}: median lateness <= ${TARGETS.medianLateMs} ms`, pass: r.medianLateMs <= TARGETS.medianLateMs, detail: ms(r.medianLateMs) });
    out.push({ what: `${name}: max lateness <= ${TARGETS.maxLateMs} ms`, pass: r.maxLateMs <= TARGETS.maxLateMs, detail: ms(r.maxLateMs) });
    const ka = rows.find((x) => x.engine === 'keepalived' && x.config === r.config && x.mode === r.mode);
    if (ka && ka.ok > 0) {
      out.push({ what: `${name}: median not worse than keepalived's`, pass: r.medianLateMs <= ka.medianLateMs, detail: `${ms(r.medianLateMs)} vs ${ms(ka.medianLateMs)}` });
      out.push({ what: `${name}: max not worse than keepalived's`, pass: r.maxLateMs <= ka.maxLateMs, detail: `${ms(r.maxLateMs)} vs ${ms(ka.maxLateMs)}` });
    }
  }
  const atOne = configs.filter((c) => c.advertInt === 1).map(configLabel);
  for (const s of idle.filter((x) => x.engine === 'haup' && atOne.includes(x.config))) {
    out.push({ what: `${s.config} ${s.role}: agent RSS <= ${TARGETS.rssMb} MB`, pass: s.rssMb <= TARGETS.rssMb, detail: `${s.rssMb.toFixed(1)} MB (peak ${s.peakRssMb.toFixed(1)})` });
    out.push({ what: `${s.config} ${s.role}: idle CPU <= ${TARGETS.idleCpuPercent} %`, pass: s.cpuPercent <= TARGETS.idleCpuPercent, detail: `${s.cpuPercent.toFixed(2)} % over ${s.windowS} s` });
  }
  return out;
}

function ms(x: number): string {
  return Number.isNaN(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(2)} ms`;
}

/** Left-aligned text columns, right-aligned number columns, two spaces apart. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface Report {
  startedAt: string;
  host: { cpus: number; loadBefore: string; loadAfter: string };
  trials: number;
  configs: BenchConfig[];
  engines: EngineName[];
  rows: Row[];
  idle: IdleSample[];
  targets: Target[];
  raw: Trial[];
  /** With --record: the haup backup's takeovers split into receive, timer and send (bench/support/record.ts). */
  breakdown?: BreakdownRow[];
}

/** The human-readable report. */
export function formatReport(r: Report): string {
  const f = (x: number, digits = 2) => (Number.isNaN(x) ? 'n/a' : x.toFixed(digits));
  const signed = (x: number) => (Number.isNaN(x) ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`);
  const out: string[] = [];
  out.push(`bench/failover  ${r.startedAt}  ${r.trials} trial(s) per row  ${r.host.cpus} CPUs`);
  out.push(`load average (1/5/15 min): before ${r.host.loadBefore}, after ${r.host.loadAfter}`);
  out.push('');
  out.push('Takeover lateness = new master\'s first advert - (old master\'s last advert + Master_Down_Interval) for kill,');
  out.push('                    new master\'s first advert - (priority-0 advert + Skew_Time) for stop; wire timestamps, ms.');
  out.push(
    formatTable(
      ['config', 'engine', 'mode', 'expected', 'takeover', 'min', 'median', 'p90', 'max', 'ok'],
      r.rows.map((x) => [x.config, x.engine, x.mode, f(x.expectedMs), f(x.medianTakeoverMs), signed(x.minLateMs), signed(x.medianLateMs), signed(x.p90LateMs), signed(x.maxLateMs), `${x.ok}/${x.ok + x.failed}`]),
      [false, false, false, true, true, true, true, true, true, true],
    ),
  );
  if (r.idle.length > 0) {
    out.push('');
    out.push('Idle cost (converged pair, no trials running):');
    out.push(
      formatTable(
        ['config', 'engine', 'role', 'procs', 'RSS MB', 'peak MB', 'CPU %', 'window s'],
        r.idle.map((s) => [s.config, s.engine, s.role, String(s.processes), f(s.rssMb, 1), f(s.peakRssMb, 1), f(s.cpuPercent), String(s.windowS)]),
        [false, false, false, true, true, true, true, true],
      ),
    );
  }
  if (r.breakdown && r.breakdown.length > 0) {
    const mm = (x: [number, number]) => `${signed(x[0])} / ${signed(x[1])}`;
    out.push('');
    out.push('haup backup\'s lateness split (--record), median / max ms: receive = advert on the wire -> stepped by the agent,');
    out.push('timer = timer event after its deadline, send = timer event -> first advert on the wire:');
    out.push(
      formatTable(
        ['config', 'mode', 'n', 'receive', 'timer', 'send'],
        r.breakdown.map((x) => (x.problem ? [x.config, x.mode, '0', x.problem, '', ''] : [x.config, x.mode, String(x.n), mm(x.receive), mm(x.timer), mm(x.send)])),
        [false, false, true, true, true, true],
      ),
    );
  }
  if (r.targets.length > 0) {
    out.push('');
    out.push('Targets (issue 3) for haup:');
    for (const t of r.targets) out.push(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.what}: ${t.detail}`);
  }
  const failures = r.raw.filter((t) => t.error !== undefined);
  if (failures.length > 0) {
    out.push('');
    out.push('Failed trials:');
    for (const t of failures) out.push(`  ${t.config} ${t.engine} ${t.mode} #${t.trial}: ${t.error}`);
  }
  return out.join('\n');
}
