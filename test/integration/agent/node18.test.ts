// The built agent bundle on Node 18 (Debian 12's nodejs, the oldest Node the agent supports): --version,
// check of the seed's config (same output as on the Node running the tests), then two agents on lab hosts
// elect a master and hand over on SIGTERM. CI installs Node 18 with .ci/node18.sh (HAUP_AGENT_NODE).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostExec, labSkipReason, startLab, type TestLab, type TestLabHost } from '../../support/lab.js';
import {
  agentBundle,
  findNode18,
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
import { REPO_ROOT } from '../../support/netns.js';

const found = findNode18();
const node18 = 'node' in found ? found : undefined;
const noNode18 = 'skip' in found ? found.skip : undefined;
const SEED = join(REPO_ROOT, 'test/unit/agent/fixtures/config/seed.conf');

function run(node: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JOURNAL_STREAM: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the agent bundle on Node 18', { skip: noNode18 }, () => {
  test('prints its version under Node 18', async () => {
    const n = node18 as NonNullable<typeof node18>;
    console.log(`# agent on ${n.node} (${n.version})`);
    const { js } = await agentBundle();
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.deepEqual(await run(n.node, [js, '--version']), { code: 0, stdout: `haup-agent ${version}\n`, stderr: '' });
    assert.match((await run(n.node, ['--version'])).stdout, /^v18\./);
  });

  test("checks the seed's keepalived.conf exactly as on the Node running the tests", async () => {
    const { js } = await agentBundle();
    const r18 = await run((node18 as NonNullable<typeof node18>).node, [js, 'check', SEED]);
    assert.equal(r18.code, 0, r18.stdout + r18.stderr);
    assert.match(r18.stdout, /OK \(1 vrrp_instance, 1 vrrp_script, 0 vrrp_sync_group; 0 errors, 1 warning\)/);
    assert.deepEqual(r18, await run(process.execPath, [js, 'check', SEED]));
  });
});

describe('two agents on Node 18 in a lab', { skip: noNode18 ?? labSkipReason() }, () => {
  let lab: TestLab;
  let h1: TestLabHost;
  let h2: TestLabHost;
  let vip: string;
  const agents: RunningAgent[] = [];

  before(async () => {
    lab = await startLab({ name: 't3n', hosts: 2 });
    [h1, h2] = lab.hosts as [TestLabHost, TestLabHost];
    vip = labVip(lab);
    for (const [h, priority] of [[h1, 150], [h2, 100]] as const) {
      await installAgent(lab, h);
      const conf = keepalivedConf({
        routerId: h.name,
        instances: [{ state: h === h1 ? 'MASTER' : 'BACKUP', vrid: 52, priority, advertInt: 1, authPass: 'haup-n18', vips: [`${vip}/24 dev eth0 label eth0:0`] }],
      });
      writeHostFile(lab, h, '/etc/haup/keepalived.conf', conf, 0o600);
    }
  });

  after(async () => {
    for (const a of agents) await a.stop();
    await lab?.down();
  });

  test('elect one master holding the VIP, and hand it over on SIGTERM', async () => {
    const node = (node18 as NonNullable<typeof node18>).node;
    const start = async (h: TestLabHost) => {
      const a = startAgent(lab, h, [], node);
      agents.push(a);
      await a.waitForLine(/haup-agent \S+ \(pid \d+, node v18\.\d+\.\d+\) starting/, 10_000);
      await a.waitForLine(/VI_1: INIT -> BACKUP reason=startup/, 10_000);
      return a;
    };
    // h1 first: its Master_Down_Interval (3.41 s) then ends before h2's (3.61 s), whatever Node's start-up time.
    const a1 = await start(h1);
    const a2 = await start(h2);
    await a1.waitForLine(/VI_1: BACKUP -> MASTER reason=master-down-timer/, 15_000);
    await waitForSoleHolder(lab, h1, vip);
    await waitUntil('h2 BACKUP, seeing h1 as master', async () => {
      const s = (await hostStatus(lab, h2))?.instances[0];
      return s?.state === 'BACKUP' && s.masterSeen === h1.address;
    });
    const status = await hostExec(lab, h1, [node, '/opt/haup/haup-agent.cjs', 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { running: boolean; instances: { state: string }[] }).instances[0]?.state, 'MASTER');

    const from2 = a2.lines.length;
    a1.signal('SIGTERM');
    await a2.waitForLine(/VI_1: BACKUP -> MASTER reason=priority-zero-advert/, 5000, from2);
    assert.deepEqual(await a1.exited, { code: 0, signal: null });
    assert.match(a1.log(), /VI_1: MASTER -> INIT reason=shutdown/);
    await waitForSoleHolder(lab, h2, vip);
  });
});
