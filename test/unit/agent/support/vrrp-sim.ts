// An in-memory network of VRRP state machines: adverts delivered with latency, timers on a simulated clock.
import { createRouter, step, type Action, type Event, type RouterConfig, type TimerName, type VirtualRouter } from '../../../../agent/vrrp/fsm.js';

export interface SimNode {
  name: string;
  vr: VirtualRouter;
  alive: boolean;
  holdsVips: boolean;
  timers: Partial<Record<TimerName, number>>;
}

type Queued = { at: number; seq: number; node: string; event: Event; timer?: { name: TimerName; deadline: number }; kill?: true };

const TIMER_EVENT: Record<TimerName, Event['type']> = {
  'master-down': 'master-down-timer',
  advert: 'advert-timer',
  'garp-delay': 'garp-delay-timer',
  'garp-refresh': 'garp-refresh-timer',
};

export class VrrpSim {
  now = 0;
  readonly nodes = new Map<string, SimNode>();
  /** Every action list any step produced (for invariants over actions). */
  readonly actionLog: { node: string; at: number; actions: Action[] }[] = [];
  /** Samples of how many nodes held the VIPs, after every event. */
  readonly holders: { at: number; count: number; masters: number }[] = [];
  private queue: Queued[] = [];
  private seq = 0;

  constructor(private readonly latencyMs: (from: string, to: string) => number = () => 1) {}

  add(name: string, config: RouterConfig): void {
    this.nodes.set(name, { name, vr: createRouter(config), alive: false, holdsVips: false, timers: {} });
  }

  private push(q: Omit<Queued, 'seq'>): void {
    this.queue.push({ ...q, seq: this.seq++ });
    this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /** Schedules an external event (startup, shutdown, fault, ...) for a node. */
  at(time: number, node: string, event: Event): void {
    this.push({ at: time, node, event });
  }

  /** Power-cuts a node at `time`: no shutdown advert, its VIPs vanish with it. */
  kill(time: number, node: string): void {
    this.push({ at: time, node, event: { type: 'shutdown' }, kill: true });
  }

  private apply(n: SimNode, event: Event): void {
    const r = step(n.vr, event, this.now);
    n.vr = r.vr;
    this.actionLog.push({ node: n.name, at: this.now, actions: r.actions });
    for (const a of r.actions) this.perform(n, a);
  }

  private perform(n: SimNode, a: Action): void {
    switch (a.type) {
      case 'send-advert':
        for (const other of this.nodes.values()) {
          if (other === n) continue;
          const ev: Event = { type: 'advert', src: n.vr.config.primaryAddress, priority: a.priority, intervalCs: n.vr.config.advertIntervalCs };
          this.push({ at: this.now + this.latencyMs(n.name, other.name), node: other.name, event: ev });
        }
        break;
      case 'add-vips':
        n.holdsVips = true;
        break;
      case 'remove-vips':
        n.holdsVips = false;
        break;
      case 'start-timer': {
        const deadline = this.now + a.ms;
        n.timers[a.timer] = deadline;
        this.push({ at: deadline, node: n.name, event: { type: TIMER_EVENT[a.timer] } as Event, timer: { name: a.timer, deadline } });
        break;
      }
      case 'stop-timer':
        delete n.timers[a.timer];
        break;
      case 'send-garp':
      case 'transition':
      case 'notify':
        break;
      default: {
        const never: never = a;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  }

  /** Runs every event up to `until`. */
  runUntil(until: number): void {
    let budget = 50_000;
    while (this.queue.length > 0 && (this.queue[0] as Queued).at <= until) {
      // Two machines answering each other forever at one instant is a bug worth a clear failure.
      if (--budget === 0) throw new Error(`event storm at t=${this.now}: over 50000 events`);
      const q = this.queue.shift() as Queued;
      this.now = q.at;
      const n = this.nodes.get(q.node);
      if (!n) continue;
      if (q.kill) {
        // kill: the process is gone, the kernel drops its addresses.
        n.alive = false;
        n.holdsVips = false;
        n.timers = {};
        n.vr = createRouter(n.vr.config, n.vr.effectivePriority);
      } else if (q.event.type === 'startup') {
        // A (re)started agent is a new process: a fresh router, no timers, no remembered faults.
        if (!n.alive) {
          n.vr = createRouter(n.vr.config, n.vr.config.priority);
          n.timers = {};
        }
        n.alive = true;
        this.apply(n, q.event);
      } else if (n.alive) {
        // Like the runtime: a cancelled or re-armed timer never fires.
        if (q.timer && n.timers[q.timer.name] !== q.timer.deadline) continue;
        if (q.timer) delete n.timers[q.timer.name];
        this.apply(n, q.event);
        if (q.event.type === 'shutdown') n.alive = false;
      }
      const alive = [...this.nodes.values()].filter((x) => x.alive);
      this.holders.push({ at: this.now, count: alive.filter((x) => x.holdsVips).length, masters: alive.filter((x) => x.vr.state === 'master').length });
    }
    this.now = until;
  }

  masters(): string[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.vr.state === 'master').map((n) => n.name);
  }

  vipHolders(): string[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.holdsVips).map((n) => n.name);
  }
}
