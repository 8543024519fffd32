// Decides what one received VRRP packet is for: an advert event for one instance, or a drop counted per reason. Pure.
//
// Pipeline (RFC 3768 §7.1 / RFC 5798 §7.1 as keepalived applies them): decodeAdvert (length, header,
// version, type, checksum) -> the instance with that VRID on this socket -> TTL (not for unicast
// peers, like keepalived) -> validateAdvert (auth, interval, addresses) -> `advert` event.
import { decodeAdvert, validateAdvert, VRRP_TTL, type AdvertExpectation } from '../vrrp/packet.js';

export interface Receiver {
  name: string;
  vrid: number;
  expectation: AdvertExpectation;
  /** keepalived skips the TTL check when the instance talks to unicast peers. */
  checkTtl: boolean;
}

export interface RawPacket {
  data: Uint8Array;
  src: string;
  dst: string;
  ttl: number;
  truncated: boolean;
}

/**
 * A packet reported older than this is taken as this old. Ages come from the kernel's CLOCK_REALTIME
 * receive timestamp; a clock step between the stamp and the read could make one look hours old, and an
 * arrival placed too early would make a backup take over early. Capping errs late, like reading it now.
 */
export const MAX_PACKET_AGE_MS = 1000;

/**
 * When a packet reached this host, on the agent's monotonic clock: the time it was read minus the age the
 * kernel's receive timestamp gives it (0 when unknown), never negative and at most MAX_PACKET_AGE_MS.
 * RFC 5798 §6.4.2 restarts the Master_Down_Timer when an advert is received, so the timer counts from
 * here, not from whenever the event loop got round to the socket.
 */
export function packetArrival(readAt: number, ageMs: number): number {
  const age = Number.isFinite(ageMs) && ageMs > 0 ? Math.min(ageMs, MAX_PACKET_AGE_MS) : 0;
  return readAt - age;
}

export type Delivery =
  | { kind: 'advert'; instance: string; src: string; priority: number; intervalCs: number }
  /** Dropped; `instances` are charged with the reason (every receiver when the VRID is unknown). */
  | { kind: 'drop'; instances: string[]; reason: string; detail: string; src: string }
  /** For a VRID another socket of this agent serves on the same link: that socket counts it. */
  | { kind: 'ignore' };

/** The VRID byte of a packet that may not decode (for charging the drop to the right instance). */
export function peekVrid(data: Uint8Array, family: 4 | 6): number | undefined {
  const off = family === 4 ? ((data[0] ?? 0) & 0x0f) * 4 : 0;
  return data[off + 1];
}

export function classifyPacket(pkt: RawPacket, family: 4 | 6, receivers: readonly Receiver[], servedElsewhere: ReadonlySet<number> = new Set()): Delivery {
  const drop = (reason: string, detail: string, vrid: number | undefined): Delivery => {
    if (vrid !== undefined && servedElsewhere.has(vrid)) return { kind: 'ignore' };
    const owner = receivers.filter((r) => r.vrid === vrid);
    return { kind: 'drop', instances: (owner.length > 0 ? owner : receivers).map((r) => r.name), reason, detail, src: pkt.src };
  };
  if (pkt.truncated) return drop('length', 'datagram larger than the receive buffer', peekVrid(pkt.data, family));
  const decoded = decodeAdvert(pkt.data, { family, src: pkt.src, dst: pkt.dst, ttl: pkt.ttl, checkTtl: false });
  if (!decoded.ok) return drop(decoded.reason, decoded.detail, peekVrid(pkt.data, family));
  const advert = decoded.advert;
  const receiver = receivers.find((r) => r.vrid === advert.vrid);
  if (!receiver) return drop('vrid', `VRID ${advert.vrid} is not configured on this interface`, advert.vrid);
  // RFC 5798 §7.1: MUST verify that the IP TTL / hop limit is 255.
  if (receiver.checkTtl && advert.ttl !== VRRP_TTL) {
    return { kind: 'drop', instances: [receiver.name], reason: 'ttl', detail: `TTL ${advert.ttl}, expected ${VRRP_TTL}`, src: advert.src };
  }
  const valid = validateAdvert(advert, receiver.expectation);
  if (!valid.ok) return { kind: 'drop', instances: [receiver.name], reason: valid.reason, detail: valid.detail, src: advert.src };
  return { kind: 'advert', instance: receiver.name, src: advert.src, priority: advert.priority, intervalCs: advert.intervalCs };
}

/**
 * A string that is equal for two packets only if classifyPacket treats them alike (for the same receivers):
 * everything it reads — the IPv6 source, destination and hop limit from the ancillary data, the truncation
 * flag, and the bytes, without the IPv4 header fields it never looks at (type of service, identification,
 * flags and fragment offset, header checksum: bytes 1, 4-7 and 10-11), which change from one datagram to
 * the next of an otherwise identical advert. Lets a batch of other routers' adverts, the same bytes every
 * interval, be classified once per distinct advert. Pure.
 */
export function classificationKey(pkt: RawPacket, family: 4 | 6): string {
  const d = pkt.data;
  const bytes = family === 4 && d.length >= 20 ? Buffer.concat([d.subarray(0, 1), d.subarray(2, 4), d.subarray(8, 10), d.subarray(12)]) : Buffer.from(d.buffer, d.byteOffset, d.length);
  return `${pkt.src} ${pkt.dst} ${pkt.ttl} ${pkt.truncated} ${bytes.toString('latin1')}`;
}

/** What socketVrids needs to know of an instance. */
export interface SocketMember {
  socketKey: string;
  stopped: boolean;
  vrid: number;
  family: 4 | 6;
  ifname: string;
}

/**
 * The VRIDs a socket's packets are classified against: `own`, those of its running instances (the
 * receivers), and `elsewhere`, those of the agent's other instances on the same link and family (their
 * own socket counts them: classifyPacket ignores them). The socket's VRID filter passes exactly `own` to
 * the event loop, and its drain socket keeps what is in neither, so that every packet classifyPacket
 * would count still reaches it. Sorted, without repeats. Pure.
 */
export function socketVrids(key: string, family: 4 | 6, ifname: string, members: Iterable<SocketMember>): { own: number[]; elsewhere: number[] } {
  const own = new Set<number>();
  const elsewhere = new Set<number>();
  for (const m of members) {
    if (m.socketKey === key) {
      if (!m.stopped) own.add(m.vrid);
    } else if (m.family === family && m.ifname === ifname) elsewhere.add(m.vrid);
  }
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { own: sorted(own), elsewhere: sorted(elsewhere) };
}
