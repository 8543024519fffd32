// Integration: every way an SSH connection can fail, against a real sshd (or a silent local socket), maps to its own
// HaupError; plus key files, passphrases, ssh-agent and trust-on-first-use. All traffic stays on 127.0.0.1.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HaupError } from '../../../cli/errors.js';
import { fingerprintSha256 } from '../../../cli/transport/known-hosts.js';
import { connectSsh, type SshOptions } from '../../../cli/transport/ssh.js';
import { generateKey, sshdUnavailable, startSshd, type KeyPair, type Sshd } from '../../support/sshd.js';

const run = promisify(execFile);
const unavailable = sshdUnavailable();

function haupError(code: string, check?: (e: HaupError) => void) {
  return (e: unknown) => {
    assert.ok(e instanceof HaupError, `expected a HaupError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    check?.(e);
    return true;
  };
}

describe('ssh connection failures against a real sshd', { skip: unavailable ?? false }, () => {
  let sshd: Sshd;
  let dir: string;
  let otherKey: KeyPair;
  let base: SshOptions;
  before(async () => {
    sshd = await startSshd();
    dir = await mkdtemp(join(tmpdir(), 'haup-ssh-errors-'));
    otherKey = await generateKey(dir, 'other');
    base = { identityFiles: [sshd.clientKey.privatePath], knownHostsFiles: [sshd.knownHostsFile], agentSocket: null, connectTimeoutMs: 5000 };
  });
  after(async () => {
    await sshd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const target = () => ({ host: sshd.host, port: sshd.port });

  test('a closed port is reported as refused', async () => {
    const srv = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    await assert.rejects(connectSsh({ host: '127.0.0.1', port }, base), haupError('HAUP_SSH_REFUSED', (e) => assert.match(e.message, new RegExp(`127.0.0.1:${port} refused`))));
  });

  test('a name under .invalid fails as a DNS error without any query leaving the machine', async () => {
    await assert.rejects(connectSsh({ host: 'no-such-host.invalid', port: 22 }, base), haupError('HAUP_SSH_DNS', (e) => assert.match(e.message, /no-such-host\.invalid/)));
  });

  test('a server that accepts but never speaks times out within the connect budget', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const started = Date.now();
    try {
      await assert.rejects(
        connectSsh({ host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port }, { ...base, connectTimeoutMs: 400 }),
        haupError('HAUP_SSH_TIMEOUT', (e) => assert.match(e.message, /did not answer within 0.4 s/)),
      );
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  test('a key the server does not accept fails authentication and says which key was tried', async () => {
    await assert.rejects(
      connectSsh(target(), { ...base, identityFiles: [otherKey.privatePath] }),
      haupError('HAUP_SSH_AUTH', (e) => assert.deepEqual(e.details, [`tried: key ${otherKey.privatePath} (ssh-ed25519)`])),
    );
  });

  test('a missing key file is named before any connection is made', async () => {
    await assert.rejects(connectSsh(target(), { ...base, identityFiles: [join(dir, 'nope')] }), haupError('HAUP_SSH_AUTH', (e) => assert.match(e.message, /cannot read SSH key file .*nope: ENOENT/)));
  });

  test('an unknown host key is refused with its SHA256 fingerprint and the ways to trust it', async () => {
    const empty = join(dir, 'empty_known_hosts');
    await writeFile(empty, '');
    const { stdout } = await run('ssh-keygen', ['-lf', `${sshd.hostKey.privatePath}.pub`]);
    const fp = stdout.split(' ')[1]!;
    await assert.rejects(
      connectSsh(target(), { ...base, knownHostsFiles: [empty] }),
      haupError('HAUP_SSH_HOSTKEY_UNKNOWN', (e) => {
        assert.ok(e.message.includes(`ED25519 ${fp}`), e.message);
        assert.match(e.hint ?? '', /ssh-keyscan -p \d+ -t ssh-ed25519 127\.0\.0\.1/);
        assert.match(e.hint ?? '', /--trust-new-hosts/);
      }),
    );
  });

  test('trust-on-first-use records the new key, after which strict checking accepts it', async () => {
    const kh = join(dir, 'tofu_known_hosts');
    const first = await connectSsh(target(), { ...base, knownHostsFiles: [kh], trustNewHosts: true });
    await first.close();
    assert.equal(await readFile(kh, 'utf8'), `${sshd.knownHostsLine} ${''}`.trim() + '\n');
    const again = await connectSsh(target(), { ...base, knownHostsFiles: [kh] });
    assert.equal((await again.exec(['true'])).code, 0);
    await again.close();
  });

  test('a changed host key is refused loudly, showing both fingerprints, even with trust-on-first-use', async () => {
    const kh = join(dir, 'changed_known_hosts');
    await writeFile(kh, `# old key\n[127.0.0.1]:${sshd.port} ${otherKey.publicLine}\n`);
    await assert.rejects(
      connectSsh(target(), { ...base, knownHostsFiles: [kh], trustNewHosts: true }),
      haupError('HAUP_SSH_HOSTKEY_CHANGED', (e) => {
        assert.match(e.message, /HAS CHANGED/);
        assert.deepEqual(e.details, [`offered: ED25519 ${fingerprintSha256(sshd.hostKey.blob)}`, `known:   ED25519 ${fingerprintSha256(otherKey.blob)} (${kh}:2)`]);
      }),
    );
    assert.equal((await readFile(kh, 'utf8')).split('\n').length, 3, 'the changed key must not be appended');
  });

  test('a host key marked @revoked is refused even though it is also listed as known', async () => {
    const kh = join(dir, 'revoked_known_hosts');
    await writeFile(kh, `${sshd.knownHostsLine}\n@revoked * ${sshd.hostKey.publicLine}\n`);
    await assert.rejects(connectSsh(target(), { ...base, knownHostsFiles: [kh] }), haupError('HAUP_SSH_HOSTKEY_REVOKED'));
  });

  test('an encrypted key needs HAUP_SSH_PASSPHRASE, and opens with it', async () => {
    const enc = await generateKey(dir, 'encrypted', { passphrase: 'correct horse' });
    const encSshd = await startSshd({ clientKey: enc });
    try {
      const opts = { ...base, identityFiles: [enc.privatePath], knownHostsFiles: [encSshd.knownHostsFile] };
      await assert.rejects(
        connectSsh({ host: encSshd.host, port: encSshd.port }, opts),
        haupError('HAUP_SSH_AUTH', (e) => {
          assert.ok(e.details.includes(`${enc.privatePath}: encrypted key and HAUP_SSH_PASSPHRASE is not set`), e.details.join('\n'));
          assert.ok(!JSON.stringify(e.details).includes('correct horse'));
        }),
      );
      await assert.rejects(connectSsh({ host: encSshd.host, port: encSshd.port }, { ...opts, passphrase: 'wrong' }), haupError('HAUP_SSH_AUTH', (e) => {
        assert.ok(e.details.some((d) => d.includes('does not open it')), e.details.join('\n'));
      }));
      const t = await connectSsh({ host: encSshd.host, port: encSshd.port }, { ...opts, passphrase: 'correct horse' });
      assert.equal((await t.exec(['true'])).code, 0);
      await t.close();
    } finally {
      await encSshd.stop();
    }
  });

  test('after a key file the server rejects, a key from ssh-agent is tried and works', async (t) => {
    if (!existsSync('/usr/bin/ssh-agent')) return t.skip('needs ssh-agent: apt-get install openssh-client');
    const sock = join(dir, 'agent.sock');
    const agent = spawn('/usr/bin/ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 500 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
      await run('ssh-add', ['-q', sshd.clientKey.privatePath], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      const tr = await connectSsh(target(), { ...base, identityFiles: [otherKey.privatePath], agentSocket: sock });
      assert.equal((await tr.exec(['true'])).code, 0);
      await tr.close();
    } finally {
      agent.kill('SIGTERM');
    }
  });

  test('RSA and ECDSA client keys authenticate as well as ed25519', async () => {
    for (const type of ['rsa', 'ecdsa'] as const) {
      const key = await generateKey(dir, `client_${type}`, { type });
      const s = await startSshd({ clientKey: key });
      try {
        const tr = await connectSsh({ host: s.host, port: s.port }, { ...base, identityFiles: [key.privatePath], knownHostsFiles: [s.knownHostsFile] });
        assert.equal((await tr.exec(['echo', type])).stdout, `${type}\n`);
        await tr.close();
      } finally {
        await s.stop();
      }
    }
  });

  test('a server with several host keys is checked against the type on record (ECDSA here), not refused', async () => {
    const s = await startSshd({ hostKeyTypes: ['ed25519', 'ecdsa'] });
    try {
      const ecdsa = s.hostKeys[1]!;
      const kh = join(dir, 'ecdsa_known_hosts');
      await writeFile(kh, `[127.0.0.1]:${s.port} ${ecdsa.publicLine.split(' ').slice(0, 2).join(' ')}\n`);
      const tr = await connectSsh({ host: s.host, port: s.port }, { ...base, identityFiles: [s.clientKey.privatePath], knownHostsFiles: [kh] });
      assert.equal((await tr.exec(['true'])).code, 0);
      await tr.close();
    } finally {
      await s.stop();
    }
  });

  test('a command that outlives its timeout is killed and reported, and the connection stays usable', async () => {
    const t = await connectSsh(target(), base);
    try {
      const started = Date.now();
      await assert.rejects(t.exec('sleep 30', { timeoutMs: 300 }), haupError('HAUP_REMOTE_COMMAND', (e) => assert.match(e.message, /did not finish within 300 ms/)));
      assert.ok(Date.now() - started < 3000);
      assert.equal((await t.exec(['echo', 'still here'])).stdout, 'still here\n');
    } finally {
      await t.close();
    }
  });

  test('more concurrent commands than sshd allows sessions for all succeed, queued on one connection', async () => {
    const t = await connectSsh(target(), base);
    try {
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => t.exec(['echo', String(i)])));
      assert.deepEqual(results.map((r) => r.stdout), Array.from({ length: 25 }, (_, i) => `${i}\n`));
    } finally {
      await t.close();
    }
  });
});
