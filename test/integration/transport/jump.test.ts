// Integration: connecting through a jump host (OpenSSH ProxyJump style) with three real sshds on 127.0.0.1:
// one shared jump connection, both host keys checked, and failures named with the route they took.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaupError } from '../../../cli/errors.js';
import { SshPool, connectSsh, type SshOptions } from '../../../cli/transport/ssh.js';
import { generateKey, sshdUnavailable, startSshd, type Sshd } from '../../support/sshd.js';

const unavailable = sshdUnavailable();

describe('ssh through a jump host', { skip: unavailable ?? false }, () => {
  let dir: string;
  let jump: Sshd;
  let noForward: Sshd;
  let t1: Sshd;
  let t2: Sshd;
  let opts: SshOptions;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haup-jump-'));
    const key = await generateKey(dir, 'client');
    [jump, noForward, t1, t2] = await Promise.all([
      startSshd({ clientKey: key }),
      startSshd({ clientKey: key, config: ['AllowTcpForwarding no'] }),
      startSshd({ clientKey: key }),
      startSshd({ clientKey: key }),
    ]);
    const kh = join(dir, 'known_hosts');
    await writeFile(kh, [jump, noForward, t1, t2].map((s) => `${s.knownHostsLine}\n`).join(''));
    opts = { identityFiles: [key.privatePath], knownHostsFiles: [kh], agentSocket: null, connectTimeoutMs: 5000 };
  });
  after(async () => {
    await Promise.all([jump, noForward, t1, t2].map((s) => s?.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const via = () => ({ host: jump.host, port: jump.port });

  test('runs commands on two targets over one shared connection to the jump host', async () => {
    const pool = new SshPool(opts);
    try {
      const [a, b] = await Promise.all([
        pool.connect({ host: t1.host, port: t1.port, jump: via() }),
        pool.connect({ host: t2.host, port: t2.port, jump: via() }),
      ]);
      assert.equal((await a.exec('echo one')).stdout, 'one\n');
      assert.equal((await b.exec('echo two')).stdout, 'two\n');
      assert.equal(jump.connections(), 1);
      assert.deepEqual([t1.connections(), t2.connections()], [1, 1]);
      assert.equal(await pool.connect({ host: t1.host, port: t1.port, jump: via() }), a, 'the pool reuses the connection');
    } finally {
      await pool.closeAll();
    }
  });

  test('fails with a clear message when the jump host forbids forwarding (so traffic really goes through it)', async () => {
    await assert.rejects(connectSsh({ host: t1.host, port: t1.port, jump: { host: noForward.host, port: noForward.port } }, opts), (e: HaupError) => {
      assert.equal(e.code, 'HAUP_SSH');
      assert.match(e.message, new RegExp(`jump host 127.0.0.1:${noForward.port} refused to open a tunnel to 127.0.0.1:${t1.port}`));
      assert.match(e.hint ?? '', /AllowTcpForwarding/);
      return true;
    });
  });

  test('checks the target host key behind the jump host, and names the route', async () => {
    const kh = join(dir, 'jump_only');
    await writeFile(kh, `${jump.knownHostsLine}\n`);
    await assert.rejects(connectSsh({ host: t1.host, port: t1.port, jump: via() }, { ...opts, knownHostsFiles: [kh] }), (e: HaupError) => {
      assert.equal(e.code, 'HAUP_SSH_HOSTKEY_UNKNOWN');
      assert.match(e.message, new RegExp(`127.0.0.1:${t1.port} \\(via jump host 127.0.0.1:${jump.port}\\)`));
      return true;
    });
  });

  test('checks the jump host key too', async () => {
    const kh = join(dir, 'target_only');
    await writeFile(kh, `${t1.knownHostsLine}\n`);
    await assert.rejects(connectSsh({ host: t1.host, port: t1.port, jump: via() }, { ...opts, knownHostsFiles: [kh] }), (e: HaupError) => {
      assert.equal(e.code, 'HAUP_SSH_HOSTKEY_UNKNOWN');
      assert.match(e.message, new RegExp(`^jump host: host key of 127.0.0.1:${jump.port} is not known`));
      return true;
    });
  });

  test('reports a closed target port behind the jump host as refused', async () => {
    const srv = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    await assert.rejects(connectSsh({ host: '127.0.0.1', port, jump: via() }, opts), (e: HaupError) => {
      assert.equal(e.code, 'HAUP_SSH_REFUSED', e.message);
      assert.match(e.message, /via jump host/);
      return true;
    });
  });
});
