// Input: instances whose interface exists or not, interface readings, link changes (up, new ifindex).
// Output: which instances start bound or wait in FAULT, which need (re)binding, and what binding does:
// the socket it opens, the router config it feeds, the fault it keeps until then.
import { afterEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../../../../agent/runtime/agent.js';
import { Binder, UNBOUND, isBound, toBind, unboundRouter, type Bindable, type BinderHost } from '../../../../agent/runtime/binding.js';
import { RuntimeInstance } from '../../../../agent/runtime/instance.js';
import { linkChanged } from '../../../../agent/runtime/links.js';
import { prepareInstances } from '../../../../agent/runtime/setup.js';
import { SocketPool } from '../../../../agent/runtime/sockets.js';
import type { Logger } from '../../../../agent/log.js';
import type { VrrpSocket, VrrpSocketOptions } from '../../../../agent/net/socket.js';
import type { InterfaceInfo } from '../../../../agent/net/vips.js';
import type { Event } from '../../../../agent/vrrp/fsm-types.js';
import { config } from './support.js';

const CONF = config(`
vrrp_instance VI_0 {
  interface eth0
  virtual_router_id 50
  priority 100
  virtual_ipaddress {
    10.0.0.100/24
  }
}
vrrp_instance VI_1 {
  interface eth1
  virtual_router_id 51
  priority 120
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`);
const [VI_0, VI_1] = CONF.instances as [(typeof CONF.instances)[0], (typeof CONF.instances)[0]];

function iface(ifname: string, ifindex: number, addresses: string[]): InterfaceInfo {
  return {
    ifname,
    ifindex,
    mtu: 1500,
    flags: ['UP', 'LOWER_UP'],
    operstate: 'UP',
    up: true,
    carrier: true,
    addresses: addresses.map((a) => ({ family: 4, address: a, prefix: 24, scope: 'global', secondary: false, tentative: false, dadFailed: false, deprecated: false })),
  };
}

const quiet = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info: ${m}`), warn: (m) => lines.push(`warn: ${m}`), error: (m) => lines.push(`error: ${m}`) };
};

describe('prepareInstances', () => {
  test('prepares an instance whose interface exists and lets one whose interface is missing wait', () => {
    const r = prepareInstances(CONF.instances, new Map([['eth0', iface('eth0', 2, ['10.0.0.11'])]]), ['10.0.0.100']);
    assert.equal(r.ok, true);
    assert.deepEqual(r.prepared.map((p) => [p.cfg.name, p.source, p.socketKey]), [['VI_0', '10.0.0.11', 'IPv4 eth0 from 10.0.0.11']]);
    assert.deepEqual(r.waiting.map((w) => w.why), ['/etc/haup/keepalived.conf:10: vrrp_instance VI_1: interface eth1 does not exist; in FAULT until it appears']);
  });

  test('still refuses an existing interface with no address to send adverts from', () => {
    const r = prepareInstances([VI_0], new Map([['eth0', iface('eth0', 2, ['10.0.0.100'])]]), ['10.0.0.100']);
    assert.equal(r.ok, false);
    assert.deepEqual(r.errors, [
      '/etc/haup/keepalived.conf:2: vrrp_instance VI_0: interface eth0 has no IPv4 address of its own (VIPs do not count) to send adverts from — add one or set unicast_src_ip',
    ]);
  });
});

describe('toBind', () => {
  const inst = (name: string, ifname: string, key: string, stopped = false): Bindable => ({ name, cfg: { ...VI_1, name, interface: ifname }, source: '', socketKey: key, stopped });

  test('picks unbound instances on the interface and bound ones whose socket is on an old ifindex', () => {
    const all = [inst('a', 'eth1', UNBOUND), inst('b', 'eth1', 'k-old'), inst('c', 'eth1', 'k-new'), inst('d', 'eth2', UNBOUND), inst('e', 'eth1', UNBOUND, true)];
    const r = toBind(all, 'eth1', 7, (k) => (k === 'k-old' ? 3 : 7));
    assert.deepEqual([r.unbound.map((i) => i.name), r.stale.map((i) => i.name)], [['a'], ['b']]);
  });

  test('an unbound router cannot win a tie on the address before it is bound', () => {
    assert.equal(unboundRouter(VI_1).config.primaryAddress, '0.0.0.0');
    assert.equal(isBound({ socketKey: UNBOUND }), false);
  });
});

describe('linkChanged', () => {
  const state = (exists: boolean, usable: boolean, ifindex: number) => ({ ifname: 'eth1', exists, usable, ifindex, up: usable, carrier: usable, operstate: usable ? 'UP' : 'DOWN' });

  test('reports usable changes, and an interface that exists again with another ifindex', () => {
    assert.equal(linkChanged({ usable: false, ifindex: undefined }, state(true, true, 4)), true);
    assert.equal(linkChanged({ usable: true, ifindex: 4 }, state(true, true, 4)), false);
    assert.equal(linkChanged({ usable: true, ifindex: 4 }, state(true, true, 5)), true);
    assert.equal(linkChanged({ usable: false, ifindex: 4 }, state(false, false, 0)), false);
  });
});

describe('Binder', () => {
  afterEach(() => mock.timers.reset());

  function setup(readings: () => InterfaceInfo | undefined, ifindexOfOpened = 7) {
    const log = quiet();
    const opened: (VrrpSocketOptions & { closed: boolean })[] = [];
    const sockets = new SocketPool(
      () => undefined,
      () => undefined,
      (opts) => {
        const rec = { ...opts, closed: false };
        opened.push(rec);
        return { fd: 3, ifindex: ifindexOfOpened, family: opts.family, ifname: opts.ifname, start: () => undefined, send: () => 0, close: () => (rec.closed = true), ref: () => undefined, unref: () => undefined } satisfies VrrpSocket;
      },
    );
    const fed: Event[] = [];
    const refreshed: string[] = [];
    const inst: Bindable = { name: 'VI_1', cfg: VI_1, source: '', socketKey: UNBOUND, stopped: false };
    const host: BinderHost<Bindable> = {
      log,
      stopping: false,
      config: CONF,
      instances: new Map([['VI_1', inst]]),
      sockets,
      linkUsable: () => true,
      priorityOf: () => 110,
      feed: (_i, ev) => fed.push(ev),
      refreshHealth: (i) => refreshed.push(i.name),
    };
    let reads = 0;
    const binder = new Binder(host, async () => {
      reads++;
      const info = readings();
      return { found: new Map(info ? [[info.ifname, info]] : []) };
    });
    return { binder, inst, log, opened, fed, refreshed, sockets, reads: () => reads };
  }

  test('binds an unbound instance when its interface comes up: socket, router config with its address, health refresh', async () => {
    const s = setup(() => iface('eth1', 7, ['192.0.2.1']));
    s.binder.linkUp('eth1', 7);
    await s.binder.bind('eth1');
    assert.deepEqual(s.opened.map((o) => [o.ifname, o.srcAddr, o.multicast]), [['eth1', '192.0.2.1', true]]);
    assert.equal(s.inst.socketKey, 'IPv4 eth1 from 192.0.2.1');
    assert.equal(s.inst.source, '192.0.2.1');
    const reload = s.fed[0];
    assert.equal(reload?.type, 'reload');
    assert.deepEqual(reload?.type === 'reload' && [reload.config.primaryAddress, reload.config.vrid, reload.priority], ['192.0.2.1', 51, 110]);
    assert.deepEqual(s.refreshed, ['VI_1']);
    s.binder.stop();
  });

  test('leaves an instance unbound while its interface has no address, warns once, and retries every second', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    let info = iface('eth1', 7, []);
    const s = setup(() => info);
    s.binder.linkUp('eth1', 7);
    await s.binder.bind('eth1');
    await s.binder.bind('eth1');
    assert.equal(s.inst.socketKey, UNBOUND);
    assert.deepEqual(s.log.lines.filter((l) => l.startsWith('warn')), ['warn: VI_1: interface eth1 is up but has no IPv4 address of its own to send adverts from yet; staying in FAULT until it has']);
    info = iface('eth1', 7, ['192.0.2.1']);
    const before = s.reads();
    mock.timers.tick(1000);
    await new Promise((r) => setImmediate(r));
    assert.equal(s.reads(), before + 1);
    assert.equal(s.inst.socketKey, 'IPv4 eth1 from 192.0.2.1');
    s.binder.stop();
  });

  test('re-opens the socket of an instance whose interface was created again with a new ifindex', async () => {
    const s = setup(() => iface('eth1', 9, ['192.0.2.1']), 3);
    await s.binder.bind('eth1');
    assert.equal(s.opened.length, 1);
    s.binder.linkUp('eth1', 9);
    assert.equal(s.inst.socketKey, UNBOUND, 'unbound at once, so the health refresh that follows keeps it in FAULT');
    assert.equal(s.opened[0]?.closed, true);
    await s.binder.bind('eth1');
    assert.equal(s.opened.length, 2);
    assert.equal(s.inst.socketKey, 'IPv4 eth1 from 192.0.2.1');
    assert.match(s.log.lines.join('\n'), /VI_1: interface eth1 was created again \(ifindex 9\): re-opening the socket/);
    s.binder.stop();
  });

  test('does nothing when the interface is gone again by the time it is read', async () => {
    const s = setup(() => undefined);
    await s.binder.bind('eth1');
    assert.deepEqual([s.opened.length, s.inst.socketKey, s.fed.length], [0, UNBOUND, 0]);
    s.binder.stop();
  });
});

describe('Agent health of an unbound instance', () => {
  test('counts its own interface as down, so it is in FAULT (interface-down) until bound', () => {
    const agent = new Agent({ configFile: '/etc/haup/keepalived.conf', stateFile: '/run/haup/agent-state.json', log: quiet() });
    const unbound = new RuntimeInstance(VI_1, unboundRouter(VI_1), '', UNBOUND, agent);
    assert.deepEqual(agent.health(unbound), { priority: 120, faults: ['interface:eth1'], pending: [] });
    // Bound, the same interface is only as healthy as its link (not read yet: pending).
    const bound = new RuntimeInstance(VI_1, unboundRouter(VI_1), '192.0.2.1', 'IPv4 eth1 from 192.0.2.1', agent);
    assert.deepEqual(agent.health(bound), { priority: 120, faults: [], pending: ['interface:eth1'] });
  });
});
