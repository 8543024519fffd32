// One running VRRP instance: its router state, timers, counters, and the network side of its actions (adverts, VIPs, GARP).
//
// Order matters on the takeover path (RFC 5798 §6.4.2): the advert goes out synchronously first,
// then the VIPs are added, then gratuitous ARPs follow once the addresses exist. keepalived 2.2.7
// (vrrp_state_master_tx) adds the VIPs, sends GARP and starts notify scripts before its first advert.
import type { VirtualIp, VrrpInstance } from '../config/schema.js';
import type { Logger } from '../log.js';
import { sendGratuitous } from '../net/garp.js';
import { VRRP_GROUP } from '../net/socket.js';
import { addVipNow, removeVipNow, type Vip } from '../net/vips.js';
import type { Action, Event, TimerName, VirtualRouter } from '../vrrp/fsm-types.js';
import { step } from '../vrrp/fsm.js';
import { advertFor } from '../vrrp/instance.js';
import { encodeAdvert } from '../vrrp/packet.js';
import type { GarpFacts } from './interfaces.js';
import type { OpenSocket } from './sockets.js';
import { vipText } from './status-view.js';

export interface InstanceHost {
  readonly log: Logger;
  /** Monotonic milliseconds (the clock of the router's `now`). */
  clock(): number;
  socket(key: string): OpenSocket | undefined;
  garp(ifname: string): GarpFacts | undefined;
  feed(inst: RuntimeInstance, ev: Event): void;
  /** Something the status file shows changed (VIPs held, counters after a burst). */
  changed(): void;
}

const TIMER_EVENT: Record<TimerName, Event['type']> = {
  'master-down': 'master-down-timer',
  advert: 'advert-timer',
  'garp-delay': 'garp-delay-timer',
  'garp-refresh': 'garp-refresh-timer',
};

/** A timer firing this much before its deadline is re-armed (Node may fire up to ~1 ms early; the FSM allows 5). */
const EARLY_MS = 2;

/**
 * Timers whose lateness is takeover time. Node's setTimeout counts whole milliseconds from the
 * loop's cached time, so it fires 1-2 ms after the deadline (more if the process is not scheduled
 * at once). These wake PRECISE_LEAD_MS early and finish on setImmediate turns, which poll I/O
 * between checks, so an advert arriving meanwhile still re-arms the timer before it fires. The
 * busy part costs at most the lead, and only when a master really goes missing.
 */
const PRECISE: ReadonlySet<TimerName> = new Set(['master-down']);
const PRECISE_LEAD_MS = 2;

type TimerHandle = { kind: 'timeout'; h: NodeJS.Timeout } | { kind: 'immediate'; h: NodeJS.Immediate };

export function toNetVip(v: VirtualIp, defaultDev: string): Vip {
  return { address: v.address, prefix: v.prefix, dev: v.dev ?? defaultDev, ...(v.label ? { label: v.label } : {}) };
}

export class RuntimeInstance {
  /** The startup event has been fed (instances wait for weight-0 track scripts to report first). */
  started = false;
  /** Shut down (SIGTERM or removed by a reload): its state shows as STOP. */
  stopped = false;
  readonly counters: Record<string, number> = {};
  vipsHeld = false;
  lastTransitionAt: string | null = null;
  private readonly timers = new Map<TimerName, TimerHandle>();
  private vipChain: Promise<void> = Promise.resolve();
  private lastSendError: string | undefined;
  /** Clock time of the last prepareTakeover (-Infinity: never). */
  preparedAt = -Infinity;
  /** The encoded adverts last sent or prepared: a master sends the same bytes every interval. */
  private adverts: { cfg: VrrpInstance; src: string; priority: number; packets: { dst: string; bytes: Uint8Array }[] } | undefined;

  constructor(
    public cfg: VrrpInstance,
    public vr: VirtualRouter,
    /** Address adverts are sent from, and the socket that sends them. */
    public source: string,
    public socketKey: string,
    private readonly host: InstanceHost,
  ) {}

  get name(): string {
    return this.cfg.name;
  }

  count(counter: string, n = 1): void {
    this.counters[counter] = (this.counters[counter] ?? 0) + n;
  }

  /** Performs the network and timer actions in order; returns the transition and notify actions for the agent. */
  perform(actions: readonly Action[], now: number): Action[] {
    const rest: Action[] = [];
    for (const a of actions) {
      switch (a.type) {
        case 'send-advert':
          this.sendAdvert(a.priority);
          break;
        case 'add-vips':
          this.addVips(this.cfg.vips);
          break;
        case 'remove-vips':
          this.removeVips(this.cfg.vips);
          break;
        case 'send-garp':
          this.sendGarp(a.repeat, this.cfg.vips);
          break;
        case 'start-timer':
          this.armTimer(a.timer, this.vr.timers[a.timer] ?? now + a.ms);
          break;
        case 'stop-timer':
          this.cancelTimer(a.timer);
          break;
        case 'transition':
        case 'notify':
          rest.push(a);
          break;
        default: {
          const never: never = a;
          throw new Error(`unknown action ${JSON.stringify(never)}`);
        }
      }
    }
    return rest;
  }

  /** The advert with `priority` from `src`, encoded for each destination (the VRRP group or the unicast peers). */
  advertPackets(src: string, priority: number): { dst: string; bytes: Uint8Array }[] {
    const c = this.adverts;
    if (c && c.cfg === this.cfg && c.src === src && c.priority === priority) return c.packets;
    const advert = advertFor(this.cfg, priority);
    const dsts = this.cfg.unicastPeers.length > 0 ? this.cfg.unicastPeers : [VRRP_GROUP[this.cfg.family]];
    const packets = dsts.map((dst) => ({ dst, bytes: encodeAdvert(advert, { family: this.cfg.family, src, dst }) }));
    this.adverts = { cfg: this.cfg, src, priority, packets };
    return packets;
  }

  /**
   * Gets a backup ready to take over fast: encodes the advert it would send, and steps the
   * Master_Down_Timer event on a copy of its router, discarding the result (step() is pure). V8
   * compiles a function on its first call, so otherwise the first advert would wait for the
   * compilation of code a backup never runs (about 0.5-1 ms on a small VM).
   */
  prepareTakeover(now: number): void {
    this.preparedAt = now;
    try {
      const sock = this.host.socket(this.socketKey);
      if (sock) this.advertPackets(sock.src, this.vr.effectivePriority);
      if (this.vr.state === 'backup') step(this.vr, { type: 'master-down-timer' }, this.vr.timers['master-down'] ?? now);
    } catch {
      // Only a head start: a real takeover meets (and reports) the same problem.
    }
  }

  sendAdvert(priority: number): void {
    const sock = this.host.socket(this.socketKey);
    if (!sock) return;
    let packets;
    try {
      packets = this.advertPackets(sock.src, priority);
    } catch (err) {
      this.sendFailed(this.cfg.unicastPeers.join(', ') || VRRP_GROUP[this.cfg.family], err);
      return;
    }
    for (const { dst, bytes } of packets) {
      try {
        sock.sock.send(bytes, dst);
        this.count('sent');
        if (priority === 0) this.count('priority-zero-sent');
        this.lastSendError = undefined;
      } catch (err) {
        this.sendFailed(dst, err);
      }
    }
  }

  private sendFailed(dst: string, err: unknown): void {
    this.count('send-error');
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    // Log a failure once, not every advert interval (ENETDOWN while the link is down).
    if (why !== this.lastSendError) this.host.log.warn(`${this.name}: cannot send advert to ${dst}: ${(err as Error).message}`);
    this.lastSendError = why;
  }

  /** Queues VIP changes one after the other, so an add and a later remove never race. */
  private chain(what: string, job: () => Promise<void>): void {
    this.vipChain = this.vipChain.then(job).catch((err: unknown) => this.host.log.error(`${this.name}: ${what}: ${(err as Error).message}`));
  }

  addVips(vips: readonly VirtualIp[]): void {
    if (vips.length === 0) return;
    const started = this.host.clock();
    this.chain('adding VIPs', async () => {
      const results = await Promise.allSettled(vips.map((v) => addVipNow(toNetVip(v, this.cfg.interface))));
      const took = (this.host.clock() - started).toFixed(1);
      results.forEach((r, i) => {
        const v = toNetVip(vips[i] as VirtualIp, this.cfg.interface);
        const text = `${vipText(vips[i] as VirtualIp)} dev ${v.dev}${v.label ? ` label ${v.label}` : ''}`;
        if (r.status === 'fulfilled') this.host.log.info(`${this.name}: ${r.value === 'added' ? 'added' : 'already had'} VIP ${text} (${took} ms)`);
        else this.host.log.error(`${this.name}: cannot add VIP ${text}: ${(r.reason as Error).message}`);
      });
      this.vipsHeld = results.some((r) => r.status === 'fulfilled');
      this.host.changed();
    });
  }

  /** Removes `vips`; `all` says they are all this instance has (then it holds none afterwards). */
  removeVips(vips: readonly VirtualIp[], all = true): void {
    if (vips.length === 0) return;
    this.chain('removing VIPs', async () => {
      const results = await Promise.allSettled(vips.map((v) => removeVipNow(toNetVip(v, this.cfg.interface))));
      results.forEach((r, i) => {
        const v = toNetVip(vips[i] as VirtualIp, this.cfg.interface);
        if (r.status === 'rejected') {
          // A VIP on a device that does not exist went away with it (an unbound instance's FAULT entry, a deleted interface).
          if (!isNoDevice(r.reason)) this.host.log.error(`${this.name}: cannot remove VIP ${vipText(vips[i] as VirtualIp)} dev ${v.dev}: ${(r.reason as Error).message}`);
        } else if (r.value === 'removed') this.host.log.info(`${this.name}: removed VIP ${vipText(vips[i] as VirtualIp)} dev ${v.dev}`);
      });
      if (all) this.vipsHeld = false;
      this.host.changed();
    });
  }

  /** Gratuitous ARP / unsolicited NA for every VIP, `repeat` times, after pending VIP changes. */
  sendGarp(repeat: number, vips: readonly VirtualIp[]): void {
    this.chain('sending gratuitous ARP', async () => {
      let sent = 0;
      for (let r = 0; r < repeat; r++) {
        for (const v of vips) {
          const dev = v.dev ?? this.cfg.interface;
          const facts = this.host.garp(dev);
          if (!facts?.mac) continue;
          try {
            sendGratuitous(dev, facts.mac, v.address, { router: facts.ipv6Router });
            sent++;
          } catch (err) {
            this.count('garp-error');
            if (r === 0) this.host.log.warn(`${this.name}: cannot send gratuitous ARP/NA for ${v.address} on ${dev}: ${(err as Error).message}`);
          }
        }
      }
      this.count('garp-sent', sent);
    });
  }

  /** Resolves when every queued VIP change has finished. */
  vipsSettled(): Promise<void> {
    return this.vipChain;
  }

  armTimer(timer: TimerName, deadline: number): void {
    this.cancelTimer(timer);
    const lead = PRECISE.has(timer) ? PRECISE_LEAD_MS : 0;
    const fire = () => {
      const left = deadline - this.host.clock();
      if (left > lead + EARLY_MS) {
        this.timers.set(timer, { kind: 'timeout', h: setTimeout(fire, left - lead) });
        return;
      }
      if (lead > 0 && left > 0) {
        this.timers.set(timer, { kind: 'immediate', h: setImmediate(fire) });
        return;
      }
      this.timers.delete(timer);
      this.host.feed(this, { type: TIMER_EVENT[timer] } as Event);
    };
    this.timers.set(timer, { kind: 'timeout', h: setTimeout(fire, Math.max(0, deadline - lead - this.host.clock())) });
  }

  cancelTimer(timer: TimerName): void {
    const t = this.timers.get(timer);
    if (t) clearHandle(t);
    this.timers.delete(timer);
  }

  cancelTimers(): void {
    for (const t of this.timers.values()) clearHandle(t);
    this.timers.clear();
  }
}

function clearHandle(t: TimerHandle): void {
  if (t.kind === 'timeout') clearTimeout(t.h);
  else clearImmediate(t.h);
}

/** The error of an address change on a device that does not exist (rtnetlink ENODEV, or `ip`'s wording). */
function isNoDevice(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENODEV' || /Cannot find device|does not exist/.test((err as Error).message);
}
