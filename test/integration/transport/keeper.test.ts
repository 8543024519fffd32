// Integration: the SSH keeper against a real lab (lab "tk", 2 hosts). Runs in sequence reuse one keeper and one SSH
// connection per host (the host's sshd sees one connection; the remote $PPID, the sshd session, stays the same);
// strict host key checking still holds on reuse; dead connections are made again; idle exit, `haup disconnect`,
// a stale socket, and two CLIs starting at once. Every keeper started here is killed by its recorded pid in after().
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connections } from '../../../cli/deploy/connect.js';
import { isRunning } from '../../../cli/lab/proc.js';
import { HaupError } from '../../../cli/errors.js';
import { loadInventory } from '../../../cli/inventory/load.js';
import { factsScript, parseFacts } from '../../../cli/plan/facts.js';
import type { HostModel } from '../../../cli/inventory/model.js';
import type { Transport } from '../../../cli/transport/transport.js';
import { KeeperTransport } from '../../../cli/transport/keeper-client.js';
import { hostExec, labSkipReason, startLab, type TestLab } from '../../support/lab.js';
import { stopOwn } from '../../support/procs.js';

const skip = labSkipReason();
const repo = join(import.meta.dirname, '..', '..', '..');

/** Polls until check() holds (never a fixed sleep); throws with what was last seen. */
async function waitFor<T>(what: string, check: () => Promise<T | null | false> | T | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 5; ; wait = Math.min(100, wait * 2)) {
    const v = await check();
    if (v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Gone, or a zombie waiting for PID 1 to reap it. */
const gone = (pid: number): boolean => !isRunning(pid);

describe('SSH keeper in the lab', { skip }, () => {
  let lab: TestLab;
  let hosts: HostModel[];
  let runtimeDir: string;
  let keeperDir: string;
  const keeperPids = new Set<number>();
  let env: NodeJS.ProcessEnv;

  before(async () => {
    lab = await startLab({ name: 'tk', hosts: 2 });
    hosts = (await loadInventory(lab.inventoryPath)).model.hosts;
    runtimeDir = await mkdtemp(join(tmpdir(), 'tk-keeper-'));
    keeperDir = join(runtimeDir, 'haup');
    env = { ...process.env, XDG_RUNTIME_DIR: runtimeDir, HAUP_SSH_PERSIST: '60' };
  });

  after(async () => {
    // Only our own keepers: the pid must still be a process whose command line names our socket directory.
    if (runtimeDir) await stopOwn(keeperPids, runtimeDir);
    await lab?.down();
    if (runtimeDir) await rm(runtimeDir, { recursive: true, force: true });
  });

  /** One "CLI run": connect every host through the keeper, run fn, close as deploy does. */
  async function run<T>(fn: (ts: Transport[], c: Connections) => Promise<T>, e: NodeJS.ProcessEnv = env, flags: { knownHosts?: string } = {}): Promise<T> {
    const c = new Connections(flags, e);
    try {
      const ts = await Promise.all(hosts.map((h) => c.connect(h)));
      const k = await c.keeperClient();
      if (k) keeperPids.add(k.hello.pid);
      return await fn(ts, c);
    } finally {
      await c.closeAll();
    }
  }

  // A command that is not a shell script takes a channel of its own (not the connection's long-lived shell): its
  // parent is the sshd process of the connection.
  const sessionPids = (ts: Transport[]) => Promise.all(ts.map(async (t) => (await t.exec(['env', 'sh', '-c', 'echo $PPID'])).stdout.trim()));
  /** Established SSH connections the host's sshd has (seen from inside the host). */
  const sshdConnections = async (i: number) => {
    const r = await hostExec(lab, lab.hosts[i]!, ['ss', '-Htn', 'state', 'established', '( sport = :22 )']);
    return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
  };
  /** Socket files in the keeper directory (none before the first keeper made it). */
  const sockets = async () => (await readdir(keeperDir).catch(() => [] as string[])).filter((n) => n.endsWith('.sock'));
  const keeperPid = async () => run(async (_ts, c) => (await c.keeperClient())!.hello.pid);

  test('two runs in sequence reuse one keeper and one SSH connection per host', async () => {
    const first = await run(async (ts, c) => ({ pids: await sessionPids(ts), keeper: (await c.keeperClient())!.hello, reused: ts.map((t) => (t as KeeperTransport).reused) }));
    assert.deepEqual(first.reused, [false, false]);
    const second = await run(async (ts, c) => ({ pids: await sessionPids(ts), keeper: (await c.keeperClient())!.hello, reused: ts.map((t) => (t as KeeperTransport).reused) }));
    assert.equal(second.keeper.pid, first.keeper.pid, 'one keeper');
    assert.deepEqual(second.reused, [true, true]);
    assert.deepEqual(second.pids, first.pids, 'the same sshd session process serves both runs');
    assert.equal(second.keeper.opened, 2, 'two SSH connections opened in all');
    assert.deepEqual([await sshdConnections(0), await sshdConnections(1)], [1, 1]);
    const st = statSync(join(keeperDir, (await readdir(keeperDir)).find((n) => n.endsWith('.sock'))!));
    assert.equal(st.mode & 0o777, 0o600, 'socket is private');
  });

  test('exec, putFiles, get and statFiles work through the keeper as over SSH', async () => {
    await run(async ([t1]) => {
      const t = t1!;
      assert.match(t.name, /^h1 \(root@[\d.]+:22\)$/);
      assert.equal(t.user, 'root');
      const binary = Buffer.from([0, 1, 2, 10, 13, 255, 0x7b, 0x22]);
      await t.putFiles([
        { path: '/etc/haup/tk/a.bin', content: binary, mode: 0o600 },
        { path: '/etc/haup/tk/b.txt', content: 'hello\n', mode: 0o644 },
      ]);
      await t.put('/etc/haup/tk/b.txt', 'hello again\n', { mode: 0o640, backupSuffix: '.prev' });
      assert.deepEqual(await t.get('/etc/haup/tk/a.bin'), binary);
      assert.equal((await t.get('/etc/haup/tk/b.txt.prev'))?.toString(), 'hello\n');
      assert.equal(await t.get('/etc/haup/tk/missing'), null);
      const facts = await t.statFiles(['/etc/haup/tk/a.bin', '/etc/haup/tk/b.txt', '/etc/haup/tk/none']);
      assert.ok(facts instanceof Map);
      const a = facts.get('/etc/haup/tk/a.bin');
      assert.ok(a?.exists);
      assert.equal(a.mode, 0o600);
      assert.equal(a.sha256, createHash('sha256').update(binary).digest('hex'));
      const b = facts.get('/etc/haup/tk/b.txt');
      assert.ok(b?.exists);
      assert.equal(b.mode, 0o640);
      assert.deepEqual(facts.get('/etc/haup/tk/none'), { path: '/etc/haup/tk/none', exists: false });
      assert.deepEqual(await t.exec(['sh', '-c', 'cat; echo err >&2; exit 3'], { stdin: Buffer.from('in\n') }), { code: 3, stdout: 'in\n', stderr: 'err\n' });
      await assert.rejects(t.exec('sleep 5', { timeoutMs: 200 }), (e: unknown) => e instanceof HaupError && e.code === 'HAUP_REMOTE_COMMAND' && /did not finish within 200 ms/.test(e.message));
      await assert.rejects(t.get('relative/path'), TypeError);
      assert.equal(t.roundTrips, 8);
      await t.close();
      await assert.rejects(t.exec('true'), (e: unknown) => e instanceof HaupError && /transport is closed/.test(e.message));
    });
  });

  test("the deploy facts run in the kept connection's shell itself, with the facts of a fork, and leave nothing in it", async () => {
    const script = factsScript(['/etc/haup/tk/a.bin', '/etc/haup/tk/none'], { stateFile: null, pidFile: '/run/haup/none.pid' });
    const seen = await run(async (ts) =>
      Promise.all(
        ts.map(async (t) => {
          await t.exec(['sh', '-c', 'true'], { ownScript: true }); // a connection's first script may take a channel of its own
          const pid = async (ownScript: true | 'in-place') => (await t.exec(['bash', '-c', 'echo $BASHPID'], { ownScript })).stdout.trim();
          const names = async () => (await t.exec(['bash', '-c', 'declare -F; declare -p u 2>&1; set -o | grep -c " on$"'], { ownScript: true })).stdout;
          const before = await names();
          const inPlace = await t.exec(['sh', '-c', script], { ownScript: 'in-place' });
          const forked = await t.exec(['sh', '-c', script], { ownScript: true });
          return { loop: [await pid('in-place'), await pid('in-place')], fork: await pid(true), inPlace, forked, before, after: await names() };
        }),
      ),
    );
    for (const s of seen) {
      assert.equal(s.loop[0], s.loop[1], 'in place: the same process each time, the shell itself');
      assert.notEqual(s.fork, s.loop[0], 'shell "=" forks');
      assert.equal(s.inPlace.code, 0, s.inPlace.stderr);
      // A lab host that has just started may still run DAD on its link-local address: "tentative" can go between
      // the two runs. Everything else must be the same.
      const view = (r: { stdout: string }) => {
        const f = parseFacts(r.stdout);
        return { ...f, addresses: f.addresses?.replaceAll('"tentative":true,', '') ?? null, files: [...f.files] };
      };
      assert.deepEqual(view(s.inPlace), view(s.forked));
      assert.equal(view(s.inPlace).uid, 0);
      assert.equal(s.after, s.before, 'no function, variable or shell option of the facts left behind');
    }
  });

  test('a large file content goes to the keeper once per run, however many hosts get it', async () => {
    const bundle = 'x'.repeat(64 * 1024) + '\n'; // like the agent bundle: one string for every host
    const addon = Buffer.alloc(40 * 1024, 7);
    await run(async (ts, c) => {
      const k = (await c.keeperClient())!;
      const ops: string[] = [];
      const call = k.call.bind(k);
      k.call = (req) => (ops.push(req.op), call(req));
      await Promise.all(
        ts.map((t) =>
          t.putFiles([
            { path: '/opt/haup/tk/agent.cjs', content: bundle, mode: 0o755 },
            { path: '/opt/haup/tk/addon.node', content: addon, mode: 0o755 },
            { path: '/opt/haup/tk/small.conf', content: 'small\n', mode: 0o600 },
          ]),
        ),
      );
      assert.deepEqual(ops.sort(), ['blob', 'blob', 'putFiles', 'putFiles'], 'each content once, then by its SHA-256');
      for (const t of ts) {
        assert.equal((await t.get('/opt/haup/tk/agent.cjs'))?.toString(), bundle);
        assert.deepEqual(await t.get('/opt/haup/tk/addon.node'), addon);
      }
      const sha = createHash('sha256').update('other').digest('hex');
      await assert.rejects(call({ op: 'blob', sha256: sha, data: Buffer.from('not other') }), (e: unknown) => e instanceof HaupError && e.code === 'HAUP_SSH_KEEPER');
      const handle = (ts[0] as unknown as { handle: number }).handle;
      await assert.rejects(
        call({ op: 'putFiles', handle, files: [{ path: '/opt/haup/tk/x', blob: sha, mode: 0o600 }], opts: {} }),
        (e: unknown) => e instanceof HaupError && /has no blob/.test(e.message),
      );
    });
  });

  test('a changed or removed known_hosts entry makes the next run fail with the same error as without the keeper', async () => {
    const kh = join(runtimeDir, 'known_hosts');
    await copyFile(lab.knownHostsPath, kh);
    const original = await readFile(kh, 'utf8');
    const before = await run((ts) => sessionPids(ts), env, { knownHosts: kh });
    const [line1, line2] = original.split('\n').filter(Boolean) as [string, string];
    const [name1] = line1.split(' ');
    const [, type2, key2] = line2.split(' ');
    const direct = { ...env, HAUP_SSH_PERSIST: '0' };
    const outcome = async (e: NodeJS.ProcessEnv) => {
      try {
        await run(async () => null, e, { knownHosts: kh });
        return null;
      } catch (err) {
        assert.ok(err instanceof HaupError, String(err));
        return { code: err.code, message: err.message, hint: err.hint, details: err.details };
      }
    };
    // h1's entry now holds h2's key: the key h1 presents has "changed".
    await writeFile(kh, original.replace(line1, `${name1} ${type2} ${key2}`));
    const kept = await outcome(env);
    assert.equal(kept?.code, 'HAUP_SSH_HOSTKEY_CHANGED');
    assert.deepEqual(kept, await outcome(direct));
    // h1's entry removed: unknown.
    await writeFile(kh, original.replace(`${line1}\n`, ''));
    const unknown = await outcome(env);
    assert.equal(unknown?.code, 'HAUP_SSH_HOSTKEY_UNKNOWN');
    assert.deepEqual(unknown, await outcome(direct));
    // Restored: a fresh connection to h1 (the old one was dropped), while h2's connection was kept all along.
    await writeFile(kh, original);
    const after = await run((ts) => sessionPids(ts), env, { knownHosts: kh });
    assert.notEqual(after[0], before[0]);
    assert.equal(after[1], before[1]);
  });

  test('a connection that died between runs is dropped and made again on the next run', async () => {
    const before = await run((ts) => sessionPids(ts));
    const connections = await sshdConnections(0);
    // End h1's sshd session process: the kept connection closes under the keeper.
    const r = await hostExec(lab, lab.hosts[0]!, ['kill', '-TERM', before[0]!]);
    assert.equal(r.code, 0, r.stderr);
    const after = await run((ts) => sessionPids(ts));
    assert.notEqual(after[0], before[0]);
    assert.equal(after[1], before[1]);
    await waitFor(`h1 sshd to see ${connections} connection(s) again`, async () => (await sshdConnections(0)) === connections);
  });

  /** `haup ...` from source, as a user runs it, with our runtime dir. */
  function cli(args: string[], e: NodeJS.ProcessEnv = env): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), ...args], { cwd: repo, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  test('haup disconnect stops the keeper and closes its connections, and exits 0 when none runs', async () => {
    const hello = await run(async (_ts, c) => (await c.keeperClient())!.hello);
    assert.ok(hello.connections >= 2);
    const r = await cli(['disconnect']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `stopped the SSH keeper (pid ${hello.pid}) and closed ${hello.connections} connection(s)\n`);
    const pid = hello.pid;
    await waitFor('the keeper to exit', () => gone(pid));
    await waitFor('both sshds to have no connection', async () => (await sshdConnections(0)) + (await sshdConnections(1)) === 0);
    assert.deepEqual((await sockets()), []);
    const again = await cli(['disconnect']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'no SSH keeper was running\n');
  });

  test('the keeper exits after its idle time once the last run is done', async () => {
    const short = { ...env, HAUP_SSH_PERSIST: '1' };
    const pid = await run(async (_ts, c) => (await c.keeperClient())!.hello.pid, short);
    const closedAt = Date.now();
    await waitFor('the idle keeper to exit', () => gone(pid), 10_000);
    const waited = Date.now() - closedAt;
    assert.ok(waited >= 900, `exited ${waited} ms after the run, before its 1 s idle time`);
    assert.deepEqual((await sockets()), []);
    await waitFor('both sshds to have no connection', async () => (await sshdConnections(0)) + (await sshdConnections(1)) === 0);
  });

  test('a stale socket left by a killed keeper is replaced by a new keeper', async () => {
    const pid = await keeperPid();
    process.kill(pid, 'SIGKILL');
    await waitFor('the killed keeper to be gone', () => gone(pid));
    const sock = (await readdir(keeperDir)).find((n) => n.endsWith('.sock'));
    assert.ok(sock, 'the socket file is left behind');
    const next = await keeperPid();
    assert.notEqual(next, pid);
    const pids = await run((ts) => sessionPids(ts));
    assert.equal(pids.length, 2);
  });

  test('two CLIs started at once end with one keeper and one connection per host', async () => {
    await cli(['disconnect']);
    assert.deepEqual((await sockets()), []);
    // `haup status` connects to every host first; the agents are not deployed, so it exits 1 after reporting.
    const [a, b] = await Promise.all([cli(['status', lab.inventoryPath, '--json']), cli(['status', lab.inventoryPath, '--json'])]);
    for (const r of [a, b]) {
      assert.ok(r.stdout.includes('"pairs"'), `status printed no report: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /HAUP_SSH/);
    }
    const ours = async () =>
      (await readdir('/proc')).filter((p) => /^\d+$/.test(p) && !gone(Number(p))).filter((p) => {
        try {
          const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
          return cmd.includes('__keeper') && cmd.includes(runtimeDir);
        } catch {
          return false;
        }
      });
    for (const p of await ours()) keeperPids.add(Number(p));
    // Each CLI may have started a keeper; the one that lost may still be booting when both CLIs are done, and
    // exits once it finds the winner listening.
    const keepers = await waitFor('one keeper to remain', async () => {
      const k = await ours();
      return k.length === 1 ? k : null;
    });
    const hello = await run(async (_ts, c) => (await c.keeperClient())!.hello);
    assert.equal(String(hello.pid), keepers[0]);
    assert.equal(hello.opened, 2, 'the two runs shared one connection per host');
  });

  test('--ssh-persist 0 connects directly, and a malformed value is a usage error', async () => {
    await cli(['disconnect']);
    const r = await cli(['--ssh-persist', '0', 'status', lab.inventoryPath, '--json']);
    assert.ok(r.stdout.includes('"pairs"'), r.stderr);
    assert.deepEqual((await sockets()), [], 'no keeper was started');
    const bad = await cli(['--ssh-persist', 'soon', 'status', lab.inventoryPath]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /HAUP_USAGE: --ssh-persist "soon" is not a whole number of seconds/);
    const badEnv = await cli(['status', lab.inventoryPath], { ...env, HAUP_SSH_PERSIST: 'soon' });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /HAUP_USAGE: HAUP_SSH_PERSIST="soon" is not a whole number of seconds/);
  });
});
