// Integration: adverts of a real keepalived, received through the haup_raw addon, match the recorded
// fixtures in test/fixtures/keepalived-adverts/. HAUP_UPDATE_GOLDEN=1 re-records them (with tshark).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createLab, NsWorker, REPO_ROOT, run, skipReason, spawnInNs, waitUntil, type Lab, type NsProcess, type WorkerEvent } from '../../support/netns.js';
import { ipv4Bytes, ipv6Bytes } from '../../../agent/net/address.js';

const UPDATE = process.env.HAUP_UPDATE_GOLDEN === '1';
const FIXTURES = join(REPO_ROOT, 'test/fixtures/keepalived-adverts');
const skip = skipReason(UPDATE ? ['ip', 'keepalived', 'tshark'] : ['ip', 'keepalived']);

interface Instance {
  file: string;
  name: string;
  family: 4 | 6;
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** v2: seconds; v3: centiseconds (the wire units). */
  advertInterval: number;
  advertIntConf: string;
  addresses: string[];
  vipConf: string[];
  auth?: { type: 'PASS'; pass: string };
}

const INSTANCES: Instance[] = [
  { file: 'v2-ipv4-pass', name: 'v2pass', family: 4, version: 2, vrid: 254, priority: 100, advertInterval: 1, advertIntConf: '1', addresses: ['10.203.0.254', '10.203.0.253'], vipConf: ['10.203.0.254/24 dev IF label IF:1', '10.203.0.253/32'], auth: { type: 'PASS', pass: '1111' } },
  // Address owner (255): master at once. advert_int 3 = 300 cs = 0x12c exercises the 12-bit field.
  { file: 'v3-ipv4-owner', name: 'v3four', family: 4, version: 3, vrid: 253, priority: 255, advertInterval: 300, advertIntConf: '3', addresses: ['10.203.0.250'], vipConf: ['10.203.0.250/24'] },
  { file: 'v3-ipv6', name: 'v3six', family: 6, version: 3, vrid: 252, priority: 100, advertInterval: 50, advertIntConf: '0.5', addresses: ['fe80::fc', 'fd03::fc'], vipConf: ['fe80::fc/64', 'fd03::fc/64'] },
];

function keepalivedConf(ifname: string): string {
  const lines = ['# Made by test/integration/net/keepalived-adverts.test.ts (interface renamed IF in the fixtures).', 'global_defs {', '  router_id ht3ka', '}'];
  for (const i of INSTANCES) {
    lines.push(`vrrp_instance ${i.name} {`, '  state MASTER', `  interface ${ifname}`, `  virtual_router_id ${i.vrid}`, `  priority ${i.priority}`);
    lines.push(`  advert_int ${i.advertIntConf}`, `  version ${i.version}`);
    if (i.auth) lines.push('  authentication {', `    auth_type ${i.auth.type}`, `    auth_pass ${i.auth.pass}`, '  }');
    lines.push('  virtual_ipaddress {', ...i.vipConf.map((v) => `    ${v.replaceAll('IF', ifname)}`), '  }', '}');
  }
  return `${lines.join('\n')}\n`;
}

type Packet = WorkerEvent & { hex: string; src: string; dst: string; ttl: number };

/** The VRRP message of a received packet (IPv4 datagrams carry their header). */
function vrrpOf(p: Packet): Buffer {
  const b = Buffer.from(p.hex, 'hex');
  return p.dst.includes(':') ? b : b.subarray((b[0]! & 0x0f) * 4);
}
const matches = (i: Instance, zero: boolean) => (p: Packet) => {
  const v = vrrpOf(p);
  return (p.dst.includes(':') ? 6 : 4) === i.family && v[1] === i.vrid && v[0] === ((i.version << 4) | 1) && (v[2] === 0) === zero;
};

/** Frames of a classic little- or big-endian pcap file (tshark -F pcap). */
function pcapFrames(file: string): Buffer[] {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const frames: Buffer[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const incl = u32(o + 8);
    frames.push(b.subarray(o + 16, o + 16 + incl));
    o += 16 + incl;
  }
  return frames;
}

describe('adverts of a real keepalived', { skip }, () => {
  let lab: Lab;
  let b: NsWorker;
  let keepalived: NsProcess | undefined;
  let tshark: NsProcess | undefined;
  let dir: string;
  const packets: Packet[] = [];

  before(async () => {
    lab = await createLab('ka');
    dir = mkdtempSync(join(tmpdir(), 'ht3-ka-'));
    b = await NsWorker.start(lab.b.ns);
    for (const family of [4, 6]) {
      const { handle } = await b.request<{ handle: number }>('open', { opts: { family, ifname: lab.b.ifname, multicast: true } });
      await b.request('start', { handle });
    }
    if (UPDATE) {
      tshark = spawnInNs(lab.b.ns, 'tshark', ['-i', lab.b.ifname, '-F', 'pcap', '-w', join(dir, 'capture.pcap'), '-f', 'arp or ip proto 112 or ip6 proto 112 or icmp6']);
      await waitUntil('tshark to start capturing', () => tshark!.output().includes('Capturing on'), 20_000, 50);
    }
    writeFileSync(join(dir, 'keepalived.conf'), keepalivedConf(lab.a.ifname));
    const pid = (n: string) => join(dir, `${n}.pid`);
    keepalived = spawnInNs(lab.a.ns, 'keepalived', ['-n', '-l', '-D', '-P', '-G', '-f', join(dir, 'keepalived.conf'), '-p', pid('main'), '-r', pid('vrrp'), '-c', pid('check')]);
    const all = () => b.events.filter((e): e is Packet => e.event === 'packet');
    const alive = () => {
      if (keepalived!.child.exitCode !== null) throw new Error(`keepalived exited early:\n${keepalived!.output()}`);
    };
    // Every instance becomes master (v2 after Master_Down_Interval, about 3.6 s) and adverts...
    await waitUntil('an advert of every instance', () => (alive(), INSTANCES.every((i) => all().some(matches(i, false)))), 20_000, 50);
    // ...then SIGTERM makes each send priority 0 (RFC 5798 §6.4.3 "Shutdown") before it exits.
    await keepalived.stop('SIGTERM', 10_000);
    await waitUntil('a priority 0 advert of every instance', () => INSTANCES.every((i) => all().some(matches(i, true))), 5000, 50);
    packets.push(...all());
    if (tshark) await tshark.stop('SIGINT', 10_000);
  });

  after(async () => {
    await keepalived?.stop('SIGKILL');
    await tshark?.stop('SIGKILL');
    await b?.stop();
    await lab?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('arrive with TTL 255 at the VRRP group from the interface address, v4 with TOS 0xc0 and no DF', () => {
    for (const i of INSTANCES) {
      const p = packets.find(matches(i, false))!;
      assert.deepEqual([p.ttl, p.src, p.dst], [255, i.family === 4 ? lab.a.ipv4 : lab.a.ipv6ll, i.family === 4 ? '224.0.0.18' : 'ff02::12'], i.name);
      if (i.family === 4) {
        const ip = Buffer.from(p.hex, 'hex');
        assert.deepEqual([ip[1], ip[9], ip.readUInt16BE(6)], [0xc0, 112, 0], i.name);
      }
    }
  });

  test('match the recorded fixtures byte for byte (re-record with HAUP_UPDATE_GOLDEN=1)', { skip: UPDATE && 'recording' }, () => {
    for (const i of INSTANCES) {
      for (const zero of [false, true]) {
        const fixture = JSON.parse(readFileSync(join(FIXTURES, `${i.file}${zero ? '-priority0' : ''}.json`), 'utf8')) as { vrrpHex: string };
        const live = packets.filter(matches(i, zero)).map((p) => vrrpOf(p).toString('hex'));
        assert.ok(live.includes(fixture.vrrpHex), `${i.name}${zero ? ' priority 0' : ''}: live ${live[0]} != fixture ${fixture.vrrpHex}`);
      }
    }
  });

  test('are recorded as fixtures with a tshark decode', { skip: !UPDATE && 'only with HAUP_UPDATE_GOLDEN=1' }, async () => {
    mkdirSync(FIXTURES, { recursive: true });
    const note =
      'Received by the haup_raw addon in namespace B from keepalived v2.2.7 (Debian 12) running in namespace A ' +
      '(veth, A = 10.203.0.1 / fe80::a, MAC 02:00:00:03:00:0a); made by test/integration/net/keepalived-adverts.test.ts with HAUP_UPDATE_GOLDEN=1.';
    for (const i of INSTANCES) {
      for (const zero of [false, true]) {
        const p = packets.find(matches(i, zero))!;
        const fixture = {
          note,
          instance: i.name,
          family: i.family,
          version: i.version,
          type: 1,
          vrid: i.vrid,
          priority: zero ? 0 : i.priority,
          [i.version === 2 ? 'advertIntervalSeconds' : 'maxAdvertIntervalCentiseconds']: i.advertInterval,
          addresses: i.addresses,
          ...(i.auth ? { authType: 1, authPass: i.auth.pass } : {}),
          src: p.src,
          dst: p.dst,
          ttl: p.ttl,
          checksum: `0x${vrrpOf(p).readUInt16BE(6).toString(16).padStart(4, '0')}`,
          ...(i.family === 4 ? { ipHex: p.hex } : {}),
          vrrpHex: vrrpOf(p).toString('hex'),
        };
        writeFileSync(join(FIXTURES, `${i.file}${zero ? '-priority0' : ''}.json`), `${JSON.stringify(fixture, null, 2)}\n`);
      }
    }
    writeFileSync(join(FIXTURES, 'keepalived.conf'), keepalivedConf('IF'));

    // Gratuitous ARP / unsolicited NA frames as keepalived sent them (first one per VIP).
    const frames = pcapFrames(join(dir, 'capture.pcap'));
    const frameNumbers: number[] = [];
    const firstFrame = (pred: (f: Buffer) => boolean) => {
      const n = frames.findIndex(pred);
      if (n >= 0) frameNumbers.push(n + 1);
      return n >= 0 ? frames[n]! : undefined;
    };
    const garps = INSTANCES.filter((i) => i.family === 4).flatMap((i) => i.addresses).map((vip) => {
      // Ethernet 14 + ARP: sender protocol address at 28..32.
      const f = firstFrame((x) => x.readUInt16BE(12) === 0x0806 && x.subarray(28, 32).equals(ipv4Bytes(vip)));
      assert.ok(f, `a gratuitous ARP for ${vip}`);
      return { vip, mac: lab.a.mac, frameHex: f.toString('hex') };
    });
    const nas = INSTANCES.filter((i) => i.family === 6).flatMap((i) => i.addresses).map((vip) => {
      // Ethernet 14 + IPv6 40: ICMPv6 type 136 at 54, NA target address at 62..78.
      const f = firstFrame((x) => x.readUInt16BE(12) === 0x86dd && x[20] === 58 && x[54] === 136 && x.subarray(62, 78).equals(ipv6Bytes(vip)));
      assert.ok(f, `an unsolicited NA for ${vip}`);
      return { vip, mac: lab.a.mac, router: false, frameHex: f.toString('hex') };
    });
    writeFileSync(join(FIXTURES, 'garp-ipv4.json'), `${JSON.stringify({ note, frames: garps }, null, 2)}\n`);
    writeFileSync(join(FIXTURES, 'na-ipv6.json'), `${JSON.stringify({ note, frames: nas }, null, 2)}\n`);

    // One decode of each kind of packet, to show tshark agrees the checksums are right.
    for (const i of INSTANCES) {
      for (const zero of [false, true]) {
        const want = packets.find(matches(i, zero))!;
        const n = frames.findIndex((f) => f.subarray(14).toString('hex').endsWith(vrrpOf(want).toString('hex')));
        if (n >= 0) frameNumbers.push(n + 1);
      }
    }
    const filter = [...new Set(frameNumbers)].sort((x, y) => x - y).map((n) => `frame.number == ${n}`).join(' || ');
    // vrrp.v3_checksum_as_in_v2 is FALSE by default: tshark checks v3 with the RFC 5798 pseudo-header.
    const { stdout } = await run('tshark', ['-r', join(dir, 'capture.pcap'), '-V', '-Y', filter], { timeoutMs: 60_000 });
    writeFileSync(join(FIXTURES, 'tshark-decode.txt'), stdout);
    assert.doesNotMatch(stdout, /\[(incorrect|Bad)/i, 'tshark finds no bad checksum');
  });
});
