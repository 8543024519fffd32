// Real lab tests (root): hosts in network namespaces with their own sshd and nginx, and a clean down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaupError } from '../../cli/errors.js';
import { loadInventory } from '../../cli/inventory/load.js';
import { labDown } from '../../cli/lab/down.js';
import { labStatus } from '../../cli/lab/status.js';
import { labUp } from '../../cli/lab/up.js';
import { processState } from '../../cli/lab/proc.js';
import { LAB_TOOLS, findTools, isExecutableFile, toolSearchPath } from '../../cli/lab/tools.js';
import { hostExec, hostSpawn, labSkipReason, startLab, type TestLab } from '../support/lab.js';

const REPO = join(import.meta.dirname, '..', '..');
const skip = labSkipReason();
const sshClientMissing = !['/usr/bin/ssh', '/bin/ssh'].some((f) => existsSync(f));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: REPO, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    // A program that never reads stdin may exit before we close it: EPIPE is no error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** The haup CLI from source, as a user runs it (one process, the real yargs setup and top-level catch). */
function haup(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; asNobody?: boolean } = {}): Promise<Run> {
  const node = [process.execPath, '--import', 'tsx', join(REPO, 'cli/main.ts'), ...args];
  if (!opts.asNobody) return run(node[0] as string, node.slice(1), opts);
  // CAP_DAC_READ_SEARCH only lets nobody read the checkout wherever it lives (CI may clone under
  // /root); the uid is still 65534, which is what haup checks.
  const caps = ['--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search'];
  return run('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...caps, '--', ...node], opts);
}

function ssh(lab: TestLab, address: string, command: string): Promise<Run> {
  return run('ssh', [
    '-F', '/dev/null',
    '-i', lab.keyPath,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${lab.knownHostsPath}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    `root@${address}`,
    command,
  ]);
}

async function httpGet(address: string): Promise<string> {
  const res = await fetch(`http://${address}/`);
  assert.equal(res.status, 200);
  return res.text();
}

/** Everything of a lab that can be left behind, as names (empty when the lab is gone). */
async function labTraces(name: string): Promise<string[]> {
  const ns = await run('ip', ['-j', 'netns', 'list']);
  const links = await run('ip', ['-j', 'link', 'show']);
  const names = [
    ...(ns.stdout.trim() ? (JSON.parse(ns.stdout) as { name: string }[]).map((n) => n.name) : []),
    ...(JSON.parse(links.stdout) as { ifname: string }[]).map((l) => l.ifname),
  ];
  const mine = names.filter((n) => n.startsWith(`haup-${name}-`) || n === `hb-${name}` || n.startsWith(`hv-${name}-`));
  if (existsSync(`/var/lib/haup/lab/${name}`)) mine.push(`/var/lib/haup/lab/${name}`);
  return mine;
}

/** Polls read() (errors count as not yet) until ok(value), for at most 5 s. */
async function pollFor<T>(read: () => T, ok: (v: T) => boolean): Promise<T | undefined> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const v = read();
      if (ok(v)) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function gone(pid: number): boolean {
  const state = processState(pid);
  return state === undefined || state === 'Z';
}

describe('haup lab with three hosts', { skip }, () => {
  let lab: TestLab;
  before(async () => {
    lab = await startLab({ name: 't1i', hosts: 3 });
  });
  after(async () => {
    await lab?.down();
  });

  test('ssh with the lab key and strict known_hosts reaches each host, which names itself', { skip: sshClientMissing && 'needs the ssh client: apt-get install -y openssh-client' }, async () => {
    for (const host of lab.hosts) {
      const res = await ssh(lab, host.address, 'hostname; ip -4 -o addr show dev eth0');
      assert.equal(res.code, 0, res.stderr);
      const [hostname, addr] = res.stdout.split('\n');
      assert.equal(hostname, host.name);
      assert.match(addr ?? '', new RegExp(`inet ${host.address.replace(/\./g, '\\.')}/24`));
    }
  });

  test('ssh refuses a host whose key is not in the lab known_hosts', async () => {
    const res = await run('ssh', [
      '-F', '/dev/null', '-i', lab.keyPath, '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', `root@${lab.hosts[0]!.address}`, 'true',
    ]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /Host key verification failed/);
  });

  test('a file written under /etc/haup on host 1 is not visible on host 2 nor on the workstation', async () => {
    const marker = `/etc/haup/t1i-${process.pid}`;
    const write = await ssh(lab, lab.hosts[0]!.address, `echo h1 > ${marker} && cat ${marker}`);
    assert.equal(write.stdout, 'h1\n', write.stderr);
    const onH2 = await ssh(lab, lab.hosts[1]!.address, `test -e ${marker}; echo $?`);
    assert.equal(onH2.stdout, '1\n');
    assert.equal(existsSync(marker), false);
  });

  test('/run, /var/log, /opt/haup, /etc/keepalived and /root are private to each host', async () => {
    for (const dir of ['/run', '/var/log', '/opt/haup', '/etc/keepalived', '/root']) {
      const file = `${dir}/t1i-private`;
      const w = await hostExec(lab, 'h1', ['sh', '-c', `echo x > ${file}`]);
      assert.equal(w.code, 0, w.stderr);
      assert.equal((await hostExec(lab, 'h2', ['test', '-e', file])).code, 1, `${file} leaked to h2`);
      assert.equal(existsSync(file), false, `${file} leaked to the workstation`);
      assert.equal((await hostExec(lab, 'h1', ['rm', file])).code, 0);
    }
    const pids = await hostExec(lab, 'h2', ['ls', '/run']);
    assert.match(pids.stdout, /^nginx\.pid$/m);
    assert.match(pids.stdout, /^sshd\.pid$/m);
  });

  test("each host's nginx answers with its own name", async () => {
    for (const host of lab.hosts) assert.equal(await httpGet(host.address), `haup lab host ${host.name}\n`);
  });

  test('hosts reach each other over eth0', async () => {
    const [h1, h2, h3] = lab.hosts;
    const ping = await hostExec(lab, h1!, ['ping', '-c', '1', '-W', '2', h3!.address]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const page = await hostExec(lab, h3!, ['curl', '-sS', '--max-time', '5', `http://${h2!.address}/`]);
    assert.equal(page.stdout, 'haup lab host h2\n', page.stderr);
    const route = await hostExec(lab, h3!, ['ip', '-4', 'route', 'get', h2!.address]);
    assert.match(route.stdout, /dev eth0/);
  });

  test('hostExec passes stdin and exit codes; hostSpawn runs the program itself under its pid', async () => {
    const res = await hostExec(lab, 'h2', ['sh', '-c', 'cat; hostname; exit 3'], { input: 'in\n' });
    assert.deepEqual(res, { code: 3, stdout: 'in\nh2\n', stderr: '' });
    const child = hostSpawn(lab, 'h3', ['sleep', '30']);
    try {
      const comm = await pollFor(() => readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim(), (c) => c === 'sleep');
      assert.equal(comm, 'sleep');
      const inNs = await run('ip', ['netns', 'pids', lab.hosts[2]!.ns]);
      assert.ok(inNs.stdout.split('\n').includes(String(child.pid)));
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('status shows every host running with its address', () => {
    const status = labStatus({ name: 't1i' });
    assert.equal(status.healthy, true);
    assert.deepEqual(
      status.hosts.map((h) => [h.name, h.address, h.sshdRunning, h.nginxRunning]),
      lab.hosts.map((h) => [h.name, h.address, true, true]),
    );
  });

  test('the inventory file up writes is valid for haup deploy: h1/h2 paired, h3 left out, and its start command is how nginx runs', async () => {
    const { model, warnings } = await loadInventory(lab.inventoryPath, { env: {} });
    assert.deepEqual(warnings, []);
    assert.deepEqual(model.pairs.map((p) => [p.master.host, p.backup.host]), [[lab.hosts[0]!.address, lab.hosts[1]!.address]]);
    const vip = model.pairs[0]!.vips[0]!;
    assert.ok(!lab.hosts.some((h) => h.address === vip.address), `${vip.address} is a host address`);
    assert.match(readFileSync(lab.inventoryPath, 'utf8'), /^# Not in a pair .*: h3 /m);
    const start = model.hosts.find((h) => h.id === 'h1')?.scripts[0]?.check.start ?? [];
    const nginxPid = readFileSync(`/proc/${lab.hosts[0]!.sshdPid}/root/run/nginx.pid`, 'utf8').trim();
    // nginx rewrites its argv to "nginx: master process <the command line>".
    const cmdline = readFileSync(`/proc/${nginxPid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    assert.ok(start.length > 0 && cmdline.endsWith(start.join(' ')), `check start "${start.join(' ')}" vs running "${cmdline}"`);
  });

  test('up again with the same host count changes nothing; another count is HAUP_LAB_EXISTS', async () => {
    const again = await labUp({ name: 't1i', hosts: 3 });
    assert.equal(again.alreadyUp, true);
    assert.deepEqual(again.status.hosts.map((h) => h.sshdPid), lab.hosts.map((h) => h.sshdPid));
    await assert.rejects(labUp({ name: 't1i', hosts: 4 }), (err: unknown) => {
      assert.ok(err instanceof HaupError);
      assert.equal(err.code, 'HAUP_LAB_EXISTS');
      assert.match(err.message, /already up with 3 hosts, not 4/);
      return true;
    });
  });
});

describe('haup lab down', { skip }, () => {
  test('leaves no namespace, bridge, veth, sshd, nginx or file of the lab', async () => {
    await startLab({ name: 't1d', hosts: 2 });
    const status = labStatus({ name: 't1d' });
    const pids = status.hosts.flatMap((h) => [h.sshdPid!, h.nginxPid!]);
    assert.ok((await labTraces('t1d')).length >= 5);
    const res = await labDown({ name: 't1d' });
    assert.deepEqual(res, { existed: true, processes: 6, namespaces: 2, links: 3 });
    assert.deepEqual(await labTraces('t1d'), []);
    for (const pid of pids) assert.ok(gone(pid), `pid ${pid} is still running`);
  });

  test('does not touch another lab that is up', async () => {
    const other = await startLab({ name: 't1o', hosts: 1 });
    try {
      const mine = await startLab({ name: 't1', hosts: 1 });
      assert.notEqual(mine.subnet, other.subnet);
      await mine.down();
      assert.equal(labStatus({ name: 't1o' }).healthy, true);
      assert.equal(await httpGet(other.hosts[0]!.address), 'haup lab host h1\n');
    } finally {
      await other.down();
    }
  });

  test('clears a lab whose state file is lost and whose host died', async () => {
    const lab = await startLab({ name: 't1h', hosts: 2 });
    process.kill(lab.hosts[1]!.sshdPid, 'SIGKILL');
    unlinkSync(join(lab.stateDir, 'state.json'));
    await assert.rejects(labUp({ name: 't1h', hosts: 2 }), /leftovers but no state/);
    await labDown({ name: 't1h' });
    assert.deepEqual(await labTraces('t1h'), []);
  });

  test('is a no-op for a lab that is not up', async () => {
    assert.deepEqual(await labDown({ name: 't1z' }), { existed: false, processes: 0, namespaces: 0, links: 0 });
  });
});

describe('haup lab up failures', { skip }, () => {
  test('a host that cannot boot fails up with its console output and removes everything', async () => {
    // nginx replaced by /bin/false: every host's init stops right before starting nginx.
    const bin = mkdtempSync(join(tmpdir(), 't1f-'));
    try {
      const { tools } = findTools(toolSearchPath(process.env), isExecutableFile);
      for (const [name, path] of Object.entries(tools)) {
        symlinkSync(name === 'nginx' ? '/bin/false' : path, join(bin, LAB_TOOLS[name as keyof typeof LAB_TOOLS].binary));
      }
      await assert.rejects(labUp({ name: 't1f', hosts: 2, env: { ...process.env, HAUP_LAB_PATH: bin } }), (err: unknown) => {
        assert.ok(err instanceof HaupError);
        assert.equal(err.code, 'HAUP_LAB_FAILED');
        assert.match(err.message, /2 host\(s\) did not come up/);
        assert.ok(err.details.some((d) => /^h1 \(10\.254\.\d+\.11\): its init stopped$/.test(d)), err.details.join('\n'));
        return true;
      });
      assert.deepEqual(await labTraces('t1f'), []);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('an interrupted up (abort signal) stops and removes what it had created', async () => {
    const ac = new AbortController();
    const steps: string[] = [];
    const up = labUp({
      name: 't1s',
      hosts: 2,
      signal: ac.signal,
      progress: (line) => {
        steps.push(line);
        if (/: network \(/.test(line)) ac.abort(new Error('interrupted'));
      },
    });
    await assert.rejects(up, /interrupted/);
    assert.ok(steps.some((l) => /up failed after .*removing what it created/.test(l)), steps.join('\n'));
    assert.deepEqual(await labTraces('t1s'), []);
  });

  test('as a non-root user, up fails with HAUP_NOT_ROOT and creates nothing', async () => {
    const res = await haup(['lab', 'up', '--name', 't1n'], { asNobody: true, env: { ...process.env, HOME: '/tmp' } });
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /error HAUP_NOT_ROOT: haup lab up needs root \(running as uid 65534\)/);
    assert.match(res.stderr, /hint: .*sudo/);
    assert.deepEqual(await labTraces('t1n'), []);
  });

  test('without sshd, up fails with HAUP_MISSING_PACKAGES naming openssh-server and creates nothing', async () => {
    const bin = mkdtempSync(join(tmpdir(), 't1m-'));
    try {
      const { tools } = findTools(toolSearchPath(process.env), isExecutableFile);
      for (const [name, path] of Object.entries(tools)) {
        if (name !== 'sshd') symlinkSync(path, join(bin, LAB_TOOLS[name as keyof typeof LAB_TOOLS].binary));
      }
      const res = await haup(['lab', 'up', '--name', 't1m'], { env: { ...process.env, HAUP_LAB_PATH: bin } });
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /error HAUP_MISSING_PACKAGES: haup lab needs sshd/);
      assert.match(res.stderr, /sshd: Debian package openssh-server/);
      assert.match(res.stderr, /hint: install them: apt-get install -y openssh-server/);
      assert.deepEqual(await labTraces('t1m'), []);
      assert.deepEqual(readdirSync(bin).sort(), Object.values(LAB_TOOLS).map((t) => t.binary).filter((b) => b !== 'sshd').sort());
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('a bad name or host count is a usage error (exit 2)', async () => {
    const res = await haup(['lab', 'up', '--name', 'Bad-Name', '--hosts', '0']);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /error HAUP_USAGE: lab name "Bad-Name" must be 1 to 8 characters of a-z and 0-9; --hosts 0 must be a whole number from 1 to 200/);
  });
});

describe('haup lab command line', { skip }, () => {
  test('up prints the inventory fragment, status --json lists the hosts, down removes them', async () => {
    await labDown({ name: 't1c' });
    const up = await haup(['lab', 'up', '--name', 't1c', '--hosts', '2']);
    try {
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /^ {2}ssh:\n {4}user: root$/m);
      assert.match(up.stdout, /^ {4}backup:\n {6}name: h2\n {6}host: 10\.254\.\d+\.12$/m);
      assert.equal(up.stdout, readFileSync('/var/lib/haup/lab/t1c/inventory.yml', 'utf8'));
      assert.match(up.stderr, /lab t1c is up: 2 host\(s\)/);
      const status = await haup(['lab', 'status', '--name', 't1c', '--json']);
      assert.equal(status.code, 0, status.stderr);
      const json = JSON.parse(status.stdout) as { healthy: boolean; hosts: { name: string }[] };
      assert.equal(json.healthy, true);
      assert.deepEqual(json.hosts.map((h) => h.name), ['h1', 'h2']);
      const table = await haup(['lab', 'status', '--name', 't1c']);
      assert.match(table.stdout, /^h1 +10\.254\.\d+\.11 +haup-t1c-h1 +\d+ running +\d+ running$/m);
    } finally {
      const down = await haup(['lab', 'down', '--name', 't1c']);
      assert.equal(down.code, 0, down.stderr);
    }
    assert.deepEqual(await labTraces('t1c'), []);
    const missing = await haup(['lab', 'status', '--name', 't1c']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error HAUP_LAB_NOT_FOUND: lab t1c is not up/);
  });
});

if (skip) {
  test('lab integration tests', { skip: `skipped: ${skip}` }, () => undefined);
}
