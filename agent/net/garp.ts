// Gratuitous ARP and unsolicited neighbour advertisement frames, built byte-for-byte like keepalived's.
import { readFileSync } from 'node:fs';
import { ipv4Bytes, ipv6Bytes } from './address.js';
import { sendFrame } from './socket.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const BROADCAST = Buffer.alloc(6, 0xff);
const IPPROTO_ICMPV6 = 58;
const ND_NEIGHBOR_ADVERT = 136;
const ND_OPT_TARGET_LL_ADDR = 2;

function checkMac(mac: Uint8Array): void {
  if (mac.length !== 6) throw new RangeError(`a MAC address has 6 bytes, got ${mac.length}`);
}

/**
 * Gratuitous ARP for ip owned by mac: an ARP *request* (RFC 5227 §3 "ARP Announcement") from ip to
 * ip, broadcast, target hardware address ff:ff:ff:ff:ff:ff — exactly keepalived's frame
 * (vrrp_arp.c), 42 bytes with no padding (the NIC pads to 60 on real Ethernet).
 */
export function encodeGarp(mac: Uint8Array, ip: string): Buffer {
  checkMac(mac);
  const ipb = ipv4Bytes(ip);
  const f = Buffer.alloc(42);
  BROADCAST.copy(f, 0);
  Buffer.from(mac).copy(f, 6);
  f.writeUInt16BE(ETHERTYPE_ARP, 12);
  f.writeUInt16BE(1, 14); // hardware type: Ethernet
  f.writeUInt16BE(ETHERTYPE_IPV4, 16); // protocol type
  f[18] = 6; // hardware address length
  f[19] = 4; // protocol address length
  f.writeUInt16BE(1, 20); // op: request
  Buffer.from(mac).copy(f, 22); // sender hardware address
  ipb.copy(f, 28); // sender protocol address
  BROADCAST.copy(f, 32); // target hardware address (keepalived: broadcast)
  ipb.copy(f, 38); // target protocol address
  return f;
}

/** RFC 1071 one's-complement sum of the ICMPv6 message plus the RFC 8200 §8.1 pseudo-header. */
export function icmp6Checksum(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array): number {
  const pseudo = Buffer.alloc(40);
  Buffer.from(src).copy(pseudo, 0);
  Buffer.from(dst).copy(pseudo, 16);
  pseudo.writeUInt32BE(icmp.length, 32);
  pseudo[39] = IPPROTO_ICMPV6;
  let sum = 0;
  const add = (b: Uint8Array) => {
    for (let i = 0; i < b.length; i += 2) sum += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  };
  add(pseudo);
  add(icmp);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Unsolicited neighbour advertisement (RFC 4861 §7.2.6) for ip owned by mac, as keepalived sends
 * it (vrrp_ndisc.c): from ip to all-nodes ff02::1 (MAC 33:33:00:00:00:01), hop limit 255, Override
 * set, Solicited clear, Router set when the node forwards IPv6, with a target link-layer address
 * option. 86 bytes.
 */
export function encodeUnsolicitedNa(mac: Uint8Array, ip: string, opts: { router: boolean }): Buffer {
  checkMac(mac);
  const target = ipv6Bytes(ip);
  const allNodes = ipv6Bytes('ff02::1');
  const f = Buffer.alloc(14 + 40 + 32);
  Buffer.from([0x33, 0x33, 0, 0, 0, 1]).copy(f, 0); // RFC 2464 §7 multicast mapping of ff02::1
  Buffer.from(mac).copy(f, 6);
  f.writeUInt16BE(ETHERTYPE_IPV6, 12);
  const ip6 = 14;
  f[ip6] = 0x60; // version 6, traffic class 0, flow label 0
  f.writeUInt16BE(32, ip6 + 4); // payload length
  f[ip6 + 6] = IPPROTO_ICMPV6;
  f[ip6 + 7] = 255; // RFC 4861 §7.1.2: hop limit 255
  target.copy(f, ip6 + 8);
  allNodes.copy(f, ip6 + 24);
  const icmp = ip6 + 40;
  f[icmp] = ND_NEIGHBOR_ADVERT;
  f[icmp + 4] = (opts.router ? 0x80 : 0) | 0x20; // R, S=0, O=1
  target.copy(f, icmp + 8);
  f[icmp + 24] = ND_OPT_TARGET_LL_ADDR;
  f[icmp + 25] = 1; // option length in units of 8 bytes
  Buffer.from(mac).copy(f, icmp + 26);
  f.writeUInt16BE(icmp6Checksum(target, allNodes, f.subarray(icmp)), icmp + 2);
  return f;
}

/** Sends one gratuitous ARP (IPv4) or unsolicited NA (IPv6) for vip out of ifname. */
export function sendGratuitous(ifname: string, mac: Uint8Array, vip: string, opts: { router: boolean } = { router: false }): number {
  const frame = vip.includes(':') ? encodeUnsolicitedNa(mac, vip, opts) : encodeGarp(mac, vip);
  return sendFrame(ifname, frame);
}

/**
 * Whether ifname forwards IPv6 (keepalived's get_ipv6_forwarding), which sets the NA Router flag.
 * /proc/sys/net always shows the reading process's own network namespace. Read synchronously (a procfs read
 * takes microseconds): an asynchronous read was the agent's only use of libuv's thread pool, which then started
 * 4 threads on the way to the first advert, and on a loaded host each hop to a pool thread waits for a CPU.
 */
export function ipv6Forwarding(ifname: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false; // IPv6 disabled or no such interface: not a router
  }
}
