// Input: small inventories as YAML text. Output: the per-host model (states, priorities, layering,
// secrets, shared check scripts) and the warnings haup prints.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaupError } from '../../../cli/errors.js';
import { loadInventoryText, type LoadOptions } from '../../../cli/inventory/load.js';
import type { HostModel, InventoryModel } from '../../../cli/inventory/model.js';

function load(yaml: string, opts: LoadOptions = {}) {
  return loadInventoryText(yaml, '/srv/inv/test.yml', { env: {}, home: '/home/u', displayName: 'test.yml', ...opts });
}

function host(model: InventoryModel, id: string): HostModel {
  const h = model.hosts.find((x) => x.id === id);
  assert.ok(h, `no host ${id}; have ${model.hosts.map((x) => x.id).join(', ')}`);
  return h;
}

function problems(yaml: string, opts: LoadOptions = {}): string[] {
  try {
    load(yaml, opts);
  } catch (e) {
    assert.ok(e instanceof HaupError);
    return [...e.details];
  }
  return assert.fail('the inventory was accepted');
}

const ONE_PAIR = (defaults: string, pairExtra = '', master = '', backup = '') => `
defaults:
  interface: eth0
${defaults}
pairs:
  - name: web
    vrid: 51
    vips: ["10.0.0.100/24"]
${pairExtra}
    master: { host: 10.0.0.11, priority: 100${master} }
    backup: { host: 10.0.0.12, priority: 99${backup} }
`;

describe('instance state', () => {
  test('starts the master as MASTER and the backup as BACKUP when preempting', () => {
    const { model } = load(ONE_PAIR(''));
    assert.equal(host(model, '10.0.0.11').instances[0]?.state, 'MASTER');
    assert.equal(host(model, '10.0.0.12').instances[0]?.state, 'BACKUP');
  });

  test('starts both nodes as BACKUP with nopreempt, as keepalived requires', () => {
    const { model } = load(ONE_PAIR('  preempt: false'));
    for (const h of model.hosts) {
      assert.equal(h.instances[0]?.state, 'BACKUP');
      assert.equal(h.instances[0]?.preempt, false);
    }
  });

  test('starts both nodes as BACKUP when preempt_delay is set', () => {
    const { model } = load(ONE_PAIR('  preempt_delay: 5'));
    assert.deepEqual(model.hosts.map((h) => h.instances[0]?.state), ['BACKUP', 'BACKUP']);
    assert.equal(model.hosts[0]?.instances[0]?.preemptDelay, 5);
  });
});

describe('layering', () => {
  test('lets a node override the pair, and the pair override the defaults', () => {
    const { model } = load(ONE_PAIR('  advert_int: 3\n  check: { template: nginx, interval: 5 }', '    advert_int: 2\n    check: { interval: 4 }', ', interface: ens3', ', check: { weight: -2 }'));
    const m = host(model, '10.0.0.11');
    const b = host(model, '10.0.0.12');
    assert.equal(m.instances[0]?.interface, 'ens3');
    assert.equal(b.instances[0]?.interface, 'eth0');
    assert.equal(m.instances[0]?.advertInt, 2);
    assert.equal(m.scripts[0]?.check.interval, 4);
    assert.equal(m.scripts[0]?.check.weight, 0);
    assert.equal(b.scripts[0]?.check.weight, -2);
    assert.equal(b.scripts[0]?.check.template, 'nginx');
  });

  test('renders VIPs on each node\'s own interface when dev is not given', () => {
    const { model } = load(ONE_PAIR('', '', ', interface: ens3'));
    assert.equal(host(model, '10.0.0.11').instances[0]?.vips[0]?.dev, 'ens3');
    assert.equal(host(model, '10.0.0.12').instances[0]?.vips[0]?.dev, 'eth0');
  });

  test('switches a check off for one pair with check: none', () => {
    const { model } = load(ONE_PAIR('  check: { template: nginx }', '    check: none'));
    assert.deepEqual(model.hosts.map((h) => h.scripts.length), [0, 0]);
    assert.deepEqual(model.hosts[0]?.instances[0]?.trackScripts, []);
  });

  test('rejects nodes of one pair that disagree on advert_int, pointing at the backup\'s value', () => {
    const lines = problems(ONE_PAIR('', '', '', ', advert_int: 2'));
    assert.ok(lines.some((l) => /test\.yml:11: pairs\[0\]\.backup\.advert_int: backup advert_int 2 differs from master advert_int 1/.test(l)), lines.join('\n'));
  });
});

describe('secrets', () => {
  test('takes auth_pass from the environment without warning', () => {
    const { model, warnings } = load(ONE_PAIR('  auth: { type: PASS, pass: "${WEB_PASS}" }'), { env: { WEB_PASS: 's3cret' } });
    assert.deepEqual(model.hosts[0]?.instances[0]?.auth, { type: 'PASS', pass: 's3cret' });
    assert.deepEqual(warnings, []);
  });

  test('uses the ${VAR:-default} default when the variable is unset', () => {
    const { model } = load(ONE_PAIR('  auth: { type: PASS, pass: "${WEB_PASS:-1111}" }'));
    assert.equal(model.hosts[1]?.instances[0]?.auth?.pass, '1111');
  });

  test('accepts a literal password but warns, without printing it', () => {
    const { warnings } = load(ONE_PAIR('  auth: { type: PASS, pass: "lit3ral" }'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /^test\.yml:4: defaults\.auth\.pass: the password is written in the inventory in clear text — /);
    assert.ok(!(warnings[0] as string).includes('lit3ral'));
  });

  test('reads the first line of pass_file relative to the inventory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'h4-inv-'));
    try {
      writeFileSync(join(dir, 'web.pass'), 'fr0mfile\nignored\n', { mode: 0o600 });
      const { model } = loadInventoryText(ONE_PAIR('  auth: { type: PASS, pass_file: web.pass }'), join(dir, 'inv.yml'), { env: {} });
      assert.equal(model.hosts[0]?.instances[0]?.auth?.pass, 'fr0mfile');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('reports a missing variable with its name and dot-path', () => {
    const lines = problems(ONE_PAIR('  auth: { type: PASS, pass: "${NOPE}" }'));
    assert.deepEqual(lines, ['test.yml:4: defaults.auth.pass: environment variable NOPE is not set — export NOPE=... before running haup, or write ${NOPE:-default}']);
  });

  test('expands ~ in SSH paths with the given home', () => {
    const { model } = load(ONE_PAIR('  ssh: { key: ~/.ssh/id_ed25519, known_hosts: keys/known }'));
    assert.equal(model.hosts[0]?.ssh.key, '/home/u/.ssh/id_ed25519');
    assert.equal(model.hosts[0]?.ssh.knownHosts, '/srv/inv/keys/known');
  });
});

describe('hosts serving several pairs', () => {
  const TWO = `
defaults: { interface: eth0, check: { template: nginx } }
pairs:
  - name: web
    vrid: 51
    vips: ["10.0.0.100/24"]
    master: { name: a, host: 10.0.0.11, priority: 100 }
    backup: { name: b, host: 10.0.0.12, priority: 99 }
  - name: api
    vrid: 52
    vips: ["10.0.0.101/24"]
    master: { name: b, host: 10.0.0.12, priority: 100 }
    backup: { name: a, host: 10.0.0.11, priority: 99 }
`;

  test('puts every instance of a host in one model, master of one pair and backup of another', () => {
    const { model } = load(TWO);
    assert.deepEqual(model.hosts.map((h) => h.id), ['a', 'b']);
    assert.deepEqual(host(model, 'a').instances.map((i) => `${i.name}:${i.role}`), ['VI_web:master', 'VI_api:backup']);
    assert.equal(host(model, 'a').instances[0]?.peer.id, 'b');
  });

  test('shares one check script between instances with identical checks', () => {
    const { model } = load(TWO);
    const a = host(model, 'a');
    assert.deepEqual(a.scripts.map((s) => [s.name, s.path]), [['chk_nginx', '/etc/haup/scripts/check_nginx.sh']]);
    assert.deepEqual(a.scripts[0]?.pairs, ['web', 'api']);
    assert.deepEqual(a.instances.map((i) => i.trackScripts), [['chk_nginx'], ['chk_nginx']]);
  });

  test('names one script per pair when the same template has different settings', () => {
    const { model } = load(TWO.replace('vrid: 52', 'vrid: 52\n    check: { interval: 7 }'));
    const a = host(model, 'a');
    assert.deepEqual(a.scripts.map((s) => s.name), ['chk_nginx_web', 'chk_nginx_api']);
    assert.deepEqual(a.instances.map((i) => i.trackScripts), [['chk_nginx_web'], ['chk_nginx_api']]);
  });

  test('uses keepalived\'s paths for engine keepalived', () => {
    const { model } = load(TWO.replace('defaults: {', 'defaults: { engine: keepalived,'));
    const a = host(model, 'a');
    assert.equal(a.paths.config, '/etc/keepalived/keepalived.conf');
    assert.equal(a.scripts[0]?.path, '/etc/keepalived/scripts/check_nginx.sh');
    assert.equal(a.paths.unit, null);
  });
});

describe('warnings', () => {
  test('warns when two pairs on one /24 share a VRID on different hosts', () => {
    const yaml = `
defaults: { interface: eth0 }
pairs:
  - { name: web, vrid: 51, vips: ["10.0.0.100"], master: { host: 10.0.0.11, priority: 100 }, backup: { host: 10.0.0.12, priority: 99 } }
  - { name: api, vrid: 51, vips: ["10.0.0.101"], master: { host: 10.0.0.13, priority: 100 }, backup: { host: 10.0.0.14, priority: 99 } }
`;
    const { warnings } = load(yaml);
    assert.deepEqual(warnings, ['test.yml:5: pairs[1].vrid: vrid 51 is also used by pair web, whose hosts share 10.0.0.0/24; on one segment their adverts would collide — give each pair on a segment its own vrid']);
  });

  test('warns when a check weight cannot reorder the priorities', () => {
    const { warnings } = load(ONE_PAIR('  check: { template: tcp, port: 80, weight: -1 }'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /defaults\.check\.weight: weight -1 cannot bring the master \(100\) below the backup \(99\)/);
  });

  test('does not warn when the weight moves the VIP', () => {
    assert.deepEqual(load(ONE_PAIR('  check: { template: tcp, port: 80, weight: -2 }')).warnings, []);
  });

  test('warns that a weight never moves the VIP with nopreempt', () => {
    const { warnings } = load(ONE_PAIR('  preempt: false\n  check: { template: tcp, port: 80, weight: -50 }'));
    assert.match(warnings.join('\n'), /weight -50 with preempt: false never moves the VIP/);
  });
});

describe('addresses', () => {
  test('accepts IPv6 VIPs on VRRPv3 without auth, and the address owner at priority 255', () => {
    const { model } = load(`
defaults: { interface: eth0, vrrp_version: 3, advert_int: 0.1 }
pairs:
  - name: v6
    vrid: 60
    vips: ["fd00::11/64", "fd00::100"]
    master: { host: "fd00::11", priority: 255 }
    backup: { host: "fd00::12", priority: 100 }
`);
    const i = model.hosts[0]?.instances[0];
    assert.equal(i?.priority, 255);
    assert.equal(i?.version, 3);
    assert.equal(i?.advertInt, 0.1);
    assert.deepEqual(i?.vips.map((v) => [v.address, v.prefix, v.family]), [['fd00::11', 64, 6], ['fd00::100', null, 6]]);
  });

  test('renders unicast peers from the other node\'s address', () => {
    const { model } = load(ONE_PAIR('  unicast: true'));
    assert.deepEqual(host(model, '10.0.0.11').instances[0]?.unicast, { src: '10.0.0.11', peers: ['10.0.0.12'] });
  });
});
