// Track scripts on lab hosts. The seed's nginx case with the keepalived.conf and check_nginx.sh that `haup render`
// makes from an inventory for this lab: nginx stopped but restartable -> no failover; unrestartable -> the script
// stops the agent -> the VIP moves. Then plain weight-0 (FAULT) and negative-weight scripts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { labPaths } from '../../../cli/lab/paths.js';
import { loadInventoryText } from '../../../cli/inventory/load.js';
import { renderHost } from '../../../cli/render/render.js';
import { loadTemplates } from '../../../cli/render/templates.js';
import { hostExec, labSkipReason, startLab, type TestLab, type TestLabHost } from '../../support/lab.js';
import { hasAddress, hostPath, hostStatus, installAgent, keepalivedConf, labVip, startAgent, waitForSoleHolder, waitUntil, writeHostFile, type RunningAgent } from '../../support/agent.js';

const skip = labSkipReason();

function inventoryFor(lab: TestLab, vip: string): string {
  const nginx = (i: number) => `[/usr/sbin/nginx, -c, ${labPaths(lab.name).host(i).nginxConfig}, -e, /var/log/nginx/error.log]`;
  const [h1, h2] = lab.hosts as [TestLabHost, TestLabHost];
  return `
defaults:
  engine: haup
  interface: eth0
  advert_int: 1
  vrrp_version: 2
  preempt: true
  auth: { type: PASS, pass: haup-lab }
  check: { template: nginx, interval: 1, weight: 0, rise: 1, fall: 1, service: nginx }
  ssh: { user: root, key: ${lab.keyPath}, known_hosts: ${lab.knownHostsPath} }
pairs:
  - name: web
    vrid: 51
    vips:
      - { address: ${vip}/24, dev: eth0, label: "eth0:0" }
    master: { name: h1, host: ${h1.address}, priority: 100, check: { start: ${nginx(1)} } }
    backup: { name: h2, host: ${h2.address}, priority: 99, check: { start: ${nginx(2)} } }
`;
}

async function nginxPid(lab: TestLab, host: TestLabHost): Promise<number | undefined> {
  const r = await hostExec(lab, host, ['sh', '-c', 'p=$(cat /run/nginx.pid) && [ "$(cat /proc/$p/comm)" = nginx ] && echo $p']);
  return r.code === 0 ? Number(r.stdout.trim()) : undefined;
}

describe('track scripts on lab hosts', { skip }, () => {
  let lab: TestLab;
  let h1: TestLabHost;
  let h2: TestLabHost;
  let vip: string;
  const agents = new Map<string, RunningAgent>();
  const agent = (h: TestLabHost) => agents.get(h.name) as RunningAgent;
  const run = (h: TestLabHost) => {
    const a = startAgent(lab, h);
    agents.set(h.name, a);
    return a;
  };

  before(async () => {
    lab = await startLab({ name: 't3b', hosts: 2 });
    [h1, h2] = lab.hosts as [TestLabHost, TestLabHost];
    vip = labVip(lab);
    const { model } = loadInventoryText(inventoryFor(lab, vip), '/tmp/t3b-inventory.yml');
    const templates = await loadTemplates(null);
    for (const host of lab.hosts) {
      await installAgent(lab, host);
      const node = model.hosts.find((m) => m.id === host.name);
      assert.ok(node, `inventory renders ${host.name}`);
      for (const f of renderHost(node, templates)) if (f.path.startsWith('/etc/haup/')) writeHostFile(lab, host, f.path, f.content, f.mode);
    }
  });

  after(async () => {
    for (const a of agents.values()) await a.stop();
    await lab?.down();
  });

  test('the rendered configuration elects the master once its check script reports', async () => {
    const a1 = run(h1);
    run(h2);
    await a1.waitForLine(/VI_web: waiting for script:chk_nginx to report before starting|VI_web: INIT -> BACKUP reason=startup/, 10_000);
    await a1.waitForLine(/VI_web: BACKUP -> MASTER reason=(master-down-timer|lower-priority-advert-preempt)/, 15_000);
    await waitForSoleHolder(lab, h1, vip);
    const s = await waitUntil('h1 status with a healthy check', async () => {
      const st = await hostStatus(lab, h1);
      return st?.instances[0]?.tracks.find((t) => t.name === 'chk_nginx')?.healthy ? st : undefined;
    });
    assert.equal(s.instances[0]?.state, 'MASTER');
  });

  test('nginx stopped but restartable: the check restarts it and the VIP stays', async () => {
    const from1 = agent(h1).lines.length;
    const from2 = agent(h2).lines.length;
    const old = await nginxPid(lab, h1);
    assert.ok(old);
    process.kill(old, 'SIGTERM'); // like `nginx -s stop`: workers go too (SIGKILL would leave them holding port 80)
    const restartedAt = Date.now();
    const fresh = await waitUntil('nginx restarted on h1 by the check script', async () => {
      const p = await nginxPid(lab, h1);
      return p !== undefined && p !== old ? p : undefined;
    }, 10_000, 50);
    assert.notEqual(fresh, old);
    // Two more script runs (interval 1 s) and a status write after them; nothing may have moved.
    await waitUntil('a status written 3 s after the restart', async () => Date.parse((await hostStatus(lab, h1))?.updatedAt ?? '0') > restartedAt + 3000, 15_000, 200);
    assert.deepEqual(agent(h1).transitions(from1), []);
    assert.deepEqual(agent(h2).transitions(from2), []);
    assert.ok(await hasAddress(lab, h1, vip));
  });

  test('nginx stopped and unrestartable: the check stops the agent and the VIP moves to the backup', async () => {
    const conf = labPaths(lab.name).host(h1.index).nginxConfig;
    const good = readFileSync(conf, 'utf8');
    const from2 = agent(h2).lines.length;
    writeFileSync(conf, `${good}\nthis_is_not_an_nginx_directive;\n`);
    try {
      const pid = await nginxPid(lab, h1);
      assert.ok(pid);
      process.kill(pid, 'SIGTERM');
      await agent(h1).waitForLine(/received SIGTERM: stopping/, 15_000);
      assert.deepEqual(await agent(h1).exited, { code: 0, signal: null });
      await agent(h2).waitForLine(/VI_web: BACKUP -> MASTER reason=priority-zero-advert/, 5000, from2);
      await waitForSoleHolder(lab, h2, vip);
    } finally {
      writeFileSync(conf, good);
    }
    const started = await hostExec(lab, h1, ['/usr/sbin/nginx', '-c', conf, '-e', '/var/log/nginx/error.log']);
    assert.equal(started.code, 0, started.stderr);
  });

  test('a failing weight-0 script puts the master in FAULT and the VIP moves; fixed, it comes back', async () => {
    for (const h of lab.hosts) writeHostFile(lab, h, '/etc/haup/healthy', 'ok\n');
    writeHostFile(lab, h1, '/etc/haup/keepalived.conf', flagConf(h1.name, vip, 150, 0), 0o600);
    writeHostFile(lab, h2, '/etc/haup/keepalived.conf', flagConf(h2.name, vip, 100, 0), 0o600);
    const from2 = agent(h2).lines.length;
    agent(h2).signal('SIGHUP');
    await agent(h2).waitForLine(/reloaded .*: 1 kept, 0 added, 0 removed/, 5000, from2);
    const a1 = run(h1);
    await a1.waitForLine(/VI_web: BACKUP -> MASTER reason=lower-priority-advert-preempt/, 15_000);
    await waitForSoleHolder(lab, h1, vip);

    const t1 = a1.lines.length;
    await hostExec(lab, h1, ['rm', '/etc/haup/healthy']);
    await a1.waitForLine(/VI_web: MASTER -> FAULT reason=check-failed detail=script:chk_flag/, 5000, t1);
    await agent(h2).waitForLine(/VI_web: BACKUP -> MASTER reason=priority-zero-advert/, 5000, from2);
    await waitForSoleHolder(lab, h2, vip);
    writeHostFile(lab, h1, '/etc/haup/healthy', 'ok\n');
    await a1.waitForLine(/VI_web: FAULT -> BACKUP reason=fault-cleared detail=script:chk_flag/, 5000, t1);
    await a1.waitForLine(/VI_web: BACKUP -> MASTER reason=lower-priority-advert-preempt/, 15_000, t1);
    await waitForSoleHolder(lab, h1, vip);
  });

  test('a failing script with weight -60 lowers the priority below the backup, which preempts', async () => {
    const a1 = agent(h1);
    const from1 = a1.lines.length;
    const from2 = agent(h2).lines.length;
    writeHostFile(lab, h1, '/etc/haup/keepalived.conf', flagConf(h1.name, vip, 150, -60), 0o600);
    a1.signal('SIGHUP');
    await a1.waitForLine(/reloaded/, 5000, from1);
    await hostExec(lab, h1, ['rm', '/etc/haup/healthy']);
    await a1.waitForLine(/VI_web: effective priority 150 -> 90/, 5000, from1);
    await agent(h2).waitForLine(/VI_web: BACKUP -> MASTER reason=lower-priority-advert-preempt/, 15_000, from2);
    await a1.waitForLine(/VI_web: MASTER -> BACKUP reason=higher-priority-advert/, 5000, from1);
    await waitForSoleHolder(lab, h2, vip);
    assert.equal((await hostStatus(lab, h1))?.instances[0]?.effectivePriority, 90);
  });

  test("a sync group moves together: one member's failed check faults both; notify scripts get keepalived's arguments", async () => {
    const notify = '/etc/haup/scripts/notify.sh';
    const vipA = labVip(lab, 61);
    const vipB = labVip(lab, 62);
    const conf = (routerId: string, priority: number) =>
      `${keepalivedConf({
        routerId,
        scripts: [{ name: 'chk_flag', script: '/usr/bin/test -e /etc/haup/healthy', interval: 1 }],
        instances: [
          { name: 'A', vrid: 61, priority, version: 3, advertInt: '0.1', vips: [`${vipA}/24`], trackScripts: ['chk_flag'], extra: [`notify ${notify}`] },
          { name: 'B', vrid: 62, priority, version: 3, advertInt: '0.1', vips: [`${vipB}/24`], extra: [`notify ${notify}`] },
        ],
      })}vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  notify ${notify}\n}\n`;
    for (const [h, prio] of [[h1, 150], [h2, 100]] as const) {
      writeHostFile(lab, h, notify, '#!/bin/sh\necho "$@" >> /var/log/haup-notify.log\n', 0o755);
      writeHostFile(lab, h, '/etc/haup/healthy', 'ok\n');
      writeHostFile(lab, h, '/etc/haup/keepalived.conf', conf(h.name, prio), 0o600);
    }
    const from = new Map(lab.hosts.map((h) => [h.name, agent(h).lines.length]));
    for (const h of lab.hosts) {
      agent(h).signal('SIGHUP');
      await agent(h).waitForLine(/reloaded .*: 0 kept, 2 added, 1 removed/, 5000, from.get(h.name));
    }
    const a1 = agent(h1);
    await a1.waitForLine(/A: BACKUP -> MASTER/, 10_000, from.get('h1'));
    await a1.waitForLine(/B: BACKUP -> MASTER/, 10_000, from.get('h1'));
    await waitForSoleHolder(lab, h1, vipA);
    await waitForSoleHolder(lab, h1, vipB);

    const t = a1.lines.length;
    const t2 = agent(h2).lines.length;
    await hostExec(lab, h1, ['rm', '/etc/haup/healthy']);
    await a1.waitForLine(/A: MASTER -> FAULT reason=check-failed detail=script:chk_flag/, 5000, t);
    await a1.waitForLine(/B: MASTER -> FAULT reason=sync-group-fault detail=sync-group:G/, 5000, t);
    await agent(h2).waitForLine(/A: BACKUP -> MASTER/, 5000, t2);
    await agent(h2).waitForLine(/B: BACKUP -> MASTER/, 5000, t2);
    await waitForSoleHolder(lab, h2, vipA);
    await waitForSoleHolder(lab, h2, vipB);
    const calls = await waitUntil('fault notifications on h1', () => {
      const lines = readFileSync(hostPath(lab, h1, '/var/log/haup-notify.log'), 'utf8').split('\n');
      return ['INSTANCE A FAULT 150', 'INSTANCE B FAULT 150', 'GROUP G FAULT 0'].every((l) => lines.includes(l)) ? lines : undefined;
    });
    assert.ok(calls.includes('INSTANCE A MASTER 150') && calls.includes('GROUP G MASTER 0'), calls.join('\n'));

    writeHostFile(lab, h1, '/etc/haup/healthy', 'ok\n');
    await a1.waitForLine(/A: FAULT -> BACKUP reason=fault-cleared/, 5000, t);
    await a1.waitForLine(/B: FAULT -> BACKUP reason=fault-cleared detail=sync-group:G/, 5000, t);
    await waitForSoleHolder(lab, h1, vipA);
    await waitForSoleHolder(lab, h1, vipB);
  });
});

/** A config tracking `test -e /etc/haup/healthy` (deleting the file fails the check). */
function flagConf(routerId: string, vip: string, priority: number, weight: number): string {
  return keepalivedConf({
    routerId,
    scripts: [{ name: 'chk_flag', script: '/usr/bin/test -e /etc/haup/healthy', interval: 1, weight }],
    instances: [{ name: 'VI_web', vrid: 51, priority, authPass: 'haup-lab', vips: [`${vip}/24 dev eth0 label eth0:0`], trackScripts: ['chk_flag'] }],
  });
}
