// Reads a classic libpcap file (Ethernet link type) into IP-layer records for codec tests.
import { readFileSync } from 'node:fs';
import { formatIPv6 } from '../../../../agent/vrrp/ip-address.js';

export type PcapRecord =
  | { family: 4; datagram: Uint8Array }
  | { family: 6; payload: Uint8Array; src: string; dst: string; hopLimit: number; nextHeader: number };

/** Every Ethernet frame carrying IPv4 or IPv6 in `file`, as what a raw socket would hand the agent. */
export function readPcap(file: string): PcapRecord[] {
  const buf = readFileSync(file);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (off: number) => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  if (u32(20) !== 1) throw new Error(`${file}: link type ${u32(20)} is not Ethernet`);
  const out: PcapRecord[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const caplen = u32(off + 8);
    const frame = new Uint8Array(buf.subarray(off + 16, off + 16 + caplen));
    off += 16 + caplen;
    const etherType = ((frame[12] as number) << 8) | (frame[13] as number);
    const ip = frame.subarray(14);
    if (etherType === 0x0800) {
      const total = ((ip[2] as number) << 8) | (ip[3] as number);
      out.push({ family: 4, datagram: ip.slice(0, total) });
    } else if (etherType === 0x86dd) {
      const plen = ((ip[4] as number) << 8) | (ip[5] as number);
      out.push({ family: 6, payload: ip.slice(40, 40 + plen), src: formatIPv6(ip, 8), dst: formatIPv6(ip, 24), hopLimit: ip[7] as number, nextHeader: ip[6] as number });
    }
  }
  return out;
}
