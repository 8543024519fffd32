// One host's part of a deploy, over its transport: push the planned files, start/reload/restart the daemon, wait
// until it is ready, and roll all of that back on failure. Decisions come from plan.ts and expect.ts.
import { HaupError } from '../errors.js';
import type { HostModel } from '../inventory/model.js';
import type { HostFacts } from '../plan/facts.js';
import { sha256, type DesiredFile, type HostPlan } from '../plan/plan.js';
import { commandFailedError, type Transport } from '../transport/transport.js';
import {
  EXIT_CHECK_FAILED,
  EXIT_NOT_RUNNING,
  EXIT_START_FAILED,
  EXIT_STOP_FAILED,
  parseLogMark,
  parsePid,
  parseWaitOutput,
  rollbackScript,
  scriptCommand,
  serviceScript,
  waitScript,
  type Action,
  type DaemonSpec,
} from './daemon-scripts.js';
import { BACKUP_SUFFIX } from './desired.js';
import { readyVerdict, snapshotOf, statesKey, updatedLine, type ReadyWant, type Snapshot } from './expect.js';
import type { HostReport } from './report.js';
import { parseAgentStatus, parseIpAddr } from '../verify/facts.js';

export interface Timeouts {
  /** Until a started or restarted daemon is ready. */
  startMs: number;
  /** Until a reloaded daemon reports the new config. */
  reloadMs: number;
  /** Longest single remote wait (a long poll); the caller loops. */
  pollMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { startMs: 15_000, reloadMs: 8_000, pollMs: 2_000 };

export interface HostRunDeps {
  transport: Transport;
  spec: DaemonSpec;
  /** The other engine's daemon, stopped first when it still runs (plan.stopRival). */
  rival?: DaemonSpec;
  clock: () => number;
  timeouts: Timeouts;
}

export class HostRun {
  /** The last look at the daemon (from the facts until the first wait). */
  last: Snapshot;
  /** When the daemon's instances started, on the caller's clock: the earliest it can become MASTER is this + MDI. */
  startedAt: number | null = null;
  /** Progress lines about this host; the orchestrator points it at the display. */
  log: (line: string) => void = () => undefined;
  private written: DesiredFile[] = [];
  private logMark: string | null = null;
  private acted: Action | null = null;
  /** The service script stopped the other engine's daemon: a rollback starts it again. */
  private rivalStopped = false;

  constructor(
    readonly host: HostModel,
    readonly facts: HostFacts,
    readonly plan: HostPlan,
    readonly report: HostReport,
    private readonly deps: HostRunDeps,
  ) {
    this.last = {
      pid: facts.agentPid,
      alive: facts.agentPid !== null,
      watchAlive: null,
      status: facts.agentPid === null ? null : parseAgentStatus(facts.agentState),
      observed: host.engine === 'haup' ? updatedLine(facts.agentState) : '',
      states: host.engine === 'haup' ? statesKey(facts.agentState) : '',
      holds: new Set(parseIpAddr(facts.addresses ?? '').map((a) => a.address.toLowerCase())),
      log: [],
    };
    this.recordStates();
  }

  get name(): string {
    return this.host.id;
  }

  get roundTrips(): number {
    return this.deps.transport.roundTrips;
  }

  private configHash(): string | null {
    const conf = this.plan.writes.find((w) => w.path === this.host.paths.config) ?? null;
    if (conf) return sha256(conf.content);
    return this.facts.files.get(this.host.paths.config)?.sha256 ?? null;
  }

  /** Push, service action, wait until ready. Throws a HaupError saying what failed; rollback() undoes it. */
  async apply(): Promise<void> {
    const { transport: t, clock } = this.deps;
    const log = this.log;
    const r = this.report;
    if (this.plan.writes.length > 0) {
      const t0 = clock();
      await t.putFiles(
        this.plan.writes.map((w) => ({ path: w.path, content: w.content, mode: w.mode, owner: '0:0' })),
        { backupSuffix: BACKUP_SUFFIX, sudo: true },
      );
      this.written = this.plan.writes;
      r.timings.pushMs = Math.round(clock() - t0);
      log(`wrote ${this.plan.writes.length} file${this.plan.writes.length === 1 ? '' : 's'}`);
    }
    const action = this.plan.service;
    if (action === 'none') return;
    this.acted = action;
    const t1 = clock();
    const timeoutMs = action === 'reload' ? this.deps.timeouts.reloadMs : this.deps.timeouts.startMs;
    // The service script also does the first wait for readiness (one round trip instead of two).
    const previous = action === 'reload' ? this.last.observed : '';
    const wait = { previous, timeoutMs };
    const { pid, first } = await this.runService(serviceScript(this.deps.spec, action, { daemonReload: this.unitChanged(), rival: this.rivalToStop(), wait }), action);
    r.timings.serviceMs = Math.round(clock() - t1);
    log(`${action === 'start' ? 'started' : action === 'reload' ? 'reloaded' : 'restarted'} ${this.daemonName()}${pid === null ? '' : ` (pid ${pid})`}`);
    await this.waitReady({ pid, configHash: this.host.engine === 'haup' ? this.configHash() : null }, timeoutMs - (clock() - t1), first);
    r.timings.waitMs = Math.round(clock() - t1 - r.timings.serviceMs);
    // The Master_Down_Timer starts when the instances do, which is when the first status appears (not the spawn).
    if (action !== 'reload') this.startedAt = clock();
    r.pidAfter = this.last.pid;
    log(`ready: ${this.describeStates()}`);
  }

  /** Whether anything on the host was changed by apply() (so a failure needs a rollback). */
  get touched(): boolean {
    return this.written.length > 0 || this.acted !== null;
  }

  /** Restores the previous files and daemon; throws when that fails too. */
  async rollback(): Promise<void> {
    const { transport: t, clock } = this.deps;
    const log = this.log;
    const t0 = clock();
    const files = this.written.map((w) => {
      const before = this.facts.files.get(w.path);
      return { path: w.path, existed: before !== null && before !== undefined };
    });
    const wasRunning = this.facts.agentPid !== null;
    const script = rollbackScript(this.deps.spec, files, {
      backupSuffix: BACKUP_SUFFIX,
      wasRunning,
      failedAction: this.acted ?? 'reload',
      daemonReload: this.unitChanged(),
      rival: this.rivalStopped ? this.deps.rival : undefined,
    });
    const cmd = scriptCommand(this.deps.spec, script);
    const res = await t.exec(cmd, { sudo: true, ownScript: true });
    if (res.code !== 0) throw commandFailedError(t.name, cmd, res, 'rolling back');
    this.logMark = null;
    if (wasRunning) {
      const pid = parsePid(res.stdout);
      this.startedAt = clock();
      const previousHash = this.facts.files.get(this.host.paths.config)?.sha256 ?? null;
      await this.waitReady({ pid, configHash: this.host.engine === 'haup' ? previousHash : null }, this.deps.timeouts.startMs);
    }
    this.report.timings.rollbackMs = Math.round(clock() - t0);
    this.report.pidAfter = wasRunning ? this.last.pid : null;
    log(wasRunning ? `rolled back: the previous config runs again (${this.describeStates()})` : 'rolled back: removed what this deploy wrote and stopped the daemon it started');
  }

  /** One long poll: returns when the daemon's observable state changes from `previous`, it dies, or timeoutMs. */
  async look(previous: string, opts: { pid: number | null; timeoutMs: number; delayMs?: number; observe?: 'updated' | 'states' }): Promise<Snapshot> {
    const script = waitScript(this.deps.spec, { previous, pid: opts.pid, timeoutMs: opts.timeoutMs, delayMs: opts.delayMs ?? 0, logMark: this.logMark, observe: opts.observe ?? 'updated' });
    const budget = opts.timeoutMs + (opts.delayMs ?? 0) + 10_000;
    const cmd = scriptCommand(this.deps.spec, script);
    let res;
    try {
      res = await this.deps.transport.exec(cmd, { sudo: true, timeoutMs: budget, ownScript: true });
    } catch (err) {
      if (!(err instanceof HaupError) || err.code !== 'HAUP_REMOTE_COMMAND') throw err;
      throw new HaupError('HAUP_REMOTE_COMMAND', `${this.deps.transport.name}: watching the ${this.daemonName()} got no answer within ${Math.round(budget / 1000)} s`, {
        hint: 'the host is very slow or overloaded (check its load), or the SSH connection hangs; deploy again when it answers',
        cause: err,
      });
    }
    if (res.code !== 0) throw commandFailedError(this.deps.transport.name, cmd, res, 'watching the daemon');
    this.last = snapshotOf(parseWaitOutput(res.stdout));
    this.recordStates();
    return this.last;
  }

  /** Looks until the daemon is ready; `first` is a look already taken (by the service script). */
  private async waitReady(want: ReadyWant, timeoutMs: number, first: Snapshot | null = null): Promise<void> {
    const { clock } = this.deps;
    const deadline = clock() + timeoutMs;
    let previous = want.pid !== null && this.acted !== 'reload' ? '' : this.last.observed;
    let taken = first;
    for (;;) {
      const left = deadline - clock();
      const snap = taken ?? (await this.look(previous, { pid: want.pid, timeoutMs: Math.max(20, Math.min(this.deps.timeouts.pollMs, left)) }));
      taken = null;
      const v = readyVerdict(this.host, snap, want);
      if (v.kind === 'ok') return;
      if (v.kind === 'fail' || clock() >= deadline) {
        throw new HaupError('HAUP_DEPLOY_FAILED', `${this.deps.transport.name}: ${v.why}${v.kind === 'wait' ? ` after ${(timeoutMs / 1000).toFixed(0)} s` : ''}`, {
          details: snap.log.length > 0 ? [`last lines of the ${this.daemonName()} log:`, ...snap.log.slice(-20)] : [],
          hint: `look at the ${this.daemonName()} log on ${this.host.id} (${this.deps.spec.init === 'systemd' ? `journalctl -u ${this.host.paths.service}` : this.deps.spec.paths.log ?? '/var/log/keepalived-haup.log'})`,
        });
      }
      previous = snap.observed;
    }
  }

  private rivalToStop(): DaemonSpec | undefined {
    return this.plan.stopRival !== null && this.plan.service !== 'reload' ? this.deps.rival : undefined;
  }

  /** Runs a service script: the daemon's pid and, when the script waited too, what that first look saw. */
  private async runService(script: string, action: Action): Promise<{ pid: number | null; first: Snapshot | null }> {
    const t = this.deps.transport;
    const cmd = scriptCommand(this.deps.spec, script);
    const res = await t.exec(cmd, { sudo: true, ownScript: true });
    this.logMark = parseLogMark(res.stdout);
    if (/^rival-stopped$/m.test(res.stdout)) {
      this.rivalStopped = true;
      this.log(`stopped the ${this.host.engine === 'haup' ? 'keepalived' : 'haup agent'} that still ran (pid ${this.plan.stopRival})`);
    }
    if (res.code === 0) {
      const at = res.stdout.search(/^wait-begin$/m);
      if (at < 0) return { pid: parsePid(res.stdout), first: null };
      this.last = snapshotOf(parseWaitOutput(res.stdout.slice(at)));
      this.recordStates();
      return { pid: parsePid(res.stdout.slice(0, at)), first: this.last };
    }
    const checker = this.host.engine === 'haup' ? '"haup-agent check"' : '"keepalived -t"';
    const what =
      res.code === EXIT_CHECK_FAILED
        ? `${checker} of the new ${this.host.engine === 'haup' && action === 'restart' ? 'agent and config' : 'config'} (the running ${this.daemonName()} was left alone)`
        : res.code === EXIT_NOT_RUNNING
          ? `reloading the ${this.daemonName()} (it is not running)`
          : res.code === EXIT_STOP_FAILED
            ? `stopping the ${this.daemonName()}`
            : res.code === EXIT_START_FAILED
              ? `starting the ${this.daemonName()}`
              : `${action === 'start' ? 'starting' : action === 'reload' ? 'reloading' : 'restarting'} the ${this.daemonName()}`;
    throw commandFailedError(t.name, cmd, res, what);
  }

  private unitChanged(): boolean {
    return this.host.paths.unit !== null && this.written.some((w) => w.path === this.host.paths.unit);
  }

  private daemonName(): string {
    return this.host.engine === 'haup' ? 'haup agent' : 'keepalived';
  }

  private recordStates(): void {
    const s = this.last.status;
    if (s) for (const i of s.instances) this.report.states[i.name] = i.state;
  }

  describeStates(): string {
    const s = this.last.status;
    if (this.host.engine === 'keepalived') return this.last.alive ? `keepalived pid ${this.last.pid}` : 'keepalived not running';
    if (!s) return 'no status';
    return s.instances.map((i) => `${i.name} ${i.state}`).join(', ');
  }
}
