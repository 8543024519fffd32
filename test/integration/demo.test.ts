// The demo end to end in a real lab (root): lab up, deploy, status, verify with every failure mode, the
// report, and the VIP back on its master — through the built CLI, exactly as the README runs it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labDown } from '../../cli/lab/down.js';
import { labSkipReason } from '../support/lab.js';

const REPO = join(import.meta.dirname, '..', '..');
const CLI = join(REPO, 'dist/cli/haup.js');
const LAB = 't1d';
const built = ['dist/cli/haup.js', 'dist/agent/haup-agent.cjs', 'dist/agent/haup_raw.node'].every((f) => existsSync(join(REPO, f)));
const skip = labSkipReason() ?? (built ? undefined : 'needs the build: npm run build (dist/cli and dist/agent)');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Hosts of lab t1d whose eth0 has `address`, by the kernel's word. */
async function holders(address: string): Promise<string[]> {
  const out: string[] = [];
  for (const host of ['h1', 'h2']) {
    const res = await run('ip', ['-n', `haup-${LAB}-${host}`, '-j', 'addr', 'show', 'dev', 'eth0']);
    assert.equal(res.code, 0, res.stderr);
    const links = JSON.parse(res.stdout) as { addr_info: { local: string }[] }[];
    if (links.some((l) => l.addr_info.some((a) => a.local === address))) out.push(host);
  }
  return out;
}

describe('haup demo', { skip }, () => {
  after(async () => {
    await labDown({ name: LAB });
  });

  test('runs end to end: exit 0, three failovers pass, and the VIP ends on the master alone', { timeout: 240_000 }, async () => {
    await labDown({ name: LAB });
    const res = await run(process.execPath, [CLI, 'demo', '--lab', LAB]);
    const all = `${res.stdout}\n${res.stderr}`;
    assert.equal(res.code, 0, all);
    assert.match(res.stdout, /^haup demo finished in [\d.]+ s: lab "t1d" \(2 hosts on 10\.254\.\d+\.0\/24\), inventory \/var\/lib\/haup\/lab\/t1d\/inventory\.yml$/m);
    for (const step of ['preflight', 'lab up', 'deploy', 'status', 'verify --mode all']) {
      assert.match(res.stdout, new RegExp(`^ {2}${step} +[\\d.]+ s +ok`, 'm'), `step ${step}\n${all}`);
    }
    for (const mode of ['stop', 'kill', 'check']) {
      assert.match(res.stdout, new RegExp(`^ {4}web1 +${mode} +(<= )?[\\d.]+ s +[\\d.]+ s +[\\d.]+ s +pass$`, 'm'), `mode ${mode}\n${all}`);
    }
    const vip = /pair web1: VIP (10\.254\.\d+\.201) is on h1 \(the master\); HTTP answers "haup lab host h1"/.exec(res.stdout);
    assert.ok(vip, all);
    assert.deepEqual(await holders(vip[1]!), ['h1']);
    assert.match(res.stdout, /The lab stays up\. Look around:/);
    assert.match(res.stdout, /lab down --name t1d +# remove the lab when done/);
  });

  test('run again, it reuses the lab, keeps it although --no-keep (the demo did not create it), and passes', { timeout: 120_000 }, async () => {
    const res = await run(process.execPath, [CLI, 'demo', '--lab', LAB, '--mode', 'stop', '--no-keep']);
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    assert.match(res.stdout, /^ {2}lab up +[\d.]+ s +ok: already up with 2 hosts, reused$/m);
    assert.match(res.stdout, /^ {4}web1 +stop +[\d.]+ s +[\d.]+ s +[\d.]+ s +pass$/m);
    assert.match(res.stdout, /The lab was already up before the demo and stays up/);
    assert.ok(existsSync(`/var/lib/haup/lab/${LAB}/state.json`));
  });

  test('as a non-root user, it stops at preflight with HAUP_NOT_ROOT and creates nothing', async () => {
    const caps = ['--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search'];
    const res = await run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...caps, '--', process.execPath, CLI, 'demo', '--lab', 't1e']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /error HAUP_NOT_ROOT: haup demo needs root/);
    assert.equal(existsSync('/var/lib/haup/lab/t1e'), false);
  });
});

if (skip) {
  test('haup demo integration tests', { skip: `skipped: ${skip}` }, () => undefined);
}
