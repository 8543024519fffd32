// `engine: keepalived` in the lab (root, keepalived installed): deploy the rendered config to real keepalived on
// two hosts, check `keepalived -t` guards it, re-deploy without touching it, fail over when the master stops, and
// switch engines both ways (the old daemon is stopped, never left running next to the new one).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { labSkipReason, startLab, type TestLab } from '../../support/lab.js';
import { vipOf, writeLabInventory } from './lab-inventory.js';
import { agentPid, deploy, fetchHost, until, vipHolders } from './support.js';

const skip = labSkipReason() ?? (existsSync('/usr/sbin/keepalived') ? undefined : 'needs keepalived: apt-get install -y keepalived');
const PIDFILE = '/run/keepalived.pid';
let lab: TestLab;

describe('haup deploy with engine: keepalived', { skip, concurrency: false }, () => {
  before(async () => {
    lab = await startLab({ name: 't4c', hosts: 2 });
  });
  after(async () => {
    await lab?.down();
  });

  test('deploys keepalived to both nodes and the VIP lands on the master', async () => {
    const inv = writeLabInventory(lab, 'ka.yml', { pairs: 1, engine: 'keepalived' });
    const { report, error } = await deploy({ inventory: inv });
    assert.equal(error, null, error?.message);
    assert.deepEqual(report.hosts.map((h) => [h.host, h.engine, h.action, h.result]), [['h1', 'keepalived', 'start', 'changed'], ['h2', 'keepalived', 'start', 'changed']]);
    assert.deepEqual(report.hosts[0]?.changed, ['/etc/keepalived/keepalived.conf', '/etc/keepalived/scripts/check_nginx.sh']);
    assert.equal(report.pairs[0]?.converged, true);
    assert.deepEqual(await vipHolders(lab, vipOf(lab, 0), ['h1', 'h2']), ['h1']);
    assert.equal(await fetchHost(vipOf(lab, 0)), 'h1');
  });

  test('re-deploys without touching keepalived', async () => {
    const inv = writeLabInventory(lab, 'ka.yml', { pairs: 1, engine: 'keepalived' });
    const pids = await Promise.all(['h1', 'h2'].map((h) => agentPid(lab, h, PIDFILE)));
    const { report, error } = await deploy({ inventory: inv });
    assert.equal(error, null, error?.message);
    assert.equal(report.changedHosts, 0);
    assert.deepEqual(await Promise.all(['h1', 'h2'].map((h) => agentPid(lab, h, PIDFILE))), pids);
  });

  test('reloads keepalived on a change after keepalived -t accepted it', async () => {
    const inv = writeLabInventory(lab, 'ka.yml', { pairs: 1, engine: 'keepalived', priorities: () => ({ master: 150, backup: 99 }) });
    const pids = await Promise.all(['h1', 'h2'].map((h) => agentPid(lab, h, PIDFILE)));
    const { report, error } = await deploy({ inventory: inv });
    assert.equal(error, null, error?.message);
    assert.deepEqual(report.hosts.map((h) => h.action), ['reload', 'reload']);
    assert.deepEqual(await Promise.all(['h1', 'h2'].map((h) => agentPid(lab, h, PIDFILE))), pids);
    assert.deepEqual(await vipHolders(lab, vipOf(lab, 0), ['h1', 'h2']), ['h1']);
  });

  test('fails over to the backup when keepalived stops on the master, and a deploy brings the master back', async () => {
    const pid = (await agentPid(lab, 'h1', PIDFILE)) as number;
    process.kill(pid, 'SIGTERM');
    await until('the VIP on h2', async () => (await vipHolders(lab, vipOf(lab, 0), ['h1', 'h2'])).join() === 'h2', 10_000);
    assert.equal(await fetchHost(vipOf(lab, 0)), 'h2');
    await until('keepalived on h1 to exit', async () => (await agentPid(lab, 'h1', PIDFILE)) === null, 10_000);
    const inv = writeLabInventory(lab, 'ka.yml', { pairs: 1, engine: 'keepalived', priorities: () => ({ master: 150, backup: 99 }) });
    const { report, error } = await deploy({ inventory: inv });
    assert.equal(error, null, error?.message);
    assert.deepEqual(report.hosts.map((h) => [h.host, h.action]), [['h1', 'start'], ['h2', 'none']], JSON.stringify(report.hosts.map((h) => [h.host, h.action, h.reason, h.pidBefore])));
    assert.equal(report.pairs[0]?.converged, true);
    assert.deepEqual(await vipHolders(lab, vipOf(lab, 0), ['h1', 'h2']), ['h1']);
  });

  test('switching the inventory to engine: haup stops keepalived on each node and the agent takes over', async () => {
    const inv = writeLabInventory(lab, 'switch.yml', { pairs: 1, engine: 'haup' });
    const { report, error } = await deploy({ inventory: inv });
    assert.equal(error, null, error?.message);
    assert.deepEqual(report.hosts.map((h) => [h.host, h.action, h.result]), [['h1', 'start', 'changed'], ['h2', 'start', 'changed']]);
    assert.match(report.hosts[0]?.reason ?? '', /the other engine's daemon still runs \(pid \d+\): it is stopped first/);
    assert.deepEqual(await Promise.all(['h1', 'h2'].map((h) => agentPid(lab, h, PIDFILE))), [null, null], 'keepalived is gone');
    assert.ok((await agentPid(lab, 'h1')) !== null && (await agentPid(lab, 'h2')) !== null, 'the agents run');
    assert.equal(report.pairs[0]?.converged, true);
    assert.deepEqual(await vipHolders(lab, vipOf(lab, 0), ['h1', 'h2']), ['h1']);
    assert.equal(await fetchHost(vipOf(lab, 0)), 'h1');
  });

  test('switching back to engine: keepalived stops the agents', async () => {
    const inv = writeLabInventory(lab, 'ka.yml', { pairs: 1, engine: 'keepalived' });
    const { report, error } = await deploy({ inventory: inv });
    assert.equal(error, null, error?.message);
    assert.deepEqual(report.hosts.map((h) => h.action), ['start', 'start']);
    assert.deepEqual(await Promise.all(['h1', 'h2'].map((h) => agentPid(lab, h))), [null, null], 'the agents are gone');
    assert.ok((await agentPid(lab, 'h1', PIDFILE)) !== null && (await agentPid(lab, 'h2', PIDFILE)) !== null, 'keepalived runs');
    assert.deepEqual(await vipHolders(lab, vipOf(lab, 0), ['h1', 'h2']), ['h1']);
  });
});
