// The addon's changeAddress (rtnetlink, used on the takeover path instead of an `ip` process) inside a lab
// host, checked against what `ip -j addr` shows: prefix, label, IPv6 without DAD, and the errno of a
// repeated add or delete that addVipNow / removeVipNow turn into 'exists' / 'absent'.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostExec, labSkipReason, startLab, type TestLab, type TestLabHost } from '../../support/lab.js';
import { AGENT_NODE, installAgent, labVip } from '../../support/agent.js';

const skip = labSkipReason();

interface Addr {
  local: string;
  prefixlen: number;
  label?: string;
  tentative?: boolean;
  scope: string;
}

describe('changeAddress through rtnetlink', { skip }, () => {
  let lab: TestLab;
  let h: TestLabHost;

  before(async () => {
    lab = await startLab({ name: 't3d', hosts: 1 });
    h = lab.hosts[0] as TestLabHost;
    await installAgent(lab, h);
  });
  after(() => lab?.down());

  /** Calls the installed addon in the host; returns 'ok' or the error code. */
  async function change(add: boolean, address: string, prefix: number, label?: string): Promise<string> {
    const args = JSON.stringify([add, 'eth0', address, prefix, ...(label ? [label] : [])]);
    const code = `const m={exports:{}};process.dlopen(m,'/opt/haup/haup_raw.node');try{m.exports.changeAddress(...${args});console.log('ok')}catch(e){console.log(e.code)}`;
    const r = await hostExec(lab, h, [AGENT_NODE, '-e', code]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  }

  async function addresses(): Promise<Addr[]> {
    const r = await hostExec(lab, h, ['ip', '-j', 'addr', 'show', 'dev', 'eth0']);
    return (JSON.parse(r.stdout) as { addr_info: Addr[] }[]).flatMap((l) => l.addr_info);
  }

  test('adds an IPv4 VIP with its prefix and label like ip addr add, and reports EEXIST on a second add', async () => {
    const vip = labVip(lab, 7);
    assert.equal(await change(true, vip, 24, 'eth0:7'), 'ok');
    const a = (await addresses()).find((x) => x.local === vip);
    assert.deepEqual(a && [a.prefixlen, a.label, a.scope], [24, 'eth0:7', 'global']);
    assert.equal(await change(true, vip, 24, 'eth0:7'), 'EEXIST');
    assert.equal(await change(false, vip, 24), 'ok');
    assert.equal((await addresses()).some((x) => x.local === vip), false);
    assert.equal(await change(false, vip, 24), 'EADDRNOTAVAIL');
  });

  test('adds an IPv6 VIP without duplicate address detection, usable at once', async () => {
    assert.equal(await change(true, 'fd00:7::100', 64), 'ok');
    const a = (await addresses()).find((x) => x.local === 'fd00:7::100');
    assert.deepEqual(a && [a.prefixlen, a.tentative ?? false, a.scope], [64, false, 'global']);
    assert.equal(await change(false, 'fd00:7::100', 64), 'ok');
  });

  test('names an unknown interface and rejects a prefix too long for the family', async () => {
    const r = await hostExec(lab, h, [AGENT_NODE, '-e', `const m={exports:{}};process.dlopen(m,'/opt/haup/haup_raw.node');for (const a of [[true,'nope0','10.0.0.1',24],[true,'eth0','10.0.0.1',33]]) try{m.exports.changeAddress(...a)}catch(e){console.log(e.code, e.message)}`]);
    assert.match(r.stdout, /^ENODEV if_nametoindex failed nope0/m);
    assert.match(r.stdout, /^ERR_OUT_OF_RANGE changeAddress: prefixLength is too long/m);
  });
});
