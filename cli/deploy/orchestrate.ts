// Deploys one component (pairs that share hosts): HA-safe host order, one host at a time, rollback of the host
// that failed and stop, then wait until every pair has its VIP where the configuration says.
import { HaupError } from '../errors.js';
import type { HostModel, PairModel } from '../inventory/model.js';
import { pairVerdict, masterDownIntervalMs, type PairVerdict, type Snapshot } from './expect.js';
import type { HostRun } from './host-run.js';
import { errorReport, type HostReport, type PairReport } from './report.js';
import { hostOrder, type Component } from './selection.js';

export interface ComponentWork {
  component: Component;
  /** Ready-to-run hosts (connected, facts gathered, planned), by host id. */
  runs: Map<string, HostRun>;
  /** Why a selected host of the component cannot be deployed (connect or facts failure, fact problems). */
  blocked: Map<string, HaupError>;
  hostReports: Map<string, HostReport>;
  pairReports: PairReport[];
}

export interface OrchestrateOptions {
  check: boolean;
  clock: () => number;
  /** Progress line for a host (or null: the component). */
  log: (host: string | null, line: string) => void;
  /** Upper bound for convergence; default from the pairs' Master_Down_Interval. */
  convergeTimeoutMs?: number;
  /**
   * --concurrency: held while the group's hosts are being changed, released before waiting for convergence (which
   * only watches), so the waits of many cold pairs overlap.
   */
  slot?: { take(): Promise<void>; give(): void };
}

/** Marks the component failed without touching anything. */
function failUntouched(work: ComponentWork, err: HaupError, blamed: ReadonlySet<string>): void {
  for (const p of work.pairReports) {
    p.result = 'failed';
    p.error = errorReport(err);
  }
  for (const id of work.component.selected) {
    const r = work.hostReports.get(id);
    if (r && !blamed.has(id)) r.result = 'untouched';
  }
}

/**
 * Runs the component. Never throws for a host failure: failures land in the reports. Order and waits:
 * facts problems anywhere -> nothing is touched; warm -> backups first; cold -> masters first (selection.ts); each
 * host must be ready before the next is touched; then every pair converges.
 */
export async function deployComponent(work: ComponentWork, opts: OrchestrateOptions): Promise<void> {
  const { component, runs, blocked } = work;
  const t0 = opts.clock();
  for (const run of runs.values()) run.log = (line) => opts.log(run.name, line);
  if (blocked.size > 0) {
    for (const [id, err] of blocked) {
      const r = work.hostReports.get(id);
      if (r) {
        r.result = 'failed';
        r.error = errorReport(err);
      }
    }
    const names = [...blocked.keys()];
    const err = new HaupError('HAUP_DEPLOY_FAILED', `not deployed: ${names.join(', ')} failed before anything was changed, so no node of ${component.pairs.map((p) => p.name).join(', ')} was touched`, {
      details: [...blocked.values()].map((e) => e.message),
    });
    failUntouched(work, err, new Set(names));
    opts.log(null, err.message);
    return;
  }
  if (opts.check) {
    for (const run of runs.values()) run.report.result = run.plan.writes.length > 0 || run.plan.service !== 'none' ? 'planned' : 'unchanged';
    const checked = work.pairReports.filter((p) => runs.has(p.master) && runs.has(p.backup));
    const verdicts = judge(work, checked, false);
    for (const p of work.pairReports) {
      p.result = 'planned';
      const v = verdicts.get(p.pair);
      if (v) p.converged = v.kind === 'ok';
    }
    return;
  }

  // Cold: no VRRP daemon of either engine runs (a keepalived being replaced is serving the VIP: backups first).
  const cold = [...runs.values()].every((r) => r.facts.agentPid === null && r.facts.rivalPid === null);
  const order = hostOrder(component, cold).map((h) => runs.get(h.id) as HostRun);
  const todo = order.filter((run) => run.plan.writes.length > 0 || run.plan.service !== 'none');
  for (const run of order) if (!todo.includes(run)) run.report.result = 'unchanged';
  const acted = todo.length > 0;
  // Cold groups start their masters first even with preempt, and each host is ready before the next starts: a
  // master's Master_Down_Interval runs from its own start, and on a busy machine a backup starting alongside only
  // slows the master's start (with 20 cold pairs on 2 cores, all at once converged 1-3 s later than masters first).
  await opts.slot?.take();
  let failed: unknown[] = [];
  try {
    failed = await applyInOrder(todo, opts);
  } finally {
    opts.slot?.give();
  }
  if (failed.length > 0) {
    for (const p of work.pairReports) {
      p.result = 'failed';
      p.error = errorReport(failed[0]);
      p.timings.totalMs = Math.round(opts.clock() - t0);
    }
    return;
  }

  const t1 = opts.clock();
  const checked = work.pairReports.filter((p) => runs.has(p.master) && runs.has(p.backup));
  if (checked.length > 0) {
    const verdicts = acted ? await converge(work, checked, { ...opts, masterFirst: cold }) : judge(work, checked, cold);
    for (const p of checked) {
      const v = verdicts.get(p.pair) as PairVerdict;
      p.converged = v.kind === 'ok';
      if (v.kind === 'wait') {
        if (acted) {
          p.result = 'failed';
          p.error = { code: 'HAUP_DEPLOY_FAILED', message: `${p.pair} did not converge: ${v.why}`, details: [] };
        }
        opts.log(null, `${acted ? 'did not converge' : 'warning'}: ${v.why}`);
      }
      p.timings.convergeMs = acted ? Math.round(opts.clock() - t1) : 0;
    }
  }
  for (const p of work.pairReports) p.timings.totalMs = Math.round(opts.clock() - t0);
}

/** One host at a time; the first failure is rolled back and the hosts after it are not touched. */
async function applyInOrder(todo: readonly HostRun[], opts: OrchestrateOptions): Promise<unknown[]> {
  for (let i = 0; i < todo.length; i++) {
    const run = todo[i] as HostRun;
    try {
      await run.apply();
      run.report.result = 'changed';
    } catch (err) {
      await failHost(run, err, opts);
      for (const later of todo.slice(i + 1)) later.report.result = 'untouched';
      return [err];
    }
  }
  return [];
}

async function failHost(run: HostRun, err: unknown, opts: OrchestrateOptions): Promise<void> {
  const r = run.report;
  r.error = errorReport(err);
  opts.log(run.name, `failed: ${err instanceof Error ? err.message : String(err)}`);
  if (!run.touched) {
    r.result = 'failed';
    return;
  }
  try {
    await run.rollback();
    r.result = 'rolled-back';
  } catch (rbErr) {
    r.result = 'rollback-failed';
    const e = errorReport(rbErr);
    r.error.details.push(`rollback failed too: ${e.message}`, ...e.details);
    opts.log(run.name, `rollback failed: ${e.message}`);
  }
}

function pairHosts(work: ComponentWork, p: PairReport): { pair: PairModel; master: HostModel; backup: HostModel } {
  const pair = work.component.pairs.find((x) => x.name === p.pair) as PairModel;
  const master = (work.runs.get(p.master) as HostRun).host;
  const backup = (work.runs.get(p.backup) as HostRun).host;
  return { pair, master, backup };
}

function judge(work: ComponentWork, pairs: readonly PairReport[], masterFirst: boolean): Map<string, PairVerdict> {
  const snaps = new Map<string, Snapshot>([...work.runs].map(([id, r]) => [id, r.last]));
  return new Map(pairs.map((p) => {
    const { pair, master, backup } = pairHosts(work, p);
    return [p.pair, pairVerdict(pair, master, backup, snaps, { masterFirst })];
  }));
}

/**
 * Long-polls the nodes that are not yet in their expected state until every pair converges or the timeout. A
 * freshly started master cannot become MASTER before its Master_Down_Interval, so its first poll starts just before.
 */
async function converge(work: ComponentWork, pairs: readonly PairReport[], opts: OrchestrateOptions & { masterFirst: boolean }): Promise<Map<string, PairVerdict>> {
  const timeout =
    opts.convergeTimeoutMs ??
    Math.max(...pairs.map((p) => {
      const { pair } = pairHosts(work, p);
      return 2 * masterDownIntervalMs(pair.advertInt, Math.min(pair.master.priority, pair.backup.priority)) + 5000;
    }));
  const deadline = opts.clock() + timeout;
  const pending = new Map<string, Promise<string>>();
  const unwatchable = new Set<string>();
  for (;;) {
    const verdicts = judge(work, pairs, opts.masterFirst);
    const waiting = [...verdicts.values()].filter((v): v is Extract<PairVerdict, { kind: 'wait' }> => v.kind === 'wait');
    const left = deadline - opts.clock();
    if (waiting.length === 0 || left <= 0) return verdicts;
    for (const id of new Set(waiting.flatMap((v) => v.hosts))) {
      if (pending.has(id) || unwatchable.has(id)) continue;
      const run = work.runs.get(id) as HostRun;
      const delayMs = firstPollDelay(work, run, opts.clock());
      // The agent rewrites its status for counters too: a poll for a transition watches the states only.
      const states = run.host.engine === 'haup';
      const poll = run.look(states ? run.last.states : run.last.observed, { pid: null, timeoutMs: Math.max(20, Math.min(2000, left - delayMs)), delayMs, observe: states ? 'states' : 'updated' }).then(
        () => id,
        (err: unknown) => {
          unwatchable.add(id);
          opts.log(id, `cannot watch it any more: ${err instanceof Error ? err.message : String(err)}`);
          return id;
        },
      );
      pending.set(id, poll);
    }
    if (pending.size === 0) return verdicts;
    const done = await Promise.race(pending.values());
    pending.delete(done);
  }
}

/** How long a poll of this host may sleep first: until just before its Master_Down_Interval ends. */
function firstPollDelay(work: ComponentWork, run: HostRun, now: number): number {
  if (run.startedAt === null) return 0;
  const mine = work.component.pairs.filter((p) => run.host.instances.some((i) => i.pair === p.name && i.role === 'master'));
  if (mine.length === 0) return 0;
  const earliest = Math.min(...mine.map((p) => run.startedAt as number + masterDownIntervalMs(p.advertInt, p.master.priority)));
  const delay = Math.round(earliest - now - 250);
  run.startedAt = null; // only the first poll after a start may sleep
  return Math.max(0, delay);
}
