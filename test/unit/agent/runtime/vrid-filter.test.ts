// Input: the same VRRPv3 packets (own and other VRIDs, bad checksums, too short, wrong TTL) delivered to an Agent
// through a fake socket without VRID filters (every packet wakes it, as before) and through one that models the
// addon's filters (own VRIDs and short packets wake it; the rest queue for drain()). Output: identical per-reason
// counters and state, with only the own-VRID and short packets read on a wakeup; plus which filters are attached,
// kernel drops on the drain socket, drained adverts, and the pure socketVrids.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../../../agent/runtime/agent.js';
import { DRAIN_AFTER_MS } from '../../../../agent/runtime/other-vrids.js';
import { RuntimeInstance } from '../../../../agent/runtime/instance.js';
import { classificationKey, classifyPacket, socketVrids, type Receiver } from '../../../../agent/runtime/receive.js';
import { socketKey, type SocketSpec } from '../../../../agent/runtime/sockets.js';
import type { DrainBatch, ReceivedPacket, VrrpSocket, VrrpSocketOptions } from '../../../../agent/net/socket.js';
import type { VrrpInstance } from '../../../../agent/config/schema.js';
import { createRouter } from '../../../../agent/vrrp/fsm.js';
import { advertExpectation, routerConfig } from '../../../../agent/vrrp/instance.js';
import { encodeAdvert } from '../../../../agent/vrrp/packet.js';
import { instance } from './support.js';

const SRC = 'fe80::a';
const BASIC_V2 = `
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 50
  advert_int 1
  virtual_ipaddress {
    10.0.0.51/24
  }`;
const PEER = 'fe80::b';
const GROUP = 'ff02::12';
const v3 = (vrid: number, extra = '') =>
  instance(
    `
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  version 3
  priority 50
  advert_int 1
  virtual_ipaddress {
    fd03::${vrid}/64
  }${extra}`,
    `VI_${vrid}`,
  );
const SPEC: SocketSpec = { family: 6, ifname: 'eth0', src: SRC, multicast: true };
const UNICAST: SocketSpec = { family: 6, ifname: 'eth0', src: 'fd03::a', multicast: false };

interface FakeSocket extends VrrpSocket {
  /** Hands the packet over as the kernel would: to onPacket, or to the drain queue when the filter keeps it out. */
  arrive(p: ReceivedPacket): void;
  filters: { own: number[]; exclude: number[] }[];
  queued: ReceivedPacket[];
  kernelDrops: number;
}

function fakeSocket(opts: VrrpSocketOptions, filterable: boolean): FakeSocket {
  let onPacket: ((p: ReceivedPacket) => void) | undefined;
  const s: FakeSocket = {
    fd: -1,
    ifindex: 2,
    family: opts.family,
    ifname: opts.ifname,
    filters: [],
    queued: [],
    kernelDrops: 0,
    start: (fn) => void (onPacket = fn),
    send: () => 0,
    close: () => undefined,
    ref: () => undefined,
    unref: () => undefined,
    arrive(p) {
      const f = s.filters.at(-1);
      const vrid = p.data.length >= 2 ? p.data[1] : undefined;
      if (!f || vrid === undefined || f.own.includes(vrid)) onPacket?.(p);
      else if (!f.exclude.includes(vrid)) s.queued.push(p);
    },
  };
  if (!filterable) return s;
  s.filterVrids = (own, exclude) => void s.filters.push({ own: [...own], exclude: [...exclude] });
  s.drain = (): DrainBatch | null => {
    if (s.filters.length === 0) return null;
    const batch = { packets: s.queued.splice(0), dropped: s.kernelDrops };
    s.kernelDrops = 0;
    return batch;
  };
  return s;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** An Agent with backup instances bound to fake sockets (the instance's spec: SPEC unless given). */
function agentWith(filterable: boolean, bound: { cfg: VrrpInstance; spec?: SocketSpec }[], vridFilters?: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'haup-vrid-filter-'));
  const stateFile = join(dir, 'agent-state.json');
  const sockets = new Map<string, FakeSocket>();
  const clock = { now: 5000 };
  const agent = new Agent({
    configFile: '/etc/haup/keepalived.conf',
    stateFile,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    clock: () => clock.now,
    ...(vridFilters === undefined ? {} : { vridFilters }),
    openSocket: (o) => {
      const s = fakeSocket(o, filterable);
      sockets.set(`${o.srcAddr}`, s);
      return s;
    },
  });
  const specs = bound.map((b) => b.spec ?? SPEC);
  agent.sockets.sync(specs);
  for (const [i, b] of bound.entries()) {
    const spec = specs[i] as SocketSpec;
    const inst = new RuntimeInstance(b.cfg, { ...createRouter(routerConfig(b.cfg, spec.src)), state: 'backup' }, spec.src, socketKey(spec), agent);
    inst.started = true;
    agent.instances.set(inst.name, inst);
  }
  cleanups.push(() => {
    for (const inst of agent.instances.values()) inst.cancelTimers();
    agent.stopDraining();
    agent.sockets.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });
  const sock = (src = SRC) => sockets.get(src) as FakeSocket;
  const status = () => {
    agent.writeStatusNow();
    return JSON.parse(readFileSync(stateFile, 'utf8')) as ReturnType<Agent['statusSnapshot']>;
  };
  return { agent, sock, status, clock };
}

function advert(vrid: number, opts: { ttl?: number; corrupt?: boolean; priority?: number } = {}): ReceivedPacket {
  const bytes = Buffer.from(
    encodeAdvert({ version: 3, vrid, priority: opts.priority ?? 100, intervalCs: 100, addresses: [`fd03::${vrid}`], authType: 0, authData: new Uint8Array(0) }, { family: 6, src: PEER, dst: GROUP }),
  );
  if (opts.corrupt) bytes[6] = (bytes[6] ?? 0) ^ 0xff;
  return { data: bytes, src: PEER, dst: GROUP, ttl: opts.ttl ?? 255, ifindex: 2, truncated: false, ageMs: 0 };
}

/** 50 adverts of VRID 77, two of them corrupt, one of VRID 51 (ours) with TTL 64, one too short, one good advert of 51. */
function traffic(): ReceivedPacket[] {
  const out: ReceivedPacket[] = [];
  for (let i = 0; i < 50; i++) out.push(advert(77, { corrupt: i % 25 === 0 }));
  out.push(advert(51, { ttl: 64 }));
  out.push({ data: Buffer.from([0x31]), src: PEER, dst: GROUP, ttl: 255, ifindex: 2, truncated: false, ageMs: 0 });
  out.push(advert(51));
  return out;
}

describe('VRID filters on the agent side', () => {
  test('counts every reason exactly as without filters, while only own-VRID and short packets wake the agent', () => {
    const plain = agentWith(false, [{ cfg: v3(51) }]);
    const filtered = agentWith(true, [{ cfg: v3(51) }]);
    filtered.agent.syncFilters();
    for (const p of traffic()) {
      plain.sock().arrive(p);
      filtered.sock().arrive(p);
    }
    filtered.agent.drainAll();
    const a = plain.status();
    const b = filtered.status();
    assert.deepEqual(b.instances, a.instances);
    assert.deepEqual(a.instances[0]?.counters, { vrid: 48, checksum: 2, ttl: 1, length: 1, received: 1 });
    assert.equal(a.instances[0]?.masterSeen, PEER);
    assert.deepEqual(a.sockets, [{ socket: socketKey(SPEC), wakeVrids: null, read: 53, drained: 0, stale: 0, overflow: 0 }]);
    assert.deepEqual(b.sockets, [{ socket: socketKey(SPEC), wakeVrids: [51], read: 3, drained: 50, stale: 0, overflow: 0 }]);
  });

  test('a drained packet that stands for several (the addon groups identical ones) counts as that many', () => {
    const one = agentWith(true, [{ cfg: v3(51) }]);
    const grouped = agentWith(true, [{ cfg: v3(51) }]);
    for (const a of [one, grouped]) a.agent.syncFilters();
    for (const p of traffic()) {
      one.sock().arrive(p);
      grouped.sock().arrive(p);
    }
    // What the filter queued, as the addon's drain(true) hands it over: one entry per group, with its count.
    const groups = new Map<string, ReceivedPacket & { count: number }>();
    for (const p of grouped.sock().queued.splice(0)) {
      const g = groups.get(classificationKey(p, 6));
      if (g) g.count++;
      else groups.set(classificationKey(p, 6), { ...p, count: 1 });
    }
    grouped.sock().queued.push(...groups.values());
    assert.ok(groups.size < 10, `${groups.size} groups`);
    for (const a of [one, grouped]) a.agent.drainAll();
    assert.deepEqual(grouped.status().instances, one.status().instances);
    assert.deepEqual(grouped.status().sockets, one.status().sockets);
  });

  test('writing the status file drains first, so the other-VRID counters are current', () => {
    const { agent, sock, status } = agentWith(true, [{ cfg: v3(51) }]);
    agent.syncFilters();
    for (let i = 0; i < 7; i++) sock().arrive(advert(90));
    assert.equal(status().instances[0]?.counters.vrid, 7);
  });

  test('once draining has started, a wakeup the agent has anyway reads the drain queue, at most every DRAIN_AFTER_MS', () => {
    const { agent, sock, clock } = agentWith(true, [{ cfg: v3(51) }]);
    agent.syncFilters();
    agent.startDraining();
    const vrid = () => agent.instances.get('VI_51')?.counters.vrid;
    for (let i = 0; i < 3; i++) sock().arrive(advert(77));
    sock().arrive(advert(51)); // our master's advert wakes the agent
    assert.equal(vrid(), 3);
    sock().arrive(advert(77));
    clock.now += DRAIN_AFTER_MS - 1;
    sock().arrive(advert(51));
    assert.equal(vrid(), 3);
    clock.now += 1;
    sock().arrive(advert(51));
    assert.equal(vrid(), 4);
  });

  test('packets the kernel dropped on the drain socket count as another VRID, for every instance on the socket', () => {
    const { agent, sock, status } = agentWith(true, [{ cfg: v3(51) }, { cfg: v3(52) }]);
    agent.syncFilters();
    sock().arrive(advert(77));
    sock().kernelDrops = 5;
    const s = status();
    assert.deepEqual(s.instances.map((i) => i.counters.vrid), [6, 6]);
    assert.equal(s.sockets[0]?.overflow, 5);
  });

  test('an advert of an own VRID found in the drain queue is not fed to the state machine', () => {
    const { agent, sock, status } = agentWith(true, [{ cfg: v3(51) }]);
    agent.syncFilters();
    sock().queued.push(advert(51)); // queued before 51 was served here, or the drain copy while filters were swapped
    const s = status();
    assert.equal(s.instances[0]?.masterSeen, null);
    assert.deepEqual(s.instances[0]?.counters, {});
    assert.equal(s.sockets[0]?.stale, 1);
  });

  test("attaches each socket's filter once, and again (after draining) only when its VRIDs change", () => {
    const { agent, sock } = agentWith(true, [{ cfg: v3(51) }, { cfg: v3(52) }, { cfg: v3(60, '\n  unicast_src_ip fd03::a\n  unicast_peer {\n    fd03::b\n  }'), spec: UNICAST }]);
    agent.syncFilters();
    agent.syncFilters();
    assert.deepEqual(sock().filters, [{ own: [51, 52], exclude: [60] }]);
    assert.deepEqual(sock('fd03::a').filters, [{ own: [60], exclude: [51, 52] }]);
    sock().arrive(advert(99));
    (agent.instances.get('VI_52') as RuntimeInstance).stopped = true; // removed by a reload: its adverts are another VRID now
    agent.syncFilters();
    assert.deepEqual(sock().filters.at(-1), { own: [51], exclude: [60] });
    // The queue was read under the old filter before the new one was attached.
    assert.equal(sock().queued.length, 0);
    assert.equal(agent.instances.get('VI_51')?.counters.vrid, 1);
  });

  test('a socket whose filter cannot be attached keeps passing every packet, and the status says so', () => {
    const { agent, sock, status } = agentWith(true, [{ cfg: v3(51) }]);
    sock().filterVrids = () => {
      throw Object.assign(new Error('setsockopt(SO_ATTACH_FILTER) failed: Operation not permitted (EPERM)'), { code: 'EPERM' });
    };
    agent.syncFilters();
    sock().arrive(advert(77));
    const s = status();
    assert.equal(s.instances[0]?.counters.vrid, 1);
    assert.deepEqual(s.sockets[0]?.wakeVrids, null);
    assert.equal(s.sockets[0]?.read, 1);
  });

  test('with VRID filters turned off (HAUP_VRID_FILTER=off) no filter is attached and every packet wakes the agent', () => {
    const { agent, sock, status } = agentWith(true, [{ cfg: v3(51) }], false);
    agent.syncFilters();
    sock().arrive(advert(77));
    assert.deepEqual(sock().filters, []);
    assert.deepEqual(status().sockets[0], { socket: socketKey(SPEC), wakeVrids: null, read: 1, drained: 0, stale: 0, overflow: 0 });
  });
});

describe('socketVrids', () => {
  const m = (socketKey: string, vrid: number, more: { stopped?: boolean; family?: 4 | 6; ifname?: string } = {}) => ({
    socketKey,
    vrid,
    stopped: more.stopped ?? false,
    family: more.family ?? 4,
    ifname: more.ifname ?? 'eth0',
  });

  test("a socket's own VRIDs are its running instances'; other sockets on the same link and family are elsewhere", () => {
    const members = [m('A', 51), m('A', 9), m('A', 51), m('A', 7, { stopped: true }), m('B', 60), m('', 61), m('C', 70, { family: 6 }), m('D', 80, { ifname: 'eth1' })];
    assert.deepEqual(socketVrids('A', 4, 'eth0', members), { own: [9, 51], elsewhere: [60, 61] });
  });

  test('a socket without running instances wakes for no VRID', () => {
    assert.deepEqual(socketVrids('A', 4, 'eth0', [m('A', 51, { stopped: true })]), { own: [], elsewhere: [] });
  });
});

describe('classificationKey', () => {
  // A VRRPv2 advert for VRID 77 in an IPv4 datagram as a raw socket hands it over (header included).
  const message = encodeAdvert({ version: 2, vrid: 77, priority: 100, intervalCs: 100, addresses: ['10.0.0.77'], authType: 0, authData: new Uint8Array(8) }, { family: 4, src: '10.0.0.2', dst: '224.0.0.18' });
  const datagram = Buffer.concat([Buffer.from([0x45, 0xc0, 0, 20 + message.length, 0x12, 0x34, 0, 0, 255, 112, 0xab, 0xcd, 10, 0, 0, 2, 224, 0, 0, 18]), message]);
  const pkt = (data: Buffer): ReceivedPacket => ({ data, src: '10.0.0.2', dst: '224.0.0.18', ttl: 255, ifindex: 2, truncated: false, ageMs: 0 });
  const receivers: Receiver[] = [{ name: 'VI_51', vrid: 51, expectation: advertExpectation(instance(BASIC_V2)), checkTtl: true }];

  test('IPv4 datagrams that differ only in header fields classifyPacket never reads have one key and one classification', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 7, maxLength: 7 }), (r) => {
        const other = Buffer.from(datagram);
        [1, 4, 5, 6, 7, 10, 11].forEach((at, i) => (other[at] = r[i] as number));
        assert.equal(classificationKey(pkt(other), 4), classificationKey(pkt(datagram), 4));
        assert.deepEqual(classifyPacket(pkt(other), 4, receivers), classifyPacket(pkt(datagram), 4, receivers));
      }),
    );
  });

  test('a change to any byte classifyPacket reads, or to the ancillary data, changes the key', () => {
    const key = classificationKey(pkt(datagram), 4);
    for (let at = 0; at < datagram.length; at++) {
      if ([1, 4, 5, 6, 7, 10, 11].includes(at)) continue;
      const other = Buffer.from(datagram);
      other[at] = (other[at] as number) ^ 0x01;
      assert.notEqual(classificationKey(pkt(other), 4), key, `byte ${at}`);
    }
    assert.notEqual(classificationKey({ ...pkt(datagram), truncated: true }, 4), key);
    const v6 = pkt(Buffer.from(message));
    for (const change of [{ src: 'fe80::c' }, { dst: 'fe80::1' }, { ttl: 64 }]) assert.notEqual(classificationKey({ ...v6, ...change }, 6), classificationKey(v6, 6));
    assert.notEqual(classificationKey(pkt(datagram.subarray(0, 30)), 4), key);
  });
});
