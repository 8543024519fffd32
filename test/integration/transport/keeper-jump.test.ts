// Integration: the SSH keeper through a jump host, with real sshds on 127.0.0.1: two targets share one kept jump
// connection across runs, a changed jump host key drops it on the next run, and route errors read as without the
// keeper. The keeper started here is killed by its recorded pid in after().
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaupError } from '../../../cli/errors.js';
import { KeeperClient } from '../../../cli/transport/keeper-client.js';
import type { KeeperSshOptions, KeeperTarget } from '../../../cli/transport/keeper-protocol.js';
import { connectSsh } from '../../../cli/transport/ssh.js';
import { generateKey, sshdUnavailable, startSshd, type Sshd } from '../../support/sshd.js';
import { stopOwn } from '../../support/procs.js';

const unavailable = sshdUnavailable();

describe('SSH keeper through a jump host', { skip: unavailable ?? false }, () => {
  let dir: string;
  let jump: Sshd;
  let noForward: Sshd;
  let t1: Sshd;
  let t2: Sshd;
  let kh: string;
  let options: KeeperSshOptions;
  let env: NodeJS.ProcessEnv;
  const keeperPids = new Set<number>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tk-jump-'));
    const key = await generateKey(dir, 'client');
    [jump, noForward, t1, t2] = await Promise.all([
      startSshd({ clientKey: key }),
      startSshd({ clientKey: key, config: ['AllowTcpForwarding no'] }),
      startSshd({ clientKey: key }),
      startSshd({ clientKey: key }),
    ]);
    kh = join(dir, 'known_hosts');
    await writeFile(kh, [jump, noForward, t1, t2].map((s) => `${s.knownHostsLine}\n`).join(''));
    options = { identityFiles: [key.privatePath], knownHostsFiles: [kh], trustNewHosts: false, connectTimeoutMs: 5000, sudo: true, agentSocket: null };
    env = { ...process.env, XDG_RUNTIME_DIR: dir };
  });

  after(async () => {
    if (dir) await stopOwn(keeperPids, dir);
    await Promise.all([jump, noForward, t1, t2].map((s) => s?.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const via = (s: Sshd = jump) => ({ host: s.host, port: s.port, user: 'root' });
  const target = (s: Sshd, j: Sshd = jump): KeeperTarget => ({ host: s.host, port: s.port, user: 'root', jump: via(j) });

  /** One CLI run through the keeper; returns each target's sshd session pid. */
  async function run(targets: KeeperTarget[]): Promise<string[]> {
    const k = await KeeperClient.open({ idleSeconds: 60, env });
    keeperPids.add(k.hello.pid);
    try {
      const ts = await Promise.all(targets.map((t) => k.connect(t, options)));
      // Not a shell script, so a channel of its own (not the long-lived shell): its parent is the connection's sshd.
      return await Promise.all(ts.map(async (t) => (await t.exec(['env', 'sh', '-c', 'echo $PPID'])).stdout.trim()));
    } finally {
      await k.close();
    }
  }

  test('two targets share one kept jump connection across runs', async () => {
    const first = await run([target(t1), target(t2)]);
    const second = await run([target(t1), target(t2)]);
    assert.deepEqual(second, first);
    assert.equal(jump.connections(), 1);
    assert.deepEqual([t1.connections(), t2.connections()], [1, 1]);
  });

  test('a changed jump host key drops the kept route and fails like a direct connection', async () => {
    const original = readFileSync(kh, 'utf8');
    // The jump host's entry now holds t1's key.
    await writeFile(kh, original.replace(jump.knownHostsLine, jump.knownHostsLine.replace(/ \S+ \S+$/, ` ${t1.knownHostsLine.split(' ').slice(1).join(' ')}`)));
    const viaKeeper = await run([target(t1)]).then(() => null, (e: unknown) => e);
    const direct = await connectSsh({ host: t1.host, port: t1.port, jump: { host: jump.host, port: jump.port } }, { ...options, agentSocket: null }).then(
      async (t) => {
        await t.close();
        return null;
      },
      (e: unknown) => e,
    );
    assert.ok(viaKeeper instanceof HaupError && direct instanceof HaupError);
    assert.equal(viaKeeper.code, 'HAUP_SSH_HOSTKEY_CHANGED');
    assert.match(viaKeeper.message, /^jump host: /);
    assert.deepEqual([viaKeeper.code, viaKeeper.message, viaKeeper.hint, viaKeeper.details], [direct.code, direct.message, direct.hint, direct.details]);
    await writeFile(kh, original);
    const again = await run([target(t1), target(t2)]);
    assert.equal(again.length, 2);
  });

  test('a jump host that forbids forwarding gives the same error as without the keeper', async () => {
    const viaKeeper = await run([target(t1, noForward)]).then(() => null, (e: unknown) => e);
    assert.ok(viaKeeper instanceof HaupError, String(viaKeeper));
    assert.equal(viaKeeper.code, 'HAUP_SSH');
    assert.match(viaKeeper.message, new RegExp(`jump host 127.0.0.1:${noForward.port} refused to open a tunnel to 127.0.0.1:${t1.port}`));
    assert.match(viaKeeper.hint ?? '', /AllowTcpForwarding/);
  });
});
