// Input: inventory SSH settings, deploy flags and host facts. Output: the SSH options and targets deploy connects
// with, and the problems that stop a host before it is touched.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseJump, sshOptionsFor, targetFor } from '../../../cli/deploy/connect.js';
import { unitProblems } from '../../../cli/deploy/run.js';
import { loadInventoryText } from '../../../cli/inventory/load.js';
import { parseFacts } from '../../../cli/plan/facts.js';
import { renderHost } from '../../../cli/render/render.js';
import { loadTemplates } from '../../../cli/render/templates.js';

const model = loadInventoryText(
  `defaults: { interface: eth0, auth: none, vrrp_version: 3, ssh: { user: deploy, sudo: true, port: 2222, key: /keys/id, known_hosts: /kh, jump: ops@bastion:2200, connect_timeout: 7 } }
pairs:
  - { name: web, vrid: 7, vips: [10.0.0.100/24], master: { name: m, host: 10.0.0.1, priority: 100 }, backup: { name: b, host: 10.0.0.2, priority: 90 } }
`,
  '/tmp/i.yml',
  { env: {} },
).model;

describe('connect settings', () => {
  test('parses jump hosts like OpenSSH ProxyJump', () => {
    assert.deepEqual(parseJump('bastion'), { host: 'bastion' });
    assert.deepEqual(parseJump('ops@bastion:2200'), { host: 'bastion', user: 'ops', port: 2200 });
    assert.deepEqual(parseJump('[fd00::1]:22'), { host: 'fd00::1', port: 22 });
  });
  test('takes key, known_hosts, timeout and sudo from the inventory; --known-hosts and --trust-new-hosts override', () => {
    const h = model.hosts[0]!;
    assert.deepEqual(sshOptionsFor(h, {}), { identityFiles: ['/keys/id'], knownHostsFiles: ['/kh'], trustNewHosts: false, connectTimeoutMs: 7000, sudo: true });
    assert.deepEqual(sshOptionsFor(h, { knownHosts: '/other', trustNewHosts: true }).knownHostsFiles, ['/other']);
    assert.deepEqual(targetFor(h), { host: '10.0.0.1', port: 2222, user: 'deploy', name: 'm', jump: { host: 'bastion', user: 'ops', port: 2200 } });
  });
});

describe('unitProblems', () => {
  test('stops a systemd host whose node is not where the rendered unit starts it', async () => {
    const h = model.hosts[0]!;
    const rendered = renderHost(h, await loadTemplates(null));
    const facts = (init: string, node: string) => parseFacts(`uid=0\nnodepath=${node}\ninit=${init}\n`);
    assert.deepEqual(unitProblems(h, rendered, facts('systemd', '/usr/bin/node')), []);
    assert.deepEqual(unitProblems(h, rendered, facts('sh', '/opt/node/bin/node')), [], 'no unit is used without systemd');
    assert.match(unitProblems(h, rendered, facts('systemd', '/opt/node/bin/node'))[0] ?? '', /starts \/usr\/bin\/node, but node on this host is \/opt\/node\/bin\/node/);
  });
});
