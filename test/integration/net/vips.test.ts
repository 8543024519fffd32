// Integration: VIPs added and removed with iproute2, interface facts and link watching, in a namespace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, nsRun, NsWorker, skipReason, type Lab, type WorkerEvent } from '../../support/netns.js';
import { primaryAddress, type InterfaceInfo } from '../../../agent/net/vips.js';
import type { LinkState } from '../../../agent/net/link-watch.js';

const skip = skipReason(['ip']);

interface RawAddr {
  local: string;
  label?: string;
  secondary?: boolean;
  tentative?: boolean;
}

describe('VIPs and interface facts through iproute2', { skip }, () => {
  let lab: Lab;
  let a: NsWorker;

  before(async () => {
    lab = await createLab('vp');
    a = await NsWorker.start(lab.a.ns);
  });
  after(async () => {
    await a?.stop();
    await lab?.down();
  });

  async function rawAddrs(): Promise<RawAddr[]> {
    const { stdout } = await nsRun(lab.a.ns, 'ip', ['-j', 'addr', 'show', 'dev', lab.a.ifname]);
    return (JSON.parse(stdout) as { addr_info: RawAddr[] }[])[0]?.addr_info ?? [];
  }

  test('an IPv4 VIP is added with its label and removed again, as ip -j addr shows', async () => {
    const vip = { address: '10.203.0.100', prefix: 24, dev: lab.a.ifname, label: `${lab.a.ifname}:0` };
    assert.equal(await a.request('call', { fn: 'addVip', args: [vip] }), 'added');
    const added = (await rawAddrs()).find((x) => x.local === vip.address);
    assert.deepEqual([added?.label, added?.secondary], [vip.label, true]);
    assert.equal(await a.request('call', { fn: 'removeVip', args: [vip] }), 'removed');
    assert.equal((await rawAddrs()).some((x) => x.local === vip.address), false);
  });

  test('adding a VIP twice reports exists, removing it twice reports absent', async () => {
    const vip = { address: '10.203.0.102', prefix: 32, dev: lab.a.ifname };
    assert.equal(await a.request('call', { fn: 'addVip', args: [vip] }), 'added');
    assert.equal(await a.request('call', { fn: 'addVip', args: [vip] }), 'exists');
    assert.equal(await a.request('call', { fn: 'removeVip', args: [vip] }), 'removed');
    assert.equal(await a.request('call', { fn: 'removeVip', args: [vip] }), 'absent');
  });

  test('an IPv6 VIP is added with nodad, so it is usable at once even where DAD is on', async () => {
    await nsRun(lab.a.ns, 'sysctl', ['-qw', `net.ipv6.conf.${lab.a.ifname}.accept_dad=1`]);
    const vip = { address: 'fd03::100', prefix: 64, dev: lab.a.ifname };
    assert.equal(await a.request('call', { fn: 'addVip', args: [vip] }), 'added');
    const added = (await rawAddrs()).find((x) => x.local === vip.address);
    assert.ok(added, 'the VIP is on the interface');
    assert.equal(added.tentative ?? false, false);
    assert.equal(await a.request('call', { fn: 'removeVip', args: [vip] }), 'removed');
  });

  test('showInterface reports MAC, link flags and the primary addresses, never a VIP', async () => {
    const vip = { address: '10.203.9.1', prefix: 32, dev: lab.a.ifname };
    await a.request('call', { fn: 'addVip', args: [vip] });
    const info = await a.request<InterfaceInfo>('call', { fn: 'showInterface', args: [lab.a.ifname] });
    assert.deepEqual([info.mac, info.up, info.carrier], [lab.a.mac, true, true]);
    assert.equal(primaryAddress(info, 4, [vip.address]), lab.a.ipv4);
    assert.equal(primaryAddress(info, 6), lab.a.ipv6ll);
    await a.request('call', { fn: 'removeVip', args: [vip] });
  });

  test('a failing ip command says which command failed and why', async () => {
    await assert.rejects(a.request('call', { fn: 'addVip', args: [{ address: '10.203.0.103', prefix: 24, dev: 'ht3nope0' }] }), {
      message: /ip addr add 10\.203\.0\.103\/24 dev ht3nope0 failed: Cannot find device "ht3nope0"/,
    });
  });

  test('watchLink reports the initial state, then carrier loss and return, then admin down', async () => {
    await a.request('watchLink', { ifname: lab.a.ifname });
    const linkEvents = () => a.events.filter((e): e is WorkerEvent & { state: LinkState } => e.event === 'link');
    const nth = (n: number) => a.waitForEvent(`link event ${n}`, () => linkEvents().length > n, 5000).then(() => linkEvents()[n]!.state);
    assert.deepEqual(await nth(0).then((s) => [s.exists, s.usable]), [true, true]);
    await nsRun(lab.b.ns, 'ip', ['link', 'set', lab.b.ifname, 'down']); // the peer goes away: no carrier
    assert.deepEqual(await nth(1).then((s) => [s.up, s.carrier, s.usable]), [true, false, false]);
    await nsRun(lab.b.ns, 'ip', ['link', 'set', lab.b.ifname, 'up']);
    assert.deepEqual(await nth(2).then((s) => [s.up, s.carrier, s.usable]), [true, true, true]);
    await nsRun(lab.a.ns, 'ip', ['link', 'set', lab.a.ifname, 'down']);
    const down = await nth(3);
    assert.deepEqual([down.up, down.usable], [false, false]);
    await nsRun(lab.a.ns, 'ip', ['link', 'set', lab.a.ifname, 'up']);
  });
});
