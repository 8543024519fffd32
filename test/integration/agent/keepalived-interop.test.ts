// Interop: one real keepalived (Debian's v2.2.7) on h1 and one haup agent on h2 in the same VRID, the same
// keepalived.conf text on both. VRRPv2 with PASS and VRRPv3: each accepts the other's adverts, and the VIP moves
// in both directions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { findBinary } from '../../support/netns.js';
import { hostExec, labSkipReason, startLab, type TestLab, type TestLabHost } from '../../support/lab.js';
import {
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
import { skewTime } from '../../../agent/vrrp/timers.js';

const keepalivedBin = findBinary('keepalived');
const skip = labSkipReason() ?? (keepalivedBin ? undefined : 'needs keepalived: apt-get install -y keepalived');

interface Flavour {
  title: string;
  vrid: number;
  version: 2 | 3;
  advertInt: string;
  authPass?: string;
  family: 4 | 6;
}

const FLAVOURS: Flavour[] = [
  { title: 'VRRPv2 with PASS authentication, advert_int 1', vrid: 52, version: 2, advertInt: '1', authPass: 'interop', family: 4 },
  { title: 'VRRPv3, advert_int 0.2', vrid: 53, version: 3, advertInt: '0.2', family: 4 },
  { title: 'VRRPv3 over IPv6 (from link-local addresses, unsolicited NA), advert_int 0.2', vrid: 54, version: 3, advertInt: '0.2', family: 6 },
];

describe('haup agent and keepalived in one VRID', { skip }, () => {
  let lab: TestLab;
  let h1: TestLabHost;
  let h2: TestLabHost;
  const procs: RunningAgent[] = [];

  before(async () => {
    lab = await startLab({ name: 't3c', hosts: 2 });
    [h1, h2] = lab.hosts as [TestLabHost, TestLabHost];
    await installAgent(lab, h2);
  });

  after(async () => {
    for (const p of procs) await p.stop();
    await lab?.down();
  });

  for (const f of FLAVOURS) {
    test(`${f.title}: each sees the other's adverts and the VIP moves both ways`, async () => {
      const vip = f.family === 4 ? labVip(lab, f.vrid - 50) : `fd00:${f.vrid}::100`;
      const vipLine = f.family === 4 ? `${vip}/24 dev eth0 label eth0:9` : `${vip}/64 dev eth0`;
      const conf = (routerId: string, priority: number) =>
        keepalivedConf({
          routerId,
          instances: [{ name: 'VI_x', vrid: f.vrid, priority, advertInt: f.advertInt, version: f.version, ...(f.authPass ? { authPass: f.authPass } : {}), vips: [vipLine] }],
        });
      const keepalived = () => {
        const p = startInHost(lab, h1, [keepalivedBin as string, '-n', '-l', '-D', '-f', '/etc/keepalived/keepalived.conf', '-p', '/run/keepalived.pid', '-r', '/run/keepalived-vrrp.pid', '-c', '/run/keepalived-checkers.pid']);
        procs.push(p);
        return p;
      };
      writeHostFile(lab, h1, '/etc/keepalived/keepalived.conf', conf('kad', 150), 0o600);
      writeHostFile(lab, h2, '/etc/haup/keepalived.conf', conf('haup', 100), 0o600);

      // 1. keepalived (150) is master; the haup backup (100) accepts its adverts.
      let ka = keepalived();
      const agent = startAgent(lab, h2);
      procs.push(agent);
      await ka.waitForLine(/\(VI_x\) Entering MASTER STATE/, 15_000);
      await waitForSoleHolder(lab, h1, vip);
      const seen = await waitUntil('haup backup accepting keepalived adverts', async () => {
        const i = (await hostStatus(lab, h2))?.instances[0];
        const master = f.family === 4 ? i?.masterSeen === h1.address : i?.masterSeen?.startsWith('fe80:');
        return master && (i?.counters.received ?? 0) >= 1 ? i : undefined;
      }, 15_000, 100);
      assert.equal(seen.state, 'BACKUP');
      for (const reason of ['auth', 'checksum', 'advert-interval', 'addr-list', 'addr-count', 'ttl', 'version', 'length']) {
        assert.equal(seen.counters[reason], undefined, `no advert dropped for ${reason}`);
      }

      // 2. keepalived stops (priority 0): haup takes over after Skew_Time.
      let from = agent.lines.length;
      const t0 = performance.now();
      await ka.stop('SIGTERM');
      const took = (await agent.waitForLine(/VI_x: BACKUP -> MASTER reason=priority-zero-advert/, 5000, from)).at - t0;
      console.log(`# ${f.title}: keepalived stop -> haup master in ${took.toFixed(0)} ms (Skew_Time ${skewTime(f.version, 100, Number(f.advertInt) * 100)} ms)`);
      await waitForSoleHolder(lab, h2, vip);

      // 3. keepalived returns with the higher priority and preempts: haup steps back on its advert.
      from = agent.lines.length;
      ka = keepalived();
      await agent.waitForLine(/VI_x: MASTER -> BACKUP reason=higher-priority-advert/, 15_000, from);
      await ka.waitForLine(/\(VI_x\) Entering MASTER STATE/, 5000);
      await waitForSoleHolder(lab, h1, vip);

      // 4. Roles swapped: haup reloads with priority 200; keepalived yields to haup's adverts.
      writeHostFile(lab, h2, '/etc/haup/keepalived.conf', conf('haup', 200), 0o600);
      const kaFrom = ka.lines.length;
      from = agent.lines.length;
      agent.signal('SIGHUP');
      await agent.waitForLine(/VI_x: BACKUP -> MASTER reason=lower-priority-advert-preempt/, 15_000, from);
      await ka.waitForLine(/\(VI_x\) (Master received advert from .* with higher priority 200|Entering BACKUP STATE)/, 5000, kaFrom);
      await waitForSoleHolder(lab, h2, vip);

      // 5. haup is killed: keepalived takes the VIP after its Master_Down_Interval.
      await agent.kill9();
      await ka.waitForLine(/\(VI_x\) Entering MASTER STATE/, 15_000, kaFrom + 1);
      await waitUntil('VIP on h1', () => hasAddress(lab, h1, vip));
      await ka.stop('SIGTERM');
      // A killed agent leaves its VIP behind (as keepalived would): clear it for the next flavour.
      await hostExec(lab, h2, ['ip', 'addr', 'del', `${vip}/${f.family === 4 ? 24 : 64}`, 'dev', 'eth0']);
    });
  }
});
