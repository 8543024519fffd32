// The agent bundle's command line, run with node like on a node: --version, --help, check (exit 0/1 with
// file:line diagnostics), status, and run refusing a broken config before touching anything.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_NODE, agentBundle } from '../../support/agent.js';
import { REPO_ROOT } from '../../support/netns.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function agent(args: readonly string[]): Promise<Run> {
  const { js } = await agentBundle();
  return new Promise((resolve, reject) => {
    const child = spawn(AGENT_NODE, [js, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JOURNAL_STREAM: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const GOOD = `global_defs {
  router_id h1
}
vrrp_instance VI_1 {
  state MASTER
  nopreempt
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.100/24 dev eth0 label eth0:0
  }
}
`;

describe('haup-agent command line (the built bundle)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'haup-agent-cli-'));
    writeFileSync(join(dir, 'good.conf'), GOOD);
    writeFileSync(join(dir, 'bad.conf'), GOOD.replace('  advert_int 1\n', '  advert_int 1\n  virtual_rooter_id 5\n'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('prints its version, defined at build time from package.json', async () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.deepEqual(await agent(['--version']), { code: 0, stdout: `haup-agent ${version}\n`, stderr: '' });
  });

  test('prints help for the agent and for each command', async () => {
    const main = await agent(['--help']);
    assert.equal(main.code, 0);
    for (const cmd of ['run -f FILE', 'check FILE', 'status']) assert.ok(main.stdout.includes(cmd), cmd);
    assert.match((await agent(['run', '--help'])).stdout, /SIGHUP reloads/);
  });

  test('check accepts a usable file with keepalived-style warnings and exits 0', async () => {
    const r = await agent(['check', join(dir, 'good.conf')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`${join(dir, 'good.conf')}:4: warning: VI_1: nopreempt does not work with state MASTER`));
    assert.match(r.stdout, /OK \(1 vrrp_instance, 0 vrrp_script, 0 vrrp_sync_group; 0 errors, 1 warning\)/);
  });

  test('check lists errors with file:line and exits 1', async () => {
    const r = await agent(['check', join(dir, 'bad.conf')]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`${join(dir, 'bad.conf')}:11: error: unknown keyword 'virtual_rooter_id' in vrrp_instance VI_1 — did you mean 'virtual_router_id'\\?`));
    assert.match(r.stdout, /1 error, 1 warning — not usable/);
    assert.equal((await agent(['check', join(dir, 'missing.conf')])).code, 1);
  });

  test('run refuses a config with errors before writing a pid file or a status file', async () => {
    const pid = join(dir, 'run', 'agent.pid');
    const state = join(dir, 'run', 'state.json');
    const r = await agent(['run', '-f', join(dir, 'bad.conf'), '--pid-file', pid, '--state-file', state]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /1 error; not starting/);
    assert.equal(existsSync(pid) || existsSync(state), false);
  });

  test('status says when there is no status file (1) and when its agent is gone (3)', async () => {
    const none = await agent(['status', '--state-file', join(dir, 'none.json')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no status file .*none\.json: is haup-agent running\?/);
    const stale = join(dir, 'stale.json');
    writeFileSync(stale, JSON.stringify({ agent: 'haup-agent', version: '0', pid: 1, node: 'h1', configFile: 'x', configHash: '', startedAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString(), instances: [] }));
    const r = await agent(['status', '--state-file', stale]);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /haup-agent is NOT running \(pid 1 is gone\)/);
  });

  test('rejects an unknown command with exit code 2', async () => {
    const r = await agent(['start']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "start"/);
  });
});
