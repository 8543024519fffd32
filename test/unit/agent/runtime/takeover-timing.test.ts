// Input: keepalived's captured VRRPv2 advert delivered to an Agent through a fake socket, with the age the kernel's
// receive timestamp gives it, on a clock the test sets. Output: the Master_Down_Timer deadline that advert sets,
// the record line, the advert a backup has ready before it takes over, and when the status file is rewritten.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../../../agent/runtime/agent.js';
import { RuntimeInstance } from '../../../../agent/runtime/instance.js';
import { socketKey, type SocketSpec } from '../../../../agent/runtime/sockets.js';
import type { ReceivedPacket, VrrpSocket, VrrpSocketOptions } from '../../../../agent/net/socket.js';
import { createRouter } from '../../../../agent/vrrp/fsm.js';
import { advertFor, routerConfig } from '../../../../agent/vrrp/instance.js';
import { encodeAdvert } from '../../../../agent/vrrp/packet.js';
import { masterDownInterval } from '../../../../agent/vrrp/timers.js';
import { instance } from './support.js';

const FIXTURE = JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/keepalived-adverts/v2-ipv4-pass.json'), 'utf8')) as {
  ipHex: string;
  src: string;
  dst: string;
};

const CFG = instance(`
  state BACKUP
  interface eth0
  virtual_router_id 254
  priority 50
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass 1111
  }
  virtual_ipaddress {
    10.203.0.254/24
    10.203.0.253/32
  }`);
const SRC = '10.203.0.2';
const SPEC: SocketSpec = { family: 4, ifname: 'eth0', src: SRC, multicast: true };
/** keepalived's Master_Down_Interval for our priority 50 at advert_int 1 (v2): 3 s + 206/256 s. */
const DOWN_MS = masterDownInterval(2, 50, 100);

interface FakeSocket extends VrrpSocket {
  deliver(ageMs: number): void;
  sent: { bytes: Uint8Array; dst: string }[];
}

function fakeSocket(opts: VrrpSocketOptions): FakeSocket {
  let onPacket: ((p: ReceivedPacket) => void) | undefined;
  const sent: { bytes: Uint8Array; dst: string }[] = [];
  return {
    fd: -1,
    ifindex: 2,
    family: opts.family,
    ifname: opts.ifname,
    sent,
    start: (fn) => void (onPacket = fn),
    send: (bytes, dst) => sent.push({ bytes: Uint8Array.from(bytes), dst }),
    close: () => undefined,
    ref: () => undefined,
    unref: () => undefined,
    deliver: (ageMs) => onPacket?.({ data: Buffer.from(FIXTURE.ipHex, 'hex'), src: FIXTURE.src, dst: FIXTURE.dst, ttl: 255, ifindex: 2, truncated: false, ageMs }),
  };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** An Agent on the test's clock with one backup instance bound to a fake socket. */
function backupAgent() {
  const clock = { now: 5000 };
  const dir = mkdtempSync(join(tmpdir(), 'haup-takeover-timing-'));
  const stateFile = join(dir, 'agent-state.json');
  const records: string[] = [];
  const sockets: FakeSocket[] = [];
  const agent = new Agent({
    configFile: '/etc/haup/keepalived.conf',
    stateFile,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    clock: () => clock.now,
    openSocket: (o) => {
      const s = fakeSocket(o);
      sockets.push(s);
      return s;
    },
    record: (line) => records.push(line),
  });
  agent.sockets.sync([SPEC]);
  const vr = { ...createRouter(routerConfig(CFG, SRC)), state: 'backup' as const };
  const inst = new RuntimeInstance(CFG, vr, SRC, socketKey(SPEC), agent);
  inst.started = true;
  agent.instances.set(inst.name, inst);
  cleanups.push(() => {
    inst.cancelTimers();
    agent.sockets.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });
  return { agent, inst, clock, sock: sockets[0] as FakeSocket, records, stateFile };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('advert arrival and the Master_Down_Timer', () => {
  test("an advert's Master_Down_Timer counts from the kernel's receive time, not from when the agent read it", () => {
    const { inst, sock, clock } = backupAgent();
    clock.now = 5000;
    sock.deliver(40); // the event loop read it 40 ms after the kernel received it
    assert.equal(inst.vr.masterAddress, FIXTURE.src);
    assert.equal(inst.vr.timers['master-down'], 4960 + DOWN_MS);
  });

  test('an advert without a kernel timestamp counts from the read, as before', () => {
    const { inst, sock, clock } = backupAgent();
    clock.now = 7000;
    sock.deliver(0);
    assert.equal(inst.vr.timers['master-down'], 7000 + DOWN_MS);
  });

  test('the record line carries the arrival as its time and the age the packet waited', () => {
    const { sock, clock, records } = backupAgent();
    clock.now = 5000;
    sock.deliver(1.25);
    assert.equal(records.length, 1);
    assert.deepEqual(JSON.parse(records[0] as string), {
      t: 4998.75,
      age: 1.25,
      instance: 'VI_1',
      event: { type: 'advert', src: FIXTURE.src, priority: 100, intervalCs: 100 },
    });
  });
});

describe('a backup ready to take over', () => {
  test('has its first advert encoded after an advert arrives, and sends exactly those bytes', async () => {
    const { inst, sock } = backupAgent();
    sock.deliver(0);
    await nextTurn(); // prepareTakeover runs on the next turn of the loop, off the receive path
    const ready = inst.advertPackets(SRC, 50);
    const expected = encodeAdvert(advertFor(CFG, 50), { family: 4, src: SRC, dst: '224.0.0.18' });
    assert.deepEqual(ready.map((p) => [p.dst, Buffer.from(p.bytes).toString('hex')]), [['224.0.0.18', Buffer.from(expected).toString('hex')]]);
    assert.equal(inst.advertPackets(SRC, 50), ready, 'the same packets, not encoded again');
    inst.sendAdvert(50);
    assert.deepEqual(sock.sent, [{ bytes: expected, dst: '224.0.0.18' }]);
  });

  test('a priority or configuration change encodes the advert again', () => {
    const { inst } = backupAgent();
    const at50 = inst.advertPackets(SRC, 50);
    assert.notEqual(inst.advertPackets(SRC, 60), at50);
    assert.equal(inst.advertPackets(SRC, 60)[0]?.bytes[2], 60);
    const before = inst.advertPackets(SRC, 60);
    inst.cfg = { ...inst.cfg, vips: inst.cfg.vips.slice(0, 1) };
    const after = inst.advertPackets(SRC, 60);
    assert.notEqual(after, before);
    assert.equal(after[0]?.bytes[3], 1, 'one address now');
  });

  test('preparing the takeover leaves the router, its timers and the socket untouched', () => {
    const { inst, sock, clock } = backupAgent();
    sock.deliver(0);
    const vr = inst.vr;
    const snapshot = structuredClone(vr);
    inst.prepareTakeover(clock.now);
    assert.equal(inst.vr, vr);
    assert.deepEqual(inst.vr, snapshot);
    assert.deepEqual(sock.sent, []);
    assert.equal(inst.preparedAt, clock.now);
  });
});

describe('the status file', () => {
  test('is rewritten on the wakeups adverts cause, at most every 5 s', async () => {
    const { sock, clock, stateFile } = backupAgent();
    clock.now = 10_000;
    sock.deliver(0); // the first advert: a master is seen, a change the file shows at once
    await nextTurn();
    assert.ok(existsSync(stateFile));
    rmSync(stateFile);
    clock.now = 11_000;
    sock.deliver(0);
    clock.now = 14_999;
    sock.deliver(0);
    await nextTurn();
    assert.equal(existsSync(stateFile), false, 'not within 5 s of the last write');
    clock.now = 15_000;
    sock.deliver(0);
    await nextTurn();
    assert.ok(existsSync(stateFile), 'rewritten on the advert 5 s after the last write');
    const status = JSON.parse(readFileSync(stateFile, 'utf8')) as { instances: { counters: Record<string, number> }[] };
    assert.equal(status.instances[0]?.counters.received, 4);
  });
});
