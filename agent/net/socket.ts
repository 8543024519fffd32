// Typed wrapper over the haup_raw addon: VRRP raw sockets (IP protocol 112) and raw Ethernet frames.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** RFC 3768 §5.2.2 / RFC 5798 §5.1.1.2 and §5.1.2.2: where multicast adverts go. */
export const VRRP_GROUP = { 4: '224.0.0.18', 6: 'ff02::12' } as const;
export const IPPROTO_VRRP = 112;

export interface VrrpSocketOptions {
  family: 4 | 6;
  /** Interface the socket is bound to (SO_BINDTODEVICE) for sending and receiving. */
  ifname: string;
  /**
   * Source address of every packet sent (IP_PKTINFO / IPV6_PKTINFO per send; for v6 use the
   * interface's link-local address). Set it so the VRRPv3 pseudo-header checksum is computed over
   * the address that really goes on the wire. Must be an address of this host, not tentative.
   */
  srcAddr?: string;
  /** Join 224.0.0.18 / ff02::12 on the interface. False for unicast peers only. */
  multicast: boolean;
  /**
   * IPv6 only: let the kernel fill in (send) and verify (receive, silently dropping bad ones) the
   * checksum at VRRP offset 6, as keepalived does. Default false: the codec computes and checks it,
   * so bad checksums can be counted.
   */
  kernelChecksum?: boolean;
}

export interface ReceivedPacket {
  /** IPv4: the whole IP datagram (header included). IPv6: the VRRP message only. */
  data: Buffer;
  src: string;
  dst: string;
  /** IPv4 TTL from the header, IPv6 hop limit from the ancillary data; -1 if unknown. */
  ttl: number;
  ifindex: number;
  /** The datagram was larger than the 64 KiB receive buffer and was cut. */
  truncated: boolean;
  /**
   * Milliseconds since the kernel received the packet (SO_TIMESTAMPNS receive timestamp), measured
   * just before this callback; 0 when the kernel gave no timestamp (or an addon built before it did).
   */
  ageMs: number;
}

export interface VrrpSocket {
  readonly fd: number;
  readonly ifindex: number;
  readonly family: 4 | 6;
  readonly ifname: string;
  /** Starts delivering packets on the event loop. Errors of recvmsg go to onError (if given). */
  start(onPacket: (packet: ReceivedPacket) => void, onError?: (err: NodeJS.ErrnoException) => void): void;
  /** Sends one VRRP message (no IP header) to dst; throws an ErrnoException (e.g. ENETDOWN). */
  send(message: Uint8Array, dst: string): number;
  /** Stops receiving and closes the descriptor; safe to call twice, also from a callback. */
  close(): void;
  /** Whether a started socket keeps the process alive (default: it does). */
  ref(): void;
  unref(): void;
  /**
   * Only packets whose VRID is in `own` (and packets too short to carry one) reach onPacket; those with
   * a VRID outside `own` and `exclude` queue on a second socket with the same interface and multicast
   * membership, which nobody polls: drain() reads them in one batch (another VRID's adverts then cost no
   * wakeup each). `exclude`: VRIDs another socket of this agent on the link serves. Throws an
   * ErrnoException when a filter cannot be attached; the socket then passes every packet again.
   * Missing with an addon built before VRID filters (every packet reaches onPacket, as before).
   */
  filterVrids?(own: readonly number[], exclude: readonly number[]): void;
  /** Everything queued on the drain socket since the last call; null before filterVrids. Missing with older addons. */
  drain?(): DrainBatch | null;
}

export interface DrainBatch {
  /**
   * The queued packets; `count` (1 when absent) is how many packets one stands for: the addon hands over packets
   * the agent classifies alike (receive.ts classificationKey) once, other routers' adverts being the same every time.
   */
  packets: (ReceivedPacket & { count?: number })[];
  /**
   * Packets the kernel dropped on the drain socket since the last drain (its receive buffer was full).
   * The kernel counts every packet that arrives while that buffer is full, also those its filter would
   * have passed on to the polled socket, so this can be slightly high during an overflow.
   */
  dropped: number;
}

type NativePacket = [data: Buffer, src: string, dst: string, ttl: number, ifindex: number, truncated: boolean, ageMs: number | undefined, count?: number];

interface NativeSocket {
  readonly fd: number;
  readonly ifindex: number;
  readonly family: 4 | 6;
  readonly ifname: string;
  start(
    onPacket: (buf: Buffer, src: string, dst: string, ttl: number, ifindex: number, truncated: boolean, ageMs: number | undefined) => void,
    onError?: (err: NodeJS.ErrnoException) => void,
  ): void;
  send(buf: Uint8Array, dst: string): number;
  close(): void;
  ref(): NativeSocket;
  unref(): NativeSocket;
  /** Missing in addons built before VRID filters. */
  setVridFilter?(own: readonly number[] | null, exclude?: readonly number[]): void;
  /** grouped: one entry per group of packets classified alike, with its count (addons before that ignore it). */
  drain?(grouped?: boolean): { packets: NativePacket[]; dropped: number } | null;
}

export interface RawAddon {
  openVrrp(opts: VrrpSocketOptions): NativeSocket;
  sendFrame(ifname: string, frame: Uint8Array): number;
  ifIndex(ifname: string): number;
  /** rtnetlink RTM_NEWADDR / RTM_DELADDR (IPv6 adds are nodad); throws EEXIST / EADDRNOTAVAIL / ... Missing in addons built before it existed. */
  changeAddress?(add: boolean, ifname: string, address: string, prefixLength: number, label?: string): void;
  /** The interface's RTM_NEWLINK message then its RTM_NEWADDR messages (agent/net/netlink.ts decodes them); null when it does not exist. Missing in older addons. */
  readInterface?(ifname: string): Buffer | null;
  /** A NETLINK_ROUTE socket bound to RTMGRP_LINK (`ip monitor link` in-process). Missing in older addons. */
  openLinkMonitor?(): NativeLinkMonitor;
  /** mkfifo(3): true when made, false when something is already there; throws otherwise. Missing in older addons. */
  makeFifo?(path: string, mode: number): boolean;
}

export interface NativeLinkMonitor {
  readonly fd: number;
  /** Each datagram read (one or more RTM_NEWLINK / RTM_DELLINK messages); ENOBUFS (events lost) and other recv errors go to onError. */
  start(onMessages: (buf: Buffer) => void, onError?: (err: NodeJS.ErrnoException) => void): void;
  close(): void;
  ref(): NativeLinkMonitor;
  unref(): NativeLinkMonitor;
}

/** The addon, or undefined when it cannot be loaded (callers that have an `ip` fallback use it then). */
export function tryLoadAddon(): RawAddon | undefined {
  try {
    return loadAddon();
  } catch {
    return undefined;
  }
}

const ADDON_FILE = 'haup_raw.node';
const REPO_ADDON = join('agent', 'native', 'build', 'Release', ADDON_FILE);

/**
 * Where to look for the addon, in order: $HAUP_ADDON; next to the agent bundle (on nodes
 * /opt/haup/haup_raw.node beside haup-agent.cjs); then the repository build, found by walking up
 * from the running script and from the working directory (tests and tsx run from the repo).
 */
export function addonCandidates(env: NodeJS.ProcessEnv, moduleDir: string | undefined, script: string | undefined, cwd: string): string[] {
  const out: string[] = [];
  if (env.HAUP_ADDON) out.push(resolve(env.HAUP_ADDON));
  if (moduleDir) out.push(join(moduleDir, ADDON_FILE));
  for (const start of [script ? dirname(resolve(script)) : undefined, cwd]) {
    for (let dir = start; dir; ) {
      out.push(join(dir, REPO_ADDON));
      const up = dirname(dir);
      dir = up === dir ? undefined : up;
    }
  }
  return [...new Set(out)];
}

let cached: RawAddon | undefined;

/** Loads the addon once. process.dlopen works the same from the CJS bundle and from ESM (tsx). */
export function loadAddon(): RawAddon {
  if (cached) return cached;
  // In the CJS bundle __dirname is the bundle's folder; in ESM it does not exist.
  const moduleDir = typeof __dirname === 'string' ? __dirname : undefined;
  const tried = addonCandidates(process.env, moduleDir, process.argv[1], process.cwd());
  const file = tried.find((p) => existsSync(p));
  if (!file) {
    const err = new Error(
      `the raw-socket addon ${ADDON_FILE} was not found; looked in:\n  ${tried.join('\n  ')}\n` +
        'install it next to haup-agent.cjs, set HAUP_ADDON, or build it with "npm ci" in the repository',
    ) as NodeJS.ErrnoException;
    err.code = 'HAUP_ADDON_MISSING';
    throw err;
  }
  const mod = { exports: {} as RawAddon };
  process.dlopen(mod, file);
  cached = mod.exports;
  return cached;
}

const toPacket = ([data, src, dst, ttl, ifindex, truncated, ageMs]: NativePacket): ReceivedPacket => ({ data, src, dst, ttl, ifindex, truncated, ageMs: ageMs ?? 0 });

export function openVrrpSocket(opts: VrrpSocketOptions): VrrpSocket {
  const native = loadAddon().openVrrp(opts);
  const filters = native.setVridFilter && native.drain ? { setVridFilter: native.setVridFilter.bind(native), drain: native.drain.bind(native) } : undefined;
  return {
    fd: native.fd,
    ifindex: native.ifindex,
    family: native.family,
    ifname: native.ifname,
    start(onPacket, onError) {
      native.start((data, src, dst, ttl, ifindex, truncated, ageMs) => onPacket({ data, src, dst, ttl, ifindex, truncated, ageMs: ageMs ?? 0 }), onError);
    },
    send: (message, dst) => native.send(message, dst),
    close: () => native.close(),
    ref: () => void native.ref(),
    unref: () => void native.unref(),
    ...(filters && {
      filterVrids: (own: readonly number[], exclude: readonly number[]) => filters.setVridFilter([...own], [...exclude]),
      drain: () => {
        const batch = filters.drain(true);
        return batch && { packets: batch.packets.map((p) => ({ ...toPacket(p), count: p[7] ?? 1 })), dropped: batch.dropped };
      },
    }),
  };
}

/** Sends one whole Ethernet frame (destination MAC first) out of ifname through AF_PACKET. */
export function sendFrame(ifname: string, frame: Uint8Array): number {
  return loadAddon().sendFrame(ifname, frame);
}

/** if_nametoindex in this process's network namespace; throws ENODEV for an unknown name. */
export function ifIndex(ifname: string): number {
  return loadAddon().ifIndex(ifname);
}
