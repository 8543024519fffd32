// An instance whose interface does not exist when the agent starts: it starts in FAULT (interface-down)
// while the other instances run, and binds and leaves FAULT once the interface appears (a veth pair
// created between two lab hosts); deleting and creating the interface again faults it and rebinds it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { hostExec, labSkipReason, startLab, type TestLab, type TestLabHost } from '../../support/lab.js';
import {
  AGENT_NODE,
  hasAddress,
  hostStatus,
  installAgent,
  keepalivedConf,
  labVip,
  startAgent,
  startInHost,
  waitForSoleHolder,
  waitUntil,
  writeHostFile,
  type RunningAgent,
} from '../../support/agent.js';

const skip = labSkipReason();
/** eth1 lives only between h1 and h2 (a veth pair in the lab's namespaces): TEST-NET-1 addresses. */
const ETH1 = { h1: '192.0.2.1', h2: '192.0.2.2', vip: '192.0.2.100' } as const;

describe('an instance whose interface is missing', { skip }, () => {
  let lab: TestLab;
  let h1: TestLabHost;
  let h2: TestLabHost;
  const agents = new Map<string, RunningAgent>();
  let lone: RunningAgent | undefined;
  const agent = (h: TestLabHost) => agents.get(h.name) as RunningAgent;

  /** Creates eth1 as a veth pair from h1 to h2, with addresses, then up (both ends: carrier). */
  async function createEth1(): Promise<void> {
    const run = async (h: TestLabHost, argv: string[]) => {
      const r = await hostExec(lab, h, argv);
      assert.equal(r.code, 0, `${h.name}: ${argv.join(' ')}: ${r.stderr}`);
    };
    await run(h1, ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', String(h2.sshdPid)]);
    for (const h of [h1, h2]) await run(h, ['ip', 'addr', 'add', `${ETH1[h.name as 'h1' | 'h2']}/24`, 'dev', 'eth1']);
    for (const h of [h1, h2]) await run(h, ['ip', 'link', 'set', 'eth1', 'up']);
  }

  const instanceState = async (h: TestLabHost, name: string) => (await hostStatus(lab, h))?.instances.find((i) => i.name === name);

  before(async () => {
    lab = await startLab({ name: 't3ni', hosts: 2 });
    [h1, h2] = lab.hosts as [TestLabHost, TestLabHost];
    for (const [h, priority] of [[h1, 150], [h2, 100]] as const) {
      await installAgent(lab, h);
      const conf = keepalivedConf({
        routerId: h.name,
        instances: [
          // advert_int 1 on eth0: its backup must not time out while the agents are busy with eth1 on a loaded machine.
          { name: 'VI_0', vrid: 54, priority, version: 3, advertInt: 1, vips: [`${labVip(lab)}/24 dev eth0`] },
          { name: 'VI_1', interface: 'eth1', vrid: 55, priority, version: 3, advertInt: 0.1, vips: [`${ETH1.vip}/24 dev eth1`] },
        ],
      });
      writeHostFile(lab, h, '/etc/haup/keepalived.conf', conf, 0o600);
    }
  });

  after(async () => {
    for (const a of agents.values()) await a.stop();
    await lone?.stop();
    await lab?.down();
  });

  test('starts in FAULT with reason interface-down while the other instance runs', async () => {
    // h1 first, so its shorter Master_Down_Interval for VI_0 ends first whatever the start-up times.
    for (const h of [h1, h2]) {
      agents.set(h.name, startAgent(lab, h));
      await agent(h).waitForLine(/keepalived\.conf:\d+: vrrp_instance VI_1: interface eth1 does not exist; in FAULT until it appears/);
      await agent(h).waitForLine(/VI_1: INIT -> FAULT reason=interface-down detail=interface:eth1/);
      await agent(h).waitForLine(/VI_0: INIT -> BACKUP reason=startup/);
    }
    await agent(h1).waitForLine(/VI_0: BACKUP -> MASTER reason=master-down-timer/);
    await waitForSoleHolder(lab, h1, labVip(lab));
    const s = await instanceState(h1, 'VI_1');
    assert.equal(s?.state, 'FAULT');
    assert.equal(s?.lastTransition?.reason, 'interface-down');
    assert.deepEqual(s?.tracks.find((t) => t.kind === 'interface'), { name: 'eth1', kind: 'interface', healthy: false });
  });

  test('binds when the interface appears, leaves FAULT and elects a master over it', async () => {
    const from = [h1, h2].map((h) => agent(h).lines.length);
    await createEth1();
    await agent(h1).waitForLine(/VI_1: interface eth1 is there \(ifindex \d+\): adverts go out from 192\.0\.2\.1$/, 10_000, from[0]);
    await agent(h1).waitForLine(/VI_1: FAULT -> BACKUP reason=fault-cleared/, 10_000, from[0]);
    await agent(h1).waitForLine(/VI_1: BACKUP -> MASTER/, 10_000, from[0]);
    await agent(h2).waitForLine(/VI_1: FAULT -> BACKUP reason=fault-cleared/, 10_000, from[1]);
    await waitUntil('h2 sees h1 as VI_1 master over eth1', async () => (await instanceState(h2, 'VI_1'))?.masterSeen === ETH1.h1);
    assert.equal((await instanceState(h2, 'VI_1'))?.state, 'BACKUP');
    await waitUntil('VIP on h1 eth1', () => hasAddress(lab, h1, ETH1.vip, 'eth1'));
    assert.equal(await hasAddress(lab, h2, ETH1.vip, 'eth1'), false);
  });

  test('deleting the interface faults the instance; creating it again opens a fresh socket and recovers', async () => {
    const from = [h1, h2].map((h) => agent(h).lines.length);
    assert.equal((await hostExec(lab, h1, ['ip', 'link', 'del', 'eth1'])).code, 0);
    await agent(h1).waitForLine(/VI_1: MASTER -> FAULT reason=interface-down detail=interface:eth1/, 10_000, from[0]);
    await agent(h2).waitForLine(/VI_1: BACKUP -> FAULT reason=interface-down detail=interface:eth1/, 10_000, from[1]);
    const received = (await instanceState(h2, 'VI_1'))?.counters.received ?? 0;
    await createEth1();
    await agent(h1).waitForLine(/VI_1: interface eth1 was created again \(ifindex \d+\): re-opening the socket/, 10_000, from[0]);
    const bound = await agent(h1).waitForLine(/VI_1: interface eth1 is there/, 10_000, from[0]);
    await agent(h1).waitForLine(/VI_1: BACKUP -> MASTER/, 10_000, from[0]);
    await waitUntil('h2 receives VI_1 adverts again', async () => {
      const s = await instanceState(h2, 'VI_1');
      return s?.state === 'BACKUP' && s.masterSeen === ETH1.h1 && (s.counters.received ?? 0) >= received + 5;
    });
    await waitUntil('VIP on h1 eth1', () => hasAddress(lab, h1, ETH1.vip, 'eth1'));
    // VI_0 on eth0 never noticed.
    for (const h of [h1, h2]) assert.deepEqual(agent(h).transitions(from[h === h1 ? 0 : 1]).filter((t) => t.startsWith('VI_0')), []);
    // (An advert may fail in the moment between the delete and the link event; none after the rebind.)
    assert.deepEqual(agent(h1).lines.slice(bound.index).filter((l) => /cannot send advert/.test(l.text)), []);
    assert.doesNotMatch(agent(h1).log() + agent(h2).log(), /cannot remove VIP/);
  });

  test('a reload that adds an instance on a missing interface adds it in FAULT, disturbing nothing', async () => {
    const from = agent(h1).lines.length;
    const conf = keepalivedConf({
      routerId: h1.name,
      instances: [
        { name: 'VI_0', vrid: 54, priority: 150, version: 3, advertInt: 1, vips: [`${labVip(lab)}/24 dev eth0`] },
        { name: 'VI_1', interface: 'eth1', vrid: 55, priority: 150, version: 3, advertInt: 0.1, vips: [`${ETH1.vip}/24 dev eth1`] },
        { name: 'VI_3', interface: 'eth3', vrid: 57, priority: 150, version: 3, advertInt: 1, vips: ['198.51.100.103/24 dev eth3'] },
      ],
    });
    writeHostFile(lab, h1, '/etc/haup/keepalived.conf', conf, 0o600);
    agent(h1).signal('SIGHUP');
    await agent(h1).waitForLine(/reloaded \/etc\/haup\/keepalived\.conf: 2 kept, 1 added, 0 removed/, 10_000, from);
    await agent(h1).waitForLine(/VI_3: INIT -> FAULT reason=interface-down detail=interface:eth3/, 10_000, from);
    assert.deepEqual(agent(h1).transitions(from), ['VI_3: INIT -> FAULT reason=interface-down detail=interface:eth3']);
    assert.equal((await instanceState(h1, 'VI_1'))?.state, 'MASTER');
  });

  test('after a start, link changes, a takeover and a reload, the agent has no more threads than an idle node', async () => {
    // libuv starts its thread pool (4 threads) on the first asynchronous file operation; the agent reads its few
    // files synchronously, so it never does: on a host starting many processes, each hop to a pool thread waits for a CPU.
    const idle = await hostExec(lab, h1, [AGENT_NODE, '-e', "setTimeout(() => console.log(require('fs').readdirSync('/proc/self/task').length), 200)"]);
    const threads = readdirSync(`/proc/${agent(h1).pid}/task`).length;
    assert.ok(Number(idle.stdout) >= 2, `idle node: ${idle.stdout} ${idle.stderr}`);
    assert.equal(threads, Number(idle.stdout), `the agent runs ${threads} threads, an idle node ${idle.stdout.trim()}`);
  });

  test('an agent whose only instance waits for its interface keeps running, and starts it when it appears', async () => {
    const conf = keepalivedConf({ routerId: 'lone', instances: [{ name: 'VI_2', interface: 'eth2', vrid: 56, priority: 100, version: 3, advertInt: 0.1, vips: ['198.51.100.100/24 dev eth2'] }] });
    writeHostFile(lab, h2, '/etc/haup/lone.conf', conf, 0o600);
    const files = ['--pid-file', '/run/haup/lone.pid', '--state-file', '/run/haup/lone.json'];
    lone = startInHost(lab, h2, [AGENT_NODE, '/opt/haup/haup-agent.cjs', 'run', '-f', '/etc/haup/lone.conf', ...files]);
    await lone.waitForLine(/VI_2: INIT -> FAULT reason=interface-down detail=interface:eth2/);
    // No socket and no timer of its own: the process must still be there when eth2 comes (a veth pair inside h2).
    const steps = [
      ['ip', 'link', 'add', 'eth2', 'type', 'veth', 'peer', 'name', 'eth2p'],
      ['ip', 'addr', 'add', '198.51.100.2/24', 'dev', 'eth2'],
      ['ip', 'link', 'set', 'eth2p', 'up'],
      ['ip', 'link', 'set', 'eth2', 'up'],
    ];
    for (const argv of steps) {
      assert.equal((await hostExec(lab, h2, argv)).code, 0, argv.join(' '));
    }
    await lone.waitForLine(/VI_2: FAULT -> BACKUP reason=fault-cleared/);
    await lone.waitForLine(/VI_2: BACKUP -> MASTER reason=master-down-timer/);
    await waitUntil('VIP on h2 eth2', () => hasAddress(lab, h2, '198.51.100.100', 'eth2'));
    lone.signal('SIGTERM');
    assert.deepEqual(await lone.exited, { code: 0, signal: null });
  });
});
