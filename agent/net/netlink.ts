// rtnetlink messages (RTM_NEWLINK / RTM_DELLINK / RTM_NEWADDR) as the addon hands them over, decoded
// into the same InterfaceInfo that `ip -j addr show` gives. Pure: bytes in, values out, never a throw.
// Layouts from <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h>; netlink
// uses the host's byte order.
import { endianness } from 'node:os';
import { formatIPv4, formatIPv6 } from '../vrrp/ip-address.js';
import { formatMac } from './address.js';
import type { IfAddress, InterfaceInfo } from './vips.js';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_NEWADDR = 20;

const NLMSG_HDRLEN = 16;
const IFINFOMSG_LEN = 16;
const IFADDRMSG_LEN = 8;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_OPERSTATE = 16;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_LABEL = 3;
const IFA_FLAGS = 8;
const AF_INET = 2;
const AF_INET6 = 10;
const ARPHRD_NONE = 0xfffe;

const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;

/** <linux/if.h> IFF_* in the order iproute2's print_link_flags() prints them. */
const LINK_FLAGS: readonly [number, string][] = [
  [0x8, 'LOOPBACK'],
  [0x2, 'BROADCAST'],
  [0x10, 'POINTOPOINT'],
  [0x1000, 'MULTICAST'],
  [0x80, 'NOARP'],
  [0x200, 'ALLMULTI'],
  [0x100, 'PROMISC'],
  [0x20, 'NOTRAILERS'],
  [0x4, 'DEBUG'],
  [0x8000, 'DYNAMIC'],
  [0x4000, 'AUTOMEDIA'],
  [0x2000, 'PORTSEL'],
  [0x400, 'MASTER'],
  [0x800, 'SLAVE'],
  [0x1, 'UP'],
  [0x10000, 'LOWER_UP'],
  [0x20000, 'DORMANT'],
  [0x40000, 'ECHO'],
];

/** RFC 2863 operational states (IF_OPER_*), named as `ip` names them. */
const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'] as const;

const IFA_F_SECONDARY = 0x01;
const IFA_F_DADFAILED = 0x08;
const IFA_F_DEPRECATED = 0x20;
const IFA_F_TENTATIVE = 0x40;

const LE = endianness() === 'LE';
const u16 = (b: Buffer, o: number) => (LE ? b.readUInt16LE(o) : b.readUInt16BE(o));
const u32 = (b: Buffer, o: number) => (LE ? b.readUInt32LE(o) : b.readUInt32BE(o));
const i32 = (b: Buffer, o: number) => (LE ? b.readInt32LE(o) : b.readInt32BE(o));
const align4 = (n: number) => (n + 3) & ~3;

export interface NetlinkMessage {
  type: number;
  /** The message after its 16-byte header. */
  body: Buffer;
}

/** Splits a datagram (or the addon's concatenation) into messages; stops at the first malformed one. */
export function splitMessages(buf: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  for (let off = 0; off + NLMSG_HDRLEN <= buf.length; ) {
    const len = u32(buf, off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) break;
    out.push({ type: u16(buf, off + 4), body: buf.subarray(off + NLMSG_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

/** Route attributes (struct rtattr) from `offset` on: type (flag bits masked off) -> payload; the first of a type wins. */
export function parseAttributes(body: Buffer, offset: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = offset; off + 4 <= body.length; ) {
    const len = u16(body, off);
    if (len < 4 || off + len > body.length) break;
    const type = u16(body, off + 2) & 0x3fff;
    if (!out.has(type)) out.set(type, body.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

/** NUL-terminated string attribute. */
function cString(b: Buffer | undefined): string | undefined {
  if (!b) return undefined;
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
}

export interface LinkMessage {
  ifindex: number;
  ifname: string;
  /** ifi_flags (IFF_*). */
  flags: number;
  operstate: string;
  mtu: number;
  mac?: string;
}

/** An RTM_NEWLINK / RTM_DELLINK body (struct ifinfomsg + attributes); undefined when malformed. */
export function decodeLink(body: Buffer): LinkMessage | undefined {
  if (body.length < IFINFOMSG_LEN) return undefined;
  const type = u16(body, 2);
  const attrs = parseAttributes(body, IFINFOMSG_LEN);
  const ifname = cString(attrs.get(IFLA_IFNAME));
  if (!ifname) return undefined;
  const oper = attrs.get(IFLA_OPERSTATE);
  const mtu = attrs.get(IFLA_MTU);
  const hw = attrs.get(IFLA_ADDRESS);
  return {
    ifindex: i32(body, 4),
    ifname,
    flags: u32(body, 8),
    operstate: oper && oper.length >= 1 ? (OPERSTATES[oper[0] as number] ?? 'UNKNOWN') : 'UNKNOWN',
    mtu: mtu && mtu.length >= 4 ? u32(mtu, 0) : 0,
    ...(hw && hw.length === 6 && type !== ARPHRD_NONE ? { mac: formatMac(hw) } : {}),
  };
}

/** `ip`'s flag words for ifi_flags: NO-CARRIER when up without IFF_RUNNING, then the IFF_* names. */
export function linkFlagNames(flags: number): string[] {
  const out: string[] = [];
  if (flags & IFF_UP && !(flags & IFF_RUNNING)) out.push('NO-CARRIER');
  for (const [bit, name] of LINK_FLAGS) if (flags & bit) out.push(name);
  return out;
}

/** `ip`'s scope names (rt_scope_t), a number for the rest. */
export function scopeName(scope: number): string {
  switch (scope) {
    case 0:
      return 'global';
    case 200:
      return 'site';
    case 253:
      return 'link';
    case 254:
      return 'host';
    case 255:
      return 'nowhere';
    default:
      return String(scope);
  }
}

/** An RTM_NEWADDR body (struct ifaddrmsg + attributes) with its interface index; undefined when not IPv4/IPv6 or malformed. */
export function decodeAddress(body: Buffer): { ifindex: number; address: IfAddress } | undefined {
  if (body.length < IFADDRMSG_LEN) return undefined;
  const family = body[0] === AF_INET ? 4 : body[0] === AF_INET6 ? 6 : undefined;
  if (!family) return undefined;
  const attrs = parseAttributes(body, IFADDRMSG_LEN);
  // IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on point-to-point links (IPv6 sends only IFA_ADDRESS).
  const raw = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
  if (!raw || raw.length !== (family === 4 ? 4 : 16)) return undefined;
  const extFlags = attrs.get(IFA_FLAGS);
  const flags = extFlags && extFlags.length >= 4 ? u32(extFlags, 0) : (body[2] as number);
  const label = family === 4 ? cString(attrs.get(IFA_LABEL)) : undefined;
  return {
    ifindex: u32(body, 4),
    address: {
      family,
      address: family === 4 ? formatIPv4(raw) : formatIPv6(raw),
      prefix: body[1] as number,
      scope: scopeName(body[3] as number),
      ...(label ? { label } : {}),
      secondary: (flags & IFA_F_SECONDARY) !== 0,
      tentative: (flags & IFA_F_TENTATIVE) !== 0,
      dadFailed: (flags & IFA_F_DADFAILED) !== 0,
      deprecated: (flags & IFA_F_DEPRECATED) !== 0,
    },
  };
}

/** The link as InterfaceInfo, with no addresses yet. */
export function linkInfo(link: LinkMessage): InterfaceInfo {
  const flags = linkFlagNames(link.flags);
  return {
    ifname: link.ifname,
    ifindex: link.ifindex,
    ...(link.mac ? { mac: link.mac } : {}),
    mtu: link.mtu,
    flags,
    operstate: link.operstate,
    up: flags.includes('UP'),
    carrier: flags.includes('LOWER_UP') && !flags.includes('NO-CARRIER'),
    addresses: [],
  };
}

/**
 * The addon's readInterface answer (one RTM_NEWLINK, then RTM_NEWADDR messages) as `ip -j addr show
 * dev IF` would describe it; undefined when it holds no link of that name.
 */
export function decodeInterface(buf: Buffer, ifname: string): InterfaceInfo | undefined {
  let info: InterfaceInfo | undefined;
  for (const m of splitMessages(buf)) {
    if (m.type === RTM_NEWLINK) {
      const link = decodeLink(m.body);
      if (link?.ifname === ifname && !info) info = linkInfo(link);
    } else if (m.type === RTM_NEWADDR && info) {
      const a = decodeAddress(m.body);
      if (a?.ifindex === info.ifindex) info.addresses.push(a.address);
    }
  }
  return info;
}

/** The links a link monitor's datagram is about (RTM_NEWLINK and RTM_DELLINK). */
export function linkEvents(buf: Buffer): (LinkMessage & { deleted: boolean })[] {
  const out: (LinkMessage & { deleted: boolean })[] = [];
  for (const m of splitMessages(buf)) {
    if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) continue;
    const link = decodeLink(m.body);
    if (link) out.push({ ...link, deleted: m.type === RTM_DELLINK });
  }
  return out;
}
