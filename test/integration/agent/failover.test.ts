// Two haup agents on two lab hosts (the built bundle in /opt/haup): election, kill -9, SIGTERM, preempt,
// link down, SIGHUP reload without flap, nopreempt. VRRPv2 with PASS, advert_int 1, like the seed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { hostExec, labSkipReason, startLab, type TestLab, type TestLabHost } from '../../support/lab.js';
import {
  AGENT_NODE,
  hasAddress,
  hostPath,
  hostStatus,
  installAgent,
  keepalivedConf,
  labVip,
  startAgent,
  waitForSoleHolder,
  waitUntil,
  writeHostFile,
  type RunningAgent,
} from '../../support/agent.js';
import { masterDownInterval, skewTime } from '../../../agent/vrrp/timers.js';

const skip = labSkipReason();
const CONF = '/etc/haup/keepalived.conf';
const RECORD = '/var/log/haup/record.jsonl';
const PRIO = { h1: 150, h2: 100 } as const;
/** The backup (priority 100) times out after 3 * 1 s + (256 - 100) / 256 s (RFC 3768 §6.1). */
const H2_DOWN_MS = masterDownInterval(2, PRIO.h2, 100);
const H2_SKEW_MS = skewTime(2, PRIO.h2, 100);

describe('two haup agents on lab hosts', { skip }, () => {
  let lab: TestLab;
  let h1: TestLabHost;
  let h2: TestLabHost;
  let vip: string;
  const agents = new Map<string, RunningAgent>();

  const conf = (host: TestLabHost, extra: { nopreempt?: boolean; priority?: number } = {}) =>
    keepalivedConf({
      routerId: host.name,
      instances: [
        {
          state: host === h1 && !extra.nopreempt ? 'MASTER' : 'BACKUP',
          vrid: 51,
          priority: extra.priority ?? PRIO[host.name as 'h1' | 'h2'],
          advertInt: 1,
          authPass: 'haup-lab',
          nopreempt: extra.nopreempt ?? false,
          vips: [`${vip}/24 dev eth0 label eth0:0`],
        },
      ],
    });

  const run = (host: TestLabHost, args: string[] = []) => {
    const a = startAgent(lab, host, args);
    agents.set(host.name, a);
    return a;
  };
  const agent = (host: TestLabHost) => agents.get(host.name) as RunningAgent;

  before(async () => {
    lab = await startLab({ name: 't3a', hosts: 2 });
    [h1, h2] = lab.hosts as [TestLabHost, TestLabHost];
    vip = labVip(lab);
    for (const h of lab.hosts) {
      await installAgent(lab, h);
      writeHostFile(lab, h, CONF, conf(h), 0o600);
    }
  });

  after(async () => {
    for (const a of agents.values()) await a.stop();
    await lab?.down();
  });

  test('elects exactly one master, which holds the VIP; the backup sees its adverts', async () => {
    run(h1);
    run(h2, ['--record', RECORD]);
    await agent(h1).waitForLine(/VI_1: BACKUP -> MASTER reason=master-down-timer/, 15_000);
    await waitForSoleHolder(lab, h1, vip);
    const s2 = await waitUntil('h2 status naming h1 as master', async () => {
      const s = await hostStatus(lab, h2);
      return s?.instances[0]?.masterSeen === h1.address ? s : undefined;
    });
    assert.equal(s2.instances[0]?.state, 'BACKUP');
    assert.equal(s2.instances[0]?.vipsHeld, false);
    assert.deepEqual(agent(h2).transitions(), ['VI_1: INIT -> BACKUP reason=startup']);
    const text = await hostExec(lab, h1, [AGENT_NODE, '/opt/haup/haup-agent.cjs', 'status']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /VI_1 \(vrid 51 eth0 v2\)\s+MASTER\s+150\/150\s+\S+\/24\*/);
    const json = await hostExec(lab, h1, [AGENT_NODE, '/opt/haup/haup-agent.cjs', 'status', '--json']);
    assert.equal((JSON.parse(json.stdout) as { running: boolean }).running, true);
  });

  test('a second agent refuses to start while a live one holds the pid file', async () => {
    const r = await hostExec(lab, h1, [AGENT_NODE, '/opt/haup/haup-agent.cjs', 'run', '-f', CONF]);
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, new RegExp(`another haup-agent \\(pid ${agent(h1).pid}\\) is running`));
    assert.ok(await hasAddress(lab, h1, vip), 'the VIP is untouched');
  });

  test('kill -9 of the master: the backup takes the VIP after Master_Down_Interval', async () => {
    const from = agent(h2).lines.length;
    const t0 = performance.now();
    await agent(h1).kill9();
    const line = await agent(h2).waitForLine(/VI_1: BACKUP -> MASTER reason=master-down-timer/, 10_000, from);
    const elapsed = line.at - t0;
    // The last advert left h1 up to one interval before the kill.
    assert.ok(elapsed > H2_DOWN_MS - 1000 - 50 && elapsed < H2_DOWN_MS + 500, `took ${elapsed.toFixed(0)} ms, Master_Down_Interval is ${H2_DOWN_MS} ms`);
    await waitUntil('VIP on h2', () => hasAddress(lab, h2, vip));
    // Timer accuracy from the backup's own record: master-down event minus the last advert.
    const events = readFileSync(hostPath(lab, h2, RECORD), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: number; event: { type: string } });
    const fired = events.map((e) => e.event.type).lastIndexOf('master-down-timer');
    const lastAdvert = events.slice(0, fired).filter((e) => e.event.type === 'advert').pop();
    assert.ok(lastAdvert, 'h2 recorded adverts before the takeover');
    const lateness = (events[fired] as { t: number }).t - lastAdvert.t - H2_DOWN_MS;
    console.log(`# kill -9 takeover: ${elapsed.toFixed(0)} ms after the kill; timer lateness ${lateness.toFixed(2)} ms vs Master_Down_Interval ${H2_DOWN_MS} ms`);
    assert.ok(lateness >= -1 && lateness < 100, `lateness ${lateness} ms`);
  });

  test('the killed master returns: removes its stale VIP, then preempts the lower-priority master', async () => {
    const from2 = agent(h2).lines.length;
    const a1 = run(h1);
    await a1.waitForLine(/VI_1: removed VIP/, 10_000);
    await a1.waitForLine(/VI_1: BACKUP -> MASTER reason=lower-priority-advert-preempt/, 15_000);
    await agent(h2).waitForLine(/VI_1: MASTER -> BACKUP reason=higher-priority-advert/, 5000, from2);
    await waitForSoleHolder(lab, h1, vip);
  });

  test('SIGTERM of the master: priority 0, the backup takes over after about Skew_Time', async () => {
    const from2 = agent(h2).lines.length;
    const t0 = performance.now();
    agent(h1).signal('SIGTERM');
    const line = await agent(h2).waitForLine(/VI_1: BACKUP -> MASTER reason=priority-zero-advert/, 5000, from2);
    const elapsed = line.at - t0;
    console.log(`# SIGTERM takeover: ${elapsed.toFixed(0)} ms (Skew_Time ${H2_SKEW_MS} ms)`);
    assert.ok(elapsed > H2_SKEW_MS - 50 && elapsed < H2_SKEW_MS + 500, `took ${elapsed.toFixed(0)} ms, Skew_Time is ${H2_SKEW_MS} ms`);
    assert.deepEqual(await agent(h1).exited, { code: 0, signal: null });
    assert.match(agent(h1).log(), /VI_1: MASTER -> INIT reason=shutdown/);
    await waitForSoleHolder(lab, h2, vip);
    assert.equal((await hostExec(lab, h1, ['test', '-e', '/run/haup/haup-agent.pid'])).code, 1, 'pid file removed');
    const s = await hostStatus(lab, h1);
    assert.equal(s?.instances[0]?.state, 'STOP');
  });

  test('link down on the master: FAULT and the VIP moves; link up: it comes back and preempts', async () => {
    const a1 = run(h1);
    await a1.waitForLine(/VI_1: BACKUP -> MASTER/, 15_000);
    await waitForSoleHolder(lab, h1, vip);
    const from1 = a1.lines.length;
    const from2 = agent(h2).lines.length;
    assert.equal((await hostExec(lab, h1, ['ip', 'link', 'set', 'eth0', 'down'])).code, 0);
    try {
      await a1.waitForLine(/VI_1: MASTER -> FAULT reason=interface-down detail=interface:eth0/, 5000, from1);
      await agent(h2).waitForLine(/VI_1: BACKUP -> MASTER reason=master-down-timer/, 10_000, from2);
      await waitUntil('VIP gone from h1', async () => !(await hasAddress(lab, h1, vip)));
      assert.equal((await hostStatus(lab, h1))?.instances[0]?.state, 'FAULT');
    } finally {
      await hostExec(lab, h1, ['ip', 'link', 'set', 'eth0', 'up']);
    }
    await a1.waitForLine(/VI_1: FAULT -> BACKUP reason=fault-cleared/, 5000, from1);
    await a1.waitForLine(/VI_1: BACKUP -> MASTER/, 15_000, from1);
    await waitForSoleHolder(lab, h1, vip);
  });

  test('SIGHUP reload keeps state and VIP with no transition; a broken file is rejected', async () => {
    const a1 = agent(h1);
    const a2 = agent(h2);
    const before2 = (await hostStatus(lab, h2))?.instances[0]?.counters.received ?? 0;
    const from1 = a1.lines.length;
    const from2 = a2.lines.length;
    writeHostFile(lab, h1, CONF, conf(h1, { priority: 160 }), 0o600);
    a1.signal('SIGHUP');
    await a1.waitForLine(/reloaded \/etc\/haup\/keepalived.conf: 1 kept, 0 added, 0 removed/, 5000, from1);
    await waitUntil('h1 status with priority 160', async () => (await hostStatus(lab, h1))?.instances[0]?.effectivePriority === 160);
    // No flap: the backup keeps receiving adverts for longer than its Master_Down_Interval.
    await waitUntil('4 more adverts at h2', async () => ((await hostStatus(lab, h2))?.instances[0]?.counters.received ?? 0) >= before2 + 4, 15_000, 200);
    writeHostFile(lab, h1, CONF, `${conf(h1)}\nvrrp_bogus {\n}\n`, 0o600);
    a1.signal('SIGHUP');
    await a1.waitForLine(/reload rejected: 1 error in \/etc\/haup\/keepalived.conf; still running the previous configuration/, 5000, from1);
    assert.deepEqual(a1.transitions(from1), []);
    assert.deepEqual(a2.transitions(from2), []);
    assert.ok(await hasAddress(lab, h1, vip));
    assert.equal((await hostStatus(lab, h1))?.instances[0]?.effectivePriority, 160);
  });

  test('nopreempt: the VIP stays on the backup when the higher-priority node returns', async () => {
    for (const h of [h1, h2]) writeHostFile(lab, h, CONF, conf(h, { nopreempt: true }), 0o600);
    for (const h of [h1, h2]) {
      const from = agent(h).lines.length;
      agent(h).signal('SIGHUP');
      await agent(h).waitForLine(/reloaded/, 5000, from);
    }
    const from2 = agent(h2).lines.length;
    await agent(h1).stop();
    await agent(h2).waitForLine(/VI_1: BACKUP -> MASTER reason=priority-zero-advert/, 5000, from2);
    await waitForSoleHolder(lab, h2, vip);
    const a1 = run(h1);
    // Five adverts from h2 take longer than h1's Master_Down_Interval: it would have preempted by then.
    await waitUntil('h1 backup with 5 adverts seen', async () => {
      const i = (await hostStatus(lab, h1))?.instances[0];
      return i?.state === 'BACKUP' && i.masterSeen === h2.address && (i.counters.received ?? 0) >= 5;
    }, 20_000, 200);
    assert.deepEqual(a1.transitions(), ['VI_1: INIT -> BACKUP reason=startup']);
    await waitForSoleHolder(lab, h2, vip);
  });
});
