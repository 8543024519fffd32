// SSH failures during a real deploy (root, lab of 2 hosts): a wrong key, an unknown host key (and trusting it on
// first use), a changed host key. Each gets its own error code and message, and no node of the pair is touched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEd25519 } from '../../../cli/lab/keys.js';
import { hostExec, labSkipReason, startLab, type TestLab } from '../../support/lab.js';
import { writeLabInventory } from './lab-inventory.js';
import { agentPid, buildAgentBundle, deploy } from './support.js';

const skip = labSkipReason();
const tmp = mkdtempSync(join(tmpdir(), 'haup-deploy-ssh-'));
let lab: TestLab;
let agent: string;

const configExists = async (host: string) => (await hostExec(lab, host, ['test', '-e', '/etc/haup/keepalived.conf'])).code === 0;

describe('haup deploy with SSH problems', { skip, concurrency: false }, () => {
  before(async () => {
    agent = await buildAgentBundle(join(tmp, 'agent'));
    lab = await startLab({ name: 't4b', hosts: 2 });
  });
  after(async () => {
    await lab?.down();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('a wrong key fails with HAUP_SSH_AUTH and touches nothing', async () => {
    const key = join(tmp, 'wrong_key');
    writeFileSync(key, generateEd25519('wrong').privateKey, { mode: 0o600 });
    const inv = writeLabInventory(lab, 'wrong-key.yml', { pairs: 1, ssh: { key } });
    const { report, error } = await deploy({ inventory: inv, agent });
    assert.equal(error?.code, 'HAUP_DEPLOY_FAILED');
    assert.deepEqual(report.hosts.map((h) => h.error?.code), ['HAUP_SSH_AUTH', 'HAUP_SSH_AUTH']);
    assert.match(report.hosts[0]?.error?.message ?? '', /10\.254\.\d+\.11/);
    assert.equal(report.pairs[0]?.result, 'failed');
    assert.deepEqual([await configExists('h1'), await configExists('h2')], [false, false]);
  });

  test('an unknown host key is refused with its fingerprint, then trusted on first use with --trust-new-hosts', async () => {
    const knownHosts = join(tmp, 'known_hosts_empty');
    writeFileSync(knownHosts, '');
    const inv = writeLabInventory(lab, 'unknown-key.yml', { pairs: 1, ssh: { knownHosts } });
    const refused = await deploy({ inventory: inv, agent });
    assert.equal(refused.error?.code, 'HAUP_DEPLOY_FAILED');
    const err = refused.report.hosts[0]?.error;
    assert.equal(err?.code, 'HAUP_SSH_HOSTKEY_UNKNOWN');
    assert.match(JSON.stringify(err), /SHA256:[A-Za-z0-9+/]{43}/);
    assert.deepEqual([await configExists('h1'), await configExists('h2')], [false, false]);

    const trusted = await deploy({ inventory: inv, agent, trustNewHosts: true });
    assert.equal(trusted.error, null, trusted.error?.message);
    assert.equal(trusted.report.pairs[0]?.converged, true);
    const recorded = readFileSync(knownHosts, 'utf8');
    for (const h of lab.hosts) assert.match(recorded, new RegExp(`^${h.address.replace(/\./g, '\\.')} ssh-ed25519 `, 'm'));
  });

  test('a changed host key is refused even with --trust-new-hosts, and the node keeps its agent', async () => {
    const real = readFileSync(lab.knownHostsPath, 'utf8').split('\n').filter(Boolean);
    const [h1, h2] = lab.hosts;
    // h1's address with h2's key: what a man in the middle (or a reinstalled host) looks like.
    const h2Key = real.find((l) => l.startsWith(`${h2?.address} `))?.split(' ').slice(1).join(' ');
    const knownHosts = join(tmp, 'known_hosts_changed');
    writeFileSync(knownHosts, `${h1?.address} ${h2Key}\n${real.find((l) => l.startsWith(`${h2?.address} `))}\n`);
    const pid = await agentPid(lab, 'h1');
    const inv = writeLabInventory(lab, 'changed-key.yml', { pairs: 1, ssh: { knownHosts }, priorities: () => ({ master: 120, backup: 99 }) });
    const { report, error } = await deploy({ inventory: inv, agent, trustNewHosts: true });
    assert.equal(error?.code, 'HAUP_DEPLOY_FAILED');
    const err = report.hosts.find((h) => h.host === 'h1')?.error;
    assert.equal(err?.code, 'HAUP_SSH_HOSTKEY_CHANGED');
    assert.equal(report.hosts.find((h) => h.host === 'h2')?.result, 'untouched');
    assert.equal(await agentPid(lab, 'h1'), pid);
    assert.ok(existsSync(knownHosts));
    assert.equal(readFileSync(knownHosts, 'utf8').split('\n').filter(Boolean).length, 2, 'nothing was added to known_hosts');
  });
});
