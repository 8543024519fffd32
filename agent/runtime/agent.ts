// The running agent: input (packets, timers, scripts, links, signals) -> step() -> perform(actions), for every instance.
import { hostname } from 'node:os';
import type { CheckStatus, Health } from '../checks/hysteresis.js';
import { runScript } from '../checks/runner.js';
import type { HaupConfig, SyncGroupConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { LinkState } from '../net/link-watch.js';
import { tryLoadAddon, type ReceivedPacket } from '../net/socket.js';
import { notifyReady, statusWakeFifo, writeStatus } from '../status.js';
import { step } from '../vrrp/fsm.js';
import type { Action, Event, VirtualRouter } from '../vrrp/fsm-types.js';
import { advertExpectation } from '../vrrp/instance.js';
import { syncGroupStep, type SyncGroup } from '../vrrp/sync-group.js';
import { Binder, isBound, type BinderHost } from './binding.js';
import { RuntimeInstance, type InstanceHost } from './instance.js';
import { garpFacts, readInterfaces, type GarpFacts } from './interfaces.js';
import { LinkPool } from './links.js';
import { groupNotifyCalls, instanceNotifyCalls, type NotifyCall } from './notify.js';
import { OtherVrids, type SocketReceivers } from './other-vrids.js';
import { classifyPacket, packetArrival } from './receive.js';
import { ScriptPool, describeResult, scriptPermit, type ScriptPolicy } from './scripts.js';
import { SocketPool, type OpenSocket, type SocketOpener } from './sockets.js';
import { instanceStatus, socketStatus, stateName, type AgentStatusWithSockets } from './status-view.js';
import { healthEvents, instanceHealth, trackedFor } from './tracking.js';

export interface AgentOptions {
  configFile: string;
  stateFile: string;
  log: Logger;
  /** Called with every input event as one JSON line (haup-agent run --record). */
  record?: (line: string) => void;
  version?: string;
  /** Monotonic milliseconds (default process.hrtime: the global performance loads perf_hooks, ~2 ms of a start); tests pass their own. */
  clock?: () => number;
  /** Opens VRRP sockets (default: the raw-socket addon); tests pass fakes. */
  openSocket?: SocketOpener;
  /**
   * Attach VRID filters to the sockets (default: yes, unless the environment has HAUP_VRID_FILTER=off, which
   * bench/vrid-noise.ts uses to measure the agent without them; every packet then wakes it, as with an older addon).
   */
  vridFilters?: boolean;
  /** Makes the status file's wake FIFO (default: the addon's mkfifo, when it has one); tests pass their own. */
  makeFifo?: (path: string) => void;
  /** Readiness descriptor (agent/status.ts takeNotifyFd): told once, after the first status write. */
  notifyFd?: number | null;
}

function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1000 + ns / 1e6;
}

function addonMakeFifo(path: string): void {
  tryLoadAddon()?.makeFifo?.(path, 0o600);
}

/** Notify scripts are not waited for, but one that hangs this long is killed. */
const NOTIFY_TIMEOUT_MS = 60_000;
/**
 * The status file is rewritten on every change, and otherwise at most this often, on a wakeup the
 * agent has anyway (an advert sent or received), so the counters stay fresh without a timer of its own.
 */
const STATUS_EVERY_MS = 5000;
/**
 * A backup runs its takeover code without effects again after this long (RuntimeInstance.prepareTakeover):
 * V8 drops the bytecode of functions that have not run for a while, and recompiling them would delay the
 * first advert.
 */
const PREPARE_EVERY_MS = 10_000;
const DROP_LOG_EVERY_MS = 60_000;
export class Agent implements InstanceHost, BinderHost<RuntimeInstance> {
  readonly log: Logger;
  config: HaupConfig | undefined;
  configHash = '';
  readonly instances = new Map<string, RuntimeInstance>();
  groups = new Map<string, { cfg: SyncGroupConfig; state: SyncGroup }>();
  readonly sockets: SocketPool;
  readonly links: LinkPool;
  readonly scripts: ScriptPool;
  readonly binder: Binder<RuntimeInstance>;
  readonly garpByIf = new Map<string, GarpFacts>();
  stopping = false;
  private readonly queue: { inst: RuntimeInstance; ev: Event; at: number | undefined; age?: number }[] = [];
  private draining = false;
  private statusQueued = false;
  private statusWrittenAt = -Infinity;
  private statusError: string | undefined;
  /** The wake FIFO next to the status file is made once, after the first write made its directory. */
  private wakeFifoMade = false;
  private notifyFd: number | null;
  private readonly preparing = new Set<RuntimeInstance>();
  private readonly now: () => number;
  private readonly startedAt = new Date().toISOString();
  private readonly dropLogged = new Map<string, number>();
  private readonly waitingLogged = new Set<string>();
  private readonly otherVrids: OtherVrids;
  readonly inFlight = new Set<Promise<unknown>>();

  constructor(readonly opts: AgentOptions) {
    this.log = opts.log;
    this.notifyFd = opts.notifyFd ?? null;
    this.now = opts.clock ?? monotonicMs;
    this.otherVrids = new OtherVrids(this, opts.vridFilters ?? process.env.HAUP_VRID_FILTER !== 'off');
    this.sockets = new SocketPool(
      (s, p) => this.onPacket(s, p),
      (s, err) => this.log.error(`socket ${s.key}: ${err.message}`),
      opts.openSocket,
    );
    this.links = new LinkPool(
      (ifname, state) => this.onLinkChange(ifname, state),
      (ifname, err) => this.log.warn(`watching ${ifname}: ${err.message}`),
    );
    this.scripts = new ScriptPool(this.log, (name) => this.onScriptChange(name));
    this.binder = new Binder<RuntimeInstance>(this);
  }

  // ---------------------------------------------------------------------------------------------
  // InstanceHost

  clock(): number {
    return this.now();
  }

  socket(key: string): OpenSocket | undefined {
    return this.sockets.get(key);
  }

  garp(ifname: string): GarpFacts | undefined {
    return this.garpByIf.get(ifname);
  }

  /**
   * Queues an event; events are stepped one at a time, in order, even when an action causes another.
   * `at` is when the input reached the agent (default: when it is stepped); `age` how long the kernel
   * held a packet before the agent read it (recorded only).
   */
  feed(inst: RuntimeInstance, ev: Event, at?: number, age?: number): void {
    this.queue.push({ inst, ev, at, ...(age ? { age } : {}) });
    if (!this.draining) this.drain();
  }

  changed(): void {
    if (this.statusQueued) return;
    this.statusQueued = true;
    setImmediate(() => {
      this.statusQueued = false;
      this.writeStatusNow();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The loop

  private drain(): void {
    this.draining = true;
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        const { inst, ev } = item;
        if (inst.stopped) continue;
        const now = item.at ?? this.clock();
        try {
          this.stepOne(inst, ev, now);
        } finally {
          // Recorded after the actions, so recording never delays an advert (a takeover's first one included).
          this.opts.record?.(JSON.stringify({ t: Number(now.toFixed(3)), ...(item.age ? { age: Number(item.age.toFixed(3)) } : {}), instance: inst.name, event: ev }));
        }
      }
    } finally {
      this.draining = false;
    }
    this.refreshStatus();
    this.otherVrids.afterWakeup();
  }

  /** Rewrites the status file (coalesced, on this wakeup) if it was last written STATUS_EVERY_MS ago. */
  refreshStatus(): void {
    if (!this.stopping && this.clock() - this.statusWrittenAt >= STATUS_EVERY_MS) this.changed();
  }

  private stepOne(inst: RuntimeInstance, ev: Event, now: number): void {
    let result;
    try {
      result = step(inst.vr, ev, now);
    } catch (err) {
      this.log.error(`${inst.name}: state machine rejected ${ev.type}: ${(err as Error).message}`);
      return;
    }
    const before = inst.vr;
    inst.vr = result.vr;
    for (const a of inst.perform(result.actions, now)) this.afterAction(inst, a);
    // The status file shows the master seen and the effective priority: write it when they change.
    if (before.masterAddress !== inst.vr.masterAddress || before.effectivePriority !== inst.vr.effectivePriority) this.changed();
    this.ownFaultsChanged(inst, before, result.actions);
    if (inst.vr.state !== 'backup') return;
    if (ev.type === 'reload' || before.state !== 'backup' || before.effectivePriority !== inst.vr.effectivePriority || now - inst.preparedAt >= PREPARE_EVERY_MS) {
      this.prepareTakeover(inst);
    }
  }

  /** Runs the instance's takeover code without effects on a later turn of the loop (not on the path of this input). */
  private prepareTakeover(inst: RuntimeInstance): void {
    if (this.preparing.has(inst)) return;
    this.preparing.add(inst);
    setImmediate(() => {
      this.preparing.delete(inst);
      if (!inst.stopped && !this.stopping) inst.prepareTakeover(this.clock());
    });
  }

  private afterAction(inst: RuntimeInstance, a: Action): void {
    if (a.type === 'notify') {
      for (const call of instanceNotifyCalls(inst.name, inst.cfg.notify, a.state, inst.vr.effectivePriority)) this.runNotify(call);
      return;
    }
    if (a.type !== 'transition') return;
    inst.lastTransitionAt = new Date().toISOString();
    const detail = a.detail === undefined ? '' : ` detail=${a.detail}`;
    this.log.info(`${inst.name}: ${stateName(a.from)} -> ${stateName(a.to)} reason=${a.reason}${detail}`);
    this.changed();
    if (!this.stopping) this.syncGroupAfter(inst, a);
  }

  /**
   * syncGroupStep reacts to transitions. A member whose own fault clears while it stays in FAULT
   * (it also carries the group's fault source) makes no transition, yet the group must re-evaluate,
   * or the group's fault source would never be cleared: feed it a FAULT -> FAULT change.
   */
  private ownFaultsChanged(inst: RuntimeInstance, before: VirtualRouter, actions: readonly Action[]): void {
    if (this.stopping || actions.some((a) => a.type === 'transition')) return;
    const own = (vr: VirtualRouter) => vr.faults.filter((f) => !f.startsWith('sync-group:'));
    const was = own(before);
    const now = own(inst.vr);
    if (was.length === now.length && was.every((f, i) => f === now[i])) return;
    const state = inst.vr.state;
    this.syncGroupAfter(inst, { type: 'transition', from: state, to: state, reason: now.length < was.length ? 'fault-cleared' : 'fault' });
  }

  private syncGroupAfter(inst: RuntimeInstance, t: Extract<Action, { type: 'transition' }>): void {
    const g = [...this.groups.values()].find((x) => x.cfg.members.includes(inst.name));
    if (!g) return;
    const routers = Object.fromEntries(g.cfg.members.flatMap((m) => {
      const member = this.instances.get(m);
      return member && member.started && !member.stopped ? [[m, member.vr]] : [];
    }));
    const res = syncGroupStep(g.state, routers, inst.name, t);
    g.state = res.group;
    for (const f of res.forced) {
      const target = this.instances.get(f.instance);
      if (target) this.feed(target, f.event);
    }
    if (res.notify) {
      this.log.info(`vrrp_sync_group ${g.cfg.name}: now ${res.notify.toUpperCase()}`);
      for (const call of groupNotifyCalls(g.cfg.name, g.cfg.notify, res.notify)) this.runNotify(call);
    }
  }

  policy(): ScriptPolicy {
    const g = this.config?.globalDefs;
    return { security: g?.enableScriptSecurity ?? false, defaultUser: g?.scriptUser };
  }

  private runNotify(call: NotifyCall): void {
    const permit = scriptPermit(call.script.script, call.script.user, this.policy());
    if ('refused' in permit) {
      this.log.error(`${call.label}: refusing to run ${call.script.script} (${call.script.file}:${call.script.line}): ${permit.refused}`);
      return;
    }
    const account = permit.account ? { uid: permit.account.uid, gid: permit.account.gid } : {};
    const p = runScript(call.script.script, { timeoutMs: NOTIFY_TIMEOUT_MS, args: call.args, ...account }).then((r) => {
      if (!r.ok) this.log.warn(`${call.label}: ${call.script.script} ${call.args.join(' ')}: ${describeResult(r)}`.replace(/ +:/, ':'));
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  private onPacket(sock: OpenSocket, packet: ReceivedPacket): void {
    // RFC 5798 §6.4.2: the Master_Down_Timer restarts when the advert is received, so it counts from the
    // kernel's receive timestamp (packetArrival), not from when the event loop read the socket, nor from
    // after decoding and checking it.
    const at = packetArrival(this.clock(), packet.ageMs);
    sock.stats.read++;
    try {
      this.deliver(sock, this.receiversOf(sock), packet, at);
    } catch (err) {
      // A packet must never take the agent down (issue 3: "a malformed packet can never crash it").
      this.log.error(`packet from ${packet.src} on ${sock.ifname}: ${(err as Error).stack ?? String(err)}`);
    }
  }

  receiversOf(sock: OpenSocket): SocketReceivers {
    const members = [...this.instances.values()].filter((i) => i.socketKey === sock.key && !i.stopped);
    const elsewhere = new Set(
      [...this.instances.values()].filter((i) => i.socketKey !== sock.key && i.cfg.family === sock.family && i.cfg.interface === sock.ifname).map((i) => i.cfg.vrid),
    );
    const receivers = members.map((i) => ({ name: i.name, vrid: i.cfg.vrid, expectation: advertExpectation(i.cfg), checkTtl: i.cfg.unicastPeers.length === 0 }));
    return { members, receivers, elsewhere };
  }

  /** Classifies one packet and counts or feeds it; `at` undefined: a drained packet, never fed to the state machine. */
  deliver(sock: OpenSocket, ctx: SocketReceivers, packet: ReceivedPacket, at: number | undefined, d = classifyPacket(packet, sock.family, ctx.receivers, ctx.elsewhere), times = 1): void {
    if (d.kind === 'advert') {
      if (at === undefined) {
        sock.stats.stale += times;
        return;
      }
      const inst = this.instances.get(d.instance) as RuntimeInstance;
      inst.count('received');
      if (d.priority === 0) inst.count('priority-zero-received');
      this.feed(inst, { type: 'advert', src: d.src, priority: d.priority, intervalCs: d.intervalCs }, at, packet.ageMs);
    } else if (d.kind === 'drop') {
      for (const n of d.instances) this.instances.get(n)?.count(d.reason, times);
      this.logDrop(d.instances, d.reason, d.detail, d.src);
      if (at !== undefined) this.refreshStatus();
    }
  }

  // VRID filters and the other-VRID queues (other-vrids.ts)

  /** Attaches the VRID filters the sockets' instances now need (after start, reload, binding). */
  syncFilters(): void {
    this.otherVrids.syncFilters();
  }

  /** Reads every other-VRID queue now (before instances change sockets, before the status file is written). */
  drainAll(): void {
    this.otherVrids.drainAll();
  }

  startDraining(): void {
    this.otherVrids.start();
  }

  stopDraining(): void {
    this.otherVrids.stop();
  }

  private logDrop(instances: string[], reason: string, detail: string, src: string): void {
    if (reason === 'vrid') return; // other routers' VRIDs on the link are normal: counted only
    const key = `${instances.join(',')} ${reason} ${src}`;
    const now = this.clock();
    const last = this.dropLogged.get(key);
    if (last !== undefined && now - last < DROP_LOG_EVERY_MS) return;
    this.dropLogged.set(key, now);
    this.log.warn(`${instances.join(', ')}: dropped advert from ${src}: ${reason} (${detail})${last === undefined ? '' : '; repeats are counted, logged once a minute'}`);
  }

  onScriptChange(name: string): void {
    for (const inst of this.instances.values()) if (inst.cfg.trackScripts.some((t) => t.script === name)) this.refreshHealth(inst);
  }

  private onLinkChange(ifname: string, state: LinkState): void {
    this.log.info(`interface ${ifname}: link ${state.usable ? 'up' : `down (${state.exists ? `${state.up ? 'no carrier' : 'admin down'}` : 'gone'})`}`);
    if (state.usable) {
      void this.refreshGarpFacts([ifname]);
      this.binder.linkUp(ifname, state.ifindex);
    }
    for (const inst of this.instances.values()) {
      if (inst.cfg.interface === ifname || inst.cfg.trackInterfaces.some((t) => t.interface === ifname)) this.refreshHealth(inst);
    }
  }

  async refreshGarpFacts(ifnames: Iterable<string>): Promise<void> {
    try {
      const { found } = await readInterfaces(ifnames);
      for (const [name, info] of found) this.garpByIf.set(name, garpFacts(info));
    } catch (err) {
      this.log.warn(`reading interfaces for gratuitous ARP: ${(err as Error).message}`);
    }
  }

  /**
   * Brings the instance in line with its tracks. Before its startup event, it waits until every
   * weight-0 track script has reported once (keepalived num_script_init), then starts with the faults and
   * priority they give.
   */
  refreshHealth(inst: RuntimeInstance): void {
    if (inst.stopped || this.stopping) return;
    const h = this.health(inst);
    if (!inst.started) {
      if (h.pending.length > 0) {
        if (!this.waitingLogged.has(inst.name)) this.log.info(`${inst.name}: waiting for ${h.pending.join(', ')} to report before starting`);
        this.waitingLogged.add(inst.name);
        return;
      }
      inst.started = true;
      if (h.priority !== inst.vr.effectivePriority) this.feed(inst, { type: 'priority-changed', priority: h.priority });
      for (const f of h.faults) this.feed(inst, { type: 'fault', source: f });
      this.feed(inst, { type: 'startup' });
      return;
    }
    for (const ev of healthEvents(inst.vr, h)) {
      if (ev.type === 'priority-changed') this.log.info(`${inst.name}: effective priority ${inst.vr.effectivePriority} -> ${ev.priority}`);
      this.feed(inst, ev);
      if (ev.type === 'priority-changed') this.changed();
    }
  }

  /** Link state as the instance sees it: its own interface counts as down until it is bound (binding.ts). */
  linkStatusOf(inst: RuntimeInstance, ifname: string): CheckStatus {
    return ifname === inst.cfg.interface && !isBound(inst) ? 'down' : this.links.status(ifname);
  }

  linkUsable(ifname: string): boolean {
    return this.links.status(ifname) === 'up';
  }

  health(inst: RuntimeInstance): Health {
    return instanceHealth(inst.cfg, trackedFor(inst.cfg, (n) => this.scripts.status(n), (i) => this.linkStatusOf(inst, i)));
  }

  priorityOf(inst: RuntimeInstance): number {
    return this.health(inst).priority;
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  statusSnapshot(): AgentStatusWithSockets {
    const now = new Date().toISOString();
    return {
      agent: 'haup-agent',
      version: this.opts.version ?? 'dev',
      pid: process.pid,
      node: this.config?.globalDefs.routerId ?? hostname(),
      configFile: this.opts.configFile,
      configHash: this.configHash,
      startedAt: this.startedAt,
      updatedAt: now,
      instances: [...this.instances.values()].map((i) =>
        instanceStatus({
          cfg: i.cfg,
          vr: i.vr,
          stopped: i.stopped,
          vipsHeld: i.vipsHeld,
          lastTransitionAt: i.lastTransitionAt,
          counters: i.counters,
          tracks: [
            ...i.cfg.trackScripts.map((t) => ({ name: t.script, kind: 'script' as const, healthy: this.scripts.status(t.script) === 'up' })),
            ...[i.cfg.interface, ...i.cfg.trackInterfaces.map((t) => t.interface).filter((n) => n !== i.cfg.interface)].map((n) => ({
              name: n,
              kind: 'interface' as const,
              healthy: this.linkStatusOf(i, n) === 'up',
            })),
          ],
        }),
      ),
      sockets: this.sockets.all().map(socketStatus),
    };
  }

  writeStatusNow(): void {
    this.statusWrittenAt = this.clock();
    this.drainAll(); // the other-VRID counters are as fresh as the rest
    try {
      writeStatus(this.opts.stateFile, this.statusSnapshot());
      this.statusError = undefined;
      if (this.notifyFd !== null) {
        notifyReady(this.notifyFd);
        this.notifyFd = null;
      }
      if (!this.wakeFifoMade) {
        this.wakeFifoMade = true;
        // deploy's waits block on it (agent/status.ts); without it they look every 20-50 ms instead.
        try {
          (this.opts.makeFifo ?? addonMakeFifo)(statusWakeFifo(this.opts.stateFile));
        } catch (err) {
          this.log.warn(`cannot make ${statusWakeFifo(this.opts.stateFile)}: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== this.statusError) this.log.error(`cannot write the status file ${this.opts.stateFile}: ${msg}`);
      this.statusError = msg;
    }
  }
}
