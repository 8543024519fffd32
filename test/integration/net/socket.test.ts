// Integration: the haup_raw addon's VRRP sockets between two real network namespaces.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createLab, nsRun, NsWorker, REPO_ROOT, run, skipReason, spawnInNs, waitUntil, type Lab, type NsProcess, type WorkerEvent } from '../../support/netns.js';
import { ipBytes } from '../../../agent/net/address.js';

const skip = skipReason(['ip']);

/** RFC 1071 internet checksum. */
function inetChecksum(...parts: Uint8Array[]): number {
  const all = Buffer.concat(parts.map((p) => Buffer.from(p)));
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += ((all[i] ?? 0) << 8) | (all[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** RFC 5798 §5.2.8 pseudo-header (RFC 8200 §8.1 layout for v6, RFC 768 style for v4) + message. */
function vrrp3Checksum(src: string, dst: string, msg: Uint8Array): number {
  const s = ipBytes(src);
  const d = ipBytes(dst);
  const pseudo = s.length === 4 ? Buffer.alloc(12) : Buffer.alloc(40);
  s.copy(pseudo, 0);
  d.copy(pseudo, s.length);
  if (s.length === 4) {
    pseudo[9] = 112;
    pseudo.writeUInt16BE(msg.length, 10);
  } else {
    pseudo.writeUInt32BE(msg.length, 32);
    pseudo[39] = 112;
  }
  return inetChecksum(pseudo, msg);
}

/** A VRRPv3 advert (vrid, priority, max advert 100 cs, given addresses) with a valid checksum. */
function v3Advert(vrid: number, src: string, dst: string, addrs: string[], priority = 100): Buffer {
  const body = Buffer.concat([Buffer.from([0x31, vrid, priority, addrs.length, 0x00, 100, 0, 0]), ...addrs.map((a) => ipBytes(a))]);
  body.writeUInt16BE(vrrp3Checksum(src, dst, body), 6);
  return body;
}

/** A VRRPv2 advert with PASS auth "1111" (RFC 3768 §5.3); checksum over the message only. */
function v2Advert(vrid: number, addrs: string[], priority = 100): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x21, vrid, priority, addrs.length, 1, 1, 0, 0]),
    ...addrs.map((a) => ipBytes(a)),
    Buffer.from('1111\0\0\0\0', 'latin1'),
  ]);
  body.writeUInt16BE(inetChecksum(body), 6);
  return body;
}

type Packet = WorkerEvent & { handle: number; hex: string; src: string; dst: string; ttl: number; ifindex: number };
const isPacketOf = (handle: number) => (e: WorkerEvent): e is Packet => e.event === 'packet' && e.handle === handle;

describe('VRRP raw sockets between two namespaces', { skip }, () => {
  let lab: Lab;
  let a: NsWorker;
  let b: NsWorker;
  let ifindexB: number;

  before(async () => {
    lab = await createLab('sk');
    [a, b] = await Promise.all([NsWorker.start(lab.a.ns), NsWorker.start(lab.b.ns)]);
    ifindexB = await b.request<number>('call', { fn: 'ifIndex', args: [lab.b.ifname] });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await lab?.down();
  });

  async function open(w: NsWorker, opts: Record<string, unknown>, start = true): Promise<number> {
    const { handle } = await w.request<{ handle: number }>('open', { opts });
    if (start) await w.request('start', { handle });
    return handle;
  }

  test('a VRRPv2 advert sent from A arrives in B with TTL 255, protocol 112, to 224.0.0.18', async () => {
    const rx = await open(b, { family: 4, ifname: lab.b.ifname, multicast: true });
    const tx = await open(a, { family: 4, ifname: lab.a.ifname, srcAddr: lab.a.ipv4, multicast: true });
    const msg = v2Advert(254, ['10.203.0.254']);
    assert.equal(await a.request('send', { handle: tx, hex: msg.toString('hex'), dst: '224.0.0.18' }), msg.length);
    const p = (await b.waitForEvent('the v2 advert in B', isPacketOf(rx))) as Packet;
    const ip = Buffer.from(p.hex, 'hex');
    const ihl = (ip[0]! & 0x0f) * 4;
    assert.equal(ip[0]! >> 4, 4);
    assert.equal(ip[8], 255, 'TTL');
    assert.equal(ip[9], 112, 'protocol');
    assert.equal(ip[1], 0xc0, 'TOS is network control, as keepalived sends it');
    assert.equal(ip.readUInt16BE(6), 0, 'no DF bit and no fragment offset, as keepalived sends it');
    assert.deepEqual([p.ttl, p.src, p.dst, p.ifindex], [255, lab.a.ipv4, '224.0.0.18', ifindexB]);
    assert.deepEqual(ip.subarray(ihl), msg);
    await Promise.all([b.request('close', { handle: rx }), a.request('close', { handle: tx })]);
  });

  test('a VRRPv3 IPv4 advert arrives from the configured source with a checksum that verifies', async () => {
    const rx = await open(b, { family: 4, ifname: lab.b.ifname, multicast: true });
    const tx = await open(a, { family: 4, ifname: lab.a.ifname, srcAddr: lab.a.ipv4, multicast: true });
    const msg = v3Advert(253, lab.a.ipv4, '224.0.0.18', ['10.203.0.250', '10.203.0.251']);
    await a.request('send', { handle: tx, hex: msg.toString('hex'), dst: '224.0.0.18' });
    const p = (await b.waitForEvent('the v3 advert in B', isPacketOf(rx))) as Packet;
    const ip = Buffer.from(p.hex, 'hex');
    const vrrp = ip.subarray((ip[0]! & 0x0f) * 4);
    assert.deepEqual(vrrp, msg);
    assert.equal(p.ttl, 255);
    assert.equal(vrrp3Checksum(p.src, p.dst, vrrp), 0, 'checksum over pseudo-header + message is 0');
    await Promise.all([b.request('close', { handle: rx }), a.request('close', { handle: tx })]);
  });

  test('a VRRPv3 IPv6 advert arrives at ff02::12 with hop limit 255 from A link-local address', async () => {
    const rx = await open(b, { family: 6, ifname: lab.b.ifname, multicast: true });
    const tx = await open(a, { family: 6, ifname: lab.a.ifname, srcAddr: lab.a.ipv6ll, multicast: true });
    const msg = v3Advert(252, lab.a.ipv6ll, 'ff02::12', ['fe80::fc', 'fd03::fc']);
    await a.request('send', { handle: tx, hex: msg.toString('hex'), dst: 'ff02::12' });
    const p = (await b.waitForEvent('the v6 advert in B', isPacketOf(rx))) as Packet;
    assert.deepEqual([p.ttl, p.src, p.dst, p.ifindex], [255, lab.a.ipv6ll, 'ff02::12', ifindexB]);
    assert.equal(p.hex, msg.toString('hex'), 'an IPv6 raw socket delivers the VRRP message only');
    assert.equal(vrrp3Checksum(p.src, p.dst, Buffer.from(p.hex, 'hex')), 0);
    await Promise.all([b.request('close', { handle: rx }), a.request('close', { handle: tx })]);
  });

  test('kernelChecksum lets the kernel fill in the IPv6 VRRP checksum at offset 6', async () => {
    const rx = await open(b, { family: 6, ifname: lab.b.ifname, multicast: true });
    const tx = await open(a, { family: 6, ifname: lab.a.ifname, srcAddr: lab.a.ipv6ll, multicast: true, kernelChecksum: true });
    const msg = v3Advert(251, lab.a.ipv6ll, 'ff02::12', ['fe80::fb']);
    const expected = msg.readUInt16BE(6);
    msg.writeUInt16BE(0, 6);
    await a.request('send', { handle: tx, hex: msg.toString('hex'), dst: 'ff02::12' });
    const p = (await b.waitForEvent('the kernel-checksummed advert', isPacketOf(rx))) as Packet;
    assert.equal(Buffer.from(p.hex, 'hex').readUInt16BE(6), expected);
    await Promise.all([b.request('close', { handle: rx }), a.request('close', { handle: tx })]);
  });

  for (const family of [4, 6] as const) {
    test(`a unicast IPv${family} advert reaches the peer address with TTL 255 and no multicast group`, async () => {
      const peer = family === 4 ? lab.b.ipv4 : lab.b.ipv6;
      const src = family === 4 ? lab.a.ipv4 : lab.a.ipv6;
      const rx = await open(b, { family, ifname: lab.b.ifname, multicast: false });
      const tx = await open(a, { family, ifname: lab.a.ifname, srcAddr: src, multicast: false });
      const msg = v3Advert(250, src, peer, [family === 4 ? '10.203.0.249' : 'fd03::f9']);
      await a.request('send', { handle: tx, hex: msg.toString('hex'), dst: peer });
      const p = (await b.waitForEvent('the unicast advert', isPacketOf(rx))) as Packet;
      assert.deepEqual([p.ttl, p.src, p.dst], [255, src, peer]);
      await Promise.all([b.request('close', { handle: rx }), a.request('close', { handle: tx })]);
    });
  }

  test('multicast from A does not loop back to the socket that sent it', async () => {
    const rx = await open(b, { family: 4, ifname: lab.b.ifname, multicast: true });
    const tx = await open(a, { family: 4, ifname: lab.a.ifname, srcAddr: lab.a.ipv4, multicast: true });
    await a.request('send', { handle: tx, hex: v2Advert(249, ['10.203.0.248']).toString('hex'), dst: '224.0.0.18' });
    await b.waitForEvent('the advert in B', isPacketOf(rx));
    // Loopback delivery would happen inside sendmsg(), long before B saw the packet.
    assert.equal(a.events.filter(isPacketOf(tx)).length, 0);
    await Promise.all([b.request('close', { handle: rx }), a.request('close', { handle: tx })]);
  });

  test('every datagram of a burst of random payloads arrives intact, without crashing the receiver', async () => {
    const rx = await open(b, { family: 6, ifname: lab.b.ifname, multicast: true });
    const tx = await open(a, { family: 6, ifname: lab.a.ifname, srcAddr: lab.a.ipv6ll, multicast: true });
    const sent = Array.from({ length: 40 }, (_, i) => randomBytes(i === 0 ? 0 : 1 + ((i * 37) % 1400)).toString('hex'));
    for (const hex of sent) await a.request('send', { handle: tx, hex, dst: 'ff02::12' });
    await waitUntil('40 packets in B', () => b.events.filter(isPacketOf(rx)).length >= sent.length);
    assert.deepEqual(b.events.filter(isPacketOf(rx)).map((e) => (e as Packet).hex), sent);
    await Promise.all([b.request('close', { handle: rx }), a.request('close', { handle: tx })]);
  });

  test('sending on a link that is down fails with an errno error naming sendmsg and the interface', async () => {
    const tx = await open(a, { family: 4, ifname: lab.a.ifname, srcAddr: lab.a.ipv4, multicast: true }, false);
    await nsRun(lab.a.ns, 'ip', ['link', 'set', lab.a.ifname, 'down']);
    try {
      await assert.rejects(a.request('send', { handle: tx, hex: '00', dst: '224.0.0.18' }), (err: Error & { code?: string }) => {
        assert.match(String(err.code), /^(ENETDOWN|ENETUNREACH|ENXIO)$/);
        assert.match(err.message, new RegExp(`sendmsg failed on ${lab.a.ifname} to 224\\.0\\.0\\.18`));
        return true;
      });
    } finally {
      await nsRun(lab.a.ns, 'ip', ['link', 'set', lab.a.ifname, 'up']);
      await a.request('close', { handle: tx });
    }
  });

  test('opening a socket on an unknown interface throws ENODEV naming the failed call', async () => {
    await assert.rejects(a.request('open', { opts: { family: 4, ifname: 'ht3nope0', multicast: true } }), {
      code: 'ENODEV',
      message: /if_nametoindex failed ht3nope0: No such device/,
    });
  });
});

describe('keepalived accepts adverts sent through the addon', { skip: skipReason(['ip', 'keepalived']) }, () => {
  let lab: Lab;
  let b: NsWorker;
  let keepalived: NsProcess | undefined;
  let dir: string;

  before(async () => {
    lab = await createLab('ki');
    dir = mkdtempSync(join(tmpdir(), 'ht3-ki-'));
    const A = lab.a.ifname;
    const instance = (name: string, vrid: number, version: number, vips: string[], auth = '') =>
      `vrrp_instance ${name} {\n state BACKUP\n interface ${A}\n virtual_router_id ${vrid}\n priority 100\n advert_int 1\n version ${version}\n${auth} virtual_ipaddress {\n  ${vips.join('\n  ')}\n }\n}\n`;
    writeFileSync(
      join(dir, 'keepalived.conf'),
      instance('v2pass', 254, 2, ['10.203.0.254/24'], ' authentication {\n  auth_type PASS\n  auth_pass 1111\n }\n') +
        instance('v3four', 253, 3, ['10.203.0.250/24']) +
        instance('v3six', 252, 3, ['fe80::fc/64', 'fd03::fc/64']),
    );
    b = await NsWorker.start(lab.b.ns);
    const pid = (n: string) => join(dir, `${n}.pid`);
    keepalived = spawnInNs(lab.a.ns, 'keepalived', ['-n', '-l', '-D', '-P', '-G', '-f', join(dir, 'keepalived.conf'), '-p', pid('main'), '-r', pid('vrrp'), '-c', pid('check')]);
  });
  after(async () => {
    await keepalived?.stop('SIGTERM');
    await b?.stop();
    await lab?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const vipsOnA = async () => {
    const { stdout } = await run('ip', ['-n', lab.a.ns, '-j', 'addr', 'show', 'dev', lab.a.ifname]);
    return (JSON.parse(stdout) as { addr_info: { local: string }[] }[])[0]!.addr_info.map((x) => x.local);
  };

  test('a higher-priority advert from B (v2 PASS, v3 IPv4, v3 IPv6) makes each keepalived master step down', async () => {
    const all = ['10.203.0.254', '10.203.0.250', 'fe80::fc', 'fd03::fc'];
    await waitUntil('keepalived to become master of all three (VIPs on A)', async () => {
      if (keepalived!.child.exitCode !== null) throw new Error(`keepalived exited: ${keepalived!.output()}`);
      const have = await vipsOnA();
      return all.every((v) => have.includes(v));
    }, 20_000, 50);
    const tx4 = (await b.request<{ handle: number }>('open', { opts: { family: 4, ifname: lab.b.ifname, srcAddr: lab.b.ipv4, multicast: true } })).handle;
    const tx6 = (await b.request<{ handle: number }>('open', { opts: { family: 6, ifname: lab.b.ifname, srcAddr: lab.b.ipv6ll, multicast: true } })).handle;
    const adverts: [number, Buffer, string][] = [
      [tx4, v2Advert(254, ['10.203.0.254'], 200), '224.0.0.18'],
      [tx4, v3Advert(253, lab.b.ipv4, '224.0.0.18', ['10.203.0.250'], 200), '224.0.0.18'],
      [tx6, v3Advert(252, lab.b.ipv6ll, 'ff02::12', ['fe80::fc', 'fd03::fc'], 200), 'ff02::12'],
    ];
    for (const [handle, msg, dst] of adverts) await b.request('send', { handle, hex: msg.toString('hex'), dst });
    // keepalived drops adverts it finds invalid (TTL, checksum, auth) and would keep its VIPs.
    await waitUntil('keepalived to release every VIP', async () => !(await vipsOnA()).some((v) => all.includes(v)), 5000).catch((err: Error) => {
      throw new Error(`${err.message}\nkeepalived said:\n${keepalived!.output().slice(-3000)}`);
    });
    assert.match(keepalived!.output(), /\(v2pass\) Master received advert from 10\.203\.0\.2 with higher priority 200/);
    assert.match(keepalived!.output(), /\(v3six\) Master received advert from fe80::b with higher priority 200/);
  });
});

/** Runs an ESM snippet (imports resolved from the repo) under tsx inside ns; returns exit code and stdout. */
function runSnippet(ns: string, code: string, timeoutMs = 10_000): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`snippet still running after ${timeoutMs} ms (the socket kept it alive?); stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, stdout: stdout + stderr });
    });
  });
}

describe('VRRP socket life cycle in a process', { skip }, () => {
  let lab: Lab;
  const socketTs = join(REPO_ROOT, 'agent/net/socket.ts');
  before(async () => {
    lab = await createLab('lc');
  });
  after(async () => {
    await lab?.down();
  });

  test('a closed socket lets the process exit, and closing twice is harmless', async () => {
    const r = await runSnippet(
      lab.a.ns,
      `import { openVrrpSocket } from ${JSON.stringify(socketTs)};
       const s = openVrrpSocket({ family: 4, ifname: ${JSON.stringify(lab.a.ifname)}, multicast: true });
       s.start(() => {}); s.close(); s.close(); console.log('closed');`,
    );
    assert.deepEqual([r.code, r.stdout.trim()], [0, 'closed']);
  });

  test('a started socket keeps the process alive unless unref() was called', async () => {
    const snippet = (unref: boolean) =>
      `import { openVrrpSocket } from ${JSON.stringify(socketTs)};
       const s = openVrrpSocket({ family: 6, ifname: ${JSON.stringify(lab.a.ifname)}, multicast: true });
       s.start(() => {}); ${unref ? 's.unref();' : ''}
       setTimeout(() => { console.log('alive'); s.close(); }, 200).unref();`;
    assert.deepEqual(await runSnippet(lab.a.ns, snippet(false)), { code: 0, stdout: 'alive\n' });
    assert.deepEqual(await runSnippet(lab.a.ns, snippet(true)), { code: 0, stdout: '' });
  });

  test('closing the socket from inside its packet handler stops delivery safely', async () => {
    const r = await runSnippet(
      lab.a.ns,
      `import { openVrrpSocket } from ${JSON.stringify(socketTs)};
       const s = openVrrpSocket({ family: 4, ifname: 'lo', srcAddr: '127.0.0.1', multicast: false });
       let n = 0;
       s.start(() => { n++; s.close(); s.close(); });
       for (let i = 0; i < 5; i++) s.send(Buffer.from([i]), '127.0.0.1');
       setTimeout(() => console.log('packets', n), 100);`,
    );
    assert.deepEqual([r.code, r.stdout.trim()], [0, 'packets 1']);
  });

  test('an exception thrown by a packet handler surfaces as an uncaught exception', async () => {
    const r = await runSnippet(
      lab.a.ns,
      `import { openVrrpSocket } from ${JSON.stringify(socketTs)};
       const s = openVrrpSocket({ family: 4, ifname: 'lo', srcAddr: '127.0.0.1', multicast: false });
       process.on('uncaughtException', (e) => { console.log('caught', e.message); s.close(); });
       s.start(() => { throw new Error('handler bug'); });
       s.send(Buffer.from([1]), '127.0.0.1');`,
    );
    assert.deepEqual([r.code, r.stdout.trim()], [0, 'caught handler bug']);
  });
});
