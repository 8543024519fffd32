// One VRRP raw socket per (family, interface, source address), shared by the instances that send from it.
import { openVrrpSocket, type ReceivedPacket, type VrrpSocket, type VrrpSocketOptions } from '../net/socket.js';

export interface SocketSpec {
  family: 4 | 6;
  ifname: string;
  /** Source of every advert (the VRRPv3 checksum covers it): the interface's primary address or unicast_src_ip. */
  src: string;
  /** Join the VRRP group (false when every instance on it talks to unicast peers only). */
  multicast: boolean;
}

/** Packets a socket handed to the agent, by path (the status file shows them per socket). */
export interface SocketStats {
  /** Read one by one as the event loop woke for them (own VRIDs, and all packets without a VRID filter). */
  read: number;
  /** Read in batches from the drain socket (other VRIDs, classified and counted like the rest). */
  drained: number;
  /** Drained packets that classified as adverts for an instance: queued before its VRID was served here, or the drain copy of a packet seen while filters were swapped. Not fed to the state machine. */
  stale: number;
  /** Packets the kernel dropped on the drain socket (its buffer was full); counted as "vrid" drops. */
  overflow: number;
}

export interface OpenSocket extends SocketSpec {
  key: string;
  sock: VrrpSocket;
  stats: SocketStats;
  /** The VRID filter last attached ("own|exclude" VRIDs), or undefined while the socket passes every packet. */
  filter?: string;
}

export function socketKey(s: SocketSpec): string {
  return `IPv${s.family} ${s.ifname} from ${s.src}${s.multicast ? '' : ' (unicast)'}`;
}

export type SocketOpener = (opts: VrrpSocketOptions) => VrrpSocket;

export class SocketPool {
  private readonly open = new Map<string, OpenSocket>();

  constructor(
    private readonly onPacket: (s: OpenSocket, packet: ReceivedPacket) => void,
    private readonly onError: (s: OpenSocket, err: Error) => void,
    private readonly opener: SocketOpener = openVrrpSocket,
  ) {}

  get(key: string): OpenSocket | undefined {
    return this.open.get(key);
  }

  all(): OpenSocket[] {
    return [...this.open.values()];
  }

  /**
   * Opens the sockets `wanted` needs and closes the others. If one cannot be opened, the ones
   * opened by this call are closed again and the error is thrown: the running set is unchanged.
   */
  sync(wanted: readonly SocketSpec[]): void {
    const specs = new Map(wanted.map((s) => [socketKey(s), s]));
    const fresh: OpenSocket[] = [];
    try {
      for (const [key, s] of specs) {
        if (this.open.has(key)) continue;
        const sock = this.opener({ family: s.family, ifname: s.ifname, srcAddr: s.src, multicast: s.multicast });
        fresh.push({ ...s, key, sock, stats: { read: 0, drained: 0, stale: 0, overflow: 0 } });
      }
    } catch (err) {
      for (const f of fresh) f.sock.close();
      throw err;
    }
    for (const f of fresh) {
      this.open.set(f.key, f);
      f.sock.start(
        (p) => this.onPacket(f, p),
        (e) => this.onError(f, e),
      );
    }
    for (const [key, o] of this.open) {
      if (specs.has(key)) continue;
      o.sock.close();
      this.open.delete(key);
    }
  }

  /** Closes one socket (its interface was deleted: the socket is bound to a device that is gone). */
  drop(key: string): void {
    this.open.get(key)?.sock.close();
    this.open.delete(key);
  }

  closeAll(): void {
    for (const o of this.open.values()) o.sock.close();
    this.open.clear();
  }
}
