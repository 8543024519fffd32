// Real deploys to a 6-host lab (root): the haup agent built from this checkout, pushed over SSH to hosts in network
// namespaces. Covers issue 4's lab tests: 1 and 3 pairs end with every VIP on its master; a re-deploy changes nothing;
// a priority change reloads while a client probing the VIP sees no outage; an agent that will not start, a config
// the agent rejects, a missing interface and a host that is down are all rolled back or left untouched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_TEMPLATES_DIR } from '../../../cli/render/templates.js';
import { labSkipReason, startLab, type TestLab } from '../../support/lab.js';
import { pairName, vipOf, writeLabInventory } from './lab-inventory.js';
import { agentPid, agentStatus, buildAgentBundle, deploy, fetchHost, fileHash, probe, until, vipHolders } from './support.js';

const skip = labSkipReason();
const tmp = mkdtempSync(join(tmpdir(), 'haup-deploy-it-'));
let lab: TestLab;
let agent: string;
const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const CONF = '/etc/haup/keepalived.conf';

describe('haup deploy in the lab', { skip, concurrency: false }, () => {
  before(async () => {
    agent = await buildAgentBundle(join(tmp, 'agent'));
    lab = await startLab({ name: 't4a', hosts: 6 });
  });
  after(async () => {
    await lab?.down();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('deploys one pair: both agents run and the VIP is on the master', async () => {
    const inv = writeLabInventory(lab, 'one.yml', { pairs: 1 });
    const { report, error } = await deploy({ inventory: inv, agent });
    assert.equal(error, null, error?.message);
    assert.equal(report.pairs[0]?.converged, true);
    assert.deepEqual(report.hosts.map((h) => [h.host, h.action, h.result]), [['h1', 'start', 'changed'], ['h2', 'start', 'changed']]);
    assert.deepEqual(await vipHolders(lab, vipOf(lab, 0), ['h1', 'h2']), ['h1']);
    assert.equal((await agentStatus(lab, 'h2'))?.instances[0]?.state, 'BACKUP');
    assert.equal(await fileHash(lab, 'h1', '/opt/haup/haup-agent.cjs'), await fileHash(lab, 'h2', '/opt/haup/haup-agent.cjs'));
  });

  test('re-deploying changes nothing: same pids, report says 0 changed', async () => {
    const inv = writeLabInventory(lab, 'one.yml', { pairs: 1 });
    const pids = await Promise.all(['h1', 'h2'].map((h) => agentPid(lab, h)));
    const t0 = performance.now();
    const { report, error } = await deploy({ inventory: inv, agent });
    const ms = performance.now() - t0;
    assert.equal(error, null, error?.message);
    assert.equal(report.changedHosts, 0);
    assert.equal(report.changedFiles, 0);
    assert.deepEqual(report.hosts.map((h) => h.action), ['none', 'none']);
    assert.deepEqual(await Promise.all(['h1', 'h2'].map((h) => agentPid(lab, h))), pids);
    assert.equal(report.pairs[0]?.converged, true);
    console.log(`# no-op deploy of 1 pair took ${ms.toFixed(0)} ms in-process`);
  });

  test('a priority change reloads (no restart) while a client probing the VIP sees no outage', async () => {
    const inv = writeLabInventory(lab, 'one.yml', { pairs: 1, priorities: () => ({ master: 150, backup: 99 }) });
    const pids = await Promise.all(['h1', 'h2'].map((h) => agentPid(lab, h)));
    const p = probe(vipOf(lab, 0));
    await until('the probe to get answers', async () => (await fetchHost(vipOf(lab, 0))) === 'h1');
    const { report, error } = await deploy({ inventory: inv, agent });
    await new Promise((r) => setTimeout(r, 300)); // keep probing a little after the deploy returns
    const seen = await p.stop();
    assert.equal(error, null, error?.message);
    assert.deepEqual(report.hosts.map((h) => [h.host, h.action]), [['h1', 'reload'], ['h2', 'reload']]);
    assert.deepEqual(await Promise.all(['h1', 'h2'].map((h) => agentPid(lab, h))), pids, 'reload keeps the agents');
    assert.match(readFileSync(inv, 'utf8'), /priority: 150/);
    assert.equal((await agentStatus(lab, 'h1'))?.configHash, await fileHash(lab, 'h1', CONF));
    assert.equal(seen.failed, 0, `probe failures: ${seen.errors.join('; ')}`);
    assert.deepEqual(seen.answeredBy, ['h1']);
    assert.ok(seen.ok > 20, `the probe ran (${seen.ok} answers)`);
  });

  test('deploys three pairs; cold nopreempt pairs also end with every VIP on its master', async () => {
    const inv = writeLabInventory(lab, 'three.yml', { pairs: 3, preempt: false, priorities: (i) => (i === 0 ? { master: 150, backup: 99 } : { master: 100, backup: 99 }) });
    const { report, error } = await deploy({ inventory: inv, agent });
    assert.equal(error, null, error?.message);
    assert.deepEqual(report.pairs.map((p) => [p.pair, p.result, p.converged]), [['p1', 'ok', true], ['p2', 'ok', true], ['p3', 'ok', true]]);
    for (let i = 0; i < 3; i++) assert.deepEqual(await vipHolders(lab, vipOf(lab, i), HOSTS), [`h${2 * i + 1}`], `${pairName(i)}'s VIP`);
  });

  test('an agent that will not start is rolled back; the previous agent and config serve again', async () => {
    const inv = writeLabInventory(lab, 'three.yml', { pairs: 3, preempt: false, priorities: (i) => (i === 0 ? { master: 150, backup: 99 } : { master: 100, backup: 99 }) });
    const broken = join(tmp, 'broken-agent');
    mkdirSync(broken, { recursive: true });
    // Passes "check" (so the running agent is stopped for the restart), then refuses to run.
    writeFileSync(join(broken, 'haup-agent.cjs'), 'if (process.argv[2] === "check") process.exit(0);\nconsole.error("broken agent: refusing to run");\nprocess.exit(1);\n');
    copyFileSync(join(agent, 'haup_raw.node'), join(broken, 'haup_raw.node'));
    const before = await fileHash(lab, 'h4', '/opt/haup/haup-agent.cjs');
    const masterPid = await agentPid(lab, 'h3');
    const { report, error } = await deploy({ inventory: inv, agent: broken, limit: ['p2'] });
    assert.equal(error?.code, 'HAUP_DEPLOY_FAILED');
    assert.equal(error?.exitCode, 1);
    const h4 = report.hosts.find((h) => h.host === 'h4');
    assert.equal(h4?.result, 'rolled-back');
    assert.match(h4?.error?.message ?? '', /exited/);
    assert.ok(h4?.error?.details.includes('broken agent: refusing to run'), JSON.stringify(h4?.error));
    assert.equal(report.hosts.find((h) => h.host === 'h3')?.result, 'untouched');
    assert.equal(await fileHash(lab, 'h4', '/opt/haup/haup-agent.cjs'), before);
    assert.equal(await agentPid(lab, 'h3'), masterPid);
    const status = await until('the previous agent on h4', async () => {
      const s = await agentStatus(lab, 'h4');
      return s && s.instances[0]?.state === 'BACKUP' ? s : null;
    });
    assert.equal(status.configHash, await fileHash(lab, 'h4', CONF));
    assert.deepEqual(await vipHolders(lab, vipOf(lab, 1), ['h3', 'h4']), ['h3']);
    assert.equal(await fetchHost(vipOf(lab, 1)), 'h3');
  });

  test('a config the agent rejects is rolled back without disturbing the running agent', async () => {
    const templates = join(tmp, 'templates');
    mkdirSync(templates, { recursive: true });
    const text = readFileSync(join(BUILTIN_TEMPLATES_DIR, 'keepalived.conf.hbs'), 'utf8');
    writeFileSync(join(templates, 'keepalived.conf.hbs'), `${text}\nno_such_keyword_for_haup yes\n`);
    const inv = writeLabInventory(lab, 'three.yml', { pairs: 3, preempt: false, priorities: (i) => (i === 0 ? { master: 150, backup: 99 } : { master: 100, backup: 99 }) });
    const pids = await Promise.all(['h5', 'h6'].map((h) => agentPid(lab, h)));
    const conf = await fileHash(lab, 'h6', CONF);
    const { report, error } = await deploy({ inventory: inv, agent, templates, limit: ['p3'] });
    assert.equal(error?.code, 'HAUP_DEPLOY_FAILED');
    const h6 = report.hosts.find((h) => h.host === 'h6');
    assert.equal(h6?.result, 'rolled-back');
    assert.match(h6?.error?.message ?? '', /haup-agent check/);
    assert.match(h6?.error?.details.join('\n') ?? '', /no_such_keyword_for_haup/);
    assert.equal(await fileHash(lab, 'h6', CONF), conf);
    assert.deepEqual(await Promise.all(['h5', 'h6'].map((h) => agentPid(lab, h))), pids);
    assert.equal((await agentStatus(lab, 'h6'))?.configHash, conf);
    assert.deepEqual(await vipHolders(lab, vipOf(lab, 2), ['h5', 'h6']), ['h5']);
  });

  test('a missing interface on one node stops the pair before either node is touched', async () => {
    const inv = writeLabInventory(lab, 'eth9.yml', { pairs: 1, interface: 'eth9' });
    const before = await Promise.all(['h1', 'h2'].map(async (h) => [await fileHash(lab, h, CONF), await agentPid(lab, h)]));
    const { report, error } = await deploy({ inventory: inv, agent });
    assert.equal(error?.code, 'HAUP_DEPLOY_FAILED');
    assert.equal(report.hosts[0]?.error?.code, 'HAUP_FACTS');
    assert.match(report.hosts[0]?.error?.message ?? '', /interface eth9 does not exist \(has: eth0, lo\)/);
    assert.deepEqual(await Promise.all(['h1', 'h2'].map(async (h) => [await fileHash(lab, h, CONF), await agentPid(lab, h)])), before);
  });

  test('a host that is down fails its pair untouched, with exit code 1 from the CLI; the other pairs deploy', async () => {
    const inv = writeLabInventory(lab, 'three.yml', { pairs: 3, preempt: false, priorities: (i) => (i === 0 ? { master: 151, backup: 99 } : { master: 100, backup: 98 }) });
    const h2 = lab.hosts.find((h) => h.name === 'h2');
    const h1Before = [await fileHash(lab, 'h1', CONF), await agentPid(lab, 'h1')];
    process.kill(h2?.sshdPid as number, 'SIGTERM'); // the host's sshd is its init: h2 is now unreachable
    await until('h2 sshd to be gone', async () => !isAlive(h2?.sshdPid as number));
    const cli = await runCli(['deploy', inv, '--agent', agent, '--json']);
    assert.equal(cli.code, 1, cli.stderr);
    const report = JSON.parse(cli.stdout) as { pairs: { pair: string; result: string }[]; hosts: { host: string; result: string; error: { code: string } | null }[] };
    assert.deepEqual(report.pairs.map((p) => [p.pair, p.result]), [['p1', 'failed'], ['p2', 'ok'], ['p3', 'ok']]);
    assert.equal(report.hosts.find((h) => h.host === 'h2')?.error?.code, 'HAUP_SSH_REFUSED');
    assert.equal(report.hosts.find((h) => h.host === 'h1')?.result, 'untouched');
    assert.deepEqual([await fileHash(lab, 'h1', CONF), await agentPid(lab, 'h1')], h1Before);
    assert.match(cli.stderr, /error HAUP_DEPLOY_FAILED: 1 of 3 pairs failed: p1/);
    assert.equal(await fetchHost(vipOf(lab, 0)), 'h1', 'the VIP is still served by the untouched master');
  });
});

function isAlive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const repo = join(import.meta.dirname, '..', '..', '..');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
