// Input: configs with the mistakes keepalived warns about. Output: the same warnings (and keepalived's fix-ups), or errors for what cannot work.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, parseConfig } from '../../../../agent/config/check.js';

const FILE = '/etc/haup/keepalived.conf';
const none = (p: string): string => {
  throw new Error(`no include expected: ${p}`);
};
const inst = (body: string, name = 'VI_1') => `vrrp_instance ${name} {\n interface eth0\n virtual_router_id 51\n${body}\n}\n`;
const vip = ' virtual_ipaddress {\n  10.0.0.100\n }';
const run = (text: string) => parseConfig(text, FILE, none);
const msgs = (text: string) => run(text).diagnostics.map((d) => `${d.severity}: ${d.message}`);

describe("keepalived's warnings, with keepalived's behaviour", () => {
  test('nopreempt with state MASTER: warned and cleared', () => {
    const r = run(inst(` state MASTER\n priority 100\n nopreempt\n${vip}`));
    assert.deepEqual(msgs(inst(` state MASTER\n priority 100\n nopreempt\n${vip}`)), ['warning: VI_1: nopreempt does not work with state MASTER — keepalived clears it; use state BACKUP on both nodes for nopreempt']);
    assert.equal(r.config.instances[0]?.nopreempt, false);
  });

  test('preempt_delay with state MASTER: warned and cleared', () => {
    const r = run(inst(` state MASTER\n priority 100\n preempt_delay 5\n${vip}`));
    assert.equal(r.config.instances[0]?.preemptDelay, 0);
    assert.match(msgs(inst(` state MASTER\n priority 100\n preempt_delay 5\n${vip}`))[0] ?? '', /preempt_delay does not work with state MASTER/);
  });

  test('VRRPv3 with authentication: warned and ignored', () => {
    const text = inst(` version 3\n authentication {\n  auth_type PASS\n  auth_pass 1111\n }\n${vip}`);
    assert.deepEqual(msgs(text), ['warning: VI_1: VRRP version 3 does not support authentication — it is ignored; remove the authentication block']);
    assert.equal(run(text).config.instances[0]?.authentication, undefined);
  });

  test('a non-integer VRRPv2 advert_int: warned and rounded like keepalived (1.5 -> 2, 0.4 -> 1)', () => {
    assert.equal(run(inst(` advert_int 1.5\n${vip}`)).config.instances[0]?.advertInt, 2);
    assert.equal(run(inst(` advert_int 0.4\n${vip}`)).config.instances[0]?.advertInt, 1);
    assert.match(msgs(inst(` advert_int 2.5\n${vip}`))[0] ?? '', /^warning: VI_1: VRRPv2 advert_int 2\.5s must be whole seconds — rounded to 3s/);
  });

  test('VRRPv3 intervals are rounded to 10 ms and capped at 40.95 s', () => {
    assert.equal(run(inst(` version 3\n advert_int 0.127\n${vip}`)).config.instances[0]?.advertInt, 0.13);
    assert.equal(run(inst(` version 3\n advert_int 41\n${vip}`)).config.instances[0]?.advertInt, 40.95);
    assert.deepEqual(msgs(inst(` version 3\n advert_int 0.05\n${vip}`)), []);
  });

  test('an instance without VIPs: warned', () => {
    assert.deepEqual(msgs(inst('')), ['warning: vrrp_instance VI_1 has no virtual_ipaddress; at least one is sensible']);
  });

  test('the same VRID twice on one interface and family is an error', () => {
    const m = msgs(inst(vip) + inst(' virtual_ipaddress {\n  10.0.0.101\n }', 'VI_2'));
    assert.deepEqual(m, ['error: VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0 — give each instance on an interface its own virtual_router_id']);
  });

  test('the same VRID on another interface or family is fine', () => {
    const other = `vrrp_instance VI_2 {\n interface eth1\n virtual_router_id 51\n virtual_ipaddress {\n  10.0.1.1\n }\n}\n`;
    const v6 = `vrrp_instance VI_3 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  fd00::1\n }\n}\n`;
    assert.deepEqual(msgs(inst(vip) + other + v6), []);
  });
});

describe('errors for what cannot work', () => {
  test('missing interface and virtual_router_id', () => {
    assert.deepEqual(msgs(`vrrp_instance X {\n${vip}\n}\n`), [
      "error: vrrp_instance X has no interface — add 'interface eth0' (the interface the VIPs live on)",
      'error: vrrp_instance X has no virtual_router_id — add one (1..255), the same on every node of the pair',
    ]);
  });

  test('a track_script naming no vrrp_script', () => {
    assert.deepEqual(msgs(inst(`${vip}\n track_script {\n  chk_gone\n }`)), ["error: VI_1: track_script chk_gone is not defined — add 'vrrp_script chk_gone { ... }' or fix the name"]);
  });

  test('a label that does not start with the interface name', () => {
    assert.match(msgs(inst(' virtual_ipaddress {\n  10.0.0.100 dev eth0 label web\n }'))[0] ?? '', /label 'web' must start with the interface name 'eth0'/);
  });

  test('one VIP in two instances', () => {
    assert.match(msgs(inst(vip) + inst(vip, 'VI_2').replace('virtual_router_id 51', 'virtual_router_id 52'))[0] ?? '', /10\.0\.0\.100 is in both VI_1 and VI_2/);
  });

  test('sync groups: unknown members are errors, one member is a warning, weighted track scripts are dropped', () => {
    const text = `vrrp_script s {\n script /bin/true\n weight 10\n}\n${inst(`${vip}\n track_script {\n  s\n }`)}vrrp_sync_group G {\n group {\n  VI_1\n  VI_9\n }\n}\n`;
    const r = run(text);
    assert.deepEqual(r.diagnostics.map((d) => d.message), [
      'VI_1: track_script s has a weight, which sync group members cannot use — it is ignored (keepalived does the same); use weight 0',
      'vrrp_sync_group G: vrrp_instance VI_9 does not exist — fix the name or remove it',
      "vrrp_sync_group G has only 1 virtual router — this probably isn't what you want",
    ]);
    assert.deepEqual(r.config.instances[0]?.trackScripts, []);
  });

  test('IPv6 with version 2 runs as VRRPv3, with a warning when version 2 was written', () => {
    const r = run(`vrrp_instance V6 {\n interface eth0\n virtual_router_id 9\n version 2\n virtual_ipaddress {\n  fd00::1/64\n }\n}\n`);
    assert.equal(r.config.instances[0]?.version, 3);
    assert.match(r.diagnostics[0]?.message ?? '', /VRRPv2 is IPv4 only, using version 3/);
  });
});

test('diagnostics print as file:line: severity: message', () => {
  const [d] = run('vrrp_instance A {\n bogus 1\n}\n').diagnostics;
  assert.ok(d);
  assert.match(formatDiagnostic(d), /^\/etc\/haup\/keepalived\.conf:2: error: unknown keyword 'bogus' in vrrp_instance A — supported here: state, interface, virtual_router_id, /);
});
