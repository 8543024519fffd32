// Other routers' VRIDs on the agent's links: VRID filters keep their adverts off the event loop, and their queue is read in batches.
//
// Each VRRP socket gets a filter (VrrpSocket.filterVrids) that wakes the agent only for its own instances'
// VRIDs; the packets of every other VRID queue on the socket's drain socket, which this module reads about
// once a second and before the status file is written. Drained packets go through the same classifyPacket
// as the rest, so the per-reason drop counters issue 3 asks for ("another VRID", bad checksums, ...) are
// exactly what they would be if each packet had woken the agent.
import type { Logger } from '../log.js';
import type { ReceivedPacket } from '../net/socket.js';
import type { RuntimeInstance } from './instance.js';
import { classificationKey, classifyPacket, socketVrids, type Delivery, type Receiver } from './receive.js';
import type { OpenSocket, SocketPool } from './sockets.js';

/**
 * The drain sockets are read on a wakeup the agent has anyway (an advert sent or received) once this long
 * has passed since the last read (a little under a second, so that an instance at advert_int 1 drains on
 * every advert, and one at 0.2 on every fifth), before the status file is written, and by a timer of their
 * own only when no such wakeup read them for DRAIN_LATEST_MS (the timer is pushed back on every read, so an
 * instance advertising or hearing adverts about every second costs no extra wakeup). Their 1 MiB buffers
 * hold some 2500 packets: two seconds of 125 VRIDs at advert_int 0.1.
 */
export const DRAIN_AFTER_MS = 900;
const DRAIN_LATEST_MS = 2000;

/** The classification context of one socket: its receivers and the VRIDs the agent's other sockets on the link serve. */
export interface SocketReceivers {
  members: RuntimeInstance[];
  receivers: Receiver[];
  elsewhere: Set<number>;
}

/** What OtherVrids needs from the agent. */
export interface OtherVridsHost {
  readonly log: Logger;
  readonly sockets: SocketPool;
  readonly instances: ReadonlyMap<string, RuntimeInstance>;
  clock(): number;
  receiversOf(sock: OpenSocket): SocketReceivers;
  /** Counts (or, for a packet read on a wakeup, feeds) one classified packet, `times` times; `at` undefined: drained. */
  deliver(sock: OpenSocket, ctx: SocketReceivers, packet: ReceivedPacket, at: number | undefined, d: Delivery, times?: number): void;
  refreshStatus(): void;
}

export class OtherVrids {
  private timer: NodeJS.Timeout | undefined;
  private drainedAt = -Infinity;

  /** enabled false: no filter is ever attached (HAUP_VRID_FILTER=off); every packet wakes the agent, as before. */
  constructor(
    private readonly host: OtherVridsHost,
    private readonly enabled: boolean,
  ) {}

  /**
   * Gives every socket the VRID filter its instances need (own VRIDs wake the loop; the rest is drained),
   * after reading what its drain socket holds under the old filter. A socket whose filter cannot be
   * attached passes every packet, as without filters; an addon without filters changes nothing.
   */
  syncFilters(): void {
    if (!this.enabled) return;
    const members = [...this.host.instances.values()].map((i) => ({ socketKey: i.socketKey, stopped: i.stopped, vrid: i.cfg.vrid, family: i.cfg.family, ifname: i.cfg.interface }));
    for (const s of this.host.sockets.all()) {
      if (!s.sock.filterVrids) continue;
      const { own, elsewhere } = socketVrids(s.key, s.family, s.ifname, members);
      const filter = `${own.join(',')}|${elsewhere.join(',')}`;
      if (s.filter === filter) continue;
      this.drainSocket(s);
      try {
        s.sock.filterVrids(own, elsewhere);
        s.filter = filter;
      } catch (err) {
        if (s.filter !== 'failed') this.host.log.warn(`socket ${s.key}: cannot attach its VRID filter (${(err as Error).message}); every packet wakes the agent`);
        s.filter = 'failed';
      }
    }
  }

  drainAll(): void {
    this.drainedAt = this.host.clock();
    this.timer?.refresh();
    for (const s of this.host.sockets.all()) this.drainSocket(s);
  }

  /** From now on the drain sockets are read on the agent's wakeups, and by a timer that does not keep the process alive. */
  start(): void {
    this.timer ??= setInterval(() => this.readAll(), DRAIN_LATEST_MS).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Called at the end of every wakeup that stepped the state machine: reads the queues if it is time. */
  afterWakeup(): void {
    if (this.timer && this.host.clock() - this.drainedAt >= DRAIN_AFTER_MS) this.readAll();
  }

  /** Re-checks the filters (cheap when nothing changed), then reads the drain sockets. */
  private readAll(): void {
    this.syncFilters();
    this.drainAll();
  }

  /**
   * Reads one socket's drain socket and classifies what it held exactly as if each packet had woken the
   * loop. Packets the kernel dropped there (buffer full) are counted as "vrid", like an unknown VRID:
   * against every instance on the socket.
   */
  private drainSocket(sock: OpenSocket): void {
    let batch;
    try {
      batch = sock.sock.drain?.();
    } catch (err) {
      this.host.log.error(`socket ${sock.key}: reading its other-VRID queue: ${(err as Error).message}`);
      return;
    }
    if (!batch || (batch.packets.length === 0 && batch.dropped === 0)) return;
    const ctx = this.host.receiversOf(sock);
    // Other routers send the same bytes every interval: each distinct packet of a batch is classified once
    // (classifyPacket is pure, and its inputs are the same for the whole batch).
    const classified = new Map<string, Delivery>();
    for (const packet of batch.packets) {
      const times = packet.count ?? 1;
      sock.stats.drained += times;
      try {
        const key = classificationKey(packet, sock.family);
        let d = classified.get(key);
        if (!d) classified.set(key, (d = classifyPacket(packet, sock.family, ctx.receivers, ctx.elsewhere)));
        this.host.deliver(sock, ctx, packet, undefined, d, times);
      } catch (err) {
        this.host.log.error(`packet from ${packet.src} on ${sock.ifname}: ${(err as Error).stack ?? String(err)}`);
      }
    }
    if (batch.dropped > 0) {
      sock.stats.overflow += batch.dropped;
      for (const m of ctx.members) m.count('vrid', batch.dropped);
    }
    this.host.refreshStatus();
  }
}
