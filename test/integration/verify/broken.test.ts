// Input: two VRRPv3 pairs (advert_int 0.2) deployed on a 4-host lab, then broken on purpose: a stopped
// backup agent, a split VRID, a check script that never fails the service, the link between two nodes cut,
// both agents stopped. Output: `haup verify` fails with a clear reason (touching nothing when the pre-check
// fails, restoring what it touched otherwise) and `haup status` flags split brain and no holder, exit 1.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostExec, hostSpawn, labSkipReason, startLab, type TestLab } from '../../support/lab.js';
import { waitUntil } from '../../support/netns.js';
import { writeHostFile } from '../../support/agent.js';
import { bridgePort, deploy, haup, look, statusJson, vipOf, verifyJson, writeInventory, type PairSpec } from './support.js';

const skip = labSkipReason();
const P3: PairSpec = { name: 'p3', master: 1, backup: 2, vrid: 63, version: 3, advertInt: 0.2, preempt: true, checkInterval: 1 };
const P4: PairSpec = { name: 'p4', master: 3, backup: 4, vrid: 64, version: 3, advertInt: 0.2, preempt: true, checkInterval: 1 };

async function stopAgent(lab: TestLab, host: string): Promise<void> {
  await hostExec(lab, host, ['sh', '-c', 'kill -TERM "$(cat /run/haup/haup-agent.pid)"']);
  await waitUntil(`${host}'s agent gone`, async () => !(await look(lab, host)).running, 10_000);
}

describe('haup verify and haup status on broken pairs', { skip }, () => {
  let lab: TestLab;
  let inventory: string;
  /** Puts both pairs back with a real deploy and waits until status says they are healthy. */
  const redeploy = async (limit: string) => {
    await deploy(inventory, [limit]);
    await waitUntil(`${limit} healthy`, async () => (await statusJson(inventory, limit)).report.ok, 15_000, 100);
  };
  before(async () => {
    lab = await startLab({ name: 't5b', hosts: 4 });
    inventory = writeInventory(lab, 'broken.yml', [P3, P4]);
    await deploy(inventory);
  });
  after(async () => {
    await lab?.down();
  });

  test('verify fails before touching anything when the backup agent is stopped', async () => {
    await stopAgent(lab, 'h2');
    const master = await look(lab, 'h1');
    const { report, error } = await verifyJson({ inventory, limit: 'p3', mode: 'stop' });
    assert.match(error?.message ?? '', /1 of 1 failover check\(s\) failed/);
    assert.deepEqual(report.results.map((r) => [r.status, r.reasons]), [['fail', ['pre-check: h2: the agent is not running']]]);
    assert.equal(report.results[0]?.restore, null, 'nothing to restore: nothing was touched');
    const now = await look(lab, 'h1');
    assert.equal(now.pid, master.pid, 'the master agent was not touched');
    assert.ok(now.addresses.includes(vipOf(lab, P3)));
    await redeploy('p3');
  });

  test('verify and status fail on a split VRID: both nodes MASTER with the VIP', async () => {
    // The backup's config gets another VRID behind deploy's back; a reload makes it a separate router.
    const conf = await hostExec(lab, 'h2', ['cat', '/etc/haup/keepalived.conf']);
    writeHostFile(lab, 'h2', '/etc/haup/keepalived.conf', conf.stdout.replace('virtual_router_id 63', 'virtual_router_id 73'), 0o600);
    await hostExec(lab, 'h2', ['sh', '-c', 'kill -HUP "$(cat /run/haup/haup-agent.pid)"']);
    const vip = vipOf(lab, P3);
    await waitUntil('both hold the VIP', async () => (await look(lab, 'h2')).addresses.includes(vip) && (await look(lab, 'h1')).addresses.includes(vip), 10_000, 50);
    const v = await verifyJson({ inventory, limit: 'p3', mode: 'kill' });
    assert.ok(v.error);
    assert.ok(v.report.results[0]?.reasons.includes(`pre-check: split brain: ${vip} is held by h1 and h2`), JSON.stringify(v.report.results[0]?.reasons));
    const s = await haup(['status', inventory, '--limit', 'p3']);
    assert.equal(s.code, 1, s.stdout + s.stderr);
    assert.match(s.stdout, /pair p3 \(VRID 63, .*\): FAILED/);
    assert.match(s.stdout, new RegExp(`problem: split brain: ${vip.replace(/\./g, '\\.')} is held by h1 and h2`));
    assert.match(s.stderr, /error HAUP_STATUS_FAILED: 1 of 1 pair\(s\) not healthy/);
    await redeploy('p3');
  });

  test('verify check fails with no takeover when the check script never fails the service, and restores nginx', async () => {
    writeHostFile(lab, 'h1', '/etc/haup/scripts/check_nginx.sh', '#!/bin/sh\n# broken on purpose: never reports a failure\nexit 0\n', 0o755);
    const { report, error } = await verifyJson({ inventory, limit: 'p3', mode: 'check' });
    assert.ok(error);
    const r = report.results[0];
    assert.equal(r?.status, 'fail');
    assert.match(r?.reasons[0] ?? '', /^no-takeover: h2 did not become MASTER holding the VIPs within \d+ ms$/);
    assert.equal(r?.restore?.ok, true, JSON.stringify(r?.restore));
    const h1 = await look(lab, 'h1');
    assert.ok(h1.nginx, 'nginx runs again on h1');
    assert.ok(h1.running && h1.addresses.includes(vipOf(lab, P3)));
    const covered = await hostExec(lab, 'h1', ['sh', '-c', 'grep -c " /usr/sbin/nginx " /proc/self/mountinfo || true']);
    assert.equal(covered.stdout.trim(), '0', 'no bind mount left over nginx');
    await redeploy('p3');
  });

  test('status flags split brain after the link between the nodes is cut, and clears once it is back', async () => {
    const ports = [bridgePort(lab, 'h3'), bridgePort(lab, 'h4')];
    const setIsolated = (on: boolean) => ports.forEach((p) => execFileSync('bridge', ['link', 'set', 'dev', p, 'isolated', on ? 'on' : 'off']));
    // Isolated bridge ports cannot talk to each other, only to the bridge (this machine): SSH still works.
    setIsolated(true);
    try {
      // Both nodes MASTER: status reads a node's VIPs and its agent's file one after the other, so a poll can
      // land between h4 adding the VIP and rewriting its file (split brain by the VIPs, h4 still BACKUP).
      const split = await waitUntil('split brain', async () => {
        const s = await statusJson(inventory, 'p4');
        const pair = s.report.pairs[0];
        return pair?.problems.some((p) => p.kind === 'split-brain') && pair.nodes.every((n) => n.state === 'MASTER') ? s : undefined;
      }, 20_000, 100);
      assert.ok(split.error);
      assert.deepEqual(split.report.pairs[0]?.nodes.map((n) => [n.host, n.state, n.vipsHeld]), [['h3', 'MASTER', [vipOf(lab, P4)]], ['h4', 'MASTER', [vipOf(lab, P4)]]]);
    } finally {
      setIsolated(false);
    }
    const healed = await waitUntil('one holder again', async () => {
      const s = await statusJson(inventory, 'p4');
      return s.report.ok ? s : undefined;
    }, 20_000, 100);
    assert.equal(healed.report.pairs[0]?.holder, 'h3');
  });

  test('status flags a keepalived left running next to the agent (after moving a node from keepalived to haup)', async () => {
    // Stands in for a leftover keepalived: a live process named in keepalived's pidfile on h4.
    const leftover = hostSpawn(lab, 'h4', ['sleep', '120']);
    try {
      await hostExec(lab, 'h4', ['sh', '-c', `echo ${leftover.pid} > /run/keepalived.pid`]);
      const { report, error } = await statusJson(inventory, 'p4');
      assert.ok(error);
      assert.deepEqual(report.pairs[0]?.problems.map((p) => p.message), [`h4: keepalived (pid ${leftover.pid}) runs there too and also speaks VRRP for the node — stop the daemon the inventory does not use`]);
    } finally {
      leftover.kill('SIGKILL');
      await hostExec(lab, 'h4', ['rm', '-f', '/run/keepalived.pid']);
    }
    assert.equal((await statusJson(inventory, 'p4')).report.ok, true);
  });

  test('status flags no holder when both agents are stopped', async () => {
    await stopAgent(lab, 'h4');
    await stopAgent(lab, 'h3');
    const s = await haup(['status', inventory, '--limit', 'p4', '--json']);
    assert.equal(s.code, 1);
    const report = JSON.parse(s.stdout) as { ok: boolean; pairs: { problems: { kind: string; message: string }[] }[] };
    assert.equal(report.ok, false);
    assert.deepEqual(report.pairs[0]?.problems.map((p) => p.message), ['h3: the agent is not running', 'h4: the agent is not running', `no holder: nobody holds ${vipOf(lab, P4)}`]);
    await redeploy('p4');
  });
});
