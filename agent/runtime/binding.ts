// Binding instances to their interface: the address adverts go out from and the socket that sends them.
//
// An instance whose interface does not exist (at start, or re-created later) is unbound: its own
// interface counts as down, so it sits in FAULT with reason interface-down, and it is bound (and
// leaves FAULT) once the interface is back with an address. keepalived does the same with
// `dynamic_interfaces`; without it keepalived drops the instance, and we would rather recover.
import type { HaupConfig, VrrpInstance } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { InterfaceInfo } from '../net/vips.js';
import { createRouter } from '../vrrp/fsm.js';
import type { Event, VirtualRouter } from '../vrrp/fsm-types.js';
import { routerConfig } from '../vrrp/instance.js';
import { readInterfaces, sourceAddressFor } from './interfaces.js';
import { allVipAddresses, socketSpecOf } from './setup.js';
import { socketKey, type SocketPool, type SocketSpec } from './sockets.js';

/** The socket key of an instance that has no socket (its interface is missing). */
export const UNBOUND = '';

export interface Bindable {
  readonly name: string;
  cfg: VrrpInstance;
  source: string;
  socketKey: string;
  stopped: boolean;
}

export const isBound = (inst: Pick<Bindable, 'socketKey'>): boolean => inst.socketKey !== UNBOUND;

/** A router for an instance that is not bound yet (no source address: it cannot win an election before binding). */
export function unboundRouter(cfg: VrrpInstance): VirtualRouter {
  return createRouter(routerConfig(cfg, cfg.family === 6 ? '::' : '0.0.0.0'));
}

/**
 * The instances on `ifname` that need (re)binding now that it is up with `ifindex`: unbound ones, and
 * bound ones whose socket is on another ifindex (the interface was deleted and created again, which
 * takes the socket's device binding and multicast membership with it). Pure.
 */
export function toBind<T extends Bindable>(instances: Iterable<T>, ifname: string, ifindex: number, socketIfindex: (key: string) => number | undefined): { unbound: T[]; stale: T[] } {
  const unbound: T[] = [];
  const stale: T[] = [];
  for (const i of instances) {
    if (i.stopped || i.cfg.interface !== ifname) continue;
    if (!isBound(i)) unbound.push(i);
    else if (socketIfindex(i.socketKey) !== ifindex) stale.push(i);
  }
  return { unbound, stale };
}

/** What the binder needs from the agent. */
export interface BinderHost<T extends Bindable> {
  readonly log: Logger;
  readonly stopping: boolean;
  readonly config: HaupConfig | undefined;
  readonly instances: ReadonlyMap<string, T>;
  readonly sockets: SocketPool;
  linkUsable(ifname: string): boolean;
  /** The instance's effective priority from its tracks (for the router config it is bound with). */
  priorityOf(inst: T): number;
  feed(inst: T, ev: Event): void;
  refreshHealth(inst: T): void;
  /** Reads the drain sockets before instances join a socket (their packets are classified as they were queued). */
  drainAll?(): void;
  /** Instances joined sockets: attach the VRID filters they now need. */
  syncFilters?(): void;
}

/** While an instance is unbound with its link up (e.g. no address yet), binding is retried this often. */
const RETRY_MS = 1000;

export class Binder<T extends Bindable> {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly noAddressLogged = new Set<string>();
  /** Runs while some instance is unbound: retries, and keeps the process alive when it has no socket at all. */
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: BinderHost<T>,
    private readonly read: (names: Iterable<string>) => Promise<{ found: Map<string, InterfaceInfo> }> = readInterfaces,
  ) {}

  /** Sockets every bound, running instance needs. */
  boundSpecs(): SocketSpec[] {
    return [...this.host.instances.values()].filter((i) => isBound(i) && !i.stopped).map((i) => socketSpecOf(i.cfg, i.source));
  }

  /**
   * `ifname` is up with `ifindex`: stale sockets are closed and their instances unbound at once (so the
   * health refresh that follows keeps them in FAULT), then everything unbound on it is bound.
   */
  linkUp(ifname: string, ifindex: number): void {
    const { unbound, stale } = toBind(this.host.instances.values(), ifname, ifindex, (key) => this.host.sockets.get(key)?.sock.ifindex);
    for (const inst of stale) {
      this.host.log.info(`${inst.name}: interface ${ifname} was created again (ifindex ${ifindex}): re-opening the socket its adverts go through`);
      this.host.sockets.drop(inst.socketKey);
      inst.socketKey = UNBOUND;
    }
    if (unbound.length + stale.length > 0) void this.bind(ifname);
    this.update();
  }

  /** Starts or stops the retry timer: it runs exactly while some running instance is unbound. */
  update(): void {
    const waiting = !this.host.stopping && [...this.host.instances.values()].some((i) => !i.stopped && !isBound(i));
    if (waiting && !this.retry) {
      this.retry = setInterval(() => {
        const names = new Set([...this.host.instances.values()].filter((i) => !i.stopped && !isBound(i)).map((i) => i.cfg.interface));
        for (const n of names) if (this.host.linkUsable(n)) void this.bind(n);
      }, RETRY_MS);
    } else if (!waiting && this.retry) {
      clearInterval(this.retry);
      this.retry = undefined;
    }
  }

  stop(): void {
    if (this.retry) clearInterval(this.retry);
    this.retry = undefined;
  }

  /**
   * Binds the unbound instances on `ifname`. A call while a run is going makes it run once more (the
   * interface may have changed meanwhile); the promise settles when the run, repeats included, is done.
   */
  bind(ifname: string): Promise<void> {
    const current = this.running.get(ifname);
    if (current) {
      this.again.add(ifname);
      return current;
    }
    const run = (async () => {
      try {
        do {
          this.again.delete(ifname);
          await this.bindOnce(ifname);
        } while (this.again.has(ifname) && !this.host.stopping);
      } catch (err) {
        this.host.log.warn(`binding instances to ${ifname}: ${(err as Error).message}; retrying`);
      } finally {
        this.running.delete(ifname);
        this.update();
      }
    })();
    this.running.set(ifname, run);
    return run;
  }

  private async bindOnce(ifname: string): Promise<void> {
    const info = (await this.read([ifname])).found.get(ifname);
    // Gone again, or down: the next link-up event binds it.
    if (!info || this.host.stopping || !this.host.config || !this.host.linkUsable(ifname)) return;
    const vips = allVipAddresses(this.host.config);
    const ready: { inst: T; source: string; spec: SocketSpec }[] = [];
    for (const inst of this.host.instances.values()) {
      if (inst.stopped || isBound(inst) || inst.cfg.interface !== ifname) continue;
      const source = sourceAddressFor(inst.cfg, info, vips);
      if (source) {
        ready.push({ inst, source, spec: socketSpecOf(inst.cfg, source) });
        continue;
      }
      if (this.noAddressLogged.has(inst.name)) continue;
      this.noAddressLogged.add(inst.name);
      const what = inst.cfg.family === 6 ? 'usable IPv6 link-local address' : 'IPv4 address of its own';
      this.host.log.warn(`${inst.name}: interface ${ifname} is up but has no ${what} to send adverts from yet; staying in FAULT until it has`);
    }
    if (ready.length === 0) return;
    this.host.drainAll?.();
    try {
      this.host.sockets.sync([...this.boundSpecs(), ...ready.map((r) => r.spec)]);
    } catch (err) {
      this.host.log.error(`cannot open a VRRP socket on ${ifname}: ${(err as Error).message}; retrying`);
      return;
    }
    for (const { inst, source, spec } of ready) {
      inst.source = source;
      inst.socketKey = socketKey(spec);
      this.noAddressLogged.delete(inst.name);
      this.host.log.info(`${inst.name}: interface ${ifname} is there (ifindex ${info.ifindex}): adverts go out from ${source}`);
      this.host.feed(inst, { type: 'reload', config: routerConfig(inst.cfg, source), priority: this.host.priorityOf(inst) });
      this.host.refreshHealth(inst);
    }
    this.host.syncFilters?.();
  }
}
