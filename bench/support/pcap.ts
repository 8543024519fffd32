// Pure parsing of a classic pcap stream (dumpcap -P -w -) into timestamped VRRP adverts, chunk by chunk.
//
// The timestamps are the kernel's receive times of the frames (libpcap over AF_PACKET), so every
// advert on the wire is timed on one clock, independently of how busy this process is.
import { formatIpv6 } from '../../agent/net/address.js';
import { decodeAdvert, VRRP_PROTOCOL } from '../../agent/vrrp/packet.js';

export interface PcapFrame {
  /** Capture time in microseconds since the epoch. */
  tsUs: number;
  data: Buffer;
}

export interface WireAdvert {
  /** Capture time in microseconds since the epoch (kernel timestamp). */
  tsUs: number;
  src: string;
  version: 2 | 3;
  vrid: number;
  priority: number;
  intervalCs: number;
}

const LINKTYPE_ETHERNET = 1;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

/** Incremental pcap reader: push() stdout chunks in, get whole frames out. Throws on a stream that is not pcap. */
export class PcapReader {
  private buf: Buffer = Buffer.alloc(0);
  private le: boolean | undefined;
  private nano = false;

  push(chunk: Buffer): PcapFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: PcapFrame[] = [];
    if (this.le === undefined) {
      if (this.buf.length < GLOBAL_HEADER) return frames;
      const magic = this.buf.readUInt32LE(0);
      if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.le = true;
      else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) this.le = false;
      else throw new Error(`not a pcap stream (magic 0x${magic.toString(16)}); pcapng is not supported, run dumpcap with -P`);
      this.nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
      const linktype = this.u32(20);
      if (linktype !== LINKTYPE_ETHERNET) throw new Error(`pcap link type ${linktype}, expected Ethernet (1)`);
      this.buf = this.buf.subarray(GLOBAL_HEADER);
    }
    let off = 0;
    while (off + RECORD_HEADER <= this.buf.length) {
      const incl = this.u32(off + 8);
      if (off + RECORD_HEADER + incl > this.buf.length) break;
      const sec = this.u32(off);
      const frac = this.u32(off + 4);
      const tsUs = sec * 1_000_000 + (this.nano ? frac / 1000 : frac);
      frames.push({ tsUs, data: Buffer.from(this.buf.subarray(off + RECORD_HEADER, off + RECORD_HEADER + incl)) });
      off += RECORD_HEADER + incl;
    }
    this.buf = this.buf.subarray(off);
    return frames;
  }

  private u32(o: number): number {
    return this.le ? this.buf.readUInt32LE(o) : this.buf.readUInt32BE(o);
  }
}

/** The VRRP advert carried by an Ethernet frame (IPv4 or IPv6 without extension headers), or undefined. */
export function advertOfFrame(f: PcapFrame): WireAdvert | undefined {
  const d = f.data;
  if (d.length < 14) return undefined;
  const ethertype = d.readUInt16BE(12);
  if (ethertype === 0x0800) {
    const ip = d.subarray(14);
    if (ip.length < 20 || ip[9] !== VRRP_PROTOCOL) return undefined;
    // Frames may carry Ethernet padding after the datagram: cut at the IP total length.
    const total = ip.readUInt16BE(2);
    const r = decodeAdvert(ip.subarray(0, total), { family: 4, checkTtl: false });
    return r.ok ? pick(f.tsUs, r.advert) : undefined;
  }
  if (ethertype === 0x86dd) {
    const ip = d.subarray(14);
    if (ip.length < 40 || ip[6] !== VRRP_PROTOCOL) return undefined;
    const len = ip.readUInt16BE(4);
    const r = decodeAdvert(ip.subarray(40, 40 + len), {
      family: 6,
      src: formatIpv6(ip.subarray(8, 24)),
      dst: formatIpv6(ip.subarray(24, 40)),
      ttl: ip[7] as number,
      checkTtl: false,
    });
    return r.ok ? pick(f.tsUs, r.advert) : undefined;
  }
  return undefined;
}

function pick(tsUs: number, a: { src: string; version: 2 | 3; vrid: number; priority: number; intervalCs: number }): WireAdvert {
  return { tsUs, src: a.src, version: a.version, vrid: a.vrid, priority: a.priority, intervalCs: a.intervalCs };
}
